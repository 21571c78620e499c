"""
Attacks on the access rules, over real loopback sockets and a real disk:
a user with a read-only directory (a users file's C{directories}), a
user the users file makes read-only, and an anonymous user who may only
upload new files (C{--anonymous-write}) try every changing verb on what
they must not change, by every way of naming it: plain, absolute,
doubled slashes, C{..}, C{.}, a trailing slash, and symbolic links in a
directory they may change that lead into one they may not.

Nothing they must not change changes, and C{RNFR} of what cannot be
renamed gets C{550}, never C{350}. The facts listed of a link into a
read-only directory (C{MLSD}, C{MLST} C{perm}) are the facts of where it
leads (L{LinkFactsTests}).
"""

import os
import re
import socket

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.fsspecrealm import makeFsspecRealm
from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.attackhelpers import CLIENT_WAIT
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.sockreads import readToEnd
from tests.treestate import state
from tests.usersfiles import startUsersServer

USERS = """
[users.alice]
permissions = ["list", "read", "write", "append", "delete", "rename",
               "mkdir", "set-time", "chmod"]

[users.alice.directories."/ro"]
permissions = ["list", "read"]

[users.bob]
home = "alice"
read-only = true
permissions = ["list", "read", "write", "append", "delete", "rename",
               "mkdir", "set-time", "chmod"]
"""
"""Alice may change anything but what is in C{/ro}; Bob, in the same
home, nothing."""

FILES = [
    "ro/kept.txt", "/ro/kept.txt", "ro//kept.txt", "//ro/kept.txt",
    "rw/../ro/kept.txt", "ro/./kept.txt", "ro/kept.txt/",
    "rw/link-dir/kept.txt", "rw/link-dir//kept.txt", "rw/link-file",
]
"""Names of the protected file C{/ro/kept.txt}."""

DIRECTORIES = [
    "ro/sub", "ro/sub/", "ro//sub//", "/ro/sub", "rw/../ro/sub",
    "rw/link-dir/sub", "rw/link-dir/sub/", "rw/link-sub",
]
"""Names of the protected directory C{/ro/sub}."""

PARENTS = ["ro", "ro/", "/ro//", "rw/../ro", "rw/link-dir",
           "rw/link-dir/"]
"""Names of the protected directory C{/ro}, to create things in."""


def lineAttacks():
    """
    @return: lists of command lines, each list one attempt to change
        what is protected.
    """
    attacks = []
    for name in FILES:
        attacks += [
            ["DELE " + name], ["SITE CHMOD 777 " + name],
            ["MFMT 20200101000000 " + name],
            ["SITE UTIME 202001010000 " + name],
            ["MFF modify=20200101000000; " + name],
            ["RNFR " + name, "RNTO rw/stolen"],
            ["RNFR rw/mine.txt", "RNTO " + name],
        ]
    for name in DIRECTORIES:
        attacks += [
            ["RMD " + name], ["XRMD " + name], ["SITE CHMOD 777 " + name],
            ["RNFR " + name, "RNTO rw/stolen"],
            ["RNFR rw/mine.txt", "RNTO " + name],
            ["RNFR rw/mine.txt", "RNTO " + name + "/mine.txt"],
        ]
    for name in PARENTS:
        attacks += [
            ["MKD " + name + "/new"], ["XMKD " + name + "/new"],
            ["RMD " + name], ["DELE " + name], ["RNFR " + name, "RNTO x"],
            ["RNFR rw/mine.txt", "RNTO " + name],
            ["RNFR rw/mine.txt", "RNTO " + name + "/mine.txt"],
        ]
    return attacks


def transferAttacks():
    """
    @return: C{(setup lines, transfer line)} pairs: uploads onto, after
        and beside what is protected.
    """
    attacks = []
    for name in FILES:
        attacks += [([], "STOR " + name), ([], "APPE " + name),
                    (["TYPE I", "REST 1"], "STOR " + name),
                    (["TYPE I", "REST 0"], "STOR " + name)]
    for name in PARENTS:
        attacks += [([], "STOR " + name + "/new.txt"),
                    (["CWD " + name], "STOU")]
    return attacks




class ProtectedTreeMixin(LoopbackServerMixin):
    """
    A home holding C{/ro} (C{kept.txt} and C{sub/f}) and C{/rw}
    (C{mine.txt} and links into C{/ro}), and the attacks on it.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        self.home = os.path.join(self.root, "alice")
        os.makedirs(os.path.join(self.home, "ro", "sub"))
        os.makedirs(os.path.join(self.home, "rw"))
        for name, data in [("ro/kept.txt", b"official"),
                           ("ro/sub/f", b"f"), ("rw/mine.txt", b"mine")]:
            with open(os.path.join(self.home, name), "wb") as f:
                f.write(data)
        for name, target in [("link-dir", "../ro"),
                             ("link-file", "../ro/kept.txt"),
                             ("link-sub", "../ro/sub")]:
            os.symlink(target, os.path.join(self.home, "rw", name))
        # A past time, so that a change made in the same instant as the
        # set-up still shows in the modification times.
        for directory, names, files in os.walk(self.home):
            for name in names + files + ["."]:
                os.utime(os.path.join(directory, name), ns=(10**18, 10**18),
                         follow_symlinks=False)

    def serveFsspec(self, users):
        """
        Write L{USERS} beside the home and serve the tree as
        C{--realm fsspec:file://ROOT?users=PATH}.

        @param users: the passwords of the users who may log in.
        @return: the server.
        """
        path = os.path.join(self.root, "users.toml")
        with open(path, "w") as f:
            f.write(USERS)
        return self.startServer(
            makeFsspecRealm(f"file://{self.root}?users={path}", {}),
            users=users, anonymous=False)

    def attack(self, user, password="secret"):
        """
        Log in and run every attack, each in a session of its own.

        @return: a Deferred firing with C{(lines, replies)} pairs.
        """
        def run():
            results = []
            attempts = [(lines, None) for lines in lineAttacks()]
            attempts += transferAttacks()
            for lines, transfer in attempts:
                client = RawClient(self.server.port)
                try:
                    login = client.login(user, password)
                    assert login.startswith(b"230"), login
                    replies = [client.command(line) for line in lines]
                    if transfer is not None and all(
                            reply[:1] in b"23" for reply in replies):
                        first, _, final = client.transfer(
                            transfer, upload=b"tampered")
                        replies += [first] + ([final] if final else [])
                    results.append((lines + [transfer or ""], replies))
                finally:
                    client.close()
            return results

        return self.inThread(run)

    def assertNoRenameUnderWay(self, results):
        """
        Every C{RNFR} of a protected name got C{550}.
        """
        for lines, replies in results:
            if lines[0].startswith("RNFR") and lines[0] != "RNFR rw/mine.txt":
                self.assertTrue(replies[0].startswith(b"550"),
                                (lines, replies))


class DirectoryRuleTests(ProtectedTreeMixin, unittest.TestCase):
    """
    Alice, whose C{/ro} is read-only by a directory rule.
    """

    chmodCode = b"200"
    """What C{SITE CHMOD} answers where it is allowed."""

    def setUp(self):
        ProtectedTreeMixin.setUp(self)
        self.server = startUsersServer(self, self.root, USERS,
                                       {"alice": "secret", "bob": "secret"})

    @defer.inlineCallbacks
    def test_nothingChanges(self):
        """
        No attack changes anything in the home (what is in C{/rw}
        included: a rename refused at C{RNTO} leaves its source), and
        every C{RNFR} of a protected name is refused at once.
        """
        before = state(self.home)
        results = yield self.attack("alice")
        self.assertEqual(state(self.home), before)
        self.assertNoRenameUnderWay(results)

    @defer.inlineCallbacks
    def test_writableStillWorks(self):
        """
        The same verbs work on C{/rw}: the attacks were refused for where
        they point, not for what they are.
        """
        def run():
            client = RawClient(self.server.port)
            try:
                client.login()
                replies = [client.command(line) for line in [
                    "RNFR rw/mine.txt", "RNTO rw//yours.txt",
                    "MKD rw/new/", "RMD rw/new//", "SITE CHMOD 600 rw/yours.txt",
                    "MFMT 20200101000000 rw/../rw/yours.txt"]]
                replies.append(client.transfer("APPE rw/yours.txt",
                                               upload=b"+")[2])
                return replies
            finally:
                client.close()

        replies = yield self.inThread(run)
        self.assertEqual([reply[:3] for reply in replies],
                         [b"350", b"250", b"257", b"250", self.chmodCode,
                          b"213", b"226"])
        with open(os.path.join(self.home, "rw", "yours.txt"), "rb") as f:
            self.assertEqual(f.read(), b"mine+")


class FsspecDirectoryRuleTests(DirectoryRuleTests):
    """
    The same, on C{--realm fsspec:file://ROOT?users=PATH}.
    """

    chmodCode = b"502"

    def setUp(self):
        ProtectedTreeMixin.setUp(self)
        self.server = self.serveFsspec({"alice": "secret", "bob": "secret"})


class ReadOnlyUserTests(ProtectedTreeMixin, unittest.TestCase):
    """
    Bob, whom the users file makes read-only, in the same home.
    """

    def setUp(self):
        ProtectedTreeMixin.setUp(self)
        self.server = startUsersServer(self, self.root, USERS,
                                       {"alice": "secret", "bob": "secret"})

    @defer.inlineCallbacks
    def test_nothingChanges(self):
        """
        Nothing in the home changes, and no C{RNFR} gets C{350}.
        """
        before = state(self.home)
        results = yield self.attack("bob")
        self.assertEqual(state(self.home), before)
        for lines, replies in results:
            if lines[0].startswith("RNFR"):
                self.assertTrue(replies[0].startswith(b"550"),
                                (lines, replies))


class UploadOnlyTests(ProtectedTreeMixin, unittest.TestCase):
    """
    An anonymous user under C{--anonymous-write}, served the home as its
    root: it may create new files and directories, and change nothing
    that exists.
    """

    def setUp(self):
        ProtectedTreeMixin.setUp(self)
        config = ServerConfig(loginFailureDelay=0, anonymousWrite=True)
        self.server = self.startServer(
            FilesystemRealm(self.home, anonymousWrite=True), config)

    @defer.inlineCallbacks
    def test_nothingExistingChanges(self):
        """
        Every file, directory and link that was there is still there, with
        its bytes, mode and (for what is no directory, whose time a new
        entry moves) modification time; no C{RNFR} gets C{350}.
        """
        before = state(self.home)
        results = yield self.attack("anonymous", "guest@")
        after = state(self.home)
        for path, (mode, mtime, content) in before.items():
            self.assertIn(path, after)
            self.assertEqual(after[path][0], mode, path)
            self.assertEqual(after[path][2], content, path)
            if content is not None:
                self.assertEqual(after[path][1], mtime, path)
        for lines, replies in results:
            if lines[0].startswith("RNFR"):
                self.assertTrue(replies[0].startswith(b"550"),
                                (lines, replies))


def permOf(line):
    """
    @param line: a line of C{MLSD} or of an C{MLST} reply (C{bytes}).
    @return: C{(name, perm fact)}.
    """
    facts, name = line.strip().split(b" ", 1)
    return (name.decode("utf-8"),
            re.search(rb"perm=([a-z]*);", facts).group(1).decode("ascii"))


class LinkFactsTests(ProtectedTreeMixin, unittest.TestCase):
    """
    Alice may change anything but C{/ro} (a users file's directory
    rule); C{/rw} holds links into C{/ro}: C{link-file} (to
    C{ro/kept.txt}), C{link-dir} (to C{ro}) and C{link-sub} (to
    C{ro/sub}). Their C{perm} facts, and those of what is listed through
    C{link-dir}, are those of where they lead, and C{RNFR} agrees.
    """

    EXPECTED = {
        "rw": {"link-file": "r", "link-dir": "el", "link-sub": "el",
               "mine.txt": "adfrw"},
        "rw/link-dir": {".": "el", "kept.txt": "r", "sub": "el"},
    }
    """The C{perm} fact of the entries of each directory listed."""

    def setUp(self):
        ProtectedTreeMixin.setUp(self)
        self.server = startUsersServer(self, self.root, USERS,
                                       {"alice": "secret"})

    def facts(self):
        """
        List C{rw} and C{rw/link-dir} with C{MLSD}, describe the links
        with C{MLST}, and C{RNFR} each of them (and C{RNTO} a name that
        is not there, which leaves it).

        @return: a Deferred firing with C{(listed, described, renames)}:
            the C{perm} fact of each entry listed in each directory, of
            each path described, and C{RNFR}'s reply code for each path.
        """
        def run():
            client = RawClient(self.server.port, timeout=CLIENT_WAIT)
            self.addCleanup(client.close)
            client.login()
            listed = {}
            for directory in self.EXPECTED:
                port = client.epsvPort()
                with socket.create_connection(("127.0.0.1", port)) as data:
                    client.command("MLSD " + directory)
                    body = readToEnd(data)
                client.reply()
                listed[directory] = dict(
                    permOf(line) for line in body.splitlines()
                    if b"type=pdir" not in line)
            described, renames = {}, {}
            for name in ["link-file", "link-dir", "link-sub", "mine.txt",
                         "link-dir/kept.txt"]:
                path = "rw/" + name
                described[path] = permOf(
                    client.command("MLST " + path).split(b"\n")[1])[1]
                renames[path] = client.command("RNFR " + path)[:3]
                client.command("RNTO rw/never-made/x")
            return listed, described, renames

        return self.inThread(run)

    async def test_factsWhereLinksLead(self):
        """
        C{MLSD} and C{MLST} show the letters of where a link leads, and
        C{RNFR} is refused exactly where they hold no C{f}.
        """
        listed, described, renames = await self.facts()
        self.assertEqual(listed["rw"], {".": "cdeflmp", **self.EXPECTED["rw"]})
        self.assertEqual(listed["rw/link-dir"], self.EXPECTED["rw/link-dir"])
        self.assertEqual(described, {
            "rw/link-file": "r", "rw/link-dir": "el", "rw/link-sub": "el",
            "rw/mine.txt": "adfrw", "rw/link-dir/kept.txt": "r"})
        self.assertEqual(renames, {
            path: b"350" if "f" in perm else b"550"
            for path, perm in described.items()})


class FsspecLinkFactsTests(LinkFactsTests):
    """
    The same, on C{--realm fsspec:file://ROOT?users=PATH}.
    """

    def setUp(self):
        ProtectedTreeMixin.setUp(self)
        self.server = self.serveFsspec({"alice": "secret"})

"""
C{RNFR} and C{RNTO} of the symbolic links the server does not follow
(leading out of the root, nowhere, in a loop), and onto them, on the disk
realm and C{fsspec:file://}, in one process and under C{--workers 2}:
the link itself is renamed, or replaced, as C{rename(2)} renames and
replaces it (vsftpd, ProFTPD); nothing it leads to is read or written.
C{RNFR} of such a link got C{550} (it looked the link up with C{stat},
which follows it), and on C{fsspec:file://} C{RNTO} onto a link out of
the root or in a loop got C{550}, onto a link to a directory
C{AlreadyExists}, where the disk realm replaced the link.
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.fsspecrealms import LocalMixin, SFTPMixin, fsspec
from tests.ftpclient import inLoggedInClient, replyCode
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess

LINKS = {"far": None, "gone": "nowhere", "loop": "loop", "farDir": None}
"""The links of the root, by name, and their texts (C{None}: leading to
the test's directory outside the root, to a file and to a directory)."""


def makeTree(testCase):
    """
    @return: C{(root, outside)}: a root holding a file C{f}, a directory
        C{d} and the links of L{LINKS}, and the directory outside it
        holding C{secret} and C{sub/}, where C{far} and C{farDir} lead.
    """
    base = scratchDirectory(testCase)
    root = os.path.join(base, "root")
    outside = os.path.join(base, "outside")
    for directory in (os.path.join(root, "d"), os.path.join(outside, "sub")):
        os.makedirs(directory)
    for path, data in ((os.path.join(outside, "secret"), b"secret"),
                       (os.path.join(root, "f"), b"f")):
        with open(path, "wb") as f:
            f.write(data)
    texts = {"far": os.path.join(outside, "secret"),
             "farDir": os.path.join(outside, "sub")}
    for name, text in LINKS.items():
        os.symlink(text or texts[name], os.path.join(root, name))
    return root, outside


def renames(ftp, pairs):
    """
    @param ftp: a logged-in C{ftplib.FTP}.
    @param pairs: C{(old, new)} names.
    @return: the code of C{RNFR old} where it is not C{350}, else of
        C{RNTO new}, for each pair in turn.
    """
    codes = []
    for old, new in pairs:
        code = replyCode(ftp.sendcmd, "RNFR " + old)
        if code == "350":
            code = replyCode(ftp.sendcmd, "RNTO " + new)
        codes.append(code)
    return codes


def texts(root):
    """
    @return: the text of each link of C{root}, by name, and C{"file"} or
        C{"dir"} for its other entries.
    """
    found = {}
    for name in os.listdir(root):
        path = os.path.join(root, name)
        found[name] = (os.readlink(path) if os.path.islink(path)
                       else "dir" if os.path.isdir(path) else "file")
    return found


class RenameChecks:
    """
    The renames, run by L{rename}, which a test case on a realm gives.
    """

    def checkLinksRenamed(self, root, outside, codes, expected=None):
        """
        Check what renaming each link (L{linkPairs}) did.

        @param expected: what L{texts} gives of C{root} then, where
            another rename followed.
        """
        self.assertEqual(codes, ["250"] * len(linkPairs()))
        self.assertEqual(texts(root), expected or {
            "f": "file", "d": "dir", "far2": os.path.join(outside, "secret"),
            "gone2": "nowhere", "loop2": "loop",
            "farDir2": os.path.join(outside, "sub")})
        self.assertEqual(os.listdir(os.path.join(root, "d")), [])

    def checkOutsideAlone(self, outside):
        """
        Check that nothing outside the root changed.
        """
        self.assertEqual(sorted(os.listdir(outside)), ["secret", "sub"])
        self.assertEqual(os.listdir(os.path.join(outside, "sub")), [])
        with open(os.path.join(outside, "secret"), "rb") as f:
            self.assertEqual(f.read(), b"secret")


def linkPairs():
    """
    @return: the renames of each link: to a new name, and C{loop} into
        C{d} and back to the root as C{loop2}.
    """
    return [("far", "far2"), ("gone", "gone2"), ("farDir", "farDir2"),
            ("loop", "d/loop"), ("d/loop", "loop2")]


class DiskLinkRenameTests(RenameChecks, LoopbackServerMixin,
                          unittest.TestCase):
    """
    The disk realm, in one process.
    """

    def setUp(self):
        self.root, self.outside = makeTree(self)

    def makeRealm(self):
        """
        @return: the realm serving C{self.root}.
        """
        return FilesystemRealm(self.root)

    def rename(self, pairs, config=None, then=lambda ftp: []):
        """
        Serve the root to alice and rename C{pairs} as her.

        @param pairs: see L{renames}.
        @param config: the server's L{ServerConfig}.
        @param then: called with the client after the renames, for more
            codes.
        @return: a Deferred firing with what L{renames} gives, and what
            C{then} gives after it.
        """
        self.server = self.startServer(
            self.makeRealm(), config or ServerConfig(), users={"alice": "pw"},
            anonymous=False)
        return inLoggedInClient(
            self, lambda ftp: renames(ftp, pairs) + then(ftp),
            user="alice", password="pw")

    @defer.inlineCallbacks
    def test_renameLinks(self):
        """
        Each link is renamed, keeping its text: out of the root (to a file
        and to a directory), leading nowhere, in a loop (into a directory
        and out again).
        """
        codes = yield self.rename(linkPairs())
        self.checkLinksRenamed(self.root, self.outside, codes)
        self.checkOutsideAlone(self.outside)

    @defer.inlineCallbacks
    def test_ontoLinks(self):
        """
        C{RNTO} onto a link replaces the link, as onto a file: C{f} onto
        C{gone} (nothing is made where C{gone} leads), a new file onto
        C{far} and C{farDir} (nothing outside changes), C{loop} onto
        C{loop} (itself: nothing changes).
        """
        with open(os.path.join(self.root, "g"), "wb") as f:
            f.write(b"g")
        codes = yield self.rename([("f", "gone"), ("g", "far"),
                                   ("gone", "farDir"), ("loop", "loop")])
        self.assertEqual(codes, ["250"] * 4)
        self.assertEqual(texts(self.root), {
            "d": "dir", "far": "file", "farDir": "file", "loop": "loop"})
        for name, data in (("far", b"g"), ("farDir", b"f")):
            with open(os.path.join(self.root, name), "rb") as f:
                self.assertEqual(f.read(), data)
        self.checkOutsideAlone(self.outside)

    @defer.inlineCallbacks
    def test_directoryOntoLink(self):
        """
        A directory renamed onto a link is refused, as onto a file; a
        link renamed onto a directory is refused, as a file is.
        """
        with open(os.path.join(self.root, "d", "in"), "wb") as f:
            f.write(b"in")
        codes = yield self.rename([("d", "gone"), ("d", "f"), ("far", "d"),
                                   ("f", "d")])
        self.assertEqual(codes, ["550"] * 4)
        self.assertEqual(texts(self.root)["gone"], "nowhere")
        self.assertEqual(os.listdir(os.path.join(self.root, "d")), ["in"])
        self.checkOutsideAlone(self.outside)

    @defer.inlineCallbacks
    def test_linkToDirectory(self):
        """
        A link to a directory inside the root (followed) is renamed onto a
        file as a file is, replacing it, and C{DELE} removes it, never the
        directory, as on the disk realm; on C{fsspec:file://} they got
        C{550 Not a directory} and C{550 Is a directory}, following it.
        """
        for name in ("in1", "in2"):
            os.symlink("d", os.path.join(self.root, name))
        codes = yield self.rename(
            [("in1", "f"), ("in2", "in3")],
            then=lambda ftp: [replyCode(ftp.sendcmd, "DELE in3")])
        self.assertEqual(codes, ["250", "250", "250"])
        found = texts(self.root)
        self.assertEqual((found["d"], found["f"]), ("dir", "d"))
        self.assertEqual(sorted(found), sorted(["d", "f", *LINKS]))
        self.assertEqual(os.listdir(os.path.join(self.root, "d")), [])

    @defer.inlineCallbacks
    def test_throughLinkOut(self):
        """
        A name through a link leading out of the root is neither renamed
        nor a new name: C{550}, nothing outside changes.
        """
        codes = yield self.rename([("farDir/x", "y"), ("f", "farDir/f")])
        self.assertEqual(codes, ["550", "550"])
        self.checkOutsideAlone(self.outside)

    @defer.inlineCallbacks
    def test_readOnly(self):
        """
        A read-only user's C{RNFR} of a link gets C{550}.
        """
        codes = yield self.rename([("far", "far2"), ("gone", "gone2")],
                                  ServerConfig(readOnly=True))
        self.assertEqual(codes, ["550", "550"])
        self.assertEqual(sorted(texts(self.root)),
                         sorted(["d", "f", *LINKS]))


class FsspecLinkRenameTests(LocalMixin, DiskLinkRenameTests):
    """
    The same on C{--realm fsspec:file://ROOT}.
    """


class WorkersLinkRenameTests(RenameChecks, unittest.TestCase):
    """
    C{python -m ftpkit --workers 2}, on the disk realm and
    C{fsspec:file://}: the renames run in the workers.
    """

    timeout = 120

    def served(self, *options):
        """
        Start a server with C{--workers 2} and C{options} on a new tree,
        rename each link (L{linkPairs}) as alice, then C{f} onto the
        dangling link C{gone2}, and check what they did.

        @param options: more of the server's options, where C{{root}}
            is the root's path.
        """
        root, outside = makeTree(self)
        server = ServerProcess(self, [
            "--root", root, "--auth", "memory:alice:pw", "--workers", "2",
            *(option.format(root=root) for option in options)])
        server.waitForLog(" ready\n", 2)
        server.waitForGreeting()
        ftp = server.login("alice", "pw")
        codes = renames(ftp, [*linkPairs(), ("f", "gone2")])
        ftp.quit()
        self.checkLinksRenamed(root, outside, codes[:-1], {
            "d": "dir", "far2": os.path.join(outside, "secret"),
            "gone2": "file", "loop2": "loop",
            "farDir2": os.path.join(outside, "sub")})
        self.assertEqual(codes[-1], "250")
        with open(os.path.join(root, "gone2"), "rb") as f:
            self.assertEqual(f.read(), b"f")
        self.checkOutsideAlone(outside)

    def test_disk(self):
        """
        The disk realm.
        """
        self.served()

    def test_fsspec(self):
        """
        C{fsspec:file://}.
        """
        if fsspec is None:
            raise unittest.SkipTest("fsspec is not installed")
        self.served("--realm", "fsspec:file://{root}")


class SFTPLinkRenameTests(SFTPMixin, DiskLinkRenameTests):
    """
    The same on C{--realm fsspec:sftp://USER@HOST:PORT/ROOT}, the root
    seen through OpenSSH's SFTP server: links told from what they lead
    to, as on the disk realm.
    """

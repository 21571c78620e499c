"""
Attacks on the per-directory permissions of the users file, over real
loopback sockets: a user with C{rename} where the default rules apply
cannot carry a protected directory out from under its rule, nor put one
of its own under it. Nor can an upload written into a set-user-ID
program keep its privilege bits (L{PrivilegeBitsTests}).
"""

import io
import os
import stat

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.usersfiles import startUsersServer

USERS = """
[users.alice]
permissions = ["list", "read", "write", "append", "delete", "rename",
               "mkdir", "set-time", "chmod"]

[users.alice.directories."/pub/readonly"]
permissions = ["list", "read"]
"""
"""Alice may do anything, except change what is in C{/pub/readonly}."""

OFFICIAL = b"official release"


class AncestorRenameTests(LoopbackServerMixin, unittest.TestCase):
    """
    A home whose C{/pub/readonly} is read-only by a directory rule.
    """

    def setUp(self):
        root = scratchDirectory(self)
        self.home = os.path.join(root, "alice")
        os.makedirs(os.path.join(self.home, "pub", "readonly"))
        self.release = os.path.join(self.home, "pub", "readonly",
                                    "release.txt")
        with open(self.release, "wb") as f:
            f.write(OFFICIAL)
        os.makedirs(os.path.join(self.home, "mine", "readonly"))
        self.server = startUsersServer(self, root, USERS,
                                       {"alice": "secret"})

    def attack(self, lines):
        """
        Log in and send C{lines}, then try to replace the release through
        the names the renames may have given it.

        @return: a Deferred firing with the replies.
        """
        def run():
            client = RawClient(self.server.port)
            try:
                replies = [client.login()]
                replies += [client.command(line) for line in lines]
                for name in ("moved", "pub"):
                    replies.append(client.transfer(
                        "STOR %s/readonly/release.txt" % (name,),
                        b"tampered")[0])
                return replies
            finally:
                client.close()

        return self.inThread(run)

    def assertReleaseKept(self):
        with open(self.release, "rb") as f:
            self.assertEqual(f.read(), OFFICIAL)

    @defer.inlineCallbacks
    def test_directRefused(self):
        """
        The rule holds on its own path: no upload, no rename (refused at
        C{RNFR}, so that C{RNTO} has none to finish).
        """
        replies = yield self.attack(["RNFR pub/readonly", "RNTO elsewhere"])
        self.assertEqual([reply[:3] for reply in replies[1:]],
                         [b"550", b"503", b"550", b"550"])
        self.assertReleaseKept()

    @defer.inlineCallbacks
    def test_renameAboveRefused(self):
        """
        C{/pub}, above the rule, cannot be renamed: the release would then
        be writable at C{/moved/readonly}.
        """
        replies = yield self.attack(["RNFR pub", "RNTO moved",
                                     "RNFR moved", "RNTO pub"])
        self.assertTrue(replies[1].startswith(b"550"), replies)
        self.assertTrue(os.path.isdir(os.path.join(self.home, "pub")))
        self.assertFalse(os.path.exists(os.path.join(self.home, "moved")))
        self.assertReleaseKept()

    @defer.inlineCallbacks
    def test_renameOntoRefused(self):
        """
        Nothing can be renamed to C{/pub} either: a directory of the
        user's own would put its files under the rule, as if the rule's
        directory had been written.
        """
        os.rename(os.path.join(self.home, "pub"),
                  os.path.join(self.home, "kept"))
        replies = yield self.attack(["RNFR mine", "RNTO pub"])
        self.assertTrue(replies[2].startswith(b"550"), replies)
        self.assertFalse(os.path.exists(os.path.join(self.home, "pub")))

    @defer.inlineCallbacks
    def test_otherRenamesWork(self):
        """
        Renames away from any rule still work.
        """
        replies = yield self.attack(["RNFR mine", "RNTO yours",
                                     "RNFR yours/readonly", "RNTO yours/ro"])
        self.assertEqual([reply[:3] for reply in replies[1:5]],
                         [b"350", b"250", b"350", b"250"])
        self.assertTrue(os.path.isdir(os.path.join(self.home, "yours", "ro")))


class PrivilegeBitsTests(LoopbackServerMixin, unittest.TestCase):
    """
    A server on a directory holding programs with their set-user-ID and
    set-group-ID bits on (mode C{6755}), and a user who may change them.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        for name in ("replaced", "appended", "resumed"):
            path = os.path.join(self.root, name)
            with open(path, "wb") as f:
                f.write(b"#!/bin/sh\n")
            os.chmod(path, 0o6755)
        self.server = self.startServer(
            self.makeRealm(), ServerConfig(loginFailureDelay=0),
            users={"alice": "secret"}, anonymous=False)

    def makeRealm(self):
        """
        @return: the realm served: the disk under C{self.root}.
        """
        return FilesystemRealm(self.root)

    def mode(self, name):
        """
        @return: the permission bits of C{name} in the root.
        """
        return stat.S_IMODE(os.stat(os.path.join(self.root, name)).st_mode)

    def upload(self):
        """
        C{STOR} over C{replaced}, C{APPE} to C{appended}, C{REST} and
        C{STOR} into C{resumed} (blocking).

        @return: their final replies.
        """
        ftp = ftplibLogin(self, self.server.port)
        replies = [
            ftp.storbinary("STOR replaced", io.BytesIO(b"id\n")),
            ftp.storbinary("APPE appended", io.BytesIO(b"id\n")),
            ftp.storbinary("STOR resumed", io.BytesIO(b"id\n"), rest=10),
        ]
        ftp.close()
        return replies

    @defer.inlineCallbacks
    def test_uploadsDropPrivilegeBits(self):
        """
        C{STOR} over a program, C{APPE} to one and C{REST} + C{STOR} into
        one each leave it without those bits, its other bits kept.
        """
        replies = yield self.inThread(self.upload)
        self.assertEqual([reply[:3] for reply in replies], ["226"] * 3)
        self.assertEqual(
            [self.mode(name) for name in ("replaced", "appended", "resumed")],
            [0o755] * 3)
        with open(os.path.join(self.root, "resumed"), "rb") as f:
            self.assertEqual(f.read(), b"#!/bin/sh\nid\n")

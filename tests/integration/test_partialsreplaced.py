"""
A cut upload whose file another user's upload replaced, or made, since:
its user's C{SIZE} answers the file now there, on every realm that keeps
cut uploads (the disk realm, C{--realm memory}, C{fsspec:memory://},
C{fsspec:file://}), over real sockets (ftplib). Before session 32 the
memory and fsspec realms kept the cut upload, which their user's C{SIZE}
answered and their resume put in place of the other user's file, while
the disk realm dropped it (it no longer matches the file): one rule now,
L{ftpkit.shells.partials.isOutdated}.
"""

import ftplib
import io
import os

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm, MemoryRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin, replyCode
from tests.integration.test_attack_fsspecinplace import LocalMixin, MemoryMixin
from tests.resets import hardClose
from tests.scratch import scratchDirectory

NEW = os.urandom(200000)
"""What alice's upload sends."""

HALF = len(NEW) // 2
"""Where it is cut."""

BOBS = b"bob's own file"
"""What bob's upload sends."""


def cut(ftp, name):
    """
    Send the first L{HALF} bytes of L{NEW} as C{STOR name} and reset the
    data connection (blocking).

    @return: the reply to the C{STOR}.
    """
    connection = ftp.transfercmd("STOR " + name)
    connection.sendall(NEW[:HALF])
    hardClose(connection)
    return replyCode(ftp.voidresp)


def sizeOf(ftp, name):
    """
    @return: C{SIZE name}'s answer, a number, or its reply code when it
        is not C{213}.
    """
    try:
        return int(ftp.sendcmd("SIZE " + name)[4:])
    except ftplib.error_perm as e:
        return str(e)[:3]


class ReplacedMixin(LoopbackServerMixin):
    """
    alice and bob on an empty root; subclasses say which realm
    (C{makeRealm}).
    """

    timeout = 120

    def setUp(self):
        self.root = scratchDirectory(self)
        self.port = self.startServer(
            self.makeRealm(), ServerConfig(loginFailureDelay=0),
            users={"alice": "secret", "bob": "pw"}, anonymous=False).port

    def login(self, user="alice", password="secret"):
        """
        @return: a new session of C{user}'s, in C{TYPE I}.
        """
        return ftplibLogin(self, self.port, user, password, binary=True)

    def replaced(self, bobSends):
        """
        alice stores C{f}, cuts an upload of a new version of it and of
        the new name C{n}; bob then sends his file with C{bobSends}
        (blocking).

        @return: alice's C{SIZE} of each cut upload's name, between them
            and after bob's upload.
        """
        alice = self.login()
        alice.storbinary("STOR f", io.BytesIO(b"old"))
        cuts = cut(alice, "f"), cut(alice, "n")
        before = sizeOf(alice, "f"), sizeOf(alice, "n")
        bob = self.login("bob", "pw")
        for name in ("f", "n"):
            bobSends(bob, name)
        bob.quit()
        after = sizeOf(alice, "f"), sizeOf(alice, "n")
        alice.quit()
        return cuts, before, after

    async def test_otherStored(self):
        """
        bob's C{STOR} of each name: alice's C{SIZE} answers his file's
        size.
        """
        replies = await self.inThread(
            self.replaced, lambda bob, name: bob.storbinary(
                "STOR " + name, io.BytesIO(BOBS)))
        self.assertEqual(replies, (("426", "426"), (HALF, HALF),
                                   (len(BOBS), len(BOBS))))

    async def test_otherAppended(self):
        """
        bob's C{APPE} of each name (written in place): alice's C{SIZE}
        answers the file's size.
        """
        replies = await self.inThread(
            self.replaced, lambda bob, name: bob.storbinary(
                "APPE " + name, io.BytesIO(BOBS)))
        self.assertEqual(replies, (("426", "426"), (HALF, HALF),
                                   (3 + len(BOBS), len(BOBS))))


class DiskReplacedTests(ReplacedMixin, unittest.TestCase):
    """
    The disk realm (which dropped it before session 32 already).
    """

    def makeRealm(self):
        """
        @return: a disk realm on the root.
        """
        return FilesystemRealm(self.root)


class MemoryReplacedTests(ReplacedMixin, unittest.TestCase):
    """
    C{--realm memory}.
    """

    def makeRealm(self):
        """
        @return: a memory realm.
        """
        return MemoryRealm(maxBytes=None)


class FsspecMemoryReplacedTests(MemoryMixin, MemoryReplacedTests):
    """
    C{--realm fsspec:memory://}.
    """


class FsspecLocalReplacedTests(LocalMixin, MemoryReplacedTests):
    """
    C{--realm fsspec:file://}.
    """

"""
A disk remounted read-only under logged-in sessions (as the kernel does
after errors): every change gets C{550} saying so, reads and the session
go on, and C{AVBL} says nothing may be uploaded.
"""

import ftplib
import io
import os

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.smallmounts import remount, smallFilesystem


def reply(call):
    """
    @return: the reply C{call} ended with (an error's too).
    """
    try:
        return call()
    except ftplib.Error as e:
        return str(e)


class ReadOnlyDiskTests(LoopbackServerMixin, unittest.TestCase):
    """
    A server whose root is a small file system, remounted read-only once
    the client logged in.
    """

    timeout = 60

    def setUp(self):
        self.root = smallFilesystem(self, size="1m")
        os.mkdir(os.path.join(self.root, "dir"))
        with open(os.path.join(self.root, "old"), "wb") as f:
            f.write(b"old")
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))

    async def test_changesRefused(self):
        """
        Each command that would change the disk gets C{550 Read-only file
        system} (it said C{Permission denied}, which sent the operator to
        the permissions), C{AVBL} answers C{0} (it gave the free blocks the
        file system still counts), and downloads go on.
        """
        def run():
            ftp = ftplibLogin(self, self.server.port, binary=True)
            remount(self.root, "ro")
            try:
                data = io.BytesIO(b"new")
                replies = {
                    "STOR": reply(lambda: ftp.storbinary("STOR new", data)),
                    "APPE": reply(lambda: ftp.storbinary("APPE old", data)),
                    "STOU": reply(lambda: ftp.storbinary("STOU", data)),
                    "DELE": reply(lambda: ftp.delete("old")),
                    "RNTO": reply(lambda: ftp.rename("old", "renamed")),
                    "MKD": reply(lambda: ftp.mkd("made")),
                    "RMD": reply(lambda: ftp.rmd("dir")),
                    "SITE CHMOD": reply(
                        lambda: ftp.sendcmd("SITE CHMOD 600 old")),
                    "MFMT": reply(
                        lambda: ftp.sendcmd("MFMT 20200101000000 old")),
                }
                avbl = ftp.sendcmd("AVBL")
                got = []
                ftp.retrbinary("RETR old", got.append)
            finally:
                remount(self.root, "rw")
            ftp.storbinary("STOR after", io.BytesIO(b"after"))
            return replies, avbl, b"".join(got)

        replies, avbl, got = await self.inThread(run)
        for command, text in replies.items():
            self.assertEqual((command, text),
                             (command, "550 Read-only file system"))
        self.assertEqual(avbl, "213 0")
        self.assertEqual(got, b"old")
        self.assertEqual(sorted(os.listdir(self.root)),
                         ["after", "dir", "old"])

"""
C{STOU} of a name of 254 or 255 bytes that is taken: the suffix it adds
(C{.1}) would take the name past the 255 bytes every command allows, so
it gets C{553}, on every realm alike.

On the memory and fsspec realms it made that file: listed, holding its
bytes, but named past what a client may send, so that its C{RETR},
C{DELE} and C{RNFR} all got C{550 File name too long} and no user could
ever remove it (on the disk realm the kernel's C{ENAMETOOLONG} answered
C{553}).
"""

import ftplib
import io

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.fsspecrealm import makeFsspecRealm
from ftpkit.auth.realms import FilesystemRealm, MemoryRealm
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory

NAMES = ("n" * 254, "\xe9" * 127 + "x", "m" * 253)
"""Names of 254 and 255 bytes (the second of two-byte characters), which
have no room for C{.1}, and one of 253 bytes, which has."""


def _stored(ftp, command, data):
    """
    @param ftp: a logged-in C{ftplib.FTP}.
    @param command: an upload command line.
    @param data: the bytes to upload.
    @return: its last reply, an error's included.
    """
    try:
        return ftp.storbinary(command, io.BytesIO(data))
    except ftplib.all_errors as e:
        return str(e)


class LongNameUniqueUploadTests(LoopbackServerMixin, unittest.TestCase):
    """
    A real server on each realm, and C{ftplib}.
    """

    @defer.inlineCallbacks
    def check(self, realm):
        """
        Upload each of L{NAMES}, then C{STOU} it: the names with no room
        for the suffix get C{553} and leave nothing behind; the other
        gets its C{.1}; every name listed can be removed.

        @param realm: the realm served.
        """
        server = self.startServer(realm, users={"alice": "pw"},
                                  anonymous=False)

        def client():
            ftp = ftplibLogin(self, server.port, "alice", "pw")
            replies = []
            for name in NAMES:
                _stored(ftp, "STOR " + name, b"first")
                replies.append(_stored(ftp, "STOU " + name, b"second")[:3])
            listed = sorted(ftp.nlst())
            removed = [ftp.delete(name)[:3] for name in listed]
            left = ftp.nlst()
            ftp.quit()
            return replies, listed, removed, left

        replies, listed, removed, left = yield self.inThread(client)
        self.assertEqual(replies, ["553", "553", "226"])
        self.assertEqual(listed, sorted(NAMES + ("m" * 253 + ".1",)))
        self.assertEqual(removed, ["250"] * 4)
        self.assertEqual(left, [])

    def test_memory(self):
        """
        On C{--realm memory}.
        """
        return self.check(MemoryRealm())

    def test_fsspec(self):
        """
        On C{--realm fsspec:memory://}.
        """
        return self.check(makeFsspecRealm(
            "memory://" + scratchDirectory(self), {}))

    def test_disk(self):
        """
        On the disk realm (which answered so already).
        """
        return self.check(FilesystemRealm(scratchDirectory(self)))

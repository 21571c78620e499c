"""
C{REST} past the end of a file, then C{STOR} or C{RETR}: refused with
RFC 3659's 554, never a sparse file of the size the client names, nor an
empty download that looks complete.
"""

import ftplib
import io
import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm, MemoryRealm
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory


class RestPastEndTests(LoopbackServerMixin, unittest.TestCase):
    """
    A real server on the local disk and C{ftplib}.
    """

    @defer.inlineCallbacks
    def test_refused(self):
        """
        REST beyond the file's size (or of a missing file) then STOR gets
        554 and changes nothing; REST at the exact size resumes.
        """
        root = scratchDirectory(self)
        with open(os.path.join(root, "f.bin"), "wb") as f:
            f.write(b"12345")
        server = self.startServer(FilesystemRealm(root),
                                  users={"alice": "pw"}, anonymous=False)

        def client():
            ftp = ftplibLogin(self, server.port, "alice", "pw")
            replies = []
            for name, rest in [("f.bin", 10**12), ("new.bin", 3),
                               ("f.bin", 5)]:
                try:
                    replies.append(ftp.storbinary(
                        "STOR " + name, io.BytesIO(b"abc"), rest=rest))
                except ftplib.error_perm as e:
                    replies.append(str(e))
            ftp.quit()
            return replies

        replies = yield self.inThread(client)
        self.assertTrue(replies[0].startswith("554"), replies)
        self.assertTrue(replies[1].startswith("554"), replies)
        self.assertTrue(replies[2].startswith("226"), replies)
        self.assertEqual(sorted(os.listdir(root)), ["f.bin"])
        with open(os.path.join(root, "f.bin"), "rb") as f:
            self.assertEqual(f.read(), b"12345abc")

    @defer.inlineCallbacks
    def test_retrieveRefused(self):
        """
        REST beyond the file's size then RETR gets 554 before any data
        connection is used (as ProFTPD and pyftpdlib reply; it was 150
        then 226 with no byte, which a client takes for a complete
        download); REST at the exact size sends nothing, below it the
        rest of the file. Alike on the disk and in memory.
        """
        root = scratchDirectory(self)
        for realm in (FilesystemRealm(root), MemoryRealm()):
            server = self.startServer(realm, users={"alice": "pw"},
                                      anonymous=False)
            replies = yield self.inThread(self._retrieve, server.port)
            self.assertTrue(str(replies[0]).startswith("554"), replies)
            self.assertEqual(replies[1:], [("226", b""), ("226", b"45"),
                                           "200"])

    def _retrieve(self, port):
        """
        Upload C{f.bin}, then download it after C{REST} past its end, at
        its end and within it.

        @return: the replies (the 554's text; the final code and the
            bytes of each download; NOOP's code).
        """
        ftp = ftplibLogin(self, port, "alice", "pw")
        ftp.storbinary("STOR f.bin", io.BytesIO(b"12345"))
        replies = []
        for rest in (6, 5, 3):
            received = []
            try:
                final = ftp.retrbinary("RETR f.bin", received.append,
                                       rest=rest)
            except ftplib.error_perm as e:
                replies.append(str(e))
            else:
                replies.append((final[:3], b"".join(received)))
        replies.append(ftp.voidcmd("NOOP")[:3])
        ftp.quit()
        return replies

"""
C{REST} past the end of a file, then C{STOR}: refused with RFC 3659's
554, never a sparse file of the size the client names.
"""

import ftplib
import io
import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.loopback import LoopbackServerMixin


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
        root = os.path.abspath(self.mktemp())
        os.makedirs(root)
        with open(os.path.join(root, "f.bin"), "wb") as f:
            f.write(b"12345")
        server = self.startServer(FilesystemRealm(root),
                                  users={"alice": "pw"}, anonymous=False)

        def client():
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", server.port, timeout=30)
            ftp.login("alice", "pw")
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

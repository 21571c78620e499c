"""
The sixth attack sweep, over real loopback sockets.

Two sessions appending to one file at once (C{APPE}, or C{REST} and
C{STOR} continuing it in place) both wrote into it: their bytes
interleaved (100,000 bytes of one, 100,000 of the other, then 1,000 of
each), and both were told C{226}. vsftpd takes a write lock on an upload's
file (C{lock_upload_files}, on by default), so that a second upload waits;
an upload written in place now holds an exclusive lock on its file, and a
second one gets C{450} (RFC 959's "file busy") while it runs.
"""

import ftplib
import io
import os
import socket

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin


class InPlaceWritersTests(LoopbackServerMixin, unittest.TestCase):
    """
    A file on the disk appended to by one session while another writes
    it in place.
    """

    timeout = 60

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        self.path = os.path.join(self.root, "f")
        with open(self.path, "wb") as f:
            f.write(b"0123456789")
        self.server = self.startServer(
            FilesystemRealm(self.root), ServerConfig(loginFailureDelay=0),
            users={"alice": "secret"}, anonymous=False)

    def _secondWriter(self, *commands):
        """
        Start an C{APPE} of C{f} that sends some bytes and waits, then
        run C{commands} on a second session, then end the first upload.

        @return: the second session's replies (the text of an error), the
            first upload's final reply and the file's bytes.
        """
        first = ftplibLogin(self, self.server.port, binary=True)
        port = int(first.sendcmd("EPSV").split("|")[3])
        data = socket.create_connection(("127.0.0.1", port))
        first.sendcmd("APPE f")
        data.sendall(b"A" * 1000)
        second = ftplibLogin(self, self.server.port, binary=True)
        replies = []
        for command in commands:
            try:
                if command.startswith("REST"):
                    replies.append(second.sendcmd(command))
                else:
                    replies.append(second.storbinary(
                        command, io.BytesIO(b"B" * 1000)))
            except ftplib.Error as e:
                replies.append(str(e))
        data.sendall(b"a" * 1000)
        data.close()
        final = first.voidresp()
        with open(self.path, "rb") as f:
            return replies, final, f.read()

    @defer.inlineCallbacks
    def test_secondAppendBusy(self):
        """
        A second C{APPE} while the first runs gets C{450}; the first's
        bytes are all that is added.
        """
        replies, final, content = yield self.inThread(
            self._secondWriter, "APPE f")
        self.assertEqual(replies[0][:4], "450 ")
        self.assertEqual(final[:4], "226 ")
        self.assertEqual(content, b"0123456789" + b"A" * 1000 + b"a" * 1000)

    @defer.inlineCallbacks
    def test_resumeInPlaceBusy(self):
        """
        C{REST} and C{STOR} writing the file in place while an C{APPE}
        runs gets C{450}.
        """
        replies, final, content = yield self.inThread(
            self._secondWriter, "REST 5", "STOR f")
        self.assertEqual(replies[1][:4], "450 ")
        self.assertEqual(content, b"0123456789" + b"A" * 1000 + b"a" * 1000)

    @defer.inlineCallbacks
    def test_freeAfterward(self):
        """
        Once the first upload ended, the file may be appended to again.
        """
        def appendLater():
            self._secondWriter()
            ftp = ftplibLogin(self, self.server.port, binary=True)
            return ftp.storbinary("APPE f", io.BytesIO(b"B"))

        reply = yield self.inThread(appendLater)
        self.assertEqual(reply[:4], "226 ")
        with open(self.path, "rb") as f:
            self.assertEqual(f.read()[-1:], b"B")

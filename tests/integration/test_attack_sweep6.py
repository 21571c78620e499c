"""
The sixth attack sweep, over real loopback sockets (and one data
connection on a string transport).

Two sessions appending to one file at once (C{APPE}, or C{REST} and
C{STOR} continuing it in place) both wrote into it: their bytes
interleaved (100,000 bytes of one, 100,000 of the other, then 1,000 of
each), and both were told C{226}. vsftpd takes a write lock on an upload's
file (C{lock_upload_files}, on by default), so that a second upload waits;
an upload written in place now holds an exclusive lock on its file, and a
second one gets C{450} (RFC 959's "file busy") while it runs.

And what a client sends on a data connection it should not send on: into
a download (dropped now, and no progress for the watchdog), or before a
transfer takes the connection (held up to 64 KiB, not 1 MiB).
"""

import io

from twisted.internet import defer
from twisted.trial import unittest

from tests.appending import APPENDED, ORIGINAL, AppendingTestsMixin
from tests.ftpclient import ftplibLogin


class InPlaceWritersTests(AppendingTestsMixin, unittest.TestCase):
    """
    A file on the disk appended to by one session while another writes
    it in place.
    """

    @defer.inlineCallbacks
    def test_secondAppendBusy(self):
        """
        A second C{APPE} while the first runs gets C{450}; the first's
        bytes are all that is added.
        """
        replies, final = yield self.inThread(self.duringAppend, "APPE f")
        self.assertEqual(replies[0][:4], "450 ")
        self.assertEqual(final[:4], "226 ")
        self.assertEqual(self.read(), ORIGINAL + APPENDED)

    @defer.inlineCallbacks
    def test_resumeInPlaceBusy(self):
        """
        C{REST} and C{STOR} writing the file in place while an C{APPE}
        runs gets C{450}.
        """
        replies, final = yield self.inThread(
            self.duringAppend, "REST 5", "STOR f")
        self.assertEqual(replies[1][:4], "450 ")
        self.assertEqual(self.read(), ORIGINAL + APPENDED)

    @defer.inlineCallbacks
    def test_freeAfterward(self):
        """
        Once the first upload ended, the file may be appended to again.
        """
        def appendLater():
            self.duringAppend()
            ftp = ftplibLogin(self, self.server.port, binary=True)
            return ftp.storbinary("APPE f", io.BytesIO(b"B"))

        reply = yield self.inThread(appendLater)
        self.assertEqual(reply[:4], "226 ")
        self.assertEqual(self.read()[-1:], b"B")

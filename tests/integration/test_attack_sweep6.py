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

import ftplib
import io
import os
import select
import socket

from twisted.internet import defer
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.data.connection import DataConnection
from ftpkit.loopback import LoopbackServerMixin
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


class JunkIntoDownloadTests(LoopbackServerMixin, unittest.TestCase):
    """
    A client that sends bytes into a download's data connection, as
    nothing in FTP has it do. They were held as an upload's early bytes
    (up to 1 MiB a connection, kept for as long as the download lasted)
    and counted as progress, so that a client reading nothing kept its
    download, and what the server had queued for it, open for as long as
    it sent a byte now and then. vsftpd counts only what it sends.
    """

    timeout = 60

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        with open(os.path.join(self.root, "big.txt"), "wb") as f:
            f.write(b"line\n" * (2 << 20))
        self.server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0, dataTimeout=1.0),
            users={"alice": "secret"}, anonymous=False)

    def _junkDuringDownload(self, seconds):
        """
        Start a download (in TYPE A, which goes through a Twisted
        transport) and read none of it, sending a byte into its data
        connection every tenth of a second for C{seconds}.

        @return: whether the control connection had its final reply
            before the last byte was sent, and that reply.
        """
        ftp = ftplibLogin(self, self.server.port)
        ftp.voidcmd("TYPE A")
        port = int(ftp.sendcmd("EPSV").split("|")[3])
        data = socket.socket()
        data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        data.connect(("127.0.0.1", port))
        ftp.sendcmd("RETR big.txt")
        control = ftp.sock
        replied = False
        for _ in range(int(seconds * 10)):
            try:
                data.send(b"x")
            except OSError:
                break
            readable, _, _ = select.select([control], [], [], 0.1)
            if readable:
                replied = True
                break
        data.close()
        try:
            reply = ftp.voidresp()
        except ftplib.Error as e:
            reply = str(e)
        return replied, reply

    @defer.inlineCallbacks
    def test_junkIsNoProgress(self):
        """
        The download stalls after the data timeout, junk or not: the
        client gets C{426} while it is still sending.
        """
        replied, reply = yield self.inThread(self._junkDuringDownload, 6)
        self.assertTrue(replied)
        self.assertEqual(reply[:4], "426 ")


class EarlyBytesTests(unittest.TestCase):
    """
    Bytes a client sends on a data connection before a transfer takes it
    are held, and the connection stops reading past a bound. The bound was
    1 MiB: 30 FTPS sessions each connecting to its C{PASV} port and
    sending junk, with no transfer command, took a server from 56 to 93
    MB, held until the data timeout and taken again with the next
    C{PASV}. What an upload's client sends before the server reads it
    needs no more than a few records: the rest waits in the kernel.
    """

    def test_pausedEarly(self):
        """
        The connection stops reading once it holds 64 KiB, and reads again
        once a transfer takes the bytes.
        """
        connection = DataConnection(lambda made: None, Clock(), 30,
                                    lambda: None)
        transport = StringTransport()
        connection.makeConnection(transport)
        for _ in range(5):
            connection.dataReceived(b"x" * (16 << 10))
        self.assertEqual(transport.producerState, "paused")
        received = StringTransport()
        connection.receiveInto(received)
        self.assertEqual(transport.producerState, "producing")
        self.assertEqual(len(received.value()), 5 * (16 << 10))

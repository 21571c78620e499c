"""
Tests for the kernel buffers of paced data connections
(L{ftpkit.data.movers.pacing.boundSocketBuffer}): a paced transfer's
socket, read on the in-process server's end, holds about a second of its
rate, in clear and under TLS, passive and active, IPv4 and IPv6; an
unpaced one is left to the kernel; and a paced download whose client
stopped reading queues no more than that in the server's kernel.
"""

import ftplib
import gc
import socket

from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.data.connection import DataConnection
from ftpkit.data.movers import TLS_BUFFER_SIZE
from ftpkit.data.movers.pacing import (
    SOCKET_BUFFER_CEILING,
    SOCKET_BUFFER_FLOOR,
    Pacer,
    RateLimit,
    boundSocketBuffer,
    socketBufferSize,
    writeBufferSize,
)
from tests.ftpclient import ftplibLogin
from tests.ipv6 import hasIPv6
from tests.polling import waitUntil
from tests.tcptable import bufferOfOtherEnd, queuedUntilStalled, readByPeer
from tests.tlssupport import FTPSTestsMixin

RATE = 100000
"""The rate the tests pace at: its one second is above the floor and
below C{net.core.wmem_max}'s and C{rmem_max}'s default (212992)."""

BOUND = 2 * RATE
"""What C{getsockopt} reads of a buffer set to a second of L{RATE}: Linux
doubles the value set, for its bookkeeping."""

QUEUED_AT_MOST = BOUND + (64 << 10)
"""The most a paced download at L{RATE} may queue in the server's kernel:
its buffer and one write past it."""


class SocketBufferSizeTests(unittest.SynchronousTestCase):
    """
    L{socketBufferSize}: a second of the tightest limit, within the floor
    and the ceiling.
    """

    def sizeFor(self, *rates):
        clock = Clock()
        return socketBufferSize(Pacer([RateLimit(rate, clock)
                                       for rate in rates]))

    def test_tightest(self):
        self.assertEqual(self.sizeFor(RATE, 5 * RATE), RATE)
        self.assertEqual(self.sizeFor(5 * RATE, RATE), RATE)

    def test_floor(self):
        """
        A slow rate still gets the floor: a long link needs that much in
        flight.
        """
        self.assertEqual(self.sizeFor(1), SOCKET_BUFFER_FLOOR)
        self.assertEqual(self.sizeFor(1000), SOCKET_BUFFER_FLOOR)

    def test_ceiling(self):
        """
        A rate of the ceiling or more is left to the kernel's autotuning.
        """
        self.assertIsNone(self.sizeFor(SOCKET_BUFFER_CEILING))
        self.assertIsNone(self.sizeFor(1 << 30))
        self.assertEqual(self.sizeFor(SOCKET_BUFFER_CEILING - 1),
                         SOCKET_BUFFER_CEILING - 1)


class WriteBufferSizeTests(unittest.SynchronousTestCase):
    """
    L{writeBufferSize}: a paced download's transport holds what its kernel
    buffer does, never more than an unpaced one's.
    """

    def test_paced(self):
        pacer = Pacer([RateLimit(RATE, Clock())])
        self.assertEqual(writeBufferSize(pacer, 1 << 20), RATE)
        self.assertEqual(writeBufferSize(pacer, 1000), 1000)

    def test_unpaced(self):
        self.assertEqual(writeBufferSize(None, 1 << 20), 1 << 20)
        fast = Pacer([RateLimit(SOCKET_BUFFER_CEILING, Clock())])
        self.assertEqual(writeBufferSize(fast, 1 << 20), 1 << 20)


class BoundSocketBufferTests(unittest.SynchronousTestCase):
    """
    L{boundSocketBuffer} on a socket of its own.
    """

    def test_closed(self):
        """
        A socket closed already (the data connection gone before its
        first byte) is left alone: no error reaches the transfer, which
        sees the connection's end.
        """
        sock = socket.socket()
        sock.close()
        boundSocketBuffer(sock, Pacer([RateLimit(RATE, Clock())]), False)


class _Client(FTPSTestsMixin):
    """
    An in-process server (L{FTPSTestsMixin}) and an ftplib client logged
    in to it.
    """

    def login(self, host="127.0.0.1", tls=False, passive=True):
        """
        Log in (blocking: call in a thread).

        @param host: the server's address.
        @param tls: under TLS, C{PROT P}.
        @param passive: passive data connections (else active).
        @return: the client, in C{TYPE I}.
        """
        if tls:
            ftp = self.connect(host)
            ftp.prot_p()
        else:
            ftp = ftplibLogin(self, self.server.port, host=host)
        ftp.set_pasv(passive)
        ftp.voidcmd("TYPE I")
        return ftp


class PacedBufferTests(_Client, unittest.TestCase):
    """
    The server's end of a paced data connection holds a second of the
    rate (C{SO_SNDBUF} for a download, C{SO_RCVBUF} for an upload); an
    unpaced one's is the kernel's (autotuned: it grew to megabytes for a
    download).
    """

    def buffersOf(self, ftp, upload):
        """
        Start a transfer, wait until its bytes move, read the buffers of
        the server's end, and end the transfer.

        @param ftp: the logged-in client.
        @param upload: C{STOR} (else C{RETR}).
        @return: the server's end's C{SO_SNDBUF} and C{SO_RCVBUF}.
        """
        sock = ftp.transfercmd("STOR up.bin" if upload else "RETR big.bin")
        try:
            if upload:
                sock.sendall(b"x" * 16384)
                self.assertTrue(waitUntil(lambda: readByPeer(sock), 20))
            else:
                self.assertTrue(sock.recv(1))
            found = [bufferOfOtherEnd(sock, option)
                     for option in (socket.SO_SNDBUF, socket.SO_RCVBUF)]
        finally:
            sock.close()
        try:
            ftp.voidresp()
        except ftplib.Error:
            # The download was cut (426).
            pass
        ftp.quit()
        self.assertNotIn(None, found)
        return found

    async def check(self, upload, paced, **login):
        """
        Serve with a rate for the transfer's direction or, unpaced, for
        the other direction only, and check the server's end: the buffer
        its bytes wait in, and the other one, never bounded.

        @param upload: C{STOR} (else C{RETR}).
        @param paced: the transfer's direction has the rate.
        @param login: L{_Client.login}'s arguments.
        """
        rateOfUploads = paced == upload
        name = "maxUploadRate" if rateOfUploads else "maxDownloadRate"
        self.serve(interface=login.get("host", "127.0.0.1"), **{name: RATE})
        sndbuf, rcvbuf = await self.inThread(
            lambda: self.buffersOf(self.login(**login), upload))
        waiting, other = (rcvbuf, sndbuf) if upload else (sndbuf, rcvbuf)
        if paced:
            self.assertEqual(waiting, BOUND)
        else:
            self.assertNotEqual(waiting, BOUND)
        self.assertNotEqual(other, BOUND)

    def test_downloadPaced(self):
        """
        A paced download from a bare socket (C{sendfile}): its send
        buffer holds a second of the rate.
        """
        return self.check(upload=False, paced=True)

    def test_downloadUnpaced(self):
        return self.check(upload=False, paced=False)

    def test_uploadPaced(self):
        """
        A paced upload into a bare socket (C{splice}): its receive buffer
        holds a second of the rate.
        """
        return self.check(upload=True, paced=True)

    def test_uploadUnpaced(self):
        return self.check(upload=True, paced=False)

    def test_downloadPacedTLS(self):
        """
        Under TLS, the buffer bounded is the TCP socket's beneath it.
        """
        return self.check(upload=False, paced=True, tls=True)

    def test_downloadUnpacedTLS(self):
        return self.check(upload=False, paced=False, tls=True)

    def test_uploadPacedTLS(self):
        return self.check(upload=True, paced=True, tls=True)

    def test_uploadUnpacedTLS(self):
        return self.check(upload=True, paced=False, tls=True)

    def test_uploadPacedActive(self):
        """
        An active-mode upload (the server's connection out, a Twisted
        transport).
        """
        return self.check(upload=True, paced=True, passive=False)

    def test_downloadPacedIPv6(self):
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        return self.check(upload=False, paced=True, host="::1")


class PausedClientTests(_Client, unittest.TestCase):
    """
    A paced download whose client stops reading: what the server's kernel
    queues for it stays within the bound. Unbounded, the kernel grew the
    buffer to megabytes (3.9 MB queued at 1M/s after a 5 s pause), and
    the client got all of it at once when it read again.
    """

    def test_queuedWithinBound(self):
        """
        The server's kernel queues at most the bounded buffer (and one
        write past it), however long the client waits: 3 MB were queued
        (the whole file) before the bound.
        """
        self.serve(maxDownloadRate=RATE)

        def run():
            ftp = self.login()
            with ftp.transfercmd("RETR big.bin") as sock:
                queued = queuedUntilStalled(sock)
            ftp.close()
            return queued
        return self.inThread(run).addCallback(
            lambda queued: assertQueuedWithinBound(self, queued))


def assertQueuedWithinBound(case, queued):
    """
    Assert a paced download at L{RATE} queued at most L{QUEUED_AT_MOST}.

    @param case: the L{unittest.TestCase}.
    @param queued: what L{queuedUntilStalled} found.
    """
    case.assertIsNotNone(queued, "the download never stalled")
    case.assertLessEqual(queued, QUEUED_AT_MOST)


class TLSWriteBufferTests(_Client, unittest.TestCase):
    """
    Under TLS, a paced download's transport holds at most a second of its
    rate before it pauses the file's producer: it held 1 MiB (the unpaced
    downloads' high-water mark), which a client that stopped reading got
    at once, with the kernel's queue, when it read again (1.85 MB in the
    first second at 200K/s, against 0.76 MB in clear).
    """

    def writeBuffers(self):
        """
        @return: the write buffer sizes of the server's TLS data
            connections (looked up among the process's objects).
        """
        return [connection.socketTransport.bufferSize
                for connection in gc.get_objects()
                if isinstance(connection, DataConnection)
                and connection.isSecure
                and connection.socketTransport is not None]

    async def check(self, **settings):
        """
        Start a TLS download, and read its transport's write buffer.

        @param settings: the server's L{ServerConfig} settings.
        @return: the sizes L{writeBuffers} found while it ran.
        """
        self.serve(**settings)

        def run():
            ftp = self.login(tls=True)
            with ftp.transfercmd("RETR big.bin") as sock:
                self.assertTrue(sock.recv(1))
                found = self.writeBuffers()
            ftp.close()
            return found

        return await self.inThread(run)

    async def test_paced(self):
        self.assertEqual(await self.check(maxDownloadRate=RATE), [RATE])

    async def test_unpaced(self):
        self.assertEqual(await self.check(), [TLS_BUFFER_SIZE])

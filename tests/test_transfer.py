"""
Tests for L{ftpkit.transfer} (consumers and ASCII translation) and the
pure helpers of L{ftpkit.data}.
"""

import errno
import os
import random
import socket
import threading

from twisted.internet import defer, reactor
from twisted.internet.error import ConnectionAborted, ConnectionDone
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.trial import unittest

from ftpkit import splicing
from ftpkit.errors import TransferAborted
from ftpkit.passive import EPHEMERAL_PORTS, candidatePorts
from ftpkit.transfer import (
    ASCIIConsumer,
    ASCIIDecoder,
    ASCIIUploadConsumer,
    BytesReadFile,
    SendfileConsumer,
    encodeASCII,
)


class ASCIITests(unittest.SynchronousTestCase):
    """
    TYPE A translation, both ways.
    """

    def test_encode(self):
        self.assertEqual(encodeASCII(b"a\nb\n"), b"a\r\nb\r\n")

    def test_decodeAcrossChunks(self):
        decoder = ASCIIDecoder()
        out = decoder.decode(b"a\r") + decoder.decode(b"\nb\r")
        out += decoder.decode(b"c\r\n") + decoder.flush()
        self.assertEqual(out, b"a\nb\rc\n")

    def test_trailingCRKept(self):
        decoder = ASCIIDecoder()
        self.assertEqual(decoder.decode(b"x\r") + decoder.flush(), b"x\r")

    def test_uploadConsumerFlushesOnUnregister(self):
        sink = StringTransport()
        consumer = ASCIIUploadConsumer(sink)
        consumer.registerProducer(object(), True)
        consumer.write(b"one\r\ntwo\r")
        consumer.unregisterProducer()
        self.assertEqual(sink.value(), b"one\ntwo\r")
        self.assertIsNone(sink.producer)

    def test_downloadConsumerCounts(self):
        sink = StringTransport()
        consumer = ASCIIConsumer(sink)
        consumer.write(b"a\nb\n")
        self.assertEqual(sink.value(), b"a\r\nb\r\n")
        self.assertEqual(consumer.bytesSent, 6)

    def test_bytesReadFile(self):
        sink = StringTransport()
        readFile = BytesReadFile(b"listing\r\n")
        self.assertEqual(readFile.size, 9)
        sent = self.successResultOf(readFile.send(ASCIIConsumer(sink)))
        self.assertEqual(sent, 9)


class CandidatePortsTests(unittest.SynchronousTestCase):
    """
    Passive ports are tried in a random order within the range.
    """

    def test_smallRangeShuffled(self):
        ports = list(candidatePorts((5000, 5009), rng=random.Random(1)))
        self.assertEqual(sorted(ports), list(range(5000, 5010)))

    def test_largeRangeDistinctAndBounded(self):
        ports = list(candidatePorts((2000, 60000), attempts=20,
                                    rng=random.Random(2)))
        self.assertEqual(len(ports), 20)
        self.assertEqual(len(set(ports)), 20)
        self.assertTrue(all(2000 <= port <= 60000 for port in ports))

    def test_ephemeralFallsBackToAnyPort(self):
        ports = list(candidatePorts(EPHEMERAL_PORTS, attempts=3))
        self.assertEqual(ports[-1], 0)
        self.assertEqual(len(ports), 4)


class _SocketTransport:
    """
    The little of a TCP transport that L{SendfileConsumer} uses.
    """

    connected = True

    def __init__(self, sock):
        self.sock = sock
        self.reading = True

    def getHandle(self):
        return self.sock

    def stopReading(self):
        self.reading = False

    def startReading(self):
        self.reading = True


class SendfileConsumerTests(unittest.TestCase):
    """
    Zero-copy downloads: small files go out at once, large ones wait for
    room in the socket.
    """

    def setUp(self):
        self.server, self.client = socket.socketpair()
        self.server.setblocking(False)
        self.addCleanup(self.server.close)
        self.addCleanup(self.client.close)
        self.path = self.mktemp()

    def writeFile(self, data):
        with open(self.path, "wb") as f:
            f.write(data)
        fd = os.open(self.path, os.O_RDONLY)
        self.addCleanup(os.close, fd)
        return fd

    def test_smallFileAtOnce(self):
        """
        A file the socket buffer takes whole is sent without registering
        with the reactor.
        """
        fd = self.writeFile(b"x" * 16384)
        transport = _SocketTransport(self.server)
        consumer = SendfileConsumer(transport, reactor)
        sent = self.successResultOf(consumer.sendfile(fd, 100, 16284))
        self.assertEqual(sent, 16284)
        self.assertTrue(transport.reading)
        self.assertEqual(self.client.recv(65536), b"x" * 16284)

    async def test_largeFileWaitsForRoom(self):
        """
        A file larger than the socket buffer is sent as the peer reads,
        and the transport reads again afterwards.
        """
        data = os.urandom(8 * 1024 * 1024)
        fd = self.writeFile(data)
        received = []

        def drain():
            total = 0
            while total < len(data):
                chunk = self.client.recv(1 << 20)
                if not chunk:
                    break
                received.append(chunk)
                total += len(chunk)

        reader = threading.Thread(target=drain)
        reader.start()
        transport = _SocketTransport(self.server)
        consumer = SendfileConsumer(transport, reactor)
        sent = await consumer.sendfile(fd, 0, len(data))
        reader.join(10)
        self.assertEqual(sent, len(data))
        self.assertEqual(b"".join(received), data)
        self.assertTrue(transport.reading)

    def test_abortWhileWaiting(self):
        """
        Aborting a copy that waits for room fails it and releases the
        socket's descriptor.
        """
        data = b"y" * (16 * 1024 * 1024)
        fd = self.writeFile(data)
        transport = _SocketTransport(self.server)
        consumer = SendfileConsumer(transport, reactor)
        done = consumer.sendfile(fd, 0, len(data))
        self.assertNoResult(done)
        self.assertFalse(transport.reading)
        consumer.abort()
        self.failureResultOf(done)
        self.assertTrue(transport.reading)
        self.assertNotIn(self.server.fileno(),
                         [w.fileno() for w in reactor.getWriters()])


class PassiveListenerTests(unittest.TestCase):
    """
    L{PassiveListener.listen} binds where it can.
    """

    def test_foreignInterfaceFallsBackToAll(self):
        """
        An address that is not this host's (a load balancer's, reported by
        the PROXY protocol) makes the listener bind every address.
        """
        from twisted.internet.protocol import Factory

        from ftpkit.passive import PassiveListener

        listener = PassiveListener.listen(
            reactor, Factory(), "192.0.2.10", (20000, 60000))
        self.addCleanup(listener.stopListening)
        self.assertEqual(listener.socket.getsockname()[0], "0.0.0.0")
        with socket.create_connection(("127.0.0.1", listener.port),
                                      timeout=5):
            pass


class LeanConnectionTests(unittest.TestCase):
    """
    L{LeanConnection} and L{LeanConsumer}: a download over a bare socket.
    """

    def setUp(self):
        from ftpkit.data import LeanConnection

        with socket.create_server(("127.0.0.1", 0)) as listening:
            self.client = socket.create_connection(listening.getsockname())
            self.server, _ = listening.accept()
        self.server.setblocking(False)
        self.addCleanup(self.client.close)
        self.clock = Clock()
        self.connection = LeanConnection(self.server, self.clock, 60.0,
                                         lambda: None)

    def openSource(self, content=b"lean bytes"):
        """
        @return: the descriptor of a new file holding C{content}, closed
            when the test ends.
        """
        path = self.mktemp()
        with open(path, "wb") as f:
            f.write(content)
        fd = os.open(path, os.O_RDONLY)
        self.addCleanup(os.close, fd)
        return fd

    def test_sendAndFinish(self):
        from ftpkit.transfer import LeanConsumer

        fd = self.openSource()
        consumer = LeanConsumer(self.connection, reactor)
        self.assertEqual(self.successResultOf(consumer.sendfile(fd, 0, 10)),
                         10)
        lost = self.connection.whenLost()
        self.successResultOf(self.connection.finish())
        self.assertIsInstance(self.successResultOf(lost), ConnectionDone)
        self.assertEqual(self.client.recv(100), b"lean bytes")
        self.assertEqual(self.client.recv(100), b"")
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_freedWithoutGarbageCollector(self):
        """
        Once a C{sendfile} copy is over, its consumer and writer do not
        hold each other: they are freed as soon as nothing else refers to
        them, not by the cyclic garbage collector (a cycle per download
        made collections a visible share of a small file's time).
        """
        import gc
        import weakref

        from ftpkit.transfer import LeanConsumer

        fd = self.openSource()
        consumer = LeanConsumer(self.connection, reactor)
        self.successResultOf(consumer.sendfile(fd, 0, 10))
        writer = weakref.ref(consumer._writer)
        freed = weakref.ref(consumer)
        gc.collect()
        gc.disable()
        self.addCleanup(gc.enable)
        del consumer
        self.assertIsNone(freed())
        self.assertIsNone(writer())
        self.successResultOf(self.connection.finish())

    def test_abortResets(self):
        self.connection.abort()
        self.assertIsInstance(self.connection.lostReason, ConnectionAborted)
        self.assertRaises(ConnectionResetError, self.client.recv, 100)
        self.failureResultOf(self.connection.finish(), TransferAborted)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_stallDropsIt(self):
        self.connection.watch()
        self.clock.advance(61)
        self.assertTrue(self.connection.timedOut)
        self.assertIsInstance(self.connection.lostReason, ConnectionAborted)

    def test_spliceReceives(self):
        """
        C{spliceInto} moves what the client sends, up to its end, into the
        file at the position given.
        """
        if not splicing.available:
            raise unittest.SkipTest("no splice(2) here")
        idle = []
        self.patch(splicing, "_idlePipes", idle)
        self.client.sendall(b"spliced bytes")
        self.client.shutdown(socket.SHUT_WR)
        path = self.mktemp()
        fd = os.open(path, os.O_RDWR | os.O_CREAT)
        self.addCleanup(os.close, fd)
        done = self.connection.spliceInto(fd, 2, defer.maybeDeferred)
        self.assertEqual(self.successResultOf(done), 13)
        self.assertEqual(self.connection.bytesReceived, 13)
        self.assertEqual(os.pread(fd, 100, 0), b"\0\0spliced bytes")
        self.successResultOf(self.connection.finish())
        self.assertIsNone(self.connection._receiver)
        self.assertEqual(len(idle), 1)  # Empty, so kept for the next upload.

    def test_failedBatchClosesPipe(self):
        """
        After a batch that failed (bytes may be left in the pipe), the pipe
        is closed rather than kept for the next upload.
        """
        if not splicing.available:
            raise unittest.SkipTest("no splice(2) here")
        idle, taken = [], []
        self.patch(splicing, "_idlePipes", idle)
        openPipe = splicing.openPipe
        self.patch(splicing, "openPipe",
                   lambda: taken.append(openPipe()) or taken[-1])
        done = self.connection.spliceInto(
            99, 0, lambda *args: defer.fail(OSError(errno.EIO, "I/O")))
        self.failureResultOf(done, OSError)
        self.assertEqual(idle, [])
        for fd in taken[0]:
            self.assertRaises(OSError, os.fstat, fd)
        self.connection.abort()

    def test_abortWaitsForSpliceBatch(self):
        """
        An abort while a splice batch uses the socket in a thread closes
        the socket only once the batch is over; the upload then fails with
        L{TransferAborted}.
        """
        if not splicing.available:
            raise unittest.SkipTest("no splice(2) here")
        batch = defer.Deferred()
        done = self.connection.spliceInto(99, 0, lambda *args: batch)
        self.connection.abort()
        self.assertIsNone(self.connection.lostReason)
        self.assertNoResult(done)
        self.assertGreaterEqual(self.server.fileno(), 0)
        batch.callback((0, splicing.EMPTY))
        self.assertIsInstance(self.connection.lostReason, ConnectionAborted)
        self.failureResultOf(done, TransferAborted)
        self.assertEqual(self.server.fileno(), -1)
        self.assertRaises(ConnectionResetError, self.client.recv, 100)

    def test_watchOnlyWhenWaiting(self):
        """
        The watchdog starts only once a file does not go out at once.
        """
        from ftpkit.transfer import LeanConsumer

        self.assertEqual(self.clock.getDelayedCalls(), [])
        fd = self.openSource(b"x" * (64 << 20))
        consumer = LeanConsumer(self.connection, reactor)
        sending = consumer.sendfile(fd, 0, 64 << 20)
        self.assertNoResult(sending)
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        consumer.abort()
        self.failureResultOf(sending)
        self.connection.abort()
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_warmBeforeUncachedRange(self):
        """
        A range not in memory is read in by C{warm} before C{sendfile}
        copies it; meanwhile nothing is sent and the watchdog runs.
        """
        from ftpkit import transfer
        from ftpkit.transfer import LeanConsumer

        fd = self.openSource(b"warm bytes")
        cached = [False]
        self.patch(transfer, "isCached", lambda fd, offset, count: cached[0])
        warming = defer.Deferred()
        asked = []

        def warm(offset, count):
            asked.append((offset, count))
            return warming

        consumer = LeanConsumer(self.connection, reactor)
        sending = consumer.sendfile(fd, 0, 10, warm)
        self.assertNoResult(sending)
        self.assertEqual(asked, [(0, 10)])
        self.assertEqual(consumer.bytesSent, 0)
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        cached[0] = True
        warming.callback(None)
        self.assertEqual(self.successResultOf(sending), 10)
        self.successResultOf(self.connection.finish())
        self.assertEqual(self.client.recv(100), b"warm bytes")

    def test_warmFailureFailsTheCopy(self):
        """
        A failed C{warm} fails the copy with its error.
        """
        from ftpkit import transfer
        from ftpkit.errors import LocalError
        from ftpkit.transfer import LeanConsumer

        self.patch(transfer, "isCached", lambda fd, offset, count: False)
        consumer = LeanConsumer(self.connection, reactor)
        sending = consumer.sendfile(0, 0, 10, lambda o, c: defer.fail(LocalError()))
        self.failureResultOf(sending, LocalError)
        self.connection.abort()

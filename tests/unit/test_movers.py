"""
Tests for L{ftpkit.data.movers}: consumers and ASCII translation, and
C{sendfile} downloads, paced or not; and the helpers the movers' tests
share (a file offering only its descriptor, clocks that stand for a
reactor, a lean connection over a real socket).

Downloads and spliced uploads over a lean connection are tested in
L{tests.unit.test_leanconnection}.
"""

import os
import socket
import threading

from twisted.internet import defer, reactor
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.data.movers import _sendfile
from ftpkit.data.movers.consumers import (
    ASCIIConsumer,
    ASCIIDecoder,
    ASCIIEncoder,
    ASCIIUploadConsumer,
    encodeASCII,
)
from ftpkit.data.movers.pacing import Pacer, RateLimit
from ftpkit.fileinfo import FileDescriptor
from ftpkit.interfaces import IDescriptorFile
from tests.scratch import scratchDirectory


class ASCIITests(unittest.SynchronousTestCase):
    """
    TYPE A translation, both ways.
    """

    def test_encode(self):
        self.assertEqual(encodeASCII(b"a\nb\n"), b"a\r\nb\r\n")

    def test_encodeKeepsCRLF(self):
        """
        An LF after a CR already is a network line end: no second CR.
        """
        self.assertEqual(encodeASCII(b"a\r\nb\r\r\nc\rd"),
                         b"a\r\nb\r\r\nc\rd")
        self.assertEqual(encodeASCII(b"\nx\n", afterCR=True), b"\nx\r\n")

    def test_encodeAcrossChunks(self):
        """
        A CRLF split between two chunks keeps its one CR.
        """
        encoder = ASCIIEncoder()
        out = b"".join(encoder.encode(chunk) for chunk in
                       (b"a\r", b"\nb\r", b"", b"\n", b"\n", b"c\n"))
        self.assertEqual(out, b"a\r\nb\r\n\r\nc\r\n")

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
        """
        A TYPE A download's consumer counts the bytes it sent, and the
        file's bytes they were made of.
        """
        sink = StringTransport()
        consumer = ASCIIConsumer(sink)
        consumer.write(b"a\nb\n")
        self.assertEqual(sink.value(), b"a\r\nb\r\n")
        self.assertEqual(consumer.bytesSent, 6)
        self.assertEqual(consumer.fileBytes, 4)


class _SocketTransport:
    """
    The little of a TCP transport that L{_sendfile.SendfileWriter} uses.
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


def immediateDescriptor(fd, offset=0, size=None, run=defer.maybeDeferred,
                        commit=None):
    """
    @return: a L{FileDescriptor} whose blocking calls run at once.
    """
    return FileDescriptor(fd, offset, size, run, commit)


@implementer(IDescriptorFile)
class DescriptorOnlyFile:
    """
    An open file offering only its L{FileDescriptor}.
    """

    def __init__(self, descriptor):
        self._descriptor = descriptor

    def descriptor(self):
        """
        @return: the L{FileDescriptor} given.
        """
        return self._descriptor


class SendfileWriterTests(unittest.TestCase):
    """
    Zero-copy downloads: small files go out at once, large ones wait for
    room in the socket.
    """

    def setUp(self):
        self.server, self.client = socket.socketpair()
        self.server.setblocking(False)
        self.addCleanup(self.server.close)
        self.addCleanup(self.client.close)
        self.path = os.path.join(scratchDirectory(self), "file")

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
        writer = _sendfile.SendfileWriter(
            reactor, self.server.fileno(), transport,
            immediateDescriptor(fd, 100, 16284))
        self.assertFalse(writer.start())
        sent = self.successResultOf(writer.done)
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
        writer = _sendfile.SendfileWriter(
            reactor, self.server.fileno(), transport,
            immediateDescriptor(fd, 0, len(data)))
        writer.start()
        sent = await writer.done
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
        writer = _sendfile.SendfileWriter(
            reactor, self.server.fileno(), transport,
            immediateDescriptor(fd, 0, len(data)))
        writer.start()
        done = writer.done
        self.assertNoResult(done)
        self.assertFalse(transport.reading)
        writer.stop()
        self.failureResultOf(done)
        self.assertTrue(transport.reading)
        self.assertNotIn(self.server.fileno(),
                         [w.fileno() for w in reactor.getWriters()])


class TickingReactor(Clock):
    """
    A L{Clock} whose time moves on a millisecond at each reading, as a
    real one does while code runs; and that takes writers, as a reactor
    would watch them.
    """

    def __init__(self):
        Clock.__init__(self)
        self.writers = []

    def seconds(self):
        self.rightNow += 0.001
        return self.rightNow

    def addWriter(self, writer):
        self.writers.append(writer)

    def removeWriter(self, writer):
        self.writers.remove(writer)


class PacedSendfileTests(unittest.TestCase):
    """
    A paced C{sendfile} download leaves the reactor once the pacer has
    given what it had.
    """

    def test_waitsForThePacer(self):
        """
        The first turn sends one burst (4 KiB at 16 KiB a second) and then
        waits on a timer: it went on asking the pacer for what time had
        added meanwhile, a few bytes a C{sendfile}, until the whole file
        was gone, holding the reactor (every other session of the
        process, signals and, under C{--workers}, the acceptor's pings)
        for the whole download. Timer after timer, the file arrives whole.
        """
        server, client = socket.socketpair()
        server.setblocking(False)
        self.addCleanup(server.close)
        self.addCleanup(client.close)
        path = os.path.join(scratchDirectory(self), "file")
        data = os.urandom(64 * 1024)
        with open(path, "wb") as f:
            f.write(data)
        fd = os.open(path, os.O_RDONLY)
        self.addCleanup(os.close, fd)
        clock = TickingReactor()
        pacer = Pacer([RateLimit(16 * 1024, clock)])
        writer = _sendfile.SendfileWriter(
            clock, server.fileno(), _SocketTransport(server),
            immediateDescriptor(fd, 0, len(data)), pacer)
        self.assertTrue(writer.start())
        self.assertLessEqual(writer.sent, 4 * 1024 + 64)
        self.assertEqual(len(clock.getDelayedCalls()), 1)
        turns = 0
        while not writer.finished and turns < 1000:
            clock.advance(clock.getDelayedCalls()[0].getTime()
                          - clock.rightNow)
            turns += 1
        self.assertEqual(self.successResultOf(writer.done), len(data))
        self.assertGreater(turns, 10)
        received = b""
        while len(received) < len(data):
            received += client.recv(65536)
        self.assertEqual(received, data)


class ReadersClock(Clock):
    """
    A L{Clock} that also keeps the readers added to it, as a reactor
    would watch them.
    """

    def __init__(self):
        Clock.__init__(self)
        self.readers = []

    def addReader(self, reader):
        self.readers.append(reader)

    def removeReader(self, reader):
        self.readers.remove(reader)

    def getReaders(self):
        """
        @return: the readers watched now.
        """
        return list(self.readers)

    def removeAll(self):
        """
        Stop watching every reader, telling none (as trial's cleanup of
        a dirty reactor does).

        @return: the readers.
        """
        readers, self.readers = self.readers, []
        return readers


class LeanConnectionMixin:
    """
    A test with a L{LeanConnection} (C{self.connection}) over the server
    side (C{self.server}, non-blocking) of a TCP connection on 127.0.0.1,
    its client side C{self.client}, a L{ReadersClock} (C{self.clock})
    for its reactor.
    """

    def setUp(self):
        from ftpkit.data.connection import LeanConnection

        with socket.create_server(("127.0.0.1", 0)) as listening:
            self.client = socket.create_connection(listening.getsockname())
            self.server, _ = listening.accept()
        self.server.setblocking(False)
        self.addCleanup(self.client.close)
        self.clock = ReadersClock()
        self.connection = LeanConnection(self.server, self.clock, 60.0,
                                         lambda: None)


class IdlePipesTests(unittest.SynchronousTestCase):
    """
    The splice pipes kept for the next uploads are closed by
    L{ftpkit.data.descriptors.releaseIdle}.
    """

    def test_released(self):
        """
        Pipes given back empty are kept; L{releaseIdle} closes them all
        and says how many descriptors it closed; the next upload makes a
        new one.
        """
        from ftpkit.data.descriptors import releaseIdle
        from ftpkit.data.movers import _pipes

        releaseIdle()
        taken = [_pipes.takePipe() for _ in range(3)]
        for pipe in taken:
            _pipes.releasePipe(pipe, True)
        self.assertEqual(releaseIdle(), 6)
        for pipe in taken:
            for fd in pipe:
                self.assertRaises(OSError, os.fstat, fd)
        self.assertEqual(releaseIdle(), 0)
        pipe = _pipes.takePipe()
        self.addCleanup(lambda: [os.close(fd) for fd in pipe])
        os.fstat(pipe[0])

"""
The pieces of C{MODE Z} (L{ftpkit.data.movers._deflate}): a download's
bytes compressed after their TYPE A conversion, an upload's inflated with
backpressure and a bound on what one C{write} hands on.
"""

import os
import zlib

from twisted.internet.defer import Deferred, succeed
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase

from ftpkit.data.movers import TLS_BUFFER_SIZE, Download, Upload
from ftpkit.data.movers._deflate import (
    CORRUPT,
    ENDED_EARLY,
    INFLATE_CHUNK,
    INFLATE_INPUT,
    DeflatingConsumer,
    InflatingConsumer,
)
from ftpkit.errors import TransferAborted, UploadTooLarge


class Collecting(StringTransport):
    """
    A consumer that keeps each write, and pauses its producer after
    C{pauseAfter} writes (then again after each resume).
    """

    def __init__(self, pauseAfter=None):
        StringTransport.__init__(self)
        self.chunks = []
        self._pauseAfter = pauseAfter
        self._writes = 0

    def write(self, data):
        self.chunks.append(data)
        self._writes += 1
        if self._pauseAfter is not None and self._writes >= self._pauseAfter:
            self._writes = 0
            self.producer.pauseProducing()


class Connection:
    """
    A data connection that records being dropped.
    """

    aborted = False

    def abort(self):
        self.aborted = True


class DeflatingConsumerTests(SynchronousTestCase):
    """
    L{DeflatingConsumer}.
    """

    def test_oneStream(self):
        """
        The writes and L{DeflatingConsumer.finish} make one zlib stream of
        the data; the count is of the data.
        """
        wire = Collecting()
        clock = Clock()
        consumer = DeflatingConsumer(wire, 9, clock)
        data = [b"a" * 100000, b"b" * 5, b""]
        for each in data:
            consumer.write(each)
        finishing = consumer.finish("sent")
        clock.advance(0)
        self.assertEqual(self.successResultOf(finishing), "sent")
        compressed = b"".join(wire.chunks)
        self.assertEqual(zlib.decompress(compressed), b"".join(data))
        self.assertLess(len(compressed), 1000)
        self.assertEqual(consumer.bytesSent, 100005)

    def test_empty(self):
        """
        An empty file is an empty zlib stream.
        """
        wire = Collecting()
        self.successResultOf(DeflatingConsumer(wire, 6, Clock()).finish())
        self.assertEqual(zlib.decompress(b"".join(wire.chunks)), b"")

    def test_asciiFirst(self):
        """
        In TYPE A line ends become CRLF before compression, across writes;
        the count is of the converted bytes.
        """
        wire = Collecting()
        consumer = DeflatingConsumer(wire, 6, Clock(), ascii=True)
        consumer.write(b"one\ntwo\r")
        consumer.write(b"\nthree\n")
        self.successResultOf(consumer.finish())
        self.assertEqual(zlib.decompress(b"".join(wire.chunks)),
                         b"one\r\ntwo\r\nthree\r\n")
        self.assertEqual(consumer.bytesSent, len(b"one\r\ntwo\r\nthree\r\n"))


class InflatingConsumerTests(SynchronousTestCase):
    """
    L{InflatingConsumer}.
    """

    def inflating(self, pauseAfter=None):
        self.file = Collecting(pauseAfter)
        self.connection = Connection()
        self.producer = StringTransport()
        consumer = InflatingConsumer(self.file, self.connection)
        consumer.registerProducer(self.producer, True)
        return consumer

    def test_roundTrip(self):
        """
        A stream written in pieces is inflated whole; it ends cleanly.
        """
        data = bytes(range(256)) * 1000
        stream = zlib.compress(data)
        consumer = self.inflating()
        for start in range(0, len(stream), 7):
            consumer.write(stream[start:start + 7])
        consumer.unregisterProducer()
        self.assertEqual(b"".join(self.file.chunks), data)
        self.assertIsNone(self.file.producer)
        self.assertIsNone(self.successResultOf(consumer.whenEnded()))
        self.assertEqual(consumer.bytesInflated, len(data))

    def test_boundedWrites(self):
        """
        A small write of a huge inflation is handed on in chunks of at
        most L{INFLATE_CHUNK}; the file pausing stops it (and the
        connection) until it resumes.
        """
        stream = zlib.compress(b"\0" * (40 * INFLATE_CHUNK), 9)
        consumer = self.inflating(pauseAfter=3)
        consumer.write(stream)
        self.assertEqual(len(self.file.chunks), 3)
        self.assertEqual(self.producer.producerState, "paused")
        self.assertEqual({len(c) for c in self.file.chunks}, {INFLATE_CHUNK})
        consumer.unregisterProducer()
        self.assertIsNotNone(self.file.producer)
        while self.file.producer is not None:
            consumer.resumeProducing()
        self.assertEqual(b"".join(self.file.chunks), b"\0" * (40 * INFLATE_CHUNK))
        self.successResultOf(consumer.whenEnded())

    def test_boundedInput(self):
        """
        The inflater is given at most L{INFLATE_INPUT} bytes a call,
        however many one write brought: zlib copies what a call leaves
        unused, which for a bomb was nearly all of it at each
        L{INFLATE_CHUNK} handed on.
        """
        given = []
        real = zlib.decompressobj

        class Recording:
            def __init__(self):
                self._inflater = real()

            def decompress(self, data, maxLength):
                given.append(len(data))
                return self._inflater.decompress(data, maxLength)

            def __getattr__(self, name):
                return getattr(self._inflater, name)

        self.patch(zlib, "decompressobj", Recording)
        data = b"\0" * (64 * INFLATE_CHUNK) + os.urandom(3 * INFLATE_INPUT)
        stream = zlib.compress(data, 9)
        consumer = self.inflating()
        consumer.write(stream[:100])
        consumer.write(stream[100:])
        consumer.unregisterProducer()
        self.successResultOf(consumer.whenEnded())
        self.assertEqual(b"".join(self.file.chunks), data)
        self.assertLessEqual(max(given), INFLATE_INPUT)

    def test_trailingAfterWindow(self):
        """
        Bytes after the stream's end are refused as corrupt where the
        stream ends at the end of what the inflater was given, the
        bytes after it beyond that.
        """
        overhead = len(zlib.compress(b"x" * INFLATE_INPUT, 0)) - INFLATE_INPUT
        head = zlib.compress(b"x" * (2 * INFLATE_INPUT - overhead), 0)
        self.assertEqual(len(head), 2 * INFLATE_INPUT)
        stream = head + b"junk"
        consumer = self.inflating()
        consumer.write(stream)
        self.assertTrue(self.connection.aborted)
        self.assertEqual(consumer.error.message, CORRUPT)

    def test_inputWithoutOutput(self):
        """
        A stream whose first L{INFLATE_INPUT} bytes inflate to nothing
        (empty stored blocks, as a flush of nothing makes) goes on to the
        bytes after them within the same write: it ends cleanly.
        """
        data = b"hello" * 1000
        deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        body = deflater.compress(data) + deflater.flush()
        empty = b"\x00\x00\x00\xff\xff"
        stream = (b"\x78\x9c" + empty * (INFLATE_INPUT // len(empty) + 1)
                  + body + zlib.adler32(data).to_bytes(4, "big"))
        consumer = self.inflating()
        consumer.write(stream)
        consumer.unregisterProducer()
        self.successResultOf(consumer.whenEnded())
        self.assertEqual(b"".join(self.file.chunks), data)

    def test_writtenWhilePaused(self):
        """
        Bytes that arrive while the file is paused, part of what is held
        already inflated, follow what is held: the file gets the stream's
        data once, in order.
        """
        data = b"\0" * (8 * INFLATE_CHUNK) + os.urandom(1000)
        stream = zlib.compress(data, 9)
        consumer = self.inflating(pauseAfter=1)
        consumer.write(stream[:len(stream) // 2])
        self.assertEqual(len(self.file.chunks), 1)
        consumer.write(stream[len(stream) // 2:])
        consumer.unregisterProducer()
        while self.file.producer is not None:
            consumer.resumeProducing()
        self.successResultOf(consumer.whenEnded())
        self.assertEqual(b"".join(self.file.chunks), data)

    def test_pausedWhileHolding(self):
        """
        The connection stays paused while inflated bytes wait, and is
        resumed once everything held went to the file.
        """
        stream = zlib.compress(b"\0" * (8 * INFLATE_CHUNK))
        consumer = self.inflating(pauseAfter=2)
        consumer.write(stream)
        self.assertEqual(self.producer.producerState, "paused")
        for _ in range(3):
            consumer.resumeProducing()
        self.assertEqual(self.producer.producerState, "paused")
        consumer.resumeProducing()
        self.assertEqual(self.producer.producerState, "producing")

    def test_corrupt(self):
        """
        Bytes that are not a zlib stream drop the connection; the end
        fails with L{CORRUPT}.
        """
        consumer = self.inflating()
        consumer.write(b"this is not zlib")
        consumer.write(b"more")
        self.assertTrue(self.connection.aborted)
        consumer.unregisterProducer()
        failure = self.failureResultOf(consumer.whenEnded(), TransferAborted)
        self.assertEqual(failure.value.message, CORRUPT)
        self.assertEqual(self.file.chunks, [])

    def test_trailingBytes(self):
        """
        Bytes after the stream's end are refused as corrupt.
        """
        consumer = self.inflating()
        consumer.write(zlib.compress(b"data") + b"junk")
        self.assertTrue(self.connection.aborted)
        self.assertEqual(consumer.error.message, CORRUPT)

    def test_endedEarly(self):
        """
        A stream cut before its end fails with L{ENDED_EARLY}, the bytes
        it brought handed on.
        """
        data = b"x" * 1000 + bytes(range(256))
        consumer = self.inflating()
        consumer.write(zlib.compress(data)[:-6])
        ended = consumer.whenEnded()
        self.assertNoResult(ended)
        consumer.unregisterProducer()
        failure = self.failureResultOf(ended, TransferAborted)
        self.assertEqual(failure.value.message, ENDED_EARLY)
        self.assertTrue(b"".join(self.file.chunks))

    def test_nothingSent(self):
        """
        An upload that sent no byte at all is an empty file.
        """
        consumer = self.inflating()
        consumer.unregisterProducer()
        self.successResultOf(consumer.whenEnded())
        self.assertEqual(self.file.chunks, [])

    def test_abort(self):
        """
        L{InflatingConsumer.abort} drops what is held: nothing more
        reaches the file.
        """
        stream = zlib.compress(b"\0" * (8 * INFLATE_CHUNK))
        consumer = self.inflating(pauseAfter=1)
        consumer.write(stream)
        consumer.abort()
        consumer.resumeProducing()
        self.assertEqual(len(self.file.chunks), 1)


class _HeldFile:
    """
    An L{IReadFile} of C{size} bytes whose send the test ends.
    """

    size = 3

    def send(self, consumer):
        self.consumer = consumer
        self.sending = Deferred()
        return self.sending


class _Connection:
    """
    A Twisted data connection, as L{Download.startNow} reads it.
    """

    bare = False
    secured = True

    def __init__(self, isSecure=False):
        self.transport = StringTransport()
        self.isSecure = isSecure
        self.socketTransport = StringTransport()
        self.socketTransport.bufferSize = 65536

    def discardReceived(self):
        pass


class DeflatedDownloadTests(SynchronousTestCase):
    """
    L{Download} in C{MODE Z}.
    """

    def test_sentWholeWaitsForTheStreamEnd(self):
        """
        A download whose every byte went to the compressor is not sent
        whole until the stream's end is written: an C{ABOR} then would
        have been answered C{226} for a stream the client cannot inflate.
        """
        readFile = _HeldFile()
        download = Download(readFile, True, Clock(), deflate=6)
        self.assertFalse(download.bareSocket)
        self.assertFalse(download.sentWhole())
        connection = _Connection()
        sending = download.startNow(connection)
        readFile.consumer.write(b"abc")
        self.assertEqual(download.bytesMoved, 3)
        self.assertFalse(download.sentWhole())
        readFile.sending.callback(3)
        self.assertEqual(self.successResultOf(sending), 3)
        self.assertTrue(download.sentWhole())
        self.assertEqual(zlib.decompress(connection.transport.value()),
                         b"abc")

    def test_asciiSentWhole(self):
        """
        In C{TYPE A} a download is whole once every byte of the file went
        through the conversion and the stream's end is written, although
        the conversion made more bytes than the file has.
        """
        readFile = _HeldFile()
        download = Download(readFile, False, Clock(), deflate=6)
        connection = _Connection()
        sending = download.startNow(connection)
        readFile.consumer.write(b"a\nb")
        readFile.sending.callback(3)
        self.successResultOf(sending)
        self.assertTrue(download.sentWhole())
        self.assertEqual(zlib.decompress(connection.transport.value()),
                         b"a\r\nb")

    def test_tlsBufferSize(self):
        """
        Under TLS every download through Python lets as much ciphertext
        queue as a C{TYPE I} one in C{MODE S} (L{TLS_BUFFER_SIZE}), in
        C{MODE Z} and in C{TYPE A} too; in clear the buffer is Twisted's.
        """
        for binary in (True, False):
            for deflate in (None, 6):
                for secure, size in ((True, TLS_BUFFER_SIZE),
                                     (False, 65536)):
                    connection = _Connection(secure)
                    Download(_HeldFile(), binary, Clock(),
                             deflate=deflate).startNow(connection)
                    self.assertEqual(
                        connection.socketTransport.bufferSize, size,
                        (binary, deflate, secure))


class AsciiSentWholeTests(SynchronousTestCase):
    """
    L{Download.sentWhole} in C{TYPE A} and C{MODE S}, whose file's bytes
    are counted as in C{MODE Z} (L{_HeldFile} and L{_Connection}).
    """

    def test_partlySent(self):
        """
        A download whose conversion made as many bytes as the file has,
        of only part of the file, is not sent whole: the file's bytes
        taken are compared with its size, not the bytes they made.
        """
        readFile = _HeldFile()
        download = Download(readFile, False, None)
        download.startNow(_Connection())
        readFile.consumer.write(b"\n\n")
        self.assertEqual(download.bytesMoved, 4)
        self.assertFalse(download.sentWhole())
        readFile.consumer.write(b"\n")
        self.assertTrue(download.sentWhole())


class _UploadConnection(Connection):
    """
    A Twisted data connection, as L{Upload.startNow} reads it, that
    hands C{sent} to its consumer in one write and ends.
    """

    bare = False
    drained = False

    def __init__(self, sent):
        self.sent = sent
        self.bytesReceived = len(sent)

    def receiveInto(self, consumer):
        consumer.registerProducer(StringTransport(), True)
        consumer.write(self.sent)
        consumer.unregisterProducer()
        return succeed(None)

    def drainRefused(self):
        self.drained = True


class _WriteFile:
    """
    An L{IWriteFile} whose consumer is a L{Collecting}.
    """

    def __init__(self):
        self.consumer = Collecting()

    def receive(self):
        return succeed(self.consumer)


class DeflatedUploadTests(SynchronousTestCase):
    """
    L{Upload} in C{MODE Z}.
    """

    def test_limitStopsInflating(self):
        """
        Past C{--max-upload-size}, what the stream still holds is not
        inflated: a small upload of a huge inflation stops one chunk past
        the limit, and fails with L{UploadTooLarge}.
        """
        limit = 2 * INFLATE_CHUNK
        connection = _UploadConnection(
            zlib.compress(b"\0" * (64 * INFLATE_CHUNK)))
        writeFile = _WriteFile()
        upload = Upload(writeFile, True, None, limit=limit, deflate=6)
        failure = self.failureResultOf(
            Deferred.fromCoroutine(upload.startNow(connection)),
            UploadTooLarge)
        self.assertTrue(connection.drained, failure)
        self.assertLessEqual(upload.bytesMoved, limit + INFLATE_CHUNK)
        self.assertLessEqual(len(b"".join(writeFile.consumer.chunks)), limit)

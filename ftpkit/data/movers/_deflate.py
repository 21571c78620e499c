"""
The mechanics of C{MODE Z} (draft-preston-ftpext-deflate, as ProFTPD's
mod_deflate and FileZilla speak it): a data connection carries one zlib
stream (deflate with a zlib header) per transfer. L{DeflatingConsumer}
compresses a download's bytes (after the TYPE A conversion) on their way
to the data connection; L{InflatingConsumer} inflates an upload's bytes on
their way to the file, never more than L{INFLATE_CHUNK} bytes at a time
and none while the file's consumer is paused, so that a small upload of a
huge file of zeros (a decompression bomb) is written as it is inflated,
its size limits seeing the inflated bytes, and held in memory no more than
any upload. Private to L{ftpkit.data.movers}.
"""

import zlib

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.interfaces import IConsumer, IPushProducer
from zope.interface import implementer

from ftpkit.data.movers.consumers import ASCIIEncoder
from ftpkit.data.producers import ConsumerFilter
from ftpkit.errors import TransferAborted

INFLATE_CHUNK = 64 * 1024
"""The most inflated bytes handed to an upload's file in one C{write}."""

INFLATE_INPUT = 16 * 1024
"""The most compressed bytes given the inflater in one call. zlib copies
the input a call leaves unused (C{unconsumed_tail}), and a bomb's call
uses a few dozen bytes for its L{INFLATE_CHUNK} of output: given all it
held (a read of up to a megabyte), each chunk written copied that
megabyte."""

CORRUPT = "Data connection: the MODE Z (deflate) stream is corrupt"
"""The text of the C{426} of an upload whose stream does not inflate."""

ENDED_EARLY = "Data connection: the MODE Z (deflate) stream ended early"
"""The text of the C{426} of an upload whose stream ended unfinished."""


class DeflatingConsumer(ConsumerFilter):
    """
    A download's bytes, converted to TYPE A first if asked, compressed into
    one zlib stream on the way to the connection's consumer; L{finish}
    ends the stream.

    @ivar bytesSent: the bytes given to the compressor (the data, as
        C{MODE S} would have sent it).
    @ivar fileBytes: the file's bytes written to it, before any TYPE A
        conversion.
    """

    def __init__(self, consumer, level, ascii=False):
        """
        @param consumer: the consumer of the data connection (an
            L{ftpkit.data.movers.consumers.TransportConsumer}).
        @param level: the zlib compression level, 0 to 9.
        @param ascii: convert LF to CRLF first (TYPE A).
        """
        ConsumerFilter.__init__(self, consumer)
        self._compressor = zlib.compressobj(level)
        self._encoder = ASCIIEncoder() if ascii else None
        self.bytesSent = 0
        self.fileBytes = 0

    def write(self, data):
        """
        @see: L{IConsumer.write}
        """
        self.fileBytes += len(data)
        if self._encoder is not None:
            data = self._encoder.encode(data)
        self.bytesSent += len(data)
        compressed = self._compressor.compress(data)
        if compressed:
            self._consumer.write(compressed)

    @property
    def finished(self):
        """
        @return: whether L{finish} wrote the end of the stream.
        """
        return self._compressor is None

    def finish(self, result=None):
        """
        End the zlib stream (once every byte was written).

        @param result: passed through (a callback of the send).
        @return: C{result}.
        """
        compressor, self._compressor = self._compressor, None
        if compressor is not None:
            self._consumer.write(compressor.flush())
        return result


@implementer(IConsumer, IPushProducer)
class InflatingConsumer:
    """
    An upload's zlib stream inflated into the consumer behind it (its
    file's, through the size limit and the TYPE A conversion), with
    backpressure both ways: the upload's producer (its data connection)
    is paused while inflated bytes wait for a paused file.

    The stream must end (its zlib end) before the connection does, and
    nothing may follow it; an upload that sent no byte at all is an empty
    file. A stream that does not inflate drops the connection
    (L{error}: L{CORRUPT}).

    @ivar error: the L{TransferAborted} that ended the upload, or C{None}.
    @ivar bytesInflated: the bytes handed to the consumer behind.
    """

    error = None
    bytesInflated = 0
    _tail = b""
    _used = 0
    _more = _received = _paused = _pumping = False
    _producerPaused = _ending = _ended = False
    _producer = _waiting = None

    def __init__(self, consumer, connection):
        """
        @param consumer: the L{IConsumer} that gets the inflated bytes.
        @param connection: the data connection, dropped when the stream is
            corrupt.
        """
        self._consumer = consumer
        self._connection = connection
        self._inflater = zlib.decompressobj()

    def registerProducer(self, producer, streaming):
        """
        @see: L{IConsumer.registerProducer}: the consumer behind pauses
            this one, which pauses C{producer}.
        """
        self._producer = producer
        self._consumer.registerProducer(self, True)

    def write(self, data):
        """
        @see: L{IConsumer.write}
        """
        if self.error is not None or not data:
            return
        self._received = True
        self._tail = self._tail[self._used:] + data
        self._used = 0
        self._more = True
        self._pump()

    def _pump(self):
        """
        Inflate what is held while the consumer behind takes it.
        """
        if self._pumping:
            return
        self._pumping = True
        try:
            inflater = self._inflater
            while self._more and not self._paused and self.error is None:
                given = memoryview(self._tail)[
                    self._used:self._used + INFLATE_INPUT]
                try:
                    out = inflater.decompress(given, INFLATE_CHUNK)
                except zlib.error:
                    self._fail(CORRUPT)
                    break
                used = len(given) - len(inflater.unconsumed_tail)
                self._used += used
                if inflater.unused_data or (
                        inflater.eof and self._used < len(self._tail)):
                    # Bytes after the stream's end.
                    self._fail(CORRUPT)
                    break
                if self._used == len(self._tail):
                    self._tail = b""
                    self._used = 0
                self._more = bool(out) or (used > 0 and self._tail != b"")
                if out:
                    self.bytesInflated += len(out)
                    self._consumer.write(out)
        finally:
            self._pumping = False
        producer = self._producer
        if producer is not None and self.error is None:
            if self._more and not self._producerPaused:
                self._producerPaused = True
                producer.pauseProducing()
            elif not (self._more or self._paused) and self._producerPaused:
                self._producerPaused = False
                producer.resumeProducing()
        if self._ending and not self._more:
            self._end()

    def _fail(self, text):
        """
        End the upload: its stream is bad.
        """
        self.error = TransferAborted(text)
        self._tail = b""
        self._used = 0
        self._more = False
        self._connection.abort()

    def pauseProducing(self):
        """
        @see: L{IPushProducer.pauseProducing}
        """
        self._paused = True
        if self._producer is not None and not self._producerPaused:
            self._producerPaused = True
            self._producer.pauseProducing()

    def resumeProducing(self):
        """
        @see: L{IPushProducer.resumeProducing}
        """
        self._paused = False
        self._pump()

    def stopProducing(self):
        """
        @see: L{IPushProducer.stopProducing}
        """
        self.abort()
        if self._producer is not None:
            self._producer.stopProducing()

    def abort(self):
        """
        Drop what is held (the upload was cut).
        """
        self._tail = b""
        self._used = 0
        self._more = False

    def unregisterProducer(self):
        """
        @see: L{IConsumer.unregisterProducer}: the connection has ended;
            the consumer behind is unregistered once what is held is
            inflated (L{whenEnded}).
        """
        self._producer = None
        self._ending = True
        if not self._more:
            self._end()

    def _end(self):
        """
        Everything is inflated: check that the stream ended, unregister.
        """
        if self._ended:
            return
        self._ended = True
        if (self.error is None and self._received
                and not self._inflater.eof):
            self.error = TransferAborted(ENDED_EARLY)
        self._consumer.unregisterProducer()
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            if self.error is None:
                waiting.callback(None)
            else:
                waiting.errback(self.error)

    def whenEnded(self):
        """
        @return: a Deferred firing once every byte received was inflated
            into the consumer behind, failing with L{error} when the stream
            was bad or ended early.
        """
        if self._ended:
            return succeed(None) if self.error is None else fail(self.error)
        waiting = self._waiting = Deferred()
        return waiting

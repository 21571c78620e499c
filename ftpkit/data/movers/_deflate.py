"""
The mechanics of C{MODE Z} (draft-preston-ftpext-deflate, as ProFTPD's
mod_deflate and FileZilla speak it): a data connection carries one zlib
stream (deflate with a zlib header) per transfer. L{DeflatingConsumer}
compresses a download's bytes (after the TYPE A conversion) on their way
to the data connection, never more than L{DEFLATE_INPUT} bytes a
reactor turn, so that other sessions are served between;
L{InflatingConsumer} inflates an upload's bytes on their way to the
file, never more than L{INFLATE_CHUNK} bytes at a time and none while
the file's consumer is paused, so that a small upload of a
huge file of zeros (a decompression bomb) is written as it is inflated,
its size limits seeing the inflated bytes, and held in memory no more than
any upload. Private to L{ftpkit.data.movers}.
"""

import zlib

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.error import ConnectionLost
from twisted.internet.interfaces import IConsumer, IPushProducer
from zope.interface import implementer

from ftpkit.data.movers.consumers import ASCIIEncoder
from ftpkit.errors import TransferAborted

DEFLATE_INPUT = 64 * 1024
"""The most bytes of a download (before any TYPE A conversion) compressed
in one reactor turn. A file's producer writes up to a megabyte at a time
(a disk read) and the compressed bytes, few, rarely fill the connection's
buffer to pause it: compressed whole, each write held the reactor for
tens of milliseconds, several downloads' writes in one turn, while every
other session of the process waited. A socket read's worth, as an
upload's inflater gets: a short turn, and few turns more per file
(docs/benchmark-investigations.rst, bench-modezdown-46)."""

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


@implementer(IPushProducer)
class _HoldingProducer:
    """
    The producer half of a consumer that holds bytes between a producer
    and the consumer behind it: paused by the consumer behind, it pauses
    the producer; resumed, it goes on (C{_pump}); stopped, it drops what
    it holds (C{abort}) and stops the producer.
    """

    _producer = None
    _streaming = True
    _paused = _producerPaused = False

    def pauseProducing(self):
        """
        @see: L{IPushProducer.pauseProducing}
        """
        self._paused = True
        if (self._producer is not None and self._streaming
                and not self._producerPaused):
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


@implementer(IConsumer)
class DeflatingConsumer(_HoldingProducer):
    """
    A download's bytes, converted to TYPE A first if asked, compressed into
    one zlib stream on the way to the connection's consumer, never more
    than L{DEFLATE_INPUT} bytes of them a reactor turn: what a write
    brings beyond that waits here, the file's producer paused, for the
    next turns. The connection's consumer pausing this one pauses the
    compression (and so the file's producer). L{finish} ends the stream
    once every byte written was compressed.

    @ivar bytesSent: the bytes given to the compressor (the data, as
        C{MODE S} would have sent it).
    @ivar fileBytes: the file's bytes compressed so far, before any TYPE A
        conversion.
    """

    bytesSent = fileBytes = 0
    _used = _spent = _writes = 0
    _held = b""
    _turn = _waiting = None
    _pumping = _pulling = _stopped = False
    _ending = _ended = False

    def __init__(self, consumer, level, clock, ascii=False):
        """
        @param consumer: the consumer of the data connection (an
            L{ftpkit.data.movers.consumers.TransportConsumer}).
        @param level: the zlib compression level, 0 to 9.
        @param clock: the L{twisted.internet.interfaces.IReactorTime}
            whose turns share out the compression.
        @param ascii: convert LF to CRLF first (TYPE A).
        """
        self._consumer = consumer
        self._clock = clock
        self._compressor = zlib.compressobj(level)
        self._encoder = ASCIIEncoder() if ascii else None

    def registerProducer(self, producer, streaming):
        """
        @see: L{IConsumer.registerProducer}: this consumer registers on
            the connection's in the producer's place (a streaming one
            always: it asks a pull producer for each write itself).
        """
        self._producer = producer
        self._streaming = streaming
        self._consumer.registerProducer(self, True)
        if not streaming:
            producer.resumeProducing()

    def unregisterProducer(self):
        """
        @see: L{IConsumer.unregisterProducer}: done on the connection's
            consumer once every byte held was compressed.
        """
        self._producer = None
        self._ending = True
        if not self._held:
            self._end()

    def write(self, data):
        """
        @see: L{IConsumer.write}: compressed now as far as this turn's
            L{DEFLATE_INPUT} goes, the rest in the next turns.
        """
        if self._stopped or self._compressor is None or not data:
            return
        self._writes += 1
        if not self._held:
            self._held = data
        else:
            self._held = b"".join(
                (memoryview(self._held)[self._used:], data))
            self._used = 0
        self._pump()

    def _pump(self):
        """
        Compress what is held, within this turn's allowance, while the
        connection takes it; ask the file's producer for more once
        nothing is held; end the stream when L{finish} waits for it.
        """
        if self._pumping:
            return
        self._pumping = True
        try:
            while self._held and not self._paused and not self._stopped:
                room = DEFLATE_INPUT - self._spent
                if room <= 0:
                    break
                chunk = memoryview(self._held)[self._used:self._used + room]
                self._used += len(chunk)
                if self._used == len(self._held):
                    self._held = b""
                    self._used = 0
                self._compress(chunk)
        finally:
            self._pumping = False
        if self._stopped:
            return
        if self._producer is not None:
            self._steer()
        if not self._held:
            if self._ending:
                self._end()
            if self._waiting is not None:
                self._flush()

    def _steer(self):
        """
        Pause the file's producer while bytes are held or the connection
        is full, resume it (or, a pull producer, ask it for its next
        write) otherwise.
        """
        producer = self._producer
        wanted = not (self._held or self._paused)
        if self._streaming:
            if not wanted and not self._producerPaused:
                self._producerPaused = True
                producer.pauseProducing()
            elif wanted and self._producerPaused:
                self._producerPaused = False
                producer.resumeProducing()
            return
        if self._pulling:
            return
        self._pulling = True
        try:
            while wanted and self._producer is not None:
                writes = self._writes
                self._producer.resumeProducing()
                if self._writes == writes:
                    # It writes later (then asked again), or it is done.
                    break
                wanted = not (self._held or self._paused or self._stopped)
        finally:
            self._pulling = False

    def _compress(self, chunk):
        """
        Compress C{chunk} of the file's bytes and write what the
        compressor gives; a turn starting later makes the allowance whole
        again.
        """
        self._spent += len(chunk)
        if self._turn is None:
            self._turn = self._clock.callLater(0, self._nextTurn)
        self.fileBytes += len(chunk)
        if self._encoder is not None:
            chunk = self._encoder.encode(bytes(chunk))
        self.bytesSent += len(chunk)
        compressed = self._compressor.compress(chunk)
        if compressed:
            self._consumer.write(compressed)

    def _nextTurn(self):
        """
        A new reactor turn: the allowance is whole again.
        """
        self._turn = None
        self._spent = 0
        self._pump()

    def _end(self):
        """
        Every byte written was compressed: unregister from the
        connection's consumer.
        """
        if not self._ended:
            self._ended = True
            self._consumer.unregisterProducer()

    @property
    def finished(self):
        """
        @return: whether L{finish} wrote the end of the stream.
        """
        return self._compressor is None

    def finish(self, result=None):
        """
        End the zlib stream once every byte written was compressed.

        @param result: passed through (a callback of the send).
        @return: a L{Deferred} firing with C{result} once the stream's end
            was written, failing with L{ConnectionLost} if the connection
            stopped the download first.
        """
        if self._stopped:
            return fail(ConnectionLost("The consumer stopped the transfer"))
        waiting = self._waiting = Deferred()
        waiting.addCallback(lambda _: result)
        if not self._held and not self._pumping:
            self._flush()
        return waiting

    def _flush(self):
        """
        Write the stream's end and fire what L{finish} returned.
        """
        compressor, self._compressor = self._compressor, None
        if compressor is not None:
            self._consumer.write(compressor.flush())
        self._cancelTurn()
        waiting, self._waiting = self._waiting, None
        waiting.callback(None)

    def _cancelTurn(self):
        """
        Forget the call of the next turn.
        """
        turn, self._turn = self._turn, None
        if turn is not None and turn.active():
            turn.cancel()

    def abort(self):
        """
        Drop what is held and compress nothing more (the download was
        cut); a L{finish} waiting fails with L{ConnectionLost}.
        """
        self._stopped = True
        self._held = b""
        self._used = 0
        self._cancelTurn()
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            waiting.errback(ConnectionLost("The consumer stopped the transfer"))


@implementer(IConsumer)
class InflatingConsumer(_HoldingProducer):
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
    _more = _received = _pumping = False
    _ending = _ended = False
    _waiting = None

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

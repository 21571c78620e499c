"""
Files read and written at an offset, turned into producers and consumers.

A shell may open files the simple way (L{IRandomReadFile},
L{IRandomWriteFile}: read or write some bytes at an offset, then close or
abort) and leave flow control to the server, which applies L{readFileFor}
and L{writeFileFor} to every file a shell opens:

  - a download asks for the next chunks while the data connection keeps
    up, at most L{READ_AHEAD} reads ahead, and asks for nothing while the
    connection is paused;
  - an upload writes one chunk at a time, in order, coalescing what
    arrived meanwhile, and pauses the data connection while a write is
    outstanding, so a slow storage slows the client down instead of
    filling memory; a write that fails stops the data connection (the
    client is not read to its end for nothing).

Files that already are producer/consumer files (L{IReadFile},
L{IWriteFile}) are used as they are. C{IReadFile(randomFile)} and
C{IWriteFile(randomFile)} adapt as well.
"""

from collections import deque

from twisted.internet.defer import Deferred, maybeDeferred, succeed
from twisted.internet.interfaces import IConsumer
from twisted.python.components import registerAdapter
from twisted.python.failure import Failure
from zope.interface import alsoProvides, implementer

from ftpkit.data.producers import TransferProducer
from ftpkit.errors import FTPError
from ftpkit.interfaces import (
    IDiscardableWriteFile,
    IPartialWriteFile,
    IRandomReadFile,
    IRandomWriteFile,
    IReadFile,
    IRefusingWriteFile,
    IWriteFile,
)
from ftpkit.shells.heldcalls import loggedFailure, toldFailure
from ftpkit.shells.outcome import Outcome
from ftpkit.shells.readguard import ReadGuard

READ_SIZE = 256 * 1024
"""The bytes asked for by one L{IRandomReadFile.readAt}."""

READ_AHEAD = 2
"""The most reads outstanding for one download: while one chunk goes to
the network, the next is being read."""

WRITE_SIZE = 1 << 20
"""The bytes a producer that writes as it is resumed (C{MODE Z}'s
inflater, whose chunks are small) may hand on before it is paused: one
write to the storage of about what an upload's socket read brings in
C{MODE S} (L{ftpkit.data.connection.UPLOAD_READ_SIZE}), not one per
chunk, whose call each costs a round trip on remote storage."""



def readFileFor(opened):
    """
    The L{IReadFile} to send a file a shell opened for reading.

    @param opened: what L{IFTPShell.openForReading} fired with: an
        L{IRandomReadFile} or an L{IReadFile}.
    @return: an L{IReadFile}: C{opened} itself unless it provides
        L{IRandomReadFile}.
    """
    if IRandomReadFile.providedBy(opened):
        return ReadFileAdapter(opened)
    return opened


def writeFileFor(opened):
    """
    The L{IWriteFile} to receive an upload into a file a shell opened for
    writing.

    @param opened: what L{IFTPShell.openForWriting} fired with: an
        L{IRandomWriteFile} or an L{IWriteFile}.
    @return: an L{IWriteFile}: C{opened} itself unless it provides
        L{IRandomWriteFile}.
    """
    if IRandomWriteFile.providedBy(opened):
        return WriteFileAdapter(opened)
    return opened


@implementer(IReadFile)
class ReadFileAdapter:
    """
    An L{IReadFile} reading an L{IRandomReadFile}.

    @ivar size: the random file's C{size}.
    """

    def __init__(self, randomFile, noted=None):
        """
        @param randomFile: the L{IRandomReadFile} to read.
        @param noted: counts its lines with the session's others, for a
            file of a shell from outside ftpkit
            (L{ftpkit.shells.contract.ContractShell.noted}), or C{None}.
        """
        self._file = randomFile
        self.size = randomFile.size
        self._reading = 0
        self._closed = False
        self._released = None
        self._noted = noted
        self._guard = ReadGuard(randomFile, noted)

    def send(self, consumer):
        """
        See L{IReadFile.send}: a L{_ReadProducer} registered on
        C{consumer}.
        """
        return _ReadProducer(self, consumer).start()

    def readAt(self, offset, length):
        """
        Read from the random file, counting the reads in flight so that
        L{close} waits for them.

        @param offset: the first byte.
        @param length: the most bytes to read.
        @return: the L{Deferred} of L{IRandomReadFile.readAt}.
        """
        self._reading += 1
        reading = maybeDeferred(self._file.readAt, offset, length)
        reading.addCallbacks(self._guard.checked, self._guard.failed,
                             callbackArgs=(offset, length))
        reading.addBoth(self._readDone)
        return reading

    def _readDone(self, result):
        self._reading -= 1
        self._releaseIfIdle()
        return result

    def close(self):
        """
        See L{IReadFile.close}: close the random file once no read is in
        flight (idempotent).

        @return: a L{Deferred} firing when the random file was closed.
        """
        self._closed = True
        if self._released is None:
            self._released = Deferred()
            self._releaseIfIdle()
        released = Deferred()
        self._released.addBoth(lambda result: released.callback(None))
        return released

    def _releaseIfIdle(self):
        if self._closed and not self._reading and not self._released.called:
            closing = maybeDeferred(self._file.close)
            closing.addErrback(loggedFailure, self._file, "close",
                               self._noted)
            closing.chainDeferred(self._released)


class _Read:
    """
    One read in flight for a L{_ReadProducer}.

    @ivar result: the bytes or L{Failure}, once it ended; C{None} before.
    """

    result = None


class _ReadProducer(TransferProducer):
    """
    A push producer sending a random file to a consumer, up to
    L{READ_AHEAD} reads ahead of it.

    Chunks are written in order, never while paused. A read that gives
    fewer bytes than asked for ends the file.
    """

    def __init__(self, readFile, consumer):
        """
        @param readFile: the L{ReadFileAdapter}.
        @param consumer: the L{IConsumer} to write to.
        """
        self._readFile = readFile
        self._consumer = consumer
        self._remaining = readFile.size
        self._position = 0
        self._reads = deque()
        self._atEnd = False
        self._pumping = False
        self._again = False
        self._sent = 0

    def _pump(self):
        """
        Write the chunks that arrived, in order, and ask for the next
        ones, until nothing more can happen now. Reads that finish during
        this loop (synchronous storage) only ask it to go round again.
        """
        if self._pumping:
            self._again = True
            return
        self._pumping = True
        try:
            self._again = True
            while self._again and self._deferred is not None:
                self._again = False
                self._writeReady()
                self._askMore()
        finally:
            self._pumping = False

    def _writeReady(self):
        while (self._reads and self._reads[0].result is not None
               and not self._paused and self._deferred is not None):
            chunk = self._reads.popleft().result
            if isinstance(chunk, Failure):
                self._finish(chunk)
                return
            if len(chunk.data) < chunk.wanted:
                self._atEnd = True
                self._reads.clear()
            if chunk.data:
                self._sent += len(chunk.data)
                self._consumer.write(chunk.data)
        if self._atEnd and not self._reads and self._deferred is not None:
            self._finish(self._sent)

    def _askMore(self):
        while (self._deferred is not None and not self._paused
               and not self._atEnd and len(self._reads) < READ_AHEAD):
            length = READ_SIZE
            if self._remaining is not None:
                length = min(length, self._remaining - self._position)
                if length <= 0:
                    self._atEnd = True
                    self._again = True
                    return
            read = _Read()
            self._reads.append(read)
            offset = self._position
            self._position += length
            reading = self._readFile.readAt(offset, length)
            reading.addBoth(self._arrived, read, length)

    def _arrived(self, result, read, wanted):
        if not isinstance(result, Failure):
            result = _Chunk(result, wanted)
        read.result = result
        self._pump()

    def _finish(self, outcome):
        """
        Unregister and fire the L{Deferred} of L{start} with C{outcome}.
        """
        deferred, self._deferred = self._deferred, None
        self._reads.clear()
        self._consumer.unregisterProducer()
        deferred.callback(outcome)

    def _dropped(self):
        """
        Stopped: drop the reads in flight.
        """
        self._reads.clear()


class _Chunk:
    """
    The bytes of a finished read, and how many were asked for.
    """

    def __init__(self, data, wanted):
        """
        @param data: the bytes read.
        @param wanted: the bytes asked for.
        """
        self.data = data
        self.wanted = wanted


@implementer(IRefusingWriteFile)
class WriteFileAdapter:
    """
    An L{IWriteFile} writing into an L{IRandomWriteFile}; a failed write
    refuses the rest of the upload (L{IRefusingWriteFile}).

    L{close} and L{abort} act once: calling either again gives the outcome
    of the first. It provides L{IPartialWriteFile} when the random file
    can be dropped whole (L{IDiscardableWriteFile}).
    """

    def __init__(self, randomFile):
        """
        @param randomFile: the L{IRandomWriteFile} to write.
        """
        self._file = randomFile
        self._consumer = _WriteConsumer(randomFile)
        self._started = False
        self._outcome = Outcome()
        if IDiscardableWriteFile.providedBy(randomFile):
            alsoProvides(self, IPartialWriteFile)

    def receive(self):
        """
        See L{IWriteFile.receive}: a L{_WriteConsumer}.
        """
        return succeed(self._consumer)

    def refusal(self):
        """
        See L{IRefusingWriteFile.refusal}.

        @return: the error of the failed write, if it is an
            L{FTPError} (another is reported by L{close}).
        """
        error = self._consumer.error
        if error is not None and isinstance(error.value, FTPError):
            return error.value
        return None

    def close(self):
        """
        See L{IWriteFile.close}: wait for the writes, then close the random
        file; after a failed write, abort it and fail with that write's
        error.
        """
        if not self._started:
            self._started = True
            closing = self._consumer.drain()
            closing.addCallbacks(lambda ignored: self._held("close"),
                                 self._abortFor)
            closing.addBoth(self._outcome.store)
        return self._outcome.wait()

    def _abortFor(self, failure):
        """
        A write failed: abort the random file, then fail with C{failure}.
        """
        aborting = maybeDeferred(self._file.abort)
        aborting.addErrback(loggedFailure, self._file, "abort")
        aborting.addCallback(lambda ignored: failure)
        return aborting

    def _held(self, name):
        """
        Call the random file's C{close}, C{abort} or C{discard}, its
        failure told as the server replies to it (L{toldFailure}).

        @param name: the method.
        @return: a L{Deferred} of its outcome.
        """
        return maybeDeferred(getattr(self._file, name)).addErrback(
            toldFailure, self._file, name)

    def abort(self):
        """
        See L{IWriteFile.abort}: drop what is not written yet, wait for the
        write in flight, then abort the random file.
        """
        return self._end(lambda: self._held("abort"))

    def discard(self):
        """
        See L{IPartialWriteFile.discard} (provided when the random file
        provides L{IDiscardableWriteFile}): as L{abort}, then drop the
        random file whole.
        """
        return self._end(lambda: self._held("discard"))

    def _end(self, end):
        """
        Drop what is not written yet, wait for the write in flight, then
        call C{end} (once, as L{close} and L{abort} act).

        @return: a Deferred firing with the outcome.
        """
        if not self._started:
            self._started = True
            aborting = self._consumer.discard()
            aborting.addBoth(lambda ignored: end())
            aborting.addBoth(self._outcome.store)
        return self._outcome.wait()


@implementer(IConsumer)
class _WriteConsumer:
    """
    The consumer an upload is written to: one L{IRandomWriteFile.writeAt}
    at a time, with what arrived while it ran joined into the next one.

    A streaming producer is paused while a write is outstanding and
    resumed when everything is written; a pull producer is asked for more
    once everything is written. After a failed write, the bytes are
    dropped and the producer is stopped (the data connection is cut), and
    L{WriteFileAdapter.close} reports the error.

    @ivar error: the L{Failure} of the first failed write, or C{None}.
    """

    def __init__(self, randomFile):
        """
        @param randomFile: the L{IRandomWriteFile} to write to.
        """
        self._file = randomFile
        self._producer = None
        self._streaming = True
        self._paused = False
        self._wantMore = False
        self._buffer = []
        self._buffered = 0
        self._position = 0
        self._writing = False
        self._pumping = False
        self._again = False
        self._ended = False
        self.error = None
        self._waiters = []

    def registerProducer(self, producer, streaming):
        """
        See L{IConsumer.registerProducer}.
        """
        if self._producer is not None:
            raise RuntimeError("A producer is already registered")
        self._producer = producer
        self._streaming = streaming
        self._paused = False
        if not streaming:
            self._wantMore = True
            self._pump()

    def unregisterProducer(self):
        """
        See L{IConsumer.unregisterProducer}.
        """
        self._producer = None
        self._wantMore = False

    def write(self, data):
        """
        See L{IConsumer.write}.
        """
        if not self._streaming:
            self._wantMore = True
        if self.error is None and not self._ended and data:
            self._buffer.append(bytes(data))
            self._buffered += len(data)
        self._pump()

    def _pump(self):
        """
        Start the next write and steer the producer, until nothing more
        can happen now. Writes that finish during this loop (synchronous
        storage) only ask it to go round again; bytes written during it
        (a producer that writes as it is resumed, such as C{MODE Z}'s
        inflater) pause the producer once they make L{WRITE_SIZE}, or it
        would go on writing (a decompression bomb, whole) into one write
        held in memory.
        """
        if self._pumping:
            self._again = True
            if self._buffered >= WRITE_SIZE:
                self._steer()
            return
        self._pumping = True
        try:
            self._again = True
            while self._again:
                self._again = False
                if self._buffer and not self._writing:
                    self._startWrite()
                self._steer()
        finally:
            self._pumping = False
        if not self._writing and not self._buffer:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                self._fireDrained(waiter)

    def _startWrite(self):
        data = b"".join(self._buffer)
        self._buffer = []
        self._buffered = 0
        self._writing = True
        offset = self._position
        self._position += len(data)
        writing = maybeDeferred(self._file.writeAt, offset, data)
        writing.addErrback(toldFailure, self._file, "writeAt")
        writing.addCallbacks(self._wrote, self._failed)

    def _wrote(self, ignored):
        self._writing = False
        self._pump()

    def _failed(self, failure):
        self._writing = False
        if self.error is None:
            self.error = failure
        self._buffer = []
        self._buffered = 0
        producer, self._producer = self._producer, None
        if producer is not None:
            producer.stopProducing()
        self._pump()

    def _steer(self):
        """
        Pause a streaming producer while a write is outstanding, resume it
        when all is written; ask a pull producer for more when all is
        written.
        """
        busy = self._writing or bool(self._buffer)
        producer = self._producer
        if producer is None:
            return
        if self._streaming:
            if busy and not self._paused:
                self._paused = True
                producer.pauseProducing()
            elif not busy and self._paused:
                self._paused = False
                producer.resumeProducing()
        elif not busy and self._wantMore:
            self._wantMore = False
            producer.resumeProducing()

    def drain(self):
        """
        Accept nothing more and wait for every byte to be written.

        @return: a L{Deferred} firing with C{None}, or failing with the
            first failed write's error.
        """
        self._ended = True
        waiter = Deferred()
        self._waiters.append(waiter)
        self._pump()
        return waiter

    def discard(self):
        """
        Accept nothing more, drop what is not written yet, and wait for the
        write in flight.

        @return: a L{Deferred} firing with C{None}.
        """
        self._ended = True
        self._buffer = []
        self._buffered = 0
        drained = self.drain()
        drained.addErrback(lambda failure: None)
        return drained

    def _fireDrained(self, waiter):
        if self.error is not None:
            waiter.errback(self.error)
        else:
            waiter.callback(None)


registerAdapter(ReadFileAdapter, IRandomReadFile, IReadFile)
registerAdapter(WriteFileAdapter, IRandomWriteFile, IWriteFile)

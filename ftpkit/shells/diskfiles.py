"""
The open files of L{ftpkit.shells.filesystem.FilesystemShell}: a reader
whose threaded producer sends a download, and a writer whose consumer
queues an upload to a worker thread with backpressure. Both offer their
descriptor (L{IDescriptorFile}), so that the server may move the bytes
inside the kernel instead.
"""

import errno
import os

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.error import ConnectionLost
from twisted.internet.interfaces import IConsumer, IPushProducer
from twisted.python.failure import Failure
from zope.interface import implementer

from ftpkit.errors import AlreadyExists, FTPError, LocalError
from ftpkit.fileinfo import FileDescriptor
from ftpkit.interfaces import IDescriptorFile, IPartialWriteFile, IReadFile
from ftpkit.shells import uploads

READ_CHUNK_SIZE = 1024 * 1024
"""Bytes read per C{os.pread} when a download goes through Python."""


HIGH_WATER = 4 * 1024 * 1024
"""Queued upload bytes above which the data connection is paused."""


LOW_WATER = 1024 * 1024
"""Queued upload bytes below which a paused data connection resumes."""


PENDING = object()
"""The outcome of an upload that is not finished."""


_NO_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP,
                       errno.EMLINK, errno.ENOSYS})
"""Errors of C{link} on a file system that has no hard links (FAT, some
FUSE and network file systems), or no more for that file."""

_IOV_MAX = os.sysconf("SC_IOV_MAX") if hasattr(os, "sysconf") else 16
"""Most buffers one C{writev} takes."""


WRITE_CALL_SIZE = 64 << 10
"""Most bytes given to one C{pwritev}/C{writev} call. Linux sizes the
page-cache folios of a new file by the length of the write: an upload
whose disk thread had fallen behind, and so wrote megabytes at once, got
large folios from cold memory and cost several times the CPU
(C{docs/benchmark.rst}). (Spliced uploads write as much at once, for the
same reason.)"""


SHORT_UPLOAD_SIZE = 64 << 10
"""Bytes of an upload through Python (TLS, ASCII, active mode) written at
once, in the reactor thread, where the shell allows it
(L{ftpkit.fileinfo.FileDescriptor.runShort}); so is the commit or the
clean-up of an upload that wrote no more. The rest of a larger upload is
written in the disk threads."""


def writeAll(fd, chunks, position):
    """
    Write all of C{chunks}, in order, blocking: gathered by C{pwritev} (or
    C{writev}), so that they are never joined into one copy first.

    @param fd: the descriptor.
    @param chunks: a list of bytes-like objects.
    @param position: the offset to write at, or C{None} to write at the
        descriptor's own position (for C{O_APPEND}).
    """
    views = [memoryview(chunk) for chunk in chunks if len(chunk)]
    while views:
        batch = _leadingViews(views)
        if position is None:
            written = os.writev(fd, batch)
        else:
            written = os.pwritev(fd, batch, position)
            position += written
        while written:
            first = len(views[0])
            if written >= first:
                written -= first
                del views[0]
            else:
                views[0] = views[0][written:]
                written = 0


def _leadingViews(views):
    """
    The buffers for one write call: the first of C{views}, up to
    L{WRITE_CALL_SIZE} bytes (the last one cut if needed) and L{_IOV_MAX}
    buffers.

    @param views: a non-empty list of non-empty L{memoryview}s.
    @return: a list of L{memoryview}s.
    """
    batch, room = [], WRITE_CALL_SIZE
    for view in views[:_IOV_MAX]:
        if room <= 0:
            break
        batch.append(view[:room])
        room -= len(view)
    return batch


@implementer(IReadFile, IDescriptorFile)
class FileReader:
    """
    A file opened for a download, owning its descriptor.
    """

    def __init__(self, run, fd, offset, size):
        """
        @param run: L{FilesystemShell._run}.
        @param fd: the open descriptor.
        @param offset: the first byte to send.
        @param size: the file's size when it was opened; bytes appended
            later are not sent.
        """
        self._run = run
        self._fd = fd
        self._offset = offset
        self._size = size
        self.size = max(0, size - offset)
        self._busy = 0
        self._closed = False

    def send(self, consumer):
        """
        See L{IReadFile.send}: a L{_ThreadedFileProducer}.
        """
        return _ThreadedFileProducer(self, consumer, self.size).start()

    def descriptor(self):
        """
        See L{IDescriptorFile.descriptor}.
        """
        return FileDescriptor(self._fd, self._offset, self.size,
                              self._inThread)

    def read(self, count, position):
        """
        Read from the file in a worker thread.

        @return: a L{Deferred} firing with the bytes read.
        """
        return self._inThread(os.pread, self._fd, count, position)

    def _inThread(self, function, *args):
        """
        Run a blocking call using the descriptor in a worker thread;
        L{close} waits for it before closing the descriptor.
        """
        if self._fd is None:
            return fail(LocalError())
        self._busy += 1
        result = self._run(function, *args)
        result.addBoth(self._readDone)
        return result

    def _readDone(self, result):
        """
        Close the descriptor if L{close} was called during a read.
        """
        self._busy -= 1
        self._closeIfIdle()
        return result

    def close(self):
        """
        See L{IReadFile.close}; a read still in flight finishes first.
        """
        self._closed = True
        self._closeIfIdle()

    def _closeIfIdle(self):
        """
        Close the descriptor once closed and idle.
        """
        if self._closed and not self._busy and self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


@implementer(IPushProducer)
class _ThreadedFileProducer:
    """
    A push producer reading a file in worker threads.

    One read runs ahead of the consumer: while a chunk is written to the
    consumer, the next is being read, so disk and network work together.
    At most one chunk waits in memory while the consumer is paused.
    L{stopProducing} makes the L{Deferred} of L{start} fail with
    L{ConnectionLost}.
    """

    def __init__(self, reader, consumer, count):
        """
        @param reader: the L{FileReader}.
        @param consumer: the L{IConsumer} to write to.
        @param count: the number of bytes to send.
        """
        self._reader = reader
        self._consumer = consumer
        self._position = reader._offset
        self._end = reader._offset + count
        self._sent = 0
        self._ready = None
        self._reading = False
        self._paused = False
        self._deferred = None

    def start(self):
        """
        Register on the consumer and start sending.

        @return: a L{Deferred} firing with the number of bytes sent.
        """
        self._deferred = Deferred()
        result = self._deferred
        self._consumer.registerProducer(self, True)
        self._pump()
        return result

    def _pump(self):
        """
        Write the chunk that is ready, keep one read in flight, and finish
        when everything was written.
        """
        if self._deferred is None:
            return
        if self._ready is not None and not self._paused:
            data, self._ready = self._ready, None
            self._sent += len(data)
            self._consumer.write(data)
            if self._deferred is None:
                return
        if self._ready is None and not self._reading:
            if self._position < self._end:
                self._readNext()
            else:
                deferred, self._deferred = self._deferred, None
                self._consumer.unregisterProducer()
                deferred.callback(self._sent)

    def _readNext(self):
        """
        Start reading the next chunk.
        """
        count = min(READ_CHUNK_SIZE, self._end - self._position)
        self._reading = True
        reading = self._reader.read(count, self._position)
        self._position += count
        reading.addCallbacks(self._gotChunk, self._failed)

    def _gotChunk(self, data):
        """
        A read finished; a short one means the file shrank.
        """
        self._reading = False
        if not data:
            self._end = self._position
        else:
            self._ready = data
        self._pump()

    def _failed(self, failure):
        """
        A read failed: give up the transfer with that error.
        """
        self._reading = False
        if self._deferred is not None:
            deferred, self._deferred = self._deferred, None
            self._consumer.unregisterProducer()
            deferred.errback(failure)

    def pauseProducing(self):
        """
        Stop writing to the consumer (the read in flight still finishes).
        """
        self._paused = True

    def resumeProducing(self):
        """
        Carry on writing.
        """
        self._paused = False
        self._pump()

    def stopProducing(self):
        """
        Give up: the L{Deferred} of L{start} fails with L{ConnectionLost}.
        """
        self._ready = None
        if self._deferred is not None:
            deferred, self._deferred = self._deferred, None
            deferred.errback(ConnectionLost("The consumer stopped the transfer"))


@implementer(IConsumer)
class _QueuedWriter:
    """
    A consumer writing an upload to a descriptor without blocking the
    reactor: data is queued and at most one write (of everything queued,
    gathered) runs in a worker thread at a time. A streaming producer is
    paused above L{HIGH_WATER} queued bytes and resumed below L{LOW_WATER};
    a pull producer is asked for more each time the queue is empty.

    After a write error the rest of the upload is read and thrown away, and
    L{drain} fails with the error.

    The writes of the first L{SHORT_UPLOAD_SIZE} bytes run at once, in the
    calling thread, where C{runShort} allows it.

    @ivar written: the bytes handed to writes so far.
    """

    written = 0

    def __init__(self, run, fd, position, runShort=None):
        """
        @param run: runs a blocking function in a worker thread, returning
            a L{Deferred}.
        @param fd: the descriptor to write to.
        @param position: where the first byte goes, or C{None} to write at
            the descriptor's position (C{O_APPEND}).
        @param runShort: see L{FileDescriptor.runShort}, or C{None}.
        """
        self._run = run
        self._runShort = runShort
        self._fd = fd
        self.position = position
        self._queue = []
        self._queued = 0
        self._writing = False
        self._error = None
        self._producer = None
        self._streaming = True
        self._paused = False
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
            producer.resumeProducing()

    def unregisterProducer(self):
        """
        See L{IConsumer.unregisterProducer}.
        """
        self._producer = None

    def write(self, data):
        """
        See L{IConsumer.write}.
        """
        if self._error is not None or not data:
            return
        self._queue.append(data)
        self._queued += len(data)
        if not self._writing:
            self._startWrite()
        if (
            self._queued > HIGH_WATER
            and self._streaming
            and self._producer is not None
            and not self._paused
        ):
            self._paused = True
            self._producer.pauseProducing()

    def _startWrite(self):
        """
        Write everything queued in a worker thread.
        """
        chunks, size = self._queue, self._queued
        self._queue = []
        self._queued = 0
        self._writing = True
        position = self.position
        if position is not None:
            self.position += size
        writing = None
        self.written += size
        if self._runShort is not None and self.written <= SHORT_UPLOAD_SIZE:
            writing = self._runShort(writeAll, self._fd, chunks, position)
        if writing is None:
            writing = self._run(writeAll, self._fd, chunks, position)
        writing.addCallbacks(self._wrote, self._failed)
        self._resumeIfLow()

    def _wrote(self, ignored):
        """
        A write finished: start the next one, or report being drained.
        """
        self._writing = False
        if self._queue:
            self._startWrite()
            return
        self._notifyDrained()
        if self._producer is not None and not self._streaming:
            self._producer.resumeProducing()

    def _failed(self, failure):
        """
        A write failed: remember the error and drop the queue, letting the
        producer carry on so that the transfer ends normally.
        """
        self._writing = False
        error = failure.value
        self._error = error if isinstance(error, FTPError) else LocalError()
        self._queue = []
        self._queued = 0
        self._resumeIfLow()
        self._notifyDrained()
        if self._producer is not None and not self._streaming:
            self._producer.resumeProducing()

    def _resumeIfLow(self):
        """
        Resume a producer paused by L{write} once the queue is short.
        """
        if self._paused and self._queued < LOW_WATER:
            self._paused = False
            if self._producer is not None:
                self._producer.resumeProducing()

    def _notifyDrained(self):
        """
        Fire the L{Deferred}s of L{drain}.
        """
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            self._fireDrained(waiter)

    def _fireDrained(self, waiter):
        """
        Fire one L{drain} L{Deferred} with the outcome of the writes.
        """
        if self._error is not None:
            waiter.errback(self._error)
        else:
            waiter.callback(None)

    def drain(self):
        """
        Wait for every queued byte to be written.

        @return: a L{Deferred} firing with C{None}, or failing with the
            L{FTPError} of the first failed write.
        """
        waiter = Deferred()
        if self._writing:
            self._waiters.append(waiter)
        else:
            self._fireDrained(waiter)
        return waiter


def placeNew(temporary, target):
    """
    Give a complete upload its name, unless a file of that name exists:
    a hard link does that in one step, which a check before a rename
    cannot (blocking).

    @param temporary: the upload's temporary file, removed once linked.
    @param target: the name it gets.
    @raise AlreadyExists: when C{target} exists (the temporary file stays
        for the caller to remove).
    """
    try:
        os.link(temporary, target, follow_symlinks=False)
    except FileExistsError:
        raise AlreadyExists() from None
    except OSError as e:
        if e.errno not in _NO_LINKS:
            raise
        # A file system without hard links: check, then rename.
        if os.path.lexists(target):
            raise AlreadyExists() from None
        os.rename(temporary, target)
        return
    os.unlink(temporary)


@implementer(IPartialWriteFile, IDescriptorFile)
class FileWriter:
    """
    A file opened for an upload, owning its descriptor. Cut short
    (L{abort}), an upload into a temporary file is kept as its target's
    partial upload (see L{ftpkit.shells.uploads}).

    @ivar committed: the server committed the file through its descriptor
        (L{ftpkit.fileinfo.FileDescriptor.commit}).
    """

    committed = False
    _descriptorGiven = False

    def __init__(self, run, fd, temporary, target, position, start=None,
                 resumed=False, runShort=None, exclusive=False):
        """
        @param run: L{FilesystemShell._run}.
        @param fd: the open descriptor.
        @param temporary: the temporary file to rename over C{target} at
            close, or C{None} when writing C{target} in place.
        @param target: the file's resolved path.
        @param position: the offset of the first byte, or C{None} to append.
        @param start: when writing in place, the length L{discard} cuts the
            file back to.
        @param resumed: the temporary file is a partial upload continued
            (so it is truncated after the last byte at close).
        @param runShort: see L{FileDescriptor.runShort}, or C{None}.
        @param exclusive: the temporary file becomes the target only if no
            file of that name exists by then (L{AlreadyExists} otherwise).
        """
        self._exclusive = exclusive
        self._run = run
        self._runShort = runShort
        self._fd = fd
        self._temporary = temporary
        self._target = target
        self._start = start
        self._truncate = position is not None and (temporary is None
                                                   or resumed)
        self._consumer = _QueuedWriter(run, fd, position, runShort)
        self._started = False
        self._outcome = PENDING
        self._waiters = []

    def receive(self):
        """
        See L{IWriteFile.receive}.
        """
        return succeed(self._consumer)

    def descriptor(self):
        """
        See L{IDescriptorFile.descriptor}: none when appending (the
        descriptor is C{O_APPEND}, which C{splice} cannot write to).
        """
        position = self._consumer.position
        if position is None:
            return None
        self._descriptorGiven = True
        return FileDescriptor(self._fd, position, None, self._run,
                              self._commitAt, runShort=self._runShort)

    def _commitAt(self, end):
        """
        Put the file in place holding the bytes up to C{end} (blocking;
        see L{FileDescriptor.commit}); a failure cleans up and is raised.
        """
        self._consumer.position = end
        self._commit()
        self.committed = True

    def close(self):
        """
        See L{IWriteFile.close}: wait for the queued writes, close the
        file and put it in place (done already when the server committed
        it through the descriptor). On failure the temporary file is
        removed. Calling it again, or after L{abort}, gives the same
        outcome.
        """
        if self.committed and not self._started:
            self._started = True
            self._store(None)
        if not self._started:
            self._started = True
            finishing = self._consumer.drain()
            finishing.addCallback(lambda ignored: self._runEnd(self._commit))
            finishing.addErrback(self._discard)
            finishing.addBoth(self._store)
        return self._whenDone()

    def abort(self):
        """
        See L{IWriteFile.abort}: wait for a write in flight, then close the
        file; a temporary file holding bytes becomes the target's partial
        upload (an empty one is removed). Nothing to do once the server
        committed the file.
        """
        return self._end(self._keep)

    def discard(self):
        """
        See L{IPartialWriteFile.discard}: like L{abort}, but the temporary
        file is removed, and a file written in place is cut back to its
        length before the upload.
        """
        return self._end(lambda: self._cleanUp(cutBack=True))

    def _end(self, blocking):
        """
        Unless L{close}, L{abort} or L{discard} was called already: wait
        for a write in flight, then run C{blocking} in a disk thread.
        """
        if self.committed and not self._started:
            self._started = True
            self._store(None)
        if not self._started:
            self._started = True
            finishing = self._consumer.drain()
            finishing.addBoth(lambda ignored: self._runEnd(blocking))
            finishing.addBoth(self._store)
        return self._whenDone()

    def _runEnd(self, blocking):
        """
        Run the blocking end of the upload (its commit, or its clean-up):
        at once where the shell allows it and the upload wrote no more
        than L{SHORT_UPLOAD_SIZE} bytes, all through Python, into a new
        file, else in a disk thread (removing a large file can take a
        while, and so can cutting one written in place or resumed after
        its new end; the bytes that went through L{descriptor} are not
        counted here).

        @return: a L{Deferred} with its outcome.
        """
        if (self._runShort is not None and not self._descriptorGiven
                and not self._truncate
                and self._consumer.written <= SHORT_UPLOAD_SIZE):
            ending = self._runShort(blocking)
            if ending is not None:
                return ending
        return self._run(blocking)

    def _keep(self):
        """
        The blocking part of L{abort}.
        """
        if self._temporary is None or self._fd is None:
            self._cleanUp()
            return
        size = os.fstat(self._fd).st_size
        fd, self._fd = self._fd, None
        os.close(fd)
        uploads.keepPartial(self._temporary, self._target, size)

    def _store(self, outcome):
        """
        Keep the outcome of L{close} or L{abort} and hand it to the callers.

        @param outcome: C{None} or a L{Failure}.
        """
        self._outcome = outcome
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            self._fire(waiter)

    def _whenDone(self):
        """
        @return: a new L{Deferred} with the outcome of L{close} or L{abort}.
        """
        waiter = Deferred()
        if self._outcome is PENDING:
            self._waiters.append(waiter)
        else:
            self._fire(waiter)
        return waiter

    def _fire(self, waiter):
        """
        Fire one L{Deferred} with the stored outcome.
        """
        if isinstance(self._outcome, Failure):
            waiter.errback(self._outcome)
        else:
            waiter.callback(self._outcome)

    def _commit(self):
        """
        Truncate (after a resumed upload), close and rename, blocking.
        """
        try:
            if self._truncate:
                os.ftruncate(self._fd, self._consumer.position)
            fd, self._fd = self._fd, None
            os.close(fd)
            if self._temporary is not None and self._exclusive:
                placeNew(self._temporary, self._target)
            elif self._temporary is not None:
                os.replace(self._temporary, self._target)
        except BaseException:
            self._cleanUp()
            raise

    def _discard(self, failure):
        """
        After a failed upload: clean up, then report the failure.
        """
        cleaning = self._runEnd(self._cleanUp)
        cleaning.addBoth(lambda ignored: failure)
        return cleaning

    def _cleanUp(self, cutBack=False):
        """
        Close the descriptor if open and remove the temporary file,
        blocking.

        @param cutBack: also cut a file written in place back to its
            length before the upload.
        """
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                if (cutBack and self._temporary is None
                        and self._start is not None):
                    os.ftruncate(fd, self._start)
            finally:
                os.close(fd)
        if self._temporary is not None:
            try:
                os.unlink(self._temporary)
            except FileNotFoundError:
                pass

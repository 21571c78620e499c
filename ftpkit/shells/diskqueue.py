"""
L{QueuedWriter}: the consumer an upload of
L{ftpkit.shells.filesystem.FilesystemShell} writes to, which queues the
bytes for a disk thread with backpressure, and L{writeAll}, the blocking
gathered write it runs there.
"""

import errno
import os

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IConsumer
from zope.interface import implementer

from ftpkit.errors import FTPError, LocalError
from ftpkit.shells.shortcalls import Declined

HIGH_WATER = 4 * 1024 * 1024
"""Queued upload bytes above which the data connection is paused."""


LOW_WATER = 1024 * 1024
"""Queued upload bytes below which a paused data connection resumes."""

_IOV_MAX = os.sysconf("SC_IOV_MAX") if hasattr(os, "sysconf") else 16
"""Most buffers one C{writev} takes."""


WRITE_CALL_SIZE = 64 << 10
"""Most bytes given to one C{pwritev}/C{writev} call. Linux sizes the
page-cache folios of a new file by the length of the write: an upload
whose disk thread had fallen behind, and so wrote megabytes at once, got
large folios from cold memory and cost several times the CPU
(C{docs/benchmark-history.rst}). (Spliced uploads write as much at once, for the
same reason.)"""


SHORT_UPLOAD_SIZE = 64 << 10
"""Bytes of an upload through Python (TLS, ASCII, active mode) written at
once, in the reactor thread, where the shell allows it
(L{ftpkit.fileinfo.FileDescriptor.runShort}); so is the commit or the
clean-up of an upload that wrote no more. The rest of a larger upload is
written in the disk threads."""

def writeAll(fd, chunks, position, makeRoom=None):
    """
    Write all of C{chunks}, in order, blocking: gathered by C{pwritev} (or
    C{writev}), so that they are never joined into one copy first.

    @param fd: the descriptor.
    @param chunks: a list of bytes-like objects.
    @param position: the offset to write at, or C{None} to write at the
        descriptor's own position (for C{O_APPEND}).
    @param makeRoom: called with C{fd} when a write finds the file system
        full (C{ENOSPC}), before that write is tried once more
        (L{ftpkit.shells.diskroom.makeRoom}); or C{None}. Where it raises
        L{Declined} (L{declineWhenFull}), C{chunks} is left holding the
        bytes not written yet, for the call made again in a disk thread:
        an append (C{O_APPEND}) must not write twice what it wrote.
    """
    views = [memoryview(chunk) for chunk in chunks if len(chunk)]
    while views:
        batch = _leadingViews(views)
        try:
            written = _write(fd, batch, position)
        except OSError as error:
            if error.errno != errno.ENOSPC or makeRoom is None:
                raise
            try:
                makeRoom(fd)
            except Declined:
                chunks[:] = views
                raise
            written = _write(fd, batch, position)
        if position is not None:
            position += written
        while written:
            first = len(views[0])
            if written >= first:
                written -= first
                del views[0]
            else:
                views[0] = views[0][written:]
                written = 0


def _write(fd, batch, position):
    """
    One gathered write.

    @param fd: the descriptor.
    @param batch: the buffers (L{_leadingViews}).
    @param position: the offset, or C{None} for the descriptor's own.
    @return: the bytes written.
    """
    if position is None:
        return os.writev(fd, batch)
    return os.pwritev(fd, batch, position)


def declineWhenFull(fd):
    """
    A write run at once (in the reactor thread) found the file system
    full: decline, so that the queue writes the bytes not written yet
    (L{writeAll} leaves them in its C{chunks}) again in a disk thread,
    where room can be made (L{QueuedWriter}).

    @param fd: the descriptor (unused).
    @raise Declined: always.
    """
    raise Declined()


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


@implementer(IConsumer)
class QueuedWriter:
    """
    A consumer writing an upload to a descriptor without blocking the
    reactor: data is queued and at most one write (of everything queued,
    gathered) runs in a worker thread at a time. A streaming producer is
    paused above L{HIGH_WATER} queued bytes and resumed below L{LOW_WATER};
    a pull producer is asked for more each time the queue is empty.

    After a write error the producer is stopped (the data connection cut,
    rather than read to its end for nothing: a client sending gigabytes
    to a full disk learnt so only once it had sent them all), anything
    written after is thrown away, and L{drain} fails with the error,
    which L{error} holds.

    The writes of the first L{SHORT_UPLOAD_SIZE} bytes run at once, in the
    calling thread, where C{runShort} allows it.

    @ivar written: the bytes handed to writes so far.
    @ivar error: the L{FTPError} of the first failed write, or C{None}.
    """

    written = 0
    error = None

    def __init__(self, run, fd, position, runShort=None, makeRoom=None):
        """
        @param run: runs a blocking function in a worker thread, returning
            a L{Deferred}.
        @param fd: the descriptor to write to.
        @param position: where the first byte goes, or C{None} to write at
            the descriptor's position (C{O_APPEND}).
        @param runShort: see L{FileDescriptor.runShort}, or C{None}.
        @param makeRoom: for L{writeAll} in a disk thread, or C{None}; a
            write at once that finds the file system full then writes what
            it did not write again in a disk thread (L{declineWhenFull}),
            an append too (an C{APPE} continuing a partial upload got
            C{452} there, no room made, before session 55).
        """
        self._run = run
        self._runShort = runShort
        self._makeRoom = makeRoom
        self._fullAtOnce = declineWhenFull if makeRoom is not None else None
        self._fd = fd
        self.position = position
        self._queue = []
        self._queued = 0
        self._writing = False
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
        if self.error is not None or not data:
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
            writing = self._runShort(writeAll, self._fd, chunks, position,
                                     self._fullAtOnce)
        if writing is None:
            if position is not None:
                # After the bytes a write at once declining wrote.
                position += size - sum(map(len, chunks))
            writing = self._run(writeAll, self._fd, chunks, position,
                                self._makeRoom)
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
        A write failed: remember the error, drop the queue and stop the
        producer.
        """
        self._writing = False
        error = failure.value
        self.error = error if isinstance(error, FTPError) else LocalError()
        self._queue = []
        self._queued = 0
        self._notifyDrained()
        producer, self._producer = self._producer, None
        if producer is not None:
            producer.stopProducing()

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
        if self.error is not None:
            waiter.errback(self.error)
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

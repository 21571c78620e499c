"""
Moving an upload from a bare socket into a file with C{splice(2)}: the
bytes go from the socket into a pipe and from the pipe into the file inside
the kernel, never copied into Python (docs/benchmark-history.rst has the
measurements), but for a small upload's first bytes (below). Private to
L{ftpkit.data.movers}.

The batches (L{ftpkit.data.movers._splicebatch}) block on the disk, so
they run in a disk thread; the socket is non-blocking, so a batch returns
as soon as the socket has nothing to give. The first
L{SHORT_BATCH_SIZE} bytes of an upload are moved at once where the
storage allows it, through Python instead (C{recv} into a buffer and
C{pwrite}): an upload that small then never takes a pipe.
L{SpliceReceiver} runs the batches of one upload and waits between them:
in place while the reactor has nothing else to do
(L{ftpkit.data.inplace}), else in the reactor.
"""

import os

from twisted.internet.interfaces import IReadDescriptor
from twisted.python.failure import Failure
from zope.interface import implementer

from ftpkit.data.inplace import waitInPlace
from ftpkit.data.movers._ending import EndsOnce
from ftpkit.data.movers._pipes import releasePipe, takePipe
from ftpkit.data.movers._splicebatch import (
    BATCH_SIZE,
    COMMIT,
    EMPTY,
    END,
    HELD,
    MORE,
    SHORT_BATCH_SIZE,
    Taken,
    Unwritten,
    batchThenCommit,
    hasInput,
    readInThreadThenCommit,
    readThenCommit,
    writeUnwritten,
)
from ftpkit.errors import (
    NO_DESCRIPTOR_ERRNOS,
    QuotaExceeded,
    TransferAborted,
    UploadTooLarge,
)

IN_PLACE_TIMEOUT = 1.0
"""Most seconds an upload waits in place for its client (L{waitInPlace})
before it waits in the reactor, with its watchdog."""

_receiving = 0
"""Uploads started and not finished (reactor thread only). Only one
running alone waits in place: with others running, their clients' bytes
end such a wait at once, or wake the reactor for one upload where a wait
in the reactor would have found several ready together
(C{docs/benchmark-history.rst}: more context switches and more CPU per upload
with 20 clients)."""

available = hasattr(os, "splice")
"""Whether this system has C{splice} (Linux)."""


@implementer(IReadDescriptor)
class SpliceReceiver(EndsOnce):
    """
    Moves an upload from a bare data socket
    (L{ftpkit.data.leanconnection.LeanConnection}) into a file: batches
    (L{ftpkit.data.movers._splicebatch.spliceBatch}) in the file's disk
    threads, and, between them, waiting in the reactor for the socket to
    have more (or, when paced, for the pacer to allow more).

    @cvar receiving: it receives an upload (see
        L{ftpkit.data.leanconnection.LeanConnection.user}).
    @ivar moved: bytes moved so far.
    @ivar taken: the L{Taken} its batches count the bytes they take from
        the socket in: those of a batch that failed are received too.
    @ivar over: the upload is over (L{done} has fired, or will fire when
        made).
    """

    receiving = True
    _waiting = False
    _started = False
    _inPlace = False
    _again = False
    _pipeEmpty = True
    pipe = None
    _timer = None
    _pacedShort = False
    over = False

    def __init__(self, connection, descriptor, pacer=None, limit=None,
                 control=None):
        """
        @param connection: the L{ftpkit.data.leanconnection.LeanConnection}.
        @param descriptor: the file's L{ftpkit.fileinfo.FileDescriptor}.
        @param pacer: a L{ftpkit.data.movers.pacing.Pacer}, or C{None}.
        @param limit: the most bytes the upload may bring (one more is
            read, to tell that it brought more), or C{None}; past it the
            upload fails with L{UploadTooLarge}, or with L{QuotaExceeded}
            when the descriptor's C{room} is the smaller limit.
        @param control: the session
            (L{ftpkit.control.pendinginput.PendingInput}): the end of the
            upload is committed once it has run the input its control
            connection holds then (L{HELD}); or C{None}.
        """
        self.control = control
        self._pending = None if control is None else control.inputPending
        self.connection = connection
        self.descriptor = descriptor
        self.position = descriptor.offset
        self.pacer = pacer
        self.limit, self._tooLarge = limit, UploadTooLarge
        room = descriptor.room
        if room is not None and (limit is None or room < limit):
            self.limit, self._tooLarge = room, QuotaExceeded
        self.moved = 0
        self.taken = Taken()
        connection.user = self

    def fileno(self):
        """
        @return: the socket's descriptor.
        """
        return self.connection.socket.fileno()

    def logPrefix(self):
        """
        @return: the name used in logs.
        """
        return "ftpkit-splice"

    def start(self):
        """
        Start moving: at once if the socket has something to read (bytes,
        or the end of the upload), else once it has (L{_wait}); a
        connection already broken fails the upload at once. Where the
        first bytes may be moved at once (L{_batchAtOnce}), their C{recv}
        is what tells; else the socket is looked at first: a client
        usually starts sending only once it has the C{150}, so the socket
        is often empty yet, and asking the kernel costs less than a round
        trip to a disk thread that would find nothing.

        How it ends: L{endedAtOnce}, or L{done}.
        """
        global _receiving
        _receiving += 1
        self._started = True
        if self._batchAtOnce():
            return
        try:
            readable = hasInput(self.connection.socket)
        except OSError:
            self.finish(TransferAborted())
            return
        if readable:
            self.batch()
        else:
            self._wait()

    def _batchAtOnce(self):
        """
        While the upload is small (under L{SHORT_BATCH_SIZE} bytes moved)
        and not paced, move what the socket has at once, in this thread,
        if the file's storage allows it now
        (L{ftpkit.fileinfo.FileDescriptor.runShort}); a batch that reaches
        the end commits the file there too.

        @return: whether it did.
        """
        runShort = self.descriptor.runShort
        if (runShort is None or self.pacer is not None
                or self.moved >= SHORT_BATCH_SIZE):
            return False
        limit = SHORT_BATCH_SIZE - self.moved
        if self.limit is not None:
            limit = min(limit, self.limit + 1 - self.moved)
        running = runShort(readThenCommit, self.connection.socket,
                           self.descriptor, self.position, limit,
                           self._pending, self.taken)
        if running is None:
            return False
        if running.called and not running.paused and not isinstance(
                running.result, Failure):
            # Fired, as runShort's Deferreds are: its result taken as it
            # is, without a callback added and run.
            self._batchDone(running.result)
        else:
            running.addCallbacks(self._batchDone, self._batchFailed)
        return True

    def _wait(self):
        """
        Wait for the socket to have more: in place, in this thread, while
        the reactor has nothing else to do, the upload is not paced and
        no other runs (L{waitInPlace}, L{_receiving}), moving what comes
        as it comes; else in the reactor.
        """
        if self._inPlace:
            # A batch run from the loop below found the socket empty: the
            # loop waits again (no recursion per batch).
            self._again = True
            return
        connection = self.connection
        self._inPlace = True
        try:
            while self.pacer is None and _receiving == 1 and waitInPlace(
                    connection.reactor, connection.socket,
                    IN_PLACE_TIMEOUT):
                self._again = False
                self.batch()
                if not self._again:
                    # Finished, or on to a disk thread.
                    return
        finally:
            self._inPlace = False
        self._waiting = True
        connection.reactor.addReader(self)
        connection.watch()

    def batch(self):
        """
        Move what the socket has: at once while that is allowed
        (L{_batchAtOnce}), else in a disk thread.
        """
        if self._batchAtOnce():
            return
        limit = BATCH_SIZE
        if self.limit is not None:
            limit = min(limit, self.limit + 1 - self.moved)
        if self.pacer is not None:
            allowed = self.pacer.allowance(limit)
            if allowed <= 0:
                self._waitForPacer()
                return
            self._pacedShort, limit = allowed < limit, allowed
        if self.pipe is None:
            try:
                self.pipe = takePipe()
            except OSError as e:
                if e.errno not in NO_DESCRIPTOR_ERRNOS:
                    raise
                self._batchWithoutPipe(limit)
                return
        self.connection.hold()
        running = self.descriptor.run(
            batchThenCommit, self.fileno(), self.pipe, self.descriptor,
            self.position, limit, self._pending, self.taken)
        running.addCallbacks(self._batchDone, self._batchFailed)

    def _batchWithoutPipe(self, limit):
        """
        The process has no descriptor for a pipe: move up to
        L{SHORT_BATCH_SIZE} bytes through Python in a disk thread
        (L{readInThreadThenCommit}); the next batch asks for a pipe
        again. The upload failed (C{426} or C{451}; found by the
        thirty-sixth attack sweep: a running upload cut when other
        sessions took the last descriptors, though it needs none to go
        on).

        @param limit: the most bytes the batch may move.
        """
        self.connection.hold()
        running = self.descriptor.run(
            readInThreadThenCommit, self.connection.socket,
            self.descriptor, self.position, min(limit, SHORT_BATCH_SIZE),
            self._pending, self.taken)
        running.addCallbacks(self._batchDone, self._batchFailed)

    def _waitForPacer(self):
        """
        Start the next batch from a timer, when the pacer allows more.
        """
        self._timer = self.connection.reactor.callLater(
            self.pacer.delay(), self._paced)

    def _paced(self):
        self._timer = None
        self.batch()

    def _batchDone(self, result):
        moved, why = result
        # The socket left the reactor's set before the batch started (in
        # its own event, or it never joined): no event the reactor has
        # yet to handle can name its number, so closing it needs no
        # placeholder.
        self.connection.unwatched()
        self.position += moved
        self.moved += moved
        self.connection.bytesReceived += moved
        if self.pacer is not None:
            self.pacer.spent(moved)
        tooLarge = self.limit is not None and self.moved > self.limit
        if why == END and not tooLarge:
            # The client ended its data in order and the batch committed
            # the file: the upload succeeded, even if the connection was
            # aborted meanwhile (the session's end, seen just after the
            # data's); carrying out that abort now only closes the socket.
            self.finish(None)
            self.connection.release()
            return
        if why == COMMIT:
            # Run at once, the batch moved the last bytes but its commit
            # found a large file to replace: a disk thread commits.
            self._commitInThread()
            return
        if self.connection.release():
            return
        if why == HELD and not tooLarge:
            # The end of the upload came with input on the control
            # connection: an ABOR run first aborts the connection, and
            # so the upload (connectionAborted).
            self.control.whenInputRead().addCallback(self._inputRead)
        elif tooLarge:
            self.finish(self._tooLarge())
        elif why == MORE and self._pacedShort:
            # The pacer gave what it had: a batch now would move the few
            # bytes time added meanwhile, a disk thread's round trip for
            # each (thousands a second, most of a core).
            self._waitForPacer()
        elif why == MORE:
            self.batch()
        elif why == EMPTY:
            self._wait()
        else:
            self.finish(TransferAborted())

    def _commitInThread(self):
        """
        Commit the file in a disk thread, all its bytes moved.
        """
        self.connection.hold()
        running = self.descriptor.run(self.descriptor.commit,
                                      self.position)
        running.addCallbacks(self._committed, self._batchFailed)

    def _inputRead(self, ignored):
        """
        The session ran the input its control connection held at the end
        of the upload: commit, unless that aborted the upload.
        """
        if not self.over:
            self._commitInThread()

    def _committed(self, ignored):
        """
        The commit a disk thread ran after the last batch succeeded.
        """
        self._batchDone((0, END))

    def _batchFailed(self, failure):
        if failure.check(Unwritten):
            self._writeUnwritten(failure.value)
            return
        self.connection.unwatched()
        # The bytes the batch took before it failed were received, as the
        # upload's count says (docs/logging.rst, byte-counts): all those
        # taken but the ones moved by the batches that succeeded.
        self.connection.bytesReceived += self.taken.count - self.moved
        self._pipeEmpty = False  # A failed write into the file left bytes.
        if not self.connection.release():
            self.finish(failure)

    def _writeUnwritten(self, unwritten):
        """
        A batch run at once took bytes its file system had no room for: a
        disk thread makes room and writes them
        (L{ftpkit.data.movers._splicebatch.writeUnwritten}), and the
        upload goes on as after any batch.

        @param unwritten: the L{Unwritten}.
        """
        self.connection.hold()
        running = self.descriptor.run(writeUnwritten, self.descriptor,
                                      unwritten, self.position)
        running.addCallbacks(self._batchDone, self._batchFailed)

    def doRead(self):
        """
        The socket has more: the next batch.
        """
        self.stopWaiting()
        self.batch()

    def connectionLost(self, reason):
        """
        The reactor gave up on the descriptor.

        @param reason: a L{twisted.python.failure.Failure} saying why.
        """
        self._waiting = False
        self.finish(TransferAborted())

    def stopWaiting(self):
        """
        Stop waiting in the reactor for the socket or the pacer (called
        before the socket is closed).
        """
        if self._waiting:
            self._waiting = False
            self.connection.reactor.removeReader(self)
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def connectionAborted(self):
        """
        The connection was dropped (after L{stopWaiting}): the upload fails
        with L{TransferAborted}.
        """
        self.finish(TransferAborted())

    def finish(self, failure):
        """
        Give the pipe back, let go of the connection, and fire L{done},
        once.

        @param failure: C{None} for success, else an exception or
            L{Failure}.
        """
        if self.over:
            return
        self.over = True
        if self._started:
            global _receiving
            _receiving -= 1
        if self._waiting or self._timer is not None:
            self.stopWaiting()
        if self.pipe is not None:
            releasePipe(self.pipe, self._pipeEmpty)
        if self.connection.user is self:
            # The connection and its user hold each other: let go, so
            # that both are freed without the garbage collector.
            self.connection.user = None
        self._end(self.moved, failure)


"""
The pipe a worker of C{--workers} writes its log records to (its
standard output, L{ftpkit.ops.workerlog}), read by the acceptor at a
pace (L{PacedPipe}).

Read as each record came, every transfer's line cost the acceptor a turn
of its reactor (a wake-up, a read, the wait again), which cost more CPU
than the line itself and than the acceptor's work for anything else of
an already logged-in session. Paced, the acceptor reads a pipe at most
once every L{READ_DELAY} while records keep coming: the first record after
a quiet time is read at once, those right after it wait in the pipe, at
most that long, and are read together. They wait in the kernel, not in
the worker: a worker killed or hung loses none of the lines it wrote
while the pipe had room for them (past that, they wait in the worker,
L{ftpkit.ops.unblockedlog}).
The pipe is made large (L{PIPE_SIZE}), so that a worker writing many
lines does not wait for the acceptor; one that still filled half of it
between two reads is read again as soon as it writes.
"""

import errno
import fcntl
import os
from functools import partial

from twisted.internet.interfaces import IReadDescriptor
from zope.interface import implementer

from ftpkit.deploy.deadworker import closeAfterEvents

READ_DELAY = 0.1
"""Seconds the acceptor lets a worker's records gather in its pipe after
it read some: the most a line is late in the acceptor's log, and how
often, at most, the acceptor wakes up for a worker's log."""

PIPE_SIZE = 1 << 20
"""The bytes the pipe is asked to hold (Linux's limit for an unprivileged
process, by default): the records of that delay, however many
transfers end meanwhile."""

READ_SIZE = 1 << 16
"""Bytes read at a time."""


def logPipe():
    """
    Make a worker's log pipe.

    @return: C{(readEnd, writeEnd)}, descriptors: the read end the
        acceptor's (non-blocking), the write end the worker's standard
        output (blocking; the worker's log writes through an end of its
        own that is not, L{ftpkit.ops.unblockedlog}: a worker whose
        acceptor reads nothing keeps serving, its lines waiting in it,
        up to a bound).
    """
    readEnd, writeEnd = os.pipe()
    os.set_blocking(readEnd, False)
    try:
        fcntl.fcntl(readEnd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    except OSError:
        pass  # Over /proc/sys/fs/pipe-max-size: the pipe keeps its size.
    return readEnd, writeEnd


@implementer(IReadDescriptor)
class PacedPipe:
    """
    The acceptor's end of a worker's log pipe: what it reads goes to
    C{received}; after each read that did not fill half the pipe, the
    reactor stops watching it for L{READ_DELAY}.

    @ivar capacity: the bytes the pipe holds.
    """

    def __init__(self, descriptor, received, reactor, delay=READ_DELAY):
        """
        @param descriptor: the read end (non-blocking); closed by
            L{close}, or when the worker's last writer closed the other
            end.
        @param received: a callable taking C{bytes} read.
        @param reactor: the reactor.
        @param delay: see L{READ_DELAY}.
        """
        self._descriptor = descriptor
        self._received = received
        self._reactor = reactor
        self._delay = delay
        self._later = None
        try:
            self.capacity = fcntl.fcntl(descriptor, fcntl.F_GETPIPE_SZ)
        except OSError:
            self.capacity = PIPE_SIZE
        reactor.addReader(self)

    def fileno(self):
        """
        @return: the read end's descriptor, or C{-1} once closed.
        """
        return self._descriptor

    def logPrefix(self):
        """
        @return: what lines logged while reading it are prefixed with.
        """
        return "WorkerLog"

    def doRead(self):
        """
        Read what the pipe holds (at most its capacity, so that a worker
        writing as fast as the acceptor reads cannot keep it from its other
        work), then leave it for L{READ_DELAY} unless it was half full.
        """
        if (self._drain(self.capacity) >= self.capacity // 2
                or self._descriptor < 0):
            return
        self._reactor.removeReader(self)
        self._later = self._reactor.callLater(self._delay, self._watch)

    def _watch(self):
        """
        Watch the pipe again: read it as soon as it holds anything.
        """
        self._later = None
        self._reactor.addReader(self)

    def _drain(self, limit, later=False):
        """
        Read until the pipe is empty, or closed by every writer (then
        close it).

        @param limit: read no more once this many bytes were read.
        @param later: whether a pipe found closed keeps its number until
            the reactor handled its events (see L{close}).
        @return: the bytes read.
        """
        total = 0
        while self._descriptor >= 0 and total < limit:
            try:
                data = os.read(self._descriptor, READ_SIZE)
            except BlockingIOError:
                break
            except OSError as e:
                if e.errno == errno.EINTR:
                    continue
                data = b""
            if not data:
                self._close(later)
                break
            total += len(data)
            self._received(data)
        return total

    def close(self):
        """
        The worker exited: read what it left in the pipe (all it could
        hold: a process it left holding the pipe cannot keep the acceptor
        reading), and close it once the reactor handled the events it is
        handling (L{ftpkit.deploy.deadworker.closeAfterEvents}: the
        pipe's own end of file may be one of them).
        """
        self._drain(self.capacity, later=True)
        self._close(later=True)

    def _close(self, later=False):
        if self._later is not None:
            self._later.cancel()
            self._later = None
        if self._descriptor >= 0:
            self._reactor.removeReader(self)
            if later:
                closeAfterEvents(self._reactor,
                                 partial(os.close, self._descriptor))
            else:
                os.close(self._descriptor)
            self._descriptor = -1

    def connectionLost(self, reason):
        """
        The reactor gave up the pipe (it is shutting down): close it.

        @param reason: why.
        """
        self._close()

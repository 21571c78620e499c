"""
L{DiskThreads}: worker threads for a shell's blocking disk calls.

Twisted's thread pool (what L{twisted.internet.threads.deferToThreadPool}
uses) coordinates its workers through several layers of Python objects
per call; for a small file that costs more than the C{open} it runs
(C{docs/benchmark-history.rst}). This one hands each call to one idle thread,
waking only that thread, and the threads hand results back with
L{IReactorFromThreads.callFromThread}; the threads end with the process.

A call wakes one thread: an idle thread waits on a lock of its own, which
L{DiskThreads.run} releases. (Threads that all wait on one
C{queue.SimpleQueue} wake each other: a C{get} that takes an item releases
the queue's lock again when another thread waits, and that thread takes
the GIL only to find the queue empty; with two idle threads or more, every
call paid that second wake-up.) The thread that went idle last takes the
next call.

Results are handed back in batches: a thread that finishes a call while
the reactor has not yet taken the results finished before adds its own to
them, instead of waking the reactor once more (each wake-up is a write and
a read of the reactor's waker and a turn of the reactor). Under many
sessions' small uploads, calls end faster than the reactor turns.
"""

import functools
import threading
from collections import deque

from twisted.internet import defer
from twisted.logger import Logger
from twisted.python.failure import Failure

_log = Logger()


class _Worker:
    """
    One thread's mailbox: the call handed to it while it was idle, and the
    lock it waits on until then.

    @ivar call: C{(deferred, function, args)}, or C{None}.
    @ivar wake: held while the thread waits; released to wake it.
    """

    __slots__ = ("call", "wake")

    def __init__(self):
        self.call = None
        self.wake = threading.Lock()
        self.wake.acquire()


class DiskThreads:
    """
    Threads that run blocking calls, started as work arrives (up to
    C{size}).
    """

    def __init__(self, reactor, size=8):
        """
        @param reactor: the reactor results are handed back to.
        @param size: the most threads.
        """
        self._reactor = reactor
        self._size = size
        self._pending = deque()
        self._idleWorkers = []
        self._threads = 0
        self._lock = threading.Lock()
        self._done = []

    def run(self, function, *args):
        """
        Call C{function(*args)} in a worker thread.

        @param function: a blocking callable.
        @param args: its positional arguments.
        @return: a Deferred firing (in the reactor thread) with its result
            or failure.
        """
        result = defer.Deferred()
        call = (result, function, args)
        with self._lock:
            if self._idleWorkers:
                worker = self._idleWorkers.pop()
                worker.call = call
                worker.wake.release()
                return result
            self._pending.append(call)
            grow = self._threads < self._size
            if grow:
                self._threads += 1
        if grow:
            threading.Thread(target=self._work, daemon=True,
                             name="ftpkit-disk").start()
        return result

    def _work(self):
        worker = _Worker()
        lock, pending = self._lock, self._pending
        with lock:
            call = pending.popleft() if pending else None
            if call is None:
                self._idleWorkers.append(worker)
        while True:
            if call is None:
                worker.wake.acquire()
                call, worker.call = worker.call, None
            result, function, args = call
            try:
                outcome = function(*args)
            except BaseException:
                outcome = Failure()
            with lock:
                self._done.append((result, outcome))
                wake = len(self._done) == 1
                call = pending.popleft() if pending else None
                if call is None:
                    self._idleWorkers.append(worker)
            # Waiting for the next call must not keep this one's result
            # (a listing of a large directory, say) alive.
            result = function = args = outcome = None
            if wake:
                self._reactor.callFromThread(self._handBack)

    def _handBack(self):
        """
        In the reactor thread: fire the Deferreds of every call finished
        since the last time, in the order they finished.
        """
        with self._lock:
            done, self._done = self._done, []
        for result, outcome in done:
            try:
                if isinstance(outcome, Failure):
                    result.errback(outcome)
                else:
                    result.callback(outcome)
            except Exception:
                # As the reactor does for each call from a thread: log,
                # and go on with the others.
                _log.failure("handing back a disk call's result")


DISK = "disk"
"""The lane of most disk calls: up to 8 threads."""

LISTINGS = "listings"
"""The lane of directory listings: one thread. A listing makes a system
call per entry, each giving up and taking back the GIL; several listings
in parallel threads spent their time passing the GIL between them
(C{docs/benchmark-history.rst})."""

HASHES = "hashes"
"""The lane of checksums (C{HASH}): two threads. A checksum reads a whole
file, minutes for a large one; in the main lane a few clients hashing
large files took every thread, and every other file command waited."""

_LANE_SIZES = {DISK: 8, LISTINGS: 1, HASHES: 2}

_pools = {}


def diskThreadsFor(reactor, lane=DISK):
    """
    @param reactor: the reactor the threads hand results back to.
    @param lane: L{DISK}, L{LISTINGS} or L{HASHES}.
    @return: the L{DiskThreads} of C{reactor} for C{lane}, made on first
        use.
    """
    key = (reactor, lane)
    pool = _pools.get(key)
    if pool is None:
        pool = _pools[key] = DiskThreads(reactor, _LANE_SIZES[lane])
    return pool


@functools.lru_cache(maxsize=None)
def laneRunners(reactor):
    """
    The default runners of a shell, found once per reactor (a shell is
    made at every login; the lanes' threads are made once per reactor and
    kept).

    @param reactor: the reactor results come back to.
    @return: C{(disk, listings, checksums)}: the C{run} of each of its
        lanes (L{DISK}, L{LISTINGS}, L{HASHES}).
    """
    return (diskThreadsFor(reactor).run, diskThreadsFor(reactor, LISTINGS).run,
            diskThreadsFor(reactor, HASHES).run)

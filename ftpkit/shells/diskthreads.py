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

A call never waits for ever behind calls that are stuck: a system call
into a file system that no longer answers (a hard NFS mount whose server
is gone, a hung C{sshfs} or other FUSE mount inside the root) blocks its
thread until that file system answers, and one client's commands naming
it held every thread of a lane, so that every session's calls there
waited (eight C{MLST}s, or a single C{LIST} in the one thread of
listings, stopped the whole server's files). Where calls wait while no
call has ended for L{STUCK_AFTER} seconds, the pool starts a thread for
each call waiting, and again after each such wait, up to
L{STUCK_THREADS} threads more than its size; a thread beyond the size
ends once it has waited L{EXTRA_IDLE} seconds for a call, so that the
pool is back at its size once the calls come back. Each time its calls
are found stuck after some call had ended, the pool logs one warning
(L{STUCK_FORMAT}): the operator learns of the file system that hangs,
once for each time it hangs, not once a second while it does; and
C{--metrics} counts it (L{stuckCounts}, L{ftpkit.ops.stuckmetrics}).
"""

import contextlib
import functools
import threading
from collections import deque

from twisted.internet import defer
from twisted.logger import Logger
from twisted.python.failure import Failure

_log = Logger()

STUCK_AFTER = 1.0
"""Seconds calls may wait with every thread busy and none of them ending
before the pool takes its threads for stuck and starts another."""

EXTRA_IDLE = 30.0
"""Seconds a thread started for stuck calls waits for another call before
it ends: while the calls stay stuck, the next ones find it at once."""

STUCK_THREADS = 256
"""The most threads a pool starts beyond its size while its calls are
stuck: more than the sessions of one client address
(C{--max-connections-per-ip}, one command running each), so that one
client naming a file system that hangs cannot stop the others."""


CALLS_STUCK = "disk-calls-stuck"
"""The event (C{ftpkit_event}) of a pool whose calls are stuck: calls
waited L{STUCK_AFTER} seconds with every thread busy and none ending."""

STUCK_FORMAT = ("disk calls stuck in the {lane} lane for {seconds} s: "
                "threads busy {threads}, calls waiting {waiting}, threads "
                "started {started}")
"""The text of a L{CALLS_STUCK} line: the lane, the threads busy, the
seconds waited (C{stuckAfter}), the calls waiting and the threads started
for them (fewer where the pool has L{STUCK_THREADS} more than its
size)."""


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

    def __init__(self, reactor, size=8, stuckAfter=STUCK_AFTER, lane="disk"):
        """
        @param reactor: the reactor results are handed back to.
        @param size: the most threads while calls end.
        @param stuckAfter: seconds calls may wait without any ending before
            another thread is started (L{STUCK_AFTER}).
        @param lane: the pool's name in its log lines (L{DISK},
            L{LISTINGS}, L{HASHES}, L{WALKS}).
        """
        self._reactor = reactor
        self._size = size
        self._stuckAfter = stuckAfter
        self._lane = lane
        self._ended = 0
        self._saidStuck = None
        self._stuckCheck = None
        self._pending = deque()
        self._idleWorkers = []
        self._threads = 0
        self._waitingElsewhere = 0
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
            grow = self._threads - self._waitingElsewhere < self._size
            if grow:
                self._threads += 1
        if grow:
            self._startThread()
        elif not self._checking():
            self._stuckCheck = self._reactor.callLater(
                self._stuckAfter, self._unstick, self._ended)
        return result

    def _checking(self):
        """
        @return: whether a look for stuck calls is due: its timer set and
            neither run nor cancelled. Not only the pool cancels it: a
            process ending may cancel every timer it has (as trial does at
            the end of each test), and a pool that took a cancelled timer
            for a set one never started a thread for its stuck calls
            again.
        """
        check = self._stuckCheck
        return check is not None and check.active()

    @contextlib.contextmanager
    def waitingElsewhere(self):
        """
        A context in which one of this pool's threads waits for another
        thread's work (L{waitingElsewhere}): it is not counted among the
        busy ones meanwhile, so that a call waiting gets a thread (one is
        started for it at once), as the pool's other calls do.
        """
        with self._lock:
            self._waitingElsewhere += 1
            grow = bool(self._pending) and (
                self._threads < self._size + STUCK_THREADS)
            if grow:
                self._threads += 1
        if grow:
            self._startThread()
        try:
            yield
        finally:
            with self._lock:
                self._waitingElsewhere -= 1

    def _startThread(self):
        threading.Thread(target=self._work, daemon=True,
                         name="ftpkit-disk").start()

    def _unstick(self, ended):
        """
        In the reactor thread, C{stuckAfter} seconds (L{STUCK_AFTER}) after
        a call had to wait: if calls still wait and none ended meanwhile,
        start a thread for each (up to L{STUCK_THREADS} beyond the size);
        look again later while calls wait.

        @param ended: how many calls had ended when the wait was seen.
        """
        self._stuckCheck = None
        with self._lock:
            if not self._pending:
                return
            grow = 0
            stuck = self._ended == ended
            if stuck:
                waiting, busy = len(self._pending), self._threads
                grow = min(waiting, self._size + STUCK_THREADS - busy)
                self._threads += grow
            ended = self._ended
        if stuck and self._saidStuck != ended:
            # The first look of this hang: calls ended since the last.
            self._saidStuck = ended
            stuckCounts[self._lane] = stuckCounts.get(self._lane, 0) + 1
            _log.warn(STUCK_FORMAT, ftpkit_event=CALLS_STUCK, lane=self._lane,
                      threads=busy, seconds=self._stuckAfter,
                      waiting=waiting, started=grow)
        for _ in range(grow):
            self._startThread()
        self._stuckCheck = self._reactor.callLater(
            self._stuckAfter, self._unstick, ended)

    def _idle(self, worker):
        """
        With the lock held, no call waiting: make a thread idle.

        @param worker: the thread's mailbox.
        @return: how long it waits for a call before it ends, in seconds:
            L{EXTRA_IDLE} for a thread beyond the pool's size (started for
            calls that were stuck), C{-1} (for ever) for the others.
        """
        self._idleWorkers.append(worker)
        return EXTRA_IDLE if self._threads > self._size else -1

    def _ending(self, worker):
        """
        With the lock held, for a thread beyond the size that waited
        L{EXTRA_IDLE} seconds: end it, unless a call was handed to it
        meanwhile or the pool is no longer over its size.

        @param worker: the thread's mailbox.
        @return: whether the thread ends.
        """
        if worker.call is not None or self._threads <= self._size:
            return False
        self._idleWorkers.remove(worker)
        self._threads -= 1
        return True

    def _work(self):
        _current.pool = self
        worker = _Worker()
        lock, pending = self._lock, self._pending
        with lock:
            call = pending.popleft() if pending else None
            idleFor = -1 if call is not None else self._idle(worker)
        while True:
            while call is None:
                if not worker.wake.acquire(timeout=idleFor):
                    with lock:
                        if self._ending(worker):
                            return
                        if worker.call is None:
                            idleFor = -1
                            continue
                    # Handed a call as the wait ended: its wake-up is due.
                    worker.wake.acquire()
                call, worker.call = worker.call, None
            result, function, args = call
            try:
                outcome = function(*args)
            except BaseException:
                outcome = Failure()
            with lock:
                self._done.append((result, outcome))
                self._ended += 1
                wake = len(self._done) == 1
                call = pending.popleft() if pending else None
                if call is None:
                    idleFor = self._idle(worker)
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
            waiting = bool(self._pending)
        if not waiting:
            if self._checking():
                self._stuckCheck.cancel()
            self._stuckCheck = None
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

WALKS = "walks"
"""The lane of the walks that measure a home for its quota
(L{ftpkit.shells.quotas.QuotaUsage}): two threads. They ran in Twisted's
shared thread pool, where the password checks of a users file run too: a
walk reaching a file system that no longer answers blocks its thread,
and ten sessions of homes holding one (a dead NFS mount, a hung FUSE
mount) took every thread, and no user could log in any more. Here the
stuck walks get threads of their own (L{STUCK_AFTER})."""

_LANE_SIZES = {DISK: 8, LISTINGS: 1, HASHES: 2, WALKS: 2}

LANES = tuple(_LANE_SIZES)
"""Every lane."""

stuckCounts = dict.fromkeys(LANES, 0)
"""How many times this process's calls were found stuck, by lane: one
for each L{CALLS_STUCK} line, counted where it is logged, so that the
metric read from it (L{ftpkit.ops.stuckmetrics}) and the log agree."""

_pools = {}

_current = threading.local()
"""C{pool}: the L{DiskThreads} whose thread this is, where it is one."""


def waitingElsewhere():
    """
    A context in which the calling thread waits for another thread's
    work (a walk for room another upload runs,
    L{ftpkit.shells.diskroom.makeRoom}): where it is a thread of a
    L{DiskThreads}, not counted among its busy ones meanwhile
    (L{DiskThreads.waitingElsewhere}).

    @return: the context manager.
    """
    pool = getattr(_current, "pool", None)
    if pool is None:
        return contextlib.nullcontext()
    return pool.waitingElsewhere()


def diskThreadsFor(reactor, lane=DISK):
    """
    @param reactor: the reactor the threads hand results back to.
    @param lane: L{DISK}, L{LISTINGS}, L{HASHES} or L{WALKS}.
    @return: the L{DiskThreads} of C{reactor} for C{lane}, made on first
        use.
    """
    key = (reactor, lane)
    pool = _pools.get(key)
    if pool is None:
        pool = _pools[key] = DiskThreads(reactor, _LANE_SIZES[lane],
                                         lane=lane)
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


def inWalksLane(function, *args):
    """
    Run a quota walk in the global reactor's L{WALKS} lane: the default
    C{run} of L{ftpkit.shells.quotas.QuotaUsage}.

    @param function: a blocking callable.
    @param args: its positional arguments.
    @return: a Deferred firing (in the reactor thread) with its result
        or failure.
    """
    from twisted.internet import reactor

    return diskThreadsFor(reactor, WALKS).run(function, *args)

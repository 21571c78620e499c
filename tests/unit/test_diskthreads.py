"""
Tests for L{ftpkit.shells.diskthreads}.
"""

import threading

from twisted.internet import defer, reactor, task
from twisted.logger import formatEvent
from twisted.trial import unittest

from ftpkit.shells import diskthreads
from ftpkit.shells.diskthreads import DiskThreads, diskThreadsFor
from tests.logevents import captureLogs
from tests.polling import TIMEOUT, waitFor


class DiskThreadsTests(unittest.TestCase):
    """
    Calls run in other threads and their outcome comes back to the reactor
    thread.
    """

    async def test_result(self):
        pool = DiskThreads(reactor, size=2)
        main = threading.current_thread()
        ran = []

        def work(x):
            ran.append(threading.current_thread())
            return x * 2

        self.assertEqual(await pool.run(work, 21), 42)
        self.assertIsNot(ran[0], main)

    async def test_resultNotKept(self):
        """
        A thread waiting for its next call keeps nothing of the last one:
        its result (a batch of a listing, say) is freed once the caller
        is done with it.
        """
        import gc
        import weakref

        class Result:
            pass

        pool = DiskThreads(reactor, size=1)
        result = await pool.run(Result)
        seen = weakref.ref(result)
        del result
        # The thread lets go of the call right after handing back its
        # result: poll until it has.
        for _ in range(500):
            gc.collect()
            if seen() is None:
                break
            await task.deferLater(reactor, 0.01, lambda: None)
        self.assertIsNone(seen())

    async def test_failure(self):
        pool = DiskThreads(reactor, size=1)

        def fail():
            raise OSError("disk on fire")

        with self.assertRaises(OSError):
            await pool.run(fail)

    async def test_boundedThreads(self):
        """
        No more than C{size} threads run calls at once: the calls wait
        until C{size} of them run (they were let go after 0.2 s, and a
        second thread slower than that to start, under load, left the
        peak at 1).
        """
        pool = DiskThreads(reactor, size=2)
        gate = threading.Event()
        running = []
        lock = threading.Lock()
        peak = [0]

        def work():
            with lock:
                running.append(1)
                peak[0] = max(peak[0], len(running))
            gate.wait(TIMEOUT)
            with lock:
                running.pop()

        calls = [pool.run(work) for _ in range(6)]
        self.assertTrue(await waitFor(lambda: len(running) >= 2))
        gate.set()
        for call in calls:
            await call
        self.assertEqual(peak[0], 2)

    async def test_oneThreadWoken(self):
        """
        A call goes to one idle thread, the one that went idle last: the
        others keep waiting (none of them takes it or wakes for it), so
        calls one after another all run in one thread.
        """
        pool = DiskThreads(reactor, size=3)
        barrier = threading.Barrier(3, timeout=10)
        await defer.gatherResults([pool.run(barrier.wait)
                                   for _ in range(3)])
        self.assertEqual(pool._threads, 3)
        seen = []

        def where():
            seen.append((threading.current_thread(),
                         len(getattr(pool, "_idleWorkers", ()))))
        for _ in range(20):
            await pool.run(where)
        self.assertEqual(len({thread for thread, _ in seen}), 1)
        self.assertEqual({idle for _, idle in seen}, {2})

    async def test_stuckCallsLeaveRoom(self):
        """
        A call waiting while every thread is stuck in a call that does not
        end (a file system that hangs) gets a thread of its own, and so
        does the next one; the threads started for it end once idle for
        L{diskthreads.EXTRA_IDLE} seconds, the pool back at its size.
        """
        from ftpkit.shells import diskthreads
        self.patch(diskthreads, "EXTRA_IDLE", 0.05)
        pool = DiskThreads(reactor, size=1, stuckAfter=0.05)
        gate = threading.Event()
        self.addCleanup(gate.set)
        stuck = pool.run(gate.wait, 30)
        for value in (1, 2):
            waiting = pool.run(int, value)
            waiting.addTimeout(10, reactor)
            self.assertEqual(await waiting, value)
        gate.set()
        self.assertTrue(await stuck)
        for _ in range(500):
            if pool._threads == 1:
                break
            await task.deferLater(reactor, 0.01, lambda: None)
        self.assertEqual((pool._threads, len(pool._idleWorkers)), (1, 1))
        self.assertIsNone(pool._stuckCheck)

    def test_onePoolPerReactor(self):
        self.assertIs(diskThreadsFor(reactor), diskThreadsFor(reactor))

    def test_listingsLane(self):
        """
        Listings have a pool of their own, of one thread; the filesystem
        shell lists there and does everything else in the main lane.
        """
        from ftpkit.shells.diskthreads import DISK, LISTINGS
        from ftpkit.shells.filesystem import FilesystemShell

        listings = diskThreadsFor(reactor, LISTINGS)
        self.assertIsNot(listings, diskThreadsFor(reactor, DISK))
        self.assertIs(diskThreadsFor(reactor), diskThreadsFor(reactor, DISK))
        self.assertEqual((listings._size, diskThreadsFor(reactor)._size),
                         (1, 8))
        shell = FilesystemShell(self.mktemp().rsplit("/", 1)[0], reactor)
        self.assertIs(shell._listingRunner.__self__, listings)
        self.assertIs(shell._runner.__self__, diskThreadsFor(reactor))


class _HeldReactor:
    """
    Keeps what threads hand to C{callFromThread} instead of running it.
    """

    def __init__(self):
        self.calls = []

    def callFromThread(self, function, *args):
        self.calls.append((function, args))


class BatchedResultsTests(unittest.SynchronousTestCase):
    """
    Calls that finish before the reactor takes the results are handed
    back with one wake-up of the reactor.
    """

    def test_oneWakeUpForResultsWaiting(self):
        """
        Two calls ending before the reactor runs the hand-back go back in
        one C{callFromThread}, a failure included; a later call gets a
        hand-back of its own.
        """
        import time

        reactor = _HeldReactor()
        pool = DiskThreads(reactor, size=2)

        def fail():
            raise OSError("disk on fire")
        first, second = pool.run(lambda: 1), pool.run(fail)
        deadline = time.monotonic() + 10
        while len(pool._done) < 2 and time.monotonic() < deadline:
            time.sleep(0.001)
        self.assertEqual(len(reactor.calls), 1)
        self.assertNoResult(first)
        [(handBack, args)] = reactor.calls
        handBack(*args)
        self.assertEqual(self.successResultOf(first), 1)
        self.failureResultOf(second, OSError)
        third = pool.run(lambda: 3)
        while len(reactor.calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.001)
        self.assertEqual(len(reactor.calls), 2)
        handBack, args = reactor.calls[1]
        handBack(*args)
        self.assertEqual(self.successResultOf(third), 3)

    def test_oneBadHandBackSparesTheOthers(self):
        """
        A Deferred that cannot take its result (fired already) is logged,
        and the results after it are still handed back.
        """
        import time

        reactor = _HeldReactor()
        pool = DiskThreads(reactor, size=2)
        first = pool.run(lambda: 1)
        pool.run(lambda: 2)
        deadline = time.monotonic() + 10
        while len(pool._done) < 2 and time.monotonic() < deadline:
            time.sleep(0.001)
        early, late = pool._done[0][0], pool._done[1][0]
        early.callback("fired already")
        [(handBack, args)] = reactor.calls
        handBack(*args)
        self.assertEqual(len(self.flushLoggedErrors()), 1)
        self.assertEqual(self.successResultOf(late),
                         1 if late is first else 2)


class _ClockReactor(task.Clock):
    """
    A clock for the stuck calls' timer that keeps what threads hand to
    C{callFromThread} in C{handed} (its C{calls} are the clock's).
    """

    def __init__(self):
        task.Clock.__init__(self)
        self.handed = []

    def callFromThread(self, function, *args):
        self.handed.append((function, args))


class CancelledStuckCheckTests(unittest.SynchronousTestCase):
    """
    A pool whose timer for stuck calls was cancelled by someone else (as
    trial cancels every timer left at the end of a test) still starts
    threads for its stuck calls and still hands its results back.
    """

    def setUp(self):
        self.reactor = _ClockReactor()
        self.pool = DiskThreads(self.reactor, size=1, stuckAfter=1)
        self.gate = threading.Event()
        self.addCleanup(self.gate.set)
        self.stuck = self.pool.run(self.gate.wait, 30)
        self.waiting = self.pool.run(int, 1)
        [check] = self.reactor.getDelayedCalls()
        check.cancel()

    def handedBack(self, count):
        """
        Wait (10 seconds at most) for C{count} results, and hand them
        back.

        @param count: how many calls are to end.
        """
        import time

        deadline = time.monotonic() + 10
        while len(self.pool._done) < count and time.monotonic() < deadline:
            time.sleep(0.001)
        for handBack, args in self.reactor.handed:
            handBack(*args)

    def test_nextCallLooksAgain(self):
        """
        The next call waiting sets the timer again, and the calls waiting
        behind the stuck one get threads.
        """
        later = self.pool.run(int, 2)
        self.reactor.advance(1)
        self.handedBack(2)
        self.assertEqual((self.successResultOf(self.waiting),
                          self.successResultOf(later)), (1, 2))

    def test_resultsHandedBack(self):
        """
        Once the calls end, none waiting, their results are handed back
        (cancelling the timer again raised, and they were lost).
        """
        self.gate.set()
        self.handedBack(2)
        self.assertEqual((self.successResultOf(self.stuck),
                          self.successResultOf(self.waiting)), (True, 1))
        self.assertIsNone(self.pool._stuckCheck)


class StuckLogTests(unittest.SynchronousTestCase):
    """
    A pool whose calls are stuck logs one warning each time they get
    stuck (L{diskthreads.STUCK_FORMAT}), not one at each look while they
    stay stuck.
    """

    def setUp(self):
        self.reactor = _ClockReactor()
        self.pool = DiskThreads(self.reactor, size=1, stuckAfter=1)
        self.gates = [threading.Event(), threading.Event()]
        for gate in self.gates:
            self.addCleanup(gate.set)
        self.pool.run(self.gates[0].wait, 30)
        self.events = captureLogs(self)

    def settled(self, condition):
        """
        Wait (10 seconds at most) for the pool's threads to make
        C{condition} true.

        @param condition: a callable taking no argument.
        """
        import time

        deadline = time.monotonic() + 10
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.001)
        self.assertTrue(condition())

    def lines(self):
        """
        @return: the text of each L{diskthreads.CALLS_STUCK} event logged.
        """
        return [formatEvent(event) for event in self.events
                if event.get("ftpkit_event") == diskthreads.CALLS_STUCK]

    def test_oneLinePerHang(self):
        """
        Two calls waiting behind the stuck one, both stuck once started:
        one line. A third call waiting behind all three gets a thread of
        its own without another line (no call ended: the same hang). Once
        that call ended, calls stuck again are a new hang, and a line.
        """
        stuckToo = self.gates[1].wait
        self.pool.run(stuckToo, 30)
        self.pool.run(stuckToo, 30)
        self.reactor.advance(1)
        first = ("disk calls stuck in the disk lane for 1 s: threads busy 1,"
                 " calls waiting 2, threads started 2")
        self.assertEqual(self.lines(), [first])
        self.settled(lambda: not self.pool._pending)
        self.pool.run(int, 3)
        self.reactor.advance(1)
        self.settled(lambda: self.pool._done)
        self.assertEqual(self.lines(), [first])
        self.reactor.advance(1)
        self.pool.run(stuckToo, 30)
        self.settled(lambda: not self.pool._pending)
        self.pool.run(int, 4)
        self.reactor.advance(1)
        self.assertEqual(self.lines(), [first, (
            "disk calls stuck in the disk lane for 1 s: threads busy 4,"
            " calls waiting 1, threads started 1")])
        [event] = [event for event in self.events
                   if event.get("ftpkit_event") == diskthreads.CALLS_STUCK
                   and event["threads"] == 4]
        self.assertEqual((event["log_namespace"], event["log_level"].name,
                          event["lane"], event["waiting"], event["started"]),
                         ("ftpkit.shells.diskthreads", "warn", "disk", 1, 1))

    def test_lanesNamed(self):
        """
        Each lane's pool says its lane in its lines.
        """
        for lane in (diskthreads.DISK, diskthreads.LISTINGS,
                     diskthreads.HASHES, diskthreads.WALKS):
            self.assertEqual(diskThreadsFor(self.reactor, lane)._lane, lane)

    def test_noTimerLeft(self):
        """
        A hang that lasts leaves no timer once each call waiting got a
        thread: the look for stuck calls that found none waiting sets no
        other, so that a server stopping while a file system hangs is
        left with no call of the pool's (the timer runs only while calls
        wait for a thread, at most one look past their last).
        """
        self.pool.run(self.gates[1].wait, 30)
        self.reactor.advance(1)
        self.settled(lambda: not self.pool._pending)
        self.assertEqual(len(self.reactor.getDelayedCalls()), 1)
        self.reactor.advance(1)
        self.assertEqual(self.reactor.getDelayedCalls(), [])
        self.assertIsNone(self.pool._stuckCheck)

"""
Tests for L{ftpkit.blocking}.
"""

import threading

from twisted.internet import reactor
from twisted.internet.base import ReactorBase
from twisted.internet.defer import Deferred, gatherResults, inlineCallbacks
from twisted.internet.task import Clock
from twisted.logger import capturedLogs
from twisted.trial import unittest

from ftpkit.blocking import BlockingPool, CallCount, deferToUnwaitedThread
from tests.polling import waitFor
from tests.unit.test_secondstext import SecondsRecords


def poolThreads(name):
    """
    @param name: a L{BlockingPool}'s name.
    @return: the threads of that pool still alive.
    """
    return [thread for thread in threading.enumerate()
            if f"PoolThread-{name}" in thread.name]


class OwnEvents:
    """
    The global reactor, but with system events (C{shutdown}) of its own,
    fired as Twisted fires them, so that a test can shut it down.
    """

    addSystemEventTrigger = ReactorBase.addSystemEventTrigger
    removeSystemEventTrigger = ReactorBase.removeSystemEventTrigger
    fireSystemEvent = ReactorBase.fireSystemEvent

    def __init__(self):
        self._eventTriggers = {}

    def __getattr__(self, name):
        return getattr(reactor, name)

    def shutDown(self):
        """
        Fire C{shutdown}, as trial does after each test of a C{-j} worker.

        @return: a Deferred firing once the shutdown's last phase ran.
        """
        ended = Deferred()
        self.addSystemEventTrigger("after", "shutdown", ended.callback, None)
        self.fireSystemEvent("shutdown")
        return ended


class HandedBack(OwnEvents):
    """
    L{OwnEvents}, keeping what a thread hands to the reactor
    (C{callFromThread}) for the test to run, or not.

    @ivar handed: the C{(function, args)} handed, in order.
    """

    def __init__(self):
        OwnEvents.__init__(self)
        self.handed = []

    def callFromThread(self, function, *args):
        self.handed.append((function, args))

    def runHanded(self):
        """
        Run in the reactor thread what the threads handed back.
        """
        handed, self.handed = self.handed, []
        for function, args in handed:
            function(*args)


def joinThreads(name):
    """
    Wait for the threads named C{name} to end (a minute at most each, so
    that a test that failed does not hang).

    @param name: their name.
    """
    for thread in threading.enumerate():
        if thread.name == name:
            thread.join(60)


class PoolMixin:
    """
    Pools made for a test, and calls held in them.
    """

    def makePool(self, size=4, name="test-blocking", **kwargs):
        """
        @param size: the most threads.
        @param name: the pool's name.
        @param kwargs: more L{BlockingPool} arguments.
        @return: a L{BlockingPool} on the reactor, stopped after the test.
        """
        pool = BlockingPool(name, size, reactor, **kwargs)
        self.addCleanup(pool.stop)
        return pool

    def runHeld(self, pool, result):
        """
        Run a call in C{pool} that waits until released (or 30 s, so
        that its thread ends after the test), and wait until it runs.

        @param pool: the L{BlockingPool}.
        @param result: what the call returns, called in its thread.
        @return: C{(release, running)}: the L{threading.Event} that lets
            the call end, and its L{Deferred}.
        """
        release, entered = threading.Event(), threading.Event()
        self.addCleanup(release.set)

        def held():
            entered.set()
            release.wait(30)
            return result()

        running = pool.run(held)
        self.assertTrue(entered.wait(60))
        return release, running


class BlockingPoolTests(PoolMixin, SecondsRecords, unittest.TestCase):
    """
    L{BlockingPool} runs blocking calls in threads of its own.
    """

    @inlineCallbacks
    def test_runInThread(self):
        """
        The call runs in one of the pool's named threads, with its
        arguments, and its result comes back.
        """
        pool = self.makePool()

        def where(a, b=None):
            return threading.current_thread().name, a, b

        name, a, b = yield pool.run(where, 1, b=2)
        self.assertIn("test-blocking", name)
        self.assertNotEqual(name, threading.current_thread().name)
        self.assertEqual((a, b), (1, 2))

    def test_failure(self):
        """
        An exception raised by the call fails the L{Deferred}.
        """
        def broken():
            raise OSError("disk on fire")

        return self.assertFailure(self.makePool().run(broken), OSError)

    @inlineCallbacks
    def test_oneThreadRunsInOrder(self):
        """
        With one thread, calls run one at a time, in order, in the same
        thread.
        """
        pool = self.makePool(size=1)
        seen = []

        def record(n):
            seen.append((n, threading.get_ident()))

        yield gatherResults([pool.run(record, n) for n in range(20)])
        self.assertEqual([n for n, ident in seen], list(range(20)))
        self.assertEqual(len({ident for n, ident in seen}), 1)

    def test_startsLazily(self):
        """
        No thread starts before the first call, so a pool can be made
        before C{twistd} forks.
        """
        pool = BlockingPool("test-lazy-start", 4, reactor)
        self.addCleanup(pool.stop)
        self.assertEqual([thread for thread in threading.enumerate()
                          if "test-lazy-start" in thread.name], [])

    @inlineCallbacks
    def test_stopThenRun(self):
        """
        After L{BlockingPool.stop}, a call starts the threads again.
        """
        pool = self.makePool()
        self.assertEqual((yield pool.run(lambda: 1)), 1)
        pool.stop()
        self.assertEqual((yield pool.run(lambda: 2)), 2)

    def test_noThreads(self):
        """
        A pool needs a thread.
        """
        self.assertRaises(ValueError, BlockingPool, "x", 0)

    @inlineCallbacks
    def test_shutdownLeavesAStuckCall(self):
        """
        The reactor's shutdown waits for a call still running at most the
        pool's C{stopWait}, without blocking the reactor on it (Twisted's
        pool joins its threads: a call that never returned kept the server
        from exiting at C{SIGTERM}); the pool's threads are daemon threads,
        which the interpreter's exit does not wait for either.
        """
        pool = self.makePool(2, "test-stuck-stop", stopWait=0.1)
        release, running = self.runHeld(
            pool, lambda: threading.current_thread().daemon)
        stopping = pool._stopAtShutdown()
        self.assertFalse(release.is_set())
        self.assertIsNotNone(stopping)
        yield stopping
        self.assertFalse(release.is_set())
        release.set()
        self.assertTrue((yield running))

    @inlineCallbacks
    def test_shutdownLeavesAStuckCallSaying(self):
        """
        A call still running when C{stopWait} passed is left with one
        line giving C{stopWait} as written (C{60}, not C{60.0}), a
        number in its JSON record.
        """
        clock = Clock()

        class Timed:
            callLater = clock.callLater

            def __getattr__(self, name):
                return getattr(reactor, name)

        pool = BlockingPool("test-stuck-line", 2, Timed(), stopWait=60.0)
        self.addCleanup(pool.stop)
        release, running = self.runHeld(pool, lambda: 1)
        with capturedLogs() as events:
            stopping = pool._stopAtShutdown()
            clock.advance(60)
        yield stopping
        self.assertSeconds(events, "seconds", [
            (60, "test-stuck-line: calls still running 60 s after the"
                 " server stopped; exiting without them")])
        release.set()
        self.assertEqual((yield running), 1)

    @inlineCallbacks
    def test_shutdownOfAnIdlePool(self):
        """
        An idle pool's threads end in the reactor's shutdown itself, with
        no timer left behind (a trial worker ending its run with the
        fsspec realms' pool idle found the timer of L{BlockingPool.stopWait}
        pending: "Reactor was unclean" in its last test).
        """
        pool = self.makePool(2, "test-idle-stop")
        self.assertEqual((yield pool.run(lambda: 1)), 1)
        # Its thread is idle once it left the working list, which it does
        # after handing the result to the reactor: not always before the
        # reactor ran the result's callbacks (a loaded trial -j2 run).
        self.assertTrue((yield waitFor(lambda: not pool._pool.working)))
        before = set(reactor.getDelayedCalls())
        self.assertIsNone(pool._stopAtShutdown())
        self.assertEqual(set(reactor.getDelayedCalls()) - before, set())
        self.assertEqual(poolThreads("test-idle-stop"), [])

    @inlineCallbacks
    def test_reactorShutdownWaits(self):
        """
        The reactor's shutdown itself waits for a call running, and no
        timer is left once it ended (the pool stopped in a phase whose
        Deferred Twisted drops: the shutdown ended at once, leaving the
        C{stopWait} timer pending, which a loaded trial -j2 worker found
        at the end of its next test).
        """
        events = OwnEvents()
        pool = BlockingPool("test-reactor-stop", 2, events)
        self.addCleanup(pool.stop)
        release, result = self.runHeld(pool, lambda: 1)
        ended = events.shutDown()
        self.assertNoResult(ended)
        release.set()
        yield ended
        self.assertEqual((yield result), 1)
        self.assertEqual([call for call in reactor.getDelayedCalls()
                          if "BlockingPool" in call.func.__qualname__], [])
        self.assertEqual(poolThreads("test-reactor-stop"), [])

    @inlineCallbacks
    def test_shutdownWaitsForCallsEnding(self):
        """
        Calls that end in time end before the shutdown goes on.
        """
        pool = self.makePool(2, "test-quick-stop")
        release, result = self.runHeld(pool, lambda: 1)
        stopping = pool._stopAtShutdown()
        self.assertIsNotNone(stopping)
        self.assertFalse(stopping.called)
        release.set()
        yield stopping
        self.assertEqual((yield result), 1)
        self.assertEqual(poolThreads("test-quick-stop"), [])


class WhenIdleTests(PoolMixin, unittest.TestCase):
    """
    L{BlockingPool.whenIdle} fires once none of its calls runs or waits.
    """

    def test_idle(self):
        """
        At once when no call was made.
        """
        self.assertIsNone(self.successResultOf(self.makePool().whenIdle()))

    @inlineCallbacks
    def test_afterRunningAndWaiting(self):
        """
        Not while a call runs, nor while one waits for a thread behind it;
        once both ended, and before the second call's own callbacks run
        (which may close what the calls used).
        """
        pool = self.makePool(size=1)
        release, running = self.runHeld(pool, lambda: "first")
        waiting = pool.run(lambda: "second")
        idle = pool.whenIdle()
        seen = []
        waiting.addCallback(lambda result: seen.append(idle.called))
        self.assertNoResult(idle)
        release.set()
        self.assertEqual((yield running), "first")
        self.assertEqual((yield waiting), None)
        self.assertEqual(seen, [True])

    @inlineCallbacks
    def test_failedCallEnds(self):
        """
        A call that raised counts as ended too.
        """
        pool = self.makePool()

        def broken():
            raise OSError("disk on fire")

        failing = pool.run(broken)
        yield self.assertFailure(failing, OSError)
        yield pool.whenIdle()


class CallCountTests(unittest.SynchronousTestCase):
    """
    L{CallCount} tells its waiters once the last call ended.
    """

    def test_lastCallEnds(self):
        """
        With two calls under way, the waiters are told when the second
        ends, not the first.
        """
        calls = CallCount()
        calls.started()
        calls.started()
        idle = calls.whenIdle()
        self.assertEqual(calls.ended("first"), "first")
        self.assertNoResult(idle)
        calls.ended()
        self.successResultOf(idle)
        self.successResultOf(calls.whenIdle())


class UnwaitedThreadTests(unittest.TestCase):
    """
    L{deferToUnwaitedThread}: a call in a daemon thread of its own, which
    the reactor's shutdown does not wait for.
    """

    def test_result(self):
        """
        The call's result comes in the reactor thread, from a daemon
        thread; no shutdown trigger is left behind.
        """
        events = HandedBack()
        result = deferToUnwaitedThread(
            events, "test-unwaited-result",
            lambda: threading.current_thread().daemon)
        joinThreads("test-unwaited-result")
        self.assertNoResult(result)
        events.runHanded()
        self.assertTrue(self.successResultOf(result))
        self.assertEqual(events._eventTriggers["shutdown"].during, [])

    def test_failure(self):
        """
        The call's exception fails the Deferred.
        """
        events = HandedBack()

        def broken():
            raise ValueError("no users")

        result = deferToUnwaitedThread(events, "test-unwaited-failure", broken)
        joinThreads("test-unwaited-failure")
        events.runHanded()
        self.failureResultOf(result, ValueError)

    def test_shutdownDoesNotWait(self):
        """
        The reactor's shutdown ends while the call still runs (Twisted's
        thread pool joined its threads: C{SIGTERM} waited for a users
        file's parse); the call ending later hands nothing to the
        stopped reactor, and its result is dropped.
        """
        events = HandedBack()
        release = threading.Event()
        self.addCleanup(release.set)
        result = deferToUnwaitedThread(events, "test-unwaited-stop",
                                       lambda: release.wait(60))
        self.successResultOf(events.shutDown())
        release.set()
        joinThreads("test-unwaited-stop")
        self.assertEqual(events.handed, [])
        self.assertNoResult(result)

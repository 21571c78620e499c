"""
Tests for L{ftpkit.blocking}.
"""

import threading

from twisted.internet import reactor
from twisted.internet.defer import gatherResults, inlineCallbacks
from twisted.trial import unittest

from ftpkit.blocking import BlockingPool


class BlockingPoolTests(unittest.TestCase):
    """
    L{BlockingPool} runs blocking calls in threads of its own.
    """

    def makePool(self, size=4):
        pool = BlockingPool("test-blocking", size, reactor)
        self.addCleanup(pool.stop)
        return pool

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
        pool = BlockingPool("test-stuck-stop", 2, reactor, stopWait=0.1)
        self.addCleanup(pool.stop)
        release, entered = threading.Event(), threading.Event()
        self.addCleanup(release.set)

        def stuck():
            entered.set()
            # Bounded only so that the thread ends after the test.
            release.wait(30)
            return threading.current_thread().daemon

        running = pool.run(stuck)
        self.assertTrue(entered.wait(60))
        stopping = pool._stopAtShutdown()
        self.assertFalse(release.is_set())
        self.assertIsNotNone(stopping)
        yield stopping
        self.assertFalse(release.is_set())
        release.set()
        self.assertTrue((yield running))

    @inlineCallbacks
    def test_shutdownOfAnIdlePool(self):
        """
        An idle pool's threads end in the reactor's shutdown itself, with
        no timer left behind (a trial worker ending its run with the
        fsspec realms' pool idle found the timer of L{BlockingPool.stopWait}
        pending: "Reactor was unclean" in its last test).
        """
        pool = BlockingPool("test-idle-stop", 2, reactor)
        self.addCleanup(pool.stop)
        self.assertEqual((yield pool.run(lambda: 1)), 1)
        before = set(reactor.getDelayedCalls())
        self.assertIsNone(pool._stopAtShutdown())
        self.assertEqual(set(reactor.getDelayedCalls()) - before, set())
        self.assertEqual([thread for thread in threading.enumerate()
                          if "PoolThread-test-idle-stop" in thread.name], [])

    @inlineCallbacks
    def test_shutdownWaitsForCallsEnding(self):
        """
        Calls that end in time end before the shutdown goes on.
        """
        pool = BlockingPool("test-quick-stop", 2, reactor)
        self.addCleanup(pool.stop)
        release, entered = threading.Event(), threading.Event()
        self.addCleanup(release.set)

        def running():
            entered.set()
            release.wait(30)
            return 1

        result = pool.run(running)
        self.assertTrue(entered.wait(60))
        stopping = pool._stopAtShutdown()
        self.assertIsNotNone(stopping)
        self.assertFalse(stopping.called)
        release.set()
        yield stopping
        self.assertEqual((yield result), 1)
        self.assertEqual([thread for thread in threading.enumerate()
                          if "PoolThread-test-quick-stop" in thread.name], [])

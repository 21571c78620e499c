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

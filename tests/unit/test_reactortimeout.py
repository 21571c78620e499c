"""
Tests for L{ftpkit.compat.reactortimeout}: the reactor's C{timeout()}
without C{min} and C{max}, giving what Twisted's gives.
"""

from twisted.internet import base, epollreactor, task
from twisted.trial import unittest

from ftpkit.compat.reactortimeout import LONGEST, leanTimeout, timeoutLeanly


class LeanTimeoutTests(unittest.TestCase):
    """
    L{leanTimeout} against Twisted's C{ReactorBase.timeout}, on a reactor
    of its own whose clock the test sets.
    """

    def setUp(self):
        self.reactor = epollreactor.EPollReactor()
        self.addCleanup(self.reactor._poller.close)
        self.addCleanup(self.reactor.removeAll)
        self.now = 1000.0
        self.reactor.seconds = lambda: self.now
        self.lean = leanTimeout(self.reactor)

    def assertAgrees(self, expected):
        """
        Both say C{expected}, the lean one first (so that Twisted's does
        not move the new timed calls for it).
        """
        self.assertEqual(self.lean(), expected)
        self.assertEqual(base.ReactorBase.timeout(self.reactor), expected)

    def test_nothingPending(self):
        """
        With no timed call, C{None}: the poll may wait for ever.
        """
        self.assertAgrees(None)

    def test_newCallCounted(self):
        """
        A call scheduled since the last turn (not yet in the heap) counts.
        """
        self.reactor.callLater(5, lambda: None)
        self.assertAgrees(5.0)
        self.reactor.callLater(2, lambda: None)
        self.assertAgrees(2.0)

    def test_overdue(self):
        """
        A call already due gives 0, not a negative wait.
        """
        self.reactor.callLater(5, lambda: None)
        self.now += 7
        self.assertAgrees(0)

    def test_farFuture(self):
        """
        A call further away than C{epoll_wait} can wait gives L{LONGEST}.
        """
        self.reactor.callLater(LONGEST * 3, lambda: None)
        self.assertAgrees(LONGEST)

    def test_cancelled(self):
        """
        A call cancelled before it reached the heap is not waited for.
        """
        self.reactor.callLater(5, lambda: None).cancel()
        self.assertAgrees(None)

    def test_installed(self):
        """
        L{timeoutLeanly} puts it in the place of C{timeout} on a reactor
        whose C{timeout} is Twisted's, and only there.
        """
        self.assertTrue(timeoutLeanly(self.reactor))
        self.reactor.callLater(3, lambda: None)
        self.assertEqual(self.reactor.timeout(), 3.0)
        self.assertFalse(timeoutLeanly(task.Clock()))

        class OwnTimeout(epollreactor.EPollReactor):
            def timeout(self):
                return 1

        own = OwnTimeout()
        self.addCleanup(own._poller.close)
        self.addCleanup(own.removeAll)
        self.assertFalse(timeoutLeanly(own))
        self.assertEqual(own.timeout(), 1)

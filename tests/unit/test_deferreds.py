"""
Tests for L{ftpkit.deferreds}.
"""

from twisted.internet.defer import Deferred, DeferredList, succeed
from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.deferreds import isDeferred, within


class IsDeferredTests(unittest.TestCase):
    """
    L{isDeferred} tells what C{isinstance(value, Deferred)} tells.
    """

    def test_deferreds(self):
        """
        A L{Deferred}, fired or not, and one of a subclass, are.
        """
        for value in (Deferred(), succeed(1), DeferredList([])):
            self.assertTrue(isDeferred(value))
            self.assertEqual(isDeferred(value), isinstance(value, Deferred))

    def test_others(self):
        """
        Replies, C{None}, classes and coroutines are not.
        """
        async def coroutine():
            pass
        running = coroutine()
        self.addCleanup(running.close)
        for value in ((226, "Transfer complete"), None, True, Deferred,
                      running, object()):
            self.assertFalse(isDeferred(value))


class WithinTests(unittest.TestCase):
    """
    L{within} waits for a Deferred no longer than a time.
    """

    def test_fired(self):
        """
        The wait ends when the Deferred fires, its timer cancelled, and
        the Deferred's result goes on to its next callbacks.
        """
        clock, waited = Clock(), Deferred()
        done, timer = within(waited, 5, clock)
        self.assertNoResult(done)
        waited.callback("result")
        self.assertIsNone(self.successResultOf(done))
        self.assertEqual(self.successResultOf(waited), "result")
        self.assertFalse(timer.active())
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_failed(self):
        """
        A failure ends the wait too, and stays the Deferred's.
        """
        waited = Deferred()
        done, _ = within(waited, 5, Clock())
        waited.errback(ZeroDivisionError())
        self.assertIsNone(self.successResultOf(done))
        self.failureResultOf(waited, ZeroDivisionError)

    def test_timeOver(self):
        """
        The wait ends once the time passed, and a Deferred firing later
        changes nothing.
        """
        clock, waited = Clock(), Deferred()
        done, _ = within(waited, 5, clock)
        clock.advance(4.9)
        self.assertNoResult(done)
        clock.advance(0.1)
        self.assertIsNone(self.successResultOf(done))
        waited.callback("late")
        self.assertEqual(self.successResultOf(waited), "late")

    def test_reset(self):
        """
        The timer given back may be reset to end the wait sooner.
        """
        clock = Clock()
        done, timer = within(Deferred(), 30, clock)
        timer.reset(1)
        clock.advance(1)
        self.assertIsNone(self.successResultOf(done))

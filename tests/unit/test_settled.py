"""
Tests for L{ftpkit.control.settled}.
"""

import gc

from twisted.internet import defer
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.control.settled import settled


class SettledTests(unittest.SynchronousTestCase):
    """
    L{settled} gives a fired Deferred's result at once, and otherwise a
    Deferred of it.
    """

    def test_fired(self):
        """
        A fired Deferred's result comes back as it is.
        """
        self.assertEqual(settled(defer.succeed("avatar")), "avatar")

    def test_failed(self):
        """
        A failed Deferred's L{Failure} comes back, handled: nothing is
        logged when the Deferred is collected.
        """
        result = settled(defer.fail(ValueError("refused")))
        self.assertIsInstance(result, Failure)
        self.assertTrue(result.check(ValueError))
        gc.collect()
        self.assertEqual(self.flushLoggedErrors(ValueError), [])

    def test_later(self):
        """
        An unfired Deferred gives a Deferred firing with its result.
        """
        waiting = defer.Deferred()
        later = settled(waiting)
        self.assertIsInstance(later, defer.Deferred)
        self.assertNoResult(later)
        waiting.callback("avatar")
        self.assertEqual(self.successResultOf(later), "avatar")

    def test_laterFailed(self):
        """
        An unfired Deferred that fails gives a Deferred failing alike.
        """
        waiting = defer.Deferred()
        later = settled(waiting)
        waiting.errback(ValueError("refused"))
        self.failureResultOf(later, ValueError)

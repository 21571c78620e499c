"""
Tests for L{ftpkit.ops.logthrottle}.
"""

from twisted.internet import task
from twisted.trial import unittest

from ftpkit.ops.logthrottle import LogThrottle, skippedNote


class LogThrottleTests(unittest.SynchronousTestCase):
    """
    One line an interval for each kind, then how many were left out.
    """

    def test_admit(self):
        clock = task.Clock()
        throttle = LogThrottle(clock, interval=60)
        self.assertEqual(throttle.admit("a"), 0)
        self.assertEqual(throttle.admit("b"), 0)
        self.assertIsNone(throttle.admit("a"))
        clock.advance(59)
        self.assertIsNone(throttle.admit("a"))
        self.assertIsNone(throttle.admit("b"))
        clock.advance(1)
        self.assertEqual(throttle.admit("a"), 2)
        clock.advance(60)
        self.assertEqual(throttle.admit("a"), 0)
        self.assertEqual(throttle.admit("b"), 1)

    def test_skippedNote(self):
        self.assertEqual(skippedNote(0), "")
        self.assertEqual(skippedNote(41), " (and 41 more not logged)")

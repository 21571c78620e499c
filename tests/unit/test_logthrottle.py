"""
Tests for L{ftpkit.ops.logthrottle}.
"""

from twisted.internet import task
from twisted.trial import unittest

from ftpkit.ops.logthrottle import OTHERS, LogThrottle, skippedNote


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


class BurstTests(unittest.SynchronousTestCase):
    """
    C{burst} lines a window, and keys without end (a session's number)
    kept only while they matter.
    """

    def test_burst(self):
        """
        The first C{burst} events of a window get a line, the others are
        counted, and told to the first of the next window.
        """
        clock = task.Clock()
        throttle = LogThrottle(clock, interval=60, burst=3)
        self.assertEqual([throttle.admit(7) for _ in range(5)],
                         [0, 0, 0, None, None])
        clock.advance(30)
        self.assertIsNone(throttle.admit(7))
        clock.advance(30)
        self.assertEqual([throttle.admit(7) for _ in range(4)],
                         [3, 0, 0, None])

    def test_takeSkipped(self):
        """
        L{LogThrottle.takeSkipped} tells the count pending once, and the
        next window's first event is not told it again.
        """
        clock = task.Clock()
        throttle = LogThrottle(clock, interval=60, burst=1)
        throttle.admit("a")
        throttle.admit("a")
        throttle.admit("a")
        self.assertEqual(throttle.takeSkipped("a"), 2)
        self.assertEqual(throttle.takeSkipped("a"), 0)
        self.assertEqual(throttle.takeSkipped("never"), 0)
        clock.advance(60)
        self.assertEqual(throttle.admit("a"), 0)

    def test_pruned(self):
        """
        Keys whose window ended with nothing pending are dropped as new
        keys come, so a throttle keyed by sessions does not grow with every
        session that ever had a line; a key with a count pending is kept.
        """
        clock = task.Clock()
        throttle = LogThrottle(clock, interval=60, burst=1)
        throttle.admit("pending")
        throttle.admit("pending")
        for session in range(10000):
            throttle.admit(session)
            clock.advance(1)
        self.assertLess(len(throttle._windows), 200)
        self.assertEqual(throttle.admit("pending"), 1)


    def test_maxKinds(self):
        """
        With C{maxKinds}, a throttle keeps that many kinds' windows at
        most, and L{OTHERS}'s: the events of kinds met past them are
        counted together as that one kind, until windows end and make
        room again.
        """
        clock = task.Clock()
        throttle = LogThrottle(clock, interval=60, burst=1, maxKinds=100)
        told = [throttle.admit(address) for address in range(10000)]
        self.assertEqual(len(throttle._windows), 101)
        self.assertEqual(told.count(0), 101)
        self.assertEqual(throttle.takeSkipped(OTHERS), 10000 - 101)
        clock.advance(60)
        self.assertEqual(throttle.admit("new"), 0)
        self.assertIn("new", throttle._windows)

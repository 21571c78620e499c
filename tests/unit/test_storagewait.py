"""
Tests for L{ftpkit.control.storagewait}.
"""

from twisted.internet.defer import Deferred, succeed
from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.control.storagewait import waitAtMost


class WaitAtMostTests(unittest.TestCase):
    """
    L{waitAtMost} gives an operation's result if it comes in time, and
    C{None} after the limit otherwise.
    """

    def setUp(self):
        """
        A clock and a list of the late calls.
        """
        self.clock = Clock()
        self.late = []

    def wait(self, operation):
        """
        @param operation: a Deferred.
        @return: L{waitAtMost} of it, at most 5 seconds.
        """
        return waitAtMost(operation, self.clock, 5,
                          lambda: self.late.append(True))

    def test_alreadyFired(self):
        """
        An operation that has fired is handed back as it is.
        """
        operation = succeed(3)
        self.assertIs(self.wait(operation), operation)

    def test_inTime(self):
        """
        A result that comes in time is the wait's, and no timer is left.
        """
        operation = Deferred()
        waiting = self.wait(operation)
        self.clock.advance(4)
        operation.callback(7)
        self.assertEqual(self.successResultOf(waiting), 7)
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.assertEqual(self.late, [])

    def test_failureInTime(self):
        """
        A failure that comes in time fails the wait.
        """
        operation = Deferred()
        waiting = self.wait(operation)
        operation.errback(ValueError("no"))
        self.failureResultOf(waiting, ValueError)

    def test_late(self):
        """
        An operation that has not fired after the limit: the wait fires
        with C{None}, C{late} is called once, and what the operation
        gives later (a failure too) goes nowhere.
        """
        operation = Deferred()
        waiting = self.wait(operation)
        self.clock.advance(5)
        self.assertIsNone(self.successResultOf(waiting))
        self.assertEqual(self.late, [True])
        operation.errback(ValueError("late"))
        self.assertIsNone(self.successResultOf(operation))

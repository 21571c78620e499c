"""
L{ftpkit.deploy.handover}: when the acceptor of C{--workers} pings a
worker, and when a worker counts as hung, on a fake clock.
"""

from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.deploy.handover import (
    ANSWER,
    ANSWER_TIMEOUT,
    TAKE,
    Handovers,
    Pings,
    answerDue,
)


class PingsTests(unittest.SynchronousTestCase):
    """
    L{Pings}: one ping at a time, due L{ANSWER_TIMEOUT} after it was sent.
    """

    def setUp(self):
        self.clock = Clock()
        self.pings = Pings()

    def test_oneAtATime(self):
        """
        A ping is due until one is sent, and again once it is answered.
        """
        self.assertTrue(self.pings.due())
        self.pings.sent(self.clock.seconds())
        self.assertFalse(self.pings.due())
        self.pings.answered()
        self.assertTrue(self.pings.due())

    def test_overdue(self):
        """
        An unanswered ping is overdue L{ANSWER_TIMEOUT} after it was
        sent; an answered one never is.
        """
        self.assertIsNone(self.pings.overdue(self.clock.seconds()))
        self.clock.advance(100)
        self.pings.sent(self.clock.seconds())
        self.clock.advance(1)
        self.assertEqual(self.pings.overdue(self.clock.seconds()),
                         ANSWER_TIMEOUT - 1)
        self.clock.advance(ANSWER_TIMEOUT)
        self.assertLess(self.pings.overdue(self.clock.seconds()), 0)
        self.pings.answered()
        self.assertIsNone(self.pings.overdue(self.clock.seconds()))


class AnswerDueTests(unittest.SynchronousTestCase):
    """
    L{answerDue}: the one place that decides a worker is hung.
    """

    def setUp(self):
        self.clock = Clock()
        self.handovers = Handovers()
        self.pings = Pings()

    def due(self):
        """
        @return: what L{answerDue} says now.
        """
        return answerDue(self.clock.seconds(), self.handovers, self.pings)

    def test_nothingOwed(self):
        """
        A worker that owes no answer is never hung.
        """
        self.clock.advance(1000)
        self.assertIsNone(self.due())

    def test_idleWorkerHung(self):
        """
        A worker holding no connection that does not answer a ping
        within L{ANSWER_TIMEOUT} is hung, for not answering it.
        """
        self.pings.sent(self.clock.seconds())
        self.assertEqual(self.due(), (ANSWER_TIMEOUT, ANSWER, ANSWER_TIMEOUT))
        self.clock.advance(ANSWER_TIMEOUT)
        self.assertEqual(self.due(), (0, ANSWER, ANSWER_TIMEOUT))

    def test_firstDue(self):
        """
        With a connection and a ping unanswered, the one sent first is
        due first; once it is answered, the other.
        """
        self.handovers.sent("connection", "127.0.0.1", self.clock.seconds())
        self.clock.advance(2)
        self.pings.sent(self.clock.seconds())
        self.assertEqual(self.due(), (ANSWER_TIMEOUT - 2, TAKE,
                                      ANSWER_TIMEOUT))
        self.handovers.acknowledged()
        self.assertEqual(self.due(), (ANSWER_TIMEOUT, ANSWER, ANSWER_TIMEOUT))
        self.pings.answered()
        self.assertIsNone(self.due())

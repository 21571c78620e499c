"""
L{LoginWatch}: the time each session has to log in, its one owner.
"""

from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.control.loginwatch import LoginWatch


class Session:
    """
    A watched session: records when its time was over.
    """

    def __init__(self, clock, log):
        self.clock = clock
        self.log = log

    def loginTimedOut(self):
        self.log.append(self.clock.seconds())


class LoginWatchTests(unittest.TestCase):
    """
    L{LoginWatch.start}, L{LoginWatch.extend}, L{LoginWatch.stop} and
    L{LoginWatch.overdue}, on a clock.
    """

    def setUp(self):
        self.clock = Clock()
        self.watch = LoginWatch(self.clock, 60)
        self.log = []
        self.session = Session(self.clock, self.log)

    def test_overdueAtTheDeadline(self):
        """
        A session started is overdue from its deadline on, and told so
        then.
        """
        self.watch.start(self.session)
        self.clock.advance(59)
        self.assertFalse(self.watch.overdue(self.session))
        self.assertEqual(self.log, [])
        self.clock.rightNow += 1
        self.assertTrue(self.watch.overdue(self.session))
        self.clock.advance(0)
        self.assertEqual(self.log, [60])

    def test_extendedStaysOverdue(self):
        """
        A session given the time once more (a command of its running at
        the deadline) is told again a timeout later, and is overdue all
        along.
        """
        self.watch.start(self.session)
        self.clock.advance(60)
        self.watch.extend(self.session)
        self.assertTrue(self.watch.overdue(self.session))
        self.clock.advance(60)
        self.assertEqual(self.log, [60, 120])

    def test_stopped(self):
        """
        A session stopped (logged in, or gone) is not told, is not
        overdue, and is not held; started again, it has the whole time.
        """
        self.watch.start(self.session)
        self.clock.advance(60)
        self.watch.extend(self.session)
        self.watch.stop(self.session)
        self.assertFalse(self.watch.overdue(self.session))
        self.assertEqual(len(self.watch), 0)
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.watch.start(self.session)
        self.clock.advance(59)
        self.assertFalse(self.watch.overdue(self.session))
        self.clock.advance(1)
        self.assertEqual(self.log, [60, 120])

    def test_notWatched(self):
        """
        A session never started is not overdue.
        """
        self.assertFalse(self.watch.overdue(self.session))

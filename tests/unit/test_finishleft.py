"""
Tests for L{ftpkit.ops.drain.finishLeft}: a server's stop waits for the
work its sessions left (L{ftpkit.ops.leftwork.LeftWork}), then gives the
hub's finishers what is left of its grace.
"""

from types import SimpleNamespace

from twisted.internet.defer import Deferred, succeed
from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.ops.drain import finishLeft
from ftpkit.ops.leftwork import LeftWork


class FinishLeftTests(unittest.TestCase):
    """
    L{finishLeft} over a factory with a L{LeftWork} and a hub's finishers.
    """

    def setUp(self):
        self.clock = Clock()
        self.work = LeftWork(self.clock)
        self.given = []
        self.factory = SimpleNamespace(
            leftWork=self.work,
            events=SimpleNamespace(finishers=[self.finisher]))

    def finisher(self, left):
        """
        A hub's finisher, recording the seconds it is given.

        @param left: those seconds.
        @return: a fired Deferred.
        """
        self.given.append(left)
        return succeed(None)

    def test_finishersGetWhatIsLeft(self):
        """
        The finishers are called once the left work ended, with the grace
        less what that work took: the stop waits no longer than its
        grace in all.
        """
        running = Deferred()
        self.work.hold(running)
        done = finishLeft(self.factory, self.clock, 30)
        self.clock.advance(10)
        self.assertEqual(self.given, [])
        running.callback(None)
        self.assertEqual(self.given, [20])
        self.assertEqual(self.successResultOf(done), [(True, None)])

    def test_graceOver(self):
        """
        Work that never ends is given up once the grace is over, and the
        finishers get no time.
        """
        self.work.hold(Deferred())
        done = finishLeft(self.factory, self.clock, 30)
        self.clock.advance(30)
        self.assertEqual(self.given, [0])
        self.successResultOf(done)
        self.assertEqual(self.clock.getDelayedCalls(), [])


class LeftWorkTests(unittest.TestCase):
    """
    L{LeftWork.finish}'s bounds.
    """

    def test_shorterBoundAfterEnded(self):
        """
        A wait that ended leaves no timer behind for a later, shorter
        bound (a drain hurried by C{SIGQUIT}) to move: that bound ends
        the waits still running as soon as it says.
        """
        clock = Clock()
        work = LeftWork(clock)
        first = Deferred()
        work.hold(first)
        ended = work.finish(30)
        first.callback(None)
        self.successResultOf(ended)
        work.hold(Deferred())
        waiting = work.finish(30)
        hurried = work.finish(5)
        clock.advance(5)
        self.successResultOf(waiting)
        self.successResultOf(hurried)
        self.assertEqual(clock.getDelayedCalls(), [])

"""
L{IdleWatch}: the idle timeouts of many sessions on one timed call, each
still told at its own deadline.
"""

from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.control.idlewatch import IdleWatch


class Session:
    """
    A watched session: records when it was told it timed out.
    """

    def __init__(self, clock, name, log):
        self.clock = clock
        self.name = name
        self.log = log
        self.again = None

    def timeoutConnection(self):
        self.log.append((self.name, self.clock.seconds()))
        if self.again is not None:
            self.again.touch(self)


class IdleWatchTests(unittest.TestCase):
    """
    L{IdleWatch.touch}, L{IdleWatch.forget} and the timeouts.
    """

    def setUp(self):
        self.clock = Clock()
        self.watch = IdleWatch(self.clock, 10)
        self.log = []

    def session(self, name):
        return Session(self.clock, name, self.log)

    def test_timesOut(self):
        """
        A session not touched for the timeout is told so, once; a touch
        starts its time again.
        """
        one = self.session("one")
        self.watch.touch(one)
        self.clock.advance(9)
        self.watch.touch(one)
        self.clock.advance(9.5)
        self.assertEqual(self.log, [])
        self.clock.advance(0.5)
        self.assertEqual(self.log, [("one", 19)])
        self.clock.advance(30)
        self.assertEqual(self.log, [("one", 19)])
        self.assertEqual(len(self.watch), 0)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_eachAtItsDeadline(self):
        """
        Sessions touched at different times are each told at their own
        deadline, on one timed call.
        """
        sessions = [self.session(n) for n in range(4)]
        for session in sessions:
            self.watch.touch(session)
            self.clock.advance(1)
        self.watch.touch(sessions[0])
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        for _ in range(20):
            self.clock.advance(0.5)
        self.assertEqual(self.log, [(1, 11), (2, 12), (3, 13), (0, 14)])

    def test_forget(self):
        """
        A forgotten session is not told; with none left, nothing stays
        scheduled, and a new touch schedules again.
        """
        one, two = self.session("one"), self.session("two")
        self.watch.touch(one)
        self.watch.touch(two)
        self.watch.forget(one)
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.watch.forget(two)
        self.watch.forget(two)
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.clock.advance(20)
        self.assertEqual(self.log, [])
        self.watch.touch(two)
        self.clock.advance(10)
        self.assertEqual(self.log, [("two", 30)])

    def test_touchedWhenTold(self):
        """
        A session that touches itself when told (a transfer is running)
        gets another full period, on one timed call.
        """
        one = self.session("one")
        one.again = self.watch
        self.watch.touch(one)
        self.clock.advance(10)
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        one.again = None
        self.clock.advance(10)
        self.assertEqual(self.log, [("one", 10), ("one", 20)])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_failureLogged(self):
        """
        A session whose C{timeoutConnection} raises is logged, and the
        others are still told.
        """
        broken, fine = self.session("broken"), self.session("fine")
        broken.timeoutConnection = lambda: 1 / 0
        self.watch.touch(broken)
        self.watch.touch(fine)
        self.clock.advance(10)
        self.assertEqual(self.log, [("fine", 10)])
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)


class HeldWatchTests(unittest.TestCase):
    """
    L{IdleWatch.hold} and L{IdleWatch.release}: the timed call of a watch
    a server holds outlives its last session.
    """

    def setUp(self):
        self.clock = Clock()
        self.watch = IdleWatch(self.clock, 10)
        self.log = []

    def test_callKept(self):
        """
        While held, the last session leaving leaves the timed call, which
        serves the next session (told at its own deadline) instead of a
        new one.
        """
        self.watch.hold()
        first = Session(self.clock, "first", self.log)
        self.watch.touch(first)
        [call] = self.clock.getDelayedCalls()
        self.watch.forget(first)
        self.assertEqual(self.clock.getDelayedCalls(), [call])
        self.clock.advance(5)
        second = Session(self.clock, "second", self.log)
        self.watch.touch(second)
        self.assertEqual(self.clock.getDelayedCalls(), [call])
        self.clock.advance(5)
        self.assertEqual(self.log, [])
        self.clock.advance(5)
        self.assertEqual(self.log, [("second", 15)])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_runsOutAlone(self):
        """
        A kept call that finds nobody ends without another.
        """
        self.watch.hold()
        one = Session(self.clock, "one", self.log)
        self.watch.touch(one)
        self.watch.forget(one)
        self.clock.advance(10)
        self.assertEqual(self.log, [])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_release(self):
        """
        Released with no session left, the call is cancelled at once;
        released with sessions, once the last leaves.
        """
        self.watch.hold()
        one = Session(self.clock, "one", self.log)
        self.watch.touch(one)
        self.watch.forget(one)
        self.watch.release()
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.watch.hold()
        self.watch.touch(one)
        self.watch.release()
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.watch.forget(one)
        self.assertEqual(self.clock.getDelayedCalls(), [])

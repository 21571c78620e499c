"""
Tests for L{ftpkit.deploy.progress}: a worker's long transfers' bytes,
reported once a period.
"""

from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.deploy.progress import PROGRESS_PERIOD, ProgressTicks


class Moved:
    """
    A transfer's byte count, set by the test.

    @ivar count: the bytes it moved so far.
    """

    count = 0

    def __call__(self):
        return self.count


class ProgressTicksTests(unittest.TestCase):
    """
    L{ProgressTicks}.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()
        self.reported = []
        self.sends = []
        self.ticks = ProgressTicks(
            self.clock, lambda session, moved: self.reported.append(
                (session, moved)),
            lambda: self.sends.append(list(self.reported)))

    def test_shortNeverReported(self):
        """
        A transfer that ends within a period is never reported, and the
        timer its start set runs out at the next tick.
        """
        moved = Moved()
        self.ticks.started(1, self.clock.seconds(), moved)
        moved.count = 16384
        self.clock.advance(PROGRESS_PERIOD / 2)
        self.ticks.ended(1)
        self.clock.advance(PROGRESS_PERIOD)
        self.assertEqual((self.reported, self.sends), ([], []))
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_longReported(self):
        """
        A transfer running a period is reported at each tick where it
        moved bytes since the last report, all of a tick in one send;
        once the last ended, the timer runs out.
        """
        first, second = Moved(), Moved()
        self.ticks.started(1, self.clock.seconds(), first)
        self.ticks.started(2, self.clock.seconds(), second)
        first.count, second.count = 100, 200
        self.clock.advance(PROGRESS_PERIOD)
        self.assertEqual(self.sends, [[(1, 100), (2, 200)]])
        second.count = 300
        self.clock.advance(PROGRESS_PERIOD)
        self.assertEqual(self.sends[1:], [[(1, 100), (2, 200), (2, 300)]])
        self.clock.advance(PROGRESS_PERIOD)
        self.assertEqual(len(self.sends), 2)
        self.ticks.ended(1)
        self.ticks.ended(2)
        self.clock.advance(PROGRESS_PERIOD)
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.assertEqual(len(self.sends), 2)

    def test_youngWaits(self):
        """
        A transfer that started less than a period before a tick is
        reported at the first tick after it ran a period.
        """
        first, second = Moved(), Moved()
        self.ticks.started(1, self.clock.seconds(), first)
        self.clock.advance(PROGRESS_PERIOD / 2)
        self.ticks.started(2, self.clock.seconds(), second)
        first.count = second.count = 5
        self.clock.advance(PROGRESS_PERIOD / 2)
        self.assertEqual(self.reported, [(1, 5)])
        self.clock.advance(PROGRESS_PERIOD)
        self.assertEqual(self.reported, [(1, 5), (2, 5)])

    def test_stalledNotReported(self):
        """
        A long transfer that moved nothing since it started is not
        reported.
        """
        self.ticks.started(1, self.clock.seconds(), Moved())
        self.clock.advance(PROGRESS_PERIOD)
        self.clock.advance(PROGRESS_PERIOD)
        self.assertEqual(self.sends, [])

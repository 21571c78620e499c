"""
L{ftpkit.control.afterburst.AfterBurst} and the C library call it makes
(L{ftpkit.compat.malloctrim}).
"""

from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.compat import malloctrim
from ftpkit.control.afterburst import AfterBurst


class AfterBurstTests(unittest.TestCase):
    """
    Memory is released a moment after a burst of sessions has ended, at
    most once a minute.
    """

    def setUp(self):
        self.clock = Clock()
        self.released = []
        self.watch = AfterBurst(self.clock, lambda: self.released.append(
            self.clock.seconds()), minimumDrop=4, settle=5, interval=60)

    def count(self, *counts):
        """
        Count sessions, one number after the other.
        """
        for count in counts:
            self.watch.counted(count)

    def test_afterHalfTheBurst(self):
        """
        Released C{settle} seconds after the sessions fell to half their
        peak, not before.
        """
        self.count(*range(21))
        self.count(*range(19, 10, -1))
        self.clock.advance(10)
        self.assertEqual(self.released, [])
        self.count(10, 0)
        self.clock.advance(4)
        self.assertEqual(self.released, [])
        self.clock.advance(1)
        self.assertEqual(self.released, [15])

    def test_smallDrop(self):
        """
        A burst smaller than C{minimumDrop} releases nothing.
        """
        self.count(0, 1, 2, 3, 2, 1, 0)
        self.clock.advance(100)
        self.assertEqual(self.released, [])

    def test_onceAMinute(self):
        """
        A second burst ending within the interval is released once the
        interval has passed; the peak counted is the one since the last
        release.
        """
        self.count(*range(9))
        self.count(0)
        self.clock.advance(5)
        self.count(*range(9))
        self.count(0)
        self.clock.advance(30)
        self.assertEqual(self.released, [5])
        self.clock.advance(30)
        self.assertEqual(self.released, [5, 65])

    def test_newPeakAfterRelease(self):
        """
        After a release the peak starts again from the sessions then
        live: a few ending later release nothing.
        """
        self.count(*range(9))
        self.count(4)
        self.clock.advance(5)
        self.count(3, 2, 1)
        self.clock.advance(120)
        self.assertEqual(self.released, [5])

    def test_stop(self):
        """
        L{AfterBurst.stop} forgets the release to come.
        """
        self.count(*range(9))
        self.count(0)
        self.watch.stop()
        self.clock.advance(10)
        self.assertEqual(self.released, [])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_endedAfterStop(self):
        """
        Sessions that end after L{AfterBurst.stop} (the server stopped
        listening, its clients leave) schedule no release, which would
        outlive the server; after L{AfterBurst.start} they do again.
        """
        self.count(*range(9))
        self.watch.stop()
        self.count(0)
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.watch.start()
        self.count(*range(9), 0)
        self.clock.advance(5)
        self.assertEqual(self.released, [5])


class ReleaseFreedTests(unittest.TestCase):
    """
    L{malloctrim.releaseFreed} calls the C library where it can.
    """

    def test_called(self):
        """
        It calls C{malloc_trim(0)} and says so.
        """
        calls = []
        self.patch(malloctrim, "_trim", calls.append)
        self.assertTrue(malloctrim.releaseFreed())
        self.assertEqual(calls, [0])

    def test_missing(self):
        """
        Without C{malloc_trim} it does nothing and says so.
        """
        self.patch(malloctrim, "_trim", None)
        self.assertFalse(malloctrim.releaseFreed())

    def test_glibc(self):
        """
        Under glibc the function is found, and the call returns.
        """
        if malloctrim._trim is None:
            raise unittest.SkipTest("no malloc_trim in this C library")
        self.assertTrue(malloctrim.releaseFreed())

"""
Tests for L{ftpkit.shells.release}: a download's file closed whatever its
C{close} gives, a failure logged once and never raised, as
C{maybeDeferred} and an errback made it.
"""

from twisted.internet.defer import Deferred, fail, succeed
from twisted.logger import globalLogPublisher
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.shells.release import release


class Closing:
    """
    A read file whose C{close} gives (or raises) what it is told.

    @ivar closed: how many times C{close} was called.
    """

    closed = 0

    def __init__(self, gives):
        """
        @param gives: called by C{close} for what it returns.
        """
        self._gives = gives

    def close(self):
        """
        Count the call, then give what C{gives} gives.
        """
        self.closed += 1
        return self._gives()


def _raise():
    raise RuntimeError("close broke")


async def _brokenLater():
    raise RuntimeError("close broke later")


class ReleaseTests(unittest.TestCase):
    """
    L{release} calls C{close} once, and logs one line when it fails,
    however it fails.
    """

    def setUp(self):
        self.lines = []
        globalLogPublisher.addObserver(self.lines.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.lines.append)

    def released(self, gives):
        """
        @param gives: see L{Closing}.
        @return: the failure lines logged by releasing a L{Closing}.
        """
        closing = Closing(gives)
        self.assertIsNone(release(closing))
        self.assertEqual(closing.closed, 1)
        return [line for line in self.lines
                if line.get("method") == "close"]

    def assertOneFailure(self, lines, text):
        """
        @param lines: what L{released} gave.
        @param text: what the one line's C{why} must hold.
        """
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines[0]["owner"], "Closing")
        self.assertIn(text, lines[0]["why"])

    def test_none(self):
        """
        A C{close} giving C{None} (every file of ftpkit's) logs nothing.
        """
        self.assertEqual(self.released(lambda: None), [])

    def test_fired(self):
        """
        A C{close} giving a fired Deferred logs nothing, and leaves no
        failure behind.
        """
        self.assertEqual(self.released(lambda: succeed(None)), [])

    def test_raises(self):
        """
        A C{close} that raises is one line, not an exception.
        """
        self.assertOneFailure(self.released(_raise), "close broke")

    def test_failedDeferred(self):
        """
        A C{close} giving a failed Deferred is one line, and the failure
        is handled (no "Unhandled error in Deferred").
        """
        self.assertOneFailure(
            self.released(lambda: fail(RuntimeError("close failed"))),
            "close failed")

    def test_failsLater(self):
        """
        A C{close} whose Deferred fails later is one line then.
        """
        later = Deferred()
        self.assertEqual(self.released(lambda: later), [])
        later.errback(RuntimeError("close failed later"))
        self.assertOneFailure(
            [line for line in self.lines if line.get("method") == "close"],
            "close failed later")

    def test_coroutine(self):
        """
        A C{close} that is a coroutine function is run, as
        C{maybeDeferred} ran it; its failure is one line.
        """
        self.assertOneFailure(self.released(_brokenLater),
                              "close broke later")

    def test_failure(self):
        """
        A C{close} giving a L{Failure} is one line.
        """
        self.assertOneFailure(
            self.released(lambda: Failure(RuntimeError("close gave it"))),
            "close gave it")

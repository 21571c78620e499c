"""
L{ftpkit.shells.fsspeccalls.PooledCalls} when the store cannot be
reached: its connection gone and not opened again (an SFTP server down).
Each call fails with L{StorageUnavailable} (C{451 Storage unavailable})
and one error line; it was C{451} local error and two lines, the second
from a second attempt to connect.
"""

from twisted.internet import defer
from twisted.internet.task import Clock
from twisted.logger import LogLevel
from twisted.trial import unittest

from ftpkit.blocking import BlockingPool
from ftpkit.errors import LocalError, StorageUnavailable
from tests.logevents import captureLogs
from tests.unit.test_calldeadline import Calls


class DownBackend:
    """
    A backend whose connection cannot be opened again once C{down}.
    """

    label = "fake"

    def __init__(self):
        self.down = False
        self.attempts = 0

    def recover(self, fs):
        if self.down:
            self.attempts += 1
            raise OSError("Connection refused")

    def progress(self, fs):
        return None


class UnreachableTests(unittest.TestCase):
    """
    Calls on a store that went down, with a deadline (as on SFTP).
    """

    def setUp(self):
        pool = BlockingPool("test-unreachable", size=2)
        self.addCleanup(pool.stop)
        self.calls = Calls(pool, 30, Clock())
        self.backend = self.calls.backend = DownBackend()
        self.events = captureLogs(self)

    def errors(self):
        """
        @return: the error lines logged.
        """
        return [event for event in self.events
                if event.get("log_level") == LogLevel.error]

    @defer.inlineCallbacks
    def test_beforeTheCall(self):
        """
        The connection found gone before a call, and not opened again:
        L{StorageUnavailable}, one attempt, one line; the call is not
        made.
        """
        self.backend.down = True
        made = []
        failure = yield self.assertFailure(
            self.calls.call(made.append, 1), StorageUnavailable)
        self.assertEqual((failure.code, failure.message, made),
                         (451, "Storage unavailable, try again later", []))
        self.assertEqual(self.backend.attempts, 1)
        self.assertEqual(len(self.errors()), 1, self.errors())

    @defer.inlineCallbacks
    def test_duringTheCall(self):
        """
        A call failing as the connection broke, which cannot be opened
        again: L{StorageUnavailable}, one line naming both.
        """
        def broken():
            self.backend.down = True
            raise EOFError("connection closed")

        yield self.assertFailure(self.calls.call(broken), StorageUnavailable)
        self.assertEqual(self.backend.attempts, 1)
        [line] = self.errors()
        self.assertEqual((line["kind"], line["reason"]),
                         ("EOFError", "OSError"))

    @defer.inlineCallbacks
    def test_backAtOnce(self):
        """
        Once the store is back, the next call works; a call failing
        otherwise, its connection fine, is still a local error.
        """
        self.backend.down = True
        yield self.assertFailure(self.calls.call(len, ()), StorageUnavailable)
        self.backend.down = False
        self.assertEqual((yield self.calls.call(len, ())), 0)

        def failing():
            raise EOFError("something else")

        failure = yield self.assertFailure(self.calls.call(failing), LocalError)
        self.assertNotIsInstance(failure, StorageUnavailable)

"""
Tests for L{ftpkit.shells.storeoutage} and its use by
L{ftpkit.shells.fsspeccalls.PooledCalls}: once the store is found silent
(a call expired, or opening a connection again did), the calls waiting
behind fail at once instead of each trying to connect for a whole
deadline in turn; the next call made tries again.
"""

import threading

from twisted.internet import defer
from twisted.internet.task import Clock
from twisted.logger import Logger
from twisted.trial import unittest

from ftpkit.blocking import BlockingPool
from ftpkit.errors import NoSuchFile, StorageTimedOut
from ftpkit.shells import fsspeccalls
from ftpkit.shells.fsspeccalls import PooledCalls, outageFor
from ftpkit.shells.storeoutage import Outage

WAIT = 10
"""Seconds a test waits for a thread before it fails (never reached when
the code works)."""

DEADLINE = 30


class OutageTests(unittest.TestCase):
    """
    L{Outage} refuses the calls made before the store was found silent,
    until one is answered.
    """

    def test_noOutage(self):
        """
        Before the store is found silent, no call is refused.
        """
        outage = Outage()
        self.assertFalse(outage.refuses(outage.ticket()))

    def test_madeBeforeRefused(self):
        """
        The calls made before the store was found silent are refused, the
        one made after is not.
        """
        outage = Outage()
        before = [outage.ticket(), outage.ticket()]
        self.assertTrue(outage.silent())
        after = outage.ticket()
        self.assertEqual([outage.refuses(t) for t in before + [after]],
                         [True, True, False])

    def test_oneOutageOneBeginning(self):
        """
        Found silent again before any answer, it is the same outage; an
        answer ends it, and refuses nothing any more.
        """
        outage = Outage()
        first = outage.ticket()
        self.assertEqual([outage.silent(), outage.silent()], [True, False])
        outage.answered()
        self.assertFalse(outage.refuses(first))
        self.assertTrue(outage.silent())

    def test_sharedByFilesystem(self):
        """
        Every shell on one filesystem object shares its outage; another
        filesystem has its own.
        """
        first, second = object.__new__(_Store), object.__new__(_Store)
        self.assertIs(outageFor(first), outageFor(first))
        self.assertIsNot(outageFor(first), outageFor(second))


class _Store:
    """
    A filesystem object (weakly referable).
    """


class HangingBackend:
    """
    A backend whose connection is opened again (L{recover}) by each call
    once it was dropped, and whose opening hangs, when L{hang} is set,
    until L{release} is set, then fails as a connection's expired
    opening does (L{StorageTimedOut}).

    @ivar connects: how many openings were tried.
    """

    label = "fake"

    def __init__(self):
        self.connected = True
        self.hang = False
        self.release = threading.Event()
        self.opening = threading.Event()
        self.dropped = threading.Event()
        self.connects = 0
        self.abandoned = 0

    def recover(self, fs):
        if self.connected:
            return
        self.connects += 1
        if self.hang:
            self.opening.set()
            self.release.wait(WAIT)
            raise StorageTimedOut()
        self.connected = True

    def progress(self, fs):
        return None

    def abandon(self, fs):
        self.abandoned += 1
        self.connected = False
        self.dropped.set()


class Calls(PooledCalls):
    """
    One shell's L{PooledCalls} on a L{HangingBackend}, timed by a
    L{Clock}.
    """

    fs = None

    def __init__(self, pool, lock, clock, outage, backend):
        PooledCalls.__init__(self, pool, lock, DEADLINE, clock, outage)
        self.backend = backend


class QueuedCallsTests(unittest.TestCase):
    """
    The calls of several shells on one silent store, waiting for its
    lock, fail at once after the one that found it silent.
    """

    def setUp(self):
        self.pool = BlockingPool("test-storeoutage", size=4)
        self.addCleanup(self.pool.stop)
        self.clock = Clock()
        self.backend = HangingBackend()
        self.addCleanup(self.backend.release.set)
        self.addCleanup(self.backend.dropped.set)
        lock, outage = threading.Lock(), Outage()
        self.shells = [Calls(self.pool, lock, self.clock, outage,
                             self.backend) for _ in range(4)]
        self.events = []
        self.patch(fsspeccalls, "_log",
                   Logger(namespace="test", observer=self.events.append))
        self.ran = []
        self.entered = threading.Event()

    def answer(self):
        """
        A call the store answers.

        @return: C{"answered"}.
        """
        self.ran.append(threading.current_thread().name)
        return "answered"

    def stuck(self):
        """
        A call the store never answers: it raises once its connection is
        dropped.
        """
        self.ran.append("stuck")
        self.entered.set()
        if not self.backend.dropped.wait(WAIT):
            return "answered late"
        raise EOFError("connection closed")

    @defer.inlineCallbacks
    def test_expiredCallFailsThoseWaiting(self):
        """
        When a call expires, the three calls made meanwhile fail with
        L{StorageTimedOut} without trying to connect (before, each one
        opened a connection again, which on a silent store cost each a
        whole deadline in turn); one line is logged.
        """
        first = self.shells[0].call(self.stuck)
        self.assertTrue(self.entered.wait(WAIT))
        waiting = [shell.call(self.answer) for shell in self.shells[1:]]
        self.clock.advance(DEADLINE)
        for call in [first] + waiting:
            yield self.assertFailure(call, StorageTimedOut)
        self.assertEqual((self.ran, self.backend.connects), (["stuck"], 0))
        self.assertEqual(len(self.events), 1)

    @defer.inlineCallbacks
    def test_expiredOpeningFailsThoseWaiting(self):
        """
        When opening the connection again expires, the calls made
        meanwhile fail with L{StorageTimedOut}: one attempt to connect,
        not one for each call.
        """
        self.backend.connected = False
        self.backend.hang = True
        first = self.shells[0].call(self.answer)
        self.assertTrue(self.backend.opening.wait(WAIT))
        waiting = [shell.call(self.answer) for shell in self.shells[1:]]
        self.backend.release.set()
        for call in [first] + waiting:
            yield self.assertFailure(call, StorageTimedOut)
        self.assertEqual((self.ran, self.backend.connects), ([], 1))
        self.assertEqual(len(self.events), 1)

    @defer.inlineCallbacks
    def test_nextCallTriesAgain(self):
        """
        A call made after the store was found silent tries it again; once
        answered, the outage is over, and a later one logs again.
        """
        self.backend.connected = False
        self.backend.hang = True
        self.backend.release.set()
        yield self.assertFailure(self.shells[0].call(self.answer),
                                 StorageTimedOut)
        yield self.assertFailure(self.shells[1].call(self.answer),
                                 StorageTimedOut)
        self.assertEqual((self.backend.connects, len(self.events)), (2, 1))
        self.backend.hang = False
        self.assertEqual((yield self.shells[2].call(self.answer)),
                         "answered")
        self.backend.connected = False
        self.backend.hang = True
        yield self.assertFailure(self.shells[3].call(self.answer),
                                 StorageTimedOut)
        self.assertEqual((self.backend.connects, len(self.events)), (4, 2))

    @defer.inlineCallbacks
    def test_refusalIsAnAnswer(self):
        """
        A call the store refuses (no such file) shows it answers: the
        outage is over.
        """
        outage = self.shells[0]._outage
        before = outage.ticket()
        outage.silent()

        def missing():
            raise FileNotFoundError("f")

        yield self.assertFailure(self.shells[0].call(missing), NoSuchFile)
        self.assertFalse(outage.refuses(before))

"""
Tests for L{ftpkit.shells.calldeadline} and the deadline of
L{ftpkit.shells.fsspeccalls.PooledCalls}: a storage call that gets no
answer fails with L{StorageTimedOut} once it has run its deadline, its
connection abandoned, and the next call reconnects first.
"""

import threading

from twisted.internet import defer, threads
from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.blocking import BlockingPool
from ftpkit.compat.sftpconnect import boundedSFTP
from ftpkit.errors import LocalError, StorageTimedOut
from ftpkit.shells import calldeadline, fsspeccalls
from ftpkit.shells.calldeadline import CallWatch, ConnectionCut, DeadlineTimer
from ftpkit.shells.fsspeccalls import PooledCalls
from tests.polling import waitFor

WAIT = 60
"""Seconds a test waits for a thread to get somewhere (never reached)."""


class DeadlineTimerTests(unittest.TestCase):
    """
    L{DeadlineTimer} expires a call that has run its time since it
    started, and only that.
    """

    def setUp(self):
        self.clock = Clock()
        self.watch = CallWatch(self.clock)
        self.abandoned = []
        self.mark = 0
        self.timer = DeadlineTimer(self.clock, self.watch, 5,
                                   lambda: self.abandoned.append(True),
                                   lambda: self.mark)

    def test_waitingIsNotRunning(self):
        """
        A call that waits for its turn (its thread, a lock) is not timed:
        a call stuck ahead of it is the one to expire.
        """
        self.clock.advance(12)
        self.assertEqual((self.abandoned, self.watch.expired), ([], False))
        self.watch.start(self.mark)
        self.clock.advance(4)
        self.assertEqual(self.abandoned, [])
        self.clock.advance(1)
        self.assertEqual((self.abandoned, self.watch.expired), ([True], True))
        self.assertTrue(self.watch.end())

    def test_answersKeepItRunning(self):
        """
        A call whose store keeps answering (its progress mark moves) runs
        past the deadline; it expires once the store stops, between one
        and two deadlines after its last answer.
        """
        self.watch.start(self.mark)
        for second in range(1, 23):
            self.clock.advance(1)
            if second <= 12:
                self.mark += 1
            if second == 16:
                self.assertEqual(self.abandoned, [])
        self.assertEqual((self.abandoned, self.watch.expired), ([True], True))

    def test_endedInTime(self):
        """
        A call that ended is not expired, even if its timer runs later.
        """
        self.watch.start(self.mark)
        self.assertFalse(self.watch.end())
        self.clock.advance(5)
        self.assertEqual((self.abandoned, self.watch.expired), ([], False))

    def test_cancel(self):
        """
        L{DeadlineTimer.cancel} leaves no timer, and gives back what the
        call gave.
        """
        self.clock.advance(3)
        self.assertEqual(self.timer.cancel("result"), "result")
        self.assertEqual(self.clock.getDelayedCalls(), [])


class BlockingClose:
    """
    A close that blocks until the test releases it (bounded only so that
    a close made in the caller's thread fails the test instead of hanging
    it), as paramiko's C{Transport.close} may join its thread.

    @ivar entered: set once the close started.
    @ivar released: the test sets it to let the close end.
    @ivar ended: whether the close returned.
    @ivar thread: the thread the close ran in.
    """

    def __init__(self, then=lambda: None):
        """
        @param then: called once released, before the close returns.
        """
        self.entered = threading.Event()
        self.released = threading.Event()
        self.ended = False
        self.thread = None
        self._then = then

    def __call__(self):
        self.thread = threading.current_thread()
        self.entered.set()
        self.released.wait(10)
        self._then()
        self.ended = True


class FakeBackend:
    """
    A backend whose connection L{abandon} drops: a call waiting on it
    then raises, as paramiko's does once its transport is closed.
    """

    label = "fake"

    def __init__(self):
        self.dropped = threading.Event()
        self.recovered = 0
        self.abandoned = 0

    def recover(self, fs):
        self.recovered += 1

    def progress(self, fs):
        return None

    def abandon(self, fs):
        self.abandoned += 1
        self.dropped.set()


class Calls(PooledCalls):
    """
    L{PooledCalls} on a L{FakeBackend}, timed by a L{Clock}.
    """

    fs = None

    def __init__(self, pool, deadline, clock):
        PooledCalls.__init__(self, pool, threading.Lock(), deadline, clock)
        self.backend = FakeBackend()


class PooledDeadlineTests(unittest.TestCase):
    """
    L{PooledCalls.call} with a deadline.
    """

    def setUp(self):
        self.pool = BlockingPool("test-calldeadline", size=2)
        self.addCleanup(self.pool.stop)
        self.clock = Clock()
        self.calls = Calls(self.pool, 30, self.clock)

    @defer.inlineCallbacks
    def test_stuckCallExpires(self):
        """
        A call with no answer after its deadline fails with
        L{StorageTimedOut} (a C{451}), its connection abandoned, which
        freed its thread; the next call reconnects first and works.
        """
        backend = self.calls.backend
        entered = threading.Event()
        self.addCleanup(backend.dropped.set)

        def stuck():
            entered.set()
            # Bounded only so that without a deadline the test fails
            # instead of hanging.
            if not backend.dropped.wait(10):
                return "answered late"
            raise EOFError("connection closed")

        call = self.calls.call(stuck)
        self.assertTrue(entered.wait(WAIT))
        self.clock.advance(30)
        failure = yield self.assertFailure(call, StorageTimedOut)
        self.assertIsInstance(failure, LocalError)
        self.assertEqual(failure.code, 451)
        self.assertEqual(backend.abandoned, 1)
        before = backend.recovered
        self.assertEqual((yield self.calls.call(lambda: "next")), "next")
        self.assertEqual(backend.recovered, before + 1)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    @defer.inlineCallbacks
    def test_abandonAside(self):
        """
        An expired call's connection is dropped off the reactor thread: the
        deadline's timer returns while the backend's C{abandon} still
        blocks (before, it ran in the timer, and held the reactor, every
        session of the process, until the close was over).
        """
        backend = self.calls.backend
        close = BlockingClose(then=backend.dropped.set)
        self.patch(backend, "abandon", lambda fs: close())
        self.addCleanup(close.released.set)
        entered = threading.Event()

        def stuck():
            entered.set()
            if not backend.dropped.wait(WAIT):
                return "answered late"
            raise EOFError("connection closed")

        call = self.calls.call(stuck)
        self.assertTrue(entered.wait(WAIT))
        self.clock.advance(30)
        self.assertTrue(close.entered.wait(WAIT))
        self.assertFalse(close.ended)
        self.assertIsNot(close.thread, threading.current_thread())
        close.released.set()
        yield self.assertFailure(call, StorageTimedOut)
        self.assertTrue(close.ended)

    @defer.inlineCallbacks
    def test_lateAnswerWaitsForTheDrop(self):
        """
        A call answered just as its deadline passed, while its
        connection's drop is still under way aside, fails once the drop is
        over, the lock held until then: the next call does not start on
        the connection being dropped (which failed it), nor reconnect
        before the drop read which connection to close (the new one).
        """
        backend = self.calls.backend
        close = BlockingClose()
        self.patch(backend, "abandon", lambda fs: close())
        self.addCleanup(close.released.set)
        waiting = []

        class Watch(CallWatch):
            def waitDropped(self, seconds):
                # The call waits for the drop: let the drop end.
                waiting.append(close.ended)
                close.released.set()
                CallWatch.waitDropped(self, seconds)

        self.patch(fsspeccalls, "CallWatch", Watch)
        entered = threading.Event()
        answer = threading.Event()

        def late():
            entered.set()
            answer.wait(WAIT)
            return "answered late"

        call = self.calls.call(late)
        self.assertTrue(entered.wait(WAIT))
        self.clock.advance(30)
        self.assertTrue(close.entered.wait(WAIT))
        answer.set()
        failed = []
        call.addErrback(lambda failure: failed.append(close.ended) or failure)
        yield self.assertFailure(call, StorageTimedOut)
        self.assertEqual((waiting, failed), ([False], [True]))
        self.assertEqual((yield self.calls.call(lambda: close.ended)), True)

    @defer.inlineCallbacks
    def test_quickCallsLeaveNoTimer(self):
        """
        A call that answers in time gives its result, abandons nothing and
        leaves no timer behind.
        """
        self.assertEqual((yield self.calls.call(lambda a: a * 2, 21)), 42)
        self.assertEqual(self.calls.backend.abandoned, 0)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    @defer.inlineCallbacks
    def test_noDeadline(self):
        """
        Without a deadline no timer is set.
        """
        calls = Calls(self.pool, None, self.clock)
        self.assertEqual((yield calls.call(lambda: 1)), 1)
        self.assertEqual(calls.backend.recovered, 0)
        self.assertEqual(self.clock.getDelayedCalls(), [])


class ConnectionCutTests(unittest.TestCase):
    """
    L{ConnectionCut} closes a connection still being opened at its
    deadline, and again each deadline after it until the opening ends.
    """

    def setUp(self):
        self.clock = Clock()
        self.closed = []
        self.cut = ConnectionCut(
            self.clock, 5, lambda: lambda: self.closed.append(True),
            lambda close: close())

    def test_openedInTime(self):
        """
        An opening that ends before the deadline is not cut, and L{cancel}
        leaves no timer.
        """
        self.cut.start()
        self.clock.advance(4)
        self.assertFalse(self.cut.end())
        self.cut.cancel()
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.assertEqual(self.closed, [])

    def test_cutUntilEnded(self):
        """
        An opening still under way at the deadline is cut, and again at
        each deadline after it (a first cut may have found nothing to
        close), until it ends.
        """
        self.cut.start()
        self.clock.advance(5)
        self.clock.advance(5)
        self.assertEqual(self.closed, [True, True])
        self.assertTrue(self.cut.end())
        self.clock.advance(5)
        self.assertEqual(self.closed, [True, True])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_closedAside(self):
        """
        By default the cut closes the connection in a thread of its own:
        the deadline's timer returns while the close still blocks (before,
        the timer closed it, in the reactor thread).
        """
        close = BlockingClose()
        self.addCleanup(close.released.set)
        cut = ConnectionCut(self.clock, 5, lambda: close)
        cut.start()
        self.clock.advance(5)
        self.assertTrue(close.entered.wait(WAIT))
        self.assertFalse(close.ended)
        self.assertIsNot(close.thread, threading.current_thread())
        close.released.set()
        self.assertTrue(cut.end())
        cut.cancel()
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_nothingYet(self):
        """
        A cut that finds no connection yet (its closer gives C{None})
        closes nothing, and tries again at the next deadline.
        """
        found = [None, lambda: self.closed.append(True)]
        cut = ConnectionCut(self.clock, 5, lambda: found.pop(0),
                            lambda close: close())
        cut.start()
        self.clock.advance(5)
        self.assertEqual(self.closed, [])
        self.clock.advance(5)
        self.assertEqual(self.closed, [True])
        self.assertTrue(cut.end())
        cut.cancel()

    def test_endedBeforeStart(self):
        """
        An opening that ended before the reactor started counting is not
        timed at all.
        """
        self.cut.end()
        self.cut.start()
        self.assertEqual(self.clock.getDelayedCalls(), [])


class FakeTransport:
    """
    An SSH connection's transport, as paramiko's C{Transport} is closed.

    @ivar closed: whether it was.
    """

    closed = False

    def close(self):
        self.closed = True


class FakeClient:
    """
    paramiko's C{SSHClient}, as much as a cut reads of it.
    """

    def __init__(self):
        self.transport = FakeTransport()

    def get_transport(self):
        return self.transport


class StalledSFTP:
    """
    fsspec's C{SFTPFileSystem}, as much as L{boundedSFTP} uses: its
    C{_connect} makes its client, then waits for the SFTP session until
    released, and fails (as one whose connection was closed).

    @ivar client: the L{FakeClient} of the connection opened last.
    @ivar released: the test sets it to end the opening.
    """

    def __init__(self):
        self.client = None
        self.released = threading.Event()

    def _connect(self):
        self.client = FakeClient()
        self.released.wait(WAIT)
        raise EOFError("connection closed")


class OpeningCutTests(unittest.TestCase):
    """
    The SFTP realm's opening of a connection cut at its deadline
    (L{boundedSFTP}, L{ConnectionCut}) closes the connection being opened
    when the cut was decided.
    """

    async def test_lateCloseLeavesNewer(self):
        """
        A close whose thread starts late, once the opening failed and
        another connection was opened, closes the connection that was
        cut, not the newer one (it looked for the connection when its
        thread ran, and closed the newer one). The test starts the close's
        thread itself: the cut hands it over.
        """
        aside = []
        self.patch(calldeadline, "closeAside",
                   lambda close, label: aside.append(close))
        fs = boundedSFTP(StalledSFTP, 0.01)()
        opening = threads.deferToThread(fs._connect)
        self.assertTrue(await waitFor(lambda: aside))
        fs.released.set()
        await self.assertFailure(opening, StorageTimedOut)
        cut = fs.client.transport
        self.assertTrue(cut.closed)
        fs.client = FakeClient()
        for close in aside:
            close()
        self.assertFalse(fs.client.transport.closed)

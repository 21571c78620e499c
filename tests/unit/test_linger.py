"""
Tests for L{ftpkit.data.linger} and the lingering close of a download's
bare connection (L{ftpkit.data.leanconnection.LeanConnection.finish}): the
transfer is over once the client has ended its side, or after the
linger's timeout, so that its C{226} never reaches a client that has not
read its C{150} yet (aria2c).
"""

import os
import select
import socket
import stat
import threading
import time
from types import SimpleNamespace

from twisted.internet.error import ConnectionDone
from twisted.trial import unittest

from ftpkit.data import linger as lingerModule
from ftpkit.data.linger import (
    LINGER_TIMEOUT,
    LingerWatcher,
    lingerOn,
    peerEnded,
    watcherFor,
)
from ftpkit.errors import TransferAborted
from tests.droppedreactor import dropEverything
from tests.unit.test_movers import LeanConnectionMixin, ReadersClock


class LingerTests(LeanConnectionMixin, unittest.TestCase):
    """
    A finished download's bare connection waits for the client.
    """

    def test_waitsForTheClient(self):
        """
        C{finish} sends the end of the data at once, and is over only once
        the client has ended its side, which the reactor reports.
        """
        self.server.send(b"data")
        finished = self.connection.finish()
        self.assertNoResult(finished)
        self.assertEqual(self.client.recv(100), b"data")
        self.assertEqual(self.client.recv(100), b"")
        [reader] = self.clock.readers
        reader.doRead()
        self.assertNoResult(finished)
        self.client.shutdown(socket.SHUT_WR)
        reader.doRead()
        self.successResultOf(finished)
        self.assertIsInstance(self.successResultOf(
            self.connection.whenLost()), ConnectionDone)
        self.assertNothingWaits()

    def assertNothingWaits(self):
        """
        Nothing is left in the reactor: no reader, no timer.
        """
        self.assertEqual(self.clock.readers, [])
        self.clock.advance(0)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_numberFreedAtOnce(self):
        """
        A wait that ends in its socket's own event (or on its timer) closes
        the socket and frees its number at once: no event of the reactor's
        batch can name it, so it needs no C{/dev/null} placeholder until
        the next turn (L{ftpkit.data.descriptors.closeSocket}).
        """
        number = self.server.fileno()
        finished = self.connection.finish()
        [reader] = self.clock.readers
        self.client.close()
        reader.doRead()
        self.successResultOf(finished)
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.assertNumberFree(number)

    def test_numberFreedAtOnceAfterTimeout(self):
        """
        Likewise when the wait ends on its timer.
        """
        number = self.server.fileno()
        finished = self.connection.finish()
        freed = finished.addCallback(lambda _: self.assertNumberFree(number))
        self.clock.advance(LINGER_TIMEOUT)
        self.successResultOf(freed)

    def assertNumberFree(self, number):
        """
        The descriptor C{number} is closed, not held by C{/dev/null}.
        """
        try:
            mode = os.fstat(number).st_mode
        except OSError:
            return
        self.assertFalse(stat.S_ISCHR(mode), "held by /dev/null")

    def test_clientDoneAlready(self):
        """
        A client that ended its side already costs no wait.
        """
        self.client.shutdown(socket.SHUT_WR)
        self.successResultOf(self.connection.finish())
        self.assertNothingWaits()

    def test_timeout(self):
        """
        A client that keeps its side open is waited for only
        L{LINGER_TIMEOUT} seconds; the transfer still ended in order. (Its
        kernel is not seen to acknowledge the end of the data: on loopback
        it may have, and the wait would end at the first look.)
        """
        self.patch(lingerModule, "acknowledged", lambda sock: False)
        finished = self.connection.finish()
        self.clock.advance(LINGER_TIMEOUT - 0.1)
        self.assertNoResult(finished)
        self.clock.advance(0.1)
        self.successResultOf(finished)
        self.assertNothingWaits()

    def test_reset(self):
        """
        A client that resets the connection has ended its side too.
        """
        self.client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                               b"\1\0\0\0\0\0\0\0")
        self.client.close()
        self.successResultOf(self.connection.finish())

    def test_abortMeanwhile(self):
        """
        An abort during the wait (ABOR, the session ending) ends it: the
        transfer fails, and nothing is left in the reactor.
        """
        finished = self.connection.finish()
        self.connection.abort()
        self.failureResultOf(finished, TransferAborted)
        self.assertNothingWaits()

    def test_noLingerForUploads(self):
        """
        An upload's C{finish(linger=False)} closes at once.
        """
        self.successResultOf(self.connection.finish(linger=False))
        self.assertEqual(self.clock.readers, [])
        self.assertEqual(self.client.recv(100), b"")

    def test_closeReceived(self):
        """
        C{closeReceived} (what an upload calls, without a Deferred) closes
        at once too.
        """
        self.assertIsNone(self.connection.closeReceived())
        self.assertEqual(self.clock.readers, [])
        self.assertEqual(self.client.recv(100), b"")

    def test_closeReceivedAfterAbort(self):
        """
        C{closeReceived} on a connection dropped before raises
        L{TransferAborted}, as C{finish} fails with it.
        """
        self.connection.abort()
        self.assertRaises(TransferAborted, self.connection.closeReceived)
        self.failureResultOf(self.connection.finish(linger=False),
                             TransferAborted)


class LingerWatcherTests(unittest.TestCase):
    """
    One L{LingerWatcher} watches every lingering socket of a reactor, with
    one reader and one timer.
    """

    def setUp(self):
        self.clock = ReadersClock()
        self.ended = []

    def pair(self):
        """
        @return: a connected C{(server, client)} pair of sockets, the
            server's non-blocking with its sending side ended, both closed
            when the test ends.
        """
        server, client = socket.socketpair()
        self.addCleanup(server.close)
        self.addCleanup(client.close)
        server.setblocking(False)
        server.shutdown(socket.SHUT_WR)
        return server, client

    def linger(self, watcher, name, timeout=LINGER_TIMEOUT):
        """
        @return: the client socket of a new lingering pair, whose end adds
            C{name} to C{self.ended}.
        """
        server, client = self.pair()
        watcher.linger(server, lambda: self.ended.append(name), timeout)
        return client

    def test_oneReaderOneTimer(self):
        """
        A socket that waits alone is watched by the reactor; however many
        wait with it, the reactor watches one more descriptor, the
        watcher's, and there is one timer. The sockets whose clients ended
        are all handled in one event, and the watcher leaves the reactor
        with the last.
        """
        watcher = LingerWatcher(self.clock)
        clients = [self.linger(watcher, n) for n in range(5)]
        [alone, reader] = self.clock.readers
        self.assertIs(reader, watcher)
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        for n in (3, 1, 4):
            clients[n].shutdown(socket.SHUT_WR)
        watcher.doRead()
        self.assertEqual(sorted(self.ended), [1, 3, 4])
        clients[2].send(b"ignored")
        watcher.doRead()
        self.assertEqual(sorted(self.ended), [1, 3, 4])
        clients[2].close()
        watcher.doRead()
        self.assertEqual(self.clock.readers, [alone])
        clients[0].close()
        alone.doRead()
        self.assertEqual(sorted(self.ended), [0, 1, 2, 3, 4])
        self.assertEqual(self.clock.readers, [])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_timeoutsInOrder(self):
        """
        Each wait ends after its own timeout, whatever the order they
        started in.
        """
        watcher = LingerWatcher(self.clock)
        self.linger(watcher, "long", 5)
        self.linger(watcher, "short", 1)
        self.clock.advance(1)
        self.assertEqual(self.ended, ["short"])
        self.clock.advance(3.9)
        self.assertEqual(self.ended, ["short"])
        self.clock.advance(0.1)
        self.assertEqual(self.ended, ["short", "long"])
        self.assertEqual(self.clock.readers, [])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_waitStartedByAnEnd(self):
        """
        A wait started by the end of another (a pipelined command run
        once its transfer's 226 went out) does not put off the timeouts of
        those already waiting.
        """
        watcher = LingerWatcher(self.clock)
        server, client = self.pair()

        def ended():
            self.ended.append("first")
            self.linger(watcher, "third")

        watcher.linger(server, ended, 5)
        self.clock.advance(1)
        self.linger(watcher, "second", 5)
        self.clock.advance(4)
        self.assertEqual(self.ended, ["first"])
        self.clock.advance(1)
        self.assertEqual(self.ended, ["first", "second"])
        self.clock.advance(4)
        self.assertEqual(self.ended, ["first", "second", "third"])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_endedWaitsLeaveTheHeap(self):
        """
        Waits that ended do not pile up until their deadlines while
        another socket keeps waiting.
        """
        watcher = LingerWatcher(self.clock)
        self.linger(watcher, "slow")
        for n in range(300):
            self.linger(watcher, n).close()
            watcher.doRead()
            self.assertEqual(self.clock.readers[1:], [])
        self.assertEqual(len(self.ended), 300)
        self.assertLessEqual(len(watcher._deadlines), 4 + 64)

    def test_stopWaiting(self):
        """
        A wait stopped by its owner (an abort) does not tell the owner,
        and leaves nothing behind.
        """
        watcher = LingerWatcher(self.clock)
        server, client = self.pair()
        linger = watcher.linger(server, lambda: self.ended.append(1), 5)
        linger.stopWaiting()
        client.close()
        self.assertEqual(self.clock.readers, [])
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.assertEqual(self.ended, [])

    def test_settled(self):
        """
        A wait ended by its own event or its timer is settled (its socket
        may be closed at once); one the reactor watched itself, ended
        because the reactor dropped the watcher's descriptor (in that
        descriptor's event), is not.
        """
        watcher = LingerWatcher(self.clock)
        alone, aloneClient = self.pair()
        polled, polledClient = self.pair()
        first = watcher.linger(alone, lambda: None, 5)
        second = watcher.linger(polled, lambda: None, 5)
        self.assertEqual((first.watched, second.watched), (True, False))
        watcher.connectionLost(None)
        self.assertEqual((first.settled, second.settled), (False, True))
        ownEvent = watcher.linger(self.pair()[0], lambda: None, 5)
        ownEvent.connectionLost(None)
        timedOut = watcher.linger(self.pair()[0], lambda: None, 5)
        self.clock.advance(5)
        self.assertEqual((ownEvent.settled, timedOut.settled), (True, True))

    def test_heldTimerLeftToRunOut(self):
        """
        While a server holds the timer (L{LingerWatcher.hold}), it is
        left to run out when the last wait ends: waits one after the other
        make one timed call, not one each, and it ends nothing when it
        fires; a wait started meanwhile with a later deadline still ends
        on time.
        """
        watcher = LingerWatcher(self.clock)
        watcher.hold()
        for n in range(3):
            self.linger(watcher, n).close()
            [reader] = self.clock.readers
            reader.doRead()
            self.clock.advance(1)
        self.assertEqual(self.ended, [0, 1, 2])
        [call] = self.clock.getDelayedCalls()
        self.assertEqual(call.getTime(), 5)
        self.linger(watcher, "late")  # At 3, until 8.
        self.clock.advance(2)
        self.assertEqual(self.ended, [0, 1, 2])
        self.clock.advance(2.9)
        self.assertEqual(self.ended, [0, 1, 2])
        self.clock.advance(0.1)
        self.assertEqual(self.ended, [0, 1, 2, "late"])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_heldWatcherStaysInTheReactor(self):
        """
        While held, even a socket waiting alone waits in the watcher's
        C{epoll} set (not added to the reactor and removed), and the
        watcher stays in the reactor between waits; once released, it
        leaves when no socket waits.
        """
        watcher = LingerWatcher(self.clock)
        watcher.hold()
        server, client = self.pair()
        linger = watcher.linger(server, lambda: self.ended.append(1), 5)
        self.assertFalse(linger.watched)
        self.assertEqual(self.clock.readers, [watcher])
        client.close()
        watcher.doRead()
        self.assertEqual(self.ended, [1])
        self.assertTrue(linger.settled)
        self.assertEqual(self.clock.readers, [watcher])
        client = self.linger(watcher, 2)
        watcher.release()
        self.assertEqual(self.clock.readers, [watcher])
        client.close()
        watcher.doRead()
        self.assertEqual(self.ended, [1, 2])
        self.assertEqual(self.clock.readers, [])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_release(self):
        """
        Once no server holds the timer, it is cancelled when no socket
        waits: at once, or when the last wait ends.
        """
        watcher = LingerWatcher(self.clock)
        watcher.hold()
        watcher.hold()
        self.linger(watcher, "first").close()
        self.clock.readers[0].doRead()
        watcher.release()
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        watcher.release()
        self.assertEqual(self.clock.getDelayedCalls(), [])
        watcher.hold()
        client = self.linger(watcher, "second")
        watcher.release()
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        client.close()
        self.clock.readers[0].doRead()
        self.assertEqual(self.ended, ["first", "second"])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_reactorDroppedIt(self):
        """
        A reactor that dropped the watcher without a word (trial's
        cleanup of a test that left it dirty: every reader removed, every
        timed call cancelled; that test's server never stopped) is found
        out by the next server's L{LingerWatcher.hold}: that server's
        waits are watched and timed, and its release leaves the reactor
        clean. The watcher thought itself in the reactor and its timer
        pending: the waits of every later test of the process were never
        noticed nor timed out, and the release raised C{AlreadyCancelled}.
        """
        watcher = LingerWatcher(self.clock)
        self.addCleanup(watcher.poller.close)
        watcher.hold()
        self.linger(watcher, "dropped")
        self.assertEqual(self.clock.readers, [watcher])
        dropEverything(self.clock)
        watcher.hold()
        client = self.linger(watcher, "seen")
        [reader] = self.clock.readers
        client.close()
        reader.doRead()
        self.linger(watcher, "timed")
        self.clock.advance(LINGER_TIMEOUT)
        self.assertEqual(self.ended, ["seen", "timed"])
        watcher.release()
        self.assertEqual(self.clock.readers, [])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_withoutEpoll(self):
        """
        Without an C{epoll} descriptor of its own, the reactor watches each
        socket itself.
        """
        watcher = LingerWatcher(self.clock, useEpoll=False)
        server, client = self.pair()
        linger = watcher.linger(server, lambda: self.ended.append(1), 5)
        self.assertTrue(linger.watched)
        self.assertEqual(self.clock.readers, [linger])
        self.assertEqual(linger.fileno(), server.fileno())
        linger.doRead()
        self.assertEqual(self.ended, [])
        client.close()
        linger.doRead()
        self.assertEqual(self.ended, [1])
        self.assertEqual(self.clock.readers, [])
        self.assertEqual(self.clock.getDelayedCalls(), [])


class _EpollClock(ReadersClock):
    """
    A L{ReadersClock} with an C{epoll} object as the epoll reactor has
    (C{_poller}), and the reactor's C{timeout}.
    """

    def __init__(self):
        ReadersClock.__init__(self)
        self._poller = select.epoll()
        self.threadCallQueue = []

    def timeout(self):
        """
        @return: the seconds to the next timed call, or C{None}.
        """
        calls = self.getDelayedCalls()
        if not calls:
            return None
        return max(0.0, min(c.getTime() for c in calls) - self.seconds())


class WaitHereTests(unittest.TestCase):
    """
    A lingering socket waits in place while the reactor has nothing else
    to do (L{LingerWatcher.waitHere}), and in the reactor otherwise.
    """

    def setUp(self):
        self.reactor = _EpollClock()
        self.addCleanup(self.reactor._poller.close)
        self.ended = []
        with socket.create_server(("127.0.0.1", 0)) as listening:
            self.client = socket.create_connection(listening.getsockname())
            self.server, _ = listening.accept()
        self.server.setblocking(False)
        self.addCleanup(self.client.close)
        self.addCleanup(self.server.close)

    def closeClientSoon(self):
        """
        Close the client from a thread, once it has read the server's end.
        """
        def close():
            self.client.settimeout(10)
            while self.client.recv(100):
                pass
            time.sleep(0.05)
            self.client.close()
        closing = threading.Thread(target=close, daemon=True)
        closing.start()
        self.addCleanup(closing.join, 10)

    def lingerOn(self, timeout=LINGER_TIMEOUT):
        """
        @return: what L{lingerOn} returns for the server's socket.
        """
        return lingerOn(self.reactor, self.server,
                        lambda: self.ended.append(True), timeout)

    def test_waitsHere(self):
        """
        With nothing ready in the reactor and no timed call, the socket
        waits in place until its client ends its side: nothing is left to
        wait for in the reactor (no reader, no timer). (The first look at
        what the client acknowledged is put off beyond its close.)
        """
        self.patch(lingerModule, "FIRST_LOOK", lingerModule.ACKED_GRACE)
        self.closeClientSoon()
        self.assertIsNone(self.lingerOn())
        self.assertEqual(self.reactor.readers, [])
        self.assertEqual(self.reactor.getDelayedCalls(), [])

    def test_reactorBusy(self):
        """
        A descriptor the reactor watches is ready: the socket waits in
        the reactor at once.
        """
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        self.reactor._poller.register(a.fileno(), select.EPOLLIN)
        b.send(b"ready")
        linger = self.lingerOn()
        self.assertIsNotNone(linger)
        self.assertEqual(self.reactor.readers, [linger])
        self.client.close()
        linger.doRead()
        self.assertEqual(self.ended, [True])

    def noPolls(self):
        """
        Make the wait in place fail the test if it polls.
        """
        class NoPoll:
            def register(self, fd, events):
                raise AssertionError("registered for a poll")

        self.patch(watcherFor(self.reactor), "_here", NoPoll())

    def test_eventsLeftNoPoll(self):
        """
        Events of the reactor's current poll still to be handled (with
        many sessions at once, most downloads end so): the socket is read
        once, without a C{poll}, and waits in the reactor, even with
        nothing ready in the reactor's C{epoll} descriptor and no timed
        call.
        """
        self.reactor.doIteration = SimpleNamespace(left=2)
        self.noPolls()
        linger = self.lingerOn()
        self.assertIsNotNone(linger)
        self.assertEqual(self.reactor.readers, [linger])
        self.client.close()
        linger.doRead()
        self.assertEqual(self.ended, [True])

    def test_eventsLeftClientDone(self):
        """
        Events of the reactor's current poll still to be handled, and a
        client that has ended its side already: that one read ends the
        wait, with nothing left in the reactor.
        """
        self.reactor.doIteration = SimpleNamespace(left=1)
        self.noPolls()
        self.client.close()
        self.assertIsNone(self.lingerOn())
        self.assertEqual(self.reactor.readers, [])
        self.assertEqual(self.reactor.getDelayedCalls(), [])

    def test_timedCallDue(self):
        """
        A timed call due now: the socket waits in the reactor at once.
        """
        self.reactor.callLater(0, lambda: None)
        self.assertIsNotNone(self.lingerOn())

    def test_threadCallsQueued(self):
        """
        Calls queued for the reactor's next turn (a disk thread's result,
        say, or the one running now): the socket waits in the reactor at
        once.
        """
        self.patch(self.reactor, "seconds", time.monotonic)
        self.reactor.threadCallQueue = [(lambda: None, (), {})]
        self.assertIsNotNone(self.lingerOn(0.05))

    def test_untilTheNextTimedCall(self):
        """
        The wait in place lasts until the reactor's next timed call at
        most; the socket then waits in the reactor, for what is left of
        the timeout. (The poll passes the test's clock: with real time, a
        loaded machine reached the timed call before the wait began.)
        """
        polled = []

        class ClockPoll:
            def register(self, fd, events):
                pass

            def unregister(self, fd):
                pass

            def poll(poller, milliseconds):
                polled.append(milliseconds)
                self.reactor.advance(milliseconds / 1000)
                return []

        watcher = watcherFor(self.reactor)
        self.patch(watcher, "_here", ClockPoll())
        self.reactor.callLater(0.01, lambda: None)
        linger = self.lingerOn()
        self.assertIsNotNone(linger)
        self.assertEqual(polled, [10])
        self.assertAlmostEqual(linger.final, LINGER_TIMEOUT, places=9)
        self.assertEqual(self.ended, [])

    def test_timeoutPassesHere(self):
        """
        A client that does not end its side within the timeout, waited
        for in place: the wait is over all the same.
        """
        self.patch(self.reactor, "seconds", time.monotonic)
        self.assertIsNone(self.lingerOn(0.01))
        self.assertEqual(self.reactor.readers, [])

    def test_clientSendsFirst(self):
        """
        A client that sends bytes without ending its side ends the wait in
        place; its bytes are dropped and the socket waits in the reactor.
        """
        self.client.send(b"junk")
        self.assertIsNotNone(self.lingerOn())
        self.assertRaises(BlockingIOError, self.server.recv, 100,
                          socket.MSG_DONTWAIT)


class PeerEndedTests(unittest.TestCase):
    """
    L{peerEnded} reads what is there and tells whether the peer is done.
    """

    def test_states(self):
        """
        Nothing yet: not ended; bytes then the end: read and dropped,
        ended.
        """
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        a.setblocking(False)
        self.assertFalse(peerEnded(a))
        b.sendall(b"x" * 10000)
        b.shutdown(socket.SHUT_WR)
        self.assertTrue(peerEnded(a))

    def test_blockingSocket(self):
        """
        A socket left blocking is read without waiting: a lingering close
        on it never stops the reactor (a test's blocking socket pair hung
        the whole suite).
        """
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        results = []
        reader = threading.Thread(target=lambda: results.append(peerEnded(a)),
                                  daemon=True)
        reader.start()
        reader.join(10)
        # Ending the peer lets a read that waited return, whatever it did.
        b.shutdown(socket.SHUT_WR)
        reader.join(10)
        self.assertEqual(results[:1], [False])

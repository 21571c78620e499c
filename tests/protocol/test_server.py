"""
Unit tests of a session's limits (connections, idle time, failed logins)
and of what it lets go of when it ends, on L{StringTransport} with a
L{MemoryReactorClock}; and the helpers the protocol tests share to run
sessions that way (L{makeFactory}, L{connect}, L{replyCodes},
L{captureLogs}, L{warningsAbout}).

The command lines a session reads are tested in
L{tests.protocol.test_commandlines}, the data connection's guards in
L{tests.protocol.test_dataguards}.
"""

import re

from twisted.internet import error
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import LogLevel
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.control.handlers.login import MAX_LOGIN_DELAY
from ftpkit.data.linger import watcherFor
from ftpkit.deploy.overlimit import RELEASE_WAIT
from ftpkit.errors import CannotOpenDataConnection
from tests.logevents import captureLogs, warningsAbout
from tests.memorysessions import connect, makeFactory, replyCodes

REPLY = re.compile(rb"^(\d{3})[ -]")














class ConnectionLimitTests(unittest.TestCase):
    """
    C{--max-connections} and C{--max-connections-per-ip}.
    """

    def test_maxConnections(self):
        """
        Over the limit, a client waits a moment for a session to end
        (L{RELEASE_WAIT}), unread and ungreeted; then it gets C{421} and
        is closed, with a log line; once a session ends, a new one is
        accepted.
        """
        events = captureLogs(self)
        factory = makeFactory(MemoryReactorClock(), maxConnections=2)
        first, _ = connect(factory, "10.0.0.1")
        connect(factory, "10.0.0.2")
        third, transport = connect(factory, "10.0.0.3")
        self.assertEqual(replyCodes(transport), [])
        self.assertEqual(transport.producerState, "paused")
        factory.reactor.advance(RELEASE_WAIT)
        self.assertEqual(replyCodes(transport), ["421"])
        self.assertTrue(transport.disconnecting)
        self.assertEqual(factory.sessions, 2)
        self.assertTrue(warningsAbout(events, "10.0.0.3"))
        third.connectionLost(Failure(error.ConnectionDone()))
        self.assertEqual(factory.sessions, 2)
        first.connectionLost(Failure(error.ConnectionDone()))
        _, transport = connect(factory, "10.0.0.4")
        self.assertEqual(replyCodes(transport), ["220"])
        self.assertEqual(factory.sessions, 2)

    def test_maxConnectionsPerIP(self):
        """
        Over the per-address limit, a client gets C{421} (after
        L{RELEASE_WAIT}); other addresses still get in.
        """
        events = captureLogs(self)
        factory = makeFactory(MemoryReactorClock(), maxConnectionsPerIP=2)
        connect(factory, "10.0.0.1")
        connect(factory, "10.0.0.1")
        _, refused = connect(factory, "10.0.0.1")
        _, other = connect(factory, "10.0.0.2")
        factory.reactor.advance(RELEASE_WAIT)
        self.assertEqual(replyCodes(refused), ["421"])
        self.assertTrue(refused.disconnecting)
        self.assertEqual(replyCodes(other), ["220"])
        self.assertEqual(factory.sessionsByHost["10.0.0.1"], 2)
        self.assertTrue(warningsAbout(events, "10.0.0.1"))

    def test_heldUntilSessionEnds(self):
        """
        A client that cut its connection and connected again at once may
        be read connecting before its end is: its new connection, over
        the limit, waits for a session to end and then gets C{220}, and
        then the replies to what it sent meanwhile. It has as many
        connections waiting as it has sessions; past them, one gets
        C{421} at once.
        """
        factory = makeFactory(MemoryReactorClock(), maxConnectionsPerIP=2)
        sessions = [connect(factory, "10.0.0.1")[0] for _ in range(2)]
        waiting = [connect(factory, "10.0.0.1") for _ in range(2)]
        _, refused = connect(factory, "10.0.0.1")
        self.assertEqual(replyCodes(refused), ["421"])
        waiting[0][0].dataReceived(b"NOOP\r\n")
        self.assertEqual([replyCodes(each) for _, each in waiting], [[], []])
        for session in sessions:
            session.connectionLost(Failure(error.ConnectionDone()))
        self.assertEqual([replyCodes(each) for _, each in waiting],
                         [["220", "200"], ["220"]])
        self.assertEqual([each.producerState for _, each in waiting],
                         ["producing", "producing"])
        self.assertEqual(factory.sessionsByHost["10.0.0.1"], 2)
        factory.reactor.advance(RELEASE_WAIT)
        self.assertEqual([replyCodes(each) for _, each in waiting],
                         [["220", "200"], ["220"]])

    def test_heldGoneUncounted(self):
        """
        A connection waiting over a limit that is gone when a session
        ends is not counted; the server's stop refuses one still waiting
        (C{421}, as the drain does). What one refused after its wait sent
        meanwhile is dropped.
        """
        factory = makeFactory(MemoryReactorClock(), maxConnectionsPerIP=1)
        first, _ = connect(factory, "10.0.0.1")
        late, refused = connect(factory, "10.0.0.1")
        late.dataReceived(b"NOOP\r\n")
        factory.reactor.advance(RELEASE_WAIT)
        self.assertEqual(replyCodes(refused), ["421"])
        gone, _ = connect(factory, "10.0.0.1")
        gone.connectionLost(Failure(error.ConnectionDone()))
        first.connectionLost(Failure(error.ConnectionDone()))
        self.assertEqual(factory.sessions, 0)
        connect(factory, "10.0.0.1")
        _, stopped = connect(factory, "10.0.0.1")
        factory.stopFactory()
        self.assertEqual(replyCodes(stopped), ["421"])
        self.assertTrue(stopped.disconnecting)


class IdleTimeoutTests(unittest.TestCase):
    """
    C{--idle-timeout}, on the factory's reactor.
    """

    def test_idleTimeout(self):
        """
        A session idle for C{idleTimeout} seconds gets C{421} and is closed;
        a command resets the count.
        """
        events = captureLogs(self)
        clock = MemoryReactorClock()
        factory = makeFactory(clock, idleTimeout=10)
        protocol, transport = connect(factory)
        clock.advance(9)
        protocol.dataReceived(b"NOOP\r\n")
        clock.advance(9)
        self.assertEqual(replyCodes(transport), ["220", "200"])
        self.assertFalse(transport.disconnecting)
        clock.advance(1)
        self.assertEqual(replyCodes(transport), ["220", "200", "421"])
        self.assertTrue(transport.disconnecting)
        self.assertTrue(warningsAbout(events, "10.0.0.1"))

    def test_notDuringTransfer(self):
        """
        A session with a transfer running is not idle, however long it
        runs; once it ends, the session has C{idleTimeout} seconds again.
        """
        clock = MemoryReactorClock()
        protocol, transport = connect(makeFactory(clock, idleTimeout=10))
        protocol.transfer = object()
        clock.advance(25)
        self.assertEqual(replyCodes(transport), ["220"])
        clock.advance(3)
        protocol._transferEnded()
        clock.advance(9)
        self.assertEqual(replyCodes(transport), ["220"])
        clock.advance(1)
        self.assertEqual(replyCodes(transport), ["220", "421"])

    def test_oneTimerForAllSessions(self):
        """
        Idle sessions share one timed call (a timed call each held memory
        for as long as each lived), and each still times out at its own
        time; sessions not logged in share one more, for their time to
        log in.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, idleTimeout=10)
        first, firstTransport = connect(factory)
        clock.advance(4)
        second, secondTransport = connect(factory)
        self.assertEqual(len(clock.getDelayedCalls()), 2)
        clock.advance(6)
        self.assertEqual(replyCodes(firstTransport), ["220", "421"])
        self.assertEqual(replyCodes(secondTransport), ["220"])
        clock.advance(4)
        self.assertEqual(replyCodes(secondTransport), ["220", "421"])

    def test_noTimerLeftAfterDisconnect(self):
        """
        A session that ends leaves nothing scheduled.
        """
        clock = MemoryReactorClock()
        protocol, _ = connect(makeFactory(clock))
        protocol.connectionLost(Failure(error.ConnectionDone()))
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_lingerWatcherReleasedAsHeld(self):
        """
        A stopped factory releases the lingering closes' watcher it held
        when it started, even if its C{reactor} was replaced meanwhile (a
        test's clock in front of it): the started reactor's watcher stayed
        held, and took each later download's socket into the reactor for
        good.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock)
        factory.doStart()
        self.addCleanup(lambda: factory.numPorts and factory.doStop())
        watcher = watcherFor(clock)
        self.addCleanup(watcher.poller.close)
        self.assertEqual(watcher._holders, 1)
        factory.reactor = MemoryReactorClock()
        factory.doStop()
        self.assertEqual(watcher._holders, 0)

    def test_startedServerKeepsItsTimer(self):
        """
        A started factory keeps the idle timer (and the timer of the time
        to log in) when its last session ends (the next session uses
        them: no timed call made and cancelled per session), and cancels
        them when it stops.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, idleTimeout=10)
        factory.doStart()
        self.addCleanup(lambda: factory.numPorts and factory.doStop())
        before = set(clock.getDelayedCalls())
        protocol, _ = connect(factory)
        timers = set(clock.getDelayedCalls()) - before
        self.assertEqual(len(timers), 2)
        protocol.connectionLost(Failure(error.ConnectionDone()))
        self.assertLessEqual(timers, set(clock.getDelayedCalls()))
        protocol, transport = connect(factory)
        self.assertEqual(set(clock.getDelayedCalls()) - before, timers)
        clock.advance(10)
        self.assertEqual(replyCodes(transport), ["220", "421"])
        protocol.connectionLost(Failure(error.ConnectionDone()))
        protocol, _ = connect(factory)
        protocol.connectionLost(Failure(error.ConnectionDone()))
        factory.doStop()
        self.assertEqual(clock.getDelayedCalls(), [])


class LoginThrottleTests(unittest.TestCase):
    """
    C{--max-login-attempts} and the growing delay after each failed PASS.
    """

    def failLogin(self, protocol):
        protocol.dataReceived(b"USER alice\r\nPASS wrong\r\n")

    def test_delayDoubles(self):
        """
        The n-th failed PASS is answered after C{delay * 2 ** (n - 1)}
        seconds; the last one also gets C{421} and a close.
        """
        events = captureLogs(self)
        clock = MemoryReactorClock()
        factory = makeFactory(clock, loginFailureDelay=1.0,
                              maxLoginAttempts=3)
        protocol, transport = connect(factory)
        for delay in (1.0, 2.0):
            self.failLogin(protocol)
            before = replyCodes(transport)
            clock.advance(delay - 0.01)
            self.assertEqual(replyCodes(transport), before)
            clock.advance(0.01)
            self.assertEqual(replyCodes(transport), before + ["530"])
        self.failLogin(protocol)
        clock.advance(3.99)
        self.assertFalse(transport.disconnecting)
        clock.advance(0.01)
        self.assertEqual(replyCodes(transport)[-2:], ["530", "421"])
        self.assertTrue(transport.disconnecting)
        failures = [event for event in warningsAbout(events, "10.0.0.1")
                    if event.get("log_format", "").startswith("failed login")]
        self.assertEqual(len(failures), 3)

    def test_delayCapped(self):
        """
        However many failures, the delay stays at most L{MAX_LOGIN_DELAY}
        (within a time to log in long enough for them all: the commands
        read the login watch's clock, this one).
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, loginFailureDelay=1.0,
                              maxLoginAttempts=100,
                              loginTimeout=41 * MAX_LOGIN_DELAY)
        protocol, transport = connect(factory)
        for _ in range(40):
            self.failLogin(protocol)
            clock.advance(MAX_LOGIN_DELAY)
        self.assertEqual(replyCodes(transport).count("530"), 40)

    def test_delayCancelledOnDisconnect(self):
        """
        A client that leaves during the delay leaves no timer behind and
        nothing is logged as an error.
        """
        events = captureLogs(self)
        clock = MemoryReactorClock()
        protocol, transport = connect(makeFactory(clock))
        self.failLogin(protocol)
        protocol.connectionLost(Failure(error.ConnectionLost()))
        self.assertEqual(clock.getDelayedCalls(), [])
        self.assertFalse([event for event in events
                          if event.get("log_level") == LogLevel.critical])

    def test_successAfterFailure(self):
        """
        A correct password after a failed one logs in.
        """
        clock = MemoryReactorClock()
        protocol, transport = connect(makeFactory(clock))
        self.failLogin(protocol)
        clock.advance(1)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        self.assertEqual(replyCodes(transport)[-1], "230")


class SessionEndTests(unittest.TestCase):
    """
    What a session lets go of when its connection is lost.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()
        self.factory = makeFactory(self.clock)

    def test_freedWithoutGarbageCollector(self):
        """
        A session and its data channel (which refers back to it) are freed
        as soon as the connection is gone, not by the cyclic garbage
        collector.
        """
        import gc
        import weakref

        protocol, transport = connect(self.factory)
        channel = weakref.ref(protocol.dataChannel)
        session = weakref.ref(protocol)
        transport.unregisterProducer()  # As a real transport does at its end.
        protocol.connectionLost(Failure(error.ConnectionDone()))
        gc.collect()
        gc.disable()
        self.addCleanup(gc.enable)
        del protocol, transport
        self.assertIsNone(channel())
        self.assertIsNone(session())

    def test_noDataChannelOnceClosed(self):
        """
        A command still running when the session ends cannot open a new
        data channel: it gets C{425} (not sent), not an internal error.
        """
        protocol, transport = connect(self.factory)
        protocol.connectionLost(Failure(error.ConnectionDone()))
        refusal = self.assertRaises(CannotOpenDataConnection,
                                    lambda: protocol.dataChannel)
        self.assertEqual(refusal.code, 425)

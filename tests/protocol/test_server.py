"""
Unit tests of the control channel's limits and defences, on
L{StringTransport} with a L{MemoryReactorClock}.
"""

import re
import socket

from twisted.cred import checkers, portal
from twisted.internet import defer, error
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.logger import LogLevel, globalLogPublisher
from twisted.python.failure import Failure
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.control.handlers.login import MAX_LOGIN_DELAY
from ftpkit.control.server import FTPFactory
from ftpkit.data.channel import DataChannel
from ftpkit.data.connection import LeanConnection
from ftpkit.errors import CannotOpenDataConnection, NoSuchFile, TransferAborted
from ftpkit.interfaces import IFTPShell
from ftpkit.protocol import commandtable
from ftpkit.shells.memory import MemoryShell

REPLY = re.compile(rb"^(\d{3})[ -]")


@implementer(portal.IRealm)
class ShellRealm:
    """
    Gives every user a fresh L{MemoryShell} with a directory and a file.
    """

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: C{(IFTPShell, shell, logout)}.
        """
        shell = MemoryShell({"/d/f.txt": b"hello\n", "/top.bin": b"x" * 10})
        return IFTPShell, shell, lambda: None


def makeFactory(clock, **settings):
    """
    @param clock: the L{MemoryReactorClock} the factory uses.
    @param settings: L{ServerConfig} fields.
    @return: an L{FTPFactory} with user C{alice}/C{secret} and anonymous.
    """
    passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
    passwords.addUser(b"alice", b"secret")
    thePortal = portal.Portal(
        ShellRealm(), [passwords, checkers.AllowAnonymousAccess()])
    return FTPFactory(thePortal, ServerConfig(**settings), clock)


def connect(factory, host="10.0.0.1"):
    """
    Start a session from C{host} (an IPv4 or IPv6 address) on a
    L{StringTransport}.

    @return: C{(protocol, transport)}.
    """
    if ":" in host:
        peer = IPv6Address("TCP", host, 40000)
        local = IPv6Address("TCP", "2001:db8::21", 21)
    else:
        peer = IPv4Address("TCP", host, 40000)
        local = IPv4Address("TCP", "10.0.0.254", 21)
    protocol = factory.buildProtocol(peer)
    transport = StringTransport(hostAddress=local, peerAddress=peer)
    protocol.makeConnection(transport)
    return protocol, transport


def replyCodes(transport):
    """
    @return: the codes of the final lines of every reply written so far.
    """
    return [line[:3].decode() for line in transport.value().split(b"\r\n")
            if re.match(rb"^\d{3} ", line)]


def captureLogs(testCase):
    """
    Collect every log event emitted until the test ends.

    @return: the list the events are appended to.
    """
    events = []
    globalLogPublisher.addObserver(events.append)
    testCase.addCleanup(globalLogPublisher.removeObserver, events.append)
    return events


def warningsAbout(events, peer):
    """
    @return: warning-or-worse events that name C{peer}.
    """
    return [event for event in events
            if event.get("log_level") is not None
            and event["log_level"] >= LogLevel.warn
            and peer in repr(sorted(event.items(), key=str))]


class ConnectionLimitTests(unittest.TestCase):
    """
    C{--max-connections} and C{--max-connections-per-ip}.
    """

    def test_maxConnections(self):
        """
        Over the limit, a client gets C{421} and is closed, with a log line;
        once a session ends, a new one is accepted.
        """
        events = captureLogs(self)
        factory = makeFactory(MemoryReactorClock(), maxConnections=2)
        first, _ = connect(factory, "10.0.0.1")
        connect(factory, "10.0.0.2")
        third, transport = connect(factory, "10.0.0.3")
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
        Over the per-address limit, a client gets C{421}; other addresses
        still get in.
        """
        events = captureLogs(self)
        factory = makeFactory(MemoryReactorClock(), maxConnectionsPerIP=2)
        connect(factory, "10.0.0.1")
        connect(factory, "10.0.0.1")
        _, refused = connect(factory, "10.0.0.1")
        _, other = connect(factory, "10.0.0.2")
        self.assertEqual(replyCodes(refused), ["421"])
        self.assertTrue(refused.disconnecting)
        self.assertEqual(replyCodes(other), ["220"])
        self.assertEqual(factory.sessionsByHost["10.0.0.1"], 2)
        self.assertTrue(warningsAbout(events, "10.0.0.1"))


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
        time.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, idleTimeout=10)
        first, firstTransport = connect(factory)
        clock.advance(4)
        second, secondTransport = connect(factory)
        self.assertEqual(len(clock.getDelayedCalls()), 1)
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

    def test_startedServerKeepsItsTimer(self):
        """
        A started factory keeps the idle timer when its last session ends
        (the next session uses it: no timed call made and cancelled per
        session), and cancels it when it stops.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, idleTimeout=10)
        factory.doStart()
        self.addCleanup(lambda: factory.numPorts and factory.doStop())
        before = set(clock.getDelayedCalls())
        protocol, _ = connect(factory)
        [timer] = set(clock.getDelayedCalls()) - before
        protocol.connectionLost(Failure(error.ConnectionDone()))
        self.assertIn(timer, clock.getDelayedCalls())
        protocol, transport = connect(factory)
        self.assertEqual(set(clock.getDelayedCalls()) - before, {timer})
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
        However many failures, the delay stays at most L{MAX_LOGIN_DELAY}.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, loginFailureDelay=1.0,
                              maxLoginAttempts=100)
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


class LineLengthTests(unittest.TestCase):
    """
    The maximum command-line length.
    """

    def test_megabyteWithoutNewline(self):
        """
        A 1 MiB line without newline gets one C{500} and a close; the
        buffered text never grows past the limit plus one read.
        """
        events = captureLogs(self)
        factory = makeFactory(MemoryReactorClock(), maxLineLength=4096)
        protocol, transport = connect(factory)
        chunk = b"A" * 65536
        for _ in range(16):
            protocol.dataReceived(chunk)
            self.assertLessEqual(len(protocol._buffer), 4096 + len(chunk))
        self.assertEqual(replyCodes(transport), ["220", "500"])
        self.assertTrue(transport.disconnecting)
        self.assertTrue(warningsAbout(events, "10.0.0.1"))

    def test_longLineWithNewline(self):
        """
        An over-long line followed by a newline and more commands gets
        C{500}, and nothing after it runs.
        """
        factory = makeFactory(MemoryReactorClock(), maxLineLength=100)
        protocol, transport = connect(factory)
        protocol.dataReceived(b"NOOP " + b"x" * 200 + b"\r\nNOOP\r\n")
        protocol.dataReceived(b"NOOP\r\n")
        self.assertEqual(replyCodes(transport), ["220", "500"])
        self.assertTrue(transport.disconnecting)

    def test_limitIsInclusive(self):
        """
        A line of exactly C{maxLineLength} bytes is accepted.
        """
        factory = makeFactory(MemoryReactorClock(), maxLineLength=100)
        protocol, transport = connect(factory)
        line = b"NOOP " + b"x" * 94
        protocol.dataReceived(line + b"\n")
        self.assertEqual(replyCodes(transport), ["220", "200"])


class PipeliningTests(unittest.TestCase):
    """
    Commands queued behind a slow one: reading pauses, then resumes.
    """

    def test_pauseAndResume(self):
        """
        Reading pauses once C{maxPendingCommands} are queued, without
        queueing more, and resumes as the queue drains; every command is
        answered in order.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, maxPendingCommands=8)
        protocol, transport = connect(factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        slow = defer.Deferred()
        protocol.session.shell.stat = lambda path: slow
        transport.clear()
        protocol.dataReceived(b"SIZE /top.bin\r\n" + b"NOOP\r\n" * 1000)
        self.assertEqual(transport.producerState, "paused")
        self.assertLessEqual(len(protocol._queue), 8)
        self.assertEqual(transport.value(), b"")
        slow.errback(NoSuchFile())
        codes = replyCodes(transport)
        self.assertEqual(codes[0], "550")
        self.assertEqual(codes[1:], ["200"] * 1000)
        self.assertEqual(transport.producerState, "producing")
        self.assertEqual(len(protocol._queue), 0)

    def test_pauseOnQueuedBytes(self):
        """
        Reading also pauses once the queued commands' arguments reach
        C{maxPendingBytes}: long lines, each up to C{maxLineLength}, made
        a session behind a slow command hold C{maxPendingCommands} of
        them.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, maxPendingBytes=4000)
        protocol, transport = connect(factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        slow = defer.Deferred()
        protocol.session.shell.stat = lambda path: slow
        transport.clear()
        protocol.dataReceived(b"SIZE /top.bin\r\n"
                              + (b"NOOP " + b"x" * 1000 + b"\r\n") * 50)
        self.assertEqual(transport.producerState, "paused")
        self.assertLessEqual(len(protocol._queue), 4)
        slow.errback(NoSuchFile())
        codes = replyCodes(transport)
        self.assertEqual(codes, ["550"] + ["200"] * 50)
        self.assertEqual(transport.producerState, "producing")

    def test_queueWaitsForUnreadReplies(self):
        """
        While the client leaves its replies unread (the transport's buffer
        is full and pauses the session), the commands it queued wait, and
        run once the replies went out. They ran meanwhile, each adding its
        reply to those held: eight sessions each sending C{STAT} of a
        directory of 2,000 long names a thousand times, and reading
        nothing, grew a server by 240 MB (64 replies of 600 KB each).
        """
        factory = makeFactory(MemoryReactorClock())
        protocol, transport = connect(factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        shell = protocol.session.shell
        slow = defer.Deferred()
        shell.stat = lambda path: slow
        transport.clear()
        protocol.dataReceived(b"SIZE /top.bin\r\n" + b"STAT /d\r\n" * 5)
        del shell.stat
        protocol.pauseProducing()
        slow.errback(NoSuchFile())
        self.assertEqual(replyCodes(transport), ["550"])
        self.assertEqual(len(protocol._queue), 5)
        protocol.resumeProducing()
        self.assertEqual(replyCodes(transport), ["550"] + ["212"] * 5)
        self.assertEqual(transport.producerState, "producing")


class BounceTests(unittest.TestCase):
    """
    PORT and EPRT connect only back to the control peer, ports >= 1024.
    """

    def setUp(self):
        self.events = captureLogs(self)
        self.clock = MemoryReactorClock()
        self.protocol, self.transport = connect(makeFactory(self.clock))
        self.protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        self.transport.clear()

    def send(self, line):
        self.protocol.dataReceived(line + b"\r\n")
        return replyCodes(self.transport)[-1]

    def test_foreignAddress(self):
        """
        PORT or EPRT to another host: C{501}, logged, nothing connected.
        """
        self.assertEqual(self.send(b"PORT 10,0,0,9,8,0"), "501")
        self.assertEqual(self.send(b"EPRT |1|10.0.0.9|2048|"), "501")
        self.assertEqual(self.send(b"RETR /top.bin"), "425")
        self.assertEqual(self.clock.tcpClients, [])
        self.assertEqual(len(warningsAbout(self.events, "10.0.0.9")), 2)

    def test_privilegedPort(self):
        """
        PORT or EPRT to our peer's port below 1024: C{501}, logged.
        """
        self.assertEqual(self.send(b"PORT 10,0,0,1,0,25"), "501")
        self.assertEqual(self.send(b"EPRT |1|10.0.0.1|1023|"), "501")
        self.assertEqual(len(warningsAbout(self.events, "10.0.0.1")), 2)

    def test_ownAddress(self):
        """
        PORT to the control peer on a high port is accepted and used.
        """
        self.assertEqual(self.send(b"PORT 10,0,0,1,8,0"), "200")
        self.protocol.dataReceived(b"RETR /top.bin\r\n")
        host, port = self.clock.tcpClients[0][:2]
        self.assertEqual((host, port), ("10.0.0.1", 2048))
        factory = self.clock.tcpClients[0][2]
        factory.clientConnectionFailed(None, Failure(error.ConnectError()))
        self.assertEqual(replyCodes(self.transport)[-1], "425")

    def test_unspecifiedAddress(self):
        """
        PORT or EPRT naming the unspecified address (lftp's EPRT in active
        mode on loopback) connects back to the control peer.
        """
        for command in (b"PORT 0,0,0,0,8,0", b"EPRT |1|0.0.0.0|2048|"):
            self.assertEqual(self.send(command), "200")
            self.protocol.dataReceived(b"RETR /top.bin\r\n")
            host, port = self.clock.tcpClients[-1][:2]
            self.assertEqual((host, port), ("10.0.0.1", 2048))
            factory = self.clock.tcpClients[-1][2]
            factory.clientConnectionFailed(
                None, Failure(error.ConnectError()))
            self.assertEqual(replyCodes(self.transport)[-1], "425")


class _FakeMover:
    """
    A transfer's mover that remembers being aborted.
    """

    aborted = False

    def abort(self):
        self.aborted = True


class _FakeTransfer:
    """
    What L{DataConnection}'s watchdog reads of a transfer.
    """

    def __init__(self):
        self.connection = None
        self.mover = _FakeMover()
        self.moved = 0

    def bytesMoved(self):
        return self.moved


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


class DataWatchdogTests(unittest.TestCase):
    """
    A data connection on which no byte moves for C{dataTimeout} is closed.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()
        self.transfer = _FakeTransfer()
        self.channel = DataChannel(self.clock, "10.0.0.254", "10.0.0.1", 8.0,
                                   lambda: self.transfer)
        self.connection = self.channel.buildConnection()
        self.transfer.connection = self.connection
        self.transport = StringTransport(
            peerAddress=IPv4Address("TCP", "10.0.0.1", 3000))
        self.connection.makeConnection(self.transport)

    def test_stalledIsClosed(self):
        """
        No progress for the timeout: the connection is dropped and logged.
        """
        events = captureLogs(self)
        self.clock.advance(4)
        self.clock.advance(4)
        self.assertTrue(self.transport.disconnecting)
        self.assertTrue(self.connection.timedOut)
        self.assertTrue(warningsAbout(events, "10.0.0.1"))

    def test_progressKeepsItOpen(self):
        """
        Bytes sent by the transfer, or received, keep it alive.
        """
        for _ in range(10):
            self.transfer.moved += 1
            self.clock.advance(2)
            self.connection.dataReceived(b"x")
            self.clock.advance(2)
        self.assertFalse(self.transport.disconnecting)
        self.clock.advance(10)
        self.assertTrue(self.transport.disconnecting)

    def test_stallAbortsMover(self):
        """
        The transfer's mover (a C{sendfile} writer, say) is stopped before
        the connection is dropped.
        """
        self.clock.advance(10)
        self.assertTrue(self.transfer.mover.aborted)

    def test_noTimerAfterLoss(self):
        """
        A lost connection leaves nothing scheduled.
        """
        self.connection.connectionLost(Failure(error.ConnectionDone()))
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_finishUnclean(self):
        """
        L{DataConnection.finish} fails with L{TransferAborted} when the
        connection did not close cleanly (unsent bytes were lost).
        """
        d = self.connection.finish()
        self.connection.connectionLost(Failure(error.ConnectionAborted()))
        self.failureResultOf(d, TransferAborted)

    def test_finishClean(self):
        """
        L{DataConnection.finish} succeeds on a clean close.
        """
        d = self.connection.finish()
        self.connection.connectionLost(Failure(error.ConnectionDone()))
        self.successResultOf(d)

    def test_deadConnectionNotDelivered(self):
        """
        A data connection that died before the transfer asked for it gives
        C{425}, not a transfer on a dead socket.
        """
        self.channel.connectionMade(self.connection)
        self.clock.advance(10)
        self.connection.connectionLost(Failure(error.ConnectionAborted()))
        self.failureResultOf(self.channel.connect(), CannotOpenDataConnection)
        self.assertFalse(self.channel.isSetUp)


class ConnectingTests(unittest.TestCase):
    """
    L{DataChannel.connecting} gives a lean connection the client opened
    before its command itself, and a Deferred otherwise.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()
        self.channel = DataChannel(self.clock, "127.0.0.1", "127.0.0.1",
                                   8.0)
        self.port = self.channel.listen()
        self.addCleanup(self.channel.close)
        self.addCleanup(self.clock.advance, 0)

    def test_connectedBefore(self):
        """
        The client's connection, queued before the command, comes as the
        L{LeanConnection} itself.
        """
        client = socket.create_connection(("127.0.0.1", self.port))
        self.addCleanup(client.close)
        connection = self.channel.connecting(None, lean=True)
        self.assertIsInstance(connection, LeanConnection)
        connection.abort()

    def test_notYet(self):
        """
        With no connection yet, a Deferred that fires once it comes, as
        from L{DataChannel.connect}.
        """
        waiting = self.channel.connecting(None, lean=True)
        self.assertIsInstance(waiting, defer.Deferred)
        self.assertNoResult(waiting)
        waiting.addErrback(lambda failure: None)


class HTTPRequestTests(unittest.TestCase):
    """
    An HTTP request sent to the FTP port closes the connection.
    """

    def test_formPostRunsNothing(self):
        """
        A browser made by a web page to post a form whose body holds FTP
        commands gets C{421} for its request line and the connection
        closes: none of the commands runs (they ran after a C{500} for each
        header line: cross-protocol request forgery).
        """
        body = b"USER alice\r\nPASS secret\r\nMKD /posted\r\n"
        protocol, transport = connect(makeFactory(MemoryReactorClock()))
        transport.clear()
        protocol.dataReceived(
            b"POST / HTTP/1.1\r\nHost: ftp.example.com:2121\r\n"
            b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
            % (len(body), body))
        self.assertEqual(transport.value(),
                         b"421 This is an FTP server, not HTTP; closing\r\n")
        self.assertTrue(protocol._closed)
        self.assertIsNone(protocol.session.shell)


class ClientMistakeTests(unittest.TestCase):
    """
    Mistakes a client makes get a reply code and the session goes on.
    """

    def login(self):
        factory = makeFactory(MemoryReactorClock())
        protocol, transport = connect(factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        transport.clear()
        return protocol, transport

    def test_renameRootRefused(self):
        protocol, transport = self.login()
        protocol.dataReceived(b"RNFR /\r\nRNTO x\r\nNOOP\r\n")
        self.assertEqual(replyCodes(transport), ["550", "503", "200"])

    def test_pathTooLongButLineFits(self):
        """
        A path longer than C{PATH_MAX} on a line the server accepts gets
        550 (C{CWD} has no 553 in RFC 959), not a dropped connection.
        """
        protocol, transport = self.login()
        protocol.dataReceived(b"CWD " + b"x" * 5000 + b"\r\nNOOP\r\n")
        self.assertEqual(replyCodes(transport), ["550", "200"])
        self.assertFalse(transport.disconnecting)

    def test_unknownAndUnimplemented(self):
        protocol, transport = self.login()
        protocol.dataReceived(b"XYZZY\r\nSMNT /x\r\nretr\r\nNOOP\r\n")
        self.assertEqual(replyCodes(transport), ["500", "502", "501", "200"])

    def test_helpUnimplemented(self):
        """
        C{HELP} of each verb ftpkit knows but does not implement (which
        gets C{502}) says so with C{214}, rather than calling it unknown.
        """
        protocol, transport = self.login()
        for verb in sorted(commandtable.KNOWN_UNIMPLEMENTED):
            transport.clear()
            protocol.dataReceived(b"HELP " + verb.lower().encode() + b"\r\n")
            self.assertEqual(transport.value(),
                             b"214 " + verb.encode()
                             + b" is not implemented\r\n")
            transport.clear()
            protocol.dataReceived(verb.encode() + b"\r\n")
            self.assertEqual(replyCodes(transport), ["502"], verb)

    def test_helpUnknown(self):
        """
        C{HELP} of a verb ftpkit does not know gets C{501}: C{HELP} is
        implemented, its argument is what is wrong (RFC 959 gives C{HELP}
        C{501}; C{502} would say C{HELP} is not implemented), as pyftpdlib
        answers. It was C{502}, as ProFTPD answers.
        """
        protocol, transport = self.login()
        transport.clear()
        protocol.dataReceived(b"HELP XYZZY\r\n")
        self.assertEqual(transport.value(), b"501 Unknown command\r\n")

    def test_outOfSequence(self):
        factory = makeFactory(MemoryReactorClock())
        protocol, transport = connect(factory)
        protocol.dataReceived(b"PASS x\r\nLIST\r\nUSER alice\r\n")
        self.assertEqual(replyCodes(transport)[1:], ["503", "530", "331"])

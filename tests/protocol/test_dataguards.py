"""
The data connection's guards, on L{StringTransport} with a
L{MemoryReactorClock}: C{PORT} and C{EPRT} only back to the control peer,
the watchdog that closes a stalled data connection, and
L{DataChannel.connecting}.
"""

import socket

from twisted.internet import defer, error
from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.logger import formatEvent
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.control.handlers import datachannel
from ftpkit.control.peerwarnings import LINES as REFUSED_PORT_LINES
from ftpkit.data import watchdog
from ftpkit.data.channel import DataChannel
from ftpkit.data.connection import LeanConnection
from ftpkit.errors import CannotOpenDataConnection, TransferAborted
from ftpkit.ops.hostcheck import isAddress
from tests.datachannels import listeningChannel
from tests.logevents import captureLogs, warningsAbout
from tests.memorysessions import connect, loggedInLoopback, makeFactory, replyCodes


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

    def test_acceptedReplyNamesVerb(self):
        """
        An accepted C{PORT} or C{EPRT} is answered C{200} naming the
        command that was sent.
        """
        self.protocol.dataReceived(b"PORT 10,0,0,1,8,0\r\n")
        self.protocol.dataReceived(b"EPRT |1|10.0.0.1|2048|\r\n")
        self.assertEqual(self.transport.value().splitlines(),
                         [b"200 PORT command successful",
                          b"200 EPRT command successful"])

    def test_privilegedPort(self):
        """
        PORT or EPRT to our peer's port below 1024: C{501}, logged;
        1024, the first port that is not privileged, is the client's.
        """
        self.assertEqual(self.send(b"PORT 10,0,0,1,0,25"), "501")
        self.assertEqual(self.send(b"EPRT |1|10.0.0.1|1023|"), "501")
        self.assertEqual(len(warningsAbout(self.events, "10.0.0.1")), 2)
        self.assertEqual(self.send(b"PORT 10,0,0,1,4,0"), "200")
        self.assertEqual(self.send(b"EPRT |1|10.0.0.1|1024|"), "200")

    def test_ownControlPort(self):
        """
        A client on the server's own machine naming the control
        connection's own end in C{PORT} or C{EPRT} gets C{501}, logged,
        and nothing is connected: the server would connect to itself and
        send a file's lines to a new session as its commands. The same
        client's other ports are its own.
        """
        server = IPv4Address("TCP", "10.0.0.254", 2121)
        protocol = makeFactory(self.clock).buildProtocol(server)
        transport = StringTransport(
            hostAddress=server,
            peerAddress=IPv4Address("TCP", "10.0.0.254", 40000))
        protocol.makeConnection(transport)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n"
                              b"PORT 10,0,0,254,8,73\r\n"
                              b"EPRT |1|10.0.0.254|2121|\r\n"
                              b"EPRT |1|0.0.0.0|2121|\r\n"
                              b"RETR /top.bin\r\n"
                              b"PORT 10,0,0,254,8,74\r\n")
        self.assertEqual(replyCodes(transport)[-5:],
                         ["501", "501", "501", "425", "200"])
        self.assertEqual(self.clock.tcpClients, [])
        self.assertEqual(
            [formatEvent(event)
             for event in warningsAbout(self.events, "10.0.0.254")][0],
            "refused PORT/EPRT to 10.0.0.254:2121 from 10.0.0.254: this "
            "server's control port")

    def test_refusalsLoggedSparingly(self):
        """
        A client repeating refused PORT or EPRT gets
        L{REFUSED_PORT_LINES} log lines a minute of each kind, the next
        saying how many were left out, not one each.
        """
        for _ in range(REFUSED_PORT_LINES + 40):
            self.assertEqual(self.send(b"PORT 10,0,0,9,8,0"), "501")
            self.assertEqual(self.send(b"PORT 10,0,0,1,0,25"), "501")
        # The next one comes as the minute ends, before its summary.
        self.clock.rightNow += 60
        self.assertEqual(self.send(b"EPRT |1|10.0.0.9|2048|"), "501")
        lines = [formatEvent(event)
                 for event in warningsAbout(self.events, "10.0.0.1")]
        self.assertEqual(len(lines), 2 * REFUSED_PORT_LINES + 1)
        self.assertEqual(lines[-1],
                         "refused PORT/EPRT to 10.0.0.9:2048 from 10.0.0.1: "
                         "foreign address (FTP bounce) (and 40 more not "
                         "logged)")

    def test_refusalsThrottledPerAddress(self):
        """
        A client opening session after session, each sending one refused
        C{PORT} of each kind, gets L{REFUSED_PORT_LINES} lines of each
        over all its sessions: throttled for each session alone, it had
        one logged for each. Another address gets its own.
        """
        factory = makeFactory(self.clock)
        for host in ("10.0.0.1", "10.0.0.2"):
            for _ in range(25):
                protocol, transport = connect(factory, host)
                protocol.dataReceived(b"USER alice\r\nPASS secret\r\n"
                                      b"PORT 10,0,0,9,8,0\r\n"
                                      b"EPRT |1|" + host.encode("ascii")
                                      + b"|25|\r\n")
                self.assertEqual(replyCodes(transport)[-2:], ["501", "501"])
                protocol.connectionLost(Failure(error.ConnectionDone()))
        for host in ("10.0.0.1", "10.0.0.2"):
            lines = [formatEvent(event)
                     for event in warningsAbout(self.events, host)
                     if f"from {host}" in formatEvent(event)]
            self.assertEqual(len(lines), 2 * REFUSED_PORT_LINES, lines)

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

    def test_ipv6RefusalBracketed(self):
        """
        A refused C{EPRT} of an IPv6 session logs the address in brackets
        before its port: C{::2:5000} read as one address.
        """
        peer = IPv6Address("TCP", "::1", 40000)
        protocol = makeFactory(self.clock).buildProtocol(peer)
        transport = StringTransport(
            hostAddress=IPv6Address("TCP", "::1", 2121), peerAddress=peer)
        protocol.makeConnection(transport)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n"
                              b"EPRT |2|::2|5000|\r\n"
                              b"EPRT |2|::1|2121|\r\n")
        self.assertEqual(replyCodes(transport)[-2:], ["501", "501"])
        self.assertEqual(
            [formatEvent(event) for event in warningsAbout(self.events, "::1")],
            ["refused PORT/EPRT to [::2]:5000 from ::1: foreign address "
             "(FTP bounce)",
             "refused PORT/EPRT to [::1]:2121 from ::1: this server's "
             "control port"])

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


class DataWatchdogTests(unittest.TestCase):
    """
    A data connection on which no byte moves for C{dataTimeout} is closed.
    """

    def setUp(self):
        # What the kernel holds unacknowledged, as the watchdog reads it.
        self.queued = None
        self.queueReads = 0
        self.patch(watchdog, "unacknowledged", self._unacknowledged)
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

    def _unacknowledged(self, sock):
        self.queueReads += 1
        return self.queued

    def test_queueReadAtFirstLook(self):
        """
        The kernel's queue is first read at the watchdog's first look, a
        quarter of the timeout in, not when the connection is made: a
        small file's transfer, over before it, costs no system call.
        """
        self.assertEqual(self.queueReads, 0)
        self.clock.advance(2)
        self.assertEqual(self.queueReads, 1)

    def test_drainingKeepsItOpen(self):
        """
        The client taking bytes from the kernel's queue, nothing handed
        to it meanwhile (its send buffer full), is progress; the queue
        standing still for the timeout is not, its first reading
        included.
        """
        for left in range(20, 0, -1):
            self.queued = left * 1000
            self.clock.advance(2)
        self.assertFalse(self.transport.disconnecting)
        self.clock.advance(4)
        self.assertFalse(self.transport.disconnecting)
        self.clock.advance(4)
        self.assertTrue(self.transport.disconnecting)

    def test_firstQueueReadingNoProgress(self):
        """
        A queue that never moves, read first at the first look, does not
        count as progress there: the connection is dropped at the
        timeout, as with no queue at all.
        """
        self.queued = 5000
        self.clock.advance(4)
        self.clock.advance(4)
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
        self.clock, self.channel, self.port = listeningChannel(self)

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


class LinkLocalTests(unittest.TestCase):
    """
    A session over link-local IPv6 addresses (C{fe80::}, meaningful only
    with the zone of their link): its data connections keep that zone.
    Without it, C{EPSV} got C{425 No free passive port} (every bind
    failed with C{EINVAL}) and an active connection could not be made.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()
        peer = IPv6Address("TCP", "fe80::2", 40000, 0, 3)
        self.protocol = makeFactory(self.clock).buildProtocol(peer)
        self.transport = StringTransport(
            hostAddress=IPv6Address("TCP", "fe80::1", 21, 0, 3),
            peerAddress=peer)
        self.protocol.makeConnection(self.transport)
        self.protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")

    def test_passiveListensInZone(self):
        """
        Passive listeners bind to the local address with its zone.
        """
        self.assertEqual(self.protocol.dataChannel.localHost, "fe80::1%3")

    def test_activeConnectsInZone(self):
        """
        C{EPRT} to the client connects to it in the control connection's
        zone, from the local address in that zone.
        """
        self.protocol.dataReceived(b"EPRT |2|fe80::2|2048|\r\n")
        self.assertEqual(replyCodes(self.transport)[-1], "200")
        self.protocol.dataReceived(b"RETR /top.bin\r\n")
        host, port, _, _, bindAddress = self.clock.tcpClients[0]
        self.assertEqual((host, port, bindAddress),
                         ("fe80::2%3", 2048, ("fe80::1%3", 0)))

    def test_activeWithClientZone(self):
        """
        C{EPRT} naming the client's own address with the zone it has on
        the client (its interface's name) is accepted, and connects over
        the control connection's link, not one the zone would name: it
        got C{501}.
        """
        for zone in (b"eth0", b"7"):
            self.protocol.dataReceived(
                b"EPRT |2|fe80::2%" + zone + b"|2048|\r\n")
            self.assertEqual(replyCodes(self.transport)[-1], "200")
        self.protocol.dataReceived(b"RETR /top.bin\r\n")
        host, port, _, _, bindAddress = self.clock.tcpClients[0]
        self.assertEqual((host, port, bindAddress),
                         ("fe80::2%3", 2048, ("fe80::1%3", 0)))

    def test_foreignWithZone(self):
        """
        Another address of the link stays refused as foreign, zone or
        not.
        """
        self.transport.clear()
        self.protocol.dataReceived(b"EPRT |2|fe80::9%eth0|2048|\r\n"
                                   b"EPRT |2|fe80::9|2048|\r\n")
        self.assertEqual(
            self.transport.value(),
            b"501 Data connection only to your own address\r\n" * 2)


class AbortedListenerTests(unittest.TestCase):
    """
    A passive listener whose transfer was aborted before its connection
    came is closed, not pooled: a connection the client makes after
    C{ABOR} is refused at once. It was kept in the server's pool, where
    such a connection waited, accepted by the kernel, until the port's
    next listen (perhaps this session's own) took it.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()
        self.factory = makeFactory(self.clock)
        self.protocol, self.transport = loggedInLoopback(self,
                                                         self.factory)

    def passive(self):
        """
        @return: the port of a C{PASV}'s listener.
        """
        self.protocol.dataReceived(b"PASV\r\n")
        reply = self.transport.value().split(b"\r\n")[-2]
        self.assertTrue(reply.startswith(b"227"), reply)
        numbers = reply.rsplit(b"(", 1)[1].rstrip(b")").split(b",")
        self.transport.clear()
        return int(numbers[4]) * 256 + int(numbers[5])

    def assertRefused(self, port):
        """
        A connection to C{port} on 127.0.0.1 is refused.
        """
        client = socket.socket()
        self.addCleanup(client.close)
        self.assertRaises(ConnectionRefusedError, client.connect,
                          ("127.0.0.1", port))

    def test_abortedWhileWaiting(self):
        """
        C{RETR} waiting for its connection, then C{ABOR}: C{425} and
        C{226}, and the listener is gone, not pooled.
        """
        port = self.passive()
        self.protocol.dataReceived(b"RETR /top.bin\r\nABOR\r\n")
        self.assertEqual(replyCodes(self.transport), ["425", "226"])
        self.assertEqual(self.factory.listenerPool.listeners, [])
        self.assertRefused(port)

    def test_abortedUnused(self):
        """
        C{PASV}, then C{ABOR} with no transfer (C{225}): the listener is
        closed too.
        """
        port = self.passive()
        self.protocol.dataReceived(b"ABOR\r\n")
        self.assertEqual(replyCodes(self.transport), ["225"])
        self.assertEqual(self.factory.listenerPool.listeners, [])
        self.assertRefused(port)

    def test_claimedPooled(self):
        """
        A listener whose connection was taken still goes to the pool.
        """
        port = self.passive()
        client = socket.create_connection(("127.0.0.1", port))
        self.addCleanup(client.close)
        self.protocol.dataChannel.acceptQueued()
        self.assertEqual([listener.port for listener
                          in self.factory.listenerPool.listeners], [port])


class PeerAddressCheckTests(unittest.TestCase):
    """
    Whether a session's client has an address (else its data-channel
    commands are refused, L{datachannel.NO_ADDRESS}) is parsed once for
    each address, not at every C{PASV}, C{EPSV}, C{PORT} and C{EPRT}:
    parsing it each time was a visible part of a small upload's cost
    (C{docs/benchmark-investigations.rst}, C{bench-smallstor-27}).
    """

    def setUp(self):
        self.checked = []

        def counting(name):
            self.checked.append(name)
            return isAddress(name)

        datachannel.peerIsAddress.cache_clear()
        self.addCleanup(datachannel.peerIsAddress.cache_clear)
        self.patch(datachannel, "isAddress", counting)
        self.factory = makeFactory(MemoryReactorClock())

    def session(self, peer, local):
        """
        @param peer: the client's address (a Twisted address object).
        @param local: the server's end.
        @return: the logged-in session's C{(protocol, transport)}.
        """
        protocol = self.factory.buildProtocol(peer)
        transport = StringTransport(hostAddress=local, peerAddress=peer)
        protocol.makeConnection(transport)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        transport.clear()
        return protocol, transport

    def test_addressParsedOnce(self):
        """
        Two sessions from one address, each listening twice and
        connecting back once: every command is answered as before, and
        the address is parsed once.
        """
        for port in (40000, 40001):
            protocol, transport = self.session(
                IPv4Address("TCP", "10.0.0.5", port),
                IPv4Address("TCP", "10.0.0.254", 21))
            protocol.dataReceived(b"EPSV\r\nPASV\r\nPORT 10,0,0,5,8,0\r\n")
            self.assertEqual(replyCodes(transport), ["229", "227", "200"])
        self.assertEqual(self.checked, ["10.0.0.5"])

    def test_noAddressStillRefused(self):
        """
        A client with no address (a C{unix:} listener's) is refused at
        each data-channel command, its address looked at once.
        """
        protocol, transport = self.session(UNIXAddress(None),
                                           UNIXAddress(b"/ftp.sock"))
        protocol.dataReceived(b"EPSV\r\nEPSV\r\nPASV\r\n")
        self.assertEqual(replyCodes(transport), ["425", "425", "425"])
        self.assertEqual(len(self.checked), 1)

"""
Tests for L{ftpkit.control.proxied} and L{ftpkit.data.proxied}: reading PROXY
headers off control and passive data connections.
"""

import socket

from twisted.internet import defer, task
from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.testing import StringTransport
from twisted.logger import capturedLogs, formatEvent
from twisted.trial import unittest

from ftpkit.control.proxied import (
    ProxiedFactory,
    inNetworks,
    listenerFor,
    parseNetworks,
)
from ftpkit.data.proxied import readProxyHeader
from ftpkit.protocol.proxyheader import InvalidProxyHeader, formatV1, formatV2

BALANCER = IPv4Address("TCP", "10.0.0.5", 40000)
CLIENT = ("203.0.113.7", 50123)
HEADER = formatV1(CLIENT, ("10.0.0.1", 21))


class Recorder(Protocol):
    """
    Records what happens to it.
    """

    def __init__(self):
        self.events = []

    def connectionMade(self):
        peer = self.transport.getPeer()
        self.events.append(("made", peer.host, peer.port))

    def dataReceived(self, data):
        self.events.append(("data", data))

    def connectionLost(self, reason):
        self.events.append(("lost",))


class ProxiedFactoryTests(unittest.TestCase):
    """
    L{ProxiedFactory} starts the session only once the header has come.
    """

    def setUp(self):
        self.clock = task.Clock()
        self.recorder = Recorder()
        inner = Factory.forProtocol(lambda: self.recorder)
        self.factory = ProxiedFactory(inner, reactor=self.clock)

    def connect(self, factory=None, peer=BALANCER):
        protocol = (factory or self.factory).buildProtocol(peer)
        if protocol is None:
            return None, None
        transport = StringTransport(peerAddress=peer)
        protocol.makeConnection(transport)
        return protocol, transport

    def test_waitsForHeader(self):
        """
        Nothing reaches the session before the header; then it starts with
        the client's address as its peer, and the bytes that came with the
        header follow, even when the header arrives in pieces.
        """
        protocol, _ = self.connect()
        self.assertEqual(self.recorder.events, [])
        protocol.dataReceived(HEADER[:7])
        self.assertEqual(self.recorder.events, [])
        protocol.dataReceived(HEADER[7:] + b"USER a\r\n")
        self.assertEqual(self.recorder.events, [
            ("made", "203.0.113.7", 50123), ("data", b"USER a\r\n")])
        self.assertEqual(protocol.proxyHost, "10.0.0.5")
        protocol.dataReceived(b"PASS b\r\n")
        self.assertEqual(self.recorder.events[-1], ("data", b"PASS b\r\n"))
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_localHeader(self):
        """
        A header naming no client (a health check) leaves the
        connection's own address, and no balancer for data connections.
        """
        protocol, _ = self.connect()
        protocol.dataReceived(b"PROXY UNKNOWN\r\n")
        self.assertEqual(self.recorder.events, [("made", "10.0.0.5", 40000)])
        self.assertIsNone(protocol.proxyHost)

    def test_noHeader(self):
        """
        A connection that does not start with a header is dropped without
        a word, its session never started.
        """
        protocol, transport = self.connect()
        protocol.dataReceived(b"USER anonymous\r\n")
        self.assertTrue(transport.disconnecting)
        self.assertEqual(self.recorder.events, [])
        self.assertEqual(transport.value(), b"")

    def test_headerTimeout(self):
        """
        A connection that sends no header in time is dropped.
        """
        protocol, transport = self.connect()
        self.clock.advance(self.factory.headerTimeout)
        self.assertTrue(transport.disconnecting)
        protocol.connectionLost(None)
        self.assertEqual(self.recorder.events, [])

    def test_untrusted(self):
        """
        With trusted networks, a connection from elsewhere is refused
        before anything is read.
        """
        factory = ProxiedFactory(Factory.forProtocol(Recorder),
                                 parseNetworks(["10.1.0.0/16"]),
                                 reactor=self.clock)
        self.assertEqual(self.connect(factory), (None, None))
        protocol, _ = self.connect(
            factory, IPv4Address("TCP", "10.1.2.3", 1))
        self.assertIsNotNone(protocol)

    def test_untrustedMappedNamed(self):
        """
        A refused balancer reached over a dual-stack listener is named
        by its IPv4 address, the form a --trusted-proxy would take.
        """
        factory = ProxiedFactory(Factory.forProtocol(Recorder),
                                 parseNetworks(["10.1.0.0/16"]),
                                 reactor=self.clock)
        with capturedLogs() as events:
            self.assertEqual(
                self.connect(factory,
                             IPv6Address("TCP", "::ffff:10.9.9.9", 1)),
                (None, None))
        self.assertEqual([formatEvent(event) for event in events], [
            "refused connection from 10.9.9.9: not a --trusted-proxy"])

    def test_waitingBounded(self):
        """
        Past C{waitingPerPeer} connections from one address, or
        C{waitingTotal} in all, waiting for their header, a new one is
        refused; one whose header came, or that ended, no longer counts.
        """
        factory = ProxiedFactory(Factory.forProtocol(Recorder),
                                 reactor=self.clock, waitingPerPeer=2,
                                 waitingTotal=3)
        other = IPv4Address("TCP", "10.0.0.6", 1)
        third = IPv4Address("TCP", "10.0.0.7", 1)
        first, _ = self.connect(factory)
        second, _ = self.connect(factory)
        self.assertIsNone(factory.buildProtocol(BALANCER))
        self.assertIsNotNone(self.connect(factory, other)[0])
        self.assertIsNone(factory.buildProtocol(third))
        first.dataReceived(HEADER)
        self.assertIsNotNone(self.connect(factory, BALANCER)[0])
        self.assertIsNone(factory.buildProtocol(BALANCER))
        second.connectionLost(None)
        first.connectionLost(None)
        self.assertIsNotNone(self.connect(factory, third)[0])
        self.assertEqual(factory.waiting,
                         {"10.0.0.5": 1, "10.0.0.6": 1, "10.0.0.7": 1})

    def test_refusalsThrottled(self):
        """
        Connections refused in a burst (no header in time, or past the
        bounds) leave a line a minute for each kind, the next one saying
        how many were left out.
        """
        factory = ProxiedFactory(Factory.forProtocol(Recorder),
                                 reactor=self.clock, waitingPerPeer=1)
        with capturedLogs() as events:
            for _ in range(5):
                protocol, _ = self.connect(factory)
                self.clock.advance(factory.headerTimeout)
                protocol.connectionLost(None)
            protocol, _ = self.connect(factory)
            for _ in range(3):
                factory.buildProtocol(BALANCER)
            self.clock.advance(factory.headerTimeout)
            protocol.connectionLost(None)
            # The next one comes as the minute ends, before its summary.
            self.clock.rightNow += 60
            self.connect(factory)[0].dataReceived(b"GET /\r\n")
        self.assertEqual([formatEvent(event) for event in events], [
            "refused connection from 10.0.0.5 on a PROXY-protocol listener:"
            " no PROXY header in time",
            "refused connection from 10.0.0.5: 1 of its connections already"
            " wait for their PROXY header",
            "refused connection from 10.0.0.5 on a PROXY-protocol listener:"
            " no PROXY header (and 5 more not logged)"])

    def test_lostAfterStart(self):
        protocol, _ = self.connect()
        protocol.dataReceived(HEADER)
        protocol.connectionLost(None)
        self.assertEqual(self.recorder.events[-1], ("lost",))


class NetworksTests(unittest.TestCase):
    """
    L{parseNetworks} and L{inNetworks}.
    """

    def test_parse(self):
        networks = parseNetworks(["10.0.0.0/8", "::1", "192.168.1.7/24"])
        self.assertTrue(inNetworks("10.9.8.7", networks))
        self.assertTrue(inNetworks("::1", networks))
        self.assertTrue(inNetworks("192.168.1.200", networks))
        self.assertTrue(inNetworks("::ffff:10.1.1.1", networks))
        self.assertFalse(inNetworks("11.0.0.1", networks))
        self.assertFalse(inNetworks("not an address", networks))

    def test_mapped(self):
        """
        A trusted network written as IPv4-mapped trusts the balancer's
        IPv4 address in either form.
        """
        networks = parseNetworks(["::ffff:127.0.0.2"])
        self.assertTrue(inNetworks("127.0.0.2", networks))
        self.assertTrue(inNetworks("::ffff:127.0.0.2", networks))
        self.assertFalse(inNetworks("127.0.0.3", networks))

    def test_bad(self):
        self.assertRaises(ValueError, parseNetworks, ["10.0.0.0/33"])
        self.assertRaises(ValueError, parseNetworks, ["example.com"])

    def test_listenerFor(self):
        """
        Only a C{haproxy:} description gets the wrapper, without its
        prefix.
        """
        factory = Factory()
        self.assertEqual(listenerFor("tcp:21", factory, ()),
                         ("tcp:21", factory))
        description, wrapped = listenerFor("haproxy:tcp:21", factory, ())
        self.assertEqual(description, "tcp:21")
        self.assertIs(wrapped.wrappedFactory, factory)


class ReadProxyHeaderTests(unittest.TestCase):
    """
    L{readProxyHeader} takes exactly the header off a real socket.
    """

    def pair(self):
        left, right = socket.socketpair()
        right.setblocking(False)
        self.addCleanup(left.close)
        self.addCleanup(right.close)
        return left, right

    @defer.inlineCallbacks
    def test_consumesHeaderOnly(self):
        """
        The header is read, and the bytes after it stay in the socket.
        """
        from twisted.internet import reactor

        left, right = self.pair()
        left.sendall(formatV2(CLIENT, ("10.0.0.1", 2121)) + b"\x16\x03data")
        header = yield readProxyHeader(reactor, right, 5)
        self.assertEqual(header.source, CLIENT)
        self.assertEqual(right.recv(100), b"\x16\x03data")

    @defer.inlineCallbacks
    def test_inPieces(self):
        """
        A header that comes in two pieces is waited for.
        """
        from twisted.internet import reactor

        left, right = self.pair()
        left.sendall(HEADER[:10])
        reading = readProxyHeader(reactor, right, 5)
        yield task.deferLater(reactor, 0.05, lambda: None)
        self.assertNoResult(reading)
        left.sendall(HEADER[10:])
        header = yield reading
        self.assertEqual(header.source, CLIENT)

    @defer.inlineCallbacks
    def test_badOrMissing(self):
        """
        Bytes that are not a header, a closed socket, and a header that
        does not come in time fail with L{InvalidProxyHeader}.
        """
        from twisted.internet import reactor

        left, right = self.pair()
        left.sendall(b"\x16\x03\x01 a TLS hello")
        yield self.assertFailure(readProxyHeader(reactor, right, 5),
                                 InvalidProxyHeader)
        left, right = self.pair()
        left.close()
        yield self.assertFailure(readProxyHeader(reactor, right, 5),
                                 InvalidProxyHeader)
        left, right = self.pair()
        yield self.assertFailure(readProxyHeader(reactor, right, 0.05),
                                 InvalidProxyHeader)

    def test_cancel(self):
        """
        Cancelling leaves the reactor's set of readers as it was.
        """
        from twisted.internet import reactor

        _, right = self.pair()
        before = set(reactor.getReaders())
        reading = readProxyHeader(reactor, right, 5)
        reading.cancel()
        self.failureResultOf(reading, defer.CancelledError)
        self.assertEqual(set(reactor.getReaders()), before)


class PollingReactor(task.Clock):
    """
    A clock that also keeps the set of readers, for a test to call their
    C{doRead} as a level-triggered reactor would.
    """

    def __init__(self):
        super().__init__()
        self.readers = set()

    def addReader(self, reader):
        self.readers.add(reader)

    def removeReader(self, reader):
        self.readers.discard(reader)


class PiecesPeekedTests(unittest.TestCase):
    """
    A header held in pieces is looked at less and less often.
    """

    def test_fewPeeks(self):
        """
        Part of a header, left as it is for the whole timeout, is peeked
        at a few dozen times, not every L{ftpkit.data.proxied.RETRY}
        seconds (2,000 times in 10 s); the whole header, sent then, is
        still read.
        """
        left, right = socket.socketpair()
        right.setblocking(False)
        self.addCleanup(left.close)
        self.addCleanup(right.close)
        left.sendall(HEADER[:10])
        clock = PollingReactor()
        reading = readProxyHeader(clock, right, 10)
        peeks = 0
        while clock.seconds() < 9:
            for reader in list(clock.readers):
                reader.doRead()
                peeks += 1
            clock.advance(0.001)
        self.assertLess(peeks, 100)
        left.sendall(HEADER[10:])
        while not reading.called and clock.seconds() < 10:
            for reader in list(clock.readers):
                reader.doRead()
            clock.advance(0.001)
        self.assertEqual(self.successResultOf(reading).source, CLIENT)


class TrustedProxyOptionTests(unittest.TestCase):
    """
    C{--trusted-proxy} on the command line.
    """

    def parse(self, *args):
        from ftpkit.deploy.tap import Options

        options = Options()
        options.parseOptions(["--root", ".", *args])
        return options

    def test_parsed(self):
        """
        Repeated values become the configuration's trusted networks.
        """
        options = self.parse("--listen", "haproxy:tcp:0", "--trusted-proxy",
                             "10.0.0.0/8", "--trusted-proxy", "::1")
        self.assertEqual(options["config"].trustedProxies,
                         parseNetworks(["10.0.0.0/8", "::1"]))

    def test_bad(self):
        """
        A value that is not an address or CIDR block, and the option
        without a C{haproxy:} listener, are one-line usage errors.
        """
        from twisted.python import usage

        for args in (["--listen", "haproxy:tcp:0", "--trusted-proxy", "x"],
                     ["--trusted-proxy", "10.0.0.1"]):
            error = self.assertRaises(usage.UsageError, self.parse, *args)
            self.assertTrue(str(error).startswith("--trusted-proxy: "))
            self.assertNotIn("\n", str(error))

    def test_defaultLoopback(self):
        """
        Without C{--trusted-proxy}, a C{haproxy:} listener trusts the
        loopback networks only: anyone else who reaches it directly is
        refused, instead of claiming any address with a forged header.
        A Unix-socket peer (no address) is local, and trusted.
        """
        trusted = self.parse("--listen", "haproxy:tcp:0")[
            "config"].trustedProxies
        self.assertEqual(trusted, parseNetworks(["127.0.0.0/8", "::1"]))
        factory = ProxiedFactory(Factory.forProtocol(Protocol), trusted,
                                 reactor=task.Clock())
        def peer(host):
            return (IPv6Address if ":" in host else IPv4Address)(
                "TCP", host, 1)

        for host in ["192.0.2.1", "10.0.0.5", "2001:db8::1"]:
            self.assertIsNone(factory.buildProtocol(peer(host)), host)
        for host in ["127.0.0.1", "127.0.0.5", "::1", "::ffff:127.0.0.1"]:
            self.assertIsNotNone(factory.buildProtocol(peer(host)), host)
        self.assertIsNotNone(factory.buildProtocol(UNIXAddress(b"/tmp/s")))

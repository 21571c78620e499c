"""
Tests for L{ftpkit.ops.httpguard}: the bounds on the C{--metrics}
endpoint's connections, through the factory the endpoint listens with
(L{ftpkit.deploy.opsservice.metricsFactory}).
"""

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.trial import unittest

from ftpkit.deploy.opsservice import metricsFactory
from ftpkit.ops import httpguard

SESSIONS = [{"session": 1, "peer": "10.0.0.1", "user": "alice"}]


class GuardTests(unittest.TestCase):
    """
    A client cannot hold the endpoint's connections, and so the process's
    descriptors, by trickling requests or opening many.
    """

    def setUp(self):
        self.clock = Clock()
        self.factory = metricsFactory(lambda: None, lambda: SESSIONS,
                                      frozenset(), self.clock)
        site = getattr(self.factory, "wrappedFactory", self.factory)
        site.timeOut = None
        self.open = []
        self.addCleanup(self.closeAll)

    def closeAll(self):
        """
        End the connections still open.
        """
        for protocol, _transport in self.open:
            if protocol in self.factory.protocols:
                protocol.connectionLost(None)

    def connect(self, host="192.0.2.1"):
        """
        @return: the server's protocol and transport of a new connection
            from C{host} (on another machine: one of this machine is asked
            for its user, L{ftpkit.ops.peeruser}), or C{None} when it was
            refused.
        """
        kind = IPv6Address if ":" in host else IPv4Address
        address = kind("TCP", host, 40000)
        protocol = self.factory.buildProtocol(address)
        if protocol is None:
            return None
        transport = StringTransport(
            hostAddress=IPv4Address("TCP", "127.0.0.1", 9102),
            peerAddress=address)
        protocol.makeConnection(transport)
        self.open.append((protocol, transport))
        return protocol, transport

    def test_trickledHeaders(self):
        """
        A request sent a byte every 10 s is cut once the deadline has
        passed: each byte kept it open before, for as long as the client
        went on.
        """
        protocol, transport = self.connect()
        for byte in b"GET /metrics HTTP/1.1\r\nX-Pad: a":
            protocol.dataReceived(bytes([byte]))
            self.clock.advance(10)
            if transport.disconnecting:
                break
        self.assertTrue(transport.disconnecting)
        self.assertTrue(transport.disconnected)
        self.assertEqual(transport.value(), b"")

    def test_answeredStays(self):
        """
        A connection whose requests come whole and get answers stays open
        across scrapes made within the deadline (a Prometheus server's kept
        connection).
        """
        protocol, transport = self.connect()
        for _ in range(5):
            transport.clear()
            protocol.dataReceived(
                b"GET /sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            self.assertIn(b'"alice"', transport.value())
            self.clock.advance(httpguard.DEADLINE - 1)
        self.assertFalse(transport.disconnecting)

    def test_perAddress(self):
        """
        One address holds at most L{httpguard.PER_ADDRESS} connections;
        another address still gets one, and the first gets one again when
        one of its own closes.
        """
        held = [self.connect() for _ in range(httpguard.PER_ADDRESS)]
        self.assertNotIn(None, held)
        self.assertIsNone(self.connect())
        self.assertIsNotNone(self.connect("192.0.2.2"))
        held[0][0].connectionLost(None)
        self.assertIsNotNone(self.connect())

    def test_perIPv6Network(self):
        """
        An IPv6 client is counted by its C{/64}, as every other limit per
        client address counts it (L{ftpkit.protocol.limitkeys}): counted by
        exact address, one host took every one of the endpoint's
        L{httpguard.TOTAL} connections from addresses of its own network,
        and the scraper got none. An IPv4 client reaching an IPv6 listener
        (C{::ffff:a.b.c.d}) is its IPv4 address.
        """
        for n in range(httpguard.PER_ADDRESS):
            self.assertIsNotNone(self.connect("2001:db8::%x" % (n + 1)))
        self.assertIsNone(self.connect("2001:db8::ffff"))
        self.assertIsNotNone(self.connect("2001:db8:0:1::1"))
        for _ in range(httpguard.PER_ADDRESS):
            self.assertIsNotNone(self.connect("192.0.2.7"))
        self.assertIsNone(self.connect("::ffff:192.0.2.7"))

    def test_total(self):
        """
        The endpoint holds at most L{httpguard.TOTAL} connections,
        whatever their addresses.
        """
        for n in range(httpguard.TOTAL):
            self.assertIsNotNone(self.connect("10.0.%d.%d" % (n // 250, n)))
        self.assertIsNone(self.connect("10.9.9.9"))

    def test_hugeBody(self):
        """
        A C{POST} whose body passes L{httpguard.REQUEST_BYTES} is aborted
        once it does, unanswered: the site read it whole (into a
        temporary file past 100 KB) for as long as the client went on.
        """
        protocol, transport = self.connect()
        protocol.dataReceived(b"POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              b"Content-Length: 1099511627776\r\n\r\n")
        chunk = b"x" * 4096
        sent = 0
        while not transport.disconnecting and sent < 1 << 20:
            protocol.dataReceived(chunk)
            sent += len(chunk)
        self.assertTrue(transport.disconnected)
        self.assertLessEqual(sent, httpguard.REQUEST_BYTES)
        self.assertEqual(transport.value(), b"")

    def test_countedPerRequest(self):
        """
        Requests answered one after another each have the bound: a kept
        connection sends more than it in all.
        """
        protocol, transport = self.connect()
        request = (b"GET /sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: "
                   + b"p" * 8000 + b"\r\n\r\n")
        for _ in range(3 * httpguard.REQUEST_BYTES // len(request)):
            transport.clear()
            protocol.dataReceived(request)
            self.assertIn(b'"alice"', transport.value())
        self.assertFalse(transport.disconnecting)

    def test_heldWhileAnswersWait(self):
        """
        While the transport's buffer is full (its producer paused),
        requests sent ahead are held, unanswered; once it drains they are
        answered, each once.
        """
        protocol, transport = self.connect()
        request = b"GET /sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        transport.producer.pauseProducing()
        protocol.dataReceived(request * 20)
        self.assertEqual(transport.value(), b"")
        transport.producer.resumeProducing()
        self.assertEqual(transport.value().count(b"HTTP/1.1 200 OK"), 20)

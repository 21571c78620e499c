"""
Tests for L{ftpkit.ops.statuspage} and L{ftpkit.ops.hostcheck}: which
requests the C{--metrics} endpoint answers.
"""

from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport
from twisted.trial import unittest

from ftpkit.deploy.endpoints import endpointNames
from ftpkit.ops.hostcheck import allowedHost
from ftpkit.ops.statuspage import makeSite

SESSIONS = [{"session": 1, "peer": "10.0.0.1", "user": "alice"}]


def get(site, path, host, method=b"GET"):
    """
    Send C{GET path} (or another C{method}) with a C{Host} header of
    C{host} (none if C{None}) to C{site} on a L{StringTransport}, from a
    client on another machine (one of this machine is asked for its user:
    L{ftpkit.ops.peeruser}).

    @return: the raw response.
    """
    channel = site.buildProtocol(IPv4Address("TCP", "192.0.2.7", 40000))
    transport = StringTransport(
        hostAddress=IPv4Address("TCP", "127.0.0.1", 9102),
        peerAddress=IPv4Address("TCP", "192.0.2.7", 40000))
    channel.makeConnection(transport)
    request = method + b" " + path + b" HTTP/1.1\r\n"
    if host is not None:
        request += b"Host: " + host + b"\r\n"
    channel.dataReceived(request + b"Connection: close\r\n\r\n")
    channel.connectionLost(None)
    return transport.value()


class HostCheckTests(unittest.TestCase):
    """
    C{/sessions} is read only by requests naming the endpoint by address,
    C{localhost} or the name it listens on.
    """

    def setUp(self):
        self.site = makeSite(lambda: None, lambda: SESSIONS,
                             endpointNames("tcp:9102:interface=Mon.Example"))
        self.site.timeOut = None

    def test_rebound(self):
        """
        A request whose C{Host} is another name (a page that made its own
        name resolve to the endpoint's address: DNS rebinding) gets C{421}
        and no session: it got the sessions, with the names clients sent
        to C{USER}.
        """
        for host in [b"evil.example:9102", b"evil.example", b"\xff"]:
            response = get(self.site, b"/sessions", host)
            self.assertTrue(
                response.startswith(b"HTTP/1.1 421 Misdirected Request"),
                response)
            self.assertNotIn(b"alice", response)

    def test_metricsAnyHost(self):
        """
        C{/metrics}, which holds only counts, answers whatever name the
        scraper uses (a Prometheus target given by a DNS name); it got
        C{421}.
        """
        from prometheus_client import CollectorRegistry

        site = makeSite(CollectorRegistry, lambda: SESSIONS,
                        endpointNames("tcp:9102:interface=mon.example"))
        site.timeOut = None
        response = get(site, b"/metrics", b"ftp-1.internal:9102")
        self.assertTrue(response.startswith(b"HTTP/1.1 200"), response)

    def test_addressOrLocalhost(self):
        """
        A request naming the endpoint by an address, C{localhost} or its
        C{interface} name, or sending no C{Host}, gets the sessions.
        """
        for host in [b"127.0.0.1:9102", b"[::1]:9102", b"10.0.0.254",
                     b"LOCALHOST:9102", b"localhost.", b"mon.example:9102",
                     None]:
            response = get(self.site, b"/sessions", host)
            self.assertTrue(response.startswith(b"HTTP/1.1 200"), response)
            self.assertIn(b'"user": "alice"', response)

    def test_allowedHost(self):
        """
        L{allowedHost} takes addresses (with or without a port),
        C{localhost} and the names given, and no other name.
        """
        self.assertTrue(allowedHost(b"192.0.2.1:80"))
        self.assertTrue(allowedHost(b"[2001:db8::1]"))
        self.assertTrue(allowedHost(b"a.example", frozenset(["a.example"])))
        self.assertFalse(allowedHost(b"a.example"))
        self.assertFalse(allowedHost(b"localhost.evil.example"))
        self.assertFalse(allowedHost(b"127.0.0.1.evil.example"))

    def test_endpointNames(self):
        """
        L{endpointNames} gives an endpoint's C{interface}, lower case;
        none without one.
        """
        self.assertEqual(endpointNames("tcp:9102"), frozenset())
        self.assertEqual(endpointNames("tcp:9102:interface=A.example."),
                         frozenset(["a.example"]))
        self.assertEqual(endpointNames("tcp6:9102:interface=\\:\\:1"),
                         frozenset(["::1"]))

"""
Tests for C{--listen haproxy:...} and C{ssl:} with C{--workers}: which
listeners the acceptor takes (L{ftpkit.deploy.workers.acceptorAddress}),
which connections a worker reads a PROXY header from
(L{ftpkit.deploy.proxiedaccept.isProxiedConnection}) and which it speaks
TLS on first (L{ftpkit.deploy.worker.listenerFactories}).
"""

import socket

from twisted.internet import task
from twisted.logger import capturedLogs, formatEvent
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted.python import usage
from twisted.trial import unittest

from ftpkit.control.proxied import ProxiedFactory
from ftpkit.control.tls import makeContextFactory
from ftpkit.deploy import tap
from ftpkit.deploy.proxiedaccept import HeaderWaits, isProxiedConnection
from ftpkit.deploy.worker import listenerFactories
from ftpkit.deploy.workers import acceptorAddress
from ftpkit.protocol.proxyheader import formatV1
from tests.scratch import scratchDirectory
from tests.tlssupport import makeCertificate


class AcceptorAddressTests(unittest.SynchronousTestCase):
    """
    L{acceptorAddress}: C{tcp:} and C{tcp6:}, plain or behind
    C{haproxy:}.
    """

    def test_plain(self):
        """
        A C{tcp:} description gives its family, interface and port, not
        proxied.
        """
        self.assertEqual(acceptorAddress("tcp:2121:interface=127.0.0.1"),
                         (socket.AF_INET, "127.0.0.1", 2121, False))

    def test_proxied(self):
        """
        C{haproxy:tcp:} and C{haproxy:tcp6:} give the wrapped listener's
        address (C{::} without an interface), proxied.
        """
        self.assertEqual(
            acceptorAddress("haproxy:tcp:2121:interface=10.0.0.2"),
            (socket.AF_INET, "10.0.0.2", 2121, True))
        self.assertEqual(acceptorAddress("haproxy:tcp6:21"),
                         (socket.AF_INET6, "::", 21, True))

    def test_implicitTLS(self):
        """
        An C{ssl:} listener (implicit FTPS) gives the address of the TCP
        port under it (990 when it names none), behind C{haproxy:} or
        not: the acceptor accepts, the worker speaks TLS.
        """
        self.assertEqual(
            acceptorAddress("ssl:2990:privateKey=k.pem:certKey=c.pem"
                            ":interface=127.0.0.1"),
            (socket.AF_INET, "127.0.0.1", 2990, False))
        self.assertEqual(acceptorAddress("haproxy:ssl:privateKey=k.pem"),
                         (socket.AF_INET, "0.0.0.0", 990, True))

    def test_ipv6Interface(self):
        """
        An IPv6 C{interface} makes an IPv6 listener, for C{tcp:} and
        C{ssl:} as Twisted's own endpoints do (the acceptor made an IPv4
        socket and could not bind it).
        """
        self.assertEqual(acceptorAddress("tcp:2121:interface=\\:\\:1"),
                         (socket.AF_INET6, "::1", 2121, False))
        self.assertEqual(
            acceptorAddress("ssl:990:privateKey=k.pem:interface=\\:\\:1"),
            (socket.AF_INET6, "::1", 990, False))

    def test_otherKindsRefused(self):
        """
        Anything else the acceptor cannot listen on, with the kinds it
        can in the message.
        """
        for description in ("unix:/tmp/s", "haproxy:unix:/tmp/s",
                            "haproxy:tcp:70000", "ssl:99999"):
            self.assertRaises(ValueError, acceptorAddress, description)
        with self.assertRaises(ValueError) as raised:
            acceptorAddress("haproxy:unix:/tmp/s")
        self.assertIn("tcp:, tcp6: or ssl:", str(raised.exception))


class IsProxiedConnectionTests(unittest.SynchronousTestCase):
    """
    A worker tells a connection from a C{haproxy:} listener by the
    address it was accepted on.
    """

    listeners = [("10.0.0.2", 2121), ("0.0.0.0", 2200), ("::", 2300)]

    def test_sameAddressAndPort(self):
        """
        A connection accepted on a C{haproxy:} listener's address and port
        is proxied, an IPv4-mapped IPv6 address included.
        """
        self.assertTrue(isProxiedConnection("10.0.0.2", 2121, self.listeners))
        self.assertTrue(isProxiedConnection("::ffff:10.0.0.2", 2121,
                                            self.listeners))

    def test_otherAddressOrPort(self):
        """
        A plain listener on the same port but another address, or
        another port, is not one.
        """
        self.assertFalse(isProxiedConnection("127.0.0.1", 2121,
                                             self.listeners))
        self.assertFalse(isProxiedConnection("10.0.0.2", 21, self.listeners))
        self.assertFalse(isProxiedConnection("10.0.0.2", 2121, []))

    def test_everyAddress(self):
        """
        A listener on every address takes its port on any of them.
        """
        self.assertTrue(isProxiedConnection("192.0.2.1", 2200,
                                            self.listeners))
        self.assertTrue(isProxiedConnection("2001:db8::1", 2300,
                                            self.listeners))


class ListenerFactoriesTests(unittest.SynchronousTestCase):
    """
    L{listenerFactories}: a worker starts the sessions of each listener
    as a single process does.
    """

    factory = object()

    def setUp(self):
        directory = scratchDirectory(self)
        self.contextFactory = makeContextFactory(
            makeCertificate(directory)[2])

    def factories(self, *listens):
        return listenerFactories(listens, self.factory, (),
                                 self.contextFactory)

    def test_plainNone(self):
        """
        Plain C{tcp:} and C{tcp6:} listeners need no factory of their own.
        """
        self.assertEqual(self.factories("tcp:21", "tcp6:2121"), [])

    def test_implicitTLS(self):
        """
        An C{ssl:} listener's sessions start with a TLS handshake, with
        the server's context factory.
        """
        [(address, factory)] = self.factories(
            "tcp:21", "ssl:990:privateKey=k.pem:interface=127.0.0.1")
        self.assertEqual(address, ("127.0.0.1", 990))
        self.assertIsInstance(factory, TLSMemoryBIOFactory)
        self.assertIs(factory.wrappedFactory, self.factory)

    def test_proxiedImplicitTLS(self):
        """
        Behind C{haproxy:}, the PROXY header comes first, in clear, then
        TLS.
        """
        [(_, proxied), (_, both)] = self.factories(
            "haproxy:tcp:2121", "haproxy:ssl:990:privateKey=k.pem")
        self.assertIsInstance(proxied, ProxiedFactory)
        self.assertIs(proxied.wrappedFactory, self.factory)
        self.assertIsInstance(both, ProxiedFactory)
        self.assertIsInstance(both.wrappedFactory, TLSMemoryBIOFactory)
        self.assertIs(both.wrappedFactory.wrappedFactory, self.factory)


class OptionsTests(unittest.SynchronousTestCase):
    """
    C{--workers} with C{haproxy:} listeners on the command line.
    """

    def parse(self, *arguments):
        options = tap.Options()
        options.parseOptions(list(arguments))
        return options

    def test_combined(self):
        """
        C{--workers 2 --listen haproxy:tcp:...} parses.
        """
        options = self.parse("--workers", "2", "--listen",
                             "haproxy:tcp:2121:interface=127.0.0.1",
                             "--trusted-proxy", "127.0.0.1")
        self.assertEqual(options["workers"], 2)

    def test_implicitTLS(self):
        """
        C{--workers 2 --listen ssl:...} parses.
        """
        directory = scratchDirectory(self)
        both = makeCertificate(directory)[2]
        options = self.parse("--workers", "2", "--listen",
                             "ssl:2990:privateKey=%s:interface=127.0.0.1"
                             % both)
        self.assertEqual(options["workers"], 2)

    def test_unixRefused(self):
        """
        A C{haproxy:} listener on anything but TCP is a usage error.
        """
        with self.assertRaises(usage.UsageError) as raised:
            self.parse("--workers", "2", "--listen", "haproxy:unix:/tmp/s")
        self.assertIn("--workers: needs tcp:, tcp6: or ssl:",
                      str(raised.exception))


class _Reactor(task.Clock):
    """
    A clock that keeps its readers for the test to call.
    """

    def __init__(self):
        super().__init__()
        self.readers = []

    def addReader(self, reader):
        self.readers.append(reader)

    def removeReader(self, reader):
        self.readers.remove(reader)


class HeaderWaitsTests(unittest.SynchronousTestCase):
    """
    L{HeaderWaits} bounds the acceptor's connections waiting for their
    header, and throttles the log lines of those it refuses.
    """

    def accept(self, waits, host="10.0.0.5"):
        """
        @return: the server end of a new connection from C{host}, handed
            to C{waits}.
        """
        server, client = socket.socketpair()
        self.addCleanup(client.close)
        self.addCleanup(server.close)
        waits.accepted(server, host)
        return server, client

    def test_bounded(self):
        """
        Past C{waitingPerPeer} connections from one address, or
        C{waitingTotal} in all, a new one is closed at once, and one
        line a minute says so; one whose header came no longer counts.
        """
        reactor = _Reactor()
        dispatched = []
        waits = HeaderWaits(reactor, (), lambda c, h: dispatched.append(h),
                            waitingPerPeer=2, waitingTotal=3)
        _, firstClient = self.accept(waits)
        self.accept(waits)
        with capturedLogs() as events:
            over, _ = self.accept(waits)
            self.accept(waits, "10.0.0.6")
            third, _ = self.accept(waits, "10.0.0.7")
            again, _ = self.accept(waits)
        self.assertEqual([over.fileno(), third.fileno(), again.fileno()],
                         [-1, -1, -1])
        self.assertEqual([formatEvent(event) for event in events], [
            "refused connection from 10.0.0.5: 2 of its connections"
            " already wait for their PROXY header"])
        firstClient.sendall(formatV1(("203.0.113.7", 1), ("10.0.0.1", 21)))
        reactor.readers[0].doRead()
        self.assertEqual(dispatched, ["203.0.113.7"])
        self.assertEqual(waits.waiting, {"10.0.0.5": 1, "10.0.0.6": 1})
        self.assertNotEqual(self.accept(waits, "10.0.0.7")[0].fileno(), -1)

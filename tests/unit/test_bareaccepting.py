"""
Tests for L{ftpkit.compat.acceptBareOn} and
L{ftpkit.deploy.endpoints.BareAccepting}: listening ports whose
connections are accepted as bare sockets, and work as before.
"""

import _socket
import socket

from twisted.internet import defer, protocol, reactor
from twisted.internet.endpoints import (
    TCP4ClientEndpoint,
    TCP4ServerEndpoint,
    TCP6ServerEndpoint,
)
from twisted.trial import unittest

from ftpkit.compat import TunedConnection, acceptBareOn
from ftpkit.compat.eventloop import INHERITS_OPTIONS
from ftpkit.control.sockets import tuneControlSocket
from ftpkit.deploy.endpoints import BareAccepting
from tests.ipv6 import hasIPv6


class _Echo(protocol.Protocol):
    """
    Sends back what it gets, and tells its factory it is connected.
    """

    def connectionMade(self):
        self.factory.made.callback(self)

    def dataReceived(self, data):
        self.transport.write(data)


class _Reading(protocol.Protocol):
    """
    Tells its factory the first bytes it gets.
    """

    def dataReceived(self, data):
        if not self.factory.read.called:
            self.factory.read.callback(data)


class BareAcceptingMixin:
    """
    Ports made to accept bare sockets, and their echoing connections, for
    a L{unittest.TestCase}.
    """

    async def listen(self, endpoint):
        """
        @return: the port C{BareAccepting(endpoint)} listens with, and the
            factory whose C{made} fires with the first connection.
        """
        factory = protocol.Factory.forProtocol(_Echo)
        factory.made = defer.Deferred()
        port = await BareAccepting(endpoint).listen(factory)
        self.addCleanup(port.stopListening)
        return port, factory

    async def echo(self, port, factory, host="127.0.0.1"):
        """
        Connect, send bytes and read them back.

        @return: the server side's protocol.
        """
        clientFactory = protocol.Factory.forProtocol(_Reading)
        clientFactory.read = defer.Deferred()
        client = await TCP4ClientEndpoint(
            reactor, host, port.getHost().port).connect(clientFactory) \
            if host == "127.0.0.1" else await self.connect6(
                port, clientFactory)
        self.addCleanup(client.transport.loseConnection)
        server = await factory.made
        self.addCleanup(server.transport.loseConnection)
        client.transport.write(b"hello")
        self.assertEqual(await clientFactory.read, b"hello")
        return server

    def connect6(self, port, clientFactory):
        from twisted.internet.endpoints import TCP6ClientEndpoint

        return TCP6ClientEndpoint(reactor, "::1", port.getHost().port
                                  ).connect(clientFactory)



class BareAcceptingTests(BareAcceptingMixin, unittest.TestCase):
    """
    A port made to accept bare sockets serves connections as before.
    """

    async def test_bare(self):
        """
        A TCP port's connections come as bare sockets, and carry data.
        """
        port, factory = await self.listen(
            TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1"))
        server = await self.echo(port, factory)
        handle = server.transport.getHandle()
        self.assertIsInstance(handle, _socket.socket)
        self.assertNotIsInstance(handle, socket.socket)
        self.assertEqual(handle.family, socket.AF_INET)
        self.assertFalse(handle.getblocking())
        self.assertEqual(server.transport.getPeer().host, "127.0.0.1")

    async def test_tuned(self):
        """
        On Linux a TCP port's connections are L{TunedConnection}s, with
        C{TCP_NODELAY} and C{SO_OOBINLINE} from their listener; elsewhere
        plain bare sockets.
        """
        port, factory = await self.listen(
            TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1"))
        server = await self.echo(port, factory)
        handle = server.transport.getHandle()
        if not INHERITS_OPTIONS:
            self.assertIs(type(handle), _socket.socket)
            return
        self.assertIs(type(handle), TunedConnection)
        self.assertEqual(
            (handle.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
             handle.getsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE)),
            (1, 1))

    async def test_ipv6(self):
        """
        An IPv6 port's connections are IPv6 sockets.
        """
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        port, factory = await self.listen(
            TCP6ServerEndpoint(reactor, 0, interface="::1"))
        server = await self.echo(port, factory, "::1")
        handle = server.transport.getHandle()
        self.assertIsInstance(handle, _socket.socket)
        self.assertNotIsInstance(handle, socket.socket)
        self.assertEqual(handle.family, socket.AF_INET6)

    async def test_closed(self):
        """
        A connection the server closes is closed for the client too.
        """
        port, factory = await self.listen(
            TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1"))
        server = await self.echo(port, factory)
        handle = server.transport.getHandle()
        lost = defer.Deferred()
        server.connectionLost = lambda reason: lost.callback(None)
        server.transport.loseConnection()
        await lost
        self.assertEqual(handle.fileno(), -1)

    def test_other(self):
        """
        A port without a listening C{socket.socket} is left as it is.
        """
        self.assertFalse(acceptBareOn(object()))
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(udp.close)

        class Port:
            socket = udp

        self.assertFalse(acceptBareOn(Port()))
        self.assertIs(type(udp), socket.socket)


class _Transport:
    """
    What L{tuneControlSocket} uses of a TCP transport.
    """

    def __init__(self, handle):
        self.handle = handle

    def getHandle(self):
        return self.handle

    def setTcpNoDelay(self, enabled):
        self.handle.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY,
                               enabled)


class TuneSocketTests(unittest.TestCase):
    """
    A control connection sets C{TCP_NODELAY} and C{SO_OOBINLINE} unless
    its listener gave them (L{TunedConnection}).
    """

    def options(self, handle):
        """
        @return: the two options of C{handle} once a session tuned it.
        """
        self.addCleanup(handle.close)
        tuneControlSocket(_Transport(handle))
        return (handle.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
                handle.getsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE))

    def test_plain(self):
        """
        Any other socket gets both options.
        """
        self.assertEqual(self.options(socket.socket()), (1, 1))
        self.assertEqual(self.options(_socket.socket()), (1, 1))

    def test_tuned(self):
        """
        A L{TunedConnection} is left as it is (these options came from its
        listener: no system call is made for them).
        """
        self.assertEqual(self.options(TunedConnection()), (0, 0))

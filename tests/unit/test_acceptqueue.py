"""
Tests for L{ftpkit.compat.acceptqueue}: a listening port whose turns
accept the connections its listen queue holds, without the C{accept} that
fails.
"""

import socket
import sys

from twisted.internet import defer, protocol, reactor
from twisted.internet.endpoints import (
    TCP4ServerEndpoint,
    TCP6ServerEndpoint,
    UNIXServerEndpoint,
)
from twisted.trial import unittest

from ftpkit.compat import acceptqueue, eventloop
from ftpkit.deploy.endpoints import BareAccepting
from tests.ipv6 import hasIPv6
from tests.unit.test_bareaccepting import BareAcceptingMixin

if not sys.platform.startswith("linux"):
    skip = "TCP_INFO's listen queue is read on Linux only"


class _Counted(protocol.Protocol):
    """
    Adds itself to its factory's C{made} list.
    """

    def connectionMade(self):
        self.factory.made.append(self)


class QueueSizedTests(BareAcceptingMixin, unittest.TestCase):
    """
    A TCP port made to accept bare sockets accepts, at each turn, what its
    listen queue holds.
    """

    def setUp(self):
        self.failed = []
        accept = eventloop._BareAccepting.accept

        def counting(listening):
            try:
                return accept(listening)
            except BlockingIOError:
                self.failed.append(listening)
                raise

        self.patch(eventloop._BareAccepting, "accept", counting)

    async def queued(self, count):
        """
        @param count: connections to queue.
        @return: a port not reading, whose listen queue holds C{count}
            connections, and its factory, whose C{made} lists the
            protocols of the connections it accepted.
        """
        factory = protocol.Factory.forProtocol(_Counted)
        factory.made = []
        port = await BareAccepting(
            TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1")
        ).listen(factory)
        self.addCleanup(port.stopListening)
        port.stopReading()
        for _ in range(count):
            client = socket.create_connection(
                ("127.0.0.1", port.getHost().port))
            self.addCleanup(client.close)
        self.assertEqual(acceptqueue.queuedConnections(port.socket), count)
        return port, factory

    async def test_oneAfterAnother(self):
        """
        Clients connecting one after another are each accepted without an
        C{accept} that fails; Twisted's own turns alternated between a
        limit of 1 and 21, the second failing with C{EAGAIN}.
        """
        port, factory = await self.listen(
            TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1"))
        self.assertIsInstance(port, acceptqueue.QueueSizedPort)
        for _ in range(4):
            factory.made = defer.Deferred()
            await self.echo(port, factory)
        self.assertEqual(self.failed, [])

    async def test_ipv6(self):
        """
        An IPv6 port's turns are sized too.
        """
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        port, factory = await self.listen(
            TCP6ServerEndpoint(reactor, 0, interface="::1"))
        self.assertIsInstance(port, acceptqueue.QueueSizedPort)
        await self.echo(port, factory, host="::1")
        self.assertEqual(self.failed, [])

    async def test_burst(self):
        """
        A turn accepts every connection queued, and stops there.
        """
        port, factory = await self.queued(3)
        port.doRead()
        self.assertEqual(len(factory.made), 3)
        self.assertEqual(self.failed, [])
        self.assertEqual(acceptqueue.queuedConnections(port.socket), 0)

    async def test_bounded(self):
        """
        A turn accepts at most L{acceptqueue.ACCEPTS_PER_TURN}
        connections; the next turn takes the rest.
        """
        self.patch(acceptqueue, "ACCEPTS_PER_TURN", 2)
        port, factory = await self.queued(3)
        port.doRead()
        self.assertEqual(len(factory.made), 2)
        port.doRead()
        self.assertEqual(len(factory.made), 3)
        self.assertEqual(self.failed, [])

    async def test_emptyQueue(self):
        """
        A turn that finds the queue empty (another process accepted) still
        tries once, and the port goes on accepting.
        """
        port, factory = await self.queued(0)
        port.doRead()
        self.assertEqual((len(factory.made), len(self.failed)), (0, 1))
        client = socket.create_connection(("127.0.0.1", port.getHost().port))
        self.addCleanup(client.close)
        port.doRead()
        self.assertEqual(len(factory.made), 1)

    async def test_unreadable(self):
        """
        Should the queue not be read, a turn accepts until C{accept} fails,
        as Twisted's own does.
        """
        port, factory = await self.queued(2)
        self.patch(acceptqueue, "queuedConnections", lambda listening: None)
        port.doRead()
        self.assertEqual((len(factory.made), len(self.failed)), (2, 1))


class FallbackTests(unittest.TestCase):
    """
    Ports whose queue cannot be read are left as Twisted made them.
    """

    async def test_unix(self):
        """
        A C{unix:} listener's port is not sized: C{TCP_INFO} is TCP's.
        """
        path = self.mktemp()
        port = await BareAccepting(UNIXServerEndpoint(reactor, path)).listen(
            protocol.Factory.forProtocol(protocol.Protocol))
        self.addCleanup(port.stopListening)
        self.assertIsNone(acceptqueue.queuedConnections(port.socket))
        self.assertNotIsInstance(port, acceptqueue.QueueSizedPort)

    def test_notTwisted(self):
        """
        Anything but Twisted's TCP port is left alone, and a port sized
        once is not sized again.
        """
        self.assertFalse(acceptqueue.queueSized(object()))
        port = reactor.listenTCP(0, protocol.Factory(), interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        self.assertTrue(acceptqueue.queueSized(port))
        self.assertFalse(acceptqueue.queueSized(port))
        self.assertIsInstance(port, acceptqueue.QueueSizedPort)

    def test_noTCPInfo(self):
        """
        Where C{TCP_INFO} is not known (another system), no queue is read.
        """
        self.patch(acceptqueue, "_TCP_INFO", None)
        listening = socket.socket()
        self.addCleanup(listening.close)
        self.assertIsNone(acceptqueue.queuedConnections(listening))


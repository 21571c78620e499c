"""
Tests for L{ftpkit.sockets.writeNow}, over a real TCP connection.
"""

from twisted.internet import defer, reactor
from twisted.internet.protocol import ClientFactory, Protocol, ServerFactory
from twisted.internet.testing import StringTransport
from twisted.trial import unittest

from ftpkit.sockets import writeNow


class _Collect(Protocol):
    def __init__(self):
        self.received = b""
        self.made = defer.Deferred()
        self.closed = defer.Deferred()

    def connectionMade(self):
        self.made.callback(self)

    def dataReceived(self, data):
        self.received += data

    def connectionLost(self, reason):
        self.closed.callback(self.received)


class WriteNowTests(unittest.TestCase):
    """
    Bytes go out at once when nothing is queued, and in order otherwise.
    """

    async def connectedPair(self):
        server = _Collect()
        factory = ServerFactory()
        factory.protocol = lambda: server
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        client = _Collect()
        clientFactory = ClientFactory()
        clientFactory.protocol = lambda: client
        reactor.connectTCP("127.0.0.1", port.getHost().port, clientFactory)
        await server.made
        await client.made
        return server, client

    async def test_sentAtOnce(self):
        """
        With nothing queued, the bytes are in the socket before
        C{writeNow} returns: the transport has nothing left to send.
        """
        server, client = await self.connectedPair()
        writeNow(server.transport, b"220 ready\r\n")
        self.assertEqual(server.transport.dataBuffer, b"")
        self.assertEqual(server.transport._tempDataBuffer, [])
        server.transport.loseConnection()
        self.assertEqual(await client.closed, b"220 ready\r\n")

    async def test_orderKeptBehindQueuedData(self):
        """
        When the transport already queued bytes, later ones queue behind
        them instead of overtaking them.
        """
        server, client = await self.connectedPair()
        server.transport.write(b"first ")
        writeNow(server.transport, b"second")
        server.transport.loseConnection()
        self.assertEqual(await client.closed, b"first second")

    def test_otherTransportsQueue(self):
        """
        A transport that is not plain TCP (TLS, PROXY, a test's) just gets
        C{write}.
        """
        transport = StringTransport()
        writeNow(transport, b"x")
        self.assertEqual(transport.value(), b"x")



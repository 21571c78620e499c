"""
Tests for L{ftpkit.control.sockets}, over real TCP connections.
"""


import select
import socket
import time

from twisted.internet import defer, reactor, task
from twisted.internet.protocol import ClientFactory, Protocol, ServerFactory
from twisted.internet.testing import StringTransport
from twisted.protocols.policies import ProtocolWrapper, WrappingFactory
from twisted.trial import unittest

from ftpkit.control.sockets import closeNow, writeBeforeData, writeNow
from tests.scratch import scratchDirectory


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


class _ConnectedPairMixin:
    """
    Makes a real TCP connection on 127.0.0.1 between two L{_Collect}s.
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


class WriteNowTests(_ConnectedPairMixin, unittest.TestCase):
    """
    Bytes go out at once when nothing is queued, and in order otherwise.
    """

    async def test_sentAtOnce(self):
        """
        With nothing queued, the bytes are in the socket before
        C{writeNow} returns: the transport has nothing left to send.
        """
        server, client = await self.connectedPair()
        writeNow(server.transport, b"220 ready\r\n")
        self.assertEqual(_arrived(client, b"220 ready\r\n"), b"220 ready\r\n")
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




def _arrived(client, expected):
    """
    Read what a client's socket receives, behind the reactor's back (its
    turns stopped meanwhile), handing it to the client's protocol (its TLS
    layer, under C{startTLS}), until it has C{expected} or a while has
    passed: only what the server had sent to its socket before this call
    can arrive, not what its transport or TLS layer held back.

    @param client: a connected L{_Collect}.
    @param expected: what it should have received in all.
    @return: what it has received in all.
    """
    deadline = time.monotonic() + 10
    # A copy of its descriptor: under TLS, getHandle() is the TLS
    # connection, not the socket.
    with socket.fromfd(client.transport.fileno(), socket.AF_INET,
                       socket.SOCK_STREAM) as raw:
        while client.received != expected:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([raw], [], [], left)[0]:
                break
            chunk = raw.recv(65536)
            if not chunk:
                break
            client.transport.protocol.dataReceived(chunk)
    return client.received


class WriteBeforeDataTests(_ConnectedPairMixin, unittest.TestCase):
    """
    L{writeBeforeData} leaves nothing held back: a reply is in the socket
    when it returns, whatever the transport queued or aggregated.
    """

    async def test_queuedSentWithIt(self):
        """
        Bytes the transport queued go out with the reply, first.
        """
        server, client = await self.connectedPair()
        server.transport.write(b"200 queued\r\n")
        writeBeforeData(server.transport, b"150 Opening\r\n")
        sent = b"200 queued\r\n150 Opening\r\n"
        self.assertEqual(_arrived(client, sent), sent)
        server.transport.loseConnection()
        self.assertEqual(await client.closed,
                         b"200 queued\r\n150 Opening\r\n")

    async def test_tls(self):
        """
        Under C{startTLS} (C{AUTH TLS}), the TLS layer aggregates small
        writes until the reactor's next turn and the TCP transport queues
        the records: both are sent before L{writeBeforeData} returns.
        """
        from twisted.internet import ssl

        from ftpkit.control.tls import makeContextFactory
        from tests.tlssupport import makeCertificate

        directory = scratchDirectory(self)
        server, client = await self.connectedPair()
        server.transport.startTLS(
            makeContextFactory(makeCertificate(directory)[2]))
        client.transport.startTLS(ssl.CertificateOptions(verify=False))
        server.transport.write(b"hello ")
        while client.received != b"hello ":
            await _turn()
        server.transport.write(b"220 queued\r\n")
        writeBeforeData(server.transport, b"150 Opening\r\n")
        sent = b"hello 220 queued\r\n150 Opening\r\n"
        self.assertEqual(_arrived(client, sent), sent)
        server.transport.abortConnection()
        await client.closed

    async def test_wrapped(self):
        """
        Under a L{ProtocolWrapper} (a PROXY-protocol listener's), the TCP
        transport beneath is emptied.
        """
        server, client = await self.connectedPair()
        wrapper = ProtocolWrapper(WrappingFactory(None), Protocol())
        wrapper.makeConnection(server.transport)
        wrapper.write(b"200 queued\r\n")
        writeBeforeData(wrapper, b"150 Opening\r\n")
        sent = b"200 queued\r\n150 Opening\r\n"
        self.assertEqual(_arrived(client, sent), sent)
        server.transport.loseConnection()
        self.assertEqual(await client.closed,
                         b"200 queued\r\n150 Opening\r\n")


async def _turn():
    """
    Let the reactor run briefly.
    """
    await task.deferLater(reactor, 0.01, lambda: None)


class CloseNowTests(_ConnectedPairMixin, unittest.TestCase):
    """
    L{closeNow} closes at once when nothing is queued, and after the
    queued bytes otherwise.
    """

    async def test_closedAtOnce(self):
        """
        With nothing queued the connection is closed (and the protocol
        told) before C{closeNow} returns; the peer gets every byte sent.
        """
        server, client = await self.connectedPair()
        writeNow(server.transport, b"221 Goodbye\r\n")
        closeNow(server.transport)
        self.assertTrue(server.closed.called)
        self.assertEqual(await client.closed, b"221 Goodbye\r\n")

    async def test_queuedBytesSentFirst(self):
        """
        With bytes queued it waits for them, as C{loseConnection} does.
        """
        server, client = await self.connectedPair()
        server.transport.write(b"queued")
        closeNow(server.transport)
        self.assertFalse(server.closed.called)
        self.assertEqual(await client.closed, b"queued")
        await server.closed

    def test_otherTransportsLoseConnection(self):
        """
        Other transports get C{loseConnection}.
        """
        transport = StringTransport()
        closeNow(transport)
        self.assertTrue(transport.disconnecting)

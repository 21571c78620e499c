"""
A download's large writes on a data connection's TLS layer
(L{ftpkit.data.tlslayer.DataTLSProtocol}) are encrypted a few records at a time
(L{ftpkit.compat.writeInBulk}) and sent to the socket at once, over a real
loopback connection, with Twisted's TLS as the client.
"""

import os
import socket

from twisted.internet import defer, reactor, ssl
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint
from twisted.internet.interfaces import IHandshakeListener
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import deferLater
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit import compat
from ftpkit.compat.tcp import unqueued
from ftpkit.compat.tlsbulk import PLAINTEXT_SIZE
from ftpkit.control.tls import makeContextFactory
from ftpkit.data.tls import DataTLS
from ftpkit.data.tlslayer import BULK_WRITE_SIZE
from tests.scratch import scratchDirectory
from tests.tlssupport import makeCertificate


@implementer(IHandshakeListener)
class _Server(Protocol):
    """
    The server side: holds TLS 1.3 tickets back at the end of the
    handshake, as L{ftpkit.data.connection.DataConnection} does, and tells
    the test.
    """

    def connectionMade(self):
        self.factory.made.callback(self)

    def handshakeCompleted(self):
        self.transport.holdTickets()
        # The test goes on once the layer has sent (or held) what the end
        # of the handshake made.
        reactor.callLater(0, self.factory.handshaken.callback, self)


class _Client(Protocol):
    """
    Keeps what it receives.
    """

    def __init__(self):
        self.received = bytearray()

    def dataReceived(self, data):
        self.received += data


class _CountingSocket:
    """
    Stands for a connected socket, noting the size of each C{send}.

    @ivar sends: the sizes given to C{send}, in order.
    """

    def __init__(self, sock):
        self._sock = sock
        self.sends = []

    def send(self, data):
        """
        Note the size and send through the real socket.
        """
        self.sends.append(len(data))
        return self._sock.send(data)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class BulkWriteTests(unittest.TestCase):
    """
    Large writes on a data connection's TLS layer.
    """

    async def connect(self, maximumVersion):
        """
        Open a loopback connection whose server side is a data
        connection's TLS layer, its socket's send buffer large enough
        for what the tests write.

        @param maximumVersion: the server's highest TLS version (C{None}:
            TLS 1.3).
        @return: C{(server, client)}: the server's protocol (its
            handshake not started) and the client's.
        """
        directory = scratchDirectory(self)
        context = makeContextFactory(makeCertificate(directory)[2],
                                     maximumVersion=maximumVersion)
        factory = Factory.forProtocol(_Server)
        factory.made = defer.Deferred()
        factory.handshaken = defer.Deferred()
        self.handshaken = factory.handshaken
        port = await TCP4ServerEndpoint(
            reactor, 0, interface="127.0.0.1").listen(
            DataTLS(context.makeContext()).wrapFactory(factory))
        self.addCleanup(port.stopListening)
        client = await TCP4ClientEndpoint(
            reactor, "127.0.0.1", port.getHost().port).connect(
            Factory.forProtocol(_Client))
        self.addCleanup(client.transport.loseConnection)
        server = await factory.made
        self.addCleanup(server.transport.loseConnection)
        server.transport.transport.getHandle().setsockopt(
            socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        return server, client

    async def receive(self, client, size):
        """
        @return: what the client received once it has C{size} bytes (or
            after 5 seconds).
        """
        for _ in range(500):
            if len(client.received) >= size:
                break
            await deferLater(reactor, 0.01, lambda: None)
        return bytes(client.received)

    async def settled(self, maximumVersion):
        """
        Connect, finish the handshake, and wait until nothing the
        handshake wrote is still queued in the server's TCP connection.

        @return: C{(server, client)}.
        """
        server, client = await self.connect(maximumVersion)
        client.transport.startTLS(ssl.CertificateOptions())
        await self.handshaken
        for _ in range(500):
            if unqueued(server.transport.transport):
                break
            await deferLater(reactor, 0.01, lambda: None)
        return server, client

    async def bulkWrite(self, maximumVersion):
        """
        After the handshake, a large write reaches the client intact and
        leaves nothing queued in the TCP connection: its records went to
        the socket at once (Twisted's layer queues each for the reactor's
        next turn).
        """
        server, client = await self.settled(maximumVersion)
        data = os.urandom(3 * 65536 + 1001)
        server.transport.write(data)
        self.assertTrue(unqueued(server.transport.transport))
        self.assertEqual(await self.receive(client, len(data)), data)

    def test_bulkWriteTLS12(self):
        """
        See L{bulkWrite}, under TLS 1.2.
        """
        return defer.ensureDeferred(self.bulkWrite(ssl.TLSVersion.TLSv1_2))

    def test_bulkWriteTLS13(self):
        """
        See L{bulkWrite}, under TLS 1.3: the session tickets held back
        since the handshake go first, in order (else the client could not
        decrypt the records after them).
        """
        return defer.ensureDeferred(self.bulkWrite(None))

    async def test_notBeforeHandshake(self):
        """
        Before the handshake L{compat.writeInBulk} writes nothing and says
        so: the write is Twisted's layer's to buffer.
        """
        server, client = await self.connect(None)
        self.assertFalse(compat.writeInBulk(server.transport,
                                            b"x" * BULK_WRITE_SIZE))

    async def test_smallWritesThenLarge(self):
        """
        Small writes (through Twisted's layer, queued for the reactor's
        next turn) and a large one after them arrive in order.
        """
        server, client = await self.connect(None)
        client.transport.startTLS(ssl.CertificateOptions())
        await self.handshaken
        small = [os.urandom(100) for _ in range(3)]
        large = os.urandom(BULK_WRITE_SIZE * 5 + 7)
        for piece in small:
            server.transport.write(piece)
        server.transport.write(large)
        expected = b"".join(small) + large
        self.assertEqual(await self.receive(client, len(expected)), expected)

    async def recordsTogether(self, maximumVersion):
        """
        A large write's records go to the socket L{PLAINTEXT_SIZE} of
        plaintext at a call: pyOpenSSL's contexts allow partial writes,
        so each C{SSL_write} makes one record, and a send after each sent
        a download over TLS in one system call per 16 KiB record.
        """
        server, client = await self.settled(maximumVersion)
        connection = server.transport.transport
        counting = _CountingSocket(connection.socket)
        connection.socket = counting
        self.addCleanup(setattr, connection, "socket", counting._sock)
        data = os.urandom(4 * PLAINTEXT_SIZE)
        server.transport.write(data)
        self.assertEqual(await self.receive(client, len(data)), data)
        large = [size for size in counting.sends if size >= PLAINTEXT_SIZE]
        self.assertEqual(len(large), 4, counting.sends)

    def test_recordsTogetherTLS12(self):
        """
        See L{recordsTogether}, under TLS 1.2.
        """
        return defer.ensureDeferred(
            self.recordsTogether(ssl.TLSVersion.TLSv1_2))

    def test_recordsTogetherTLS13(self):
        """
        See L{recordsTogether}, under TLS 1.3.
        """
        return defer.ensureDeferred(self.recordsTogether(None))

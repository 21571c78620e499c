"""
A client of an implicit-TLS (C{ssl:}) listener refused before its
session (the drain's listen queue, a process out of descriptors, the
acceptor of C{--workers}) gets a TLS alert, which its TLS library reports
as the server's refusal: it got a C{421} in clear, which a TLS client
reads as a broken handshake ("wrong version number"), as if the port
spoke no TLS. Clients of plain listeners still read the C{421}.
"""

import socket
import ssl

from twisted.application.internet import StreamServerEndpointService
from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.control.tls import implicitFactory
from ftpkit.deploy.dispatch import UNAVAILABLE
from ftpkit.deploy.listening import REFUSAL
from ftpkit.deploy.service import makeService
from ftpkit.deploy.workers import WorkerPool
from ftpkit.protocol.replies import formatReply
from tests.scratch import scratchDirectory
from tests.serverprocess import freePort
from tests.tapoptions import parse
from tests.tlssupport import (
    Certificates,
    FTPSTestsMixin,
    ImplicitLoopbackServer,
    clientContext,
)

QUEUED = 3
"""Clients left waiting in a listen queue."""


def connectQueued(address, count=QUEUED):
    """
    @param address: C{(host, port)} of a listener that accepts nothing
        for now.
    @return: C{count} connected sockets, none accepted yet.
    """
    clients = []
    for _ in range(count):
        client = socket.create_connection(address)
        client.settimeout(10)
        clients.append(client)
    return clients


def handshakeFailure(testCase, client):
    """
    @param testCase: the test, to clean up after.
    @param client: a connected socket.
    @return: the reason of the C{ssl.SSLError} its TLS handshake failed
        with (the test fails if it did not).
    """
    tls = clientContext().wrap_socket(client, do_handshake_on_connect=False)
    testCase.addCleanup(tls.close)
    error = testCase.assertRaises(ssl.SSLError, tls.do_handshake)
    return error.reason


class OneProcessTests(Certificates, unittest.TestCase):
    """
    The listener of C{twistd ftpkit} in one process.
    """

    def setUp(self):
        self.makeCertificates()
        port = freePort()
        server = makeService(parse(
            "--auth", "memory:alice:secret", "--root", scratchDirectory(self),
            "--listen", "ssl:%d:privateKey=%s:interface=127.0.0.1"
            % (port, self.both)))
        [self.listener] = [
            child for child in server.getServiceNamed("listeners")
            if isinstance(child, StreamServerEndpointService)]
        self.listener.startService()
        self.addCleanup(lambda: self.listener.running
                        and self.listener.stopService())
        # Accepting nothing, as when the reactor is busy: they queue.
        self.listener.endpoint.port.stopReading()
        self.clients = connectQueued(("127.0.0.1", port))
        for client in self.clients:
            self.addCleanup(client.close)

    async def test_drain(self):
        """
        The clients queued when the listener stops (the drain of
        C{SIGTERM}) each get the alert.
        """
        await self.listener.stopService()
        self.assertEqual(
            [handshakeFailure(self, client) for client in self.clients],
            ["TLSV1_ALERT_INTERNAL_ERROR"] * QUEUED)

    def test_outOfDescriptors(self):
        """
        The clients refused with the spare descriptor when the process
        has none left to accept them each get the alert.
        """
        self.assertTrue(self.listener._exhausted())
        self.assertEqual(
            [handshakeFailure(self, client) for client in self.clients],
            ["TLSV1_ALERT_INTERNAL_ERROR"] * QUEUED)


class AcceptorTests(Certificates, unittest.TestCase):
    """
    The acceptor of C{--workers}, with an C{ssl:} listener and a plain
    one.
    """

    def setUp(self):
        self.makeCertificates()
        self.pool = WorkerPool(1, [
            "ssl:%d:privateKey=%s:interface=127.0.0.1" % (freePort(),
                                                          self.both),
            "tcp:%d:interface=127.0.0.1" % (freePort(),)], [],
            ServerConfig(), reactor=MemoryReactorClock())
        self.pool.privilegedStartService()
        self.addCleanup(self.pool.spare.release)
        self.implicit, self.plain = self.pool._acceptors
        for acceptor in (self.implicit, self.plain):
            self.addCleanup(acceptor.socket.close)

    def queue(self, acceptor, count=QUEUED):
        """
        @return: C{count} clients queued on C{acceptor}'s listening socket.
        """
        clients = connectQueued(acceptor.socket.getsockname(), count)
        for client in clients:
            self.addCleanup(client.close)
        return clients

    def test_noWorker(self):
        """
        A client dispatched while no worker is ready is refused: one of
        the C{ssl:} listener gets the alert, one of the plain listener
        its C{421}.
        """
        [implicit], [plain] = self.queue(self.implicit, 1), self.queue(
            self.plain, 1)
        self.implicit.doRead()
        self.plain.doRead()
        self.assertEqual(handshakeFailure(self, implicit),
                         "TLSV1_ALERT_INTERNAL_ERROR")
        self.assertEqual(plain.recv(100), formatReply(421, UNAVAILABLE))

    def test_stop(self):
        """
        The clients queued when the acceptor stops: those of the C{ssl:}
        listener get the alert, those of the plain one the drain's
        C{421}.
        """
        implicit, plain = self.queue(self.implicit), self.queue(self.plain)
        self.successResultOf(self.pool.stopService())
        self.assertEqual([handshakeFailure(self, each) for each in implicit],
                         ["TLSV1_ALERT_INTERNAL_ERROR"] * QUEUED)
        self.assertEqual([each.recv(100) for each in plain],
                         [REFUSAL] * QUEUED)


class SessionRefusalTests(FTPSTestsMixin, unittest.TestCase):
    """
    A client an implicit-TLS session refuses as it starts (over a limit,
    in one process) reads its C{421} under TLS, as C{docs/tls.rst} says.
    """

    def test_overLimit(self):
        """
        Over C{maxConnectionsPerIP}, the handshake finishes and the C{421}
        comes under TLS: the connection was cut under the handshake, and
        the client read the end of it (OpenSSL's C{UNEXPECTED_EOF}).
        """
        server = self.serveImplicit(maxConnectionsPerIP=1)

        def client():
            first = clientContext().wrap_socket(
                socket.create_connection(("127.0.0.1", server.port), 10))
            try:
                first.recv(100)
                refused = clientContext().wrap_socket(
                    socket.create_connection(("127.0.0.1", server.port), 10))
                with refused:
                    return refused.recv(100)
            finally:
                first.close()

        return self.inThread(client).addCallback(
            self.assertEqual,
            formatReply(421, "Too many connections from your address"))


class ClosedAfterRefusalTests(FTPSTestsMixin, unittest.TestCase):
    """
    A client an implicit-TLS session refuses as it starts reads its
    C{421} under TLS, then the end of the connection at once (as a client
    of a plain listener does), not when the closing time (C{closeTimeout},
    here longer than the test's) cuts it: the refused session watched its
    replies once the handshake was done, and the layer, which closes only
    when no producer is registered, kept it open.
    """

    def refusedThenEnd(self, server):
        """
        @param server: a loopback server taking one session per address.
        @return: a Deferred firing with what a second client read on its
            connection: its C{421}, then the end (a timeout, with the
            connection still open, fails the test).
        """
        def client():
            first = clientContext().wrap_socket(
                socket.create_connection(("127.0.0.1", server.port), 20))
            with first:
                first.recv(100)
                refused = clientContext().wrap_socket(
                    socket.create_connection(("127.0.0.1", server.port), 20))
                with refused:
                    reply = refused.recv(100)
                    return reply, refused.recv(100)

        return self.inThread(client)

    async def test_ownLayer(self):
        """
        Under ftpkit's TLS layer (what C{twistd ftpkit} listens with on
        an C{ssl:} endpoint).
        """
        server = OwnLayerLoopbackServer(
            FilesystemRealm(self.root), self.factory,
            ServerConfig(maxConnectionsPerIP=1, closeTimeout=3600))
        server.start()
        self.addCleanup(server.stop)
        self.assertEqual(
            await self.refusedThenEnd(server),
            (formatReply(421, "Too many connections from your address"),
             b""))

    async def test_twistedLayer(self):
        """
        Under Twisted's own TLS (a listener of C{listenSSL}).
        """
        server = self.serveImplicit(maxConnectionsPerIP=1, closeTimeout=3600)
        self.assertEqual(
            await self.refusedThenEnd(server),
            (formatReply(421, "Too many connections from your address"),
             b""))


class OwnLayerLoopbackServer(ImplicitLoopbackServer):
    """
    An implicit-FTPS loopback server under ftpkit's own TLS layer
    (L{ftpkit.control.tls.implicitFactory}), as C{twistd ftpkit} listens
    on an C{ssl:} endpoint.
    """

    def start(self):
        """
        Listen on TCP, each connection under ftpkit's TLS layer.

        @return: the port number.
        """
        self._listening = self.reactor.listenTCP(
            0, implicitFactory(self.factory, self.contextFactory),
            interface=self.interface)
        self.port = self._listening.getHost().port
        return self.port


class AlertTests(unittest.TestCase):
    """
    L{TLS_REFUSAL} itself.
    """

    def test_shape(self):
        """
        One alert record: content type 21, a TLS 1.2 record version, two
        bytes of fatal (2) C{internal_error} (80).
        """
        from ftpkit.deploy.listening import TLS_REFUSAL

        self.assertEqual(TLS_REFUSAL, b"\x15\x03\x03\x00\x02\x02\x50")

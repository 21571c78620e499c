"""
Tests for L{ftpkit.deploy.listening}: a one-process listener tells the
clients still queued when it stops C{421}, not a reset.
"""

import socket

from twisted.internet import protocol, reactor
from twisted.trial import unittest

from ftpkit.deploy.listening import REFUSAL, ControlListening, refuseQueued
from ftpkit.ops.drain import SHUTTING_DOWN
from ftpkit.ops.events import CONNECTION_REFUSED, EventHub

QUEUED = 5
"""Clients left waiting in the listen queue."""


class ControlListeningTests(unittest.TestCase):
    """
    L{ControlListening} stopping with clients in its listen queue.
    """

    def listening(self, factory=None):
        """
        @param factory: the listener's factory (a bare one when omitted).
        @return: a started L{ControlListening} on a loopback port, its
            port no longer accepting (as when the reactor is busy).
        """
        if factory is None:
            factory = protocol.Factory.forProtocol(protocol.Protocol)
        listener = ControlListening("tcp:0:interface=127.0.0.1", factory,
                                    reactor)
        listener.startService()
        self.addCleanup(lambda: listener.running and listener.stopService())
        port = listener.endpoint.port
        port.stopReading()
        return listener, port

    def queue(self, port):
        """
        @return: C{QUEUED} clients connected to C{port}, none accepted.
        """
        clients = []
        for _ in range(QUEUED):
            client = socket.create_connection(
                ("127.0.0.1", port.getHost().port))
            self.addCleanup(client.close)
            client.settimeout(5)
            clients.append(client)
        return clients

    async def test_queuedClientsRefused(self):
        """
        Each client waiting in the listen queue when the listener stops
        (the drain of C{SIGTERM}) reads the drain's C{421}, then the end
        of the connection, instead of a reset.
        """
        listener, port = self.listening()
        clients = self.queue(port)
        await listener.stopService()
        for client in clients:
            self.assertEqual(client.recv(100), REFUSAL)
            self.assertEqual(client.recv(100), b"")
        self.assertTrue(REFUSAL.startswith(b"421 "))

    async def test_refusalsPublished(self):
        """
        Each queued client refused is one C{connectionRefused} event on the
        factory's hub, with its address and the drain's reason: the log
        line and the refusal metric of a refusal at the door.
        """
        factory = protocol.Factory.forProtocol(protocol.Protocol)
        factory.events = EventHub()
        seen = []
        factory.events.subscribe(seen.append, [CONNECTION_REFUSED])
        listener, port = self.listening(factory)
        self.queue(port)
        await listener.stopService()
        self.assertEqual([(e.peer, e.reason) for e in seen],
                         [("127.0.0.1", SHUTTING_DOWN)] * QUEUED)

    def test_spareAtPrivilegedStart(self):
        """
        The spare descriptor is held from the privileged start on, before
        any service's C{startService} (the sweep at start's thread):
        taken in C{startService}, it could lie above a number that
        thread held for a moment, and be of no use.
        """
        listener = ControlListening("tcp:0:interface=127.0.0.1",
                                    protocol.Factory.forProtocol(
                                        protocol.Protocol), reactor)
        listener.privilegedStartService()
        self.addCleanup(listener.stopService)
        self.assertIsNotNone(listener._spare.fd)

    async def test_spareAfterRestart(self):
        """
        A listener stopped (the spare given up) and started again holds
        its spare again.
        """
        listener, _ = self.listening()
        await listener.stopService()
        self.assertIsNone(listener._spare.fd)
        listener.startService()
        self.assertIsNotNone(listener._spare.fd)

    def test_refuseQueuedCount(self):
        """
        L{refuseQueued} refuses every queued client and says how many;
        with none left it refuses none.
        """
        _, port = self.listening()
        self.queue(port)
        self.assertEqual(refuseQueued(port.socket), QUEUED)
        self.assertEqual(refuseQueued(port.socket), 0)


class AcceptorStopTests(unittest.TestCase):
    """
    The acceptor of C{--workers} stopping with clients in its listen
    queue.
    """

    def test_queuedClientsRefused(self):
        """
        Each client waiting in an acceptor's listen queue when it stops
        reads C{421}, then the end of the connection, instead of a reset.
        """
        from twisted.internet.testing import MemoryReactorClock

        from ftpkit.config import ServerConfig
        from ftpkit.deploy.workers import WorkerPool

        with socket.socket() as probe:  # A free port (0 is refused).
            probe.bind(("127.0.0.1", 0))
            free = probe.getsockname()[1]
        pool = WorkerPool(1, [f"tcp:{free}:interface=127.0.0.1"], [],
                          ServerConfig(), reactor=MemoryReactorClock())
        pool.privilegedStartService()
        [acceptor] = pool._acceptors
        self.addCleanup(acceptor.socket.close)
        clients = []
        for _ in range(QUEUED):
            client = socket.create_connection(acceptor.socket.getsockname())
            self.addCleanup(client.close)
            client.settimeout(5)
            clients.append(client)
        # Held from the privileged start, before any service starts.
        self.assertIsNotNone(pool.spare.fd)
        seen = []
        pool.events.subscribe(seen.append, [CONNECTION_REFUSED])
        self.successResultOf(pool.stopService())
        for client in clients:
            self.assertEqual(client.recv(100), REFUSAL)
            self.assertEqual(client.recv(100), b"")
        self.assertEqual([(e.peer, e.reason) for e in seen],
                         [("127.0.0.1", SHUTTING_DOWN)] * QUEUED)

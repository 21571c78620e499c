"""
Tests for L{ftpkit.passive}: how a passive listener finds out what waits
in its accept queue.
"""

import socket
import time

from twisted.internet import reactor
from twisted.trial import unittest

from ftpkit.passive import PassiveListener, queuedConnections


class _CountingSocket:
    """
    A listening socket that counts its C{accept} calls.
    """

    def __init__(self, listening):
        self.listening = listening
        self.accepts = 0

    def accept(self):
        self.accepts += 1
        return self.listening.accept()

    def __getattr__(self, name):
        return getattr(self.listening, name)


def _waitForQueue(listening, count):
    """
    Wait (briefly) until C{count} connections are queued on C{listening}:
    the handshake of a loopback connect completes in the kernel at once,
    but give it a moment anyway.
    """
    for _ in range(100):
        if queuedConnections(listening) == count:
            return
        time.sleep(0.01)


class QueuedConnectionsTests(unittest.TestCase):
    """
    L{queuedConnections} reads a listening socket's accept queue length.
    """

    def setUp(self):
        self.listening = socket.socket()
        self.addCleanup(self.listening.close)
        self.listening.bind(("127.0.0.1", 0))
        self.listening.listen(8)
        self.listening.setblocking(False)

    def connect(self):
        client = socket.create_connection(self.listening.getsockname())
        self.addCleanup(client.close)
        return client

    def test_counts(self):
        """
        Zero at first, then one per connection not yet accepted.
        """
        self.assertEqual(queuedConnections(self.listening), 0)
        self.connect()
        self.connect()
        _waitForQueue(self.listening, 2)
        self.assertEqual(queuedConnections(self.listening), 2)
        accepted, _ = self.listening.accept()
        accepted.close()
        self.assertEqual(queuedConnections(self.listening), 1)

    def test_notListening(self):
        """
        A socket that is not listening cannot tell: C{None}.
        """
        self.assertIsNone(queuedConnections(self.connect()))
        unbound = socket.socket()
        self.addCleanup(unbound.close)
        self.assertIsNone(queuedConnections(unbound))

    def test_discardQueuedSkipsEmptyQueue(self):
        """
        L{PassiveListener.discardQueued} does not call C{accept} on an
        empty queue (a failing C{accept} costs an exception), and still
        discards everything queued otherwise.
        """
        counting = _CountingSocket(self.listening)
        listener = PassiveListener(reactor, counting, None,
                                   port=self.listening.getsockname()[1])
        discarded = []

        def discard(connection, address):
            connection.close()
            discarded.append(address)

        listener.discardQueued(discard)
        self.assertEqual((counting.accepts, discarded), (0, []))
        self.connect()
        self.connect()
        _waitForQueue(self.listening, 2)
        listener.discardQueued(discard)
        self.assertEqual(len(discarded), 2)
        self.assertEqual(queuedConnections(self.listening), 0)

    def test_doReadKeepsListening(self):
        """
        L{PassiveListener.doRead} (called by the reactor) accepts a
        connection and returns C{None} whatever C{onAccept} did with it: a
        true value would make the reactor drop the listener.
        """
        accepted = []

        def refuse(connection, address):
            accepted.append(address)
            connection.close()

        listener = PassiveListener(reactor, self.listening, refuse,
                                   port=self.listening.getsockname()[1])
        self.connect()
        _waitForQueue(self.listening, 1)
        self.assertIsNone(listener.doRead())
        self.assertEqual(len(accepted), 1)
        self.assertIsNone(listener.doRead())
        self.assertEqual(len(accepted), 1)

"""
Tests for L{ftpkit.compat.tcp.closeAtOnce}: a connection closed at once
is closed once, even when closing it runs code that closes it again.
"""

import socket

from twisted.internet import protocol, tcp
from twisted.internet.testing import MemoryReactor
from twisted.trial import unittest

from ftpkit.compat.tcp import closeAtOnce


class _EndCounter(protocol.Protocol):
    """
    A protocol counting its C{connectionLost} calls.
    """

    ends = 0

    def connectionLost(self, reason):
        """
        @param reason: why the connection ended.
        """
        self.ends += 1


class _ClosingProducer:
    """
    A producer whose first C{stopProducing} closes its connection at
    once, as a callback chain run from a data connection's producer did at
    shutdown (a L{Deferred} fires once).

    @ivar transport: the connection it closes.
    @ivar stops: how often it was stopped.
    """

    def __init__(self, transport):
        self.transport = transport
        self.stops = 0

    def pauseProducing(self):
        """
        Nothing to pause.
        """

    def resumeProducing(self):
        """
        Nothing to resume.
        """

    def stopProducing(self):
        """
        Close the connection that stops this producer, the first time.
        """
        self.stops += 1
        if self.stops == 1:
            closeAtOnce(self.transport)


class ReentrantCloseTests(unittest.SynchronousTestCase):
    """
    L{closeAtOnce} called again while it closes a connection.
    """

    def test_fromStopProducing(self):
        """
        A producer that closes its connection at once when the close stops
        it leaves one close: the socket closed, the protocol told once.
        Twisted's C{connectionLost} ran twice, and the first ended with
        C{AttributeError: 'Server' object has no attribute 'socket'}.
        """
        mine, peer = socket.socketpair()
        self.addCleanup(peer.close)
        self.addCleanup(mine.close)
        ender = _EndCounter()
        transport = tcp.Connection(mine, ender, MemoryReactor())
        ender.makeConnection(transport)
        producer = _ClosingProducer(transport)
        transport.registerProducer(producer, True)
        closeAtOnce(transport)
        self.assertEqual((ender.ends, producer.stops), (1, 1))
        self.assertIsNone(transport.producer)
        self.assertEqual(mine.fileno(), -1)
        self.assertEqual(peer.recv(1), b"")

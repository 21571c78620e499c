"""
Tests for L{ftpkit.data.peerends.peerFinished}.
"""

import select
import socket

from twisted.trial import unittest

from ftpkit.data.peerends import peerFinished
from ftpkit.data.watchdog import WatchedConnection


class PeerFinishedTests(unittest.TestCase):
    """
    Whether a peer ended its side, told without reading what it sent.
    """

    if getattr(select, "POLLRDHUP", None) is None:
        skip = "no POLLRDHUP here"

    def setUp(self):
        self.here, self.there = socket.socketpair()
        self.addCleanup(self.here.close)
        self.addCleanup(self.there.close)

    def test_open(self):
        """
        A peer that sent bytes and did not end its side has not finished.
        """
        self.there.sendall(b"bytes")
        self.assertFalse(peerFinished(self.here))

    def test_endedUnread(self):
        """
        A peer that ended its side has finished, its bytes still there to
        read after the question.
        """
        self.there.sendall(b"bytes")
        self.there.shutdown(socket.SHUT_WR)
        self.assertTrue(peerFinished(self.here))
        self.assertEqual(self.here.recv(100), b"bytes")


class ClosedTransport:
    """
    A TCP transport after its connection was lost: Twisted's drops its
    C{socket}, so C{getHandle} raises.
    """

    def getHandle(self):
        raise AttributeError("'Server' object has no attribute 'socket'")


class LostSocketTests(unittest.TestCase):
    """
    L{WatchedConnection.peerFinished} of a data connection whose socket
    is gone.
    """

    def test_cannotTell(self):
        """
        Cannot be told (C{False}: the transfer is cut, as before the
        question was asked), not an C{AttributeError} out of the control
        connection's C{connectionLost}, which left the transfer running
        and the session alive (a client killed mid-upload: its control
        and data connections lost in one turn).
        """
        connection = WatchedConnection()
        connection.socketTransport = ClosedTransport()
        self.assertFalse(connection.peerFinished())


"""
Tests for L{ftpkit.data.peerends.peerFinished}.
"""

import select
import socket

from twisted.trial import unittest

from ftpkit.data.peerends import peerFinished


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

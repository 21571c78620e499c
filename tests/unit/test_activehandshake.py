"""
The pure parts of L{ftpkit.data.activehandshake}: the deadline of an
active data connection's handshake, and the reason its C{425} gives.
"""

from OpenSSL import SSL
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.trial import unittest

from ftpkit.data.activehandshake import failureText, handshakeDeadline


class HandshakeDeadlineTests(unittest.TestCase):
    """
    L{handshakeDeadline}: one deadline, the shorter.
    """

    def test_dataTimeoutShorter(self):
        """
        A C{--data-timeout} under the handshake timeout is the deadline.
        """
        self.assertEqual(handshakeDeadline(10.0, 3), 3)

    def test_handshakeTimeoutShorter(self):
        """
        Otherwise the handshake timeout is.
        """
        self.assertEqual(handshakeDeadline(10.0, 300), 10.0)


class FailureTextTests(unittest.TestCase):
    """
    L{failureText}: why the transfer never got its connection.
    """

    def test_timedOut(self):
        """
        The deadline ended it, whatever the connection ended with.
        """
        self.assertEqual(failureText(ConnectionLost(), True, 2.5, False),
                         "TLS handshake not done within 2.5s")

    def test_refused(self):
        """
        The session's TLS policy refused its session.
        """
        self.assertIn("session reuse required",
                      failureText(ConnectionLost(), False, 10, True))

    def test_tlsError(self):
        """
        A broken handshake gives OpenSSL's reason.
        """
        error = SSL.Error([("SSL routines", "", "wrong version number")])
        self.assertEqual(failureText(error, False, 10, False),
                         "TLS handshake failed: wrong version number")

    def test_closed(self):
        """
        A connection the client closed in order before its handshake.
        """
        self.assertEqual(failureText(ConnectionDone(), False, 10, False),
                         "closed by the client before its TLS handshake")

    def test_lost(self):
        """
        One reset before its handshake.
        """
        self.assertEqual(failureText(ConnectionLost(), False, 10, False),
                         "lost before its TLS handshake")

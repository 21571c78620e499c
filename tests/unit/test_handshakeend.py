"""
Tests for L{ftpkit.data.handshakeend}: how a download's connection under
TLS, taken before its handshake, ends when its transfer finishes or its
handshake's deadline passes first, on a clock.
"""

from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.data.handshakeend import SILENT_CLIENT_TIMEOUT, EndBeforeHandshake


class FakeTLSLayer:
    """
    What L{EndBeforeHandshake} reads of a connection's TLS layer.

    @ivar peerSilent: the client has sent nothing.
    @ivar wroteData: something was written.
    """

    peerSilent = True
    wroteData = False


class FakeSocketTransport:
    """
    The TCP transport beneath: records its in-order close.

    @ivar closed: whether C{loseConnection} was called.
    """

    closed = False

    def loseConnection(self):
        self.closed = True


class Connection(EndBeforeHandshake):
    """
    A connection with what L{EndBeforeHandshake} needs, recording how it
    ended: C{"without TLS"}, C{"aborted"} or C{"TLS"} (its handshake
    done, then the server's close_notify).
    """

    _finishing = False

    def __init__(self, clock):
        self._reactor = clock
        self._handshakeWaiters = []
        self.transport = FakeTLSLayer()
        self.socketTransport = FakeSocketTransport()
        self.ends = []

    def finish(self):
        """
        The download finished before the handshake.
        """
        self._finishing = True
        self._finishBeforeHandshake(True)

    def abort(self):
        self.ends.append("aborted")

    def _endTLS(self, linger):
        self.ends.append("TLS")

    @property
    def ended(self):
        """
        @return: how it ended, as a list.
        """
        if self.socketTransport.closed:
            return self.ends + ["without TLS"]
        return self.ends


class EndBeforeHandshakeTests(unittest.SynchronousTestCase):
    """
    L{EndBeforeHandshake}.
    """

    def setUp(self):
        self.clock = Clock()
        self.connection = Connection(self.clock)

    def test_silentEndsAfterTimeout(self):
        """
        A silent client, nothing written, gets the end of the TCP
        connection L{SILENT_CLIENT_TIMEOUT} seconds after the download
        finished, its deadline not reached.
        """
        self.connection.finish()
        self.clock.advance(SILENT_CLIENT_TIMEOUT - 0.5)
        self.assertEqual(self.connection.ended, [])
        self.clock.advance(0.5)
        self.assertEqual(self.connection.ended, ["without TLS"])
        self.assertTrue(self.connection._endedSilent)

    def test_deadlineFirstEndsSilent(self):
        """
        A deadline shorter than L{SILENT_CLIENT_TIMEOUT} (a
        C{--data-timeout} of 1) passing after the download finished ends
        a silent client's connection without TLS, complete: it aborted
        it (C{426}) before session 55.
        """
        self.connection.finish()
        self.clock.advance(1)
        self.connection.handshakeOverdue()
        self.assertEqual(self.connection.ended, ["without TLS"])
        self.clock.advance(SILENT_CLIENT_TIMEOUT)
        self.assertEqual(self.connection.ended, ["without TLS"])

    def test_deadlineBeforeFinish(self):
        """
        A deadline passing while the listing is still made, its client
        silent: the connection waits, and ends without TLS as soon as
        the download finishes with nothing written.
        """
        self.connection.handshakeOverdue()
        self.assertEqual(self.connection.ended, [])
        self.connection.finish()
        self.assertEqual(self.connection.ended, ["without TLS"])

    def test_writtenAfterDeadline(self):
        """
        Something written after the deadline passed (a listing with
        entries), the client silent: the connection is aborted when the
        download finishes.
        """
        self.connection.handshakeOverdue()
        self.connection.transport.wroteData = True
        self.connection.finish()
        self.assertEqual(self.connection.ended, ["aborted"])

    def test_written(self):
        """
        Something written, the client silent: the silence does not end
        the connection, the deadline aborts it.
        """
        self.connection.transport.wroteData = True
        self.connection.finish()
        self.clock.advance(SILENT_CLIENT_TIMEOUT)
        self.assertEqual(self.connection.ended, [])
        self.connection.handshakeOverdue()
        self.assertEqual(self.connection.ended, ["aborted"])

    def test_handshakeStarted(self):
        """
        A client that started its handshake and did not complete it by
        the deadline is aborted, before or after the download finished.
        """
        self.connection.transport.peerSilent = False
        self.connection.handshakeOverdue()
        self.assertEqual(self.connection.ended, ["aborted"])
        finished = Connection(self.clock)
        finished.transport.peerSilent = False
        finished.finish()
        finished.handshakeOverdue()
        self.assertEqual(finished.ended, ["aborted"])

    def test_handshakeDone(self):
        """
        The handshake done, the connection ends under TLS.
        """
        self.connection.finish()
        for waiter in self.connection._handshakeWaiters:
            waiter.callback(None)
        self.assertEqual(self.connection.ended, ["TLS"])

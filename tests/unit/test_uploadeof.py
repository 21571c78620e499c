"""
Tests for the decision C{--tls-allow-upload-eof} changes: whether a data
connection under TLS whose client sent no C{close_notify} ended an upload
cleanly (L{ftpkit.data.tls.DataTLS.uploadEOFAccepted}, and
L{ftpkit.data.connection.DataConnection}'s end).
"""

from OpenSSL import SSL
from twisted.internet import error
from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.logger import capturedLogs, formatEvent
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.data.connection import DataConnection
from ftpkit.data.tls import DataTLS
from ftpkit.data.tlsclient import ClientDataTLS
from ftpkit.data.tlslayer import DataTLSProtocol

_FIN = Failure(error.ConnectionLost("no close_notify"))
"""What the TLS layer gives for a TCP FIN without a close_notify (Twisted
turns the unexpected end of the TLS stream into C{ConnectionLost})."""


class _Layer:
    """
    The parts of a lost L{DataTLSProtocol} the decision reads.
    """

    closedInOrder = False
    peerSilent = False

    def __init__(self, fin=True, wroteData=False):
        self.finWithoutCloseNotify = fin
        self.wroteData = wroteData

    def getHandle(self):
        return None

    def getPeer(self):
        return IPv4Address("TCP", "192.0.2.7", 20000)


class PolicyTests(unittest.TestCase):
    """
    L{DataTLS.uploadEOFAccepted}.
    """

    def test_strictByDefault(self):
        """
        By default an upload without the client's close_notify is cut,
        even when it ended with a FIN.
        """
        self.assertFalse(DataTLS(None).uploadEOFAccepted(_Layer(), _FIN))

    def test_finAccepted(self):
        """
        With C{allowUploadEOF}, a FIN after the handshake ends it.
        """
        policy = DataTLS(None, allowUploadEOF=True)
        self.assertTrue(policy.uploadEOFAccepted(_Layer(), _FIN))

    def test_resetRefused(self):
        """
        A reset (no FIN seen) still cuts it.
        """
        policy = DataTLS(None, allowUploadEOF=True)
        reset = Failure(error.ConnectionLost("reset"))
        self.assertFalse(policy.uploadEOFAccepted(_Layer(fin=False), reset))

    def test_fatalAlertRefused(self):
        """
        A fatal alert (an C{SSL.Error}) still cuts it, FIN or not.
        """
        policy = DataTLS(None, allowUploadEOF=True)
        alert = Failure(SSL.Error([("SSL routines", "", "bad record mac")]))
        self.assertFalse(policy.uploadEOFAccepted(_Layer(), alert))

    def test_fxpSource(self):
        """
        A server sending a file here (FXP) gets no such leniency.
        """
        self.assertFalse(ClientDataTLS().uploadEOFAccepted(_Layer(), _FIN))

    def test_layerNotesFIN(self):
        """
        L{DataTLSProtocol} notes a FIN that comes before its own
        close_notify (and closes at once), not one after it.
        """
        for shutdown, noted in [(0, True), (SSL.SENT_SHUTDOWN, False)]:
            layer = DataTLSProtocol.__new__(DataTLSProtocol)
            handle = _Handle(shutdown)
            layer.getHandle = lambda handle=handle: handle
            layer.transport = _TCP()
            layer.readConnectionLost()
            self.assertEqual(layer.finWithoutCloseNotify, noted)
            self.assertEqual(layer.transport.ended, True)


class _Handle:
    """
    An L{SSL.Connection}'s shutdown state.
    """

    def __init__(self, shutdown):
        self.shutdown = shutdown

    def get_shutdown(self):
        return self.shutdown


class _TCP:
    """
    A TCP transport that notes its end.
    """

    ended = False

    def connectionLost(self, reason):
        self.ended = True

    def loseConnection(self):
        self.ended = True


class ConnectionEndTests(unittest.TestCase):
    """
    The reason L{DataConnection} gives for a lost TLS connection whose
    client sent no close_notify.
    """

    def lose(self, allow=True, layer=None, handshake=True, setup=None):
        """
        Lose a data connection under TLS to L{_FIN}.

        @return: its C{lostReason} and the lines logged.
        """
        connection = DataConnection(lambda c: None, Clock(), 60,
                                    lambda: None,
                                    DataTLS(None, allowUploadEOF=allow))
        connection.transport = layer or _Layer()
        connection._handshakeDone = handshake
        if setup is not None:
            setup(connection)
        with capturedLogs() as events:
            connection.connectionLost(_FIN)
        return connection.lostReason, [formatEvent(e) for e in events]

    def test_uploadAccepted(self):
        """
        With the option, an upload's connection ends cleanly, and one line
        says the client sent no close_notify.
        """
        reason, lines = self.lose()
        self.assertIsInstance(reason, error.ConnectionDone)
        self.assertEqual(len(lines), 1)
        self.assertIn("without the client's TLS close_notify", lines[0])
        self.assertIn("192.0.2.7", lines[0])

    def test_uploadCutByDefault(self):
        """
        Without it, the upload is cut, and nothing is logged here.
        """
        reason, lines = self.lose(allow=False)
        self.assertNotIsInstance(reason, error.ConnectionDone)
        self.assertEqual(lines, [])

    def test_downloads(self):
        """
        A download's connection (its client's bytes discarded, finishing,
        or having sent something) is never ended so by the option.
        """
        for setup, layer in [
                (lambda c: c.discardReceived(), None),
                (lambda c: setattr(c, "_finishing", True), None),
                (None, _Layer(wroteData=True))]:
            reason, _ = self.lose(layer=layer, setup=setup)
            self.assertNotIsInstance(reason, error.ConnectionDone)

    def test_beforeHandshake(self):
        """
        A FIN before the handshake completed is no upload's end.
        """
        reason, _ = self.lose(handshake=False)
        self.assertNotIsInstance(reason, error.ConnectionDone)

"""
The thirty-ninth attack sweep, over real loopback sockets: clients that
never log in.

C{--login-timeout} was looked at only when a command line came: a client
that never completed one (silent after the greeting, a command line or a
TLS handshake sent a byte at a time, implicit FTPS or after C{AUTH TLS})
kept its connection, and its place under C{--max-connections} and
C{--max-connections-per-ip}, until the idle timeout, however short the
login timeout (C{--login-timeout 4 --idle-timeout 60}: a stalled
handshake still open after 35 s). The time to log in now runs out on a
timer of its own (L{ftpkit.control.connectionlife.ConnectionLife.watchLogin}).
"""

from twisted.internet import defer
from twisted.trial import unittest

from tests.integration.test_attack_tls import closedWithin, connectRaw
from tests.tlssupport import FTPSTestsMixin, clientHello

LOGIN_TIMEOUT = 0.5
"""The servers' login timeout, in seconds."""

IDLE_TIMEOUT = 600.0
"""Their idle timeout: far beyond the clients' wait."""


class LoginTimeoutTests(FTPSTestsMixin, unittest.TestCase):
    """
    A client that does not log in in time is closed at the login timeout
    whatever it sent, not at the idle timeout.
    """

    def stalled(self, port, greeting, first):
        """
        Connect, send C{first}, and wait for the server to close.

        @param port: the server's port.
        @param greeting: read the clear greeting first.
        @param first: the bytes sent, then nothing more.
        @return: a Deferred firing with whether the connection was closed
            within the clients' wait (L{closedWithin}).
        """
        def run():
            sock = connectRaw(port, greeting=greeting)
            sock.sendall(first)
            return closedWithin(sock)

        return self.inThread(run)

    def serveClear(self):
        """
        @return: a server with explicit TLS and the timeouts above.
        """
        return self.serve(loginTimeout=LOGIN_TIMEOUT, idleTimeout=IDLE_TIMEOUT,
                          closeTimeout=0.3)

    @defer.inlineCallbacks
    def test_implicitHandshakeStalled(self):
        """
        An implicit-FTPS client that sends the first byte of its
        ClientHello, then nothing.
        """
        server = self.serveImplicit(loginTimeout=LOGIN_TIMEOUT,
                                    idleTimeout=IDLE_TIMEOUT,
                                    closeTimeout=0.3)
        closed = yield self.stalled(server.port, False, clientHello()[:1])
        self.assertTrue(closed)

    @defer.inlineCallbacks
    def test_stalledHandshakeCutAtOnce(self):
        """
        A TLS handshake still unfinished when the time to log in is over
        is cut then, not after C{closeTimeout} more: its C{421} could
        only go out once the handshake ends, and the client has not
        finished it in all that time.
        """
        server = self.serveImplicit(loginTimeout=LOGIN_TIMEOUT,
                                    idleTimeout=IDLE_TIMEOUT,
                                    closeTimeout=IDLE_TIMEOUT)
        closed = yield self.stalled(server.port, False, clientHello()[:1])
        self.assertTrue(closed)

    @defer.inlineCallbacks
    def test_explicitHandshakeStalled(self):
        """
        A client that sends C{AUTH TLS} and half its ClientHello.
        """
        server = self.serveClear()
        hello = clientHello()
        closed = yield self.stalled(server.port, True,
                                    b"AUTH TLS\r\n" + hello[:len(hello) // 2])
        self.assertTrue(closed)

    @defer.inlineCallbacks
    def test_partialLine(self):
        """
        A client that sends part of a command line.
        """
        server = self.serveClear()
        closed = yield self.stalled(server.port, True, b"USER ali")
        self.assertTrue(closed)

    @defer.inlineCallbacks
    def test_silentToldWhy(self):
        """
        A silent client is told why: C{421 Login timeout}.
        """
        server = self.serveClear()

        def run():
            sock = connectRaw(server.port, greeting=True)
            with sock:
                sock.settimeout(20)
                return sock.recv(1000)

        reply = yield self.inThread(run)
        self.assertTrue(reply.startswith(b"421 Login timeout"), reply)

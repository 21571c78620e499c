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

The same in the modes it was first tested without (sweep 40): on C{::1},
and in server processes: under C{--workers 2} (the acceptor admits and
counts each session, a worker times it and reports its end), implicit
FTPS there too, through a C{SIGHUP}, started by C{twistd} as by
C{python -m ftpkit}.
"""

import re
import signal
import socket

from twisted.internet import defer
from twisted.trial import unittest

from tests.integration.test_attack_tls import closedWithin, connectRaw
from tests.ipv6 import hasIPv6
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.sockreads import readToEnd
from tests.tlssupport import FTPSTestsMixin, clientHello, makeCertificate

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
    def test_explicitStalledHandshakeCutAtOnce(self):
        """
        Likewise for a handshake begun after C{AUTH TLS}: cut at the
        login timeout, not C{closeTimeout} later.
        """
        server = self.serve(loginTimeout=LOGIN_TIMEOUT,
                            idleTimeout=IDLE_TIMEOUT,
                            closeTimeout=IDLE_TIMEOUT)
        closed = yield self.stalled(server.port, True,
                                    b"AUTH TLS\r\n" + clientHello()[:1])
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

    @defer.inlineCallbacks
    def test_silentOnIPv6(self):
        """
        A silent client on C{::1} is told why and closed likewise.
        """
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        server = self.serve(interface="::1", loginTimeout=LOGIN_TIMEOUT,
                            idleTimeout=IDLE_TIMEOUT, closeTimeout=0.3)

        def run():
            sock = socket.create_connection(("::1", server.port), timeout=20)
            return readToClose(sock)

        received = yield self.inThread(run)
        self.assertIn(b"421 Login timeout", received)


def readToClose(sock, seconds=20):
    """
    Read what the server sends until it closes the connection (blocking).

    @param sock: a connected socket, closed here.
    @param seconds: how long to wait for the close.
    @return: every byte read, or C{None} if the connection was still open
        after C{seconds}.
    """
    sock.settimeout(seconds)
    with sock:
        try:
            return readToEnd(sock, resetEnds=True)
        except OSError:
            return None


class ProcessLoginTimeoutTests(unittest.TestCase):
    """
    C{--login-timeout 1} with C{--max-connections-per-ip 2} in a server
    process: silent clients are told C{421} and closed, and their
    address's places are free again for the next two clients (under
    C{--workers}, the acceptor counted them and hears of their end from
    the worker).
    """

    timeout = 120

    def start(self, *options, twistd=False):
        """
        Start the server and wait until it serves.

        @param options: more ftpkit options (C{--workers 2}: wait for
            both workers).
        @param twistd: run C{twistd -n ftpkit}, not C{python -m ftpkit}.
        @return: the L{ServerProcess}.
        """
        server = ServerProcess(self, [
            "--root", scratchDirectory(self), "--auth", "anonymous",
            "--login-timeout", "1", "--idle-timeout", "600",
            "--max-connections-per-ip", "2", *options], twistd=twistd)
        if "--workers" in options:
            server.waitForLog(" ready\n", 2)
        else:
            server.waitForLog("listening on")
        return server

    def silentReleased(self, server, hangup=False, port=None, first=b""):
        """
        Two clients send C{first} and then nothing: both are closed (a
        clear one told C{421 Login timeout}); then two new clients are
        greeted.

        @param server: the L{ServerProcess}.
        @param hangup: send the server C{SIGHUP} while the two wait.
        @param port: the port the silent two connect to (an implicit FTPS
            one); the server's clear one when C{None}.
        @param first: what each of the two sends.
        """
        silent = [socket.create_connection(("127.0.0.1", port or server.port),
                                           timeout=20) for _ in range(2)]
        for sock in silent:
            sock.sendall(first)
        if hangup:
            server.signal(signal.SIGHUP)
            server.waitForLog("SIGHUP: reloading")
        for sock in silent:
            received = readToClose(sock)
            self.assertIsNotNone(received, server.log())
            if port is None:
                self.assertIn(b"421 Login timeout", received)
        # Both at once, though the acceptor of --workers hears of the two
        # ends from the workers a moment after the clients saw them: each
        # waits for one (ftpkit.deploy.overlimit).
        greeted = [socket.create_connection(("127.0.0.1", server.port),
                                            timeout=20) for _ in range(2)]
        for sock in greeted:
            with sock:
                self.assertEqual(sock.recv(4)[:3], b"220", server.log())

    def test_workers(self):
        """
        C{--workers 2}, with a C{SIGHUP} while the silent clients wait.
        """
        self.silentReleased(self.start("--workers", "2"), hangup=True)

    def test_workersTwistd(self):
        """
        C{twistd -n ftpkit --workers 2}.
        """
        self.silentReleased(self.start("--workers", "2", twistd=True))

    def test_oneProcessTwistd(self):
        """
        C{twistd -n ftpkit} in one process, with a C{SIGHUP} while the
        silent clients wait.
        """
        self.silentReleased(self.start(twistd=True), hangup=True)

    def test_workersImplicitStalled(self):
        """
        C{--workers 2} with an implicit FTPS listener: two clients that
        send the first byte of their ClientHello are cut, though the
        workers reload their certificate meanwhile (C{SIGHUP}).
        """
        both = makeCertificate(scratchDirectory(self))[2]
        server = self.start("--workers", "2", "--tls-cert", both, "--listen",
                            f"ssl:0:privateKey={both}:interface=127.0.0.1")
        port = int(re.findall(r"ftpkit listening on \S+ port (\d+)",
                              server.log())[1])
        self.silentReleased(server, hangup=True, port=port,
                            first=clientHello()[:1])

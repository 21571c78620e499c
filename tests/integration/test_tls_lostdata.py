"""
Under C{PROT P}, a passive data connection that ends before its TLS
handshake: its client closes it (FIN), resets it (RST) or sends bytes
that are not TLS, before its transfer command or just after it. The
command ends at once, where it waited for another connection until the
data timeout (C{425 Data connection timed out}): with C{150} then
C{426}, as in clear, where it got C{425 Data connection closed} when the
connection ended before the command, and, just after a listing's
command, either answer depending on timing; a reset one may get C{425}
(a clear listing's command does). LIST, MLSD, NLST, RETR and STOR,
after PASV and EPSV, in one process and through C{--workers 2}, against
C{twistd ftpkit} in a child process.
"""

import ftplib
import io
import os
import socket
from functools import partial

from twisted.trial import unittest

from tests.integration.test_tls_clientedges import PAYLOAD, EdgeServerMixin
from tests.resets import hardClose

COMMANDS = ("LIST", "MLSD", "NLST", "RETR f.bin", "STOR lost.bin")
"""The transfer commands tried, each after each way of ending."""

DATA_TIMEOUT = "20"
"""The server's C{--data-timeout}: what a command waited, before, for a
connection that would never come."""

CLOSED = "425 Data connection closed"
"""The reply to a command whose connection ended before it arrived."""

NOT_TLS = b"plain bytes, not TLS\r\n" * 10
"""What a client sends on a connection where a TLS handshake should be."""


def _drain(sock):
    """
    Read until the server closes its side of C{sock}.
    """
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass


def _finished(sock, ftp):
    """
    End the connection with a FIN; wait until the server closed it.
    """
    sock.shutdown(socket.SHUT_WR)
    _drain(sock)
    sock.close()


def _reset(sock, ftp):
    """
    End the connection with a RST; give the server two round trips to
    see it (either way, the command that follows must end at once).
    """
    hardClose(sock)
    ftp.voidcmd("NOOP")
    ftp.voidcmd("NOOP")


def _notTLS(sock, ftp):
    """
    Send bytes that are not a TLS handshake; wait until the server closed
    the connection.
    """
    sock.sendall(NOT_TLS)
    _drain(sock)
    sock.close()


def _connectNotTLS(connect):
    """
    Connect with C{connect} and send bytes that are not TLS.
    """
    connect().sendall(NOT_TLS)


class LostBeforeHandshakeTests(EdgeServerMixin, unittest.TestCase):
    """
    A C{PROT P} data connection lost before its handshake ends its
    transfer command at once.
    """

    def passive(self, ftp, server, extended):
        """
        @param extended: send C{EPSV}, else C{PASV}.
        @return: a function that connects to the passive port the reply
            names and returns the socket.
        """
        if extended:
            port = ftplib.parse229(ftp.sendcmd("EPSV"),
                                   ftp.sock.getpeername())[1]
        else:
            port = ftplib.parse227(ftp.sendcmd("PASV"))[1]

        def connect():
            sock = socket.create_connection((server.host, port), timeout=30)
            self.addCleanup(sock.close)
            return sock
        return connect

    def ends(self, ftp, command, meanwhile=lambda: None):
        """
        Send C{command}, call C{meanwhile}, read its replies.

        @return: its final reply, prefixed with C{150 } when a C{150}
            came first.
        """
        ftp.putcmd(command)
        meanwhile()
        reply = ftp.getmultiline()
        if reply.startswith("150 "):
            reply = "150 " + ftp.getmultiline()
        return reply

    def assertEndedAtOnce(self, reply, context, reset=False):
        """
        Assert that C{reply} is a C{150} and then C{426}, as in clear for a
        connection its client closed (or sent bytes on, then closed)
        before or just after the command, not the data timeout's; or,
        for one its client reset, C{425 Data connection closed} too (as
        a clear listing's command gets).

        @param reset: the client reset the connection.
        """
        if reset and not reply.startswith("150 "):
            self.assertEqual(reply, CLOSED, context)
        else:
            self.assertTrue(reply.startswith("150 426 "), (context, reply))

    def lostConnections(self, workers):
        """
        Each way of ending, before each command, after PASV and EPSV;
        then a connection made just after each command, sending bytes
        that are not TLS; then a download still works.
        """
        server = self.serve("--data-timeout", DATA_TIMEOUT, workers=workers)
        ftp = self.ftps(server)
        for extended in (False, True):
            for command in COMMANDS:
                for end in (_finished, _reset, _notTLS):
                    end(self.passive(ftp, server, extended)(), ftp)
                    context = (extended, command, end.__name__)
                    self.assertEndedAtOnce(self.ends(ftp, command), context,
                                           reset=end is _reset)
                reply = self.ends(ftp, command, partial(
                    _connectNotTLS, self.passive(ftp, server, extended)))
                self.assertEndedAtOnce(reply, (extended, command, "after"))
        out = io.BytesIO()
        ftp.retrbinary("RETR f.bin", out.write)
        self.assertEqual(out.getvalue(), PAYLOAD)
        ftp.quit()
        self.assertFalse(os.path.exists(os.path.join(self.root, "lost.bin")))

    def test_oneProcess(self):
        """
        In one process.
        """
        self.lostConnections(workers=False)

    def test_workers(self):
        """
        Through C{--workers 2}.
        """
        self.lostConnections(workers=True)

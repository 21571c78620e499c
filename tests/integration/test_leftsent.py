"""
A download handed whole to the kernel (C{sendfile} on its bare data
socket, L{ftpkit.data.leanconnection}) whose client closed its control
connection without C{QUIT} goes on until its data connection ends
(L{ftpkit.control.handlers.transferring.Transfer.clientLeft}), and its
session counts for C{--max-connections-per-ip} and
C{--max-sessions-per-user} until then, as one a C{QUIT} let go on does
(L{tests.integration.test_quitlimits}). Its client reads nothing through
a small receive buffer: the kernel holds most of the file, and the
server's linger, two minutes here, waits for the client's end.
"""

import ftplib
import os
import socket

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.data import leanconnection
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.polling import waitFor
from tests.scratch import scratchDirectory

SIZE = 32000
"""The file's size: far more than the client's receive buffer holds, so
that its kernel cannot have acknowledged it all (which ends the linger),
and within what the server's kernel takes at once."""


class LeftSentLimitTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{RETR} of a file on disk, handed whole to the kernel, then the
    control connection closed without C{QUIT}.
    """

    timeout = 60

    def setUp(self):
        root = scratchDirectory(self)
        with open(os.path.join(root, "big.bin"), "wb") as f:
            f.write(b"b" * SIZE)
        self.patch(leanconnection, "LINGER_TIMEOUT", 120)
        self.server = self.startServer(
            FilesystemRealm(root),
            ServerConfig(loginFailureDelay=0, maxConnectionsPerIP=1,
                         maxSessionsPerUser=1))

    def retrieve(self):
        """
        Log alice in, start C{RETR big.bin} on a passive data connection
        whose receive buffer is small, reading nothing (blocking).

        @return: the client and the data connection.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        data = socket.socket()
        self.addCleanup(data.close)
        data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        data.connect(ftp.makepasv())
        ftp.sendcmd("RETR big.bin")
        return ftp, data

    def refused(self, source):
        """
        Log alice in from C{source} (blocking).

        @param source: the client's address.
        @return: the error of the greeting or login, C{None} when she
            logged in.
        """
        client = ftplib.FTP(source_address=(source, 0))
        try:
            ftplibLogin(self, self.server.port, client=client).quit()
        except ftplib.error_temp as e:
            return str(e)
        return None

    @defer.inlineCallbacks
    def test_countsUntilItEnds(self):
        """
        The client gone, a client of its address gets C{421}, and alice
        from another address too, while the download goes on, its session
        C{leaving}; once the client closed the data connection too, the
        session is gone, and alice logs in.
        """
        ftp, data = yield self.inThread(self.retrieve)
        sessions = self.server.factory.openSessions
        self.assertTrue((yield waitFor(lambda: all(
            session.transfer is not None and session.transfer.finishing
            for session in sessions))))
        [session] = sessions
        self.assertIsInstance(session.transfer.connection,
                              leanconnection.LeanConnection)
        yield self.inThread(ftp.file.close)
        yield self.inThread(ftp.sock.close)
        self.assertTrue((yield waitFor(lambda: session.leaving)))
        self.assertIn(session, sessions)
        self.assertIn("421 Too many connections from your address",
                      (yield self.inThread(self.refused, "127.0.0.1")))
        self.assertIn("421 Too many sessions for this user",
                      (yield self.inThread(self.refused, "127.0.0.2")))
        self.assertIn(session, sessions)
        data.close()
        self.assertTrue((yield waitFor(lambda: not sessions)))
        self.assertIsNone((yield self.inThread(self.refused, "127.0.0.1")))

"""
The reply watch (L{ftpkit.control.readingcontrol.ReadingControl}): a
session is its transport's producer from the first reply that waits in
the transport's queue, so that a client leaving its replies unread
stops the reading of its commands; not before (a session whose replies
all leave at once never registers), and under TLS too: a client that
sends commands after C{AUTH TLS} and never reads their replies cannot
make the server hold them without limit, as in clear
(L{tests.integration.test_hardening.UnreadRepliesTests}).
"""

import ftplib
import socket

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.tlssupport import FTPSTestsMixin

FLOOD = 16 * 1024 * 1024
"""Bytes of commands the client sends at most: a server that read them
all would hold some 70 times as many bytes of replies."""


class UnreadRepliesUnderTLSTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{FEAT}s after C{AUTH TLS} and a login, their replies never read.
    """

    def test_serverStopsReading(self):
        """
        The client's sends stop long before it sent them all: the
        server stopped reading (both sides' buffers hold the rest).
        """
        self.serve()

        def flood():
            ftp = self.connect()
            sock = ftp.sock
            sock.settimeout(2.0)
            chunk = b"FEAT\r\n" * 10000
            sent = 0
            try:
                while sent < FLOOD:
                    sock.sendall(chunk)
                    sent += len(chunk)
            except (TimeoutError, socket.timeout):
                pass
            finally:
                sock.close()
            return sent

        def check(sent):
            self.assertLess(sent, FLOOD // 2)
        return self.inThread(flood).addCallback(check)


class RepliesSentAtOnceTests(FTPSTestsMixin, unittest.TestCase):
    """
    A session in clear whose replies the socket took at once.
    """

    def test_notRegistered(self):
        """
        After a login and a few commands, the session is not its
        transport's producer: nothing of its replies waited.
        """
        server = self.startServer(FilesystemRealm(scratchDirectory(self)))

        def session():
            ftp = ftplibLogin(self, server.port, client=ftplib.FTP())
            ftp.voidcmd("NOOP")
            ftp.sendcmd("FEAT")
            return ftp

        def check(ftp):
            [protocol] = server.factory.openSessions
            self.assertIsNone(protocol.transport.producer)
            ftp.close()
        return self.inThread(session).addCallback(check)

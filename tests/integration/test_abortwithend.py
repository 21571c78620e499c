"""
An upload's data connection that ends in order, and an C{ABOR} that
arrives with its end (both in the server's kernel when it next looks: a
client cuts its upload by closing the data connection and sending
C{ABOR}): the upload committed what it had as complete when the server
took the data connection's end first, C{226} to the C{STOR}, C{225} to
the C{ABOR}, and a truncated file in place. Stream mode cannot tell the
two ends apart from the data connection alone; the upload looks at the
control connection before committing
(L{ftpkit.control.pendinginput}). The server is stopped (C{SIGSTOP})
while both arrive, so that they are in one batch of its events, the
data connection's first.
"""

import ftplib
import os
import signal
import socket
import zlib

from twisted.internet import threads
from twisted.trial import unittest

from tests.integration.test_stalefd import _stopped
from tests.polling import waitUntil
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tcptable import delivered, peerClosedBy, readByPeer
from tests.tlssupport import Certificates, clientContext


def _login(port):
    """
    @return: an C{ftplib.FTP} logged in as C{alice}, in binary mode.
    """
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", port, timeout=30)
    ftp.login("alice", "secret")
    ftp.voidcmd("TYPE I")
    return ftp


IP_SYNCH = b"\xff\xf4\xff"
"""Telnet IP, then the IAC of the Synch whose DM (C{\\xf2}) is sent as
urgent data (RFC 959 section 4.1.3)."""


class AbortWithEndTests(Certificates, unittest.TestCase):
    """
    C{ABOR} sent just after the client closed an upload's data
    connection, both reaching a stopped server.
    """

    timeout = 60

    def setUp(self):
        self.makeCertificates()
        self.root = scratchDirectory(self)
        self.server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:secret",
            "--tls-cert", self.both, "--mode-z"])
        self.server.waitForGreeting()

    def abortWithEnd(self, mode, abort, tls=False, wire=b"x" * (16 << 10),
                     transferMode="S"):
        """
        Upload C{wire} (16 KiB) as C{up.bin} in TYPE C{mode}, stop the
        server, close the data connection, send C{ABOR} with
        C{abort(sock)}, let the server go on.

        @param tls: whether the control connection is secured first
            (C{AUTH TLS}; the data connection stays clear).
        @param transferMode: C{"S"}, or C{"Z"} (C{MODE Z}: C{wire} is
            then a zlib stream, or its start).
        @return: the replies to the C{STOR} and the C{ABOR}, and whether
            C{up.bin} exists.
        """
        if tls:
            ftp = ftplib.FTP_TLS(context=clientContext())
            ftp.connect("127.0.0.1", self.server.port, timeout=30)
            ftp.login("alice", "secret")
        else:
            ftp = _login(self.server.port)
        try:
            ftp.voidcmd("TYPE " + mode)
            ftp.voidcmd("MODE " + transferMode)
            data = ftp.transfercmd("STOR up.bin")
            data.sendall(wire)
            self.assertTrue(waitUntil(lambda: readByPeer(data)))
            self.server.signal(signal.SIGSTOP)
            try:
                self.assertTrue(waitUntil(
                    lambda: _stopped(self.server.process.pid)))
                dataClosed = peerClosedBy(data)
                data.close()
                abort(ftp.sock)
                # Both in the stopped server's kernel before it goes on.
                self.assertTrue(waitUntil(
                    lambda: dataClosed() and delivered(ftp.sock)))
            finally:
                self.server.signal(signal.SIGCONT)
            self.lastReplies = (ftp.getline(), ftp.getline())
        finally:
            ftp.close()
        return tuple(reply[:3] for reply in self.lastReplies) + (
            os.path.exists(os.path.join(self.root, "up.bin")),)

    def test_abortWins(self):
        """
        A plain C{ABOR}: the C{STOR} gets C{426}, the C{ABOR} C{226},
        and nothing is committed.
        """
        return threads.deferToThread(
            lambda: self.assertEqual(
                self.abortWithEnd("I", lambda sock: sock.sendall(
                    b"ABOR\r\n")),
                ("426", "226", False)))

    def test_abortWinsASCII(self):
        """
        The same in TYPE A, whose upload goes through Python.
        """
        return threads.deferToThread(
            lambda: self.assertEqual(
                self.abortWithEnd("A", lambda sock: sock.sendall(
                    b"ABOR\r\n")),
                ("426", "226", False)))

    def test_abortWinsUrgent(self):
        """
        C{ABOR} after Telnet IP and Synch, the Synch's DM sent as TCP
        urgent data, as RFC 959 asks (ftplib's C{abort()} sends the
        C{ABOR} line itself so): it wins too.
        """
        def abort(sock):
            sock.sendall(IP_SYNCH)
            sock.send(b"\xf2", socket.MSG_OOB)
            sock.sendall(b"ABOR\r\n")
        return threads.deferToThread(
            lambda: self.assertEqual(self.abortWithEnd("I", abort),
                                     ("426", "226", False)))

    def test_abortWinsSecuredControl(self):
        """
        C{ABOR} over a control connection under TLS, whose socket holds
        a record: it wins too.
        """
        return threads.deferToThread(
            lambda: self.assertEqual(
                self.abortWithEnd("I", lambda sock: sock.sendall(
                    b"ABOR\r\n"), tls=True),
                ("426", "226", False)))

    def test_otherInputCommits(self):
        """
        Another command in the control connection's input at the end
        (a client that sent its next command before the C{226}) is run
        first (a C{NOOP} during a transfer is answered at once), and the
        upload is committed whole.
        """
        def check():
            self.assertEqual(
                self.abortWithEnd("I", lambda sock: sock.sendall(
                    b"NOOP\r\n")),
                ("200", "226", True))
            with open(os.path.join(self.root, "up.bin"), "rb") as f:
                self.assertEqual(f.read(), b"x" * (16 << 10))
        return threads.deferToThread(check)

    def test_abortWinsModeZ(self):
        """
        In C{MODE Z}, an upload cut short (its stream unfinished, as any
        cut upload's is) and its C{ABOR}: the C{ABOR} wins as in
        C{MODE S}, the C{STOR} getting the C{426} of any aborted upload
        (not one blaming the stream the client cut), the C{ABOR} C{226}.
        """
        stream = zlib.compress(os.urandom(64 << 10))[:16 << 10]

        def check():
            self.assertEqual(
                self.abortWithEnd("I", lambda sock: sock.sendall(
                    b"ABOR\r\n"), wire=stream, transferMode="Z"),
                ("426", "226", False))
            self.assertNotIn("stream", self.lastReplies[0])
        return threads.deferToThread(check)

    def test_otherInputCommitsModeZ(self):
        """
        In C{MODE Z}, a whole stream's upload with a C{NOOP} in the
        control connection's input at its end is committed whole, as in
        C{MODE S}.
        """
        data = os.urandom(16 << 10)

        def check():
            self.assertEqual(
                self.abortWithEnd("I", lambda sock: sock.sendall(
                    b"NOOP\r\n"), wire=zlib.compress(data),
                    transferMode="Z"),
                ("200", "226", True))
            with open(os.path.join(self.root, "up.bin"), "rb") as f:
                self.assertEqual(f.read(), data)
        return threads.deferToThread(check)

"""
FTPS integration tests of the data connections' security: commands
pipelined in clear after C{AUTH TLS}, data connections that do not
handshake, and the control connection's TLS session reused (or not) by
the data connections.
"""

import ftplib
import io
import socket
import ssl

from twisted.trial import unittest

from ftpkit.control.peerwarnings import LINES
from ftpkit.control.tls import makeContextFactory
from tests.ftpclient import ftplibLogin
from tests.loglines import LoggedLines
from tests.sockreads import readToEnd
from tests.tlssupport import (
    FTPSTestsMixin,
    ReusingFTPTLS,
    clientContext,
)


class DataChannelSecurityTests(FTPSTestsMixin, unittest.TestCase):
    """
    Pipelining after AUTH TLS, data connections that do not handshake,
    and session reuse.
    """

    def test_pipelinedAfterAuthDiscarded(self):
        """
        Commands sent in clear in the same packet as AUTH TLS never run.
        """
        self.serve()

        def client():
            raw = socket.create_connection(("127.0.0.1", self.server.port),
                                           timeout=20)
            file = raw.makefile("rb")
            try:
                file.readline()
                raw.sendall(b"AUTH TLS\r\nUSER evil\r\n")
                authReply = file.readline()
                tls = clientContext().wrap_socket(raw)
                tlsFile = tls.makefile("rb")
                tls.sendall(b"NOOP\r\n")
                nextReply = tlsFile.readline()
                tls.sendall(b"PASS x\r\n")
                passReply = tlsFile.readline()
                tls.sendall(b"QUIT\r\n")
                tlsFile.readline()
                return authReply, nextReply, passReply
            finally:
                raw.close()

        def check(result):
            authReply, nextReply, passReply = result
            self.assertTrue(authReply.startswith(b"234"), authReply)
            self.assertTrue(nextReply.startswith(b"200"), nextReply)
            # USER never ran: PASS has no user to go with.
            self.assertTrue(passReply.startswith(b"503"), passReply)
        return self.inThread(client).addCallback(check)

    def test_noHandshakeNoData(self):
        """
        A data connection under PROT P whose peer sends garbage, or
        nothing, instead of a TLS handshake, receives no file bytes.
        """
        self.serve(dataTimeout=3)
        marker = self.payload[:64]

        def attempt(ftp, greeting):
            port = int(ftp.sendcmd("EPSV").split("|")[3])
            # The server closes it (its data timeout): waited for, as long
            # as a loaded machine takes.
            data = socket.create_connection(("127.0.0.1", port), timeout=30)
            try:
                ftp.putcmd("RETR big.bin")
                reply = ftp.getresp()
                if greeting:
                    data.sendall(greeting)
                received = readToEnd(data, resetEnds=True)
            finally:
                data.close()
            try:
                final = ftp.getresp()
            except ftplib.Error as e:
                final = str(e)
            return reply, received, final

        def client():
            ftp = self.connect()
            ftp.prot_p()
            garbage = attempt(ftp, b"GET / HTTP/1.0\r\n\r\n" * 10)
            silent = attempt(ftp, b"")
            ftp.close()
            return garbage, silent

        def check(results):
            for reply, received, final in results:
                self.assertTrue(reply.startswith("150"), reply)
                self.assertNotIn(marker, received)
                self.assertLess(len(received), 16384)
                self.assertTrue(final.startswith("4"), final)
        return self.inThread(client).addCallback(check)

    def test_sessionReuseRequiredFtplib(self):
        """
        ftplib does not resume the control session on data connections:
        with the requirement, its transfers fail with a 4xx reply (and no
        data), and the session goes on.
        """
        self.serve(tlsRequireSessionReuse=True)

        def client():
            ftp = self.connect()
            ftp.prot_p()
            got = io.BytesIO()
            try:
                ftp.retrbinary("RETR big.bin", got.write)
                failure = None
            except (ftplib.Error, ssl.SSLError, OSError) as e:
                failure = str(e)
            # The 4xx ending the transfer may still be unread.
            ftp.sock.settimeout(20)
            try:
                noop = ftp.sendcmd("NOOP")
            except ftplib.error_temp as e:
                failure = str(e)
                noop = ftp.getresp()
            result = failure, got.getvalue(), noop
            ftp.close()
            return result

        def check(result):
            failure, received, noop = result
            self.assertIsNotNone(failure, "transfer without session reuse")
            self.assertIn("session reuse required", failure)
            self.assertEqual(received, b"")
            self.assertTrue(noop.startswith("200"), noop)
        return self.inThread(client).addCallback(check)

    def serveEveryVersion(self):
        """
        Serve with session reuse required, TLS 1.3 allowed.
        """
        self.factory = makeContextFactory(self.both, maximumVersion=None)
        self.serve(tlsRequireSessionReuse=True)

    def reusingClient(self, minimum, maximum=None):
        """
        @param minimum: the lowest TLS version the client offers.
        @param maximum: the highest, or C{None} for its default.
        @return: a L{ReusingFTPTLS} logged in, with C{PROT P} (blocking:
            run in a thread).
        """
        context = clientContext()
        context.minimum_version = minimum
        if maximum is not None:
            context.maximum_version = maximum
        return ftplibLogin(self, self.server.port, timeout=20,
                           client=ReusingFTPTLS(context=context),
                           protect=True)

    def test_sessionReuseAccepted(self):
        """
        A client that resumes the control connection's session on its data
        connections passes the check, under TLS 1.2 and TLS 1.3.
        """
        self.serveEveryVersion()

        def client(version):
            ftp = self.reusingClient(version, version)
            out = io.BytesIO()
            ftp.retrbinary("RETR big.bin", out.write)
            ftp.storbinary("STOR reused.bin", io.BytesIO(self.payload))
            ftp.quit()
            return out.getvalue(), ftp.reused

        def check(result):
            data, reused = result
            self.assertEqual(data, self.payload)
            self.assertEqual(reused, [True, True])
            self.assertEqual(self.readFile("reused.bin"), self.payload)

        d = self.inThread(client, ssl.TLSVersion.TLSv1_2)
        d.addCallback(check)
        d.addCallback(lambda _: self.inThread(client,
                                              ssl.TLSVersion.TLSv1_3))
        d.addCallback(check)
        return d

    def test_tls13TicketResumedAgain(self):
        """
        Under TLS 1.3 the control connection's ticket can be resumed on
        data connection after data connection (docs/tls.rst): the server's
        stateful tickets are not single-use, as they would be were early
        data (and with it OpenSSL's anti-replay) on.
        """
        self.serveEveryVersion()

        def client():
            ftp = self.reusingClient(ssl.TLSVersion.TLSv1_3)
            ftp.pinned = ftp.sock.session
            sizes = []
            for _ in range(5):
                out = io.BytesIO()
                try:
                    ftp.retrbinary("RETR big.bin", out.write)
                except (ftplib.Error, ssl.SSLError, OSError):
                    break
                sizes.append(len(out.getvalue()))
            ftp.close()
            return sizes, ftp.reused, set(ftp.offered)

        def check(result):
            sizes, reused, offered = result
            self.assertEqual(len(offered), 1)
            self.assertEqual(sizes, [len(self.payload)] * 5)
            self.assertEqual(reused, [True] * 5)

        return self.inThread(client).addCallback(check)

    def test_tls13FreshTicketEachUpload(self):
        """
        Under TLS 1.3 with session reuse required, each data connection
        that resumed gets the client a new ticket on the control
        connection: a client that resumes each ticket once (curl's
        OpenSSL cache) has one for its next data connection even after an
        upload, whose own connection's tickets it never reads.
        """
        self.serveEveryVersion()

        def client():
            ftp = self.reusingClient(ssl.TLSVersion.TLSv1_3)
            for index in range(5):
                try:
                    ftp.storbinary("STOR fresh%d.bin" % index,
                                   io.BytesIO(self.payload))
                except (ftplib.Error, ssl.SSLError, OSError):
                    break
            ftp.quit()
            return ftp.reused, ftp.offered

        def check(result):
            reused, offered = result
            self.assertEqual(reused, [True] * 5)
            self.assertEqual(len(set(offered)), 5, "a ticket offered twice")
            for index in range(5):
                self.assertEqual(self.readFile("fresh%d.bin" % index),
                                 self.payload)

        return self.inThread(client).addCallback(check)

    def test_sessionReuseOtherSession(self):
        """
        Resuming a session of another control connection does not count:
        each control connection has a session cache of its own.
        """
        self.serve(tlsRequireSessionReuse=True)

        def client():
            context = clientContext()
            context.maximum_version = ssl.TLSVersion.TLSv1_2
            other = ReusingFTPTLS(context=context)
            other.connect("127.0.0.1", self.server.port, timeout=20)
            other.auth()
            ftp = ftplibLogin(self, self.server.port, timeout=20,
                              client=ReusingFTPTLS(context=context),
                              protect=True)
            ftp.reuseFrom = other.sock
            failure = None
            try:
                ftp.retrbinary("RETR big.bin", lambda data: None)
            except (ftplib.Error, ssl.SSLError, OSError) as e:
                failure = str(e)
            ftp.close()
            other.close()
            return failure, ftp.reused

        def check(result):
            failure, reused = result
            self.assertIsNotNone(failure)
            self.assertNotEqual(reused, [True])
        return self.inThread(client).addCallback(check)


class ReuseRefusalLinesTests(LoggedLines, FTPSTestsMixin, unittest.TestCase):
    """
    The log lines of data connections refused by
    C{--tls-require-session-reuse}.
    """

    def test_throttledPerAddress(self):
        """
        A client opening session after session, each with one transfer
        whose data connection does not resume the session (ftplib), gets
        L{LINES} lines over all its sessions: each refusal was logged,
        with no throttle.
        """
        self.serve(tlsRequireSessionReuse=True)
        self.captureLog()

        def client():
            failures = 0
            for _ in range(25):
                ftp = self.connect()
                ftp.prot_p()
                try:
                    ftp.retrbinary("RETR big.bin", lambda data: None)
                except (ftplib.Error, ssl.SSLError, OSError):
                    failures += 1
                # The 4xx ending the transfer may still be unread: the
                # server has logged the refusal once it is read.
                ftp.sock.settimeout(20)
                try:
                    ftp.voidcmd("NOOP")
                except ftplib.error_temp:
                    ftp.getresp()
                ftp.close()
            return failures

        def check(failures):
            self.assertEqual(failures, 25)
            refused = [line for line in self.lines()
                       if "refused (no session reuse)" in line]
            self.assertEqual(len(refused), LINES, refused)
            self.assertIn("from 127.0.0.1", refused[0])
        return self.inThread(client).addCallback(check)

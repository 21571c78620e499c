"""
FTPS integration tests: a real server driven by ftplib, curl and lftp
over explicit and implicit TLS.
"""

import ftplib
import hashlib
import io
import os
import socket
import ssl

from twisted.internet import defer, reactor, utils
from twisted.trial import unittest

from ftpkit.control.tls import makeContextFactory
from tests.ftpclient import ftplibLogin
from tests.tlssupport import (
    FTPSTestsMixin,
    ReusingFTPTLS,
    clientContext,
    hasIPv6,
    readAll,
    skipUnlessBinary,
)


class ProtectedAuthFTPTLS(ReusingFTPTLS):
    """
    ftplib that starts TLS with C{AUTH TLS-P} (the pre-RFC 4217 name for
    TLS on the data connections too) and secures every data connection
    without sending C{PBSZ} or C{PROT}.
    """

    def auth(self):
        """
        Send C{AUTH TLS-P} and start TLS on the control connection.

        @return: the server's reply.
        """
        reply = self.voidcmd("AUTH TLS-P")
        self.sock = self.context.wrap_socket(self.sock,
                                             server_hostname=self.host)
        self.file = self.sock.makefile(mode="r", encoding=self.encoding)
        return reply


class FtplibTLSTests(FTPSTestsMixin, unittest.TestCase):
    """
    Explicit FTPS with Python's ftplib.
    """

    def roundTrip(self, ftp, name):
        """
        Upload the payload as C{name} and download it again; check the
        uploaded file is complete as soon as 226 has arrived.
        """
        ftp.storbinary("STOR " + name, io.BytesIO(self.payload))
        stored = hashlib.sha256(self.readFile(name)).hexdigest()
        out = io.BytesIO()
        ftp.retrbinary("RETR " + name, out.write)
        return stored, hashlib.sha256(out.getvalue()).hexdigest()

    def checkRoundTrip(self, result):
        expected = hashlib.sha256(self.payload).hexdigest()
        self.assertEqual(result, (expected, expected))

    def test_passive(self):
        self.serve()

        def client():
            ftp = self.connect()
            ftp.prot_p()
            self.assertIsInstance(ftp.sock, ssl.SSLSocket)
            result = self.roundTrip(ftp, "pasv.bin")
            ftp.quit()
            return result
        return self.inThread(client).addCallback(self.checkRoundTrip)

    def test_extendedPassive(self):
        self.serve()

        def client():
            ftp = self.connect()
            ftp.prot_p()
            ftp.af = socket.AF_INET6  # ftplib then uses EPSV
            result = self.roundTrip(ftp, "epsv.bin")
            ftp.quit()
            return result
        return self.inThread(client).addCallback(self.checkRoundTrip)

    def test_active(self):
        self.serve()

        def client():
            ftp = self.connect()
            ftp.prot_p()
            ftp.set_pasv(False)
            result = self.roundTrip(ftp, "active.bin")
            ftp.quit()
            return result
        return self.inThread(client).addCallback(self.checkRoundTrip)

    def test_ipv6(self):
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        self.serve(interface="::1")

        def client():
            ftp = self.connect("::1")
            ftp.prot_p()
            passive = self.roundTrip(ftp, "v6.bin")
            ftp.set_pasv(False)
            active = self.roundTrip(ftp, "v6active.bin")
            ftp.quit()
            return passive, active

        def check(result):
            for each in result:
                self.checkRoundTrip(each)
        return self.inThread(client).addCallback(check)

    def test_tls13LargeUpload(self):
        """
        Under TLS 1.3 a large upload is complete on disk when 226 arrives
        (the order pyftpdlib#602 gets wrong).
        """
        self.factory = makeContextFactory(self.both, maximumVersion=None)
        self.serve()
        context = clientContext()
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        payload = os.urandom(16 * 1024 * 1024 + 3)

        def client():
            ftp = self.connect(context=context)
            ftp.prot_p()
            version = ftp.sock.version()
            ftp.storbinary("STOR large.bin", io.BytesIO(payload),
                           blocksize=256 * 1024)
            result = version, self.readFile("large.bin")
            ftp.quit()
            return result

        def check(result):
            version, stored = result
            self.assertEqual(version, "TLSv1.3")
            self.assertEqual(len(stored), len(payload))
            self.assertEqual(stored, payload)
        return self.inThread(client).addCallback(check)

    def test_defaultTLS12(self):
        """
        By default the server offers TLS 1.2 at most (see
        L{FTPSContextFactory}); a TLS 1.3-only client cannot connect.
        """
        self.serve()

        def client():
            ftp = self.connect()
            version = ftp.sock.version()
            ftp.quit()
            context = clientContext()
            context.minimum_version = ssl.TLSVersion.TLSv1_3
            ftp = ftplib.FTP_TLS(context=context)
            ftp.connect("127.0.0.1", self.server.port, timeout=20)
            try:
                ftp.auth()
            except (ssl.SSLError, OSError):
                return version, False
            finally:
                ftp.close()
            return version, True

        return self.inThread(client).addCallback(
            self.assertEqual, ("TLSv1.2", False))

    def test_clearDataAllowed(self):
        """
        Without --tls-required, PROT C (the default after AUTH TLS) moves
        data in clear.
        """
        self.serve()

        def client():
            ftp = self.connect()
            out = io.BytesIO()
            ftp.retrbinary("RETR big.bin", out.write)
            result = out.getvalue()
            ftp.quit()
            return result
        return self.inThread(client).addCallback(self.assertEqual,
                                                 self.payload)

    def test_oldTLSRefused(self):
        """
        A client that speaks at most TLS 1.1 cannot connect.
        """
        self.serve()

        def client():
            ftp = ftplib.FTP_TLS(context=clientContext(ssl.TLSVersion.TLSv1_1))
            ftp.connect("127.0.0.1", self.server.port, timeout=20)
            try:
                ftp.auth()
            except (ssl.SSLError, OSError) as e:
                return e
            finally:
                ftp.close()
            return None

        def check(error):
            self.assertIsNotNone(error, "a TLS 1.1 handshake succeeded")
        return self.inThread(client).addCallback(check)

    def test_authTLSP(self):
        """
        C{AUTH TLS-P} starts TLS and protects the data connections with no
        C{PBSZ} or C{PROT}: a download over a data connection the client
        secures arrives whole.
        """
        self.serve()

        def client():
            ftp = ftplibLogin(self, self.server.port, timeout=20,
                              client=ProtectedAuthFTPTLS(
                                  context=clientContext()))
            out = io.BytesIO()
            ftp.retrbinary("RETR big.bin", out.write)
            ftp.quit()
            return out.getvalue()

        def check(received):
            self.assertEqual(hashlib.sha256(received).hexdigest(),
                             hashlib.sha256(self.payload).hexdigest())
        return self.inThread(client).addCallback(check)

    def test_featAndAuthOnlyWithTLS(self):
        """
        FEAT lists AUTH TLS, PBSZ and PROT only when TLS is configured, and
        AUTH TLS is refused without it.
        """
        self.serve(tlsContextFactory=None)

        def client():
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", self.server.port, timeout=20)
            try:
                feat = ftp.sendcmd("FEAT")
                try:
                    ftp.sendcmd("AUTH TLS")
                except ftplib.error_perm as e:
                    return feat, str(e)
            finally:
                ftp.close()

        def check(result):
            feat, refusal = result
            self.assertNotIn("AUTH TLS", feat)
            self.assertNotIn(" PROT", feat)
            self.assertNotIn(" PBSZ", feat)
            self.assertTrue(refusal.startswith("502"), refusal)
        return self.inThread(client).addCallback(check)

    def test_feat(self):
        self.serve()

        def client():
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", self.server.port, timeout=20)
            try:
                return ftp.sendcmd("FEAT").splitlines()
            finally:
                ftp.close()

        def check(lines):
            for feature in (" AUTH TLS", " PBSZ", " PROT"):
                self.assertIn(feature, lines)
        return self.inThread(client).addCallback(check)

    def test_protocolErrors(self):
        """
        PBSZ/PROT before AUTH, a second AUTH, PROT before PBSZ (RFC 2228
        and RFC 4217 require PBSZ first), unknown levels and CCC before
        login get replies, not tracebacks.
        """
        self.serve()

        def client():
            ftp = ftplib.FTP_TLS(context=clientContext())
            ftp.connect("127.0.0.1", self.server.port, timeout=20)
            replies = []

            def send(line):
                try:
                    replies.append(ftp.sendcmd(line)[:3])
                except ftplib.Error as e:
                    replies.append(str(e)[:3])
            try:
                send("PBSZ 0")
                send("PROT P")
                send("AUTH KERBEROS")
                ftp.auth()
                send("AUTH TLS")
                send("PROT P")
                send("PBSZ x")
                send("PROT P")
                send("PBSZ 0")
                send("PROT P")
                send("PROT E")
                send("PROT Q")
                send("CCC")
                return replies
            finally:
                ftp.close()
        return self.inThread(client).addCallback(
            self.assertEqual,
            ["503", "503", "504", "503", "503", "501", "503", "200", "200",
             "536", "504", "530"])


class RequiredTLSTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{tlsRequired} and its anonymous exemption.
    """

    def assertClearLoginRefused(self, user, password):
        """
        Log in without TLS and expect C{530}.
        """
        def client():
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", self.server.port, timeout=20)
            try:
                ftp.login(user, password)
            except ftplib.error_perm as e:
                return str(e)
            finally:
                ftp.close()
        d = self.inThread(client)
        d.addCallback(lambda message: self.assertTrue(
            message.startswith("530"), message))
        return d

    def test_userBeforeAuth(self):
        self.serve(tlsRequired=True)
        return self.assertClearLoginRefused("alice", "secret")

    def test_clearDataRefused(self):
        self.serve(tlsRequired=True)

        def client():
            ftp = self.connect()
            try:
                ftp.retrbinary("RETR big.bin", lambda data: None)
            except ftplib.error_perm as e:
                refused = str(e)
            ftp.prot_p()
            out = io.BytesIO()
            ftp.retrbinary("RETR big.bin", out.write)
            result = refused, out.getvalue()
            ftp.quit()
            return result

        def check(result):
            refused, data = result
            self.assertTrue(refused.startswith("521"), refused)
            self.assertEqual(data, self.payload)
        return self.inThread(client).addCallback(check)

    def test_anonymousExempt(self):
        self.serve(tlsRequired=True, tlsRequiredForAnonymous=False)

        def client():
            ftp = ftplibLogin(self, self.server.port, "anonymous",
                              "guest@example.com", timeout=20)
            out = io.BytesIO()
            ftp.retrbinary("RETR big.bin", out.write)
            try:
                ftp.login("alice", "secret")
            except ftplib.error_perm as e:
                refusal = str(e)
            ftp.close()
            return out.getvalue(), refusal

        def check(result):
            data, refusal = result
            self.assertEqual(data, self.payload)
            self.assertTrue(refusal.startswith("530"), refusal)
        return self.inThread(client).addCallback(check)

    def test_anonymousNotExempt(self):
        self.serve(tlsRequired=True)
        return self.assertClearLoginRefused("anonymous", "guest@example.com")


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
            data = socket.create_connection(("127.0.0.1", port), timeout=5)
            try:
                ftp.putcmd("RETR big.bin")
                reply = ftp.getresp()
                if greeting:
                    data.sendall(greeting)
                received = readAll(data)
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

    def test_sessionReuseAccepted(self):
        """
        A client that resumes the control connection's session on its data
        connections passes the check, under TLS 1.2 and TLS 1.3.
        """
        self.factory = makeContextFactory(self.both, maximumVersion=None)
        self.serve(tlsRequireSessionReuse=True)

        def client(version):
            context = clientContext()
            context.minimum_version = context.maximum_version = version
            ftp = ftplibLogin(self, self.server.port, timeout=20,
                              client=ReusingFTPTLS(context=context),
                              protect=True)
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
        self.factory = makeContextFactory(self.both, maximumVersion=None)
        self.serve(tlsRequireSessionReuse=True)

        def client():
            context = clientContext()
            context.minimum_version = ssl.TLSVersion.TLSv1_3
            ftp = ftplibLogin(self, self.server.port, timeout=20,
                              client=ReusingFTPTLS(context=context),
                              protect=True)
            ticket = ftp.sock.session.id
            sizes = []
            for _ in range(5):
                out = io.BytesIO()
                try:
                    ftp.retrbinary("RETR big.bin", out.write)
                except (ftplib.Error, ssl.SSLError, OSError):
                    break
                sizes.append(len(out.getvalue()))
            same = ftp.sock.session.id == ticket
            ftp.close()
            return sizes, ftp.reused, same

        def check(result):
            sizes, reused, same = result
            self.assertTrue(same, "the control connection got a new ticket")
            self.assertEqual(sizes, [len(self.payload)] * 5)
            self.assertEqual(reused, [True] * 5)

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


class ImplicitTLSTests(FTPSTestsMixin, unittest.TestCase):
    """
    Implicit FTPS: TLS from the first byte, data protected by default.
    """

    def test_ftplib(self):
        self.serveImplicit()

        def client():
            ftp = self.connect(implicit=True)
            # No PBSZ/PROT: data connections are protected by default;
            # tell ftplib so.
            ftp._prot_p = True
            ftp.storbinary("STOR up.bin", io.BytesIO(self.payload))
            stored = self.readFile("up.bin")
            out = io.BytesIO()
            ftp.retrbinary("RETR big.bin", out.write)
            try:
                ftp.sendcmd("AUTH TLS")
            except ftplib.error_perm as e:
                again = str(e)
            result = stored, out.getvalue(), again
            ftp.quit()
            return result

        def check(result):
            stored, data, again = result
            self.assertEqual(stored, self.payload)
            self.assertEqual(data, self.payload)
            self.assertTrue(again.startswith("503"), again)
        return self.inThread(client).addCallback(check)

    def test_ftplibClearDataRefused(self):
        """
        On an implicit session, a clear data connection (the client
        wrongly expecting one) carries nothing in clear.
        """
        self.serveImplicit()

        def client():
            ftp = self.connect(implicit=True)
            got = io.BytesIO()
            failure = None
            try:
                ftp.retrbinary("RETR big.bin", got.write)
            except (ftplib.Error, OSError) as e:
                failure = str(e)
            ftp.close()
            return got.getvalue(), failure

        def check(result):
            data, failure = result
            self.assertNotIn(self.payload[:64], data)
        return self.inThread(client).addCallback(check)


class ClientProgramTests(FTPSTestsMixin, unittest.TestCase):
    """
    curl and lftp against the server.
    """

    def runProgram(self, executable, *args):
        return utils.getProcessOutputAndValue(executable, args,
                                              env=os.environ, reactor=reactor)

    def curl(self, *args):
        return self.runProgram(skipUnlessBinary("curl"), "-sS", "-k",
                        "--connect-timeout", "20", "--max-time", "50", *args)

    def checkProcess(self, result):
        out, err, code = result
        self.assertEqual(code, 0, err)
        return out

    @defer.inlineCallbacks
    def curlRoundTrip(self, url, *extra):
        upload = os.path.join(self.certDir, "upload.bin")
        with open(upload, "wb") as f:
            f.write(self.payload)
        result = yield self.curl("-u", "alice:secret", *extra,
                                 "-T", upload, url + "curl.bin")
        self.checkProcess(result)
        self.assertEqual(self.readFile("curl.bin"), self.payload)
        result = yield self.curl("-u", "alice:secret", *extra,
                                 url + "big.bin")
        self.assertEqual(self.checkProcess(result), self.payload)

    def test_curlSSLRequired(self):
        self.serve(tlsRequired=True, tlsRequireSessionReuse=True)
        return self.curlRoundTrip(
            "ftp://127.0.0.1:%d/" % self.server.port, "--ssl-reqd")

    def test_curlEPSV(self):
        """
        curl over EPSV. (Active mode is covered with ftplib: curl 7.88
        hangs on active-mode FTPS after accepting the data connection.)
        """
        self.serve(tlsRequired=True)
        return self.curlRoundTrip("ftp://127.0.0.1:%d/" % self.server.port,
                                  "--ssl-reqd", "--ftp-pasv")

    @defer.inlineCallbacks
    def test_curlControlOnly(self):
        """
        C{--ftp-ssl-control}: TLS on the control connection, clear data.
        """
        self.serve()
        result = yield self.curl(
            "-u", "alice:secret", "--ftp-ssl-control",
            "ftp://127.0.0.1:%d/big.bin" % self.server.port)
        self.assertEqual(self.checkProcess(result), self.payload)

    def test_curlImplicit(self):
        self.serveImplicit(tlsRequireSessionReuse=True)
        return self.curlRoundTrip("ftps://127.0.0.1:%d/" % self.server.port)

    @defer.inlineCallbacks
    def test_curlOldTLSRefused(self):
        self.serve()
        out, err, code = yield self.curl(
            "-u", "alice:secret", "--ssl-reqd", "--tlsv1.0",
            "--tls-max", "1.1",
            "ftp://127.0.0.1:%d/big.bin" % self.server.port)
        self.assertNotEqual(code, 0)
        self.assertEqual(out, b"")

    @defer.inlineCallbacks
    def test_lftp(self):
        lftp = skipUnlessBinary("lftp")
        self.serve(tlsRequired=True, tlsRequireSessionReuse=True)
        target = os.path.join(self.certDir, "lftp.bin")
        script = (
            "set ftp:ssl-force true; set ftp:ssl-protect-data true; "
            "set ssl:verify-certificate no; set net:max-retries 1; "
            "set net:timeout 20; "
            "open -u alice,secret ftp://127.0.0.1:%d; "
            "get big.bin -o %s; put %s -o lftp-up.bin; bye"
            % (self.server.port, target, target))
        result = yield self.runProgram(lftp, "-c", script)
        self.checkProcess(result)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), self.payload)
        self.assertEqual(self.readFile("lftp-up.bin"), self.payload)

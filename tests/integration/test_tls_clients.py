"""
FTPS integration tests: a real server driven by ftplib over explicit and
implicit TLS, with and without C{--tls-required}.

The data connections' security is tested in
L{tests.integration.test_tls_datasecurity}, curl and lftp in
L{tests.integration.test_tls_programs}.
"""

import ftplib
import hashlib
import io
import os
import socket
import ssl

from twisted.trial import unittest

from ftpkit.control.tls import makeContextFactory
from tests.ftpclient import ftplibLogin
from tests.ipv6 import hasIPv6
from tests.tlssupport import (
    FTPSTestsMixin,
    ReusingFTPTLS,
    clientContext,
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

    def test_protWithoutPBSZ(self):
        """
        An implicit session starts as if C{PBSZ 0} and C{PROT P} had been
        sent, so C{PROT} needs no C{PBSZ} (as after C{AUTH TLS-P}):
        ftplib's C{prot_c} sends C{PROT C} alone, and the download that
        follows is clear; C{prot_p} after it protects the next one again.
        """
        self.serveImplicit()

        def client():
            ftp = self.connect(implicit=True)
            replies = [ftp.prot_c()]
            clear = io.BytesIO()
            ftp.retrbinary("RETR big.bin", clear.write)
            replies.append(ftp.voidcmd("PROT P"))
            ftp._prot_p = True
            private = io.BytesIO()
            ftp.retrbinary("RETR big.bin", private.write)
            ftp.quit()
            return replies, clear.getvalue(), private.getvalue()

        def check(result):
            replies, clear, private = result
            self.assertEqual([reply[:3] for reply in replies],
                             ["200", "200"])
            self.assertEqual(clear, self.payload)
            self.assertEqual(private, self.payload)
        return self.inThread(client).addCallback(check)

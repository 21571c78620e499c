"""
Tests for L{ftpkit.tls} and FTPS: contexts from PEM files, the TLS
options, and a real server driven by ftplib, curl and lftp over explicit
and implicit TLS.
"""

import datetime
import ftplib
import hashlib
import io
import os
import shutil
import socket
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from OpenSSL import SSL
from twisted.internet import defer, reactor, utils
from twisted.internet.ssl import TLSVersion
from twisted.python import usage
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServer, LoopbackServerMixin
from ftpkit.realms import FilesystemRealm
from ftpkit.tls import (
    FTPSContextFactory,
    TLSConfigurationError,
    TLSOptionsMixin,
    contextFromEndpointStrings,
    loadCertificateAndKey,
    makeContextFactory,
    tlsConfigFields,
)

_PEM = serialization.Encoding.PEM


def _keyPEM(key):
    return key.private_bytes(_PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def makeCertificate(directory, name="server", days=30, expired=False):
    """
    Write a self-signed certificate for localhost and its key.

    @return: C{(certPath, keyPath, bothPath)}: the certificate, the key,
        and one file holding both.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                            "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    if expired:
        notBefore, notAfter = now - datetime.timedelta(days=10), \
            now - datetime.timedelta(days=1)
    else:
        notBefore, notAfter = now - datetime.timedelta(hours=1), \
            now + datetime.timedelta(days=days)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(notBefore).not_valid_after(notAfter)
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    certPEM = certificate.public_bytes(_PEM)
    paths = [os.path.join(directory, name + suffix)
             for suffix in (".crt", ".key", ".pem")]
    for path, data in zip(paths, (certPEM, _keyPEM(key),
                                  certPEM + _keyPEM(key))):
        with open(path, "wb") as f:
            f.write(data)
    return tuple(paths)


def clientContext(maximumVersion=None):
    """
    @return: an C{ssl.SSLContext} trusting anything (self-signed test
        certificates), optionally capped at C{maximumVersion}.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if maximumVersion is not None:
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = maximumVersion
        context.set_ciphers("ALL:@SECLEVEL=0")
    return context


class ImplicitFTPTLS(ftplib.FTP_TLS):
    """
    ftplib over implicit FTPS: TLS from the first byte.
    """

    def connect(self, host, port, timeout):
        self.host, self.port, self.timeout = host, port, timeout
        raw = socket.create_connection((host, port), timeout)
        self.af = raw.family
        self.sock = self.context.wrap_socket(raw, server_hostname=host)
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome


class ReusingFTPTLS(ftplib.FTP_TLS):
    """
    ftplib that resumes the control connection's TLS session on data
    connections (as curl and lftp do).

    @ivar reused: for each data connection, whether its session was resumed.
    @ivar reuseFrom: the TLS socket whose session to resume (the control
        connection's unless set).
    """

    reuseFrom = None

    def __init__(self, *args, **kwargs):
        ftplib.FTP_TLS.__init__(self, *args, **kwargs)
        self.reused = []

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        source = self.reuseFrom or self.sock
        conn = self.context.wrap_socket(conn, server_hostname=self.host,
                                        session=source.session)
        self.reused.append(conn.session_reused)
        return conn, size


class ImplicitLoopbackServer(LoopbackServer):
    """
    A L{LoopbackServer} speaking TLS from the first byte (implicit FTPS).
    """

    def __init__(self, realm, contextFactory, config=None):
        LoopbackServer.__init__(self, realm, config)
        self.contextFactory = contextFactory

    def start(self):
        """
        Listen with TLS.

        @return: the port number.
        """
        self._listening = self.reactor.listenSSL(
            0, self.factory, self.contextFactory, interface=self.interface)
        self.port = self._listening.getHost().port
        return self.port


class Certificates:
    """
    A trial mixin: C{self.cert}, C{self.key}, C{self.both} (a fresh
    certificate, key, and both in one file) in a temporary directory.
    """

    def makeCertificates(self):
        """
        Create the files.
        """
        self.certDir = self.mktemp()
        os.makedirs(self.certDir)
        self.cert, self.key, self.both = makeCertificate(self.certDir)


class ContextFactoryTests(Certificates, unittest.TestCase):
    """
    L{makeContextFactory} and L{loadCertificateAndKey}.
    """

    def setUp(self):
        self.makeCertificates()

    def assertFails(self, fragment, part, *args):
        error = self.assertRaises(TLSConfigurationError,
                                  makeContextFactory, *args)
        self.assertIn(fragment, str(error))
        self.assertNotIn("\n", str(error))
        self.assertEqual(error.part, part)

    def test_separateFiles(self):
        factory = makeContextFactory(self.cert, self.key)
        self.assertIsInstance(factory, FTPSContextFactory)
        context = factory.makeContext()
        self.assertIsInstance(context, SSL.Context)
        self.assertEqual(context.get_session_cache_mode(),
                         SSL.SESS_CACHE_SERVER)

    def test_oneFile(self):
        factory = makeContextFactory(self.both)
        self.assertEqual(factory.chain[0].public_bytes(_PEM),
                         open(self.cert, "rb").read())

    def test_contextPerConnection(self):
        """
        Each control connection gets a context (and session cache) of its
        own.
        """
        factory = makeContextFactory(self.both)
        first = factory.serverConnectionForTLS(None).get_context()
        second = factory.serverConnectionForTLS(None).get_context()
        self.assertIsNot(first, second)

    def test_missingFile(self):
        self.assertFails("no such file", "cert",
                         os.path.join(self.certDir, "nope.pem"))

    def test_missingKeyFile(self):
        self.assertFails("no such file", "key", self.cert,
                         os.path.join(self.certDir, "nope.key"))

    def test_unreadable(self):
        self.assertFails("cannot read", "cert", self.certDir)

    def test_notPEM(self):
        garbage = os.path.join(self.certDir, "garbage.pem")
        with open(garbage, "wb") as f:
            f.write(b"not a certificate\n")
        self.assertFails("no valid PEM certificate", "cert", garbage)

    def test_noKey(self):
        self.assertFails("no valid PEM private key", "key", self.cert)

    def test_encryptedKey(self):
        key = serialization.load_pem_private_key(
            open(self.key, "rb").read(), None)
        path = os.path.join(self.certDir, "encrypted.key")
        with open(path, "wb") as f:
            f.write(key.private_bytes(
                _PEM, serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"pw")))
        self.assertFails("encrypted", "key", self.cert, path)

    def test_keyMismatch(self):
        _, otherKey, _ = makeCertificate(self.certDir, "other")
        self.assertFails("does not match", "key", self.cert, otherKey)

    def test_expired(self):
        _, _, expired = makeCertificate(self.certDir, "old", expired=True)
        self.assertFails("expired on", "cert", expired)

    def test_notYetValid(self):
        future = datetime.datetime.now(datetime.timezone.utc) - \
            datetime.timedelta(days=2)
        error = self.assertRaises(TLSConfigurationError,
                                  loadCertificateAndKey, self.both, None,
                                  future)
        self.assertIn("not valid before", str(error))

    def test_fromEndpointStrings(self):
        listens = ["tcp:2121",
                   "ssl:990:privateKey=%s:certKey=%s"
                   % (self.key.replace(":", "\\:"),
                      self.cert.replace(":", "\\:"))]
        factory = contextFromEndpointStrings(listens)
        self.assertEqual(factory.chain[0].public_bytes(_PEM),
                         open(self.cert, "rb").read())

    def test_fromEndpointStringsKeyOnly(self):
        factory = contextFromEndpointStrings(
            ["ssl:990:privateKey=" + self.both])
        self.assertIsInstance(factory, FTPSContextFactory)

    def test_fromEndpointStringsNone(self):
        self.assertIsNone(contextFromEndpointStrings(["tcp:2121"]))


class _Options(TLSOptionsMixin, usage.Options):
    def __init__(self):
        usage.Options.__init__(self)
        self["listen"] = []

    def opt_listen(self, description):
        self["listen"].append(description)


class OptionsTests(Certificates, unittest.TestCase):
    """
    L{TLSOptionsMixin} and L{tlsConfigFields}.
    """

    def setUp(self):
        self.makeCertificates()

    def fields(self, *argv):
        options = _Options()
        options.parseOptions(list(argv))
        return tlsConfigFields(options)

    def assertUsage(self, fragment, *argv):
        error = self.assertRaises(usage.UsageError, self.fields, *argv)
        self.assertIn(fragment, str(error))
        self.assertNotIn("\n", str(error))
        return str(error)

    def test_off(self):
        fields = self.fields()
        self.assertEqual(fields, {
            "tlsContextFactory": None, "tlsRequired": False,
            "tlsRequiredForAnonymous": True, "tlsRequireSessionReuse": False})
        ServerConfig(**fields)

    def test_allowTLS13(self):
        """
        C{--tls-allow-1.3} lifts the TLS 1.2 ceiling, which is the default.
        """
        default = self.fields("--tls-cert", self.both)["tlsContextFactory"]
        self.assertEqual(default.maximumVersion, TLSVersion.TLSv1_2)
        lifted = self.fields("--tls-cert", self.both, "--tls-allow-1.3")
        self.assertIsNone(lifted["tlsContextFactory"].maximumVersion)

    def test_all(self):
        fields = self.fields("--tls-cert", self.cert, "--tls-key", self.key,
                             "--tls-required", "--tls-anonymous-exempt",
                             "--tls-require-session-reuse")
        self.assertIsInstance(fields["tlsContextFactory"],
                              FTPSContextFactory)
        self.assertTrue(fields["tlsRequired"])
        self.assertFalse(fields["tlsRequiredForAnonymous"])
        self.assertTrue(fields["tlsRequireSessionReuse"])

    def test_missingCert(self):
        message = self.assertUsage("no such file", "--tls-cert", "/nonexistent.pem")
        self.assertTrue(message.startswith("--tls-cert: "), message)

    def test_mismatchedKey(self):
        _, otherKey, _ = makeCertificate(self.certDir, "other")
        message = self.assertUsage("does not match", "--tls-cert", self.cert,
                                   "--tls-key", otherKey)
        self.assertTrue(message.startswith("--tls-key: "), message)

    def test_keyInCertMissing(self):
        message = self.assertUsage("no valid PEM private key",
                                   "--tls-cert", self.cert)
        self.assertTrue(message.startswith("--tls-cert: "), message)

    def test_expired(self):
        _, _, expired = makeCertificate(self.certDir, "old", expired=True)
        self.assertUsage("expired", "--tls-cert", expired)

    def test_keyWithoutCert(self):
        self.assertUsage("needs --tls-cert", "--tls-key", self.key)

    def test_requiredWithoutCert(self):
        self.assertUsage("--tls-required", "--tls-required")

    def test_implicitEndpoint(self):
        fields = self.fields("--listen", "ssl:990:privateKey=" + self.both,
                             "--tls-required")
        self.assertIsInstance(fields["tlsContextFactory"],
                              FTPSContextFactory)

    def test_implicitEndpointBadKey(self):
        message = self.assertUsage("no such file", "--listen",
                                   "ssl:990:privateKey=/nonexistent.pem")
        self.assertTrue(message.startswith("--listen: "), message)

    def test_reuseWithImplicit(self):
        self.assertUsage("ssl:", "--tls-cert", self.both,
                         "--listen", "ssl:990:privateKey=" + self.both,
                         "--tls-require-session-reuse")


def _skipUnlessBinary(name):
    path = shutil.which(name)
    if path is None:
        raise unittest.SkipTest(f"{name} is not installed")
    return path


def _hasIPv6():
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


class FTPSTestsMixin(Certificates, LoopbackServerMixin):
    """
    Shared set-up of the integration tests: a filesystem root with a
    payload, a certificate, and ways to start a server.
    """

    timeout = 60

    def setUp(self):
        self.makeCertificates()
        self.factory = makeContextFactory(self.both)
        self.root = self.mktemp()
        os.makedirs(self.root)
        self.payload = os.urandom(3 * 1024 * 1024 + 5)
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(self.payload)

    def serve(self, interface="127.0.0.1", **settings):
        settings.setdefault("tlsContextFactory", self.factory)
        config = ServerConfig(loginFailureDelay=0, **settings)
        self.server = self.startServer(FilesystemRealm(self.root), config,
                                       interface=interface)
        return self.server

    def serveImplicit(self, **settings):
        config = ServerConfig(loginFailureDelay=0, **settings)
        server = ImplicitLoopbackServer(FilesystemRealm(self.root),
                                        self.factory, config)
        server.start()
        self.addCleanup(server.stop)
        self.server = server
        return server

    def connect(self, host="127.0.0.1", context=None, implicit=False):
        """
        Log in as alice over TLS with ftplib (blocking: call in a thread).
        """
        cls = ImplicitFTPTLS if implicit else ftplib.FTP_TLS
        ftp = cls(context=context or clientContext())
        try:
            ftp.connect(host, self.server.port, timeout=20)
            ftp.login("alice", "secret")
        except BaseException:
            ftp.close()
            raise
        return ftp

    def readFile(self, name):
        with open(os.path.join(self.root, name), "rb") as f:
            return f.read()


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
            try:
                ftp.prot_p()
                self.assertIsInstance(ftp.sock, ssl.SSLSocket)
                return self.roundTrip(ftp, "pasv.bin")
            finally:
                ftp.quit()
        return self.inThread(client).addCallback(self.checkRoundTrip)

    def test_extendedPassive(self):
        self.serve()

        def client():
            ftp = self.connect()
            try:
                ftp.prot_p()
                ftp.af = socket.AF_INET6  # ftplib then uses EPSV
                return self.roundTrip(ftp, "epsv.bin")
            finally:
                ftp.quit()
        return self.inThread(client).addCallback(self.checkRoundTrip)

    def test_active(self):
        self.serve()

        def client():
            ftp = self.connect()
            try:
                ftp.prot_p()
                ftp.set_pasv(False)
                return self.roundTrip(ftp, "active.bin")
            finally:
                ftp.quit()
        return self.inThread(client).addCallback(self.checkRoundTrip)

    def test_ipv6(self):
        if not _hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        self.serve(interface="::1")

        def client():
            ftp = self.connect("::1")
            try:
                ftp.prot_p()
                passive = self.roundTrip(ftp, "v6.bin")
                ftp.set_pasv(False)
                active = self.roundTrip(ftp, "v6active.bin")
                return passive, active
            finally:
                ftp.quit()

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
            try:
                ftp.prot_p()
                version = ftp.sock.version()
                ftp.storbinary("STOR large.bin", io.BytesIO(payload),
                               blocksize=256 * 1024)
                return version, self.readFile("large.bin")
            finally:
                ftp.quit()

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
            try:
                out = io.BytesIO()
                ftp.retrbinary("RETR big.bin", out.write)
                return out.getvalue()
            finally:
                ftp.quit()
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
        PBSZ/PROT before AUTH, a second AUTH, unknown levels and CCC (not
        supported) get replies, not tracebacks.
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
                send("PBSZ x")
                send("PROT E")
                send("PROT Q")
                send("CCC")
                return replies
            finally:
                ftp.close()
        return self.inThread(client).addCallback(
            self.assertEqual,
            ["503", "503", "504", "503", "501", "536", "504", "502"])


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
                try:
                    ftp.retrbinary("RETR big.bin", lambda data: None)
                except ftplib.error_perm as e:
                    refused = str(e)
                ftp.prot_p()
                out = io.BytesIO()
                ftp.retrbinary("RETR big.bin", out.write)
                return refused, out.getvalue()
            finally:
                ftp.quit()

        def check(result):
            refused, data = result
            self.assertTrue(refused.startswith("521"), refused)
            self.assertEqual(data, self.payload)
        return self.inThread(client).addCallback(check)

    def test_anonymousExempt(self):
        self.serve(tlsRequired=True, tlsRequiredForAnonymous=False)

        def client():
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", self.server.port, timeout=20)
            try:
                ftp.login("anonymous", "guest@example.com")
                out = io.BytesIO()
                ftp.retrbinary("RETR big.bin", out.write)
                try:
                    ftp.login("alice", "secret")
                except ftplib.error_perm as e:
                    return out.getvalue(), str(e)
            finally:
                ftp.close()

        def check(result):
            data, refusal = result
            self.assertEqual(data, self.payload)
            self.assertTrue(refusal.startswith("530"), refusal)
        return self.inThread(client).addCallback(check)

    def test_anonymousNotExempt(self):
        self.serve(tlsRequired=True)
        return self.assertClearLoginRefused("anonymous", "guest@example.com")


def _readAll(sock, limit=1 << 24):
    """
    Read from a blocking socket until EOF, an error or a timeout.

    @return: the bytes read.
    """
    chunks, total = [], 0
    while total < limit:
        try:
            chunk = sock.recv(65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


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
                received = _readAll(data)
            finally:
                data.close()
            try:
                final = ftp.getresp()
            except ftplib.Error as e:
                final = str(e)
            return reply, received, final

        def client():
            ftp = self.connect()
            try:
                ftp.prot_p()
                garbage = attempt(ftp, b"GET / HTTP/1.0\r\n\r\n" * 10)
                silent = attempt(ftp, b"")
                return garbage, silent
            finally:
                ftp.close()

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
            try:
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
                return failure, got.getvalue(), noop
            finally:
                ftp.close()

        def check(result):
            failure, received, noop = result
            self.assertIsNotNone(failure, "transfer without session reuse")
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
            ftp = ReusingFTPTLS(context=context)
            ftp.connect("127.0.0.1", self.server.port, timeout=20)
            try:
                ftp.login("alice", "secret")
                ftp.prot_p()
                out = io.BytesIO()
                ftp.retrbinary("RETR big.bin", out.write)
                ftp.storbinary("STOR reused.bin", io.BytesIO(self.payload))
                return out.getvalue(), ftp.reused
            finally:
                ftp.quit()

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
            ftp = ReusingFTPTLS(context=context)
            ftp.connect("127.0.0.1", self.server.port, timeout=20)
            try:
                ftp.login("alice", "secret")
                ftp.prot_p()
                ftp.reuseFrom = other.sock
                try:
                    ftp.retrbinary("RETR big.bin", lambda data: None)
                except (ftplib.Error, ssl.SSLError, OSError) as e:
                    return str(e), ftp.reused
                return None, ftp.reused
            finally:
                ftp.close()
                other.close()

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
            try:
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
                return stored, out.getvalue(), again
            finally:
                ftp.quit()

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
            try:
                got = io.BytesIO()
                try:
                    ftp.retrbinary("RETR big.bin", got.write)
                except (ftplib.Error, OSError) as e:
                    return got.getvalue(), str(e)
                return got.getvalue(), None
            finally:
                ftp.close()

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
        return self.runProgram(_skipUnlessBinary("curl"), "-sS", "-k",
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
        lftp = _skipUnlessBinary("lftp")
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

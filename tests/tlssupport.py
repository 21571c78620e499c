"""
What the FTPS tests share: certificates made on the fly, permissive client
contexts, ftplib variants (implicit TLS, session reuse), an implicit-FTPS
loopback server and the integration tests' set-up; the certificate a
server presents (L{presentedCertificate}) and one read from a file
(L{derOf}), as DER.
"""

import datetime
import ftplib
import os
import shutil
import socket
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.compat.sessioncache import sessionCacheUse
from ftpkit.config import ServerConfig
from ftpkit.control.tls import makeContextFactory
from ftpkit.loopback import LoopbackServer, LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory

_PEM = serialization.Encoding.PEM


def _keyPEM(key):
    return key.private_bytes(_PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def makeCertificate(directory, name="server", days=30, expired=False):
    """
    Write a self-signed certificate for localhost and its key.

    @return: C{(certPath, keyPath, bothPath)}: the certificate, the key,
        and one file holding both (the last two of mode C{0600}:
        L{writePrivate}).
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
        writePrivate(path, data, private=path != paths[0])
    return tuple(paths)


def writePrivate(path, data, private=True):
    """
    Write a file as an operator keeps it: one holding a private key
    readable by its owner alone (C{0600}, else the server warns that
    every local user may read it), a certificate by anyone (C{0644}).

    @param path: the file, replaced if it exists.
    @param data: its content, C{bytes}.
    @param private: whether it holds a private key.
    """
    mode = 0o600 if private else 0o644
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as f:
        os.fchmod(f.fileno(), mode)
        f.write(data)


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


def clientHello():
    """
    @return: the bytes of a TLS client's first flight (its ClientHello).
    """
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    connection = clientContext().wrap_bio(incoming, outgoing)
    try:
        connection.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def sessionCache(context):
    """
    @param context: an L{OpenSSL.SSL.Context}.
    @return: C{(cached, bound)}: how many sessions its cache holds, and
        how many it may (L{sessionCacheUse}).
    @raise unittest.SkipTest: where this cannot be told.
    """
    use = sessionCacheUse(context)
    if use is None:
        raise unittest.SkipTest("SSL_CTX_ctrl not found in cryptography")
    return use


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
    @ivar pinned: the session to resume on every data connection, or
        C{None}: the latest of L{reuseFrom}'s (under TLS 1.3, that of the
        last ticket it read).
    @ivar offered: the ID of each session offered, in order.
    """

    reuseFrom = None
    pinned = None

    def __init__(self, *args, **kwargs):
        ftplib.FTP_TLS.__init__(self, *args, **kwargs)
        self.reused = []
        self.offered = []

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        session = self.pinned or (self.reuseFrom or self.sock).session
        self.offered.append(session.id)
        conn = self.context.wrap_socket(conn, server_hostname=self.host,
                                        session=session)
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
        self.certDir = scratchDirectory(self)
        self.cert, self.key, self.both = makeCertificate(self.certDir)

def skipUnlessBinary(name):
    path = shutil.which(name)
    if path is None:
        raise unittest.SkipTest(f"{name} is not installed")
    return path


class FTPSTestsMixin(Certificates, LoopbackServerMixin):
    """
    Shared set-up of the integration tests: a filesystem root with a
    payload, a certificate, and ways to start a server.
    """

    timeout = 60

    def setUp(self):
        self.makeCertificates()
        self.factory = makeContextFactory(self.both)
        self.root = scratchDirectory(self)
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
        return ftplibLogin(self, self.server.port, host=host, timeout=20,
                           client=cls(context=context or clientContext()))

    def readFile(self, name):
        with open(os.path.join(self.root, name), "rb") as f:
            return f.read()


def readToEnd(sock):
    """
    Read from a blocking socket until the peer ends the stream.

    @return: the bytes read.
    @raise OSError: as C{recv} does (C{socket.timeout} when the stream
        does not end within the socket's timeout).
    """
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def derOf(path):
    """
    @param path: a PEM file.
    @return: the certificate in PEM file C{path}, as DER.
    """
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def presentedCertificate(port):
    """
    @param port: a server's port on 127.0.0.1.
    @return: the DER certificate a new explicit-FTPS session on C{port}
        presents (Python's C{ssl}).
    """
    ftp = ftplib.FTP_TLS(context=clientContext())
    ftp.connect("127.0.0.1", port, timeout=30)
    try:
        ftp.auth()
        return ftp.sock.getpeercert(binary_form=True)
    finally:
        ftp.close()

"""
Implicit FTPS listeners (C{ssl:} endpoints) follow ftpkit's TLS policy
(issue 18, item 2): Twisted's C{ssl:} endpoint made a context of its own,
offering TLS 1.3 whatever C{--tls-allow-1.3} said.
"""

import ftplib
import io
import os
import re
import socket
import ssl

from twisted.application.internet import StreamServerEndpointService
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted.trial import unittest

from ftpkit.control.tls import implicitListener, makeContextFactory, tlsConfigFields
from ftpkit.deploy.service import makeService
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.tapoptions import parse
from tests.tlssupport import (
    Certificates,
    ImplicitFTPTLS,
    clientContext,
    makeCertificate,
)


class ImplicitListenerTests(unittest.TestCase):
    """
    L{implicitListener} turns an C{ssl:} endpoint into a C{tcp:} one
    wrapped in ftpkit's TLS.
    """

    factory = object()

    def setUp(self):
        directory = scratchDirectory(self)
        self.contextFactory = makeContextFactory(makeCertificate(directory)[2])

    def convert(self, description):
        return implicitListener(description, self.factory,
                                self.contextFactory)

    def test_sslBecomesTCP(self):
        """
        The port, interface and backlog stay; the key, certificate and
        method go (ftpkit's context decides them); the factory is wrapped
        in TLS from the server's context factory.
        """
        description, factory = self.convert(
            "ssl:2990:privateKey=k.pem:certKey=c.pem:interface=127.0.0.1"
            ":backlog=7:sslmethod=TLSv1_2_METHOD")
        self.assertEqual(description, "tcp:2990:interface=127.0.0.1:backlog=7")
        self.assertIsInstance(factory, TLSMemoryBIOFactory)
        self.assertIs(factory.wrappedFactory, self.factory)

    def test_escapedIPv6AndPortArgument(self):
        description, _ = self.convert(
            "ssl:port=2990:interface=\\:\\:1:privateKey=k.pem")
        self.assertEqual(description, "tcp:2990:interface=\\:\\:1")

    def test_behindProxy(self):
        """
        Behind C{haproxy:}, the PROXY header comes first, in clear: the
        prefix stays outside, TLS inside.
        """
        description, factory = self.convert("haproxy:ssl:990:privateKey=k")
        self.assertEqual(description, "haproxy:tcp:990")
        self.assertIsInstance(factory, TLSMemoryBIOFactory)

    def test_othersUnchanged(self):
        for description in ("tcp:21", "tcp6:21:interface=\\:\\:1",
                            "haproxy:tcp:21", "unix:/tmp/ftp.sock"):
            self.assertEqual(self.convert(description),
                             (description, self.factory))
        self.assertEqual(
            implicitListener("ssl:990:privateKey=k", self.factory, None),
            ("ssl:990:privateKey=k", self.factory))


def _freePort():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ImplicitServiceTests(Certificates, unittest.TestCase):
    """
    A server built by L{makeService} with an C{ssl:} listener.
    """

    timeout = 60

    def setUp(self):
        self.makeCertificates()
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "f.bin"), "wb") as f:
            f.write(b"implicit" * 1000)

    def start(self, *extra):
        """
        Start a server listening with implicit TLS only.

        @return: its port.
        """
        port = _freePort()
        server = makeService(parse(
            "--auth", "memory:alice:secret", "--root", self.root,
            "--listen", "ssl:%d:privateKey=%s:interface=127.0.0.1"
            % (port, self.both), *extra))
        [listener] = [child for child in server.getServiceNamed("listeners")
                      if isinstance(child, StreamServerEndpointService)]
        self.assertIsInstance(listener.factory, TLSMemoryBIOFactory)
        listener.startService()
        self.addCleanup(listener.stopService)
        return port

    def negotiate(self, port):
        """
        @return: the TLS version a client offering up to TLS 1.3 gets,
            and a file read through the implicit session (PROT P).
        """
        def client():
            context = clientContext()
            context.maximum_version = ssl.TLSVersion.TLSv1_3
            ftp = ftplibLogin(self, port, timeout=20, protect=True,
                              client=ImplicitFTPTLS(context=context))
            out = io.BytesIO()
            ftp.retrbinary("RETR f.bin", out.write)
            result = ftp.sock.version(), out.getvalue()
            try:
                ftp.quit()
            except (OSError, ftplib.Error):
                ftp.close()
            return result

        from twisted.internet import threads
        return threads.deferToThread(client)

    def test_ceilingByDefault(self):
        """
        Without C{--tls-allow-1.3} the C{ssl:} listener offers TLS 1.2 at
        most, like C{AUTH TLS}.
        """
        port = self.start()
        return self.negotiate(port).addCallback(
            self.assertEqual, ("TLSv1.2", b"implicit" * 1000))

    def test_allow13(self):
        port = self.start("--tls-allow-1.3")
        return self.negotiate(port).addCallback(
            self.assertEqual, ("TLSv1.3", b"implicit" * 1000))

    def test_sessionReuseAllowed(self):
        """
        C{--tls-require-session-reuse} now works with C{ssl:} listeners
        (each connection has its own session cache there too).
        """
        fields = tlsConfigFields({
            "listen": ["ssl:990:privateKey=" + self.both],
            "tls-require-session-reuse": True})
        self.assertTrue(fields["tlsRequireSessionReuse"])


class ImplicitWorkersTests(Certificates, unittest.TestCase):
    """
    C{twistd ftpkit --workers 2} with an C{ssl:} listener: the acceptor
    takes the connections, the workers speak TLS (it was a usage error).
    """

    def test_workers(self):
        """
        Sessions on the C{ssl:} listener are under TLS from the first
        byte in every worker: login, upload and download with C{PROT P};
        the plain listener beside it still offers C{AUTH TLS}.
        """
        from tests.serverprocess import ServerProcess

        self.makeCertificates()
        root = scratchDirectory(self)
        port = _freePort()
        server = ServerProcess(self, [
            "--root", root, "--auth", "memory:alice:secret",
            "--workers", "2", "--tls-cert", self.both, "--listen",
            "ssl:%d:privateKey=%s:interface=127.0.0.1" % (port, self.both)],
            twistd=True)
        server.waitForLog(" ready\n", 2)
        data = os.urandom(300000)
        sessions = []
        for index in range(4):
            # Open together: the acceptor hands each to the least busy
            # worker, so both workers get two.
            ftp = ftplibLogin(self, port, protect=True,
                              client=ImplicitFTPTLS(context=clientContext()))
            sessions.append(ftp)
            name = "f%d.bin" % index
            ftp.storbinary("STOR " + name, io.BytesIO(data))
            out = io.BytesIO()
            ftp.retrbinary("RETR " + name, out.write)
            self.assertTrue(out.getvalue() == data)
        for ftp in sessions:
            ftp.quit()
        workers = set(re.findall(r"\[worker (\d+) ftpkit#info\] login from",
                                 server.log()))
        self.assertEqual(len(workers), 2, server.log())
        explicit = ftplibLogin(
            self, server.port, client=ftplib.FTP_TLS(context=clientContext()))
        self.assertIsInstance(explicit.sock, ssl.SSLSocket)
        self.assertEqual(sorted(explicit.nlst()),
                         ["f0.bin", "f1.bin", "f2.bin", "f3.bin"])
        explicit.quit()

"""
C{SIGHUP} reloads the TLS certificate and key of a running server
(C{python -m ftpkit}, one process and C{--workers}): new connections
present the new certificate (C{openssl s_client -starttls ftp} and
Python's C{ssl}), sessions in progress keep theirs and keep working.
"""

import ftplib
import io
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess

from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial import unittest

from ftpkit.ops.jsonformat import eventAsJSON
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess, freePort
from tests.tlssupport import clientContext, derOf, makeCertificate, presentedCertificate


def implicitCertificate(port):
    """
    @return: the DER certificate an implicit-FTPS listener on C{port}
        presents (Python's C{ssl}).
    """
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with clientContext().wrap_socket(raw) as wrapped:
            return wrapped.getpeercert(binary_form=True)


def openSSLCertificate(port):
    """
    @return: the PEM certificate C{openssl s_client -starttls ftp} is
        shown on C{port}, as DER.
    """
    done = subprocess.run(
        ["openssl", "s_client", "-starttls", "ftp", "-connect",
         f"127.0.0.1:{port}"], input=b"", capture_output=True, timeout=60,
        check=False)
    text = done.stdout.decode("ascii", "replace")
    begin = text.index("-----BEGIN CERTIFICATE-----")
    end = text.index("-----END CERTIFICATE-----") + 25
    return ssl.PEM_cert_to_DER_cert(text[begin:end])




class CertificateReloadTests(unittest.TestCase):
    """
    A renewed certificate is served after C{SIGHUP}, without a restart.
    """

    def setUp(self):
        if shutil.which("openssl") is None:
            raise unittest.SkipTest("needs openssl (apt-get install openssl)")
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(os.path.join(self.root, "old"))
        os.makedirs(os.path.join(self.root, "new"))
        self.cert, self.key, _ = makeCertificate(self.root)
        self.newCert, self.newKey, _ = makeCertificate(
            os.path.join(self.root, "new"))
        self.oldCert = shutil.copy(self.cert, os.path.join(self.root, "old"))
        with open(os.path.join(self.root, "f.txt"), "wb") as f:
            f.write(b"data" * 10000)

    def renew(self):
        """
        Put the new certificate and key where the server reads them.
        """
        os.replace(self.newCert, self.cert)
        os.replace(self.newKey, self.key)

    def reloads(self, extra, hangups):
        """
        Start a server with C{extra} options, renew, send C{SIGHUP}, and
        check what old and new sessions see.

        @param hangups: how many processes reload.
        """
        server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:pw",
            "--tls-cert", self.cert, "--tls-key", self.key, *extra])
        if extra:
            server.waitForLog(" ready\n", 2)
        else:
            server.waitForGreeting()
        old = derOf(self.oldCert)
        self.assertEqual(presentedCertificate(server.port), old)
        session = ftplibLogin(self, server.port, "alice", "pw", protect=True,
                              client=ftplib.FTP_TLS(context=clientContext()))
        self.renew()
        server.signal(signal.SIGHUP)
        # Under --workers one line names both (ftpkit.ops.workerechoes).
        log = server.waitForLog("reloaded the TLS certificate")
        if hangups > 1:
            self.assertRegex(log, r"\[workers \d+,\d+ [^]]*\] reloaded the "
                             "TLS certificate")
        new = derOf(self.cert)
        self.assertNotEqual(new, old)
        self.assertEqual(openSSLCertificate(server.port), new)
        self.assertEqual(presentedCertificate(server.port), new)
        self.assertEqual(session.sock.getpeercert(binary_form=True), old)
        out = io.BytesIO()
        session.retrbinary("RETR f.txt", out.write)
        self.assertEqual(out.getvalue(), b"data" * 10000)
        session.quit()

    def test_oneProcess(self):
        self.reloads([], 1)

    def test_workers(self):
        self.reloads(["--workers", "2"], 2)

    def test_implicitListener(self):
        """
        An C{ssl:} listener (implicit FTPS) whose endpoint string names the
        certificate and key presents the renewed pair after C{SIGHUP}
        too, as C{tls.rst} now says (it said only a restart would).
        """
        implicit = freePort()
        server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:pw", "--listen",
            f"ssl:{implicit}:interface=127.0.0.1:privateKey={self.key}:"
            f"certKey={self.cert}"])
        server.waitForGreeting()
        old = derOf(self.oldCert)
        self.assertEqual(implicitCertificate(implicit), old)
        self.renew()
        server.signal(signal.SIGHUP)
        server.waitForLog("reloaded the TLS certificate")
        self.assertEqual(implicitCertificate(implicit), derOf(self.cert))
        self.assertNotEqual(derOf(self.cert), old)

    def test_badNewCertificate(self):
        """
        A renewed certificate that does not match the key is refused with
        a log line; the old one stays in force.
        """
        server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:pw",
            "--tls-cert", self.cert, "--tls-key", self.key])
        server.waitForGreeting()
        os.replace(self.newCert, self.cert)
        server.signal(signal.SIGHUP)
        server.waitForLog("TLS certificate not reloaded")
        self.assertEqual(presentedCertificate(server.port),
                         derOf(self.oldCert))


class ContextFactoryReloadTests(unittest.TestCase):
    """
    L{ftpkit.control.tls.FTPSContextFactory.reload}.
    """

    def test_reload(self):
        """
        The new certificate is used, and the line saying so holds its
        expiry as text, which C{--log-format json} keeps: it held a
        C{datetime}, written as C{{"unpersistable": true}}.
        """
        from ftpkit.control.tls import makeContextFactory

        directory = os.path.abspath(self.mktemp())
        os.makedirs(os.path.join(directory, "new"))
        cert, key, _ = makeCertificate(directory)
        factory = makeContextFactory(cert, key)
        before = factory.chain[0]
        newCert, newKey, _ = makeCertificate(os.path.join(directory, "new"))
        os.replace(newCert, cert)
        os.replace(newKey, key)
        logged = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        self.assertTrue(factory.reload())
        self.assertNotEqual(factory.chain[0], before)
        factory.makeContext()
        [reloaded] = [event for event in logged
                      if "reloaded" in event.get("log_format", "")]
        until = factory.chain[0].not_valid_after_utc
        self.assertEqual(
            json.loads(eventAsJSON(reloaded))["until"],
            until.strftime("%Y-%m-%d %H:%M"))
        self.assertIn(until.strftime("(valid until %Y-%m-%d %H:%M UTC)"),
                      formatEvent(reloaded))

    def test_noFiles(self):
        """
        A factory not made from files has nothing to reload.
        """
        from ftpkit.control.tls import FTPSContextFactory, makeContextFactory

        directory = scratchDirectory(self)
        made = makeContextFactory(*makeCertificate(directory)[:2])
        factory = FTPSContextFactory(made.chain, made.key)
        self.assertFalse(factory.reload())

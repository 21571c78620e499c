"""
What an operator meets running ftpkit (session 25's sweep of its
operating surfaces): each bug found there, with the test that failed
before its fix.
"""

import base64
import datetime
import ftplib
import io
import os
import re
import signal
import socket
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from twisted.logger import formatEvent, globalLogPublisher
from twisted.python import usage
from twisted.trial import unittest

from ftpkit.deploy.tap import makeService
from ftpkit.ops.statuspage import makeSite
from tests.integration.test_plugin import _SOURCE
from tests.scratch import scratchDirectory
from tests.tlssupport import makeCertificate, writePrivate
from tests.unit.test_statuspage import get
from tests.unit.test_tap import parse

_PEM = serialization.Encoding.PEM

_VERSION_AND_SERIAL = b"\xa0\x03\x02\x01\x02\x02\x01"
"""The DER a certificate's C{tbsCertificate} starts its fields with:
version 3, then the serial number, an C{INTEGER} of one byte."""


def pem(der):
    """
    @param der: a certificate in DER.
    @return: the same in PEM, made here: C{cryptography} would warn
        loading a certificate of serial number 0.
    """
    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return b"\n".join([b"-----BEGIN CERTIFICATE-----", *lines,
                       b"-----END CERTIFICATE-----", b""])


def zeroSerialCertificate(directory):
    """
    Write a certificate whose serial number is 0 (as some internal CAs
    and old tools issue; RFC 5280 wants a positive one), and its key.

    C{cryptography} builds no such certificate, so one with serial 1 is
    built and its serial byte set to 0: its signature no longer matches,
    which nothing checks of the server's own certificate.

    @param directory: where to write the files.
    @return: C{(certPath, keyPath)}.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    der = (x509.CertificateBuilder()
           .subject_name(name).issuer_name(name)
           .public_key(key.public_key()).serial_number(1)
           .not_valid_before(now - datetime.timedelta(hours=1))
           .not_valid_after(now + datetime.timedelta(days=30))
           .sign(key, hashes.SHA256())
           .public_bytes(serialization.Encoding.DER))
    one = _VERSION_AND_SERIAL + b"\x01"
    assert der.count(one) == 1
    certPath = os.path.join(directory, "zero.crt")
    keyPath = os.path.join(directory, "zero.key")
    with open(certPath, "wb") as f:
        f.write(pem(der.replace(one, _VERSION_AND_SERIAL + b"\x00")))
    writePrivate(keyPath, key.private_bytes(
        _PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return certPath, keyPath


class ZeroSerialCertificateTests(unittest.TestCase):
    """
    A certificate whose serial number is not positive: C{cryptography}
    loads it with a C{CryptographyDeprecationWarning}, which Python wrote
    to standard error in its own format (two lines, naming ftpkit's
    source file), before the one line of a usage error, and which a
    worker of C{--workers} logged at its start and at each C{SIGHUP}.
    """

    def setUp(self):
        self.directory = scratchDirectory(self)
        self.certPath, self.keyPath = zeroSerialCertificate(self.directory)

    def test_usageErrorAlone(self):
        """
        A usage error about such a certificate (here: no key for it) is
        the usage error alone; no warning is issued.
        """
        self.assertRaises(usage.UsageError, parse, "--tls-cert",
                          self.certPath)
        self.assertEqual(
            [str(w["message"]) for w in self.flushWarnings()], [])

    def test_usageErrorOneLine(self):
        """
        Run by C{python -m ftpkit}, that usage error is one line on
        standard error, as any other.
        """
        done = subprocess.run(
            [sys.executable, "-m", "ftpkit", "--root", self.directory,
             "--listen", "tcp:0:interface=127.0.0.1",
             "--tls-cert", self.certPath],
            capture_output=True, timeout=60, stdin=subprocess.DEVNULL,
            env=dict(os.environ, PYTHONPATH=_SOURCE))
        self.assertEqual(
            (done.returncode, done.stderr.decode()),
            (1, f"ftpkit: --tls-cert: {self.certPath}: no valid PEM private "
                f"key in it (see --help)\n"))

    def test_servedWithOneWarning(self):
        """
        The pair is served (it loads today), with no Python warning and
        one line of ftpkit's at start saying what is wrong with it.
        """
        logged = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        options = parse("--root", self.directory, "--auth", "anonymous",
                        "--tls-cert", self.certPath, "--tls-key",
                        self.keyPath)
        makeService(options)
        self.assertEqual(
            [str(w["message"]) for w in self.flushWarnings()], [])
        texts = [formatEvent(event) for event in logged
                 if "serial number" in formatEvent(event)]
        self.assertEqual(texts, [
            f"--tls-cert {self.certPath}: the certificate's serial number "
            f"is not positive, which RFC 5280 forbids: a later release of "
            f"the cryptography library will refuse to load it (issue a new "
            f"certificate)"])


class ListeningLineTests(unittest.TestCase):
    """
    The start-up line C{ftpkit listening on ADDRESS port N} is logged once
    the server listens everywhere it was told to: a script reads the port
    a server took from it (C{--listen tcp:0}).
    """

    def failedStart(self, *arguments):
        """
        Start C{python -m ftpkit} with a listener of C{arguments} on a
        port in use.

        @param arguments: options, C{{busy}} standing for that port.
        @return: the process' exit status and standard output.
        """
        busy = socket.socket()
        self.addCleanup(busy.close)
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "ftpkit", "--root",
             scratchDirectory(self), "--auth", "anonymous",
             *[argument.format(busy=port) for argument in arguments]],
            capture_output=True, timeout=60, stdin=subprocess.DEVNULL,
            env=dict(os.environ, PYTHONPATH=_SOURCE))
        return done.returncode, done.stdout.decode()

    def test_metricsInUse(self):
        """
        One process that cannot listen on its C{--metrics} endpoint logged
        that it listened on its C{--listen} one (the acceptor of
        C{--workers} did not), then ended.
        """
        for workers in ["1", "2"]:
            status, output = self.failedStart(
                "--workers", workers,
                "--listen", "tcp:0:interface=127.0.0.1",
                "--metrics", "tcp:{busy}:interface=127.0.0.1")
            self.assertEqual(status, 1)
            self.assertIn("cannot listen: ", output)
            self.assertNotIn("ftpkit listening on", output)

    def test_secondListenInUse(self):
        """
        Nor is it logged for the first C{--listen} when the second cannot
        listen.
        """
        status, output = self.failedStart(
            "--listen", "tcp:0:interface=127.0.0.1",
            "--listen", "tcp:{busy}:interface=127.0.0.1")
        self.assertEqual(status, 1)
        self.assertIn("cannot listen: ", output)
        self.assertNotIn("ftpkit listening on", output)


def head(site, path, host=b"127.0.0.1"):
    """
    Send C{HEAD path} to C{site} on a L{StringTransport}.

    @return: the raw response.
    """
    return get(site, path, host, b"HEAD")


class MetricsHeadTests(unittest.TestCase):
    """
    A C{HEAD} request to the C{--metrics} endpoint (an uptime probe, a
    load balancer's health check) is answered without a line in the
    server's log, whose requests are not logged: each was a line of
    C{twisted.web}'s (C{Warning: HEAD request <Request at 0x...> for
    resource <...MetricsPage object at 0x...> is returning a message body.
    I think I'll eat it.}), which anyone reaching the endpoint could
    repeat at will.
    """

    def setUp(self):
        from prometheus_client import CollectorRegistry, Counter

        registry = CollectorRegistry()
        Counter("probes", "Probes.", registry=registry).inc()
        self.site = makeSite(lambda: registry, lambda: [])
        self.site.timeOut = None
        self.logged = []
        globalLogPublisher.addObserver(self.logged.append)
        self.addCleanup(globalLogPublisher.removeObserver,
                        self.logged.append)

    def test_noLogLine(self):
        """
        C{HEAD} of each page, of one that does not exist and of
        C{/sessions} by another name logs nothing, and gets the status
        and headers its C{GET} gets (the length of the body included),
        without the body.
        """
        for path, host, status in [(b"/metrics", b"127.0.0.1", b"200"),
                                   (b"/sessions", b"127.0.0.1", b"200"),
                                   (b"/nope", b"127.0.0.1", b"404"),
                                   (b"/sessions", b"evil.example", b"421")]:
            response = head(self.site, path, host)
            headers, _, body = response.partition(b"\r\n\r\n")
            self.assertTrue(headers.startswith(b"HTTP/1.1 " + status),
                            response)
            self.assertEqual(body, b"")
            self.assertRegex(headers, rb"(?i)content-length: [1-9]")
        self.assertEqual([formatEvent(event) for event in self.logged], [])

    def test_metricsLength(self):
        """
        The length C{HEAD /metrics} gives is the length of the metrics
        C{GET} sends.
        """
        from prometheus_client import generate_latest

        response = head(self.site, b"/metrics")
        length = re.search(rb"(?i)content-length: (\d+)", response).group(1)
        self.assertEqual(int(length), len(
            generate_latest(self.site.resource.children[b"metrics"]
                            ._registry())))


HOOK = """#!/bin/sh
echo "start $FTPKIT_PATH" >> "$0.out"
{sleep}
echo "done $FTPKIT_PATH" >> "$0.out"
"""
"""An C{--on-upload} command noting when it starts and ends."""


class UploadCommandsAtStopTests(unittest.TestCase):
    """
    C{SIGTERM} lets the C{--on-upload} commands of the uploads that
    completed run, within C{--shutdown-grace}, as it lets transfers
    finish: the process ended at once, leaving those running without
    anyone to log how they ended, and those waiting their turn (at most
    four run at once) were never run, without a line, so that an upload
    the command was to scan or ingest was silently left out of it at
    every restart.
    """

    timeout = 120

    def serve(self, sleep, grace):
        """
        Start C{python -m ftpkit} with an C{--on-upload} command that
        runs C{sleep}, upload six files, and stop it with C{SIGTERM}.

        @param sleep: the command's line that takes its time.
        @param grace: C{--shutdown-grace}.
        @return: C{(status, log, lines the commands wrote)}.
        """
        directory = scratchDirectory(self)
        root = os.path.join(directory, "root")
        os.mkdir(root)
        hook = os.path.join(directory, "hook.sh")
        with open(hook, "w") as f:
            f.write(HOOK.format(sleep=sleep))
        os.chmod(hook, 0o755)
        server = subprocess.Popen(
            [sys.executable, "-m", "ftpkit", "--root", root,
             "--listen", "tcp:0:interface=127.0.0.1",
             "--auth", "memory:alice:secret", "--on-upload", hook,
             "--shutdown-grace", str(grace)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=dict(os.environ, PYTHONPATH=_SOURCE))
        self.addCleanup(server.stdout.close)
        self.addCleanup(lambda: server.poll() is None and server.kill())
        log = []
        for line in server.stdout:
            log.append(line.decode())
            found = re.search(r"listening on \S+ port (\d+)", log[-1])
            if found:
                break
        client = ftplib.FTP()
        client.connect("127.0.0.1", int(found.group(1)), timeout=30)
        client.login("alice", "secret")
        for number in range(6):
            client.storbinary(f"STOR {number}.bin", io.BytesIO(b"x"))
        client.quit()
        server.send_signal(signal.SIGTERM)
        log.extend(line.decode() for line in server.stdout)
        server.wait()
        try:
            with open(hook + ".out") as f:
                ran = f.read().split("\n")
        except FileNotFoundError:
            ran = []
        return server.returncode, "".join(log), sorted(filter(None, ran))

    def test_commandsFinish(self):
        """
        The commands running and those waiting their turn all run, and
        the server ends once they have.
        """
        status, log, ran = self.serve("sleep 1", 30)
        self.assertEqual(status, -signal.SIGTERM, log)
        self.assertEqual(ran, sorted(
            [f"start /{n}.bin" for n in range(6)]
            + [f"done /{n}.bin" for n in range(6)]), log)

    def test_graceOver(self):
        """
        Those still running when the grace is over are killed, each
        logged, and those that did not run are named in one line.
        """
        # exec: the shell killed leaves no sleep behind.
        status, log, ran = self.serve("exec sleep 60", 1)
        self.assertEqual(status, -signal.SIGTERM, log)
        self.assertEqual(ran, [f"start /{n}.bin" for n in range(4)], log)
        self.assertEqual(log.count("killed at shutdown"), 4, log)
        self.assertIn("--on-upload command not run for 2 upload(s) at "
                      "shutdown: '/4.bin' by 'alice' from 127.0.0.1, "
                      "'/5.bin' by 'alice' from 127.0.0.1", log)


class ImplicitEndpointArgumentsTests(unittest.TestCase):
    """
    ftpkit listens on an C{ssl:} endpoint's port in its own TLS, reading
    only its C{privateKey} and C{certKey}: the endpoint's other arguments
    were accepted and dropped without a word, C{extraCertChain} (Twisted's
    way to send the intermediate certificates, which clients then did
    not get and failed to verify the server with) and names no C{ssl:}
    endpoint takes alike.
    """

    def setUp(self):
        self.cert, self.key, _ = makeCertificate(scratchDirectory(self))

    def refused(self, arguments):
        """
        @param arguments: the arguments after C{ssl:0:privateKey=...:
            certKey=...}.
        @return: the usage error's message.
        """
        description = (f"ssl:0:interface=127.0.0.1:privateKey={self.key}:"
                       f"certKey={self.cert}:{arguments}")
        return str(self.assertRaises(usage.UsageError, parse,
                                     "--listen", description))

    def test_extraCertChain(self):
        """
        C{extraCertChain} is a usage error saying where the intermediates
        go instead.
        """
        self.assertIn(
            "extraCertChain is not used: put the intermediate certificates "
            "after the certificate, in the certKey file (or the --tls-cert "
            "file)", self.refused(f"extraCertChain={self.cert}"))

    def test_unknownArgument(self):
        """
        An argument no C{ssl:} endpoint takes is a usage error naming it,
        as it is for a C{tcp:} endpoint; so is a positional one past the
        port (Twisted's C{ssl:} endpoint took it for C{privateKey}).
        """
        self.assertIn("ssl: takes no argument 'certkey'",
                      self.refused("certkey=x"))
        self.assertIn("ssl: takes no argument 'key.pem'",
                      self.refused("key.pem"))

    def test_unusedKept(self):
        """
        C{sslmethod} and C{dhParameters}, which ftpkit's TLS decides
        itself, are still accepted, as documented, and not read.
        """
        parse("--listen", f"ssl:0:interface=127.0.0.1:privateKey={self.key}:"
                          f"certKey={self.cert}:sslmethod=TLSv1_2_METHOD:"
                          f"dhParameters=/nonexistent")

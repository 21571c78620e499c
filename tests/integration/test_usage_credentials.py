"""
Users and certificates given on the command line that ftpkit cannot use as
given: C{--auth memory:...} with a user lacking a password, and a
C{--tls-cert} whose serial number is not positive (served, with one line
of ftpkit's rather than Python's warning).
"""

import base64
import datetime
import os
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
from tests.scratch import scratchDirectory
from tests.tapoptions import parse
from tests.tlssupport import writePrivate
from tests.twistdrun import SOURCE

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
            env=dict(os.environ, PYTHONPATH=SOURCE))
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


class MemoryUsersTests(unittest.TestCase):
    """
    C{--auth memory:...} with a user lacking a password says which.
    """

    def test_userWithoutPassword(self):
        """
        C{memory:alice:pw:bob} names C{bob}, rather than Twisted's
        C{argstring must be in format U:P:...}.
        """
        why = str(self.assertRaises(usage.UsageError, parse, "--auth",
                                    "memory:alice:pw:bob"))
        self.assertIn("needs USER:PASSWORD pairs, like memory:alice:secret: "
                      "'bob' has no password", why)
        self.assertNotIn("argstring", why)

"""
Tests for L{ftpkit.deploy.tap}: C{--listen ssl:...} (implicit FTPS) and
the key it is served with.
"""

import os
import shutil

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from twisted.python import usage
from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.tapoptions import parse
from tests.tlssupport import makeCertificate


class ImplicitListenerTests(unittest.TestCase):
    """
    C{--listen ssl:...} (implicit FTPS): ftpkit listens on its C{tcp:}
    endpoint, in its own TLS, with the key of C{--tls-cert} or else the
    endpoint's own (docs/tls.rst), run from a directory holding no
    C{server.pem}, Twisted's default key.
    """

    def setUp(self):
        self.directory = scratchDirectory(self)
        self.cert = makeCertificate(self.directory, "given")[2]
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(self.directory)

    def chain(self, *args):
        """
        @return: the PEM of the certificate the server would present.
        """
        factory = parse(*args)["config"].tlsContextFactory
        return factory.chain[0].public_bytes(serialization.Encoding.PEM)

    def pem(self, path):
        """
        @return: the certificate's PEM in the file at C{path}.
        """
        with open(path, "rb") as f:
            return x509.load_pem_x509_certificate(f.read()).public_bytes(
                serialization.Encoding.PEM)

    def test_tlsCert(self):
        """
        With C{--tls-cert}, an C{ssl:} listener naming no key serves its
        certificate: the option was refused, Twisted's C{ssl:} parser
        looking for C{server.pem} ('--listen: bad endpoint ...: No such
        file'), though the key it names is never used.
        """
        self.assertEqual(
            self.chain("--tls-cert", self.cert, "--listen", "ssl:990",
                       "--tls-require-session-reuse"),
            self.pem(self.cert))

    def test_defaultKey(self):
        """
        Without C{--tls-cert}, an C{ssl:} listener naming no key is served
        in ftpkit's TLS with C{server.pem}, the key Twisted's C{ssl:}
        endpoint reads by default: it was left to Twisted's endpoint,
        whose context ignored ftpkit's TLS options (TLS 1.3 offered
        whatever they said, no session reuse to require).
        """
        shutil.copy(self.cert, "server.pem")
        self.assertEqual(self.chain("--listen", "ssl:990"),
                         self.pem(self.cert))

    def test_noKey(self):
        """
        Without C{--tls-cert} nor C{server.pem}, the C{ssl:} listener is
        refused, naming the file it lacks.
        """
        error = self.assertRaises(usage.UsageError, parse, "--listen",
                                  "ssl:990")
        self.assertTrue(str(error).startswith("--listen: "), str(error))
        self.assertIn("server.pem", str(error))

    def test_unreadKeys(self):
        """
        An C{ssl:} listener naming a key or certificate other than the
        server's (C{--tls-cert}'s, else the first C{ssl:} listener's) is
        refused: it was not read, without a word, and its clients got
        the other certificate. One naming the same files, by another
        path, or none, is served.
        """
        other = makeCertificate(self.directory, "other")[2]
        for args in [("--tls-cert", self.cert,
                      "--listen", f"ssl:990:privateKey={other}"),
                     ("--tls-cert", self.cert, "--listen",
                      f"ssl:990:privateKey={self.cert}:certKey={other}"),
                     ("--listen", f"ssl:990:privateKey={self.cert}",
                      "--listen", f"ssl:991:privateKey={other}")]:
            error = self.assertRaises(usage.UsageError, parse, *args)
            self.assertTrue(str(error).startswith(
                "--listen: 'ssl:99"), str(error))
            self.assertIn("names a certificate or key that would not be "
                          "read", str(error))
        relative = os.path.relpath(self.cert)
        for args in [("--tls-cert", self.cert, "--listen",
                      f"ssl:990:privateKey={relative}:certKey={self.cert}"),
                     ("--listen", f"ssl:990:privateKey={self.cert}",
                      "--listen", "ssl:991",
                      "--listen", f"ssl:992:privateKey={relative}")]:
            self.assertEqual(self.chain(*args), self.pem(self.cert))

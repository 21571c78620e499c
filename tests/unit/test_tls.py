"""
Tests for L{ftpkit.control.tls}: contexts from PEM files and the TLS options.
(The FTPS integration tests are in L{tests.integration.test_tls_clients},
L{tests.integration.test_tls_datasecurity},
L{tests.integration.test_tls_programs} and the other
C{tests/integration/test_tls_*} modules.)
"""

import datetime
import os

from cryptography.hazmat.primitives import serialization
from OpenSSL import SSL
from twisted.internet.ssl import TLSVersion
from twisted.python import usage
from twisted.trial import unittest

from ftpkit import compat
from ftpkit.config import ServerConfig
from ftpkit.control.tls import (
    FTPSContextFactory,
    TLSConfigurationError,
    TLSOptionsMixin,
    contextFromEndpointStrings,
    describeTLSError,
    freshTicketsMissing,
    loadCertificateAndKey,
    makeContextFactory,
    tlsConfigFields,
)
from tests.tlssupport import _PEM, Certificates, makeCertificate


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
            "tlsRequiredForAnonymous": True, "tlsRequireSessionReuse": False,
            "tlsAllowCCC": False, "tlsAllowUploadEOF": False})
        ServerConfig(**fields)

    def test_allowTLS13(self):
        """
        C{--tls-allow-1.3} lifts the TLS 1.2 ceiling, which is the default.
        """
        default = self.fields("--tls-cert", self.both)["tlsContextFactory"]
        self.assertEqual(default.maximumVersion, TLSVersion.TLSv1_2)
        lifted = self.fields("--tls-cert", self.both, "--tls-allow-1.3")
        self.assertIsNone(lifted["tlsContextFactory"].maximumVersion)

    def test_freshTicketsMissing(self):
        """
        Session reuse under TLS 1.3 without a way to send new tickets is
        told (a warning at start); under TLS 1.2, without the option, or
        with the way, it is not.
        """
        lifted = self.fields("--tls-cert", self.both, "--tls-allow-1.3")
        default = self.fields("--tls-cert", self.both)
        self.patch(compat, "newSessionTicketAvailable", lambda: False)
        self.assertTrue(freshTicketsMissing(lifted["tlsContextFactory"],
                                            True))
        self.assertFalse(freshTicketsMissing(lifted["tlsContextFactory"],
                                             False))
        self.assertFalse(freshTicketsMissing(default["tlsContextFactory"],
                                             True))
        self.assertFalse(freshTicketsMissing(None, True))
        self.patch(compat, "newSessionTicketAvailable", lambda: True)
        self.assertFalse(freshTicketsMissing(lifted["tlsContextFactory"],
                                             True))

    def test_all(self):
        fields = self.fields("--tls-cert", self.cert, "--tls-key", self.key,
                             "--tls-required", "--tls-anonymous-exempt",
                             "--tls-require-session-reuse", "--tls-allow-ccc",
                             "--tls-allow-upload-eof")
        self.assertIsInstance(fields["tlsContextFactory"],
                              FTPSContextFactory)
        self.assertTrue(fields["tlsAllowCCC"])
        self.assertTrue(fields["tlsAllowUploadEOF"])
        self.assertTrue(fields["tlsRequired"])
        self.assertFalse(fields["tlsRequiredForAnonymous"])
        self.assertTrue(fields["tlsRequireSessionReuse"])

    def test_anonymousExemptWithoutRequired(self):
        """
        C{--tls-anonymous-exempt} exempts anonymous users from
        C{--tls-required}; without it, it was accepted and did nothing.
        """
        self.assertUsage("--tls-anonymous-exempt: needs --tls-required",
                         "--tls-cert", self.both, "--tls-anonymous-exempt")

    def test_allowCCCWithoutCert(self):
        self.assertUsage("--tls-allow-ccc: needs --tls-cert", "--tls-allow-ccc")

    def test_allowUploadEOFWithoutCert(self):
        """
        C{--tls-allow-upload-eof} needs TLS (a certificate or an C{ssl:}
        listener); with an C{ssl:} listener alone it is taken.
        """
        self.assertUsage("--tls-allow-upload-eof: needs --tls-cert",
                         "--tls-allow-upload-eof")
        fields = self.fields("--listen", "ssl:990:privateKey=" + self.both,
                             "--tls-allow-upload-eof")
        self.assertTrue(fields["tlsAllowUploadEOF"])

    def test_allowTLS13WithoutCert(self):
        """
        C{--tls-allow-1.3} without a certificate is a usage error, as the
        other TLS options are: it was accepted and did nothing, so an
        operator who meant to turn TLS on did not learn it stayed off.
        """
        self.assertUsage("--tls-allow-1.3: needs --tls-cert", "--tls-allow-1.3")

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



class DescribeTLSErrorTests(unittest.TestCase):
    """
    L{describeTLSError}: the text a failed handshake is logged with.
    """

    def test_reasons(self):
        """
        OpenSSL's reasons, the last of each (library, function, reason).
        """
        error = SSL.Error([("SSL routines", "", "unsupported protocol"),
                           ("SSL routines", "f", "no shared cipher")])
        self.assertEqual(describeTLSError(error),
                         "unsupported protocol; no shared cipher")

    def test_noReasons(self):
        """
        An error without OpenSSL's list gives its own text, or says it
        has none.
        """
        self.assertEqual(describeTLSError(SSL.Error("odd")), "odd")
        self.assertEqual(describeTLSError(SSL.Error()), "no reason given")
        self.assertEqual(describeTLSError(SSL.Error([])), "no reason given")

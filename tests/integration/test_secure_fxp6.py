"""
Secure FXP between two servers on C{::1}: C{CPSV}, like C{PASV}, cannot
name an IPv6 address (C{522} there), so C{FEAT} leaves it out on an IPv6
control connection, and lftp, which skips C{SSCN} wherever C{FEAT} lists
C{CPSV} and then sends C{EPSV} instead, asks the passive end for
C{SSCN ON}: the copy's data connection has one TLS client.
"""

import ftplib

from twisted.trial import unittest

from tests.ftpclient import ftplibLogin
from tests.integration.test_classic_transfers import ClassicClientsMixin
from tests.integration.test_secure_fxp import (
    LFTP,
    LftpMirrorMixin,
    TwoServersMixin,
)
from tests.ipv6 import hasIPv6
from tests.tlssupport import clientContext


class IPv6TwoServersMixin(TwoServersMixin):
    """
    L{TwoServersMixin}'s servers listening on C{::1}.
    """

    def setUp(self):
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        TwoServersMixin.setUp(self)

    def serve(self, root, **settings):
        from ftpkit.auth.realms import FilesystemRealm
        from ftpkit.config import ServerConfig
        from tests.tlssupport import makeContextFactory

        settings.setdefault("loginFailureDelay", 0)
        settings.setdefault("tlsContextFactory",
                            makeContextFactory(self.both))
        return self.startServer(FilesystemRealm(root),
                                ServerConfig(**settings), interface="::1")


class FeatureTests(IPv6TwoServersMixin, unittest.TestCase):
    """
    C{FEAT} and C{CPSV} on an IPv6 control connection.
    """

    def test_feat(self):
        """
        On C{::1}, C{FEAT} lists C{SSCN} but not C{CPSV}, which gets
        C{522} as C{PASV} does.
        """
        def check():
            client = ftplibLogin(
                self, self.server.port, host="::1",
                client=ftplib.FTP_TLS(context=clientContext()),
                protect=True, binary=True)
            try:
                features = client.sendcmd("FEAT").splitlines()
                with self.assertRaises(ftplib.error_perm) as refused:
                    client.sendcmd("CPSV")
            finally:
                client.close()
            return features, str(refused.exception)

        def checked(result):
            features, refusal = result
            self.assertIn(" SSCN", features)
            self.assertNotIn(" CPSV", features)
            self.assertTrue(refusal.startswith("522"), refusal)

        return self.inThread(check).addCallback(checked)


class LftpSecureFxp6Tests(IPv6TwoServersMixin, LftpMirrorMixin,
                          ClassicClientsMixin, unittest.TestCase):
    """
    lftp's C{mirror} between two servers on C{::1} over FTPS, with its
    defaults: C{SSCN ON} on the passive end, C{EPSV} and C{EPRT}.
    """

    if LFTP is None:
        skip = "lftp is not installed"

    timeout = 120
    urlHost = "[::1]"

    async def test_mirror(self):
        """
        The tree arrives whole through C{SSCN ON}, C{EPSV} and C{EPRT};
        C{CPSV} is never sent.
        """
        log = await self.mirror("")
        for sent in ["---> SSCN ON", "---> EPSV", "---> EPRT |2|::1|"]:
            self.assertIn(sent, log)
        self.assertNotIn("---> CPSV", log)

"""
PHP's ftp extension (Debian's php-cli; what WordPress's FTP filesystem
uses) through the scenario of L{tests.clientscenario}: C{ftp_connect} and
C{ftp_ssl_connect} (explicit FTPS, C{PROT P}, resuming the control
connection's TLS session), C{ftp_pasv} both ways (PASV or EPSV, PORT or
EPRT), C{ftp_rawlist}, C{ftp_nlist}, C{ftp_mlsd}, C{ftp_size},
C{ftp_mdtm}, C{ftp_chmod} (C{SITE CHMOD}), C{ftp_mkdir}, C{ftp_rmdir},
C{ftp_alloc}, C{ftp_nb_get} resuming a local file, C{ftp_fget} from an
offset, C{ftp_put} with C{FTP_AUTORESUME}, C{ftp_fput}, C{ftp_append};
IPv6 and C{--workers 2}.
"""

import shutil

from twisted.trial import unittest

from tests.clientscenario import (
    BIG,
    NetFTPScenarioTests,
)
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tlssupport import FTPSTestsMixin

PHP = shutil.which("php")


class PHPFTPTests(NetFTPScenarioTests, FTPSTestsMixin, unittest.TestCase):
    """
    The scenario with PHP's ftp functions, in clear and under explicit
    FTPS (PHP has no implicit FTPS), passive and active, IPv4 and IPv6,
    one process and several.
    """

    timeout = 180

    def setUp(self):
        if PHP is None:
            raise unittest.SkipTest("php is not installed (php-cli)")
        self.prepareScenario()
        self.local = scratchDirectory(self)

    async def scenario(self, host, security, data, port=None):
        """
        Run the whole scenario and check what the client saw and left.
        """
        events = await self.driven(PHP, "php_drive.php", host, security,
                                   data, port)
        self.assertNetFTPSteps(events, BIG)
        self.assertEntries(self.step(events, "mlsd")["entries"])
        self.assertTrue(
            self.step(events, "mfmt")["reply"][0].startswith("213 "))
        self.assertEqual(self.step(events, "chmod")["mode"], 0o600)
        empty = self.step(events, "emptylist")
        self.assertEqual(([entry[0] for entry in empty["mlsd"]],
                          empty["nlst"], empty["rawlist"]),
                         ([".", ".."], [], []))
        self.assertUploads()

    async def test_explicitPassive(self):
        """
        C{ftp_ssl_connect}, PASV.
        """
        self.serve()
        await self.scenario("127.0.0.1", "explicit", "passive")

    async def test_explicitActive(self):
        """
        C{ftp_ssl_connect}, active (PORT; the server connects under TLS).
        """
        self.serve()
        await self.scenario("127.0.0.1", "explicit", "active")

    async def test_workersSessionReuse(self):
        """
        C{ftp_ssl_connect} against C{--workers 2} requiring session reuse,
        TLS 1.3 offered: PHP resumes the control connection's session.
        """
        server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:secret",
            "--workers", "2", "--tls-cert", self.both, "--tls-allow-1.3",
            "--tls-require-session-reuse"])
        server.waitForLog(" ready\n", 2)
        await self.scenario("127.0.0.1", "explicit", "passive", server.port)

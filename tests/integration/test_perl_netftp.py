"""
Perl's Net::FTP (libnet 3, in Perl's core; FTPS through Debian's
libio-socket-ssl-perl) through the scenario of L{tests.clientscenario}:
C{dir} and C{ls}, C{get} with an offset appending to a local file,
C{put}, C{append}, C{restart} + C{put}, C{rename}, C{mdtm}, C{size},
C{site}, C{quot} (MFMT), C{mkdir}/C{rmdir}/C{delete}; passive and active
(PASV or EPSV, PORT or EPRT), explicit (C{starttls}, C{prot}) and implicit
(C{SSL => 1}) FTPS, IPv6 and C{--workers 2}.

Net::FTP does not resume the control connection's TLS session on its data
connections, so it cannot work under C{--tls-require-session-reuse} (off
by default).
"""

import shutil
import subprocess

from twisted.trial import unittest

from tests.clientscenario import (
    NetFTPScenarioTests,
)
from tests.ipv6 import hasIPv6
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tlssupport import FTPSTestsMixin

PERL = shutil.which("perl")


def hasSSL():
    """
    @return: whether Perl has IO::Socket::SSL, which Net::FTP's FTPS
        needs.
    """
    return subprocess.run([PERL, "-MIO::Socket::SSL", "-e", "1"],
                          capture_output=True).returncode == 0


class NetFTPTests(NetFTPScenarioTests, FTPSTestsMixin, unittest.TestCase):
    """
    The scenario with Net::FTP, in clear and under FTPS, passive and
    active, IPv4 and IPv6, one process and several.
    """

    timeout = 180

    def setUp(self):
        if PERL is None:
            raise unittest.SkipTest("perl is not installed")
        self.prepareScenario()
        self.local = scratchDirectory(self)

    async def scenario(self, host, security, data, port=None):
        """
        Run the whole scenario and check what the client saw and left.
        """
        if security != "plain" and not hasSSL():
            raise unittest.SkipTest(
                "IO::Socket::SSL is missing (libio-socket-ssl-perl)")
        events = await self.driven(PERL, "perl_drive.pl", host, security,
                                   data, port)
        self.assertNetFTPSteps(events, "5000000")
        self.assertEqual(self.step(events, "mfmt")["code"], 2)
        self.assertEqual(self.step(events, "chmod")["code"], 2)
        self.assertEqual(self.step(events, "emptylist"),
                         {"step": "emptylist", "rawlist": [], "nlst": []})
        self.assertUploads()

    async def test_explicitPassiveIPv6(self):
        """
        C{starttls} and C{prot('P')} on ::1: EPSV.
        """
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        self.serve(interface="::1")
        await self.scenario("::1", "explicit", "passive")

    async def test_implicitActive(self):
        """
        C{SSL => 1}: implicit FTPS, active (the server connects under TLS).
        """
        self.serveImplicit()
        await self.scenario("127.0.0.1", "implicit", "active")

    async def test_workers(self):
        """
        Explicit FTPS, PASV, against C{--workers 2}.
        """
        server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:secret",
            "--workers", "2", "--tls-cert", self.both])
        server.waitForLog(" ready\n", 2)
        await self.scenario("127.0.0.1", "explicit", "passive", server.port)

"""
Ruby's Net::FTP (the net-ftp gem Debian's C{ruby} comes with) through the
scenario of L{tests.clientscenario}: C{list}, C{nlst}, C{mlsd},
C{getbinaryfile} (with C{resume}: C{REST} from the local file's size),
C{retrbinary} from an offset, C{size}, C{mtime}, C{putbinaryfile} (with
C{resume}: C{SIZE}, then C{APPE} of the rest), C{storbinary} with
C{APPE}, C{rename}, C{MFMT}, C{SITE CHMOD}, C{mkdir}/C{rmdir}/C{delete};
passive and active (PASV or EPSV, PORT or EPRT), explicit FTPS (its data
connections resume the control connection's TLS session), IPv6 and
C{--workers 2}. net-ftp 0.1.3 (Ruby 3.1) has no implicit FTPS.
"""

import shutil
import subprocess

from twisted.trial import unittest

from tests.clientscenario import (
    BIG,
    NetFTPScenarioTests,
)
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tlssupport import FTPSTestsMixin

RUBY = shutil.which("ruby")


def missingNetFTP():
    """
    @return: why Ruby's Net::FTP cannot run here, or C{None} when it can.
    """
    if RUBY is None:
        return "ruby is not installed (Debian's ruby)"
    done = subprocess.run([RUBY, "-rnet/ftp", "-e", "1"],
                          capture_output=True, timeout=60)
    if done.returncode != 0:
        return "Ruby has no net/ftp (the net-ftp gem): %s" % (
            done.stderr.decode("utf-8", "replace").strip(),)
    return None


class RubyNetFTPTests(NetFTPScenarioTests, FTPSTestsMixin, unittest.TestCase):
    """
    The scenario with Net::FTP, in clear and under FTPS, passive and
    active, IPv4 and IPv6, one process and several.
    """

    timeout = 180

    def setUp(self):
        missing = missingNetFTP()
        if missing:
            raise unittest.SkipTest(missing)
        self.prepareScenario()
        self.local = scratchDirectory(self)

    async def scenario(self, host, security, data, port=None):
        """
        Run the whole scenario and check what the client saw and left.
        """
        events = await self.driven(RUBY, "ruby_drive.rb", host, security,
                                   data, port)
        self.assertNetFTPSteps(events, str(BIG))
        self.assertEntries(self.step(events, "mlsd")["entries"])
        self.assertEqual(self.step(events, "mfmt")["code"], 2)
        self.assertEqual(self.step(events, "chmod")["code"], 2)
        self.assertEqual(self.step(events, "emptylist"),
                         {"step": "emptylist", "rawlist": [], "nlst": []})
        self.assertUploads()

    async def test_explicitActive(self):
        """
        Explicit FTPS, active (PORT; the server connects, Ruby starts TLS
        on the connection it accepted).
        """
        self.serve()
        await self.scenario("127.0.0.1", "explicit", "active")

    async def test_workersSessionReuse(self):
        """
        Explicit FTPS, PASV, against C{--workers 2} requiring session
        reuse, TLS 1.3 offered.
        """
        server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:secret",
            "--workers", "2", "--tls-cert", self.both, "--tls-allow-1.3",
            "--tls-require-session-reuse"])
        server.waitForLog(" ready\n", 2)
        await self.scenario("127.0.0.1", "explicit", "passive", server.port)

"""
Node's basic-ftp (from the npm registry; C{.ci/run} installs it and names
its C{node_modules} in C{FTPKIT_NODE_MODULES}) through the scenario of
L{tests.clientscenario}: MLSD and LIST parsing, C{downloadTo} with
C{startAt}, C{size}, C{lastMod}, C{ensureDir}, C{appendFrom}, C{rename},
C{remove}, C{uploadFromDir}/C{downloadToDir}/C{removeDir}; EPSV and
PASV (it has no active mode), explicit and implicit FTPS resuming the
control connection's TLS session (so under
C{--tls-require-session-reuse} too), IPv6, C{--workers 2}.
"""

import os
import shutil

from twisted.trial import unittest

from tests.clientscenario import (
    BIG,
    DRIVERS,
    ScenarioChecks,
    drive,
)
from tests.clienttrees import treeDigest, writeTree
from tests.ipv6 import hasIPv6
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tlssupport import FTPSTestsMixin

NODE = shutil.which("node")
TREE = {
    "a.txt": b"a\n",
    "empty.bin": b"",
    "sub dir [1]/\u00fc/\u20ac x.txt": b"x\n",
    "sub dir [1]/r.bin": os.urandom(300000),
}
"""The local tree C{uploadFromDir} sends (an empty directory too)."""


def nodeModules():
    """
    @return: the C{node_modules} directory holding basic-ftp, or C{None}.
    """
    path = os.environ.get("FTPKIT_NODE_MODULES")
    if path and os.path.isdir(os.path.join(path, "basic-ftp")):
        return path
    return None


class BasicFtpTests(ScenarioChecks, FTPSTestsMixin, unittest.TestCase):
    """
    The scenario with basic-ftp, in clear and under FTPS, EPSV and PASV,
    IPv4 and IPv6, one process and several.
    """

    timeout = 180

    def setUp(self):
        if NODE is None:
            raise unittest.SkipTest("node is not installed")
        self.modules = nodeModules()
        if self.modules is None:
            raise unittest.SkipTest(
                "basic-ftp is not installed: npm install --prefix DIR "
                "basic-ftp, then FTPKIT_NODE_MODULES=DIR/node_modules "
                "(.ci/run does)")
        self.prepareScenario()
        self.local = scratchDirectory(self)
        writeTree(os.path.join(self.local, "tree"), TREE, "emptydir")

    async def runDriver(self, host, security, data, port=None, *extra):
        """
        Run the driver against C{self.server}.

        @return: what L{drive} gives.
        """
        return await drive(NODE, [
            os.path.join(DRIVERS, "basicftp_drive.js"), host,
            str(port or self.server.port), security, data, self.local,
            *extra], env={"NODE_PATH": self.modules})

    async def scenario(self, host, security, data, port=None):
        """
        Run the whole scenario and check what the client saw and left.
        """
        result = await self.runDriver(host, security, data, port)
        events = result[0]
        self.assertCompleted(*result)
        self.assertDownloads(events)
        self.assertEntries(self.step(events, "mlsd")["entries"])
        # Its LIST parser keeps the date as text only.
        self.assertEntries(self.step(events, "list")["entries"],
                           dates=False)
        self.assertEqual(self.step(events, "sizes"),
                         {"step": "sizes", "size": BIG,
                          "lastMod": "2019-03-04 05:06"})
        self.assertEqual(self.step(events, "pwd")["path"], "/up [x] \u00fc")
        self.assertEqual(self.step(events, "size")["appended"], BIG)
        self.assertEqual(self.step(events, "mdtm")["lastMod"],
                         "2020-01-02 03:04")
        self.assertEqual(self.step(events, "emptylist")["mlsd"], [])
        self.assertUploads(restarted=False)
        back = os.path.join(self.local, "back")
        self.assertEqual(treeDigest(back),
                         treeDigest(os.path.join(self.local, "tree")))
        self.assertTrue(os.path.isdir(os.path.join(back, "emptydir")))
        self.assertFalse(os.path.exists(os.path.join(self.root, "tree")))

    async def test_plainEPSV(self):
        """
        In clear, EPSV (its default).
        """
        self.serve()
        await self.scenario("127.0.0.1", "plain", "epsv")

    async def test_explicitPASV(self):
        """
        Explicit FTPS, PASV.
        """
        self.serve()
        await self.scenario("127.0.0.1", "explicit", "passive")

    async def test_explicitIPv6(self):
        """
        Explicit FTPS on ::1.
        """
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        self.serve(interface="::1")
        await self.scenario("::1", "explicit", "epsv")

    async def test_implicit(self):
        """
        Implicit FTPS.
        """
        self.serveImplicit()
        await self.scenario("127.0.0.1", "implicit", "epsv")

    async def test_workersSessionReuse(self):
        """
        Explicit FTPS against C{--workers 2} requiring session reuse,
        TLS 1.3 offered: basic-ftp resumes the session, a new ticket each
        time.
        """
        server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:secret",
            "--workers", "2", "--tls-cert", self.both, "--tls-allow-1.3",
            "--tls-require-session-reuse"])
        server.waitForLog(" ready\n", 2)
        await self.scenario("127.0.0.1", "explicit", "epsv", server.port)

    async def test_emptyUploads(self):
        """
        Ten empty uploads under C{PROT P}, each ending as its handshake
        completes: each is a file (it got C{426}, about 7 in 10, when the
        C{150} came before the handshake was done:
        tests/integration/test_tls_handshakefirst.py).
        """
        self.serve()
        result = await self.runDriver("127.0.0.1", "explicit", "epsv", None,
                                      "empties")
        self.assertCompleted(*result)
        self.assertEqual(
            sorted(name for name in os.listdir(self.root)
                   if name.startswith("empty")),
            sorted(f"empty{i}.bin" for i in range(10)))

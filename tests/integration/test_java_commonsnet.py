"""
Apache commons-net (Debian's libcommons-net-java, Java 17): C{FTPClient}
and C{FTPSClient} (explicit and implicit) through the scenario of
L{tests.clientscenario}: its C{listFiles} parsing LIST (a year for old
files, names with spaces), C{mlistDir}/C{mlistFile}, C{retrieveFileStream}
with C{completePendingCommand}, C{setRestartOffset} both ways,
C{appendFile}, C{rename}, C{setModificationTime} (MFMT),
C{getModificationTime}, C{features()}; PASV, EPSV (C{setUseEPSVwithIPv4}),
PORT and EPRT (active on ::1); one process and C{--workers 2}.

C{setControlKeepAliveTimeout} sends C{NOOP} during a transfer and, once
its data has ended, reads one reply per C{NOOP} left unanswered before
C{completePendingCommand} reads the transfer's: ftpkit answers a C{NOOP}
at once while the data moves, so that a download the server fails is
not taken for a success.

C{FTPSClient} does not resume the control connection's TLS session on its
data connections: under C{--tls-require-session-reuse} (off by default)
its transfers fail, the client seeing a reset and the reply after it
saying why.
"""

import os
import shutil
import subprocess

from twisted.trial import unittest

from ftpkit.control.handlers.transfers import REUSE_REFUSED
from ftpkit.ops import events
from tests.clientscenario import (
    BIG,
    DRIVERS,
    ScenarioChecks,
    drive,
    sha256,
)
from tests.ipv6 import hasIPv6
from tests.serverprocess import ServerProcess
from tests.tlssupport import FTPSTestsMixin

JAVA = shutil.which("java")
JAVAC = shutil.which("javac")
JAR = "/usr/share/java/commons-net.jar"
"""Where Debian's libcommons-net-java puts the library."""
_classes = []
"""The directory the driver was compiled into, once it was."""


def compiledDriver():
    """
    Compile C{tests/clients/CommonsNetDrive.java} (once a process, into
    trial's working directory).

    @return: the class path to run it with.
    """
    if not _classes:
        classes = os.path.abspath("commonsnet-classes")
        os.makedirs(classes, exist_ok=True)
        subprocess.run(
            [JAVAC, "-d", classes, "-cp", JAR,
             os.path.join(DRIVERS, "CommonsNetDrive.java")],
            check=True, capture_output=True, timeout=120)
        _classes.append(classes)
    return JAR + os.pathsep + _classes[0]


class CommonsNetTests(ScenarioChecks, FTPSTestsMixin, unittest.TestCase):
    """
    The scenario with commons-net, in clear and under FTPS, each data
    connection mode, IPv4 and IPv6, one process and several.
    """

    timeout = 180

    def setUp(self):
        if JAVA is None or JAVAC is None:
            raise unittest.SkipTest("java and javac are not installed")
        if not os.path.exists(JAR):
            raise unittest.SkipTest(
                f"{JAR} is missing (apt-get install libcommons-net-java)")
        self.classPath = compiledDriver()
        self.prepareScenario()

    async def runDriver(self, host, security, data, port=None, *extra):
        """
        Run the driver against C{self.server}.

        @return: what L{drive} gives.
        """
        return await drive(JAVA, [
            "-cp", self.classPath, "CommonsNetDrive", host,
            str(port or self.server.port), security, data, *extra])

    async def scenario(self, host, security, data, port=None):
        """
        Run the whole scenario and check what the client saw and left.

        @return: its events.
        """
        result = await self.runDriver(host, security, data, port)
        events = result[0]
        self.assertCompleted(*result)
        self.assertDownloads(events)
        self.assertEntries(self.step(events, "list")["entries"])
        self.assertEntries(self.step(events, "mlsd")["entries"])
        self.assertEqual(self.step(events, "mlst")["entries"][0][:3],
                         ["/seed/big.bin", BIG, "file"])
        self.assertEqual(len(self.step(events, "nlst")["names"]), 7)
        self.assertEqual(self.step(events, "stream")["sha256"],
                         sha256(self.big))
        self.assertEqual(self.step(events, "pwd")["path"],
                         "/up [x] \u00fc")
        self.assertEqual(self.step(events, "size"),
                         {"step": "size", "appended": "5000000",
                          "restarted": "5000000"})
        # setRestartOffset(SIZE) then appendFile: REST + APPE (503 before).
        self.assertEqual(self.step(events, "restappend"),
                         {"step": "restappend", "size": "5000000",
                          "sha256": sha256(self.big)})
        self.assertEqual(self.step(events, "mdtm")["instant"],
                         "2020-01-02T03:04:05Z")
        empty = self.step(events, "emptylist")
        self.assertEqual(empty["list"], [])
        self.assertEqual([entry[0] for entry in empty["mlsd"]], [".", ".."])
        self.assertUploads()
        return events

    async def test_plainPassive(self):
        """
        In clear, PASV. LIST's old file shows its year, parsed as that
        day.
        """
        self.serve()
        events = await self.scenario("127.0.0.1", "plain", "passive")
        old = [entry for entry in self.step(events, "list")["entries"]
               if entry[0] == "old.txt"]
        self.assertEqual(old[0][3], "2019-03-04 00:00")

    async def test_plainActiveIPv6(self):
        """
        In clear on ::1, active: EPRT.
        """
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        self.serve(interface="::1")
        await self.scenario("::1", "plain", "active")

    async def test_explicitEPSV(self):
        """
        Explicit FTPS, C{setUseEPSVwithIPv4}.
        """
        self.serve()
        await self.scenario("127.0.0.1", "explicit", "epsv")

    async def test_explicitActive(self):
        """
        Explicit FTPS, active (PORT; the server connects under TLS).
        """
        self.serve()
        await self.scenario("127.0.0.1", "explicit", "active")

    async def test_implicit(self):
        """
        C{FTPSClient(true)}: implicit FTPS, PASV.
        """
        self.serveImplicit()
        await self.scenario("127.0.0.1", "implicit", "passive")

    async def test_workers(self):
        """
        Explicit FTPS against C{--workers 2}.
        """
        server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:secret",
            "--workers", "2", "--tls-cert", self.both])
        server.waitForLog(" ready\n", 2)
        await self.scenario("127.0.0.1", "explicit", "passive", server.port)

    async def test_sessionReuseRequired(self):
        """
        Under C{--tls-require-session-reuse} the listing fails (the
        client sees its data connection reset) and the reply after it
        says why.
        """
        self.serve(tlsRequireSessionReuse=True)
        events, out, err, code = await self.runDriver(
            "127.0.0.1", "explicit", "passive", None, "reuse")
        self.assertEqual(code, 0, err)
        self.assertIn("SocketException",
                      self.step(events, "dataerror")["detail"])
        self.assertEqual(self.step(events, "reply")["reply"],
                         "426 " + REUSE_REFUSED)

    async def keepAlive(self, name):
        """
        Download C{seed/NAME} with a control keep-alive of 1 s, at 1 MB a
        second, the file cut to half its size once the download has
        started (its C{150}), so that the server ends it with C{451}.

        @return: the driver's events.
        """
        path = os.path.join(self.root, "seed", name)
        size = os.path.getsize(path)

        def cut(event):
            if event.code == 150:
                os.truncate(path, size // 2)
        self.server.factory.events.subscribe(cut, [events.REPLY])
        result = await self.runDriver(
            "127.0.0.1", self.security, "passive", None, "keepalive",
            "seed/" + name)
        self.assertEqual(result[3], 0, result[2])
        return result[0]

    def checkKeptAlive(self, events):
        """
        The download the server cut comes back as a failure with its
        C{451}, after the C{NOOP}s' replies; the session goes on.
        """
        got = self.step(events, "keepalive")
        self.assertFalse(got["ok"], got)
        self.assertTrue(got["reply"].startswith("451"), got)
        self.assertTrue(self.step(events, "noop")["reply"].startswith("200"))

    async def test_keepAliveFailedDownload(self):
        """
        In clear: a keep-alive C{NOOP} during a download the server cuts
        (C{451}) is answered at once, so that commons-net reads its
        C{200}, not the C{451}, as the C{NOOP}'s reply, and reports the
        download as failed. Answered after the C{451} (as vsftpd does),
        the C{451} was read for the C{NOOP} and the C{200} for the
        download: C{retrieveFile} gave C{True}.
        """
        self.security = "plain"
        self.serve(maxDownloadRate=1000000)
        self.checkKeptAlive(await self.keepAlive("big.bin"))

    async def test_keepAliveFailedDownloadTLS(self):
        """
        The same under explicit FTPS.
        """
        self.security = "explicit"
        self.serve(maxDownloadRate=1000000)
        self.checkKeptAlive(await self.keepAlive("big.bin"))

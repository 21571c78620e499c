"""
A worker of C{twistd -n ftpkit --workers 2} killed (C{SIGKILL}) while its
sessions transfer files: the acceptor writes the lines the worker could
not (L{ftpkit.deploy.inflight}). Before, the cut transfers had no line in
the log or the transfer log and no count in the metrics, and their
sessions no C{logout} line: the operator lost every trace of them.
"""

import os
import re
import urllib.request

from twisted.trial import unittest

from tests.ftpclient import ftplibLogin
from tests.integration.test_metrics import samples
from tests.integration.test_workers_processes import killWorkers
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess, freePort

READY = " ready\n"
"""What the acceptor logs when a worker is ready."""

BIG = 32 * 1024 * 1024
"""The bytes of the file downloaded: far more than the sockets between
the server and a client that stopped reading hold."""


class CutTransferTests(unittest.TestCase):
    """
    Transfers running when their worker is killed.
    """

    timeout = 120

    def setUp(self):
        try:
            import prometheus_client  # noqa: F401
        except ImportError:
            raise unittest.SkipTest("prometheus-client not installed")
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.truncate(BIG)

    def test_killedWorkerTransfersLogged(self):
        """
        A download whose client stopped reading and an upload whose
        client stopped sending, each in a worker killed with C{SIGKILL},
        each get the lines of a cut transfer: the log's failed transfer
        (C{426}) saying the worker was killed, the transfer log's C{i}
        line, a failure in C{ftpkit_transfers_total}; and their sessions
        their C{logout} lines.
        """
        xferlog = os.path.join(self.mktemp() + "-xferlog")
        metricsPort = freePort()
        server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:secret",
            "--workers", "2", "--xferlog", xferlog,
            "--metrics", f"tcp:{metricsPort}:interface=127.0.0.1"],
            twistd=True)
        server.waitForLog(READY, 2)
        downloader = ftplibLogin(self, server.port, binary=True)
        uploader = ftplibLogin(self, server.port, binary=True)
        # Each returns once the 150 came: the transfer runs.
        download = downloader.transfercmd("RETR big.bin")
        self.addCleanup(download.close)
        download.recv(65536)
        upload = uploader.transfercmd("STOR up.bin")
        self.addCleanup(upload.close)
        upload.sendall(b"u" * 100000)
        killed = killWorkers(server)
        self.assertEqual(len(killed), 2)
        server.waitForLog(READY, 4)
        log = server.waitForLog("logout from", 2)

        reasons = "|".join(f"worker {pid} killed by SIGKILL" for pid in killed)
        for command, path in [("RETR", "/big.bin"), ("STOR", "/up.bin")]:
            self.assertRegex(
                log, rf"\[ftpkit#warn\] {command} from 127\.0\.0\.1 user "
                rf"'alice' path '{path}': 426, 0 bytes in [0-9.]+ s "
                rf"\(({reasons})\)\n")
        self.assertEqual(len(re.findall(
            r"\[ftpkit#info\] logout from 127\.0\.0\.1 user 'alice': "
            r"[0-9.]+ s, 0 bytes in, 0 bytes out\n", log)), 2, log)

        with open(xferlog) as f:
            # Without the time, and the seconds, which vary.
            lines = sorted(line.split()[6:] for line in f)
        self.assertEqual(lines, [
            ["127.0.0.1", "0", "/big.bin", "b", "_", "o", "r", "alice",
             "ftp", "0", "alice", "i"],
            ["127.0.0.1", "0", "/up.bin", "b", "_", "i", "r", "alice",
             "ftp", "0", "alice", "i"]])

        with urllib.request.urlopen(
                f"http://127.0.0.1:{metricsPort}/metrics",
                timeout=20) as response:
            scraped = samples(response.read().decode())
        self.assertEqual(
            [scraped[("ftpkit_transfers_total",
                      (("command", command), ("result", result)))]
             for command in ("RETR", "STOR")
             for result in ("success", "failure")],
            [0, 1, 0, 1])

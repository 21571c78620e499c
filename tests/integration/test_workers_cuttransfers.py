"""
A worker of C{twistd -n ftpkit --workers 2} killed (C{SIGKILL}) while its
sessions transfer files: the acceptor writes the lines the worker could
not (L{ftpkit.deploy.inflight}). Before, the cut transfers had no line in
the log or the transfer log and no count in the metrics, and their
sessions no C{logout} line: the operator lost every trace of them.
"""

import json
import os
import re
import urllib.request

from twisted.trial import unittest

from ftpkit.deploy.progress import PROGRESS_PERIOD
from tests.ftpclient import ftplibLogin
from tests.integration.test_metrics import samples
from tests.integration.test_workers_processes import killWorkers
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess

READY = " ready\n"
"""What the acceptor logs when a worker is ready."""

BIG = 32 * 1024 * 1024
"""The bytes of the file downloaded: far more than the sockets between
the server and a client that stopped reading hold."""

LISTED = 3000
"""The files of the directory listed: at C{--max-download-rate 20K}, its
listing takes many seconds."""

UPLOADED = 100000
"""The bytes the upload sends before its worker dies."""


def runningTransfers(server):
    """
    @param server: a L{ServerProcess} with C{metrics=True}.
    @return: by command, the C{transfer} of each session of C{/sessions}
        running one (under C{--workers}, as each worker's last snapshot
        says).
    """
    with urllib.request.urlopen(server.metricsURL("/sessions"),
                                timeout=20) as response:
        records = json.load(response)
    return {record["transfer"]["command"]: record["transfer"]
            for record in records if record["transfer"] is not None}


def waitForProgressReports(server, commands):
    """
    Wait until each worker has told the acceptor the bytes its transfers
    moved (L{ftpkit.deploy.progress}), as its snapshots in C{/sessions}
    show: a transfer that had moved bytes at its worker's time C{T} is
    reported by a tick due by C{T + 2 * PROGRESS_PERIOD}, which runs
    before the first snapshot written after one taken that late.

    @param server: a L{ServerProcess} with C{metrics=True}.
    @param commands: the commands of the running transfers.
    """

    def each(condition):
        transfers = runningTransfers(server)
        if set(commands) <= set(transfers) and all(
                condition(command, transfers[command])
                for command in commands):
            return {command: transfers[command]["seconds"]
                    for command in commands}
        return None

    moving = server.waitFor(
        lambda: each(lambda command, transfer: transfer["bytes"] > 0),
        f"{commands} moving bytes in /sessions")
    late = server.waitFor(
        lambda: each(lambda command, transfer: transfer["seconds"]
                     >= moving[command] + 2 * PROGRESS_PERIOD),
        f"{commands} two progress periods on in /sessions")
    server.waitFor(
        lambda: each(lambda command, transfer: transfer["seconds"]
                     > late[command]),
        f"the next snapshot of {commands} in /sessions")


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
        many = os.path.join(self.root, "many")
        os.mkdir(many)
        for number in range(LISTED):
            open(os.path.join(many, f"{number:04d}" + "x" * 100), "wb").close()

    def test_killedWorkerTransfersLogged(self):
        """
        A download whose client stopped reading and an upload whose
        client stopped sending, each in a worker killed with C{SIGKILL},
        each get the lines of a cut transfer: the log's failed transfer
        (C{426}) saying the worker was killed, the transfer log's C{i}
        line, a failure in C{ftpkit_transfers_total}; and their sessions
        their C{logout} lines. Having run over a second, they say the
        bytes they moved (they said 0), and so do their sessions'
        C{logout} lines. A listing running too counts as a failed
        listing in C{ftpkit_transfers_total}, as one process counts it
        (it had no trace at all).
        """
        xferlog = os.path.join(self.mktemp() + "-xferlog")
        server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:secret",
            "--workers", "2", "--xferlog", xferlog,
            "--max-download-rate", "20K"], twistd=True, metrics=True)
        server.waitForLog(READY, 2)
        downloader = ftplibLogin(self, server.port, binary=True)
        uploader = ftplibLogin(self, server.port, binary=True)
        # Each returns once the 150 came: the transfer runs.
        download = downloader.transfercmd("RETR big.bin")
        self.addCleanup(download.close)
        download.recv(65536)
        upload = uploader.transfercmd("STOR up.bin")
        self.addCleanup(upload.close)
        upload.sendall(b"u" * UPLOADED)
        lister = ftplibLogin(self, server.port)
        listing = lister.transfercmd("MLSD many")
        self.addCleanup(listing.close)
        waitForProgressReports(server, ["RETR", "STOR", "MLSD"])
        killed = killWorkers(server)
        self.assertEqual(len(killed), 2)
        server.waitForLog(READY, 4)
        log = server.waitForLog("logout from", 3)

        reasons = "|".join(f"worker {pid} killed by SIGKILL" for pid in killed)
        moved = {}
        for command, path in [("RETR", "/big.bin"), ("STOR", "/up.bin")]:
            [moved[command]] = re.findall(
                rf"\[ftpkit#warn\] {command} from 127\.0\.0\.1 user "
                rf"'alice' path '{path}': 426, ([0-9]+) bytes in [0-9.]+ s "
                rf"\((?:{reasons})\)\n", log)
        self.assertGreater(int(moved["RETR"]), 0)
        self.assertEqual(int(moved["STOR"]), UPLOADED)
        logouts = re.findall(
            r"\[ftpkit#info\] logout from 127\.0\.0\.1 user 'alice': "
            r"[0-9.]+ s, ([0-9]+) bytes in, ([0-9]+) bytes out\n", log)
        listed = [int(sent) for received, sent in logouts
                  if sent not in ("0", moved["RETR"])]
        self.assertEqual(len(listed), 1, logouts)
        self.assertGreater(listed[0], 0)
        self.assertEqual(
            sorted(logouts),
            sorted([("0", moved["RETR"]), (str(UPLOADED), "0"),
                    ("0", str(listed[0]))]))

        with open(xferlog) as f:
            # Without the time, and the seconds, which vary; by path.
            lines = sorted((line.split()[6:] for line in f),
                           key=lambda fields: fields[2])
        self.assertEqual(lines, [
            ["127.0.0.1", moved["RETR"], "/big.bin", "b", "_", "o", "r",
             "alice", "ftp", "0", "alice", "i"],
            ["127.0.0.1", str(UPLOADED), "/up.bin", "b", "_", "i", "r",
             "alice", "ftp", "0", "alice", "i"]])

        with urllib.request.urlopen(server.metricsURL(),
                                    timeout=20) as response:
            scraped = samples(response.read().decode())
        self.assertEqual(
            [scraped[("ftpkit_transfers_total",
                      (("command", command), ("result", result)))]
             for command in ("RETR", "STOR", "MLSD")
             for result in ("success", "failure")],
            [0, 1, 0, 1, 0, 1])

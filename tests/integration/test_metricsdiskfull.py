"""
The metric files of C{--workers} (C{prometheus_client}'s multiprocess
mode) in a C{$TMPDIR} that fills up (a small C{tmpfs}, root only): a
process keeps counting, or, when it cannot keep its files at all,
serves on uncounted; it is never killed.
"""

import os
import signal
import subprocess
import sys

from twisted.trial import unittest

from tests.integration.test_diskfull import fill
from tests.smallmounts import smallFilesystem

_COUNTING = """
import os, sys
from twisted.logger import globalLogBeginner, textFileLogObserver
globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)],
                                 redirectStandardIO=False)
from ftpkit.ops import metrics
counting = metrics.processMetrics()
print(type(counting).__name__, flush=True)
sys.stdin.readline()
if isinstance(counting, metrics.ServerMetrics):
    for code in range(200, 600):
        counting._labels(counting.replies, str(code)).inc()
    for command in ("RETR", "STOR", "APPE", "STOU"):
        counting._labels(counting.duration, command).observe(1.0)
        counting._labels(counting.transfers, command, "success").inc()
print("counted", flush=True)
"""
"""A process keeping its metrics in the directory its environment names:
it makes them, says which kind it got, waits for a line, then counts
(400 reply codes, far more than a server sends)."""


class MetricFilesTests(unittest.TestCase):
    """
    A process whose multiprocess directory is on a 256 KiB file system.
    """

    timeout = 60

    def setUp(self):
        prometheus = __import__("importlib").util.find_spec(
            "prometheus_client")
        if prometheus is None:
            raise unittest.SkipTest("prometheus_client is not installed")
        self.directory = smallFilesystem(self, size="256k")

    def start(self):
        """
        Start the counting process.

        @return: its L{subprocess.Popen}, with the kind of metrics it got
            read.
        """
        here = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
        process = subprocess.Popen(
            [sys.executable, "-c", _COUNTING], cwd=here,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": here,
                 "PROMETHEUS_MULTIPROC_DIR": self.directory})
        self.addCleanup(self.end, process)
        process.kind = process.stdout.readline().strip()
        return process

    def end(self, process):
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            stream.close()

    def finish(self, process):
        """
        Let the process count, and wait for it to end.

        @return: its exit status and what it printed last.
        """
        output, errors = process.communicate(b"\n", timeout=30)
        return process.returncode, output.strip(), errors

    def test_countsOnFullDisk(self):
        """
        A process that made its metrics before the disk filled counts on:
        its first write into a page of a file that had no block yet was a
        C{SIGBUS}, which killed it (a worker died on its next transfer,
        and each one started in its place before it was ready).
        """
        process = self.start()
        self.assertEqual(process.kind, b"ServerMetrics")
        fill(self.directory)
        status, output, errors = self.finish(process)
        self.assertNotEqual(status, -signal.SIGBUS)
        self.assertEqual((status, output), (0, b"counted"), errors)

    def test_noRoomAtStart(self):
        """
        A process that finds the disk full when it makes its metrics
        counts nothing, says so once, and lives.
        """
        fill(self.directory)
        process = self.start()
        self.assertEqual(process.kind, b"UncountedMetrics")
        status, output, errors = self.finish(process)
        self.assertEqual((status, output), (0, b"counted"), errors)
        self.assertEqual(errors.count(b"cannot keep the metrics"), 1, errors)
        self.assertEqual(
            sorted(name for name in os.listdir(self.directory)
                   if name.endswith(".db")), [])

"""
A FIFO among the C{*.db} files of the multiprocess directory of
C{--workers --metrics}: the acceptor's C{/metrics} skips it, where
C{prometheus_client}'s collector opened it and waited for a writer for
good, in the acceptor's reactor (no scrape, and no login, answered).
"""

import importlib.util
import os
import urllib.request

from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.serverprocess import READY, ServerProcess
from tests.stalledpipes import HangGuard


class FifoMetricFileTests(unittest.TestCase):
    """
    C{/metrics} of an acceptor whose directory holds a FIFO named as a
    metric file.
    """

    def setUp(self):
        if importlib.util.find_spec("prometheus_client") is None:
            raise unittest.SkipTest("prometheus_client is not installed")

    def test_fifoSkipped(self):
        """
        The scrape answers, with the workers' counts, and logins go on.
        """
        directory = scratchDirectory(self)
        os.chmod(directory, 0o700)
        root = scratchDirectory(self)
        server = ServerProcess(
            self, ["--root", root, "--auth", "anonymous", "--workers", "2"],
            cwd=root, metrics=True,
            env={"PROMETHEUS_MULTIPROC_DIR": directory})
        server.waitForLog(READY, 2)
        os.mkfifo(os.path.join(directory, "counter_1.db"))
        server.login().quit()
        with urllib.request.urlopen(server.metricsURL(), timeout=20) as page:
            text = page.read().decode()
        self.assertIn("ftpkit_logins_total", text)
        server.login().quit()


class RegularFilesTests(unittest.TestCase):
    """
    L{ftpkit.ops.regularcollector.RegularFilesCollector} in this process.
    """

    def setUp(self):
        if importlib.util.find_spec("prometheus_client") is None:
            raise unittest.SkipTest("prometheus_client is not installed")

    def test_fifo(self):
        """
        A FIFO, and a directory, named as metric files are skipped; the
        regular files are read.
        """
        from prometheus_client import CollectorRegistry

        from ftpkit.ops.regularcollector import RegularFilesCollector

        HangGuard(self)
        directory = scratchDirectory(self)
        os.mkfifo(os.path.join(directory, "counter_1.db"))
        os.mkdir(os.path.join(directory, "gauge_livesum_2.db"))
        collector = RegularFilesCollector(CollectorRegistry(), directory)
        self.assertEqual(list(collector.collect()), [])

"""
C{ftpkit_partial_uploads_dropped_total} scraped from a real server's
C{/metrics}, in one process and under C{--workers 2}: a partial upload
past its lifetime, dropped at its user's C{SIZE}, is one in the
C{expired} series and one C{partial-dropped} log line.
"""

import ftplib
import os
import time

from twisted.trial import unittest

from tests.integration import test_metrics
from tests.integration.test_xferlog import startServer

NAME = "ftpkit_partial_uploads_dropped_total"


class DropScrapeTests(unittest.TestCase):
    """
    A disk root whose file C{f} has a partial upload two days old.
    """

    timeout = 120

    setUp = test_metrics.ScrapeTests.setUp
    scrape = test_metrics.ScrapeTests.scrape
    waitForSample = test_metrics.ScrapeTests.waitForSample

    def dropExpired(self, *options):
        """
        Start the server, plant the partial upload, ask C{SIZE f}: the
        drop is counted once, and logged once.
        """
        self.server, root = startServer(self, *options, metrics=True)
        if options:
            self.server.waitForLog(" ready", 2)
        self.metricsPort = self.server.metricsPort
        with open(os.path.join(root, "f"), "wb") as f:
            f.write(b"the file")
        partial = os.path.join(root, ".ftpkit-partial.f")
        with open(partial, "wb") as f:
            f.write(b"half")
        old = time.time() - 2 * 24 * 3600
        os.utime(partial, (old, old))
        before = self.scrape()
        self.assertEqual(before[(NAME, (("reason", "expired"),))], 0)
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", self.server.port, timeout=30)
        self.addCleanup(ftp.close)
        ftp.login("alice", "secret")
        ftp.voidcmd("TYPE I")
        self.assertEqual(ftp.size("f"), 8)
        ftp.quit()
        scraped = self.waitForSample(NAME, {"reason": "expired"}, 1)
        self.assertEqual(scraped[(NAME, (("reason", "file-changed"),))], 0)
        self.assertFalse(os.path.exists(partial))
        self.server.waitForLog("dropped the cut upload")
        self.assertEqual(self.server.log().count("dropped the cut upload"),
                         1)

    def test_oneProcess(self):
        """
        In one process.
        """
        self.dropExpired()

    def test_workers(self):
        """
        Under C{--workers 2}: the worker's count reaches the acceptor's
        scrape.
        """
        self.dropExpired("--workers", "2")

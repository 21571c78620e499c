"""
The series of C{--metrics} whose labels come from a set known in advance
are there at 0 from the start (L{ftpkit.ops.metrics.ServerMetrics}), in
one process and under C{--workers 2}: scraped right after the server
started, before any login, transfer or refusal, and counted once each
after one.
"""

import ftplib
import io

from twisted.trial import unittest

from ftpkit.ops import events
from ftpkit.ops.metrics import LOGIN_RESULTS, TRANSFER_RESULTS
from ftpkit.protocol.replies import REPLY_CODES
from tests.integration import test_metrics

ZERO = (
    [("ftpkit_logins_total", (("result", result),))
     for result in LOGIN_RESULTS]
    + [("ftpkit_transfers_total", (("command", command), ("result", result)))
       for command in events.TRANSFER_COMMANDS + events.LISTING_COMMANDS
       for result in TRANSFER_RESULTS]
    + [(f"ftpkit_transfer_duration_seconds_{part}", (("command", command),))
       for command in events.TRANSFER_COMMANDS
       for part in ("count", "sum")]
    + [("ftpkit_connections_refused_total", (("reason", reason),))
       for reason in ("max-connections", "max-connections-per-ip",
                      "address-not-allowed", "shutting-down")]
)
"""The series a server that has served no session yet has at 0 (and
C{no-worker}, which the probe waiting for the greeting may have been
under C{--workers}), each as a key of L{test_metrics.samples}."""

REPLIES = [("ftpkit_replies_total", (("code", str(code)),))
           for code in REPLY_CODES]
"""The replies' series, one for each code the server sends, there from
the start: at 0 but for C{220} (the greeting of the probe waiting for the
server to start)."""

GREETING = ("ftpkit_replies_total", (("code", "220"),))


def zeroSeries(registry):
    """
    @param registry: a C{CollectorRegistry} holding a new
        L{ftpkit.ops.metrics.ServerMetrics}.
    @return: the values of the series of L{ZERO} in it, by key.
    """
    return {(name, labels): registry.get_sample_value(name, dict(labels))
            for name, labels in ZERO}


class ZeroTests(test_metrics.MetricsTestCase):
    """
    L{ftpkit.ops.metrics.ServerMetrics} makes the series of L{ZERO} as it
    is made.
    """

    def test_made(self):
        """
        Every one is there, at 0, before any event; the duration
        histogram's buckets too.
        """
        from prometheus_client import CollectorRegistry

        from ftpkit.ops.metrics import ServerMetrics

        registry = CollectorRegistry()
        ServerMetrics(registry)
        self.assertEqual(zeroSeries(registry), dict.fromkeys(ZERO, 0))
        self.assertEqual(registry.get_sample_value(
            "ftpkit_connections_refused_total", {"reason": "no-worker"}), 0)
        self.assertEqual(registry.get_sample_value(
            "ftpkit_transfer_duration_seconds_bucket",
            {"command": "APPE", "le": "+Inf"}), 0)
        self.assertEqual(
            {code: registry.get_sample_value("ftpkit_replies_total",
                                             {"code": str(code)})
             for code in REPLY_CODES}, dict.fromkeys(REPLY_CODES, 0))
        self.assertIsNone(registry.get_sample_value(
            "ftpkit_replies_total", {"code": "599"}))


class ZeroScrapeTests(unittest.TestCase):
    """
    A real server's C{/metrics}, scraped right after it started.
    """

    timeout = 120

    setUp = test_metrics.ScrapeTests.setUp
    start = test_metrics.ScrapeTests.start
    scrape = test_metrics.ScrapeTests.scrape
    waitForSample = test_metrics.ScrapeTests.waitForSample

    def checkZero(self, *options):
        """
        Start a server with C{options} and scrape it: every series of
        L{ZERO} is there at 0, and those of L{REPLIES}. Then fail a login
        and upload a file: each is counted once (under C{--workers}, the
        acceptor adds up the zeros of every process's files, and the one
        of the worker that counted), the others stay at 0.
        """
        self.start(*options)
        if options:
            self.server.waitForLog(" ready\n", 2)
        scraped = self.scrape()
        self.assertEqual({key: scraped.get(key) for key in ZERO},
                         dict.fromkeys(ZERO, 0))
        self.assertIn(("ftpkit_connections_refused_total",
                       (("reason", "no-worker"),)), scraped)
        self.assertIn(GREETING, scraped)
        self.assertEqual({key: scraped.get(key) for key in REPLIES
                          if key != GREETING},
                         {key: 0 for key in REPLIES if key != GREETING})
        failed = ftplib.FTP()
        failed.connect("127.0.0.1", self.server.port, timeout=10)
        self.addCleanup(failed.close)
        self.assertRaises(ftplib.error_perm, failed.login, "alice", "wrong")
        ftp = self.server.login("alice", "secret")
        ftp.storbinary("STOR a.bin", io.BytesIO(b"a" * 10))
        ftp.quit()
        scraped = self.waitForSample(
            "ftpkit_transfers_total",
            {"command": "STOR", "result": "success"}, 1)
        counted = {
            ("ftpkit_logins_total", (("result", "failure"),)): 1,
            ("ftpkit_logins_total", (("result", "success"),)): 1,
            ("ftpkit_transfers_total",
             (("command", "STOR"), ("result", "success"))): 1,
            ("ftpkit_transfer_duration_seconds_count",
             (("command", "STOR"),)): 1,
        }
        stored = ("ftpkit_transfer_duration_seconds_sum",
                  (("command", "STOR"),))
        expected = {key: counted.get(key, 0) for key in ZERO
                    if key != stored}
        self.assertEqual({key: scraped.get(key) for key in expected},
                         expected)

    def test_oneProcess(self):
        """
        In one process.
        """
        self.checkZero()

    def test_workers(self):
        """
        Under C{--workers 2}.
        """
        self.checkZero("--workers", "2")

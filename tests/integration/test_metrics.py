"""
Tests for C{--metrics} (L{ftpkit.ops.metrics}, L{ftpkit.ops.statuspage}): the
counters, and real scrapes of a real server with curl, parsed with
C{prometheus_client}'s parser, in one process and under C{--workers}.
"""

import ftplib
import io
import json
import os
import shutil
import signal
import subprocess
import time

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.deploy.tap import Options
from ftpkit.ops import events
from tests.serverprocess import startServer

try:
    from prometheus_client import CollectorRegistry
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    CollectorRegistry = None


def samples(text):
    """
    @param text: Prometheus text.
    @return: a C{dict} mapping C{(name, sorted label items)} to values.
    """
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = (
                sample.value)
    return found


class MetricsTestCase(unittest.TestCase):
    """
    Skips without prometheus-client.
    """

    def setUp(self):
        if CollectorRegistry is None:
            raise unittest.SkipTest("prometheus-client not installed")


class ServerMetricsTests(MetricsTestCase):
    """
    L{ServerMetrics} counts what the events say.
    """

    def test_counts(self):
        from ftpkit.ops.metrics import ServerMetrics

        registry = CollectorRegistry()
        metrics = ServerMetrics(registry)
        hub = events.EventHub()
        metrics.subscribeTo(hub)

        def publish(kind, **fields):
            hub.publish(events.Event(kind, "10.0.0.1", **fields))

        publish(events.SESSION_STARTED)
        publish(events.SESSION_STARTED)
        publish(events.SESSION_ENDED)
        publish(events.LOGIN)
        publish(events.LOGIN_FAILED)
        publish(events.LOGIN_ABANDONED)
        publish(events.LOGIN_REFUSED,
                reason="Too many sessions for this user; closing")
        publish(events.TRANSFER, command="STOR", code=226, bytes=10,
                seconds=0.2)
        publish(events.TRANSFER, command="RETR", code=426, bytes=5,
                seconds=0.02)
        publish(events.LISTING, command="LIST", code=226, bytes=7)
        publish(events.REPLY, code=230)
        publish(events.CONNECTION_REFUSED,
                reason="Too many connections from your address")
        value = registry.get_sample_value
        self.assertEqual(value("ftpkit_sessions"), 1)
        self.assertEqual(value("ftpkit_sessions_started_total"), 2)
        self.assertEqual(value("ftpkit_logins_total", {"result": "success"}),
                         1)
        self.assertEqual(value("ftpkit_logins_total", {"result": "failure"}),
                         1)
        self.assertEqual(value("ftpkit_logins_total", {"result": "refused"}),
                         1)
        self.assertEqual(
            value("ftpkit_logins_total", {"result": "abandoned"}), 1)
        self.assertEqual(value("ftpkit_transfers_total",
                               {"command": "RETR", "result": "failure"}), 1)
        self.assertEqual(value("ftpkit_transfers_total",
                               {"command": "LIST", "result": "success"}), 1)
        self.assertEqual(value("ftpkit_received_bytes_total"), 10)
        self.assertEqual(value("ftpkit_sent_bytes_total"), 12)
        self.assertEqual(value("ftpkit_transfer_duration_seconds_count",
                               {"command": "STOR"}), 1)
        self.assertEqual(value("ftpkit_transfer_duration_seconds_bucket",
                               {"command": "STOR", "le": "0.5"}), 1)
        self.assertEqual(value("ftpkit_replies_total", {"code": "230"}), 1)
        self.assertEqual(value("ftpkit_connections_refused_total",
                               {"reason": "max-connections-per-ip"}), 1)

    def test_refusalsCountedPastLogBound(self):
        """
        The log bounds a session's refusal lines
        (L{ftpkit.ops.eventlog.REFUSAL_LINES} a minute); the metrics count
        every refused command's reply all the same.
        """
        from twisted.internet.testing import MemoryReactorClock

        from ftpkit.ops.eventlog import REFUSAL_LINES
        from ftpkit.ops.metrics import ServerMetrics
        from tests.logevents import captureLogs
        from tests.memorysessions import connect, makeFactory

        registry = CollectorRegistry()
        clock = MemoryReactorClock()
        factory = makeFactory(clock)
        ServerMetrics(registry).subscribeTo(factory.events)
        logged = captureLogs(self)
        protocol, _ = connect(factory)
        protocol.dataReceived(b"USER anonymous\r\nPASS x\r\n"
                              + b"CWD x\r\n" * (REFUSAL_LINES + 50))
        # The reactor's turns, each running the lines a session may run
        # in one (LINES_PER_TURN).
        clock.advance(0)
        self.assertEqual(
            registry.get_sample_value("ftpkit_replies_total", {"code": "550"}),
            REFUSAL_LINES + 50)
        self.assertEqual(len([event for event in logged
                              if event.get("ftpkit_event") == "refusal"]),
                         REFUSAL_LINES)

    def test_transferWithoutDataConnection(self):
        """
        A transfer whose data connection never came (C{425}: cut by
        C{ABOR} while it waited) is one failed transfer, in the transfer
        log as one incomplete line (as ProFTPD writes it, lasting 0 s),
        but not in the duration histogram: it counted there as a
        transfer of 0 s. (One refused before it began, no data
        connection set up, is none: tests.integration.test_refusedtransfers.)
        """
        from twisted.internet.testing import MemoryReactorClock

        from ftpkit.ops.metrics import ServerMetrics
        from ftpkit.ops.xferlog import formatLine
        from tests.memorysessions import connect, makeFactory, replyCodes

        registry = CollectorRegistry()
        factory = makeFactory(MemoryReactorClock())
        ServerMetrics(registry).subscribeTo(factory.events)
        published = []
        factory.events.subscribe(published.append, [events.TRANSFER])
        protocol, transport = connect(factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\nPASV\r\n"
                              b"RETR /top.bin\r\n")
        protocol.dataReceived(b"ABOR\r\n")
        self.assertEqual(replyCodes(transport)[-2:], ["425", "226"])
        value = registry.get_sample_value
        self.assertEqual(value("ftpkit_transfers_total",
                               {"command": "RETR", "result": "failure"}), 1)
        self.assertEqual(value("ftpkit_transfer_duration_seconds_count",
                               {"command": "RETR"}), 0)
        [event] = published
        self.assertTrue(event.beforeData)
        self.assertRegex(formatLine(event),
                         r" 0 10\.0\.0\.1 0 /top\.bin a _ o r alice ftp 0 "
                         r"alice i\n$")

    def test_listingWithoutDataConnection(self):
        """
        A listing whose data connection never came (C{425}, C{426}: cut
        by C{ABOR} while it waited) is a failed transfer of its command
        too, as a file's is: it was counted nowhere, so listings failing
        for want of a data connection (or of a descriptor) never showed
        in C{ftpkit_transfers_total}.
        """
        from twisted.internet.testing import MemoryReactorClock

        from ftpkit.ops.metrics import ServerMetrics
        from tests.memorysessions import connect, makeFactory, replyCodes

        registry = CollectorRegistry()
        clock = MemoryReactorClock()
        factory = makeFactory(clock)
        ServerMetrics(registry).subscribeTo(factory.events)
        published = []
        factory.events.subscribe(published.append,
                                 [events.TRANSFER, events.LISTING])
        protocol, transport = connect(factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        for verb in (b"LIST", b"NLST", b"MLSD"):
            # The ABOR in a read of its own: one sent with its command
            # comes before a transfer that never began.
            protocol.dataReceived(b"PASV\r\n%s\r\n" % verb)
            protocol.dataReceived(b"ABOR\r\n")
            clock.advance(0)
        self.assertEqual(replyCodes(transport)[-9:],
                         ["227", "425", "226"] * 3)
        for verb in ("LIST", "NLST", "MLSD"):
            self.assertEqual(
                registry.get_sample_value(
                    "ftpkit_transfers_total",
                    {"command": verb, "result": "failure"}), 1)
        self.assertEqual([(event.kind, event.command, event.path)
                          for event in published],
                         [(events.LISTING, verb, "/")
                          for verb in ("LIST", "NLST", "MLSD")])
        self.assertTrue(all(event.beforeData for event in published))

    def test_reasonLabel(self):
        from ftpkit.ops.drain import SHUTTING_DOWN
        from ftpkit.ops.metrics import reasonLabel

        self.assertEqual(reasonLabel("Too many connections; try again later"),
                         "max-connections")
        self.assertEqual(reasonLabel("Address not allowed!"),
                         "address-not-allowed")
        self.assertEqual(reasonLabel(SHUTTING_DOWN), "shutting-down")


class OptionTests(MetricsTestCase):
    """
    C{--metrics} takes a server endpoint string.
    """

    def test_badEndpoint(self):
        error = self.assertRaises(usage.UsageError, Options().parseOptions,
                                  ["--metrics", "nosuch:1"])
        self.assertTrue(str(error).startswith("--metrics: bad endpoint "
                                              "'nosuch:1'"), str(error))
        self.assertNotIn("\n", str(error))

    def test_portOutOfRange(self):
        """
        A port no socket can have is a usage error naming C{--metrics}, as
        it is for C{--listen}; it was an C{OverflowError} traceback from
        C{bind} once the server started.
        """
        for description in ["tcp:99999", "tcp6:-1", "tcp:65536"]:
            error = self.assertRaises(usage.UsageError,
                                      Options().parseOptions,
                                      ["--metrics", description])
            self.assertEqual(
                str(error), f"--metrics: bad endpoint {description!r}: port "
                f"{description.split(':')[1]} is not from 0 to 65535")

    def test_config(self):
        options = Options()
        options.parseOptions(["--metrics", "tcp:9102:interface=127.0.0.1"])
        self.assertEqual(options["config"].metrics,
                         "tcp:9102:interface=127.0.0.1")


class ScrapeTests(MetricsTestCase):
    """
    A real server's C{/metrics}, scraped with curl.
    """

    timeout = 120

    def setUp(self):
        MetricsTestCase.setUp(self)
        if shutil.which("curl") is None:
            raise unittest.SkipTest("curl not installed")

    def start(self, *options):
        self.server, self.root = startServer(self, *options, metrics=True)
        self.metricsPort = self.server.metricsPort

    def scrape(self):
        done = subprocess.run(
            ["curl", "-sS", "--fail",
             f"http://127.0.0.1:{self.metricsPort}/metrics"],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr)
        return samples(done.stdout)

    def waitForSample(self, name, labels, expected):
        """
        Scrape until a sample has the expected value.

        @return: the last scrape.
        """
        key = (name, tuple(sorted(labels.items())))
        last = {}

        def check():
            last.update(self.scrape())
            return last.get(key) == expected

        self.server.waitFor(check, f"{name}{labels} == {expected}")
        return last

    def session(self):
        """
        Log in, fail a login, upload, download, refused download.
        """
        failed = ftplib.FTP()
        failed.connect("127.0.0.1", self.server.port, timeout=10)
        try:
            failed.login("alice", "wrong")
        except ftplib.error_perm:
            pass
        failed.close()
        ftp = self.server.login("alice", "secret")
        ftp.storbinary("STOR a.bin", io.BytesIO(b"a" * 1500))
        ftp.retrbinary("RETR a.bin", lambda data: None)
        try:
            ftp.retrbinary("RETR missing", lambda data: None)
        except ftplib.error_perm:
            pass
        ftp.quit()

    def checkCounts(self, scraped, sessions, logins=1):
        self.assertEqual(scraped[("ftpkit_sessions_started_total", ())],
                         sessions)
        self.assertEqual(scraped[("ftpkit_logins_total",
                                  (("result", "failure"),))], 1)
        self.assertEqual(scraped[("ftpkit_logins_total",
                                  (("result", "success"),))], logins)
        self.assertEqual(scraped[("ftpkit_transfers_total", (
            ("command", "STOR"), ("result", "success")))], 1)
        self.assertEqual(scraped[("ftpkit_received_bytes_total", ())], 1500)
        self.assertEqual(scraped[("ftpkit_sent_bytes_total", ())], 1500)
        self.assertEqual(scraped[("ftpkit_replies_total",
                                  (("code", "550"),))], 1)
        self.assertEqual(scraped[(
            "ftpkit_transfer_duration_seconds_count",
            (("command", "RETR"),))], 1)

    def test_oneProcess(self):
        self.start()
        self.session()
        scraped = self.waitForSample("ftpkit_sessions", {}, 0)
        # Two sessions, and the probe that waited for the greeting.
        self.checkCounts(scraped, 2 + 1)

    def test_scrapesNotLogged(self):
        """
        A scrape writes no line to the server's log: it wrote
        C{twisted.web}'s access log line, every few seconds under
        Prometheus, among the session events.
        """
        self.start()
        self.scrape()
        self.server.login("alice", "secret").quit()
        log = self.server.waitForLog("logout from")
        self.assertNotIn("/metrics", log)
        # The start-up line keeps the name of Twisted's site.
        self.assertRegex(log, r"\] Site starting on \d+\n")

    def test_workers(self):
        """
        Under C{--workers 2} one scrape shows the sessions of both
        workers, and connections the acceptor refused.
        """
        self.start("--workers", "2", "--max-connections-per-ip", "4")
        # The probes waiting for the greeting: one, or more where one was
        # handed to a worker too slowly for it while the workers started.
        probes = self.scrape()[("ftpkit_sessions_started_total", ())]
        self.session()
        held = [self.server.login("alice", "secret") for _ in range(4)]
        self.addCleanup(lambda: [each.close() for each in held])
        refused = ftplib.FTP()
        self.assertRaises(ftplib.error_temp, refused.connect, "127.0.0.1",
                          self.server.port, timeout=10)
        refused.close()
        scraped = self.waitForSample("ftpkit_sessions", {}, 4)
        # (The probes waiting for the greeting may have been refused
        # with "no-worker" while the workers started.)
        self.assertEqual(scraped[("ftpkit_connections_refused_total",
                                  (("reason", "max-connections-per-ip"),))],
                         1)
        for each in held:
            each.quit()
        scraped = self.waitForSample("ftpkit_sessions", {}, 0)
        self.checkCounts(scraped, probes + 2 + 4, logins=1 + 4)

    def promptly(self, name, expected, bound=1.0):
        """
        Scrape until a sample of no labels has the expected value, for at
        most C{bound} seconds (far more than the few milliseconds a worker
        takes, far less than a periodic report's interval).

        @return: the values scraped, in order.
        """
        deadline = time.monotonic() + bound
        seen = [self.scrape().get((name, ()))]
        while seen[-1] != expected and time.monotonic() < deadline:
            time.sleep(0.02)
            seen.append(self.scrape().get((name, ())))
        self.assertEqual(seen[-1], expected,
                         f"{name} within {bound} s: {seen}")
        return seen

    def test_workersSessionGaugePrompt(self):
        """
        Under C{--workers 2} a session's start and its end reach
        C{ftpkit_sessions} on the acceptor's C{/metrics} as they happen
        (each worker writes the gauge into its file at the event, and
        the acceptor reads the files when scraped): scraped right after
        the client's C{QUIT} was answered and its socket closed, it reads
        0 within a second, not after a report's interval. (Session 30's
        sweep read 1 there once: a scrape that raced the worker's reading
        of the client's close, by milliseconds.)
        """
        self.start("--workers", "2")
        self.server.waitForLog(" ready\n", 2)
        self.waitForSample("ftpkit_sessions", {}, 0)
        for _ in range(3):
            ftp = self.server.login("alice", "secret")
            self.promptly("ftpkit_sessions", 1)
            ftp.quit()
            ftp.close()
            self.promptly("ftpkit_sessions", 0)

    def listTwice(self, *options):
        """
        Start a server with C{options}, list a directory of ten files
        twice in one session, and scrape until the second listing is
        counted.

        @return: the last scrape.
        """
        self.start(*options)
        os.mkdir(os.path.join(self.root, "many"))
        for number in range(10):
            with open(os.path.join(self.root, "many", f"f{number}"),
                      "wb") as f:
                f.write(b"x")
        ftp = self.server.login("alice", "secret")
        for _ in range(2):
            ftp.retrlines("LIST many", lambda line: None)
        ftp.quit()
        return self.waitForSample("ftpkit_listing_cache_hits_total", {}, 1)

    def checkListingCache(self, scraped):
        self.assertEqual(scraped[("ftpkit_listing_cache_misses_total", ())],
                         1)
        self.assertEqual(scraped[("ftpkit_listing_cache_entries", ())], 1)
        self.assertGreater(scraped[("ftpkit_listing_cache_bytes", ())], 0)
        self.assertGreaterEqual(
            scraped[("ftpkit_listing_cache_watched_directories", ())], 1)

    def test_listingCacheOneProcess(self):
        """
        A listing read, then the same listing from the cache: a miss, a
        hit, and what the cache holds, read when scraped.
        """
        self.checkListingCache(self.listTwice())

    def test_listingCacheWorkers(self):
        """
        Under C{--workers 2} the worker's cache's values are scraped from
        the acceptor.
        """
        self.checkListingCache(self.listTwice("--workers", "2"))

    def sessionSeries(self, *options):
        """
        Start a server with C{options}, run L{session} and scrape.

        @return: the names of the series scraped, each with the names of
            its labels.
        """
        self.start(*options)
        if "--workers" in options:
            self.server.waitForLog(" ready\n", 2)
        self.session()
        scraped = self.waitForSample("ftpkit_sessions", {}, 0)
        return {(name, tuple(key for key, value in labels))
                for name, labels in scraped}

    def test_sameSeries(self):
        """
        One process and C{--workers 2} expose the same series, so that
        dashboards and alerts work with either: one process also showed
        C{prometheus_client}'s C{_created} timestamps, which its
        multiprocess mode (C{--workers}) cannot.
        """
        one = self.sessionSeries()
        workers = self.sessionSeries("--workers", "2")
        self.assertEqual(sorted(one ^ workers), [])
        self.assertNotIn(("ftpkit_logins_created", ("result",)), one)

    def test_sameSeriesWithoutCache(self):
        """
        Without the listings' cache too: its series are zero in both
        modes (one process had none, the workers zeros).
        """
        one = self.sessionSeries("--no-listing-cache")
        workers = self.sessionSeries("--no-listing-cache", "--workers", "2")
        self.assertEqual(sorted(one ^ workers), [])
        self.assertIn(("ftpkit_listing_cache_hits_total", ()), one)
        self.assertEqual(self.scrape()[("ftpkit_listing_cache_bytes", ())], 0)

    def draining(self, *options):
        """
        C{/metrics} and C{/sessions} answer while the server drains, so
        that an operator sees the transfers it waits for: start a server,
        begin an upload, send C{SIGTERM}; while the upload
        is still running, both pages answer and C{/sessions} shows it
        (both refused connections as the drain began); once it is done
        the server exits.
        """
        self.start("--shutdown-grace", "60", *options)
        if "--workers" in options:
            self.server.waitForLog(" ready\n", 2)
        up = self.server.login("alice", "secret")
        up.voidcmd("TYPE I")
        data = up.transfercmd("STOR big.bin")
        self.addCleanup(data.close)
        data.sendall(b"x" * 65536)
        self.server.signal(signal.SIGTERM)
        self.server.waitForLog("stopping: closing")
        self.server.waitFor(lambda: self.server.greeting() == b"",
                            "the FTP listener closed")
        self.scrape()

        def uploading():
            done = subprocess.run(
                ["curl", "-sS", "--fail",
                 f"http://127.0.0.1:{self.metricsPort}/sessions"],
                capture_output=True, text=True, timeout=30)
            self.assertEqual(done.returncode, 0, done.stderr)
            return [each["transfer"]["command"]
                    for each in json.loads(done.stdout)
                    if each["transfer"]] == ["STOR"]

        self.server.waitFor(uploading, "the upload in /sessions")
        data.sendall(b"y" * 65536)
        data.close()
        self.assertEqual(up.voidresp()[:3], "226")
        self.assertEqual(self.server.process.wait(60), -signal.SIGTERM)

    def test_drainingOneProcess(self):
        self.draining()

    def test_drainingWorkers(self):
        self.draining("--workers", "2")

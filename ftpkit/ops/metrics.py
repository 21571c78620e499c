"""
C{--metrics ENDPOINT}: Prometheus metrics, kept by L{ServerMetrics} (a
subscriber of the event hub) through C{prometheus_client}, and served as
text at C{/metrics} (L{ftpkit.ops.statuspage}).

Under C{--workers}, each process writes its values to files in one
directory (C{prometheus_client}'s multiprocess mode, chosen by the
C{PROMETHEUS_MULTIPROC_DIR} environment variable, which the acceptor sets
before any process imports C{prometheus_client}); the acceptor adds them
up when scraped, so one scrape covers every worker.

C{prometheus_client} is an optional dependency (the C{metrics} extra);
nothing imports it unless C{--metrics} is given.
"""

import importlib
import importlib.util
import os
import re

from twisted.logger import Logger

from ftpkit.ops import events, metricfiles
from ftpkit.ops.drain import SHUTTING_DOWN
from ftpkit.protocol.replies import REPLY_CODES

_log = Logger(namespace="ftpkit.ops.metrics")

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
"""The environment variable naming the directory of multiprocess mode."""

DURATION_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0,
                    300.0, 900.0, 3600.0)
"""Upper bounds, in seconds, of the transfer-duration histogram."""

_REASONS = {
    "Too many connections; try again later": "max-connections",
    "Too many connections from your address": "max-connections-per-ip",
    "Service not available; try again later": "no-worker",
    "Not allowed from your address": "address-not-allowed",
    SHUTTING_DOWN: "shutting-down",
}


LOGIN_RESULTS = ("success", "failure", "refused", "abandoned")
"""The values of C{ftpkit_logins_total}'s C{result} label."""

TRANSFER_RESULTS = ("success", "failure")
"""The values of C{ftpkit_transfers_total}'s C{result} label."""

RELOAD_RESULTS = ("success", "failure")
"""The values of C{ftpkit_reloads_total}'s C{result} label."""


def reasonLabel(reason):
    """
    @param reason: the text of a C{421} refusing a connection.
    @return: a short, stable label value for it (the text, lower case,
        words joined with C{-}, for reasons not known here).
    """
    known = _REASONS.get(reason)
    if known is not None:
        return known
    return re.sub(r"[^a-z0-9]+", "-", (reason or "other").lower()).strip("-")


SCRAPE_MODULES = ("prometheus_client.core", "prometheus_client.multiprocess")
"""Modules of C{prometheus_client} a scrape imports (the listings'
cache's and the dropped cut uploads' series are made with the first; the
second reads the files of C{--workers}), which its package does not
import itself."""


def preloadScrapeModules():
    """
    Import L{SCRAPE_MODULES} now, at start: once C{twistd} has switched
    to C{--uid}, the interpreter's library may no longer be readable, and
    the first scrape failed (C{500}, a C{ModuleNotFoundError} traceback
    in the log) on every scrape after it.
    """
    for name in SCRAPE_MODULES:
        importlib.import_module(name)


def multiprocess():
    """
    @return: whether this process keeps its metrics in multiprocess mode.
    """
    return MULTIPROCESS_VARIABLE in os.environ


def checkAvailable():
    """
    Check that C{prometheus_client} is installed, without importing it
    (importing it picks multiprocess mode or not, once for the process).

    @raise ValueError: when it is not.
    """
    if importlib.util.find_spec("prometheus_client") is None:
        raise ValueError("needs prometheus-client (pip install "
                         "'ftpkit[metrics]')")


class ServerMetrics:
    """
    The server's metrics, updated from session events.

    @ivar registry: the C{CollectorRegistry} they are registered in, or
        C{None} in multiprocess mode (there they are collected from the
        files).
    """

    def __init__(self, registry=None):
        """
        @param registry: see L{registry}.
        """
        from prometheus_client import Counter, Gauge, Histogram

        self.registry = registry
        self.sessions = Gauge(
            "ftpkit_sessions", "Control connections open now, and sessions "
            "whose transfer goes on after their client left.",
            registry=registry, multiprocess_mode="livesum")
        self.sessionsStarted = Counter(
            "ftpkit_sessions_started", "Control connections accepted.",
            registry=registry)
        self.logins = Counter(
            "ftpkit_logins", "Login attempts (PASS), by result.",
            ["result"], registry=registry)
        self.transfers = Counter(
            "ftpkit_transfers",
            "Data transfers (RETR, STOR, APPE, STOU, LIST, NLST, MLSD), by "
            "command and result.", ["command", "result"], registry=registry)
        self.received = Counter(
            "ftpkit_received_bytes", "Bytes received over data connections.",
            registry=registry)
        self.sent = Counter(
            "ftpkit_sent_bytes", "Bytes sent over data connections.",
            registry=registry)
        self.duration = Histogram(
            "ftpkit_transfer_duration_seconds",
            "How long file transfers took, from the data connection's "
            "opening to the final reply.", ["command"],
            buckets=DURATION_BUCKETS, registry=registry)
        self.replies = Counter(
            "ftpkit_replies", "Replies sent, by code.", ["code"],
            registry=registry)
        self.refused = Counter(
            "ftpkit_connections_refused",
            "Connections refused with 421 before their greeting, by reason.",
            ["reason"], registry=registry)
        self.reloads = Counter(
            "ftpkit_reloads",
            "SIGHUP reloads of the users file and TLS certificate, by "
            "result (failure: a file could not be used, the old one "
            "serves).", ["result"], registry=registry)
        self.reloadSucceeded = Gauge(
            "ftpkit_last_reload_successful",
            "1 if the last SIGHUP reload used every file (or none came "
            "since the start), 0 if the old users or certificate serve.",
            registry=registry, multiprocess_mode="livemin")
        self.reloadSucceeded.set(1)
        self._handlers = {
            events.SESSION_STARTED: self._sessionStarted,
            events.SESSION_ENDED: self._sessionEnded,
            events.LOGIN: self._login,
            events.LOGIN_FAILED: self._loginFailed,
            events.LOGIN_REFUSED: self._loginRefused,
            events.LOGIN_ABANDONED: self._loginAbandoned,
            events.TRANSFER: self._transfer,
            events.LISTING: self._transfer,
            events.REPLY: self._reply,
            events.CONNECTION_REFUSED: self._refused,
        }
        self._children = {}
        self._startAtZero()

    def _labels(self, metric, *values):
        """
        @param metric: one of the labelled metrics.
        @param values: its label values.
        @return: C{metric.labels(*values)}, kept: looking a child up again
            in C{prometheus_client} (a lock and the labels checked) costs
            more than counting.
        """
        key = (metric, values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*values)
        return child

    def _startAtZero(self):
        """
        Make, at 0, every series whose labels take their values from a set
        known in advance (logins by result, transfers by command and
        result, file transfers' durations by command, refusals by the
        reasons of L{_REASONS}, replies by the codes of L{REPLY_CODES}),
        as Prometheus advises: a series made only at its first event
        (C{result="failure"} at the first failed login, C{code="421"} at
        the first session turned away) was absent until then, and
        C{increase()} over it missed that first burst. Labels of no such
        set (other refusals' texts, a storage backend's own codes) stay
        as they are. Under C{--workers} each process makes them in its
        files, at 0: the acceptor's sums are 0 too.
        """
        for result in LOGIN_RESULTS:
            self._labels(self.logins, result)
        for result in RELOAD_RESULTS:
            self._labels(self.reloads, result)
        for command in events.TRANSFER_COMMANDS + events.LISTING_COMMANDS:
            for result in TRANSFER_RESULTS:
                self._labels(self.transfers, command, result)
        for command in events.TRANSFER_COMMANDS:
            self._labels(self.duration, command)
        for reason in _REASONS.values():
            self._labels(self.refused, reason)
        for code in REPLY_CODES:
            self._labels(self.replies, code)

    def subscribeTo(self, hub):
        """
        @param hub: the L{events.EventHub} whose events to count.
        """
        hub.subscribe(self, tuple(self._handlers))

    def __call__(self, event):
        """
        @param event: an L{events.Event} to count.
        """
        self._handlers[event.kind](event)

    def _sessionStarted(self, event):
        self.sessions.inc()
        self.sessionsStarted.inc()

    def _sessionEnded(self, event):
        self.sessions.dec()

    def _login(self, event):
        self._labels(self.logins, "success").inc()

    def _loginFailed(self, event):
        self._labels(self.logins, "failure").inc()

    def _loginRefused(self, event):
        self._labels(self.logins, "refused").inc()

    def _loginAbandoned(self, event):
        self._labels(self.logins, "abandoned").inc()

    def _transfer(self, event):
        self._labels(
            self.transfers, event.command,
            "success" if event.succeeded else "failure").inc()
        if event.bytes:
            counter = self.received if event.upload else self.sent
            counter.inc(event.bytes)
        if event.kind == events.TRANSFER and not event.beforeData:
            self._labels(self.duration, event.command).observe(
                event.seconds)

    def _reply(self, event):
        self._labels(self.replies, event.code).inc()

    def _refused(self, event):
        self._labels(self.refused, reasonLabel(event.reason)).inc()

    def reloaded(self, succeeded):
        """
        Count a C{SIGHUP} reload of this process.

        @param succeeded: whether every file it read could be used.
        """
        self._labels(self.reloads,
                     "success" if succeeded else "failure").inc()
        self.reloadSucceeded.set(1 if succeeded else 0)


_metrics = None


class UncountedMetrics:
    """
    The metrics of a process that cannot keep them (L{processMetrics}):
    it counts nothing, and serves on.
    """

    def subscribeTo(self, hub):
        """
        Count nothing of C{hub}'s events.

        @param hub: an L{events.EventHub}.
        """

    def reloaded(self, succeeded):
        """
        Count no reload.

        @param succeeded: whether it used every file.
        """


def processMetrics():
    """
    @return: this process's L{ServerMetrics}, made on first use: in its
        own registry (with the listings' cache's,
        L{ftpkit.ops.cachemetrics.CacheCollector}, the dropped cut
        uploads', L{ftpkit.ops.dropmetrics.DropCollector}, and the stuck
        disk calls', L{ftpkit.ops.stuckmetrics.StuckCollector}), or
        unregistered in
        multiprocess mode, where its
        files get their room first (L{metricfiles.reserveFiles}); an
        L{UncountedMetrics}, and one error logged, when the multiprocess
        directory has no room for them.
    """
    global _metrics
    if _metrics is None:
        if multiprocess():
            directory = os.environ[MULTIPROCESS_VARIABLE]
            try:
                metricfiles.reserveFiles(directory, os.getpid())
            except OSError as e:
                _log.error(
                    "cannot keep the metrics of process {pid} in "
                    "{directory}: {why}; they are not counted",
                    pid=os.getpid(), directory=directory, why=e.strerror)
                _metrics = UncountedMetrics()
            else:
                _metrics = ServerMetrics(None)
        else:
            from prometheus_client import CollectorRegistry

            from ftpkit.ops.cachemetrics import CacheCollector
            from ftpkit.ops.dropmetrics import DropCollector
            from ftpkit.ops.stuckmetrics import StuckCollector

            registry = CollectorRegistry()
            registry.register(CacheCollector())
            registry.register(DropCollector())
            registry.register(StuckCollector())
            _metrics = ServerMetrics(registry)
    return _metrics


class WithoutCreated:
    """
    A registry's metrics without the C{_created} series (the time each
    counter and histogram was made) that C{prometheus_client} adds in one
    process but cannot in multiprocess mode: one process and C{--workers}
    expose the same series.
    """

    def __init__(self, registry):
        """
        @param registry: the C{CollectorRegistry} to serve.
        """
        self._registry = registry

    def collect(self):
        """
        @return: an iterator of the registry's metric families, each
            without its C{_created} samples.
        """
        for family in self._registry.collect():
            created = family.name + "_created"
            family.samples = [sample for sample in family.samples
                              if sample.name != created]
            yield family


def expositionRegistry():
    """
    @return: the registry to serve: every process's values, collected
        from the regular files in multiprocess mode
        (L{ftpkit.ops.regularcollector}), else this process's (as
        L{WithoutCreated}).
    """
    if multiprocess():
        from prometheus_client import CollectorRegistry

        from ftpkit.ops.regularcollector import RegularFilesCollector

        registry = CollectorRegistry()
        RegularFilesCollector(registry, os.environ[MULTIPROCESS_VARIABLE])
        return registry
    return WithoutCreated(processMetrics().registry)


def countReload(succeeded):
    """
    Count a C{SIGHUP} reload in this process's metrics, where it keeps
    them (C{--metrics}).

    @param succeeded: whether every file it read could be used.
    """
    if _metrics is not None:
        _metrics.reloaded(succeeded)


def forgetProcess(pid):
    """
    A worker process ended: its share of live gauges (sessions now) no
    longer counts.

    @param pid: its process id.
    """
    if multiprocess():
        from prometheus_client.multiprocess import mark_process_dead

        mark_process_dead(pid)

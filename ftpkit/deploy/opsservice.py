"""
The services C{--metrics} adds to a process: the HTTP endpoint with
C{/metrics} and C{/sessions} (in the single process, or in the acceptor
of C{--workers}) and, under C{--workers}, the directory every process
keeps its metrics and session snapshots in.
"""

import atexit
import os
import shutil

from twisted.application import service, strports
from twisted.logger import Logger

from ftpkit.deploy.endpoints import endpointNames, servesEveryNetwork
from ftpkit.deploy.rundirs import makeRunDirectory
from ftpkit.ops import (
    cachemetrics,
    dropmetrics,
    metricfiles,
    metrics,
    stuckmetrics,
    who,
)
from ftpkit.protocol.limitkeys import DEFAULT_IPV6_PREFIX_LENGTH

_log = Logger(namespace="ftpkit.deploy.service")


class MetricsDirectory(service.Service):
    """
    A new directory for C{prometheus_client}'s multiprocess mode, named
    in the environment (so that the workers, started later, inherit it),
    and removed when the server stops, or when its process exits without
    stopping it (a port it could not listen on ended it at start), or
    by the next server when its process was killed (L{makeRunDirectory}).

    @ivar path: the directory.
    """

    def __init__(self):
        self.path = makeRunDirectory("ftpkit-metrics-")
        os.environ[metrics.MULTIPROCESS_VARIABLE] = self.path
        atexit.register(self._remove)

    def stopService(self):
        """
        Remove the directory.
        """
        service.Service.stopService(self)
        self._remove()

    def _remove(self):
        shutil.rmtree(self.path, ignore_errors=True)


def dropUnsafeDirectory(environ=os.environ):
    """
    At the start of a process that is not a worker, before its metrics
    are made: forget a C{PROMETHEUS_MULTIPROC_DIR} of its environment that
    names a directory it may not use (L{metricfiles.directoryProblem}),
    with a warning, so that the acceptor of C{--workers} makes a private
    one (L{MetricsDirectory}) and one process counts in its memory. The
    workers, started by the acceptor, wrote there as the acceptor's user
    following links: one that another user could write had a root-owned
    file overwritten with a session snapshot through a link planted for
    it; and one process given a directory that did not exist answered
    every scrape with C{500} and logged a traceback.

    @param environ: the process's environment.
    """
    directory = environ.get(metrics.MULTIPROCESS_VARIABLE)
    if directory is None:
        return
    problem = metricfiles.directoryProblem(directory)
    if problem is None:
        return
    del environ[metrics.MULTIPROCESS_VARIABLE]
    _log.warn(
        "{variable}={directory} is not used: {problem}; ftpkit keeps its "
        "metrics elsewhere (point it to a directory only this user can "
        "write, or unset it)", variable=metrics.MULTIPROCESS_VARIABLE,
        directory=directory, problem=problem)


def addMetricsServices(server, config, pool=None, factory=None,
                       worker=False, listeners=None):
    """
    Add what C{config.metrics} asks for to a process's service.

    @param server: the process's L{service.MultiService}.
    @param config: the L{ftpkit.config.ServerConfig}.
    @param pool: the acceptor's L{ftpkit.deploy.workers.WorkerPool} under
        C{--workers} (not started yet), else C{None}.
    @param factory: the L{ftpkit.control.server.FTPFactory} of a process serving
        sessions, else C{None}.
    @param worker: whether this is a worker process of C{--workers},
        which serves no endpoint (the acceptor does) but writes snapshots
        of its sessions.
    @param listeners: the service the HTTP endpoint (and the acceptor's
        metrics directory, a worker's session snapshots) go under: a
        L{ftpkit.deploy.service.Listeners}, so that a port it cannot take
        ends the process in one line, and which stops them only once the
        drain or the workers added after them have stopped, so that
        C{/metrics} and C{/sessions} answer, and count, meanwhile;
        C{server} when C{None}.
    """
    if config.metrics is None:
        return
    parent = server if listeners is None else listeners
    if worker:
        directory = os.environ.get(metrics.MULTIPROCESS_VARIABLE)
        if directory is not None:
            who.SessionSnapshots(directory, factory).setServiceParent(parent)
            if not isinstance(metrics.processMetrics(),
                              metrics.UncountedMetrics):
                for files in (cachemetrics.CacheFiles(),
                              dropmetrics.DropFiles(),
                              stuckmetrics.StuckFiles()):
                    files.subscribeTo(factory.events)
                    files.setServiceParent(parent)
        return
    if pool is not None:
        if not metrics.multiprocess():
            # Added before the endpoint and the pool, to be removed after
            # them: the workers write to it until they exit.
            MetricsDirectory().setServiceParent(parent)
        directory = os.environ[metrics.MULTIPROCESS_VARIABLE]
        metrics.processMetrics().subscribeTo(pool.events)
        if not isinstance(metrics.processMetrics(), metrics.UncountedMetrics):
            # The acceptor sweeps what a dead worker left (its drops).
            dropmetrics.DropFiles().setServiceParent(parent)
        pool.endedHooks.append(metrics.forgetProcess)
        pool.endedHooks.append(
            lambda pid: who.forgetSnapshot(directory, pid))

        def sessions():
            return who.readSnapshots(directory)
    else:

        def sessions():
            return who.sessionRecords(factory)

    warnEveryNetwork(config.metrics)
    metrics.preloadScrapeModules()
    endpoint = strports.service(config.metrics, metricsFactory(
        metrics.expositionRegistry, sessions,
        endpointNames(config.metrics),
        ipv6PrefixLength=config.ipv6PrefixLength))
    # Named in the line of a port it cannot take (Listeners).
    endpoint.option = f"--metrics {config.metrics}"
    endpoint.setServiceParent(parent)


def warnEveryNetwork(description):
    """
    Warn at start when the C{--metrics} endpoint listens on every address
    (L{servesEveryNetwork}), as a Twisted C{tcp:PORT} does: C{/sessions}
    shows the users' names, their addresses and the paths they transfer,
    without authentication, to whoever reaches it.

    @param description: the C{--metrics} endpoint string.
    """
    if servesEveryNetwork(description):
        _log.warn(
            "--metrics {endpoint} listens on every address: /sessions "
            "shows user names, client addresses and paths to any network "
            "that reaches it; add :interface=127.0.0.1 (or the address "
            "the scraper uses) to keep it off the others",
            endpoint=description)


def metricsFactory(registry, sessions, names, clock=None,
                   ipv6PrefixLength=DEFAULT_IPV6_PREFIX_LENGTH):
    """
    The factory the C{--metrics} endpoint listens with: its site, within
    the bounds of L{ftpkit.ops.httpguard}.

    @param registry: see L{ftpkit.ops.statuspage.makeSite}.
    @param sessions: see L{ftpkit.ops.statuspage.makeSite}.
    @param names: see L{ftpkit.ops.statuspage.makeSite}.
    @param clock: the L{IReactorTime} for its deadlines; the reactor when
        C{None}.
    @param ipv6PrefixLength: the bits of an IPv6 address that name its
        client, for the connections one client may hold
        (C{--ipv6-prefix-length}).
    @return: the factory.
    """
    from ftpkit.ops.httpguard import guardSite
    from ftpkit.ops.statuspage import makeSite

    return guardSite(makeSite(registry, sessions, names), clock,
                     ipv6PrefixLength)

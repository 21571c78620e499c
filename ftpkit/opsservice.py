"""
The services C{--metrics} adds to a process: the HTTP endpoint (in the
single process, or in the acceptor of C{--workers}) and, under
C{--workers}, the directory every process keeps its metrics in.
"""

import os
import shutil
import tempfile

from twisted.application import service, strports

from ftpkit import metrics


class MetricsDirectory(service.Service):
    """
    A new directory for C{prometheus_client}'s multiprocess mode, named
    in the environment (so that the workers, started later, inherit it),
    and removed when the server stops.

    @ivar path: the directory.
    """

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="ftpkit-metrics-")
        os.environ[metrics.MULTIPROCESS_VARIABLE] = self.path

    def stopService(self):
        """
        Remove the directory.
        """
        service.Service.stopService(self)
        shutil.rmtree(self.path, ignore_errors=True)


def addMetricsServices(server, config, pool=None, workerChannel=None):
    """
    Add what C{config.metrics} asks for to a process's service.

    @param server: the process's L{service.MultiService}.
    @param config: the L{ftpkit.config.ServerConfig}.
    @param pool: the acceptor's L{ftpkit.workers.WorkerPool} under
        C{--workers}, else C{None}; must not have started yet.
    @param workerChannel: not C{None} in a worker process, which serves
        no endpoint (the acceptor does).
    """
    if config.metrics is None or workerChannel is not None:
        return
    if pool is not None:
        if not metrics.multiprocess():
            MetricsDirectory().setServiceParent(server)
        processMetrics = metrics.processMetrics()
        processMetrics.subscribeTo(pool.events)
        pool.endedHooks.append(metrics.forgetProcess)
    from ftpkit.statuspage import makeSite

    strports.service(config.metrics, makeSite(
        metrics.expositionRegistry)).setServiceParent(server)

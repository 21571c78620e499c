"""
The acceptor of C{--workers} stopping its workers (L{WorkersStop}): each
told to drain its sessions, one still starting sent C{SIGTERM} at once,
those still running after their grace and L{STOP_MARGIN} killed, sooner
after a C{SIGQUIT}; and the moment the last one exited. When the acceptor
stops is the supervisor's (L{ftpkit.deploy.workers.WorkerPool}).
"""

import signal

from twisted.internet import defer

from ftpkit.deploy import workerrelay

STOP_MARGIN = 10.0
"""
Seconds the acceptor waits for its workers after their shutdown grace
before killing them.
"""


class WorkersStop:
    """
    One acceptor's stop of its workers.
    """

    def __init__(self, reactor):
        """
        @param reactor: the acceptor's reactor.
        """
        self._reactor = reactor
        self._stopped = None
        self._killer = None

    def stop(self, workers, grace):
        """
        Stop the workers: each drains its sessions, one still starting is
        given C{SIGTERM} at once; those still running after C{grace} and
        L{STOP_MARGIN} are killed.

        @param workers: the running
            L{ftpkit.deploy.workerprocess.WorkerProcess}es, the list the
            supervisor keeps (a worker that exits leaves it, then
            L{workerGone} is called).
        @param grace: the seconds their transfers may still run.
        @return: a Deferred firing once every worker exited.
        """
        if not workers:
            return defer.succeed(None)
        self._stopped = defer.Deferred()
        workerrelay.stopAll(workers)
        # A worker still starting serves nobody: stopped now, not waited
        # for until it is ready and reads the line above (the stop took
        # what was left of its start, a second on a loaded machine, or
        # the shutdown grace and STOP_MARGIN for one stuck starting).
        # Not handling SIGTERM yet, it ends by it; handling it, it tells
        # the acceptor (nothing more: the acceptor stops) and stops at
        # the line.
        workerrelay.signalAll(
            [worker for worker in workers if not worker.ready],
            signal.SIGTERM)
        killer = self._reactor.callLater(grace + STOP_MARGIN,
                                         workerrelay.signalAll, workers,
                                         signal.SIGKILL)
        self._killer = killer

        def stopped(result):
            if killer.active():
                killer.cancel()
            return result

        return self._stopped.addCallback(stopped)

    def hurry(self, workers):
        """
        The acceptor's C{SIGQUIT}: tell every worker to cut its transfers
        now and stop (L{ftpkit.deploy.workerrelay.quitAll}); those still
        running L{STOP_MARGIN} later are killed.

        @param workers: the running
            L{ftpkit.deploy.workerprocess.WorkerProcess}es.
        """
        workerrelay.quitAll(workers)
        killer = self._killer
        if killer is not None and killer.active() and (
                killer.getTime() - self._reactor.seconds() > STOP_MARGIN):
            killer.reset(STOP_MARGIN)

    def workerGone(self, workers):
        """
        A worker exited while the acceptor stops: the stop is over once
        none is left.

        @param workers: the workers still running.
        """
        if not workers and self._stopped is not None:
            stopped, self._stopped = self._stopped, None
            stopped.callback(None)

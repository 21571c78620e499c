"""
The workers the acceptor of C{--workers} retires while it runs
(L{RetiringWorkers}): one hung (a connection left unacknowledged, or a
ping unanswered, too long: L{ftpkit.deploy.handover}), one that leaves
more lines unread than its channel keeps, both killed; one signalled
alone, told to stop and left to drain. Each is handed no more
connections, and another starts once it exited
(L{ftpkit.deploy.workers.WorkerPool.workerEnded}).
"""

from ftpkit.deploy import workerrelay
from ftpkit.protocol.numbertext import decimalValue


class RetiringWorkers:
    """
    The supervisor's (L{ftpkit.deploy.workers.WorkerPool}'s) answers to
    a worker that hangs, overflows its channel or is signalled alone, as
    the L{ftpkit.deploy.workerprocess.WorkerProcess} reports it. The
    class it is mixed into gives C{log}, C{stopping()} and C{_stopping}
    (its service stopped).
    """

    def workerHung(self, worker, what, timeout):
        """
        A worker left a connection unacknowledged, or a ping unanswered,
        too long: hand it no more, and kill it
        (L{ftpkit.deploy.workers.WorkerPool.workerEnded} hands its
        unacknowledged connections to others and starts another).

        @param worker: the hung worker.
        @param what: what it did not do (L{ftpkit.deploy.handover.TAKE} or
            L{ftpkit.deploy.handover.ANSWER}).
        @param timeout: the seconds it was given.
        """
        self.log.error("worker {pid} did not {what} within {timeout} s; "
                       "killing it and starting another",
                       pid=worker.transport.pid, what=what,
                       timeout=decimalValue(timeout))
        self._kill(worker)

    def workerOverflowed(self, worker):
        """
        A worker left more lines unread than its channel keeps
        (L{ftpkit.deploy.channel.QUEUE_LIMIT}): it is hung (stopped, or
        its reactor stuck), and killed as L{workerHung} does; lines to
        it are dropped until it ended. While the server stops, its
        workers are left to finish their sessions' transfers all the
        same.

        @param worker: the worker.
        """
        if self._stopping:
            self.log.warn("worker {pid} reads nothing while it stops; "
                          "lines to it are dropped",
                          pid=worker.transport.pid)
            return
        if worker.hung:
            return
        self.log.error("worker {pid} left {count} bytes of messages unread; "
                       "killing it and starting another",
                       pid=worker.transport.pid,
                       count=worker.channel.queued())
        self._kill(worker)

    def _kill(self, worker):
        """
        Hand a hung worker no more, and kill it
        (L{ftpkit.deploy.workers.WorkerPool.workerEnded} hands its
        unacknowledged connections to others and starts another).
        """
        worker.hung = True
        workerrelay.signal(worker, "KILL")

    def workerSignalled(self, worker, name):
        """
        A worker got a signal (C{SIGTERM}) and left it to the acceptor
        (L{ftpkit.deploy.workersignals}). While the acceptor stops, or
        its own signal has come (the same signal sent to the whole
        server), nothing: its stop reaches every worker. Otherwise the
        worker was signalled alone: it is told to stop, and drains while
        the others take the new clients (another starts once it exited).

        @param worker: the worker.
        @param name: the signal's name, C{str}.
        """
        if self.stopping():
            return
        if worker.stopAsked:
            self.log.info("worker {pid}: {signal} again: already stopping, "
                          "transfers running still finish",
                          pid=worker.pid, signal=name)
            return
        worker.stopAsked = name
        self.log.info("worker {pid}: {signal}: stopping it; another starts "
                      "once it exited", pid=worker.pid, signal=name)
        workerrelay.stop(worker)

"""
When the acceptor of C{--workers} (L{ftpkit.deploy.workers}) starts another
worker in place of one that exited: at once after a worker that served,
and after a delay doubling at each failure (L{restartDelay}) after one
that died before it was ready, so that a worker failing at start (a bad
option, a missing file) is not restarted in a tight loop; at once, with
one line, after one stopped while it started (L{stopSignal}); and
after a delay too when one could not be started at all (L{Restarts.spawnFailed}).
"""

import signal

from twisted.logger import Logger

from ftpkit.protocol.numbertext import decimalValue

__all__ = ["Restarts", "restartDelay", "stopSignal", "FIRST_RESTART_DELAY",
           "LONGEST_RESTART_DELAY"]

FIRST_RESTART_DELAY = 0.5
"""Seconds before starting again a worker that died before it was ready."""

LONGEST_RESTART_DELAY = 30.0
"""The most seconds between attempts to start a failing worker."""


def restartDelay(failures, first=FIRST_RESTART_DELAY,
                 longest=LONGEST_RESTART_DELAY):
    """
    How long to wait before starting a worker again.

    @param failures: workers that died before they were ready, in a row.
    @param first: the delay after one such failure.
    @param longest: the longest delay.
    @return: seconds: 0 when no worker failed at start, else C{first}
        doubled at each further failure, at most C{longest}.
    """
    if failures <= 0:
        return 0.0
    return min(longest, first * 2 ** min(failures - 1, 32))


def stopSignal(worker, reason):
    """
    @param worker: a worker that exited.
    @param reason: the L{twisted.python.failure.Failure} it exited with.
    @return: the name of the signal that stopped it at someone's word:
        the one for which the acceptor told it to stop, else C{SIGTERM}
        when that signal ended it (its default action, before the worker
        handles it: L{ftpkit.deploy.workersignals}); else C{None}.
    """
    if worker.stopAsked:
        return worker.stopAsked
    if getattr(reason.value, "signal", None) == signal.SIGTERM:
        return "SIGTERM"
    return None


class Restarts:
    """
    The replacement of the workers that exited.

    @ivar failures: workers that died before they were ready, in a row.
    """

    log = Logger()

    def __init__(self, reactor):
        """
        @param reactor: an L{twisted.internet.interfaces.IReactorTime}.
        """
        self.reactor = reactor
        self.failures = 0
        self._pending = []

    def workerReady(self):
        """
        A worker serves: workers no longer fail at start.
        """
        self.failures = 0

    def workerEnded(self, worker, reason, start, cut=0):
        """
        Start another worker in place of one that exited, now or after
        L{restartDelay} when it never got ready.

        @param worker: the L{ftpkit.deploy.workerprocess.WorkerProcess}
            that exited.
        @param reason: the L{twisted.python.failure.Failure} it exited
            with.
        @param start: called with no argument to start another worker.
        @param cut: how many sessions it held, which ended with it.
        """
        signalled = stopSignal(worker, reason)
        if not worker.ready and signalled:
            # Told to stop by someone (SIGTERM to it alone; while the
            # server stops no worker is replaced): not a failure to
            # start, as it was counted (a delay and an error line).
            self.log.info("worker {pid} stopped ({signal}) while starting; "
                          "starting another", pid=worker.pid,
                          signal=signalled)
            start()
            return
        if not worker.ready:
            self.failures += 1
        delay = restartDelay(self.failures)
        if delay:
            self.log.error("worker {pid} exited before it was ready "
                           "({reason}); starting another in {delay} s",
                           pid=worker.pid, reason=str(reason.value),
                           delay=decimalValue(delay))
            self._pending.append(
                self.reactor.callLater(delay, self._later, start))
            return
        if worker.stopAsked:
            self.log.info("worker {pid} stopped ({signal}); {cut} "
                          "session(s) cut; starting another",
                          pid=worker.pid, signal=worker.stopAsked, cut=cut)
        elif not worker.hung:
            self.log.error("worker {pid} exited ({reason}); {cut} "
                           "session(s) cut; starting another",
                           pid=worker.pid, reason=str(reason.value), cut=cut)
        start()

    def spawnFailed(self, error, start):
        """
        A worker could not even be started (its spawn failed: no process
        or memory left under the machine's limits): try again after
        L{restartDelay}, counted as a worker that failed to start. The
        spawn's C{OSError} was a traceback, and that worker was never
        replaced.

        @param error: the spawn's C{OSError}.
        @param start: called with no argument to start another worker.
        """
        self.failures += 1
        delay = restartDelay(self.failures)
        self.log.error("cannot start a worker ({error}); trying again in "
                       "{delay} s", error=str(error),
                       delay=decimalValue(delay))
        self._pending.append(self.reactor.callLater(delay, self._later, start))

    def _later(self, start):
        """
        A delayed restart is due.

        @param start: see L{workerEnded}.
        """
        self._pending = [call for call in self._pending if call.active()]
        start()

    def cancel(self):
        """
        The server stops: start no worker that is still waiting.
        """
        for call in self._pending:
            if call.active():
                call.cancel()
        self._pending = []

"""
C{SIGTERM} and C{SIGINT} stop the server once (L{StopOnce}): the reactor's
own handlers stop it at each signal, and stopping a reactor that is
already stopping logs a critical C{ReactorNotRunning} traceback. A signal
that comes again while the server drains (an operator's second C{kill},
a terminal's C{SIGINT} reaching the workers the acceptor is stopping) is
logged and changes nothing: the transfers in flight still finish. A copy
of a signal (C{timeout} sends one to the process, then one to its group)
is part of it, and not logged (L{ftpkit.deploy.signalcopies}).

C{SIGQUIT} (a terminal's Ctrl-\\) stops the server now
(L{StopOnce.quit}): the transfers running are cut as when the shutdown
grace is over, at once, also in a drain under way, and the process exits
once they have ended (status 0 unless a C{SIGTERM} began the stop), its
pid file removed; one that comes while the server starts is held until
then (L{holdQuit}). Its default action ended the process where it stood:
no log line, the pid file left behind, the uploads in flight left as
temporary files, and under C{--workers} the workers left to finish their
transfers with no acceptor to log them.
"""

import signal

from twisted.application import service
from twisted.logger import Logger

from ftpkit.deploy.signalcopies import Copies

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
"""The signals whose handlers stop the reactor."""

QUIT = getattr(signal, "SIGQUIT", None)
"""The signal that stops the server now; C{None} where there is none."""

QUITTING = "SIGQUIT: stopping now, cutting the transfers running"
"""The log line of L{StopOnce.quit}."""

_log = Logger()


def holdQuit():
    """
    Block L{QUIT} until L{StopOnce} handles it, once the reactor runs: a
    C{SIGQUIT} while the server starts then stops it as one once it
    serves does (one line, the transfers cut, status 0, the pid file
    removed); its default action ended the process where it stood, with
    a core dump. An ignored one stays ignored. The processes the server
    starts meanwhile inherit the mask (a worker of C{--workers} ignores
    it, then unblocks it: L{ftpkit.deploy.workerprocess.WORKER_IGNORES}).
    """
    if QUIT is not None:
        signal.pthread_sigmask(signal.SIG_BLOCK, [QUIT])


class StopOnce(service.Service):
    """
    Once the reactor runs (and has installed its handlers), wraps its
    handlers of L{STOP_SIGNALS} so that only the first signal, before
    the reactor began stopping, reaches them, and handles L{QUIT}.

    @ivar stopping: whether the reactor was told to stop or began
        stopping.
    @ivar hurries: callables taking no argument that cut the transfers
        running now (L{ftpkit.ops.drain.Drain.hurry}, the acceptor's
        L{ftpkit.deploy.workers.WorkerPool.hurry}), called on L{QUIT}.
    """

    def __init__(self, reactor=None, hurries=()):
        """
        @param reactor: the reactor (the global one when C{None}).
        @param hurries: see L{hurries}.
        """
        if reactor is None:
            from twisted.internet import reactor
        self._reactor = reactor
        self.stopping = False
        self.hurries = list(hurries)
        self._copies = Copies(reactor)

    def startService(self):
        """
        Wrap the handlers once the reactor runs, and note when it begins
        stopping.
        """
        service.Service.startService(self)
        self._reactor.callWhenRunning(self.wrapHandlers)
        self._reactor.addSystemEventTrigger("before", "shutdown",
                                            self._shuttingDown)

    def _shuttingDown(self):
        self.stopping = True

    def wrapHandlers(self):
        """
        Put L{onlyOnce} around the current handler of each of
        L{STOP_SIGNALS} that is a Python callable; handle L{QUIT} unless
        it was ignored when the process started, as Twisted leaves an
        ignored C{SIGINT} alone (a shell without job control starts its
        background commands with both ignored), and unblock it
        (L{holdQuit}).
        """
        for number in STOP_SIGNALS:
            handler = signal.getsignal(number)
            if callable(handler):
                signal.signal(number, self.onlyOnce(handler))
        if QUIT is not None:
            if signal.getsignal(QUIT) == signal.SIG_DFL:
                signal.signal(QUIT, self._quitSignal)
            # Blocked while the server started (holdQuit): one that came
            # meanwhile is acted on now.
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [QUIT])

    def _quitSignal(self, number, frame):
        """
        The L{QUIT} handler: L{quit} in the reactor thread, once for the
        signal and its copies.
        """
        if not self._copies.first(number):
            return
        stopping = self.stopping
        self.stopping = True
        self._reactor.callFromThread(self.quit, stopping)

    def quit(self, stopping=False):
        """
        Stop now: cut the transfers running (L{hurries}), and stop the
        reactor unless it is stopping already (a drain under way ends
        as soon as its sessions have ended).

        @param stopping: whether the reactor was stopping already when
            the signal came.
        """
        _log.warn(QUITTING)
        for hurry in self.hurries:
            hurry()
        if not stopping:
            self._reactor.stop()

    def onlyOnce(self, handler):
        """
        @param handler: a signal handler stopping the reactor.
        @return: a signal handler calling C{handler} unless the reactor
            is stopping already, in which case it logs the signal (unless
            it is a copy of the one that stops it).
        """
        def handle(number, frame):
            if not self._copies.first(number):
                return
            if self.stopping:
                _log.info("{name} again: already stopping, transfers "
                          "running still finish",
                          name=signal.Signals(number).name)
                return
            self.stopping = True
            handler(number, frame)

        return handle

"""
C{SIGTERM} and C{SIGINT} stop the server once (L{StopOnce}): the reactor's
own handlers stop it at each signal, and stopping a reactor that is
already stopping logs a critical C{ReactorNotRunning} traceback. A signal
that comes again while the server drains (an operator's second C{kill},
a terminal's C{SIGINT} reaching the workers the acceptor is stopping) is
logged and changes nothing: the transfers in flight still finish. A copy
of a signal (C{timeout} sends one to the process, then one to its group)
is part of it, and not logged (L{ftpkit.deploy.signalcopies}).
"""

import signal

from twisted.application import service
from twisted.logger import Logger

from ftpkit.deploy.signalcopies import Copies

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
"""The signals whose handlers stop the reactor."""

_log = Logger()


class StopOnce(service.Service):
    """
    Once the reactor runs (and has installed its handlers), wraps its
    handlers of L{STOP_SIGNALS} so that only the first signal, before
    the reactor began stopping, reaches them.

    @ivar stopping: whether the reactor was told to stop or began
        stopping.
    """

    def __init__(self, reactor=None):
        """
        @param reactor: the reactor (the global one when C{None}).
        """
        if reactor is None:
            from twisted.internet import reactor
        self._reactor = reactor
        self.stopping = False
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
        L{STOP_SIGNALS} that is a Python callable.
        """
        for number in STOP_SIGNALS:
            handler = signal.getsignal(number)
            if callable(handler):
                signal.signal(number, self.onlyOnce(handler))

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

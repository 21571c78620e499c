"""
Accepting paused while a listener finds no descriptor at all for the
clients waiting, not even by giving up its spare one
(L{ftpkit.deploy.fdlimit.SpareDescriptor}): the process' limit was
lowered (C{prlimit}) below the descriptors it holds, the spare's among
them (L{AcceptPause}).

The listening socket then stays readable, its clients never accepted:
the reactor ran its accept every turn, at full CPU, and a one-process
server logged Twisted's C{Could not accept new connection (EMFILE)} at
each (441,502 lines in four seconds here). As nginx stops accepting for
a moment when C{accept} fails so, accepting stops for L{PAUSE} seconds
at a time, one line at most every L{LOG_EVERY} seconds says why, and the
clients wait in the listen queue until a descriptor is free (the limit
raised again, sessions ended), then are served.
"""

import resource

from twisted.logger import Logger

from ftpkit.protocol.numbertext import decimalValue

PAUSE = 1.0
"""Seconds a listener with no descriptor for its clients stops accepting,
before it tries again."""

LOG_EVERY = 60.0
"""Seconds between the lines saying that accepting pauses."""

STARVED = ("no descriptor free for the clients waiting, not even the "
           "spare one's (the limit of open files, {limit}, below what the "
           "server holds?): accepting paused {pause} s at a time until one "
           "is; they wait in the listen queue")
"""The line saying that accepting pauses."""


def softLimit():
    """
    @return: the process' soft C{RLIMIT_NOFILE}, for L{STARVED}.
    """
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class AcceptPause:
    """
    Stops a listener's accepting for L{PAUSE} seconds (L{pause}), then
    starts it again.
    """

    log = Logger()

    def __init__(self, reactor, stopReading, startReading, limit=softLimit):
        """
        @param reactor: provides C{IReactorTime}.
        @param stopReading: stops the listener's accepting.
        @param startReading: starts it again (and does nothing once the
            listener is closed).
        @param limit: gives the descriptor limit the line names.
        """
        self._reactor = reactor
        self._stopReading = stopReading
        self._startReading = startReading
        self._limit = limit
        self._timer = None
        self._logged = None

    def pause(self):
        """
        Stop accepting for L{PAUSE} seconds (unless paused already), and
        say so (L{STARVED}), once every L{LOG_EVERY} seconds at most.
        """
        if self._timer is not None:
            return
        self._stopReading()
        self._timer = self._reactor.callLater(PAUSE, self._resume)
        now = self._reactor.seconds()
        if self._logged is None or now - self._logged >= LOG_EVERY:
            self._logged = now
            self.log.warn(STARVED, limit=self._limit(),
                          pause=decimalValue(PAUSE))

    def _resume(self):
        """
        The pause is over: accept again.
        """
        self._timer = None
        self._startReading()

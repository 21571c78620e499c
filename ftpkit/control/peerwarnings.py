"""
The lines a client can have logged for every connection it opens and
ends at once (an HTTP request, a command line over the limit, a TLS
handshake that fails; a stranger's connection to a session's passive
port, L{ftpkit.data.refusals}): each kind gets L{LINES} a minute for
each client address, over all its connections, and the next line after
those says how many were left out; or, when the minute ends first, one
L{WARNINGS_NOT_LOGGED} line does (a client that floods and stops causes
no next line). Without it a client opening and
dropping connections as fast as it can wrote a line each to the
operator's log, as refused connections did before
L{ftpkit.ops.eventlog} throttled them.
"""

from twisted.internet.defer import succeed
from twisted.logger import Logger, LogLevel

from ftpkit.ops.logthrottle import (
    INTERVAL,
    OTHERS,
    LogThrottle,
    Summaries,
    skippedNote,
)
from ftpkit.protocol.limitkeys import DEFAULT_IPV6_PREFIX_LENGTH, limitKey

LINES = 10
"""Lines of one kind a client address gets a minute."""

ADDRESSES = 1000
"""Kinds and addresses counted apart; past them (a client of many
addresses), the rest are counted together."""

WARNINGS_NOT_LOGGED = "warnings-not-logged"
"""The C{ftpkit_event} of the line counting the lines of one kind
(C{warning_kind}) an address had left out, once its minute ended and no
later line of the kind said it. (Not C{warning}: C{twisted.logger} takes
an event with that field for a Python warning's.)"""

NOT_LOGGED = "{warning_kind} warnings from {peer} not logged: {count}"
"""The format of a L{WARNINGS_NOT_LOGGED} line."""

OTHERS_NOT_LOGGED = "warnings from other addresses not logged: {count}"
"""The format of a L{WARNINGS_NOT_LOGGED} line counting the addresses
past L{ADDRESSES}, counted together (no C{warning_kind}, no C{peer})."""

_log = Logger()


class PeerWarnings:
    """
    The server's throttle of the warnings its clients cause at will.
    """

    def __init__(self, clock, ipv6PrefixLength=DEFAULT_IPV6_PREFIX_LENGTH,
                 interval=INTERVAL):
        """
        @param clock: an C{IReactorTime}.
        @param ipv6PrefixLength: the bits of an IPv6 address that name its
            client (L{limitKey}).
        @param interval: the seconds of a window of L{LINES} (a minute;
            less in tests).
        """
        self._summaries = Summaries(
            LogThrottle(clock, interval, LINES, ADDRESSES), self._ended)
        self._prefixLength = ipv6PrefixLength
        # The level of each kind's lines (a kind is named in the code:
        # there are few), for its summary.
        self._levels = {}

    def emit(self, log, level, kind, address, text, **fields):
        """
        Log a warning about the client at C{address}, unless that address
        had L{LINES} of C{kind} in the last minute.

        @param log: the L{twisted.logger.Logger} to log with.
        @param level: its L{twisted.logger.LogLevel}.
        @param kind: what happened, a short text naming the line.
        @param address: the client's address.
        @param text: the line's format.
        @param fields: the fields C{text} names.
        """
        skipped = self._summaries.admit(
            (kind, limitKey(address, self._prefixLength)))
        if skipped is None:
            self._levels[kind] = level
        else:
            log.emit(level, text + skippedNote(skipped), **fields)

    def _ended(self, key, count):
        """
        Log a L{WARNINGS_NOT_LOGGED} line.

        @param key: C{(kind, address)} as L{emit} counted it, or
            L{OTHERS}.
        @param count: how many lines of it were left out.
        """
        if key == OTHERS:
            _log.emit(LogLevel.warn, OTHERS_NOT_LOGGED,
                      ftpkit_event=WARNINGS_NOT_LOGGED, count=count)
            return
        kind, peer = key
        _log.emit(self._levels.get(kind, LogLevel.warn), NOT_LOGGED,
                  ftpkit_event=WARNINGS_NOT_LOGGED, warning_kind=kind,
                  peer=peer, count=count)

    def stop(self):
        """
        Log the counts of lines left out now, minutes over or not, and
        drop the timer (L{ftpkit.ops.logthrottle.Summaries.stop}).
        """
        self._summaries.stop()

    def finish(self, left):
        """
        L{stop}, as one of an event hub's C{finishers} (once the sessions
        are gone, L{ftpkit.ops.drain.Drain}).

        @param left: the seconds left of the shutdown grace (unused).
        @return: a Deferred that has fired.
        """
        self.stop()
        return succeed(None)

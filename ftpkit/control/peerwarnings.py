"""
The lines a client can have logged for every connection it opens and
ends at once (an HTTP request, a command line over the limit, a TLS
handshake that fails; a stranger's connection to a session's passive
port, L{ftpkit.data.refusals}): each kind gets L{LINES} a minute for
each client address, over all its connections, and the next line after
those says how many were left out. Without it a client opening and
dropping connections as fast as it can wrote a line each to the
operator's log, as refused connections did before
L{ftpkit.ops.eventlog} throttled them.
"""

from ftpkit.ops.logthrottle import LogThrottle, skippedNote
from ftpkit.protocol.limitkeys import DEFAULT_IPV6_PREFIX_LENGTH, limitKey

LINES = 10
"""Lines of one kind a client address gets a minute."""

ADDRESSES = 1000
"""Kinds and addresses counted apart; past them (a client of many
addresses), the rest are counted together."""


class PeerWarnings:
    """
    The server's throttle of the warnings its clients cause at will.
    """

    def __init__(self, clock, ipv6PrefixLength=DEFAULT_IPV6_PREFIX_LENGTH):
        """
        @param clock: an C{IReactorTime}.
        @param ipv6PrefixLength: the bits of an IPv6 address that name its
            client (L{limitKey}).
        """
        self._throttle = LogThrottle(clock, burst=LINES, maxKinds=ADDRESSES)
        self._prefixLength = ipv6PrefixLength

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
        skipped = self._throttle.admit(
            (kind, limitKey(address, self._prefixLength)))
        if skipped is not None:
            log.emit(level, text + skippedNote(skipped), **fields)

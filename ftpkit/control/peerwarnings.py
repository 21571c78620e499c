"""
The lines a client can have logged for every connection it opens and
ends at once (an HTTP request, a command line over the limit, a TLS
handshake that fails): each kind gets L{LINES} a minute for each client
address, over all its connections, and the next line after those says
how many were left out. Without it a client opening and dropping
connections as fast as it can wrote a line each to the operator's log,
as refused connections did before L{ftpkit.ops.eventlog} throttled them.
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

    def emit(self, log, level, kind, peer, text, **fields):
        """
        Log a warning about C{peer}, unless its address had L{LINES} of
        C{kind} in the last minute.

        @param log: the L{twisted.logger.Logger} to log with.
        @param level: its L{twisted.logger.LogLevel}.
        @param kind: what happened, a short text naming the line.
        @param peer: the client's address, also given to C{text} as
            C{peer}.
        @param text: the line's format.
        @param fields: the other fields C{text} names.
        """
        skipped = self._throttle.admit(
            (kind, limitKey(peer, self._prefixLength)))
        if skipped is not None:
            log.emit(level, text + skippedNote(skipped), peer=peer,
                     **fields)

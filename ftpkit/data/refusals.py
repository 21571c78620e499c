"""
What a L{ftpkit.data.channel.DataChannel} says in the log of what it
refuses: a stranger's connection to its passive listener (L{logStranger}),
and, sparingly, the passive listeners it was refused itself
(L{RefusedListeners}); and how a refused connection ends (L{reset}).

The lines go to the channel's own logger, passed in: they keep its
namespace and source.
"""

from twisted.logger import LogLevel

from ftpkit.control.peerwarnings import LINES
from ftpkit.data.descriptors import resetOnClose
from ftpkit.errors import OutOfDescriptors

REFUSED_LISTENER_LINES = LINES
"""Log lines a client address gets a minute, over all its sessions, for
its passive listeners refused for each reason (those of the server's
L{ftpkit.control.peerwarnings.PeerWarnings})."""


STRANGER = ("refused passive data connection from {stranger} "
            "(control peer is {peer}): possible port theft")
"""The line of a stranger's connection refused."""


def reset(sock):
    """
    End a connection a passive listener refused (a stranger's, one more
    of the client's address than its C{PASV} serves, one a pooled
    listener got) with a reset, not a FIN: in stream mode a FIN is the
    end of a file, so a client whose connection lost the port to another
    from its address (a local user's, or one behind the same NAT,
    connected first) read an empty download, then the C{226} of the
    transfer the other took, and kept the empty file as its own; a reset
    is an error to every client.

    @param sock: the accepted socket, never watched by the reactor
        (closed at once).
    """
    resetOnClose(sock)
    sock.close()


def logStranger(log, address, peer, alarm=None, warnings=None):
    """
    Say that a passive data connection from a stranger was refused, and
    sound the alarm.

    @param log: the channel's L{twisted.logger.Logger}.
    @param address: the stranger's address, C{(host, port)}.
    @param peer: the control connection's peer, normalised.
    @param alarm: the server's L{ftpkit.data.theftalarm.TheftAlarm}, or
        C{None}.
    @param warnings: the server's
        L{ftpkit.control.peerwarnings.PeerWarnings}, which lets a
        stranger's address have a few lines a minute (it needs no login
        to connect as fast as it can to a port it found listening), or
        C{None} for a line each.
    """
    if alarm is not None:
        alarm.sound()
    if warnings is None:
        log.warn(STRANGER, stranger=address[0], peer=peer)
    else:
        warnings.emit(log, LogLevel.warn, "stranger", address[0], STRANGER,
                      stranger=address[0], peer=peer)


class RefusedListeners:
    """
    What a session says of the passive listeners it was refused (over its
    address's share, or with no free port), through the server's
    L{ftpkit.control.peerwarnings.PeerWarnings}: a client repeating
    C{PASV} or C{EPSV}, on one session or on as many as it opens, gets a
    few lines a minute of each kind for its address, not one each; the
    next line logged says how many were left out. (Throttled for each
    session alone, a client opening sessions that each had one refused
    had a line logged for each, as C{PORT} bounces had:
    L{ftpkit.control.handlers.datachannel}.)
    """

    def __init__(self, peer, warnings):
        """
        @param peer: the control connection's peer, normalised.
        @param warnings: the server's
            L{ftpkit.control.peerwarnings.PeerWarnings}.
        """
        self._peer = peer
        self._warnings = warnings

    def overShare(self, log, limit, workers=1):
        """
        Say that the peer's address holds its share of listeners already
        (L{ftpkit.data.passiveshares}): under C{--workers}, its part of
        it in this worker, whose count it is.

        @param log: the channel's L{twisted.logger.Logger}.
        @param limit: the listeners an address may hold in this process.
        @param workers: the processes sharing the passive ports.
        """
        where = " in this worker" if workers > 1 else ""
        self._log(log, "passive share", "it holds {limit} already" + where,
                  limit=limit)

    def unbound(self, log, error, portRange):
        """
        Say that no listener could be bound: the operator's range is too
        small for the load (or taken by other programs), or something
        else went wrong. A process out of descriptors is not said here:
        the command's reply says it, as for any command.

        @param log: the channel's L{twisted.logger.Logger}.
        @param error: the L{ftpkit.errors.CannotOpenDataConnection}
            raised.
        @param portRange: the C{--passive-ports} range, or C{None}.
        """
        if isinstance(error, OutOfDescriptors):
            return
        if portRange is not None:
            self._log(log, "passive range", "no free port in "
                      "--passive-ports {low}-{high}", low=portRange[0],
                      high=portRange[1])
        else:
            self._log(log, "passive other", "{reason}",
                      reason=error.message)

    def _log(self, log, kind, text, **fields):
        """
        Log that a passive listener was refused, unless the server's
        L{ftpkit.control.peerwarnings.PeerWarnings} leave it out.

        @param log: the channel's L{twisted.logger.Logger}.
        @param kind: the reason's kind, throttled on its own.
        @param text: the line's end, a format string over C{fields}.
        @param fields: the values C{text} names.
        """
        self._warnings.emit(log, LogLevel.warn, kind, self._peer,
                            "refused passive listener for {peer}: " + text,
                            peer=self._peer, **fields)

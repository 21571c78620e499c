"""
A listening TCP port of Twisted's that accepts, at each turn, the
connections its listen queue holds and no more, the queue's length read
from Linux's C{TCP_INFO}.

Twisted's C{tcp.Port.doRead} accepts until C{accept} fails with
C{EAGAIN} or its limit, C{numberAccepts}, is reached, and sets that limit
again from each turn: 1 after a turn that met an empty queue, 21 after one
that filled a limit of 1. One client logging in after another makes the
turns alternate, and every other login paid for an C{accept} that failed
(its C{OSError}, the message read from C{strerror}, raised through two
frames: C{docs/benchmark-investigations.rst}, C{bench-login-53} and
C{bench-login-54}). For a listening socket, Linux reports how many
connections wait to be accepted in C{TCP_INFO}'s C{tcpi_unacked}
(C{sk_ack_backlog}); L{QueueSizedPort} sets the limit to that before
Twisted's own turn runs, so that a turn accepts what waits, one after
another or in a burst, and stops without the failed call.

Names read: C{tcp.Port.numberAccepts}, the limit of the turn Twisted's
C{doRead} is about to run (public, and set by C{doRead} itself).
Fallback: a socket whose C{TCP_INFO} cannot be read (another system, a
C{unix:} listener) keeps Twisted's port as it is (L{queueSized}); a
socket whose queue could be read once and no longer can accepts, at each
turn, until C{accept} fails or L{ACCEPTS_PER_TURN} are accepted.
"""

import socket
import struct
import sys
from functools import cache

_TCP_INFO = (getattr(socket, "TCP_INFO", None)
             if sys.platform.startswith("linux") else None)
"""C{TCP_INFO}'s option number on Linux (whose C{struct tcp_info} this
reads), else C{None}."""

_QUEUED_AT = 24
"""The offset of C{tcpi_unacked} in Linux's C{struct tcp_info}: eight
one-byte fields, then C{tcpi_rto}, C{tcpi_ato}, C{tcpi_snd_mss} and
C{tcpi_rcv_mss}, four bytes each."""

_QUEUED = struct.Struct("=I")
"""C{tcpi_unacked}, a C{__u32} in the machine's byte order."""

_INFO_LENGTH = _QUEUED_AT + _QUEUED.size
"""The bytes of C{struct tcp_info} read: up to C{tcpi_unacked}."""

ACCEPTS_PER_TURN = 100
"""The most connections a turn accepts, however many wait: the limit
Twisted's port starts with, so that a burst of clients does not keep the
reactor from the sessions it has for long."""

_unpackQueued = _QUEUED.unpack_from


def queuedConnections(listening):
    """
    @param listening: a listening TCP socket.
    @return: how many connections its listen queue holds, the kernel
        having completed their handshakes; C{None} where that cannot be
        read (not Linux, not a TCP socket).
    """
    if _TCP_INFO is None:
        return None
    try:
        info = listening.getsockopt(socket.IPPROTO_TCP, _TCP_INFO,
                                    _INFO_LENGTH)
    except OSError:
        return None
    return _unpackQueued(info, _QUEUED_AT)[0]


def acceptsThisTurn(listening, most):
    """
    @param listening: a listening TCP socket the reactor found readable.
    @param most: the most connections a turn may accept.
    @return: how many a turn should try to accept: those its listen queue
        holds (at least one, as the socket was readable; at most
        C{most}), or C{most} when the queue cannot be read.
    """
    queued = queuedConnections(listening)
    if queued is None:
        return most
    return 1 if queued < 1 else queued if queued < most else most


class QueueSizedPort:
    """
    Mixed in before Twisted's C{tcp.Port} (or a subclass): each turn
    accepts the connections waiting in the listen queue
    (L{acceptsThisTurn}, at most L{ACCEPTS_PER_TURN}).
    """

    def doRead(self):
        """
        Accept the connections waiting, as C{tcp.Port.doRead} does.

        @return: what C{tcp.Port.doRead} gives.
        """
        self.numberAccepts = acceptsThisTurn(self.socket, ACCEPTS_PER_TURN)
        return super().doRead()


@cache
def _sizedClass(portClass):
    """
    @param portClass: a class of Twisted's listening ports.
    @return: L{QueueSizedPort} mixed into it.
    """
    return type("QueueSized" + portClass.__name__,
                (QueueSizedPort, portClass), {})


def queueSized(port):
    """
    Make a listening TCP port of Twisted's accept, at each turn, the
    connections its listen queue holds (L{QueueSizedPort}).

    @param port: a C{tcp.Port} (or a subclass) listening.
    @return: whether it now does (C{False}: a port whose socket's queue
        cannot be read, or not Twisted's TCP port, left as it was).
    """
    from twisted.internet import tcp

    if not isinstance(port, tcp.Port) or isinstance(port, QueueSizedPort):
        return False
    if type(port).doRead is not tcp.Port.doRead:
        return False
    listening = getattr(port, "socket", None)
    if listening is None or queuedConnections(listening) is None:
        return False
    port.__class__ = _sizedClass(type(port))
    return True

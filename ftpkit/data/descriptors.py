"""
L{closeSocket}: closing a socket that ftpkit watches in the reactor itself,
outside Twisted's transports (a bare data socket of
L{ftpkit.data.leanconnection.LeanConnection}, which the C{sendfile}
writer and the splice receiver watch, or a passive listener).

The reactor handles the events of one C{epoll_wait} as a batch. Were such
a socket closed while one event of the batch is handled (the control
connection's end aborts the transfer, say), a connection accepted later in
the same batch could get its descriptor number, and then the event fetched
for the old socket: a reset, taken for the new connection's own end, so a
new session was closed right after its greeting. Twisted's own transports
never close one descriptor while handling another's event (they close in
their own event, or on a later turn).

So the owner first takes the socket out of the reactor's set
(C{removeReader}/C{removeWriter}: a stale event for the number is then
dropped by the reactor), and L{closeSocket} closes the socket at once (the
FIN, or the reset under C{SO_LINGER} 0, goes out now) while its number
stays taken, by C{/dev/null}, until the reactor's next turn, when the batch
is over (L{ftpkit.compat.afterThisTurn}; the numbers closed in one turn
are freed together, by one call).

A socket the reactor never watched (a small file's data socket, sent
whole by C{sendfile} in the transfer command's own event) can have no
event in the batch: the batch holds events only for numbers the reactor
watched when it fetched them, and its number, before this socket took it,
was either free then or freed since by L{closeSocket} (still taken, by
C{/dev/null}) or by Twisted in that descriptor's own event (already
handled: a batch holds one event per number). Such a socket is closed
and its number freed at once.

L{resetOnClose} has a socket's close send that reset: every socket
ftpkit ends with a reset rather than a FIN (a refused connection, an
aborted data connection) asks it here.

And L{releaseIdle}: descriptors kept open for reuse (the splice pipes of
L{ftpkit.data.movers._splice}, up to dozens of them) are closed when the
process runs short, before it refuses a client or a command for want of
descriptors.
"""

import os
import socket
import struct

from twisted.internet import defer

from ftpkit.compat import afterThisTurn

_null = None


def _nullDescriptor():
    """
    @return: a descriptor of C{/dev/null}, opened once per process.
    """
    global _null
    if _null is None:
        _null = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    return _null


_ABORTIVE = struct.pack("ii", 1, 0)
"""C{SO_LINGER} on, for no time: C{close} resets the connection."""


def resetOnClose(sock):
    """
    Have a socket's close reset its connection (C{SO_LINGER} on, for no
    time) instead of ending it with a FIN, unsent data dropped. A socket
    that refuses the option (already reset by its peer) is closed as it
    is.

    @param sock: a TCP socket, not yet closed.
    """
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _ABORTIVE)
    except OSError:
        pass


_numbersToFree = {}
"""Per reactor, the numbers L{closeSocket} holds until its next turn."""


def closeSocket(reactor, sock, watched=True):
    """
    Close a socket now, and free its descriptor number on the reactor's
    next turn (at once if the reactor never watched it).

    @param reactor: an L{IReactorTime}.
    @param sock: a socket the reactor no longer watches; it is detached
        from its descriptor (its C{fileno()} is then -1).
    @param watched: whether the reactor may have watched the socket (its
        current batch of events may then hold one for the number).
    """
    fd = sock.detach()
    if fd < 0:
        return
    if not watched:
        os.close(fd)
        return
    try:
        # Atomically: the socket's last reference goes (closing it), and
        # the number now names /dev/null.
        os.dup2(_nullDescriptor(), fd, inheritable=False)
    except OSError:
        os.close(fd)
        return
    numbers = _numbersToFree.get(reactor)
    if numbers is None:
        numbers = _numbersToFree[reactor] = []
        afterThisTurn(reactor, _freeNumbers, reactor)
    numbers.append(fd)


def _freeNumbers(reactor):
    """
    Close the C{/dev/null} descriptors L{closeSocket} left in this
    reactor's turn.

    @param reactor: the reactor.
    """
    for fd in _numbersToFree.pop(reactor, ()):
        os.close(fd)


def heldNumbers(reactor):
    """
    @param reactor: the reactor.
    @return: the numbers L{closeSocket} holds until the reactor's next
        turn, a list of this turn's own (a later turn's is another list,
        so a caller that keeps it can tell when the turn is over), or
        C{None} when it holds none.
    """
    return _numbersToFree.get(reactor)


def nextTurn(reactor):
    """
    @param reactor: the reactor.
    @return: a Deferred firing on the reactor's next turn, after the
        numbers held now are freed.
    """
    d = defer.Deferred()
    afterThisTurn(reactor, d.callback, None)
    return d


_idleKeepers = []
"""What keeps descriptors idle for reuse: see L{keepsIdle}."""


def keepsIdle(release):
    """
    Register something that keeps descriptors open for reuse, for
    L{releaseIdle} to close.

    @param release: called with no argument in the reactor thread, it
        closes the descriptors kept idle and returns how many it closed.
    """
    _idleKeepers.append(release)


def releaseIdle():
    """
    Close every descriptor kept idle for reuse (L{keepsIdle}): the
    process is short of descriptors, and the work it would refuse needs
    them more. Reactor thread only.

    @return: how many were closed.
    """
    return sum(release() for release in _idleKeepers)

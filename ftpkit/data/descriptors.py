"""
L{closeSocket}: closing a socket that ftpkit watches in the reactor itself,
outside Twisted's transports (a bare data socket of
L{ftpkit.data.connection.LeanConnection}, which the C{sendfile} writer and the splice
receiver watch, or a passive listener).

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
is over (L{ftpkit.compat.afterThisTurn}).
"""

import os

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


def closeSocket(reactor, sock):
    """
    Close a socket now, and free its descriptor number on the reactor's
    next turn.

    @param reactor: an L{IReactorTime}.
    @param sock: a socket the reactor no longer watches; it is detached
        from its descriptor (its C{fileno()} is then -1).
    """
    fd = sock.detach()
    if fd < 0:
        return
    try:
        # Atomically: the socket's last reference goes (closing it), and
        # the number now names /dev/null.
        os.dup2(_nullDescriptor(), fd, inheritable=False)
    except OSError:
        os.close(fd)
        return
    afterThisTurn(reactor, os.close, fd)

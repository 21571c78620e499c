"""
C{TCP_CORK} on passive data connections: a corked socket holds back a
segment that is not full until more bytes fill it or the socket is shut
down, so that a small file's bytes and the end of the data leave in one
segment and wake the client once instead of twice. A corked segment waits
at most a fifth of a second (the kernel's limit).

Passive listeners are corked once, when made (L{cork}); Linux copies the
option into every connection they accept, so a small download's socket
comes corked without a call per file. Whatever should not hold segments
back (a listing, TLS, a paced or large download) uncorks its connection
first (L{uncork}).
"""

import socket

_TCP_CORK = getattr(socket, "TCP_CORK", None)


def cork(sock):
    """
    Cork a socket (a passive listener: the connections it accepts come
    corked), where the system has C{TCP_CORK}.

    @param sock: a TCP socket.
    """
    _set(sock, 1)


def uncork(sock):
    """
    Let a socket send partial segments at once again.

    @param sock: a TCP socket, maybe corked by L{cork}.
    """
    _set(sock, 0)


def _set(sock, value):
    if _TCP_CORK is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, _TCP_CORK, value)
        except OSError:
            pass

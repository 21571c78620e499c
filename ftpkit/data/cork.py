"""
How segments, and acknowledgements, leave a data connection.

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

C{TCP_NODELAY} on data connections under TLS (L{sendPartialAtOnce}):
with Nagle's algorithm on, the close_notify that ends a download (a
record of a few bytes written after the last of the data) waited until
the client acknowledged that data, which a client reading on (for the
close_notify) does only when its delayed acknowledgement fires, 40 ms
later on Linux: a passive download or listing under C{PROT P} took 40
ms more with ftplib (and fsspec, ftputil, pandas on it). A connection in
clear ends with a FIN, which Linux sends at once whatever Nagle says.

C{TCP_QUICKACK} after each read of a data connection under TLS
(L{acknowledgeAtOnce}): the same wait the other way. A client with
Nagle's algorithm on (ftplib sets no C{TCP_NODELAY}) holds the
close_notify ending its upload until the server acknowledges the data
before it, which Linux delays 40 ms; each upload under C{PROT P} took 40
ms more. Acknowledging what was read at once lets the close_notify
follow.
"""

import socket

_TCP_CORK = getattr(socket, "TCP_CORK", None)
_TCP_QUICKACK = getattr(socket, "TCP_QUICKACK", None)


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


def sendPartialAtOnce(transport):
    """
    Turn Nagle's algorithm off on a data connection under TLS, so that
    its last records (the end of a download, the close_notify) leave as
    they are written, not once the client has acknowledged what precedes
    them.

    @param transport: the TCP transport under the TLS layer; one without
        C{setTcpNoDelay} (a test's memory transport) is left alone.
    """
    setTcpNoDelay = getattr(transport, "setTcpNoDelay", None)
    if setTcpNoDelay is None:
        return
    try:
        setTcpNoDelay(True)
    except OSError:
        pass


def acknowledgeAtOnce(transport):
    """
    Have the kernel acknowledge at once what a data connection under TLS
    has read, rather than up to 40 ms later: a client holding its
    close_notify back for that acknowledgement (Nagle's algorithm) sends
    it now. Linux clears the option again by itself, so it is set after
    each read.

    @param transport: the TCP transport under the TLS layer; one without
        a socket (a test's memory transport), or a system without
        C{TCP_QUICKACK}, is left alone.
    """
    getHandle = getattr(transport, "getHandle", None)
    if _TCP_QUICKACK is None or getHandle is None:
        return
    try:
        getHandle().setsockopt(socket.IPPROTO_TCP, _TCP_QUICKACK, 1)
    except (OSError, AttributeError):
        pass

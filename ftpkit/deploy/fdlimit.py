"""
Descriptor headroom: a new client is told C{421} while the process still
has descriptors to spare, instead of the server running out (then the
kernel keeps the client waiting in the listen queue, or Twisted closes
its connection without a word).

A process gets the lowest free descriptor number, so a connection
accepted on descriptor C{n} means about C{n} descriptors are in use. Past
C{softLimit - RESERVE}, new sessions are refused: the sessions already
running keep the reserve for their data connections, passive listeners
and files.
"""

import resource

RESERVE = 64
"""Descriptors kept for the sessions already running."""

REFUSAL = "Too many open files on the server; try again later"
"""The text of the C{421} a client gets when descriptors run low."""


def headroomRefusal(fileno, softLimit, reserve=RESERVE):
    """
    Decide whether a connection accepted on descriptor C{fileno} may
    start a session.

    @param fileno: its descriptor number.
    @param softLimit: the process' soft C{RLIMIT_NOFILE}
        (C{resource.RLIM_INFINITY} for none).
    @param reserve: descriptors kept for running sessions.
    @return: C{None} to accept it, else L{REFUSAL}.
    """
    if softLimit == resource.RLIM_INFINITY or softLimit < 0:
        return None
    if fileno >= softLimit - reserve:
        return REFUSAL
    return None


def connectionRefusal(fileno, getrlimit=resource.getrlimit):
    """
    L{headroomRefusal} with the process' current soft limit.

    @param fileno: the descriptor of an accepted connection.
    @param getrlimit: L{resource.getrlimit}.
    @return: C{None} to accept it, else L{REFUSAL}.
    """
    return headroomRefusal(fileno, getrlimit(resource.RLIMIT_NOFILE)[0])


def transportRefusal(transport):
    """
    L{connectionRefusal} for a Twisted transport.

    @param transport: a connection's transport, or a wrapper of one (TLS,
        PROXY protocol) whose C{transport} is the connection's.
    @return: C{None} to accept it (also when it has no descriptor), else
        L{REFUSAL}.
    """
    for candidate in (transport, getattr(transport, "transport", None)):
        try:
            fileno = candidate.getHandle().fileno()
        except (AttributeError, OSError):
            continue
        if isinstance(fileno, int):
            return connectionRefusal(fileno)
    return None

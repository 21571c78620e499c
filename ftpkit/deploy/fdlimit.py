"""
Descriptor headroom: a new client is told C{421} while the process still
has descriptors to spare, instead of the server running out (then the
kernel keeps the client waiting in the listen queue, or Twisted closes
its connection without a word).

A process gets the lowest free descriptor number, so a connection
accepted on descriptor C{n} means about C{n} descriptors are in use. Past
C{softLimit - RESERVE}, new sessions are refused: the sessions already
running keep the reserve for their data connections, passive listeners
and files. The acceptor of C{--workers} also holds a L{SpareDescriptor},
given up to answer a client when it has run out all the same.
"""

import os
import resource
import time

RESERVE = 64
"""Descriptors kept for the sessions already running (a quarter of the
limit at most: see L{headroomRefusal})."""

REFUSAL = "Too many open files on the server; try again later"
"""The text of the C{421} a client gets when descriptors run low."""


def headroomRefusal(fileno, softLimit, reserve=RESERVE):
    """
    Decide whether a connection accepted on descriptor C{fileno} may
    start a session.

    @param fileno: its descriptor number.
    @param softLimit: the process' soft C{RLIMIT_NOFILE}
        (C{resource.RLIM_INFINITY} for none).
    @param reserve: descriptors kept for running sessions; never more
        than a quarter of C{softLimit}: under a small limit (C{ulimit -n
        64}) the whole reserve left no descriptor to start a session
        with, and every client got C{421}.
    @return: C{None} to accept it, else L{REFUSAL}.
    """
    if softLimit == resource.RLIM_INFINITY or softLimit < 0:
        return None
    if fileno >= softLimit - min(reserve, softLimit // 4):
        return REFUSAL
    return None


def sessionCeiling(softLimit, reserve=RESERVE):
    """
    @param softLimit: a process' soft C{RLIMIT_NOFILE}
        (C{resource.RLIM_INFINITY} for none).
    @param reserve: see L{headroomRefusal}.
    @return: the descriptor number from which L{headroomRefusal} refuses
        new sessions (worked out there without this call: it runs for
        every connection): more than the sessions the process can hold (its
        listeners, logs and the like take numbers below it too); C{None}
        for no limit.
    """
    if softLimit == resource.RLIM_INFINITY or softLimit < 0:
        return None
    return softLimit - min(reserve, softLimit // 4)


def limitAtStart(getrlimit=resource.getrlimit):
    """
    @param getrlimit: L{resource.getrlimit}.
    @return: the soft C{RLIMIT_NOFILE} a server process will have once
        started: the hard limit, to which the start raises it
        (L{ftpkit.deploy.startupwork.raiseDescriptorLimit}), but where
        that is none (the soft one is left as it is).
    """
    soft, hard = getrlimit(resource.RLIMIT_NOFILE)
    return soft if hard == resource.RLIM_INFINITY else hard


def connectionsNote(maxConnections, workers, softLimit):
    """
    What to tell the operator of a C{--max-connections} the server's
    descriptors cannot hold (as nginx warns of C{worker_connections}
    over its open-file limit): the server starts all the same, and
    refuses sessions past its descriptors (L{REFUSAL}), but the option
    promises what it cannot keep.

    @param maxConnections: C{--max-connections}.
    @param workers: the processes serving sessions (C{--workers}), each
        with its own descriptors.
    @param softLimit: each one's descriptor limit (L{limitAtStart}).
    @return: the warning's text, or C{None} when the descriptors hold
        C{maxConnections} sessions (as far as the limit says).
    """
    ceiling = sessionCeiling(softLimit)
    if ceiling is None or maxConnections <= ceiling * workers:
        return None
    each = f" in each of the {workers} workers" if workers > 1 else ""
    return (f"--max-connections {maxConnections} is more sessions than "
            f"the server's descriptors hold: fewer than "
            f"{ceiling * workers} (a limit of {softLimit} open files{each}, "
            f"the last {softLimit - ceiling} kept for the sessions' "
            f"transfers); past "
            f"that, new clients get 421 ({REFUSAL}). Raise the limit "
            f"(LimitNOFILE= in a systemd unit, ulimit -Hn) or lower "
            f"--max-connections.")


def connectionRefusal(fileno, getrlimit=resource.getrlimit):
    """
    L{headroomRefusal} with the process' current soft limit.

    @param fileno: the descriptor of an accepted connection.
    @param getrlimit: L{resource.getrlimit}.
    @return: C{None} to accept it, else L{REFUSAL}.
    """
    return headroomRefusal(fileno, getrlimit(resource.RLIMIT_NOFILE)[0])


class SoftLimit:
    """
    The process' soft C{RLIMIT_NOFILE}, read again once the value read is
    C{maxAge} seconds old: reading it is a system call, which every new
    connection would otherwise make. The limit changes at start
    (L{ftpkit.deploy.startupwork.raiseDescriptorLimit}) or by hand
    (C{prlimit}), which is seen within C{maxAge}.
    """

    def __init__(self, getrlimit=resource.getrlimit, clock=time.monotonic,
                 maxAge=1.0):
        """
        @param getrlimit: L{resource.getrlimit}.
        @param clock: a monotonic clock, in seconds.
        @param maxAge: how long a value read is used, in seconds.
        """
        self._getrlimit = getrlimit
        self._clock = clock
        self._maxAge = maxAge
        self._value = None
        self._readAt = 0.0

    def __call__(self):
        """
        @return: the soft limit (C{resource.RLIM_INFINITY} for none).
        """
        now = self._clock()
        if self._value is None or now - self._readAt >= self._maxAge:
            self._value = self._getrlimit(resource.RLIMIT_NOFILE)[0]
            self._readAt = now
        return self._value


_softLimit = SoftLimit()


def transportRefusal(transport, softLimit=_softLimit, releaseIdle=None):
    """
    L{headroomRefusal} for a Twisted transport.

    @param transport: a connection's transport, or a wrapper of one (TLS,
        PROXY protocol) whose C{transport} is the connection's.
    @param softLimit: a callable giving the soft limit (a L{SoftLimit}).
    @param releaseIdle: called before a refusal, it closes descriptors
        kept idle for reuse and returns how many
        (L{ftpkit.data.descriptors.releaseIdle}): those are fewer in
        use than the connection's number says, and it may be accepted
        after all; C{None} for none.
    @return: C{None} to accept it (also when it has no descriptor), else
        L{REFUSAL}.
    """
    try:
        fileno = transport.getHandle().fileno()
    except (AttributeError, OSError):
        fileno = None
    if not isinstance(fileno, int):
        # A wrapper (TLS, the PROXY protocol): its connection's.
        try:
            fileno = transport.transport.getHandle().fileno()
        except (AttributeError, OSError):
            return None
        if not isinstance(fileno, int):
            return None
    limit = softLimit()
    refusal = headroomRefusal(fileno, limit)
    if refusal is not None and releaseIdle is not None:
        refusal = headroomRefusal(fileno - releaseIdle(), limit)
    return refusal


class SpareDescriptor:
    """
    One descriptor (of C{/dev/null}) held to be given up when the process
    runs out, so that a client can still be answered.
    """

    def __init__(self):
        self.fd = None

    def reserve(self):
        """
        Hold the descriptor (again).
        """
        if self.fd is None:
            try:
                self.fd = os.open(os.devnull, os.O_RDONLY)
            except OSError:
                self.fd = None

    def release(self):
        """
        Give the descriptor up.

        @return: whether one was held.
        """
        if self.fd is None:
            return False
        os.close(self.fd)
        self.fd = None
        return True

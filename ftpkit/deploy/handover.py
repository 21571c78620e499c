"""
The answers the acceptor of C{--workers} waits for from one worker: the
acknowledgement of each connection it handed over (the worker's C{took}
line, L{ftpkit.deploy.worker}), and the answer to its periodic ping.

The acceptor keeps its copy of each connection until it is acknowledged:
when the worker dies first, the connection goes to another worker instead
of being lost. A worker that leaves a connection unacknowledged, or a
ping unanswered, for L{ANSWER_TIMEOUT} is taken for hung (stopped, or its
reactor stuck) and replaced (L{ftpkit.deploy.workers}); the pings find an
idle worker hung too, whose clients would otherwise hang unnoticed.
L{answerDue} is the one place that decides. No reactor here: the caller
gives the time.

A worker acknowledges a connection once it wrote its greeting, so one
that dies in between leaves a connection whose client may have its C{220}
already. The kernel knows: the acceptor's copy is the same socket, and
L{bytesWritten} reads how many bytes were ever written to it; the
connection then goes to another worker marked as greeted, whose session
starts without a C{220} of its own (the client reads one greeting in
every interleaving, and what it sent meanwhile waits in the socket for
the new worker).
"""

import fcntl
import socket
import struct
import termios
from collections import deque

ANSWER_TIMEOUT = 5.0
"""
Seconds a worker may take to acknowledge a connection, or to answer a
ping, before the acceptor takes it for hung.
"""

PING_INTERVAL = 3.0
"""Seconds between the acceptor's pings of each ready worker."""

TAKE = "take a connection"
"""What a worker hung on a connection did not do, for the log."""

ANSWER = "answer a ping"
"""What a worker hung on a ping did not do, for the log."""



class Handovers:
    """
    The unacknowledged connections of one worker, oldest first (a worker
    reads and acknowledges them in the order they were sent).
    """

    def __init__(self, timeout=ANSWER_TIMEOUT):
        """
        @param timeout: seconds a connection may stay unacknowledged.
        """
        self.timeout = timeout
        self._waiting = deque()

    def __len__(self):
        """
        @return: how many connections wait for their acknowledgement.
        """
        return len(self._waiting)

    def sent(self, connection, host, now):
        """
        A connection was handed over.

        @param connection: the acceptor's socket of it (kept open).
        @param host: its client's address.
        @param now: the time it was sent.
        """
        self._waiting.append((connection, host, now))

    def acknowledged(self):
        """
        The worker took the oldest connection.

        @return: its socket (the caller closes it), or C{None} when none
            waited.
        """
        oldest = self.takeOldest()
        return None if oldest is None else oldest[0]

    def takeOldest(self):
        """
        The worker answered for the oldest connection: took it
        (L{acknowledged}), or, draining, sent it back unopened.

        @return: C{(connection, host)}, now the caller's, or C{None} when
            none waited.
        """
        if not self._waiting:
            return None
        connection, host, _ = self._waiting.popleft()
        return connection, host

    def takeAll(self):
        """
        Empty the queue (the worker is gone).

        @return: a C{list} of C{(connection, host)}, oldest first.
        """
        waiting = [(connection, host)
                   for connection, host, _ in self._waiting]
        self._waiting.clear()
        return waiting

    def overdue(self, now):
        """
        How long until the oldest connection is overdue.

        @param now: the time now.
        @return: C{None} when none waits; else seconds until the oldest
            has waited L{timeout} (0 or less when it has).
        """
        if not self._waiting:
            return None
        return self._waiting[0][2] + self.timeout - now


class Pings:
    """
    The acceptor's ping of one worker: at most one waits for its answer.
    """

    def __init__(self, timeout=ANSWER_TIMEOUT):
        """
        @param timeout: seconds the answer may take.
        """
        self.timeout = timeout
        self._sentAt = None

    def due(self):
        """
        @return: whether to ping now (none waits for its answer; the
            caller pings every L{PING_INTERVAL}).
        """
        return self._sentAt is None

    def sent(self, now):
        """
        A ping was sent.

        @param now: the time it was sent.
        """
        self._sentAt = now

    def answered(self):
        """
        The worker answered the ping.
        """
        self._sentAt = None

    def overdue(self, now):
        """
        How long until the ping is overdue.

        @param now: the time now.
        @return: C{None} when none waits; else seconds until it has waited
            L{timeout} (0 or less when it has).
        """
        if self._sentAt is None:
            return None
        return self._sentAt + self.timeout - now


def answerDue(now, handovers, pings):
    """
    When the answer a worker owes first is due: whether it is hung.

    @param now: the time now.
    @param handovers: its L{Handovers}.
    @param pings: its L{Pings}.
    @return: C{None} when it owes no answer; else C{(left, what,
        timeout)}: seconds until the first answer is overdue (0 or less:
        the worker is hung), what it did not do (L{TAKE} or L{ANSWER}),
        and how long it was given.
    """
    waits = [(left, what, timeout) for left, what, timeout in (
        (handovers.overdue(now), TAKE, handovers.timeout),
        (pings.overdue(now), ANSWER, pings.timeout)) if left is not None]
    return min(waits, default=None)


_TCP_INFO_BYTES_ACKED = 120
"""The offset of C{tcpi_bytes_acked} (a 64-bit count, Linux 4.1 and
later) in Linux's C{struct tcp_info}."""


def bytesWritten(connection):
    """
    How many bytes were ever written to a TCP connection, by any process
    holding it: those the peer acknowledged (C{TCP_INFO}'s
    C{tcpi_bytes_acked}) and those still in the send queue
    (C{TIOCOUTQ}).

    @param connection: a connected TCP socket.
    @return: the count, or C{None} where the system cannot tell (not
        Linux, not TCP).
    """
    try:
        info = connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
        queued = fcntl.ioctl(connection.fileno(), termios.TIOCOUTQ,
                             b"\0" * 4)
    except (AttributeError, OSError):
        return None
    if len(info) < _TCP_INFO_BYTES_ACKED + 8:
        return None
    acked, = struct.unpack_from("=Q", info, _TCP_INFO_BYTES_ACKED)
    return acked + struct.unpack("=i", queued)[0]

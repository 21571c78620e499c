"""
The connections the acceptor of C{--workers} handed to one worker and
that worker has not yet acknowledged (its C{took} line,
L{ftpkit.deploy.worker}).

The acceptor keeps its copy of each such connection: when the worker dies
first, the connection goes to another worker instead of being lost, and a
worker that leaves one unacknowledged for L{ANSWER_TIMEOUT} is taken for
hung (stopped, or its reactor stuck) and replaced
(L{ftpkit.deploy.workers}). No reactor here: the caller gives the time.
"""

from collections import deque

ANSWER_TIMEOUT = 5.0
"""
Seconds a worker may take to acknowledge a connection before the acceptor
takes it for hung.
"""


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
        if not self._waiting:
            return None
        return self._waiting.popleft()[0]

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

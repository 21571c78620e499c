"""
A store that stopped answering, told once to the calls waiting for it
(L{Outage}): on a store that takes one call at a time (SFTP), the calls
behind a stuck one wait for its lock; when the stuck one found the store
silent (its deadline passed, or opening a connection again did), each
of them would try to connect again in turn, each attempt costing a whole
deadline, so that the Nth waited about N deadlines, past every client's
timeout. The calls that were already waiting then fail at once
(C{451}, L{ftpkit.errors.StorageTimedOut}); the first call made after
that tries the store again, so that service comes back as soon as the
store does.

A call is told from those before it by a ticket taken as it is made
(L{Outage.ticket}, in the reactor thread), not by a clock: the calls
refused are exactly those made before the store was last found silent.
"""

import itertools
import threading


class Outage:
    """
    Whether the store of one filesystem is found silent, shared by every
    shell on it: its pool threads (L{silent}, L{answered},
    L{refuses}) and the reactor thread (L{ticket}, L{silent}).
    """

    def __init__(self):
        self._tickets = itertools.count(1)
        self._last = 0
        self._silentAt = None
        self._lock = threading.Lock()

    def ticket(self):
        """
        A call is made (it waits for a thread and for the filesystem's
        lock).

        @return: its ticket, greater than every one given before.
        """
        with self._lock:
            self._last = next(self._tickets)
            return self._last

    def silent(self):
        """
        The store did not answer within the deadline (a call expired, or
        opening a connection did): every call made so far is refused
        (L{refuses}).

        @return: whether this begins an outage (the store had answered
            since it was last found silent): the one to log.
        """
        with self._lock:
            began = self._silentAt is None
            self._silentAt = self._last
            return began

    def answered(self):
        """
        A call was answered: the outage, if any, is over.
        """
        with self._lock:
            self._silentAt = None

    def refuses(self, ticket):
        """
        @param ticket: a call's L{ticket}, as its turn on the store comes.
        @return: whether it is to fail at once: it was made before the
            store was last found silent, and no call was answered since.
        """
        with self._lock:
            return self._silentAt is not None and ticket <= self._silentAt

"""
L{PartialCap}: the most cut uploads the disk realm keeps for one user
(C{--max-partials-per-user}, L{ftpkit.shells.keptregistry.MAX_KEPT_PER_USER}
by default), as the memory and fsspec realms do with
L{ftpkit.shells.keptregistry.KeptPartials}: keeping one more drops that
user's oldest (L{dropPast}), one C{partial-dropped} event each, reason
L{ftpkit.shells.keptregistry.PAST_LIMIT}.

Before session 54 the disk realm kept every cut upload for its 24
hours: one user cutting uploads could fill the disk with hidden files.

It counts what this process kept since it started (each worker of
C{--workers} counts its own, and a restart starts again at none): the
partial uploads on the disk are files any process serving the tree may
have kept, which only a walk of the tree would find, at every cut
upload (L{ftpkit.shells.diskroom} walks only when the disk is full). A
partial upload resumed, removed or replaced since stays counted until
it is the oldest: then its drop finds another file, or none, under its
name, and leaves it (L{ftpkit.shells.uploadremoval.removeSeen}).
"""

import threading
from collections import OrderedDict

from ftpkit.shells.keptregistry import MAX_KEPT_PER_USER, PAST_LIMIT
from ftpkit.shells.uploadremoval import removeSeen


class PartialCap:
    """
    The cut uploads kept in this process, per user, oldest first (safe
    to use from the disk threads).
    """

    def __init__(self, perUser=MAX_KEPT_PER_USER):
        """
        @param perUser: the most kept for one user.
        """
        self.perUser = perUser
        self._lock = threading.Lock()
        self._byUser = {}

    def kept(self, path, seen, resumer):
        """
        Count a partial upload as kept now (the newest of its user's).

        @param path: its path, C{bytes}.
        @param seen: its C{stat}.
        @param resumer: who it is kept for, or C{None} (counted as one
            user).
        @return: C{(path, stat)} of that user's partial uploads past
            L{perUser}, oldest first, no longer counted (the caller drops
            them).
        """
        with self._lock:
            mine = self._byUser.setdefault(resumer, OrderedDict())
            mine.pop(path, None)
            mine[path] = seen
            past = []
            while len(mine) > self.perUser:
                past.append(mine.popitem(last=False))
            return past


def dropPast(cap, path, seen, resumer, onDropped=None):
    """
    Count a partial upload just kept, and drop its user's past the cap
    (blocking; in the disk thread that kept it).

    @param cap: the L{PartialCap}.
    @param path: as for L{PartialCap.kept}.
    @param seen: as for L{PartialCap.kept}.
    @param resumer: as for L{PartialCap.kept}.
    @param onDropped: called with the path, C{resumer}, the bytes and
        L{PAST_LIMIT} of each one dropped, or C{None}.
    @return: how many were dropped.
    """
    dropped = 0
    for older, result in cap.kept(path, seen, resumer):
        if removeSeen(older, result):
            dropped += 1
            if onDropped is not None:
                onDropped(older, resumer, result.st_size, PAST_LIMIT)
    return dropped

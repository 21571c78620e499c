"""
Names reserved in this process for the uploads that create them
(L{ReservedNames}): what the fsspec shell does that the disk shell does
with a file (L{ftpkit.shells.uploadreservations}), where the store has no
way to make a file only if its name is free. Two C{STOU}s at once in one
process are then told two names; across processes on one store the
second still learns at its end that the name was taken (C{550}), and
nothing is replaced.
"""

import threading

from ftpkit.errors import AlreadyExists


class ReservedNames:
    """
    The names reserved, thread-safe (the fsspec shell opens uploads in
    its threads, and ends them in the reactor's).
    """

    def __init__(self):
        self._names = set()
        self._lock = threading.Lock()

    def reserve(self, name):
        """
        @param name: a hashable name of the file an upload creates.
        @raise AlreadyExists: when another upload reserved it already.
        """
        with self._lock:
            if name in self._names:
                raise AlreadyExists()
            self._names.add(name)

    def release(self, name):
        """
        @param name: a name L{reserve} took: another upload may take it.
        """
        with self._lock:
            self._names.discard(name)

    def __contains__(self, name):
        """
        @param name: a name.
        @return: whether an upload holds it reserved.
        """
        return name in self._names


RESERVED = ReservedNames()
"""This process's reservations for the fsspec shells (one store may be
served by many shells: one per user)."""

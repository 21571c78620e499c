"""
How many entries the listings of stores fsspec lists in one call (SFTP,
GCS, Azure, C{memory://}) hold at once, in this process: such a listing
holds the whole directory from its start to its close, whether the client
reads it or not (L{ftpkit.shells.fsspecgeneric.Backend.pages}), so a few
clients stalling listings of a large directory held hundreds of megabytes.

A listing whose entries would take the total past L{HELD_ENTRIES} is
refused with L{ListingsHeld} (C{451}, try again), unless it would be the
only one held: a directory larger than the bound can still be listed, one
listing at a time.
"""

import threading

from ftpkit.errors import LocalError

HELD_ENTRIES = 500000
"""The most entries the one-call listings of a process hold at once
(about 440 bytes each: some 220 MB)."""


class ListingsHeld(LocalError):
    """
    A one-call listing would hold too many entries beside those held by
    the listings in progress.
    """

    def __init__(self):
        LocalError.__init__(
            self, "Too many entries held by directory listings in "
            "progress; try again later")


class HeldEntries:
    """
    The entries the one-call listings in progress hold (thread-safe: the
    listings are read in the shells' threads).

    @ivar held: how many are held.
    """

    def __init__(self, limit=HELD_ENTRIES):
        """
        @param limit: the most entries held at once (but for one listing
            alone).
        """
        self.limit = limit
        self.held = 0
        self._lock = threading.Lock()

    def take(self, count):
        """
        Hold C{count} entries for a listing.

        @param count: how many entries the listing holds.
        @raise ListingsHeld: when others are held and the total would
            pass the limit.
        """
        with self._lock:
            if self.held and self.held + count > self.limit:
                raise ListingsHeld()
            self.held += count

    def give(self, count):
        """
        Release the C{count} entries L{take} held for a listing.

        @param count: as given to L{take}.
        """
        with self._lock:
            self.held -= count


heldEntries = HeldEntries()
"""This process's L{HeldEntries}."""

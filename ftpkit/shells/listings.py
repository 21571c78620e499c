"""
Directory listings in batches (L{ftpkit.interfaces.IDirectoryListing}):
the ones shells and wrappers build, and L{openListing}, which gives the
server a batched listing of any shell.
"""

from twisted.internet.defer import maybeDeferred, succeed
from zope.interface import alsoProvides, implementer

from ftpkit.interfaces import (
    IDirectoryListing,
    IFTPShellStreamedListing,
    IStatListing,
)

BATCH_SIZE = 1000
"""Entries per batch of the listings made here and by the built-in shells
(one S3 page): a directory up to this size lists sorted as a whole."""


def openListing(shell, path):
    """
    List a directory in batches, whatever the shell provides.

    @param shell: an L{ftpkit.interfaces.IFTPShell}.
    @param path: a tuple of segments naming a directory.
    @return: a Deferred firing with an L{IDirectoryListing}: the shell's
        own when it provides L{IFTPShellStreamedListing}, else its
        L{ftpkit.interfaces.IFTPShell.list} in batches.
    """
    if IFTPShellStreamedListing.providedBy(shell):
        return shell.openListing(path)
    return shell.list(path).addCallback(WholeListing)


async def readListing(listing, limit):
    """
    Read a listing's entries, stopping as soon as there are more than
    C{limit}, and close it.

    @param listing: an L{IDirectoryListing}.
    @param limit: the most entries wanted.
    @return: the C{(name, info)} pairs, sorted by name; C{None} when there
        are more than C{limit}, of which no more than one batch past
        C{limit} were read.
    """
    entries = []
    try:
        while batch := await listing.nextBatch():
            entries.extend(batch)
            if len(entries) > limit:
                return None
    finally:
        listing.close()
    entries.sort(key=_name)
    return entries


def _name(entry):
    return entry[0]


@implementer(IDirectoryListing)
class WholeListing:
    """
    A listing of entries already in memory, given in batches.
    """

    def __init__(self, entries, batchSize=BATCH_SIZE):
        """
        @param entries: the C{(name, FileInfo)} pairs.
        @param batchSize: the most entries per batch.
        """
        self._entries = entries
        self._batchSize = batchSize
        self._position = 0

    def nextBatch(self):
        """
        See L{IDirectoryListing.nextBatch}.
        """
        start = self._position
        self._position = start + self._batchSize
        return succeed(self._entries[start:self._position])

    def close(self):
        """
        See L{IDirectoryListing.close}: the entries are let go.
        """
        self._entries = []


@implementer(IDirectoryListing)
class FilteredListing:
    """
    The entries of another listing that a test keeps (for wrappers that
    hide some names).

    A listing that formats its own batches (L{IStatListing}) keeps doing
    so through a filter whose test is pure: the test is then applied
    where the batch is read, maybe in another thread.
    """

    def __init__(self, listing, keep, pure=False):
        """
        @param listing: the L{IDirectoryListing} to filter.
        @param keep: called with each entry's name; true to keep it.
        @param pure: whether C{keep} looks at the name alone, so that it
            may be called in any thread.
        """
        self._listing = listing
        self._keep = keep
        if pure and IStatListing.providedBy(listing):
            alsoProvides(self, IStatListing)

    def nextBatch(self):
        """
        See L{IDirectoryListing.nextBatch}: a batch whose entries were all
        left out is skipped, so that an empty batch still means the end.
        """
        return maybeDeferred(self._listing.nextBatch).addCallback(self._filter)

    def _filter(self, batch):
        kept = [entry for entry in batch if self._keep(entry[0])]
        if batch and not kept:
            return self.nextBatch()
        return kept

    def nextFormattedBatch(self, format):
        """
        See L{IStatListing.nextFormattedBatch} (provided when the filtered
        listing provides it and the test is pure).
        """
        return self._listing.nextFormattedBatch(
            _FilteredFormat(format, self._keep))

    def close(self):
        """
        See L{IDirectoryListing.close}.
        """
        self._listing.close()


class _FilteredFormat:
    """
    A listing format (L{ftpkit.protocol.listing.ListFormat} and its
    kind) that formats only the entries a test keeps.
    """

    def __init__(self, format, keep):
        """
        @param format: the format.
        @param keep: called with each entry's name; true to keep it.
        """
        self._format = format
        self._keep = keep

    def stats(self, batch, owner, group):
        """
        See L{ftpkit.protocol.listing.ListFormat.stats}.
        """
        keep = self._keep
        return self._format.stats([pair for pair in batch if keep(pair[0])],
                                  owner, group)

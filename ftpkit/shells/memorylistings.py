"""
Listings in batches of L{ftpkit.shells.memory.MemoryShell}'s directories,
so that a listing a client stalls holds a reference to each name and a
batch described, not every entry described.
"""

from twisted.internet.defer import succeed
from zope.interface import implementer

from ftpkit.interfaces import IDirectoryListing, INameListing
from ftpkit.shells.listings import BATCH_SIZE


@implementer(IDirectoryListing, INameListing)
class MemoryListing:
    """
    A listing of a directory node: its names as they were when it was
    opened, sorted, each described (or named) when its batch is asked
    for; a name gone meanwhile is left out.
    """

    def __init__(self, directory, batchSize=BATCH_SIZE):
        """
        @param directory: the L{ftpkit.shells.memorytree.DirectoryNode}.
        @param batchSize: the most entries per batch.
        """
        self._children = directory.children
        self._names = sorted(directory.children)
        self._batchSize = batchSize
        self._position = 0

    def _next(self):
        """
        @return: the next names still in the directory, at most a batch;
            a batch whose names are all gone is skipped.
        """
        children = self._children
        while self._position < len(self._names):
            start = self._position
            self._position = start + self._batchSize
            names = [name for name in self._names[start:self._position]
                     if name in children]
            if names:
                return names
        return []

    def nextBatch(self):
        """
        See L{IDirectoryListing.nextBatch}.
        """
        children = self._children
        return succeed([(name, children[name].info())
                        for name in self._next()])

    def nextNames(self):
        """
        See L{INameListing.nextNames}.
        """
        return succeed(self._next())

    def close(self):
        """
        See L{IDirectoryListing.close}.
        """
        self._names = []

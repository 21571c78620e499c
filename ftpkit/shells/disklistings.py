"""
Directories of the local disk read in batches, for
L{ftpkit.shells.filesystem.FilesystemShell}: one C{os.scandir} a listing,
a batch of entries read and described at a time in a disk thread.
"""

import os

from twisted.internet.defer import succeed
from zope.interface import implementer

from ftpkit.interfaces import IDirectoryListing
from ftpkit.shells import uploads
from ftpkit.shells.listings import BATCH_SIZE


def readEntries(iterator, describe, limit=None):
    """
    Read and describe the next entries of a directory (blocking), leaving
    out the uploads not in place (L{uploads.isHidden}) and entries that
    vanished meanwhile.

    @param iterator: an C{os.scandir} iterator over C{bytes} names.
    @param describe: turns an C{os.DirEntry} into a
        L{ftpkit.fileinfo.FileInfo}, or C{None} when it vanished.
    @param limit: the most entries to give, or C{None} for all.
    @return: a list of C{(name, FileInfo)} pairs, names as C{str};
        shorter than C{limit} only at the end of the directory.
    """
    entries = []
    for entry in iterator:
        if uploads.isHidden(entry.name):
            continue
        info = describe(entry)
        if info is not None:
            entries.append((os.fsdecode(entry.name), info))
            if len(entries) == limit:
                break
    return entries


@implementer(IDirectoryListing)
class DiskListing:
    """
    An L{IDirectoryListing} of a directory being read with C{os.scandir}.
    """

    def __init__(self, iterator, describe, run, batchSize=BATCH_SIZE):
        """
        @param iterator: the C{os.scandir} iterator (this listing closes
            it).
        @param describe: see L{readEntries}.
        @param run: runs a blocking call in a disk thread:
            C{run(function, *args)} returns a Deferred with its result.
        @param batchSize: the entries per batch.
        """
        self._iterator = iterator
        self._describe = describe
        self._run = run
        self._batchSize = batchSize
        self._reading = False
        self._closed = False
        self._atEnd = False

    def nextBatch(self):
        """
        See L{IDirectoryListing.nextBatch}: the next entries, read in a
        disk thread.
        """
        if self._atEnd or self._closed:
            return succeed([])
        self._reading = True
        reading = self._run(readEntries, self._iterator, self._describe,
                            self._batchSize)
        return reading.addBoth(self._read)

    def _read(self, result):
        self._reading = False
        if not isinstance(result, list) or len(result) < self._batchSize:
            self._atEnd = True
        if self._closed:
            self._iterator.close()
        return result

    def close(self):
        """
        See L{IDirectoryListing.close}: close the directory, once no batch
        is being read from it.
        """
        self._closed = True
        if not self._reading:
            self._iterator.close()

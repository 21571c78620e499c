"""
Listings of an fsspec filesystem in batches, for
L{ftpkit.shells.fsspecshell.FsspecShell}: each batch is a page of the
store's listing (L{ftpkit.shells.fsspecgeneric.Backend.pages}), read in
the shell's threads when the server asks for it.
"""

from twisted.internet.defer import succeed
from twisted.logger import Logger
from zope.interface import implementer

from ftpkit.errors import NotDirectory
from ftpkit.interfaces import IDirectoryListing
from ftpkit.shells.fsspecfiles import TEMPORARY_PREFIX

_log = Logger()


def isReserved(name):
    """
    @param name: a directory entry's name.
    @return: whether it is reserved for the shell's own use (the temporary
        sibling of an upload in progress): not listed, and no client may
        name it.
    """
    return name.startswith(TEMPORARY_PREFIX)


def pageEntries(details, here):
    """
    The entries to list of a page of a store's listing.

    @param details: entries of C{fs.ls(detail=True)} (or a page of them).
    @param here: the listed directory's path on the filesystem, without a
        trailing C{/}.
    @return: a C{dict} from each name to its entry, without the
        directory's own marker object, reserved names (L{isReserved}) and
        C{.} and C{..};
        where a file and a directory (key prefix) share a name, the
        directory.
    @raise NotDirectory: when the page shows C{here} is a file.
    """
    entries = {}
    for detail in details:
        name = detail["name"].rstrip("/")
        if name == here:
            if detail.get("type") == "file" and not detail["name"].endswith("/"):
                raise NotDirectory()
            continue
        base = name.rpartition("/")[2]
        if not base or base in (".", "..") or isReserved(base):
            # An object key with a "." or ".." segment (d/../x, written by
            # another client of the bucket) no FTP path can name: listed,
            # ".." was a directory entry besides MLSD's pdir, which a
            # client walking the tree entered, to find the parent again.
            continue
        if detail.get("type") == "directory" or base not in entries:
            entries[base] = detail
    return entries


@implementer(IDirectoryListing)
class FsspecListing:
    """
    An L{IDirectoryListing} reading the pages of a store's listing.
    """

    def __init__(self, call, pages, here, describe):
        """
        @param call: the shell's C{call}: runs a blocking function in its
            threads, returning a Deferred.
        @param pages: the blocking generator of pages
            (L{ftpkit.shells.fsspecgeneric.Backend.pages}); this listing
            closes it.
        @param here: see L{pageEntries}.
        @param describe: turns an fsspec entry into a
            L{ftpkit.fileinfo.FileInfo} (blocking).
        """
        self._call = call
        self._pages = pages
        self._here = here
        self._describe = describe
        self._first = None
        self._reading = False
        self._closed = False

    def readFirst(self):
        """
        Read the first batch now (blocking), so that opening the listing
        fails as listing the directory would; L{nextBatch} gives it.

        @return: the batch.
        """
        self._first = self.read()
        return self._first

    def read(self):
        """
        Read the next batch (blocking): the next page that has entries to
        list, described.

        @return: a list of C{(name, FileInfo)} pairs, empty at the end.
        """
        for page in self._pages:
            entries = pageEntries(page, self._here)
            if entries:
                return [(name, self._describe(detail))
                        for name, detail in entries.items()]
        return []

    def nextBatch(self):
        """
        See L{IDirectoryListing.nextBatch}.
        """
        first, self._first = self._first, None
        if first:
            return succeed(first)
        if self._closed:
            return succeed([])
        self._reading = True
        return self._call(self.read).addBoth(self._read)

    def _read(self, result):
        self._reading = False
        if self._closed:
            self._close()
        return result

    def close(self):
        """
        See L{IDirectoryListing.close}: the pages' generator is closed (in
        the shell's threads: an S3 listing ends its request there) once
        no batch is being read.
        """
        self._closed = True
        self._first = None
        if not self._reading:
            self._close()

    def _close(self):
        self._call(self._pages.close).addErrback(
            lambda failure: _log.failure("Closing a listing failed", failure))

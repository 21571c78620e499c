"""
L{DirectoryCalls}: the directory-reading methods of
L{ftpkit.shells.filesystem.FilesystemShell} (L{list}, its streamed and
names-only forms, and L{linkTargets}), which run in the listings' own
thread (L{ftpkit.shells.diskthreads.LISTINGS}) and read through
L{ftpkit.shells.disklistings}.
"""

import os

from ftpkit.protocol import modeaccess
from ftpkit.shells import listingcache
from ftpkit.shells.cachedlistings import listingOf, openWatched
from ftpkit.shells.disklistings import (
    OpenDirectory,
    describe,
    readEntries,
    readNamedStats,
    visibleNames,
)


class DirectoryCalls:
    """
    A base of L{ftpkit.shells.filesystem.FilesystemShell}: its methods
    that read directories.

    A class using it provides C{_jail} (its
    L{ftpkit.shells.diskpaths.Jail}), C{_resolve(path, followLast=True)}
    (a path's real path, in a worker thread) and C{_runListing} (runs a
    blocking function with its arguments in the listings' thread,
    returning a Deferred failing with L{ftpkit.errors.FTPError}).
    """

    def linkTargets(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellResolve.linkTargets}: one read of
        the directory, and a C{realpath} per link.
        """
        return self._runListing(self._linkTargets, path)

    def _linkTargets(self, path):
        """
        The blocking part of L{linkTargets}.
        """
        with self._openDirectory(path) as directory:
            links = [entry.name for entry in directory if entry.is_symlink()]
        return self._jail.linkTargets(directory.path, links)

    def list(self, path):
        """
        See L{IFTPShell.list}: temporary upload files are left out, and a
        link leading outside the root (or nowhere) is a
        L{ftpkit.fileinfo.LINK} entry described by C{lstat}.
        """
        return self._runListing(self._list, path)

    def _list(self, path):
        """
        The blocking part of L{list}.
        """
        with self._openDirectory(path) as directory:
            entries = readEntries(directory, self._followIn(directory))
        entries.sort(key=lambda pair: pair[0])
        return entries

    def openListing(self, path):
        """
        See L{IFTPShellStreamedListing.openListing}: the entries L{list}
        gives, read and described a batch at a time in the listings'
        thread, in the directory's own order; the first batch is read
        (not described) with the directory's open, so that naming a
        directory of one batch takes one thread call.
        """
        cache = listingcache.shared()
        opening = self._runListing(self._openReadAhead, path, cache)
        return opening.addCallback(
            lambda opened: listingOf(opened, self._followIn(opened[0]),
                                     self._runListing, cache))

    def _openReadAhead(self, path, cache):
        """
        The blocking part of L{openListing}: the directory opened and
        watched by the listings' cache, and its first batch of entries
        read (L{ftpkit.shells.cachedlistings.openWatched}).

        @param cache: the L{ftpkit.shells.listingcache.ListingCache}, or
            C{None}.
        @return: the L{OpenDirectory}, those entries and the cache's
            token.
        """
        return openWatched(cache, self._openDirectory(path))

    def _openDirectory(self, path):
        """
        Open a directory for reading (blocking).

        @param path: a tuple of segments.
        @return: an L{OpenDirectory}.
        @raise NotDirectory: when it names something else.
        """
        return OpenDirectory(os.fsdecode(self._resolve(path)))

    def _followIn(self, directory):
        """
        @param directory: an L{OpenDirectory}.
        @return: the C{follow} of
            L{ftpkit.shells.disklistings.readStats} for its entries, whose
            paths are their names.
        """
        follow = self._jail.follow
        return lambda name, linkStat: follow(
            os.path.join(directory.path, name), linkStat)

    def listNames(self, path):
        """
        See L{IFTPShellNames.listNames}: the names L{list} gives, without
        a C{stat} per entry.
        """
        return self._runListing(self._listNames, path)

    def _listNames(self, path):
        """
        The blocking part of L{listNames}.
        """
        with self._openDirectory(path) as directory:
            return visibleNames([entry.name for entry in directory])

    def listSome(self, path, names):
        """
        See L{ftpkit.interfaces.IFTPShellListSome.listSome}: a C{stat}
        for each of C{names} alone.
        """
        return self._runListing(self._listSome, path, list(names))

    def _listSome(self, path, names):
        """
        The blocking part of L{listSome}.
        """
        with self._openDirectory(path) as directory:
            pairs = readNamedStats(directory, names,
                                   self._followIn(directory))
        creds = modeaccess.credentials()
        return [(name, describe(result, creds)) for name, result in pairs]

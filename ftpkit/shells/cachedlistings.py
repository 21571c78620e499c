"""
The one place that decides whether a local directory's formatted listing
comes from, or goes to, the listings' cache
(L{ftpkit.shells.listingcache}): L{listingOf} gives a L{CachingListing}
for a directory the cache watches, else a plain
L{ftpkit.shells.disklistings.DiskListing}.

A L{CachingListing} caches only what it formats itself
(L{ftpkit.interfaces.IStatListing.nextFormattedBatch}), for a format
that has a key (L{ftpkit.shells.listings.cacheKeyOf}): every wrapper
above it still gets the bytes it asked that format for, as it would
without the cache. A batch is kept as runs of lines and the names of the
entries whose lines may change without an event on the directory
(L{ftpkit.shells.cachedparts.splitParts}), described and formatted
again at each use. A listing
read from the directory keeps its entries too
(L{ftpkit.shells.keptstats}): a listing of it in a format the cache
holds no lines of formats those, read as they were, instead of the
directory's (and its lines are cached in turn).
"""

import os
from collections import deque

from twisted.internet.defer import succeed

from ftpkit.shells.cachedparts import renderBatch
from ftpkit.shells.disklistings import (
    DiskListing,
    formatStats,
    groupName,
    ownerName,
    readAhead,
)
from ftpkit.shells.listingcache import CachedListing
from ftpkit.shells.listings import BATCH_SIZE, cacheKeyOf
from ftpkit.shells.sharedreads import SharedRead

WHOLE_ENTRIES = 10 * BATCH_SIZE
"""How many entries a listing the cache does not hold reads at its first
batch, so that it is cached before the next listing of the directory
looks: sessions listing one directory at the same moment (a site's
clients starting together) otherwise each read it, batch by batch in
turn, none cached before all had missed. A larger directory reads the
rest batch by batch, shared by the listings that miss it meanwhile
(L{ftpkit.shells.sharedreads}), and is cached at its end."""


def openWatched(cache, directory):
    """
    Open a directory's listing (blocking): watched by C{cache} first,
    and its first batch read ahead (L{readAhead}) unless it is cached.

    @param cache: the L{ftpkit.shells.listingcache.ListingCache}, or
        C{None}.
    @param directory: the L{ftpkit.shells.disklistings.OpenDirectory},
        nothing read from it yet.
    @return: what L{listingOf} takes: the directory, the entries read
        ahead (or C{None}) and the cache's token (or C{None}).
    """
    token = None
    if cache is not None:
        try:
            fd = directory.fileno()
            token = cache.begin(fd, os.fstat(fd), directory.path)
        except BaseException:
            directory.close()
            raise
    if token is not None and cache.holds(token):
        return directory, None, token
    return directory, readAhead(directory, BATCH_SIZE), token


def listingOf(opened, follow, run, cache):
    """
    @param opened: what L{openWatched} gave.
    @param follow: as for L{DiskListing}.
    @param run: as for L{DiskListing}.
    @param cache: the cache L{openWatched} was given.
    @return: a L{CachingListing} where the cache watches the directory,
        else a L{DiskListing}.
    """
    directory, first, token = opened
    if token is None:
        return DiskListing(directory, follow, run, first=first)
    return CachingListing(directory, follow, run, cache, token, first=first)


class CachingListing(DiskListing):
    """
    A L{DiskListing} whose formatted batches come from the cache when it
    holds them in their format, or from the read of them for the cache
    (L{ftpkit.shells.sharedreads.SharedRead}): one in flight it joins,
    or one it begins, reading the directory or formatting the entries
    the cache holds.

    Whether it does is decided at its first batch: one asked for in a
    format with a key (L{cacheKeyOf}), before any other way of reading
    it. The cache's L{find} and L{store} run in the disk thread that
    formats the batch.

    @cvar watched: true: the cache watches the directory, so that a
        pattern's matches are this listing filtered, formatted from the
        cache or read for it (L{ftpkit.control.handlers.listed}).
    """

    watched = True

    def __init__(self, iterator, follow, run, cache, token,
                 batchSize=BATCH_SIZE, first=None):
        """
        @param iterator: as for L{DiskListing}, an L{OpenDirectory}.
        @param follow: as for L{DiskListing}.
        @param run: as for L{DiskListing}.
        @param cache: the L{ftpkit.shells.listingcache.ListingCache}.
        @param token: what its C{begin} gave for the directory.
        @param batchSize: as for L{DiskListing}.
        @param first: as for L{DiskListing}.
        """
        DiskListing.__init__(self, iterator, follow, run, batchSize, first)
        self._cache = cache
        self._token = token
        self._started = False
        self._key = None
        self._cached = None
        self._shared = None
        self._taken = None
        self._index = 0
        self._ahead = deque()

    def nextBatch(self):
        """
        See L{DiskListing.nextBatch}: not cached.
        """
        self._started = True
        return DiskListing.nextBatch(self)

    def nextNames(self):
        """
        See L{DiskListing.nextNames}: not cached.
        """
        self._started = True
        return DiskListing.nextNames(self)

    def nextFormattedBatch(self, format):
        """
        See L{DiskListing.nextFormattedBatch}: from the cache, or kept
        for it.
        """
        if not self._started:
            self._started = True
            self._key = cacheKeyOf(format, "stats")
        if self._key is None:
            return DiskListing.nextFormattedBatch(self, format)
        if self._atEnd or self._closed:
            return DiskListing.nextFormattedBatch(self, format)
        ready = self._readyBatch(format)
        if ready is not None:
            return succeed(_formatted(self._read(ready)))
        self._reading = True
        return self._run(self._formatBatch, format).addBoth(
            self._read).addCallback(_formatted)

    def _readyBatch(self, format):
        """
        The next batch when it needs no disk: one read ahead, or one of
        the cached listing (or of the read shared) whose segments are
        all lines kept. Each batch after the first was one more call in
        the disk thread, and one more wake-up of the reactor, only to
        join bytes already in memory: nine a listing of 10,000 entries,
        read or cached.

        @return: as L{_formatBatch}, or C{None} when the batch must be
            read in the disk thread (the first, one holding entries
            described again at each use, one nobody read yet).
        """
        if self._ahead:
            count, parts, after = self._ahead.popleft()
            return count, b"".join(parts), after
        shared = self._shared
        if shared is not None:
            index = self._index
            if self._taken is None and index < len(shared.batches):
                taken = shared.take(self, index)
                if taken is None:
                    return None
                batch = taken[0]
                if all(type(segment) is bytes for segment in batch) and (
                        shared.sameLines(taken, format)):
                    self._index += 1
                    return 1, b"".join(batch), self._after(shared)
                self._taken = taken
                return None
            return (0, b"", []) if self._taken is None and shared.done and (
                shared.error is None) and index >= len(shared.batches) else (
                    None)
        cached = self._cached
        if cached is None:
            return None
        batches = cached.batches
        if self._index < len(batches) and not all(
                type(segment) is bytes for segment in batches[self._index]):
            return None
        return self._replay(format)

    def _after(self, shared):
        """
        @param shared: the read shared.
        @return: what follows the batch just taken from it: a true value
            unless it was its last.
        """
        return [None] if self._index < len(shared.batches) or not (
            shared.done) else []

    def _formatBatch(self, format):
        """
        The blocking part of L{nextFormattedBatch}: the first batch looks
        in the cache; a listing it held goes on from there, a read of it
        in flight is joined, and any other is begun (formatting the
        entries the cache holds, or reading the directory).

        @return: as L{ftpkit.shells.disklistings.formatStats}.
        """
        if self._cached is None and self._shared is None:
            found = self._cache.find(self._token, self._key, format, self)
            if type(found) is CachedListing:
                self._cached = found
            elif type(found) is SharedRead:
                self._shared = found
            else:
                self._begin(format, found)
        if self._cached is not None:
            return self._replay(format)
        return self._fromShared(format)

    def _begin(self, format, stats):
        """
        Begin the read for the cache, noted for other listings to join.

        @param format: the format.
        @param stats: the L{ftpkit.shells.keptstats.KeptStats} the cache
            holds of the directory, or C{None} to read it.
        """
        if stats is None:
            shared = SharedRead(self._cache, self._token, self._key, format,
                                self._iterator, self._entries(),
                                batchSize=self._batchSize, sharer=self)
        else:
            shared = SharedRead(self._cache, self._token, self._key, format,
                                None, None, stats, self._batchSize, self)
        self._shared = shared
        self._cache.reading(self._token, self._key, shared)

    def _fromShared(self, format):
        """
        The next batch of the read shared: read now, unless another
        listing read it (the first up to L{WHOLE_ENTRIES} entries at
        once, each batch formatted once and its parts kept to be sent in
        turn); else as kept, with the entries described again at each
        use looked up.

        @return: as L{_formatBatch}.
        """
        if self._ahead:
            count, parts, after = self._ahead.popleft()
            return count, b"".join(parts), after
        shared = self._shared
        index = self._index
        lstat = self._iterator.lstat
        taken, self._taken = self._taken, None
        if taken is None and index >= len(shared.batches):
            made, end = shared.read(
                self, index, lstat, self._follow,
                WHOLE_ENTRIES if index == 0 else self._batchSize, format)
            if made:
                self._index = end
                self._ahead.extend(made)
                count, parts, after = self._ahead.popleft()
                return count, b"".join(parts), after
            if index >= len(shared.batches):
                return 0, b"", []
        if taken is None:
            taken = shared.take(self, index)
            if taken is None:
                return self._resume(format)
        self._index = index + 1
        if shared.sameLines(taken, format):
            data = renderBatch(taken[0], lstat, self._follow, format)
        else:
            data = format.stats(shared.entriesOf(taken, lstat, self._follow),
                                ownerName, groupName)
        return 1, data, self._after(shared)

    def _resume(self, format):
        """
        Read on as a L{DiskListing} of the directory, from the read of its
        own the read shared gave it
        (L{ftpkit.shells.sharedreads.SharedRead.resumption}), not cached.

        @return: as L{_formatBatch}.
        """
        shared, self._shared = self._shared, None
        directory, following = shared.resumption(self)
        mine, self._iterator = self._iterator, directory
        mine.close()
        self._key = None
        self._first = None
        self._rest = directory
        self._following = following
        return formatStats(self._entries(), self._follow, self._batchSize,
                           format)

    def _replay(self, format):
        """
        The next batch of the cached listing.
        """
        batches = self._cached.batches
        index = self._index
        self._index += 1
        if index >= len(batches):
            return 0, b"", []
        data = renderBatch(batches[index], self._iterator.lstat,
                           self._follow, format)
        return 1, data, [None] if index + 1 < len(batches) else []

    def _read(self, result):
        """
        See L{DiskListing._read}: a listing closed while it read leaves
        the read it shared.
        """
        result = DiskListing._read(self, result)
        if self._closed:
            self._leave()
        return result

    def close(self):
        """
        See L{DiskListing.close}: and leave the read it shared, once no
        batch is being read (again: nothing).
        """
        if self._closed:
            return
        DiskListing.close(self)
        if not self._reading:
            self._leave()

    def _leave(self):
        """
        Leave the read shared, if any.
        """
        shared, self._shared = self._shared, None
        self._ahead.clear()
        self._taken = None
        if shared is not None:
            shared.leave(self)


def _formatted(result):
    """
    @param result: what L{CachingListing._formatBatch} gave.
    @return: what L{ftpkit.interfaces.IStatListing.nextFormattedBatch}
        gives for it.
    """
    count, data, _ = result
    return data if count else None

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
(L{splitParts}), described and formatted again at each use. A listing
read from the directory keeps its entries too
(L{ftpkit.shells.keptstats}): a listing of it in a format the cache
holds no lines of formats those, read as they were, instead of the
directory's (and its lines are cached in turn).
"""

import os
import stat as statModule
from array import array
from collections import deque
from operator import attrgetter, itemgetter

from twisted.internet.defer import succeed

from ftpkit.protocol.listinglines import byName
from ftpkit.shells.disklistings import (
    DiskListing,
    groupName,
    ownerName,
    readAhead,
    readStatsAhead,
)
from ftpkit.shells.keptstats import KeptStats, keptBatch, mtimesOf, pairsOf
from ftpkit.shells.listingcache import STATS, CachedListing
from ftpkit.shells.listings import BATCH_SIZE, cacheKeyOf

_TYPE = statModule.S_IFMT(0o177777)
"""The bits of an C{st_mode} that give the file's type."""

_DIRECTORY = statModule.S_IFDIR
"""Their value for a directory."""

MIN_ENTRIES = 8
"""A listing of fewer entries is not cached: reading it again costs
about what checking and using what was kept does (docs/benchmark.rst,
"The listings' cache")."""

WHOLE_ENTRIES = 10 * BATCH_SIZE
"""How many entries a listing the cache does not hold reads at its first
batch, so that it is cached before the next listing of the directory
looks: sessions listing one directory at the same moment (a site's
clients starting together) otherwise each read it, batch by batch in
turn, none cached before all had missed. A larger directory reads the
rest batch by batch, as any listing, and is cached at its end."""


def splitBatch(pairs, links, format):
    """
    Format a batch as L{ftpkit.protocol.listing.ListFormat.stats} does,
    and split it for the cache.

    @param pairs: C{(name, os.stat_result)} pairs, in any order.
    @param links: the names among them of links followed.
    @param format: the format.
    @return: the bytes of the batch, its segments (see
        L{CachedListing.batches}) and the pairs of the entries whose
        lines are kept, sorted by name.
    """
    parts, segments, stable = splitParts(pairs, links, format)
    return b"".join(parts), segments, stable


def splitParts(pairs, links, format):
    """
    L{splitBatch}, the bytes of the batch left in parts: the runs of
    lines its segments keep (the same objects) and the lines of the
    other entries.

    An entry is described again at each use of the listing when its
    line may change without an event on its directory: a directory (its
    own size, links and time change with its contents), a file of more
    than one name (changed through another one, in another directory), a
    link followed; and a file of no link (which no file system the cache
    watches lists), so that the others all have one
    (L{ftpkit.shells.keptstats}). So a recursive listing learns a cached
    directory's subdirectories too
    (L{ftpkit.shells.treelisting.WalkFormat}).

    A batch of such entries alone (most are) is looked at in C, not an
    entry at a time in Python.

    @param pairs: as for L{splitBatch}.
    @param links: as for L{splitBatch}.
    @param format: as for L{splitBatch}.
    @return: C{(parts, segments, stable)}; see L{splitBatch}.
    """
    ordered = sorted(pairs, key=byName)
    if ordered and not links and _allKept(ordered):
        lines = format.stats(ordered, ownerName, groupName)
        return [lines], (lines,), ordered
    parts, segments, stable, run = [], [], [], []
    for pair in ordered:
        name, result = pair
        # S_ISDIR, inline: a call an entry was some 5% of a listing read.
        if (result.st_nlink != 1 or result.st_mode & _TYPE == _DIRECTORY
                or name in links):
            if run:
                lines = format.stats(run, ownerName, groupName)
                parts.append(lines)
                segments.append(lines)
                run = []
            parts.append(format.stats([pair], ownerName, groupName))
            segments.append((name,))
        else:
            run.append(pair)
            stable.append(pair)
    if run:
        lines = format.stats(run, ownerName, groupName)
        parts.append(lines)
        segments.append(lines)
    return parts, tuple(segments), stable


def _allKept(pairs):
    """
    @param pairs: C{(name, result)} pairs, none of them a link followed.
    @return: whether the lines of all are kept (L{splitParts}): none is a
        directory, each has one link.
    """
    results = list(map(_second, pairs))
    return (not any(map(statModule.S_ISDIR, map(_mode, results)))
            and set(map(_links, results)) == _ONE)


_second = itemgetter(1)
_mode = attrgetter("st_mode")
_links = attrgetter("st_nlink")
_ONE = {1}


def renderBatch(segments, lstat, follow, format):
    """
    A cached batch as it reads now: its lines kept, and its other
    entries described and formatted again.

    @param segments: the batch's segments (L{CachedListing.batches}).
    @param lstat: looks up an entry by name (L{OpenDirectory.lstat}).
    @param follow: as for L{ftpkit.shells.disklistings.readStats}.
    @param format: the format the batch was cached for.
    @return: the bytes of the batch.
    """
    parts = []
    for segment in segments:
        if type(segment) is bytes:
            parts.append(segment)
            continue
        name = segment[0]
        try:
            result = lstat(name)
        except FileNotFoundError:
            continue
        if statModule.S_ISLNK(result.st_mode):
            result = follow(name, result)
        parts.append(format.stats([(name, result)], ownerName, groupName))
    return b"".join(parts)


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
    holds them in their format, are formatted from the entries it keeps
    when it holds those, and go to it when read whole.

    Whether it does is decided at its first batch: one asked for in a
    format with a key (L{cacheKeyOf}), before any other way of reading
    it. The cache's L{find} and L{store} run in the disk thread that
    formats the batch.
    """

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
        self._stats = None
        self._index = 0
        self._kept = None
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
        the cached listing whose segments are all lines kept. Each batch
        after the first was one more call in the disk thread, and one more
        wake-up of the reactor, only to join bytes already in memory: nine
        a listing of 10,000 entries, read or cached.

        @return: as L{_formatBatch}, or C{None} when the batch must be
            read in the disk thread (the first, or one holding entries
            described again at each use).
        """
        if self._ahead:
            count, parts, after = self._ahead.popleft()
            return count, b"".join(parts), after
        cached = self._cached
        if cached is None:
            return None
        batches = cached.batches
        if self._index < len(batches) and not all(
                type(segment) is bytes for segment in batches[self._index]):
            return None
        return self._replay(format)

    def _formatBatch(self, format):
        """
        The blocking part of L{nextFormattedBatch}: the first batch looks
        in the cache; a listing it held goes on from there, any other is
        formatted from the entries it kept, or read from the directory,
        and kept, to be cached whole.

        @return: as L{ftpkit.shells.disklistings.formatStats}.
        """
        if self._index == 0 and self._kept is None:
            found = self._cache.find(self._token, self._key, format)
            if type(found) is CachedListing:
                self._cached = found
            else:
                self._stats = found
                self._kept = _Keeping(found is None,
                                      format.cacheStamp() is not None)
                self._readAhead(format)
        if self._cached is not None:
            return self._replay(format)
        if self._ahead:
            count, parts, after = self._ahead.popleft()
            return count, b"".join(parts), after
        count, parts, after = self._readAndKeep(format)
        return count, b"".join(parts), after

    def _readAhead(self, format):
        """
        Read the batches of up to L{WHOLE_ENTRIES} entries at once, each
        formatted once, its parts kept to be sent in turn (L{splitParts}:
        the runs of lines the cache keeps are not held twice): the whole
        listing of a directory that has no more, cached (L{_keep}) before
        this thread call ends. (Its segments were kept instead, and
        rendered again when sent: each entry formatted again at each use,
        a directory, a file of several names, was described and formatted
        twice, and every batch's bytes joined twice.)
        """
        read = 0
        while read < WHOLE_ENTRIES:
            count, parts, after = self._readAndKeep(format)
            self._ahead.append((count, parts, after))
            read += count
            if not after:
                return
            self._following = after

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

    def _nextPairs(self):
        """
        The next batch's entries: those kept by the cache (L{pairsOf}),
        or read from the directory.

        @return: its C{(name, result)} pairs (C{os.stat_result} values,
            or L{ftpkit.shells.keptstats.KeptResult} ones), the names of the
            links followed among them, and what L{readStatsAhead} gives
            after them (a true value while batches follow).
        """
        stats = self._stats
        if stats is not None:
            batches = stats.batches
            index = self._index
            if index >= len(batches):
                return [], (), []
            pairs, links = pairsOf(batches[index], self._iterator.lstat,
                                   self._follow)
            return pairs, links, [None] if index + 1 < len(batches) else []
        links = set()
        follow = self._follow

        def following(name, result):
            links.add(name)
            return follow(name, result)

        pairs, after = readStatsAhead(self._entries(), following,
                                      self._batchSize)
        return pairs, links, after

    def _readAndKeep(self, format):
        """
        The next batch read, its segments kept (and, read from the
        directory, its entries); the listing cached once read whole.

        @return: as L{ftpkit.shells.disklistings.formatStats}, the
            batch's bytes in parts (L{splitParts}); a batch of kept
            entries that were all gone meanwhile counts as one, as the
            end of the listing is a batch of none.
        """
        pairs, links, after = self._nextPairs()
        self._index += 1
        parts, segments, stable = splitParts(pairs, links, format)
        kept = self._kept
        if kept is not None:
            if pairs:
                kept.add(segments, stable, len(pairs))
            if not after:
                self._keep(format)
        return len(pairs) or len(after), parts, after

    def _keep(self, format):
        """
        Cache what was read, unless it is too small to be worth it: the
        entries read from the directory first, so that the lines, used
        more recently, are let go after them.
        """
        kept, self._kept = self._kept, None
        if kept.count < MIN_ENTRIES:
            return
        if self._stats is None:
            generation = self._token[1]
            self._cache.store(self._token, STATS, KeptStats(
                generation, tuple(kept.stats)))
        else:
            generation = self._stats.generation
        # Kept as C doubles (8 bytes each, not a float object's 32), and
        # only for a format whose lines depend on the time.
        self._cache.store(self._token, self._key, CachedListing(
            generation, format.cacheStamp(), array("d", sorted(kept.mtimes)),
            tuple(kept.batches)))


class _Keeping:
    """
    What a listing read whole keeps to cache at its end.

    @ivar batches: each batch's segments (L{CachedListing.batches}).
    @ivar stats: each batch's entries (L{keptBatch}), or C{None} when
        they are not kept (the listing is formatted from kept ones).
    @ivar mtimes: the modification times of the entries whose lines are
        kept, for a format whose lines depend on the time; else none.
    @ivar count: the entries read.
    """

    def __init__(self, stats, dated):
        """
        @param stats: whether to keep the entries.
        @param dated: whether to keep the times.
        """
        self.batches = []
        self.stats = [] if stats else None
        self.mtimes = array("d")
        self._dated = dated
        self.count = 0

    def add(self, segments, stable, count):
        """
        Keep a batch.

        @param segments: its segments.
        @param stable: the pairs of its entries whose lines are kept
            (L{splitParts}).
        @param count: its entries.
        """
        self.batches.append(segments)
        self.count += count
        if self.stats is not None:
            batch = keptBatch(stable, [segment[0] for segment in segments
                                       if type(segment) is not bytes])
            self.stats.append(batch)
            if self._dated:
                self.mtimes.extend(mtimesOf(batch))
        elif self._dated:
            self.mtimes.extend([result.st_mtime for _, result in stable])


def _formatted(result):
    """
    @param result: what L{CachingListing._formatBatch} gave.
    @return: what L{ftpkit.interfaces.IStatListing.nextFormattedBatch}
        gives for it.
    """
    count, data, _ = result
    return data if count else None

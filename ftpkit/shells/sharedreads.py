"""
L{SharedRead}: a directory's listing in one format being read for the
listings' cache (L{ftpkit.shells.listingcache}), shared by every listing
of it that misses the cache while it is read.

Sessions listing one directory the cache does not hold at the same moment
(a site's clients starting together) each read it whole, and each kept
the whole listing to cache at its end: twenty sessions listing a
directory of 100,000 entries read it twenty times and held twenty copies
(C{docs/benchmark.rst}, C{bench-listshare-36}). A listing that misses the
cache while another one reads the directory in its format, as it is now
(L{ftpkit.shells.listingcache.ListingCache.find}: the directory's
generation unchanged since that read began, inotify's queue drained just
before), joins that read instead.

The read keeps each batch as the cache will (its segments: the runs of
lines kept and the names of the entries described again at each use) and
every listing sharing it sends the batches from there at its own pace,
each from its own place (L{ftpkit.shells.cachedparts.renderBatch}): the
listing that wants a batch nobody read yet reads it, whichever that is.
A listing whose client does not read its data connection holds up no
other, and none holds more than what the cache keeps anyway (the lines,
the entries). The listing that began the read may end (C{ABOR}, its
client gone) before the others: the read goes on for them, through the
directory it opened, closed once the last listing sharing it has ended.

Each batch is formatted by the listing that reads it, in its own format
(of the same key), at its time: a listing whose lines depend on the time
(C{LIST}'s dates) sends a batch another formatted only if its own format
gives the same lines (C{linesKept}, as for a listing cached), and formats
the batch from its entries otherwise; the listing is cached at its end
only if every batch reads as it would at the time of the first format.
"""

import threading
from array import array
from itertools import chain, repeat

from ftpkit.shells.cachedparts import splitParts
from ftpkit.shells.disklistings import readStatsAhead
from ftpkit.shells.keptstats import KeptStats, keptBatch, mtimesOf, pairsOf
from ftpkit.shells.listingcache import STATS, CachedListing
from ftpkit.shells.listings import BATCH_SIZE

MIN_ENTRIES = 8
"""A listing of fewer entries is not cached: reading it again costs
about what checking and using what was kept does (docs/benchmark.rst,
"The listings' cache")."""


class SharedRead:
    """
    A directory's listing in one format, read from the directory (or
    formatted from the entries the cache kept of it) for the cache, and
    for every listing that shares it.

    Its state changes in the listings' thread (L{read}, L{join}) and in
    the reactor's (L{leave}); a batch appended to L{batches} is never
    changed, so a listing reads those already there without a lock.

    @ivar format: the format that began it.
    @ivar stamp: that format's C{cacheStamp()}, the listing's once
        cached.
    @ivar generation: the directory's generation the read began at.
    @ivar batches: the segments of each batch read so far
        (L{ftpkit.shells.listingcache.CachedListing.batches}).
    @ivar done: whether it was read to its end, or failed (L{error}).
    @ivar error: the exception reading it raised, or C{None}.
    """

    def __init__(self, cache, token, formatKey, format, directory, entries,
                 stats=None, batchSize=BATCH_SIZE):
        """
        @param cache: the L{ftpkit.shells.listingcache.ListingCache}.
        @param token: what its C{begin} gave for the directory.
        @param formatKey: the format's C{cacheKey()}.
        @param format: the format.
        @param directory: the L{ftpkit.shells.disklistings.OpenDirectory}
            it is read through (held until the last listing sharing it
            has ended: L{leave}), or C{None} when C{stats} are formatted.
        @param entries: an iterator of the directory's entries not read
            yet (C{os.DirEntry} values), or C{None} with C{stats}.
        @param stats: the L{ftpkit.shells.keptstats.KeptStats} of the
            directory to format, or C{None} to read it.
        @param batchSize: the entries a batch read from the directory
            holds.
        """
        self._cache = cache
        self._token = token
        self._formatKey = formatKey
        self.format = format
        self.stamp = format.cacheStamp()
        self.generation = token[1] if stats is None else stats.generation
        self._stats = stats
        self._directory = directory.hold() if directory is not None else None
        self._entries = entries
        self._following = []
        self._statsIndex = 0
        self._batchSize = batchSize
        self._kept = _Keeping(stats is None, self.stamp is not None)
        self.batches = self._kept.batches
        self.done = False
        self.error = None
        self._readers = 1
        self._lock = threading.Lock()
        self._reading = threading.Lock()

    def join(self):
        """
        Count one more listing sharing it (in the listings' thread).

        @return: whether it may be shared: not failed, and some listing
            shares it still (once none does, it is let go).
        """
        with self._lock:
            if self._readers == 0 or self.error is not None:
                return False
            self._readers += 1
            return True

    def leave(self):
        """
        Count one listing less, ended while it read no batch (in the
        reactor's thread); after the last, let the directory and the
        cache's note of the read go.
        """
        with self._lock:
            self._readers -= 1
            last = self._readers == 0
        if last:
            directory, self._directory = self._directory, None
            self._entries = self._following = None
            if directory is not None:
                directory.close()
            self._cache.forget(self._token, self._formatKey, self)

    def read(self, index, lstat, follow, limit, format):
        """
        Read the batch at C{index}, and the next ones up to C{limit}
        entries, unless another listing read it meanwhile (blocking).

        @param index: the first batch the caller has not sent.
        @param lstat: looks up an entry by name in the caller's directory.
        @param follow: the caller's C{follow}
            (L{ftpkit.shells.disklistings.readStats}).
        @param limit: the most entries to read (a batch at least).
        @param format: the caller's format, which formats them.
        @return: the batches read, each as
            L{ftpkit.shells.disklistings.formatStats} gives, its bytes in
            parts (L{splitParts}), and the number of L{batches} after
            them; no batch when another listing read them.
        @raise Exception: what reading it raised, now or for another
            listing before.
        """
        with self._reading:
            if self.error is not None:
                raise self.error
            made = []
            if index >= len(self.batches) and not self.done:
                read = 0
                while read < limit and not self.done:
                    try:
                        batch = self._readOne(lstat, follow, format)
                    except Exception as e:
                        self.error = e
                        self.done = True
                        self._cache.forget(self._token, self._formatKey, self)
                        raise
                    made.append(batch)
                    read += batch[0]
            return made, len(self.batches)

    def _readOne(self, lstat, follow, format):
        """
        Read the next batch and keep it; once read to the end, cache the
        listing.

        @param lstat: as for L{read}.
        @param follow: as for L{read}.
        @param format: as for L{read}.
        @return: as L{ftpkit.shells.disklistings.formatStats}, the
            batch's bytes in parts; a batch of kept entries that were all
            gone meanwhile counts as one, as the end of the listing is a
            batch of none.
        """
        pairs, links, after, source = self._nextPairs(lstat, follow)
        parts, segments, stable = splitParts(pairs, links, format)
        if pairs:
            self._kept.add(segments, stable, len(pairs), source,
                           format.cacheStamp())
        if not after:
            self.done = True
            self._keep()
        return len(pairs) or len(after), parts, after

    def _nextPairs(self, lstat, follow):
        """
        The next batch's entries: those kept by the cache (L{pairsOf}),
        or read from the directory.

        @return: its C{(name, result)} pairs (C{os.stat_result} values,
            or L{ftpkit.shells.keptstats.KeptResult} ones), the names of the
            links followed among them, what L{readStatsAhead} gives
            after them (a true value while batches follow), and the kept
            batch they were made of (or C{None}).
        """
        stats = self._stats
        if stats is not None:
            batches = stats.batches
            index = self._statsIndex
            self._statsIndex += 1
            if index >= len(batches):
                return [], (), [], None
            pairs, links = pairsOf(batches[index], lstat, follow)
            return (pairs, links, [None] if index + 1 < len(batches) else [],
                    batches[index])
        links = set()

        def following(name, result):
            links.add(name)
            return follow(name, result)

        pairs, after = readStatsAhead(chain(self._following, self._entries),
                                      following, self._batchSize)
        self._following = after
        return pairs, links, after, None

    def _keep(self):
        """
        Cache what was read, unless it is too small to be worth it: the
        entries read from the directory first, so that the lines, used
        more recently, are let go after them; and let the cache's note
        of the read go.
        """
        kept = self._kept
        self._cache.forget(self._token, self._formatKey, self)
        if kept.count < MIN_ENTRIES:
            return
        if self._stats is None:
            self._cache.store(self._token, STATS, KeptStats(
                self.generation, tuple(kept.stats)))
        if not all(map(self.sameLines, range(len(kept.batches)),
                       repeat(self.format))):
            return
        # Kept as C doubles (8 bytes each, not a float object's 32), and
        # only for a format whose lines depend on the time.
        self._cache.store(self._token, self._formatKey, CachedListing(
            self.generation, self.stamp, array("d", sorted(kept.mtimes)),
            tuple(kept.batches)))

    def sameLines(self, index, format):
        """
        @param index: a batch of L{batches}.
        @param format: a listing's format, of the same key.
        @return: whether C{format} gives the lines kept of that batch.
        """
        if self.stamp is None:
            return True
        kept = self._kept
        stamp = kept.stamps[index]
        if stamp == format.cacheStamp():
            return True
        start, end = kept.bounds[index:index + 2]
        return format.linesKept(stamp, sorted(kept.mtimes[start:end]))

    def entriesOf(self, index, lstat, follow):
        """
        A batch's entries as they read now, for a format whose lines are
        not those kept (L{sameLines}).

        @param index: a batch of L{batches}.
        @param lstat: as for L{read}.
        @param follow: as for L{read}.
        @return: its C{(name, result)} pairs.
        """
        return pairsOf(self._kept.entries[index], lstat, follow)[0]


class _Keeping:
    """
    What a listing read whole keeps to cache at its end.

    @ivar batches: each batch's segments (L{CachedListing.batches}).
    @ivar stats: each batch's entries (L{keptBatch}), or C{None} when
        they are not kept (the listing is formatted from kept ones).
    @ivar mtimes: the modification times of the entries whose lines are
        kept, for a format whose lines depend on the time; else none.
    @ivar bounds: for such a format, where each batch's times begin in
        C{mtimes}, and their end.
    @ivar stamps: for such a format, the C{cacheStamp()} of the format
        that formatted each batch.
    @ivar entries: for such a format, each batch's entries (L{keptBatch}).
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
        self.bounds = [0]
        self.stamps = []
        self.entries = []
        self._dated = dated
        self.count = 0

    def add(self, segments, stable, count, source, stamp):
        """
        Keep a batch.

        @param segments: its segments.
        @param stable: the pairs of its entries whose lines are kept
            (L{splitParts}).
        @param count: its entries.
        @param source: the kept entries it was made of (L{keptBatch}), or
            C{None} when it was read from the directory.
        @param stamp: the C{cacheStamp()} of the format of its lines.
        """
        self.count += count
        if self.stats is not None:
            source = keptBatch(stable, [segment[0] for segment in segments
                                        if type(segment) is not bytes])
            self.stats.append(source)
            if self._dated:
                self.mtimes.extend(mtimesOf(source))
        elif self._dated:
            self.mtimes.extend([result.st_mtime for _, result in stable])
        if self._dated:
            self.entries.append(source)
            self.bounds.append(len(self.mtimes))
            self.stamps.append(stamp)
        # Last: a listing sharing the read takes a batch once it is here.
        self.batches.append(segments)

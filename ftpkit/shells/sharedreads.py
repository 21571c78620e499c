"""
L{SharedRead}: a directory's listing in one format being read for the
listings' cache (L{ftpkit.shells.listingcache}), shared by every listing
of it that misses the cache while it is read.

Sessions listing one directory the cache does not hold at the same moment
(a site's clients starting together) each read it whole, and each kept
the whole listing to cache at its end: twenty sessions listing a
directory of 100,000 entries read it twenty times and held twenty copies
(C{docs/benchmark-investigations.rst}, C{bench-listshare-36}). A listing that misses the
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

What the read holds is bounded. Kept to cache, it is no more than the
cache would hold (L{ftpkit.shells.listingcache.ListingCache.maxBytes}).
A listing larger than that, and any once the read has ended (cached or
not), keeps each batch only until every listing sharing it has taken
it, and none joins it any more. A listing left behind then by more
than a share of the cache's bytes (L{WINDOW_SHARE}: a client that reads
slowly, or not at all) is given a read of its own: the directory opened
again through its descriptor and read up to the batches it sent, once
the directory is known unchanged since the read began (its generation,
and the name of the next entry), so that it reads on in the same
order. Where that cannot be known (the directory changed), it keeps
its place in the read, which holds the batches for it. A read
formatting the entries the cache holds is bounded by what the cache
holds of them, and gives no read of its own.
"""

import threading
from array import array
from collections import deque
from itertools import chain, islice

from ftpkit.shells.cachedparts import splitParts
from ftpkit.shells.disklistings import readStatsAhead
from ftpkit.shells.keptstats import (
    KeptStats,
    batchBytes,
    keptBatch,
    mtimesOf,
    pairsOf,
)
from ftpkit.shells.listingcache import STATS, CachedListing, segmentsBytes
from ftpkit.shells.listings import BATCH_SIZE

MIN_ENTRIES = 8
"""A listing of fewer entries is not cached: reading it again costs
about what checking and using what was kept does (docs/benchmark-investigations.rst,
"The listings' cache")."""

WINDOW_SHARE = 8
"""A read not kept to cache holds batches for the listings sharing it
behind the one furthest ahead up to this share of the cache's bytes (4
MiB of the default 32), beyond which the furthest behind are given
reads of their own: listings started together stay well within it."""


class SharedRead:
    """
    A directory's listing in one format, read from the directory (or
    formatted from the entries the cache kept of it) for the cache, and
    for every listing that shares it.

    Its state changes in the listings' thread (L{read}, L{join}) and in
    the reactor's (L{take}, L{leave}), under a lock but for the batches
    read (one thread reads at a time): a batch appended to L{batches}
    (last of what is kept of it) is never changed, but let go (C{None})
    once every listing sharing it has taken it (L{take}), unless it is
    kept to cache.

    @ivar format: the format that began it.
    @ivar stamp: that format's C{cacheStamp()}, the listing's once
        cached.
    @ivar generation: the directory's generation the read began at.
    @ivar batches: the segments of each batch read so far
        (L{ftpkit.shells.listingcache.CachedListing.batches}), C{None}
        for those let go.
    @ivar done: whether it was read to its end, or failed (L{error}).
    @ivar error: the exception reading it raised, or C{None}.
    """

    def __init__(self, cache, token, formatKey, format, directory, entries,
                 stats=None, batchSize=BATCH_SIZE, sharer=None):
        """
        @param cache: the L{ftpkit.shells.listingcache.ListingCache}.
        @param token: what its C{begin} gave for the directory.
        @param formatKey: the format's C{cacheKey()}.
        @param format: the format.
        @param directory: the L{ftpkit.shells.disklistings.OpenDirectory}
            it is read through (held until the last listing sharing it
            has ended: L{leave}), or C{None} when C{stats} are formatted.
        @param entries: an iterator of the directory's entries, none read
            yet but into this iterator (C{os.DirEntry} values), or
            C{None} with C{stats}.
        @param stats: the L{ftpkit.shells.keptstats.KeptStats} of the
            directory to format, or C{None} to read it.
        @param batchSize: the entries a batch read from the directory
            holds.
        @param sharer: the listing that begins it, and shares it.
        """
        self._cache = cache
        self._token = token
        self._formatKey = formatKey
        self.format = format
        self.stamp = format.cacheStamp()
        self.generation = token[1] if stats is None else stats.generation
        self._stats = stats
        self._directory = directory.hold() if directory is not None else None
        self._entries = None if entries is None else self._counted(entries)
        self._pulled = 0
        self._ends = []
        self._following = []
        self._statsIndex = 0
        self._batchSize = batchSize
        self._kept = _Keeping(stats is None, self.stamp is not None)
        self.batches = self._kept.batches
        self.done = False
        self.error = None
        self._readers = 1
        self._places = {sharer: 0}
        self._resumed = {}
        self._keeping = True
        self._stuck = False
        self._low = 0
        self._held = 0
        self._lock = threading.Lock()
        self._reading = threading.Lock()

    def _counted(self, entries):
        """
        @param entries: the directory's entries not read yet.
        @return: an iterator of them, counting those it gave.
        """
        for entry in entries:
            self._pulled += 1
            yield entry

    def join(self, sharer=None):
        """
        Count one more listing sharing it, from its first batch (in the
        listings' thread).

        @param sharer: the listing.
        @return: whether it may be shared: not failed, every batch held
            to cache still, and some listing shares it still (once none
            does, it is let go).
        """
        with self._lock:
            if (self._readers == 0 or self.error is not None
                    or not self._keeping):
                return False
            self._readers += 1
            self._places[sharer] = 0
            return True

    def leave(self, sharer=None):
        """
        Count one listing less (in the reactor's thread, or in the
        listings' as it takes a read of its own); after the last, let
        the directory and the cache's note of the read go.

        @param sharer: the listing.
        """
        with self._lock:
            self._readers -= 1
            self._places.pop(sharer, None)
            resumed = self._resumed.pop(sharer, None)
            last = self._readers == 0
            self._letGo()
        if resumed is not None:
            resumed[0].close()
        if last:
            directory, self._directory = self._directory, None
            self._entries = self._following = None
            if directory is not None:
                directory.close()
            self._cache.forget(self._token, self._formatKey, self)

    def take(self, sharer, index):
        """
        Take a batch read already, to send it (in either thread).

        @param sharer: the listing.
        @param index: the first batch it has not sent, read.
        @return: the batch's segments and what tells whether a format
            gives its lines (L{sameLines}, L{entriesOf}); or C{None} when
            the listing was given a read of its own (L{resumption}).
        """
        with self._lock:
            if sharer in self._resumed:
                return None
            self._places[sharer] = index + 1
            taken = self._kept.batch(index)
            self._letGo()
            return taken

    def resumption(self, sharer):
        """
        The read of its own a listing was given (L{take} gave it
        C{None}), which it reads on instead of this one: it leaves this
        one.

        @param sharer: the listing.
        @return: the L{ftpkit.shells.disklistings.OpenDirectory}, read up
            to the first entry the listing has not sent, and a list of
            that entry (read), or none when it is read from its beginning.
        """
        with self._lock:
            resumed = self._resumed.pop(sharer)
        self.leave(sharer)
        return resumed

    def read(self, sharer, index, lstat, follow, limit, format):
        """
        Read the batch at C{index}, and the next ones up to C{limit}
        entries, unless another listing read it meanwhile (blocking).

        @param sharer: the listing.
        @param index: the first batch the caller has not sent.
        @param lstat: looks up an entry by name in the caller's directory.
        @param follow: the caller's C{follow}
            (L{ftpkit.shells.disklistings.readStats}).
        @param limit: the most entries to read (a batch at least).
        @param format: the caller's format, which formats them.
        @return: the batches read, taken by the caller, each as
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
            end = len(self.batches)
            if index >= end and not self.done:
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
                with self._lock:
                    end = len(self.batches)
                    if sharer not in self._resumed:
                        self._places[sharer] = end
                    self._letGo()
                self._giveOwnReads()
            return made, end

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
            if after and source is None:
                self._ends.append((self._pulled - len(after), after[0].name))
            size = self._kept.add(segments, stable, len(pairs), source,
                                  format.cacheStamp(), self._keeping)
            stop = self._keeping and self._kept.bytes > self._cache.maxBytes
            with self._lock:
                self._held += size
                if stop:
                    self._stopKeeping()
            if stop:
                self._cache.forget(self._token, self._formatKey, self)
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

    def _stopKeeping(self):
        """
        Keep nothing more to cache (the caller holds the lock, and lets
        the cache's note of the read go): what was read is more than the
        cache holds, or the read ended. No listing joins it any more, and
        each batch is let go once every listing sharing it has taken it.
        """
        self._keeping = False
        self._kept.stats = None
        self._letGo()

    def _letGo(self):
        """
        Let go the batches every listing sharing the read has taken, once
        nothing is kept to cache (the caller holds the lock).
        """
        if self._keeping:
            return
        low = min(self._places.values(), default=len(self.batches))
        while self._low < low:
            self._held -= self._kept.letGo(self._low)
            self._low += 1

    def _giveOwnReads(self):
        """
        Give the listings furthest behind reads of their own while the
        batches held for them are more than L{WINDOW_SHARE} of the cache's
        bytes (in the listings' thread, reading): each the directory
        opened again, read up to the first batch it has not taken
        (L{_readTo}).
        """
        window = self._cache.maxBytes // WINDOW_SHARE
        while not self._keeping and not self._stuck and self._held > window:
            with self._lock:
                low = self._low
                behind = [sharer for sharer, place in self._places.items()
                          if place == low]
            if not behind:
                return
            for sharer in behind:
                resumed = self._readTo(low)
                if resumed is None:
                    self._stuck = True
                    return
                with self._lock:
                    if self._places.get(sharer) == low:
                        del self._places[sharer]
                        self._resumed[sharer] = resumed
                        resumed = None
                    self._letGo()
                if resumed is not None:
                    resumed[0].close()

    def _readTo(self, index):
        """
        Open the directory again and read it up to the batch at C{index}
        (blocking), as this read read it: the same number of entries,
        the directory unchanged since the read began (the order of an
        unchanged directory's entries is the same each time it is read),
        and the entry after them the same.

        @param index: a batch read.
        @return: the new L{ftpkit.shells.disklistings.OpenDirectory} and a
            list of the entry read after the batches before C{index}
            (none for the first batch); or C{None} when that cannot be
            known to be where this read was (the directory changed since
            it began), the entries are the cache's, or the directory could
            not be read again (that listing then keeps its place).
        """
        if self._stats is not None or self._directory is None:
            return None
        try:
            again = self._directory.again()
        except OSError:
            return None
        if index == 0:
            return again, []
        count, name = self._ends[index - 1]
        entries = iter(again)
        try:
            deque(islice(entries, count), maxlen=0)
            after = list(islice(entries, 1))
        except OSError:
            after = ()
        if (not after or after[0].name != name
                or not self._cache.unchanged(self._token, self.generation)):
            again.close()
            return None
        return again, after

    def _keep(self):
        """
        Cache what was read, unless it is too small to be worth it, or
        was not kept: the entries read from the directory first, so that
        the lines, used more recently, are let go after them; and let the
        cache's note of the read go, and each batch once taken.
        """
        kept = self._kept
        self._cache.forget(self._token, self._formatKey, self)
        with self._lock:
            keeping = self._keeping
            stats = kept.stats
            taken = list(map(kept.batch, range(len(kept.batches)))) if (
                keeping) else ()
            self._stopKeeping()
        if not keeping or kept.count < MIN_ENTRIES:
            return
        if self._stats is None:
            self._cache.store(self._token, STATS, KeptStats(
                self.generation, tuple(stats)))
        if not all(self.sameLines(batch, self.format) for batch in taken):
            return
        # Kept as C doubles (8 bytes each, not a float object's 32), and
        # only for a format whose lines depend on the time.
        self._cache.store(self._token, self._formatKey, CachedListing(
            self.generation, self.stamp,
            array("d", sorted(chain.from_iterable(
                batch[2] for batch in taken if batch[2] is not None))),
            tuple(batch[0] for batch in taken)))

    def sameLines(self, taken, format):
        """
        @param taken: a batch, as L{take} gives it.
        @param format: a listing's format, of the same key.
        @return: whether C{format} gives the lines kept of that batch.
        """
        if self.stamp is None:
            return True
        _, stamp, mtimes, _ = taken
        if stamp == format.cacheStamp():
            return True
        return format.linesKept(stamp, sorted(mtimes))

    def entriesOf(self, taken, lstat, follow):
        """
        A batch's entries as they read now, for a format whose lines are
        not those kept (L{sameLines}).

        @param taken: a batch, as L{take} gives it.
        @param lstat: as for L{read}.
        @param follow: as for L{read}.
        @return: its C{(name, result)} pairs.
        """
        return pairsOf(taken[3], lstat, follow)[0]


class _Keeping:
    """
    What a read keeps of each batch until it is let go, and of the
    whole to cache at its end.

    @ivar batches: each batch's segments (L{CachedListing.batches}),
        C{None} once let go.
    @ivar stats: each batch's entries (L{keptBatch}) to cache, or
        C{None} when they are not (the listing is formatted from kept
        ones, or is not kept to cache).
    @ivar count: the entries read.
    @ivar bytes: what the lines and entries kept to cache are counted as
        there.
    """

    def __init__(self, stats, dated):
        """
        @param stats: whether to keep the entries to cache.
        @param dated: whether to keep the times and entries of each
            batch, for a format whose lines depend on the time.
        """
        self.batches = []
        self.stats = [] if stats else None
        self._stamps = []
        self._mtimes = []
        self._entries = []
        self._sizes = []
        self._dated = dated
        self.count = 0
        self.bytes = 0

    def add(self, segments, stable, count, source, stamp, keeping):
        """
        Keep a batch.

        @param segments: its segments.
        @param stable: the pairs of its entries whose lines are kept
            (L{splitParts}).
        @param count: its entries.
        @param source: the kept entries it was made of (L{keptBatch}), or
            C{None} when it was read from the directory.
        @param stamp: the C{cacheStamp()} of the format of its lines.
        @param keeping: whether it is kept to cache.
        @return: the bytes of its lines.
        """
        self.count += count
        size = segmentsBytes(segments)
        mtimes = None
        toCache = keeping and self.stats is not None
        if source is None and (self._dated or toCache):
            source = keptBatch(stable, [segment[0] for segment in segments
                                        if type(segment) is not bytes])
            mtimes = mtimesOf(source)
        elif self._dated:
            mtimes = array("d", [result.st_mtime for _, result in stable])
        if keeping:
            self.bytes += size
            if toCache:
                self.stats.append(source)
                self.bytes += batchBytes(source)
        self._stamps.append(stamp)
        self._mtimes.append(mtimes if self._dated else None)
        self._entries.append(source if self._dated else None)
        self._sizes.append(size)
        # Last: a listing sharing the read takes a batch once it is here.
        self.batches.append(segments)
        return size

    def batch(self, index):
        """
        @param index: a batch kept, not let go.
        @return: its segments, the C{cacheStamp()} of the format of its
            lines, and for a format whose lines depend on the time, its
            entries' times and its entries (L{keptBatch}), else C{None}
            for each.
        """
        return (self.batches[index], self._stamps[index],
                self._mtimes[index], self._entries[index])

    def letGo(self, index):
        """
        Let a batch go.

        @param index: the batch.
        @return: the bytes of its lines.
        """
        self.batches[index] = self._mtimes[index] = None
        self._entries[index] = None
        return self._sizes[index]

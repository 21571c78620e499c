"""
L{ListingCache}: the formatted listings of local directories, kept while
inotify says the directory has not changed (L{ftpkit.shells.dirwatch}),
shared by every session of the process; L{shared} is the process's, made
by L{enable} (the server does, unless C{--no-listing-cache}).

A listing is cached under its directory (C{st_dev}, C{st_ino}) and the
key of its format (L{ftpkit.shells.listings.cacheKeyOf}: the command, the
facts, the user's masks, the names a wrapper hides), with the generation
its directory had before it was read; and the entries as that listing
read them (L{ftpkit.shells.keptstats.KeptStats}) under the directory and
L{STATS}, with the same generation, from which a listing in another
format is made without reading the directory. Each is used only while
the directory has that generation, read after draining inotify's queue,
in the thread that then uses it: a change finished before is seen. What
the events of a directory do not tell is not cached: the entries that
are directories, links followed or files of more than one name are
described again at each use (L{ftpkit.shells.cachedlistings}), and a
C{LIST}'s dates are checked to read the same (C{linesKept}).

A directory being read for the cache in a format is noted too (a
L{ftpkit.shells.sharedreads.SharedRead}): a listing in that format that
finds nothing cached while the directory still has the generation that
read began at joins it instead of reading the directory once more
(L{find}).

Lines and entries count alike against the cache's bytes, the least
recently used let go first: the entries of a directory listed in one
format alone go before its lines.

Not cached: where inotify is not there (not Linux), where no more watches
may be made, and on file systems that other machines or processes change
without Linux's knowledge (L{ftpkit.compat.mounts.isLocal}).
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass

from twisted.logger import Logger

from ftpkit.compat.inotify import Inotify
from ftpkit.compat.mounts import isLocal
from ftpkit.shells.dirwatch import DirectoryWatcher

_log = Logger()

MAX_BYTES = 32 * 1024 * 1024
"""The most bytes of listings the process keeps, by default."""

RECORD_OVERHEAD = 256
"""What a cached listing costs besides its lines, counted in its size."""

VOLATILE_COST = 96
"""What an entry described at each use costs in a cached listing."""

STATS = object()
"""The key under which a directory's entries are kept, where a format's
key names its lines (no format's key is this object)."""


@dataclass(frozen=True)
class CachedListing:
    """
    A directory's listing in one format, as cached.

    @ivar generation: its directory's generation before it was read.
    @ivar stamp: its format's C{cacheStamp()}.
    @ivar mtimes: the sorted modification times of the entries whose
        lines are kept (for C{linesKept}), an C{array("d")}; none when
        C{stamp} is C{None} (lines that do not depend on the time).
    @ivar batches: a tuple of batches, each a tuple of segments: the
        C{bytes} of lines kept, or a C{(name,)} tuple for an entry
        described again at each use.
    """

    generation: int
    stamp: object
    mtimes: object
    batches: tuple

    @property
    def size(self):
        """
        @return: the bytes it is counted as.
        """
        return (RECORD_OVERHEAD + 8 * len(self.mtimes)
                + sum(map(segmentsBytes, self.batches)))


def segmentsBytes(segments):
    """
    @param segments: a batch's segments (L{CachedListing.batches}).
    @return: the bytes they are counted as in L{CachedListing.size}.
    """
    total = 0
    for segment in segments:
        total += (len(segment) if type(segment) is bytes
                  else VOLATILE_COST + len(segment[0]))
    return total


class ListingCache:
    """
    Cached listings, bounded in bytes (the least recently used let go),
    and the watcher of their directories; thread-safe.

    @ivar hits: how many times L{find} gave a listing, the entries to
        format one from, or a read in flight to share.
    @ivar misses: how many times it gave neither; both counted under the
        lock L{find} holds anyway, read without it (for metrics).
    """

    def __init__(self, watcher, maxBytes=MAX_BYTES, isLocal=isLocal):
        """
        @param watcher: the L{DirectoryWatcher}.
        @param maxBytes: the most bytes of listings kept.
        @param isLocal: tells whether every change to the file system a
            descriptor is on is seen (L{ftpkit.compat.mounts.isLocal}).
        """
        self._watcher = watcher
        self._maxBytes = maxBytes
        self._isLocal = isLocal
        self._lock = threading.Lock()
        self._listings = OrderedDict()
        self._formats = {}
        self._reads = {}
        self._bytes = 0
        self._kept = 0
        self._warned = False
        self.hits = 0
        self.misses = 0

    @property
    def size(self):
        """
        @return: the bytes of the listings kept.
        """
        return self._bytes

    @property
    def maxBytes(self):
        """
        @return: the most bytes of listings kept: a listing read for the
            cache keeps no more than that to cache
            (L{ftpkit.shells.sharedreads}).
        """
        return self._maxBytes

    @property
    def entries(self):
        """
        @return: how many listings are kept (a directory's entries kept,
            under L{STATS}, are not listings: they count in L{size}
            alone).
        """
        return len(self._listings) - self._kept

    @property
    def watched(self):
        """
        @return: how many directories are watched.
        """
        return len(self._watcher)

    def begin(self, fd, result, path):
        """
        Watch a directory about to be read (blocking; before reading it).

        @param fd: a descriptor of it.
        @param result: its C{os.fstat} result.
        @param path: its path, C{str}.
        @return: a token for L{holds}, L{find} and L{store}: its key and
            generation; or C{None} when its listings are not cached.
        """
        if not self._isLocal(fd):
            return None
        key = (result.st_dev, result.st_ino)
        with self._lock:
            self._watcher.drain()
            generation = self._watcher.watch(fd, key, path)
            if generation is None:
                self._warnOnce()
                return None
        return key, generation

    def _warnOnce(self):
        """
        Say (once) why a directory's listings are not cached.
        """
        if not self._warned:
            self._warned = True
            _log.warn("Listings of some directories are not cached: "
                      "{error}", error=str(self._watcher.failure))

    def holds(self, token):
        """
        @param token: what L{begin} gave.
        @return: whether a listing of its directory, as it is now, is
            cached in some format, or its entries are, or one is being
            read for the cache (L{reading}).
        """
        key, generation = token
        with self._lock:
            return any(
                self._listings[key, format].generation == generation
                for format in self._formats.get(key, ())) or any(
                    where[0] == key and read.generation == generation
                    for where, read in self._reads.items())

    def find(self, token, formatKey, format, sharer=None):
        """
        Find a directory's listing (blocking: inotify is drained first).

        @param token: what L{begin} gave.
        @param formatKey: the format's C{cacheKey()}.
        @param format: the format, whose C{linesKept} says whether its
            lines are the same.
        @param sharer: what joins a read in flight, if one is found (the
            listing).
        @return: the L{CachedListing}; else the
            L{ftpkit.shells.sharedreads.SharedRead} of the directory in
            that format, of its generation now, joined by C{sharer}
            (L{reading}); else
            the directory's L{ftpkit.shells.keptstats.KeptStats}, to
            format them; or C{None} (a miss), the directory to be read.
        """
        key = token[0]
        with self._lock:
            self._watcher.drain()
            generation = self._watcher.generation(key)
            listing = self._current((key, formatKey), generation)
            if listing is None or not format.linesKept(listing.stamp,
                                                       listing.mtimes):
                listing = self._reads.get((key, formatKey))
                if (listing is None or listing.generation != generation
                        or not listing.join(sharer)):
                    listing = self._current((key, STATS), generation)
                if listing is None:
                    self.misses += 1
                    return None
            self.hits += 1
            return listing

    def unchanged(self, token, generation):
        """
        Tell whether a directory has not changed since it had a
        generation (blocking: inotify is drained first).

        @param token: what L{begin} gave for it.
        @param generation: the generation it had.
        @return: whether it has that generation still (watched all the
            while).
        """
        with self._lock:
            self._watcher.drain()
            return self._watcher.generation(token[0]) == generation

    def reading(self, token, formatKey, read):
        """
        Note a directory's listing being read for the cache, for L{find}
        to give to listings of it in that format meanwhile.

        @param token: what L{begin} gave.
        @param formatKey: the format's C{cacheKey()}.
        @param read: the L{ftpkit.shells.sharedreads.SharedRead}.
        """
        with self._lock:
            self._reads[token[0], formatKey] = read

    def forget(self, token, formatKey, read):
        """
        Let the note of a read (L{reading}) go, once it ended or nobody
        shares it: not a later read's note.

        @param token: as for L{reading}.
        @param formatKey: as for L{reading}.
        @param read: as for L{reading}.
        """
        where = (token[0], formatKey)
        with self._lock:
            if self._reads.get(where) is read:
                del self._reads[where]

    def _current(self, where, generation):
        """
        @param where: a C{(directory key, format key or L{STATS})}.
        @param generation: the directory's generation now.
        @return: what is kept there, made the most recently used, if it
            is of that generation; else C{None} (and what was kept there
            is let go).
        """
        listing = self._listings.get(where)
        if listing is None:
            return None
        if listing.generation != generation:
            self._remove(where)
            return None
        self._listings.move_to_end(where)
        return listing

    def store(self, token, formatKey, listing):
        """
        Keep a directory's listing, read since L{begin} gave C{token}
        (blocking: inotify is drained first), unless the directory
        changed since.

        @param token: what L{begin} gave.
        @param formatKey: its format's C{cacheKey()}, or L{STATS}.
        @param listing: the L{CachedListing}, or for L{STATS} the
            L{ftpkit.shells.keptstats.KeptStats}: of the generation the
            directory had when it was read (C{token}'s, or that of the
            entries it was made of).
        @return: whether it was kept.
        """
        key = token[0]
        generation = listing.generation
        size = listing.size
        with self._lock:
            self._watcher.drain()
            if (self._watcher.generation(key) != generation
                    or size > self._maxBytes):
                return False
            if (key, formatKey) in self._listings:
                self._remove((key, formatKey))
            self._listings[key, formatKey] = listing
            self._formats.setdefault(key, set()).add(formatKey)
            self._bytes += size
            self._kept += formatKey is STATS
            while self._bytes > self._maxBytes:
                self._remove(next(iter(self._listings)))
            return True

    def _remove(self, where):
        """
        Let a listing go.

        @param where: its C{(directory key, format key)}.
        """
        listing = self._listings.pop(where)
        self._bytes -= listing.size
        key, formatKey = where
        self._kept -= formatKey is STATS
        formats = self._formats[key]
        formats.discard(formatKey)
        if not formats:
            del self._formats[key]

    def close(self):
        """
        Let every listing go and stop watching.
        """
        with self._lock:
            self._listings.clear()
            self._formats.clear()
            self._reads.clear()
            self._bytes = 0
            self._kept = 0
            self._watcher.close()


_shared = None


def shared():
    """
    @return: the process's L{ListingCache}, or C{None} when listings are
        not cached.
    """
    return _shared


def enable(maxBytes=MAX_BYTES):
    """
    Cache listings in this process (again: nothing); where inotify is not
    there, say so once and do not.

    @param maxBytes: the most bytes of listings kept.
    @return: L{shared}'s cache, or C{None}.
    """
    global _shared
    if _shared is None:
        try:
            inotify = Inotify()
        except OSError as e:
            _log.info("Listings are not cached: no inotify ({error})",
                      error=str(e))
            return None
        _shared = ListingCache(DirectoryWatcher(inotify), maxBytes)
    return _shared


def disable():
    """
    Stop caching listings in this process (again: nothing).
    """
    global _shared
    cache, _shared = _shared, None
    if cache is not None:
        cache.close()

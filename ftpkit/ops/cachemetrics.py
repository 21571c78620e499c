"""
The listings' cache's metrics (L{ftpkit.shells.listingcache}): its hits
and misses, and the bytes, listings and watched directories it holds;
all zero in a process without a cache, in one process and under
C{--workers} alike.

The cache counts its hits and misses itself, as plain numbers under the
lock its look-up holds anyway: a listing costs no more. In one process
L{CacheCollector} reads them, and the rest, when scraped. Under
C{--workers} the scrape is the acceptor's, which has no cache: each
worker's L{CacheFiles} copies its cache's values into
C{prometheus_client}'s multiprocess files every L{COPY_INTERVAL}
seconds, and the acceptor adds them up as it does the others.
"""

from twisted.application import internet

from ftpkit.ops import events
from ftpkit.shells import listingcache

COPY_INTERVAL = 1.0
"""Seconds between a worker's copies of its cache's values."""

HITS = ("ftpkit_listing_cache_hits",
        "Listings of watched directories served from the listings' cache.")
MISSES = ("ftpkit_listing_cache_misses",
          "Listings of watched directories the listings' cache did not "
          "hold (read from the directory).")
GAUGES = (
    ("ftpkit_listing_cache_bytes", "Bytes of listings cached now.",
     "size"),
    ("ftpkit_listing_cache_entries", "Listings cached now.", "entries"),
    ("ftpkit_listing_cache_watched_directories",
     "Directories the listings' cache watches now.", "watched"),
)
"""Each gauge's name, help and the cache's attribute it reads."""


def cacheFamilies(cache):
    """
    @param cache: a L{listingcache.ListingCache}, or C{None} for none.
    @return: a list of its metric families, as they are now; without a
        cache, every one at zero (see L{CacheCollector}).
    """
    from prometheus_client.core import (
        CounterMetricFamily,
        GaugeMetricFamily,
    )

    def value(what):
        return 0 if cache is None else getattr(cache, what)

    families = [CounterMetricFamily(name, text, value=value(what))
                for (name, text), what in ((HITS, "hits"),
                                           (MISSES, "misses"))]
    families.extend(GaugeMetricFamily(name, text, value=value(what))
                    for name, text, what in GAUGES)
    return families


class CacheCollector:
    """
    A C{prometheus_client} collector of the process's listings' cache
    (L{listingcache.shared}), read when scraped. Without a cache
    (C{--no-listing-cache}, no inotify) its series are all zero, as under
    C{--workers}, whose workers make them whether they cache or not: one
    process had none, and a dashboard or an alert on them (a hit ratio, an
    C{absent()}) told a server without a cache from one with no metrics.
    """

    def __init__(self, shared=listingcache.shared):
        """
        @param shared: gives the cache, or C{None}.
        """
        self._shared = shared

    def collect(self):
        """
        @return: the cache's metric families (L{cacheFamilies}).
        """
        return iter(cacheFamilies(self._shared()))


class SessionCopies(internet.TimerService):
    """
    Copies a process's own counts into C{prometheus_client}'s
    multiprocess files every L{COPY_INTERVAL} seconds and at the end of
    each session (L{subscribeTo}): a scrape that sees a session ended
    sees what it counted. A subclass's C{copy} method copies what was
    counted since the last copy.
    """

    def __init__(self):
        internet.TimerService.__init__(self, COPY_INTERVAL, self.copy)

    def subscribeTo(self, hub):
        """
        Copy at each session's end.

        @param hub: the process's L{events.EventHub}.
        """
        hub.subscribe(self._sessionEnded, (events.SESSION_ENDED,))

    def _sessionEnded(self, event):
        self.copy()


class CacheFiles(SessionCopies):
    """
    In a worker of C{--workers}: copy its cache's values into the
    multiprocess files every L{COPY_INTERVAL} seconds (counters by what
    they grew, gauges as C{livesum}: a worker that ended stops counting),
    and at the end of each session (L{subscribeTo}), so that a scrape
    that sees a worker's sessions ended sees what they did to its cache.
    """

    def __init__(self, shared=listingcache.shared):
        """
        @param shared: gives the cache, or C{None}.
        """
        from prometheus_client import Counter, Gauge

        SessionCopies.__init__(self)
        self._shared = shared
        self._counters = [(Counter(name, text, registry=None), what)
                          for (name, text), what in ((HITS, "hits"),
                                                     (MISSES, "misses"))]
        self._gauges = [(Gauge(name, text, registry=None,
                               multiprocess_mode="livesum"), what)
                        for name, text, what in GAUGES]
        self._copied = {}

    def copy(self):
        """
        Copy the cache's values now.
        """
        cache = self._shared()
        if cache is None:
            return
        for counter, what in self._counters:
            value = getattr(cache, what)
            grown = value - self._copied.get(what, 0)
            if grown > 0:
                counter.inc(grown)
            self._copied[what] = value
        for gauge, what in self._gauges:
            gauge.set(getattr(cache, what))

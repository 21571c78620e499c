"""
The listings' cache's metrics (L{ftpkit.ops.cachemetrics}).
"""

from types import SimpleNamespace

from twisted.trial import unittest

try:
    import prometheus_client
except ImportError:
    prometheus_client = None

from ftpkit.ops import events
from ftpkit.ops.cachemetrics import CacheCollector, CacheFiles


def _cache(hits=0, misses=0, size=0, entries=0, watched=0):
    return SimpleNamespace(hits=hits, misses=misses, size=size,
                           entries=entries, watched=watched)


def _values(metrics):
    """
    @param metrics: C{prometheus_client} metrics or collectors.
    @return: a dict of their samples' values by name.
    """
    return {sample.name: sample.value
            for metric in metrics for family in metric.collect()
            for sample in family.samples
            if not sample.name.endswith("_created")}


class CacheCollectorTests(unittest.TestCase):
    """
    L{CacheCollector} reads the cache when collected.
    """

    if prometheus_client is None:
        skip = "prometheus_client not installed"

    def test_read(self):
        """
        The counters and gauges read what the cache says now.
        """
        cache = _cache(hits=3, misses=2, size=4096, entries=5, watched=7)
        collector = CacheCollector(lambda: cache)
        self.assertEqual(_values([collector]), {
            "ftpkit_listing_cache_hits_total": 3,
            "ftpkit_listing_cache_misses_total": 2,
            "ftpkit_listing_cache_bytes": 4096,
            "ftpkit_listing_cache_entries": 5,
            "ftpkit_listing_cache_watched_directories": 7})
        cache.hits += 1
        self.assertEqual(
            _values([collector])["ftpkit_listing_cache_hits_total"], 4)

    def test_noCache(self):
        """
        Without a cache (C{--no-listing-cache}), every series at zero, as
        the workers of C{--workers} report them: one process had none.
        """
        self.assertEqual(_values([CacheCollector(lambda: None)]), {
            "ftpkit_listing_cache_hits_total": 0,
            "ftpkit_listing_cache_misses_total": 0,
            "ftpkit_listing_cache_bytes": 0,
            "ftpkit_listing_cache_entries": 0,
            "ftpkit_listing_cache_watched_directories": 0})


class CacheFilesTests(unittest.TestCase):
    """
    L{CacheFiles} copies the cache's values into C{prometheus_client}'s
    metrics.
    """

    if prometheus_client is None:
        skip = "prometheus_client not installed"

    def test_copy(self):
        """
        The counters grow by what the cache's counts grew since the last
        copy; the gauges take its values.
        """
        cache = _cache(hits=2, misses=1, size=100, entries=1, watched=2)
        files = CacheFiles(lambda: cache)
        metrics = [metric for metric, _ in files._counters + files._gauges]
        files.copy()
        cache.hits, cache.misses, cache.entries = 5, 1, 3
        files.copy()
        self.assertEqual(_values(metrics), {
            "ftpkit_listing_cache_hits_total": 5,
            "ftpkit_listing_cache_misses_total": 1,
            "ftpkit_listing_cache_bytes": 100,
            "ftpkit_listing_cache_entries": 3,
            "ftpkit_listing_cache_watched_directories": 2})

    def test_noCache(self):
        """
        Without a cache, nothing is copied.
        """
        files = CacheFiles(lambda: None)
        files.copy()
        self.assertEqual(_values(
            [metric for metric, _ in files._counters])["ftpkit_listing_"
                                                       "cache_hits_total"], 0)

    def test_sessionEnded(self):
        """
        A session's end copies the cache's values: a scrape that sees it
        ended sees what it did to the cache.
        """
        cache = _cache(watched=1)
        files = CacheFiles(lambda: cache)
        hub = events.EventHub()
        files.subscribeTo(hub)
        cache.watched, cache.hits = 2, 1
        hub.publish(events.Event(events.SESSION_ENDED, None))
        metrics = [metric for metric, _ in files._counters + files._gauges]
        values = _values(metrics)
        self.assertEqual(
            (values["ftpkit_listing_cache_hits_total"],
             values["ftpkit_listing_cache_watched_directories"]), (1, 2))

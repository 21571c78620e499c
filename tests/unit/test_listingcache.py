"""
The listings' cache (its watcher: C{test_dirwatch}): the dates that
switch form (L{ftpkit.protocol.listingdates.sameForms}), which formats
may be cached (L{ftpkit.shells.listings.cacheKeyOf}), a batch split and
rendered again (L{ftpkit.shells.cachedlistings}), the cache's bounds
(L{ftpkit.shells.listingcache}), its options and service, and the
disk shell's conformance through it.
"""

import os
import sys
import time
from types import SimpleNamespace

from twisted.trial import unittest

from ftpkit.compat.inotify import (
    Inotify,
)
from ftpkit.protocol.listing import ListFormat, NamesFormat
from ftpkit.protocol.listingdates import FUTURE, RECENT, sameForms
from ftpkit.protocol.listingfacts import FACTS, FactsFormat
from ftpkit.shells.cachedparts import renderBatch, splitParts
from ftpkit.shells.dirwatch import DirectoryWatcher
from ftpkit.shells.disklistings import groupName, ownerName
from ftpkit.shells.listingcache import CachedListing, ListingCache
from ftpkit.shells.listings import FilteredListing, cacheKeyOf
from tests.unit import test_shell_filesystem as shellTests

_LINUX = sys.platform.startswith("linux")


class SameFormsTests(unittest.TestCase):
    """
    L{sameForms} tells whether C{LIST} dates read the same at another
    time: exactly as the format decides.
    """

    def assertAsFormatted(self, mtimes, then, now):
        """
        L{sameForms} says the forms are the same exactly when
        L{ListFormat} formats every date the same way.
        """
        def forms(at):
            lines = ListFormat(at).stats(
                [(f"n{i}", SimpleNamespace(
                    st_mode=0o100644, st_nlink=1, st_uid=0, st_gid=0,
                    st_size=0, st_mtime=m)) for i, m in enumerate(mtimes)],
                str, str)
            return [b":" in line.rsplit(b" ", 2)[-2]
                    for line in lines.splitlines()]

        self.assertEqual(sameForms(sorted(mtimes), then, now),
                         forms(then) == forms(now), (mtimes, then, now))

    def test_boundaries(self):
        """
        Dates on, just before and just after both boundaries, at times
        moved by a second, a day and years, forwards and back.
        """
        now = 1_700_000_000.0
        mtimes = []
        for edge in (now - RECENT, now + FUTURE):
            mtimes += [edge - 1.5, edge - 0.25, edge, edge + 0.25, edge + 1.5]
        mtimes += [0.0, now, 4e9]
        for mtime in mtimes:
            for shift in (0, 0.25, 1, 2, -1, -2, 86400, 10 * RECENT, -86400):
                self.assertAsFormatted([mtime], now, now + shift)
                self.assertAsFormatted([mtime, now - 5], now, now + shift)

    def test_noDates(self):
        self.assertTrue(sameForms([], 0, 1e9))

    def test_switch(self):
        """
        A date in the time-of-day window at one time and past it a second
        later does not read the same.
        """
        now = 1_700_000_000.0
        self.assertFalse(sameForms([now - RECENT + 0.5], now, now + 1))
        self.assertFalse(sameForms([now + FUTURE + 0.5], now, now + 1))
        self.assertTrue(sameForms([now - RECENT + 0.5], now, now + 0.25))


class _Filtering(FactsFormat):
    """A plugin's format: leaves some lines out, says nothing of a key."""

    def stats(self, batch, owner, group):
        return FactsFormat.stats(self, batch[:1], owner, group)


class _Keyed:
    """A test of names that says its key."""

    def __call__(self, name):
        return True

    def cacheKey(self):
        return ("keyed",)


class _Overriding(_Keyed):
    """A subclass that changes the test, not the key."""

    def __call__(self, name):
        return False


class CacheKeyTests(unittest.TestCase):
    """
    L{cacheKeyOf}: only a format (and a test) whose own class says its
    key is cached.
    """

    def test_formats(self):
        """
        C{LIST} and C{MLSD} formats have keys: the same for every C{LIST},
        different for other facts and masks.
        """
        self.assertEqual(cacheKeyOf(ListFormat(1), "stats"),
                         cacheKeyOf(ListFormat(2), "stats"))
        facts = FactsFormat(FACTS, True)
        self.assertNotEqual(cacheKeyOf(facts, "stats"), None)
        self.assertNotEqual(cacheKeyOf(facts, "stats"),
                            cacheKeyOf(FactsFormat(FACTS, False), "stats"))
        self.assertNotEqual(cacheKeyOf(facts, "stats"),
                            cacheKeyOf(FactsFormat(FACTS[:2], True), "stats"))
        self.assertNotEqual(
            cacheKeyOf(facts, "stats"),
            cacheKeyOf(FactsFormat(FACTS, True, exceptions={"a": frozenset()}),
                       "stats"))

    def test_namesFormats(self):
        """
        C{NLST}'s formats have keys, one per prefix, other than C{LIST}'s,
        and their lines never depend on the time.
        """
        self.assertEqual(cacheKeyOf(NamesFormat(), "stats"),
                         cacheKeyOf(NamesFormat(""), "stats"))
        self.assertNotEqual(cacheKeyOf(NamesFormat(), "stats"),
                            cacheKeyOf(NamesFormat("d/"), "stats"))
        self.assertNotEqual(cacheKeyOf(NamesFormat(), "stats"),
                            cacheKeyOf(ListFormat(1), "stats"))
        self.assertIsNone(NamesFormat().cacheStamp())
        self.assertTrue(NamesFormat().linesKept(None, [0.0, 1e9]))

    def test_subclassWithoutKey(self):
        """
        A subclass that overrides C{stats} without its own key is not
        cached.
        """
        self.assertIsNone(cacheKeyOf(_Filtering(FACTS, True), "stats"))

    def test_filtered(self):
        """
        A filtered format has a key only when its test has one of its
        own class's: a plain function, or a subclass changing the test,
        has none.
        """
        def format(keep):
            listing = SimpleNamespace(nextFormattedBatch=lambda f: f)
            return FilteredListing(listing, keep).nextFormattedBatch(
                ListFormat(1))

        self.assertIsNone(cacheKeyOf(format(lambda name: True), "stats"))
        self.assertIsNone(cacheKeyOf(format(_Overriding()), "stats"))
        self.assertEqual(cacheKeyOf(format(_Keyed()), "stats"),
                         ("filtered", ("keyed",), ("LIST",)))


def _stat(mode=0o100644, nlink=1, size=0, mtime=1_700_000_000.0):
    return SimpleNamespace(st_mode=mode, st_nlink=nlink, st_uid=0, st_gid=0,
                           st_size=size, st_mtime=mtime, st_dev=1,
                           st_ino=size + 1)


class SplitBatchTests(unittest.TestCase):
    """
    L{splitParts} and L{renderBatch} give the bytes the format gives.
    """

    def test_split(self):
        """
        A batch's bytes are the format's; directories, followed links
        and files of other than one link are kept by name, the others'
        lines as bytes, their pairs given back in order.
        """
        pairs = [("c", _stat(size=3)), ("b", _stat(0o40755, 3, 2)),
                 ("a", _stat(size=1)), ("d", _stat(nlink=2, size=4)),
                 ("e", _stat(size=5)), ("l", _stat(size=6)),
                 ("z", _stat(nlink=0, size=7))]
        format = ListFormat(1_700_000_100)
        parts, segments, stable = splitParts(pairs, {"l"}, format)
        self.assertEqual(b"".join(parts),
                         format.stats(pairs, ownerName, groupName))
        self.assertEqual([type(s) is bytes or s for s in segments],
                         [True, ("b",), True, ("d",), True, ("l",), ("z",)])
        self.assertEqual([name for name, _ in stable], ["a", "c", "e"])
        now = {"b": _stat(0o40755, 4, 9), "d": _stat(nlink=2, size=8),
               "l": _stat(mode=0o120777, size=1), "z": pairs[-1][1]}
        followed = _stat(size=77)
        rendered = renderBatch(segments, now.__getitem__,
                               lambda name, result: followed, format)
        expected = dict(pairs, b=now["b"], d=now["d"], l=followed)
        self.assertEqual(rendered, format.stats(list(expected.items()),
                                                ownerName, groupName))

    def test_gone(self):
        """
        An entry gone when the batch is rendered again is left out.
        """
        pairs = [("a", _stat()), ("b", _stat(0o40755))]
        format = FactsFormat(FACTS, True)
        _, segments, _ = splitParts(pairs, set(), format)

        def lstat(name):
            raise FileNotFoundError(name)

        self.assertEqual(renderBatch(segments, lstat, None, format),
                         format.stats(pairs[:1], ownerName, groupName))


class _Watcher:
    """A watcher whose generations a test sets."""

    def __init__(self):
        self.generations = {}
        self.drained = 0

    def __len__(self):
        return len(self.generations)

    def drain(self):
        self.drained += 1

    def watch(self, fd, key, path):
        return self.generations.setdefault(key, 1)

    def generation(self, key):
        return self.generations.get(key)

    def close(self):
        pass


class ListingCacheTests(unittest.TestCase):
    """
    L{ListingCache}: kept while the generation holds, within its bytes.
    """

    def setUp(self):
        self.watcher = _Watcher()
        self.cache = ListingCache(self.watcher, maxBytes=4096,
                                  isLocal=lambda fd: fd != 9)

    def begin(self, ino, fd=3):
        return self.cache.begin(fd, SimpleNamespace(st_dev=1, st_ino=ino),
                                "/d")

    def listing(self, token, size=100):
        return CachedListing(token[1], None, [], ((b"x" * size,),))

    def test_kept(self):
        """
        A listing stored is found, after a drain, while its directory's
        generation holds, in its format only.
        """
        token = self.begin(1)
        self.assertTrue(self.cache.store(token, "LIST", self.listing(token)))
        self.assertTrue(self.cache.holds(token))
        drained = self.watcher.drained
        facts = FactsFormat(FACTS, True)
        self.assertIsNotNone(self.cache.find(token, "LIST", facts))
        self.assertEqual(self.watcher.drained, drained + 1)
        self.assertIsNone(self.cache.find(token, "MLSD", facts))
        self.watcher.generations[(1, 1)] = 2
        self.assertIsNone(self.cache.find(token, "LIST", facts))
        self.assertEqual(self.cache.size, 0)

    def test_counted(self):
        """
        Each L{ListingCache.find} counts a hit or a miss: a listing
        found, or none kept, changed since, or of other dates; and the
        cache says how many listings it keeps and directories it watches.
        """
        token = self.begin(1)
        self.cache.store(token, "LIST", self.listing(token))
        self.assertEqual((self.cache.entries, self.cache.watched), (1, 1))
        facts = FactsFormat(FACTS, True)
        self.cache.find(token, "LIST", facts)
        self.assertEqual((self.cache.hits, self.cache.misses), (1, 0))
        self.cache.find(token, "MLSD", facts)
        self.assertEqual((self.cache.hits, self.cache.misses), (1, 1))
        then = time.time()
        self.cache.store(token, "LIST", CachedListing(
            token[1], then, [then - RECENT + 0.5], ()))
        self.cache.find(token, "LIST", ListFormat(then + 1))
        self.assertEqual((self.cache.hits, self.cache.misses), (1, 2))
        self.watcher.generations[(1, 1)] = 2
        self.cache.find(token, "LIST", facts)
        self.assertEqual((self.cache.hits, self.cache.misses), (1, 3))
        self.assertEqual(self.cache.entries, 0)

    def test_changedWhileRead(self):
        """
        A listing whose directory changed while it was read is not kept.
        """
        token = self.begin(1)
        self.watcher.generations[(1, 1)] = 2
        self.assertFalse(self.cache.store(token, "LIST", self.listing(token)))
        self.assertIsNone(self.cache.find(token, "LIST", ListFormat(0)))

    def test_dates(self):
        """
        A C{LIST} whose dates would read otherwise now is not used.
        """
        token = self.begin(1)
        then = time.time()
        listing = CachedListing(token[1], then, [then - RECENT + 0.5], ())
        self.cache.store(token, "LIST", listing)
        self.assertIs(self.cache.find(token, "LIST", ListFormat(then)),
                      listing)
        self.assertIsNone(self.cache.find(token, "LIST", ListFormat(then + 1)))

    def test_bytes(self):
        """
        Past its bytes, the least recently used listings go.
        """
        tokens = [self.begin(ino) for ino in range(1, 5)]
        for token in tokens[:3]:
            self.cache.store(token, "LIST", self.listing(token, 1000))
        facts = FactsFormat(FACTS, True)
        self.cache.find(tokens[0], "LIST", facts)
        self.cache.store(tokens[3], "LIST", self.listing(tokens[3], 1000))
        self.assertLessEqual(self.cache.size, 4096)
        found = [self.cache.find(token, "LIST", facts) is not None
                 for token in tokens]
        self.assertEqual(found, [True, False, True, True])
        self.assertFalse(self.cache.store(
            tokens[1], "LIST", self.listing(tokens[1], 5000)))

    def test_notLocal(self):
        """
        A directory of a file system that is not local is not cached.
        """
        self.assertIsNone(self.begin(1, fd=9))

    def test_deviceNumberReused(self):
        """
        Whether a directory is on a local file system is asked of the
        descriptor each time, not remembered by device number: a number
        freed by an unmount is given to the next mount, which may be a
        network file system's.
        """
        self.assertIsNotNone(self.begin(1, fd=3))
        self.assertIsNone(self.begin(2, fd=9))


class EnableTests(unittest.TestCase):
    """
    L{ftpkit.shells.listingcache.enable} without inotify caches nothing.
    """

    def test_noInotify(self):
        from ftpkit.shells import listingcache

        def missing():
            raise OSError(38, "no inotify")

        self.patch(listingcache, "Inotify", missing)
        self.patch(listingcache, "_shared", None)
        self.assertIsNone(listingcache.enable())
        self.assertIsNone(listingcache.shared())




class OptionsTests(unittest.TestCase):
    """
    C{--listing-cache} and C{--no-listing-cache}, and the service that
    applies them.
    """

    def test_values(self):
        """
        32 MiB by default, a size with a suffix, C{0} or
        C{--no-listing-cache} for none.
        """
        from tests.tapoptions import parse

        def size(*args):
            return parse("--auth", "anonymous", *args)[
                "config"].listingCacheSize

        self.assertEqual(size(), 32 * 1024 * 1024)
        self.assertEqual(size("--listing-cache", "4M"), 4 * 1024 * 1024)
        self.assertEqual(size("--listing-cache", "0"), 0)
        self.assertEqual(size("--no-listing-cache"), 0)

    def test_contradiction(self):
        """
        C{--no-listing-cache} with C{--listing-cache} is a usage error:
        the flag silently won over the size, in either order.
        """
        from twisted.python import usage

        from tests.tapoptions import parse

        for args in [("--no-listing-cache", "--listing-cache", "8M"),
                     ("--listing-cache", "8M", "--no-listing-cache"),
                     ("--listing-cache", "0", "--no-listing-cache")]:
            error = self.assertRaises(usage.UsageError, parse, *args)
            self.assertEqual(
                str(error), "--no-listing-cache: contradicts --listing-cache "
                "(give one of them: --listing-cache 0 keeps no listing too)")

    def test_badValues(self):
        """
        A value that is not a size is a usage error naming the option.
        """
        from tests.unit.test_tapbadvalues import BadValueTests

        checker = BadValueTests()
        for value in ["lots", "-1", "1X"]:
            message = checker.assertRejected(
                "--listing-cache", "--auth", "anonymous",
                "--listing-cache", value)
            self.assertIn(repr(value), message)

    def test_service(self):
        """
        The service caches while it runs, and not after; a size of C{0}
        caches nothing.
        """
        from ftpkit.deploy.cacheoptions import ListingCacheService
        from ftpkit.shells import listingcache

        self.patch(listingcache, "_shared", None)
        self.addCleanup(listingcache.disable)
        running = ListingCacheService(1024 * 1024)
        running.startService()
        if _LINUX:
            self.assertIsNotNone(listingcache.shared())
        running.stopService()
        self.assertIsNone(listingcache.shared())
        off = ListingCacheService(0)
        off.startService()
        self.assertIsNone(listingcache.shared())
        off.stopService()


class CachedConformanceTests(shellTests.FilesystemShellConformanceTests):
    """
    L{ftpkit.shells.filesystem.FilesystemShell} passes the shell
    conformance tests with its listings cached, however small.
    """

    if not _LINUX:
        skip = "inotify is Linux's"

    def makeShell(self):
        """
        @return: the shell, the process's cache on for the test.
        """
        from ftpkit.shells import listingcache, sharedreads

        cache = ListingCache(DirectoryWatcher(Inotify()))
        self.addCleanup(cache.close)
        self.patch(listingcache, "_shared", cache)
        self.patch(sharedreads, "MIN_ENTRIES", 1)
        self.cache = cache
        return shellTests.FilesystemShellConformanceTests.makeShell(self)

    def test_cached(self):
        """
        A listing read twice is cached the first time (this suite's
        other tests go through the cache, not around it).
        """
        from ftpkit.protocol.listing import ListFormat

        shell = self.makeShell()
        root = os.fsdecode(shell._jail.root)
        for number in range(3):
            open(os.path.join(root, f"f{number}"), "w").close()

        def read(ignored=None):
            def batches(listing, parts):
                def got(data):
                    if data is None:
                        listing.close()
                        return b"".join(parts)
                    parts.append(data)
                    return batches(listing, parts)
                return listing.nextFormattedBatch(ListFormat(0)).addCallback(
                    got)
            return shell.openListing(()).addCallback(batches, [])

        def check(first):
            self.assertGreater(self.cache.size, 0)
            return read().addCallback(self.assertEqual, first)

        return read().addCallback(check)


class ClosedTests(unittest.TestCase):
    """
    A cache closed (its service stopped) while a listing is still read
    through it answers that nothing is cached, without errors.
    """

    if not _LINUX:
        skip = "inotify is Linux's"

    def test_closed(self):
        root = os.path.abspath(self.mktemp())
        os.makedirs(root)
        cache = ListingCache(DirectoryWatcher(Inotify()))
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
        self.addCleanup(os.close, fd)
        token = cache.begin(fd, os.fstat(fd), root)
        self.assertIsNotNone(token)
        cache.close()
        listing = CachedListing(token[1], None, [], ((b"x",),))
        self.assertFalse(cache.store(token, "LIST", listing))
        self.assertIsNone(cache.find(token, "LIST", FactsFormat(FACTS, True)))
        self.assertIsNone(cache.begin(fd, os.fstat(fd), root))

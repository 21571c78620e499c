"""
A directory's entries kept by the listings' cache
(L{ftpkit.shells.keptstats}): a listing in another format than the one
that read the directory (C{MLSD} after C{LIST}, C{LIST} after C{MLSD},
C{NLST -R}'s names) is formatted from them, not read again, and sends
what a listing read from the directory sends, never what it held before
a change.
"""

import os
import subprocess
import sys
import time
from types import SimpleNamespace

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.compat.inotify import Inotify
from ftpkit.protocol.listing import ListFormat, NamesFormat
from ftpkit.protocol.listingdates import RECENT
from ftpkit.protocol.listingfacts import FACTS, FactsFormat
from ftpkit.shells import listingcache, sharedreads
from ftpkit.shells.dirwatch import DirectoryWatcher
from ftpkit.shells.disklistings import groupName, ownerName
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.keptstats import KeptStats, keptBatch, pairsOf
from ftpkit.shells.listingcache import STATS, CachedListing, ListingCache
from ftpkit.shells.listings import BATCH_SIZE
from tests.unit.test_listingburst import _readAll
from tests.unit.test_listingcache import _Watcher

_LINUX = sys.platform.startswith("linux")


def _formats():
    """
    @return: a C{LIST}, an C{MLSD} and an C{NLST -R} format.
    """
    return ListFormat(time.time()), FactsFormat(FACTS, True), NamesFormat()


class KeptBatchTests(unittest.TestCase):
    """
    L{keptBatch} keeps what the formats read of each entry; L{pairsOf}
    gives it back, and looks the other entries up again.
    """

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)

    def lstat(self, name):
        return os.lstat(os.path.join(self.root, name))

    def test_sameLines(self):
        """
        Entries kept and given back are formatted as those read, by
        every format.
        """
        for number, mode in enumerate((0o644, 0o600, 0o755, 0o4755)):
            path = os.path.join(self.root, f"f{number}")
            with open(path, "wb") as f:
                f.write(b"x" * 1000 * number)
            os.chmod(path, mode)
            os.utime(path, (0, 1_700_000_000.5 + 86400 * 400 * number))
        os.mkfifo(os.path.join(self.root, "fifo"))
        os.mkdir(os.path.join(self.root, "dir"))
        read = [(name, self.lstat(name))
                for name in sorted(os.listdir(self.root))]
        stable = [pair for pair in read if pair[0] != "dir"]
        pairs, links = pairsOf(keptBatch(stable, ["dir"]), self.lstat, None)
        self.assertEqual(links, set())
        self.assertEqual([name for name, _ in pairs],
                         [name for name, _ in stable] + ["dir"])
        for format in _formats():
            self.assertEqual(format.stats(pairs, ownerName, groupName),
                             format.stats(read, ownerName, groupName))

    def test_lookedUpAgain(self):
        """
        The names kept alone are looked up when the batch is used: a
        link is followed (and named), an entry gone is left out.
        """
        open(os.path.join(self.root, "target"), "w").close()
        os.symlink("target", os.path.join(self.root, "link"))
        followed = SimpleNamespace(st_mode=0o100644)
        pairs, links = pairsOf(
            keptBatch([], ["link", "gone"]), self.lstat,
            lambda name, result: followed)
        self.assertEqual(pairs, [("link", followed)])
        self.assertEqual(links, {"link"})

    def test_size(self):
        """
        Kept entries are counted by what their names and arrays take:
        far less than their C{os.stat} results.
        """
        for number in range(100):
            open(os.path.join(self.root, f"file{number:04d}"), "w").close()
        read = [(name, self.lstat(name))
                for name in sorted(os.listdir(self.root))]
        size = KeptStats(1, (keptBatch(read, ()),)).size
        self.assertGreater(size, 100 * (45 + 8))
        self.assertLess(size, 100 * 80 + 1024)


class FindTests(unittest.TestCase):
    """
    L{ListingCache.find} gives a directory's kept entries where it holds
    no lines of the format, while their generation holds.
    """

    def setUp(self):
        self.watcher = _Watcher()
        self.cache = ListingCache(self.watcher, maxBytes=4096,
                                  isLocal=lambda fd: True)
        self.token = self.cache.begin(3, SimpleNamespace(st_dev=1, st_ino=1),
                                      "/d")

    def test_entries(self):
        """
        Lines of the format come first; else the entries, counted a hit;
        none once the directory changed.
        """
        token = self.token
        stats = KeptStats(token[1], ())
        lines = CachedListing(token[1], None, [], ((b"x",),))
        self.assertTrue(self.cache.store(token, STATS, stats))
        self.assertTrue(self.cache.holds(token))
        self.assertEqual(self.cache.entries, 0)
        self.assertTrue(self.cache.store(token, "MLSD", lines))
        facts = FactsFormat(FACTS, True)
        self.assertIs(self.cache.find(token, "MLSD", facts), lines)
        self.assertIs(self.cache.find(token, "LIST", facts), stats)
        self.assertEqual((self.cache.hits, self.cache.misses), (2, 0))
        self.watcher.generations[(1, 1)] = 2
        self.assertIsNone(self.cache.find(token, "MLSD", facts))
        self.assertEqual((self.cache.size, self.cache.entries), (0, 0))

    def test_otherDates(self):
        """
        A C{LIST} whose dates read otherwise now is formatted from the
        entries, not read again.
        """
        token = self.token
        then = time.time()
        stats = KeptStats(token[1], ())
        self.cache.store(token, STATS, stats)
        self.cache.store(token, "LIST", CachedListing(
            token[1], then, [then - RECENT + 0.5], ()))
        self.assertIs(self.cache.find(token, "LIST", ListFormat(then + 1)),
                      stats)

    def test_entriesGoFirst(self):
        """
        Past the cache's bytes, the entries of a directory listed since
        in their format go before its lines.
        """
        token = self.token
        self.cache.store(token, STATS, KeptStats(token[1], (
            ("", (), ("x" * 500,) * 2),)))
        lines = CachedListing(token[1], None, [], ((b"x" * 1500,),))
        self.cache.store(token, "LIST", lines)
        other = self.cache.begin(3, SimpleNamespace(st_dev=1, st_ino=2), "/e")
        self.cache.store(other, "LIST", CachedListing(
            other[1], None, [], ((b"x" * 1500,),)))
        self.assertLessEqual(self.cache.size, 4096)
        facts = FactsFormat(FACTS, True)
        self.assertIs(self.cache.find(token, "LIST", facts), lines)
        self.assertIsNone(self.cache.find(token, "MLSD", facts))


class CrossFormatTests(unittest.TestCase):
    """
    A directory listed in one format, then in others, through the disk
    shell and the listings' cache.
    """

    if not _LINUX:
        skip = "inotify is Linux's"

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        for number in range(2 * BATCH_SIZE + 5):
            with open(os.path.join(self.root, f"f{number:05d}"), "wb") as f:
                f.write(b"x" * (number % 7))
        os.mkdir(os.path.join(self.root, "sub"))
        os.mkdir(os.path.join(self.root, "other"))
        open(os.path.join(self.root, "other", "target"), "w").close()
        os.link(os.path.join(self.root, "f00003"),
                os.path.join(self.root, "other", "linked"))
        os.symlink("other/target", os.path.join(self.root, "link"))
        self.cache = ListingCache(DirectoryWatcher(Inotify()))
        self.addCleanup(self.cache.close)
        self.patch(listingcache, "_shared", self.cache)
        self.calls = []

        def runner(function, *args):
            self.calls.append(function)
            return defer.maybeDeferred(function, *args)

        self.shell = FilesystemShell(self.root, runner=runner)
        self.reads = []
        readStatsAhead = sharedreads.readStatsAhead

        def counted(*args):
            self.reads.append(args)
            return readStatsAhead(*args)

        self.patch(sharedreads, "readStatsAhead", counted)

    @defer.inlineCallbacks
    def listed(self, format, cache=True):
        """
        @return: the bytes of a listing of the root in C{format}, through
            the cache or (C{cache} false) without it.
        """
        if not cache:
            self.patch(listingcache, "_shared", None)
        try:
            listing = yield self.shell.openListing(())
        finally:
            self.patch(listingcache, "_shared", self.cache)
        return (yield _readAll(listing, format))

    @defer.inlineCallbacks
    def assertListedAsRead(self, format):
        """
        A listing in C{format} through the cache sends what one read
        without it sends.
        """
        got = yield self.listed(format)
        expected = yield self.listed(format, cache=False)
        self.assertEqual(got, expected)

    @defer.inlineCallbacks
    def test_otherFormats(self):
        """
        After one listing read the directory, listings in the other
        formats read it no more, each in two disk thread calls (its open
        and its first batch: the others are formatted with it), and send
        what listings read from the directory send; each is then cached
        as lines of its own.
        """
        for first in _formats():
            self.cache.close()
            self.cache = ListingCache(DirectoryWatcher(Inotify()))
            self.patch(listingcache, "_shared", self.cache)
            yield self.listed(first)
            for format in _formats():
                del self.reads[:], self.calls[:]
                listed = yield self.listed(format)
                self.assertEqual(self.reads, [])
                if type(format) is not type(first):
                    self.assertEqual(len(self.calls), 2)
                expected = yield self.listed(format, cache=False)
                self.assertEqual(listed, expected)
            self.assertEqual(self.cache.misses, 1)
            self.assertEqual(self.cache.entries, 3)

    @defer.inlineCallbacks
    def test_changed(self):
        """
        A change to the directory after a listing in one format, made by
        this process or another, shows in the next listing in another
        format: the entries kept are not used.
        """
        facts, names = FactsFormat(FACTS, True), NamesFormat()
        changes = [
            lambda path: os.chmod(path, 0o600),
            lambda path: os.utime(path, (1, 1)),
            lambda path: subprocess.run(
                ["sh", "-c", 'printf more >> "$1"', "sh", path], check=True),
            lambda path: os.rename(path, path + ".moved"),
            lambda path: subprocess.run(["rm", path], check=True),
        ]
        for step, change in enumerate(changes):
            yield self.listed(ListFormat(time.time()))
            change(os.path.join(self.root, f"f{step + 10:05d}"))
            del self.reads[:]
            yield self.assertListedAsRead(facts)
            self.assertNotEqual(self.reads, [], f"change {step}")
            yield self.assertListedAsRead(names)

    @defer.inlineCallbacks
    def test_changedWhileFormatted(self):
        """
        A listing formatted from kept entries while the directory
        changes is not cached: the next one shows the change.
        """
        facts = FactsFormat(FACTS, True)
        yield self.listed(ListFormat(time.time()))
        pairsOfKept = sharedreads.pairsOf

        def changing(*args):
            open(os.path.join(self.root, "new"), "w").close()
            self.patch(sharedreads, "pairsOf", pairsOfKept)
            return pairsOfKept(*args)

        self.patch(sharedreads, "pairsOf", changing)
        before = yield self.listed(facts)
        self.assertNotIn(b" new\r\n", before)
        yield self.assertListedAsRead(facts)
        self.assertIn(b" new\r\n", (yield self.listed(facts)))

    @defer.inlineCallbacks
    def test_describedAgain(self):
        """
        Entries kept by name (a directory, a file of two names, a link
        followed) are looked up when the entries are used: a change the
        directory's events do not tell shows, and the directory is not
        read again.
        """
        yield self.listed(ListFormat(time.time()))
        with open(os.path.join(self.root, "other", "linked"), "ab") as f:
            f.write(b"through the other name")
        open(os.path.join(self.root, "sub", "inner"), "w").close()
        with open(os.path.join(self.root, "other", "target"), "ab") as f:
            f.write(b"through the link")
        del self.reads[:]
        yield self.assertListedAsRead(FactsFormat(FACTS, True))
        self.assertEqual(self.reads, [])

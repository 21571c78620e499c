"""
Sessions listing one directory at the same moment: the first listing the
cache does not hold reads it whole at its first batch
(L{ftpkit.shells.cachedlistings.WHOLE_ENTRIES}), so the others find it
cached; and the disk thread calls a listing makes (its open and its
first batch: the batches after it are in memory).
"""

import os
import sys

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.compat.inotify import Inotify
from ftpkit.protocol.listing import ListFormat
from ftpkit.shells import cachedlistings, listingcache
from ftpkit.shells.dirwatch import DirectoryWatcher
from ftpkit.shells.disklistings import DiskListing
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.listingcache import CachedListing, ListingCache
from ftpkit.shells.listings import BATCH_SIZE


def _readAll(listing, format):
    """
    @return: a Deferred firing with the bytes of every batch of
        C{listing}, closed at its end.
    """
    parts = []

    def got(data):
        if data is None:
            listing.close()
            return b"".join(parts)
        parts.append(data)
        return listing.nextFormattedBatch(format).addCallback(got)

    return listing.nextFormattedBatch(format).addCallback(got)


def threeBatchTree(testCase):
    """
    A directory of three listing batches' files and the listings' cache
    watching it, used as the shared cache for the test.

    @param testCase: the running test (cleanups, C{mktemp}, C{patch}).
    @return: C{(root, cache)}.
    """
    root = os.path.abspath(testCase.mktemp())
    os.makedirs(root)
    for number in range(2 * BATCH_SIZE + 5):
        open(os.path.join(root, f"f{number:05d}"), "w").close()
    cache = ListingCache(DirectoryWatcher(Inotify()))
    testCase.addCleanup(cache.close)
    testCase.patch(listingcache, "_shared", cache)
    return root, cache


class BurstTests(unittest.TestCase):
    """
    Listings opened together, before any has read a batch.
    """

    if not sys.platform.startswith("linux"):
        skip = "inotify is Linux's"

    def setUp(self):
        self.root, self.cache = threeBatchTree(self)
        self.shell = FilesystemShell(self.root)

    def expected(self):
        """
        @return: a Deferred firing with the listing read without the
            cache.
        """
        self.patch(listingcache, "_shared", None)
        opening = self.shell.openListing(())
        self.patch(listingcache, "_shared", self.cache)

        def check(listing):
            self.assertIs(type(listing), DiskListing)
            return _readAll(listing, ListFormat(0))

        return opening.addCallback(check)

    @defer.inlineCallbacks
    def test_cachedAtFirstBatch(self):
        """
        A listing not cached is cached once its first batch is read, and
        one opened at the same time (its first entries already read
        ahead) is then sent from the cache; both send what a listing
        without the cache sends.
        """
        first = yield self.shell.openListing(())
        second = yield self.shell.openListing(())
        batch = yield first.nextFormattedBatch(ListFormat(0))
        self.assertEqual(batch.count(b"\n"), BATCH_SIZE)
        self.assertGreater(self.cache.size, 0)
        finds = []
        find = self.cache.find

        def counted(token, key, format, sharer=None):
            found = find(token, key, format, sharer)
            finds.append(found is not None)
            return found

        self.patch(self.cache, "find", counted)
        fromCache = yield _readAll(second, ListFormat(0))
        self.assertEqual(finds, [True])
        rest = yield _readAll(first, ListFormat(0))
        expected = yield self.expected()
        self.assertEqual(batch + rest, expected)
        self.assertEqual(fromCache, expected)

    @defer.inlineCallbacks
    def test_largerThanWhole(self):
        """
        A directory of more entries than are read at once is read batch
        by batch after them, whole and in order, and cached at its end.
        """
        self.patch(cachedlistings, "WHOLE_ENTRIES", BATCH_SIZE)
        listing = yield self.shell.openListing(())
        batch = yield listing.nextFormattedBatch(ListFormat(0))
        self.assertEqual(self.cache.size, 0)
        rest = yield _readAll(listing, ListFormat(0))
        self.assertGreater(self.cache.size, 0)
        expected = yield self.expected()
        self.assertEqual(batch + rest, expected)
        again = yield self.shell.openListing(())
        self.assertEqual((yield _readAll(again, ListFormat(0))), expected)

    @defer.inlineCallbacks
    def test_changedWhileAhead(self):
        """
        A file removed after the whole directory was read, before its
        batch is sent, is still sent as read (as a listing read batch by
        batch may), and the next listing, after the change, does not
        show it.
        """
        listing = yield self.shell.openListing(())
        yield listing.nextFormattedBatch(ListFormat(0))
        os.remove(os.path.join(self.root, f"f{2 * BATCH_SIZE:05d}"))
        yield _readAll(listing, ListFormat(0))
        again = yield self.shell.openListing(())
        listed = yield _readAll(again, ListFormat(0))
        self.assertEqual(listed.count(b"\n"), 2 * BATCH_SIZE + 4)
        self.assertNotIn(b" f%05d\r\n" % (2 * BATCH_SIZE,), listed)

    @defer.inlineCallbacks
    def test_formattedOnceAtFirstRead(self):
        """
        A listing read whole at its first batch formats each entry once:
        the lines it sends are those it formatted for the cache. Each
        batch was formatted when it was read ahead, the bytes thrown away,
        and each entry formatted again at each use (a directory, a file
        of several names) described and formatted a second time when its
        batch was sent.
        """
        for number in range(5):
            os.mkdir(os.path.join(self.root, f"d{number}"))
        os.link(os.path.join(self.root, "f00000"),
                os.path.join(self.root, "linked"))
        formatted = []
        format = ListFormat(0)
        stats = format.stats

        def counted(batch, owner, group):
            formatted.extend(name for name, _ in batch)
            return stats(batch, owner, group)

        format.stats = counted
        listing = yield self.shell.openListing(())
        listed = yield _readAll(listing, format)
        self.assertGreater(self.cache.size, 0)
        self.assertEqual(sorted(formatted), sorted(set(formatted)))
        self.assertEqual(len(formatted), 2 * BATCH_SIZE + 5 + 5 + 1)
        expected = yield self.expected()
        self.assertEqual(listed, expected)


class ThreadCallTests(unittest.TestCase):
    """
    The disk thread calls a listing of several batches makes: its open
    and its first batch, read or found cached; the batches after it are
    in memory already.
    """

    if not sys.platform.startswith("linux"):
        skip = "inotify is Linux's"

    def setUp(self):
        self.root, self.cache = threeBatchTree(self)
        self.calls = []

        def runner(function, *args):
            self.calls.append(function)
            return defer.maybeDeferred(function, *args)

        self.shell = FilesystemShell(self.root, runner=runner)

    @defer.inlineCallbacks
    def test_twoCalls(self):
        """
        A listing not cached is read whole in the call of its first
        batch, and one cached is found in it: each makes two calls, not
        one a batch, and sends the same lines as the other.
        """
        listed = []
        for _ in range(2):
            del self.calls[:]
            listing = yield self.shell.openListing(())
            listed.append((yield _readAll(listing, ListFormat(0))))
            self.assertEqual(len(self.calls), 2)
        self.assertEqual(self.cache.hits, 1)
        self.assertEqual(listed[0], listed[1])
        self.assertEqual(listed[0].count(b"\n"), 2 * BATCH_SIZE + 5)

    @defer.inlineCallbacks
    def test_describedAgain(self):
        """
        A cached batch holding an entry described again at each use (a
        directory) is read in the disk thread, which looks it up; the
        others are not.
        """
        for number in range(30):
            os.mkdir(os.path.join(self.root, f"d{number:02d}"))
        listing = yield self.shell.openListing(())
        first = yield _readAll(listing, ListFormat(0))
        cached, = [listing for listing in self.cache._listings.values()
                   if type(listing) is CachedListing]
        again = sum(1 for batch in cached.batches[1:]
                    if any(type(segment) is not bytes for segment in batch))
        self.assertGreater(again, 0)
        del self.calls[:]
        listing = yield self.shell.openListing(())
        listed = yield _readAll(listing, ListFormat(0))
        self.assertEqual(self.cache.hits, 1)
        self.assertEqual(listed, first)
        self.assertEqual(len(self.calls), 2 + again)

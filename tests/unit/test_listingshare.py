"""
Listings of one directory that miss the listings' cache while it is read
share that read (L{ftpkit.shells.sharedreads}): the directory is read
once, each listing sends it at its own pace, and one that stops or ends
holds up none of the others.
"""

import os
import sys

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.errors import LocalError
from ftpkit.protocol.listing import ListFormat
from ftpkit.shells import cachedlistings, disklistings, sharedreads
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.listingcache import CachedListing
from ftpkit.shells.listings import BATCH_SIZE
from tests.unit.test_listingburst import _readAll, threeBatchTree

ENTRIES = 2 * BATCH_SIZE + 5
"""The files of L{threeBatchTree}."""


class SharingTestCase(unittest.TestCase):
    """
    Listings of a directory of three batches opened together, each
    reading a batch at a time (the first listing's first read is one
    batch: L{cachedlistings.WHOLE_ENTRIES} patched), the shell's calls
    run at once.
    """

    if not sys.platform.startswith("linux"):
        skip = "inotify is Linux's"

    def setUp(self):
        self.root, self.cache = threeBatchTree(self)
        self.patch(cachedlistings, "WHOLE_ENTRIES", BATCH_SIZE)
        self.shell = FilesystemShell(
            self.root, runner=lambda f, *a: defer.maybeDeferred(f, *a))
        self.read = []
        readStats = disklistings.readStats

        def counted(*args, **kwargs):
            pairs = readStats(*args, **kwargs)
            self.read.extend(name for name, _ in pairs)
            return pairs

        self.patch(disklistings, "readStats", counted)

    def expected(self, format=None):
        """
        @return: the listing as a listing alone sends it.
        """
        self.patch(cachedlistings, "WHOLE_ENTRIES", 10 * BATCH_SIZE)
        listing = self.successResultOf(self.shell.openListing(()))
        return self.successResultOf(
            _readAll(listing, format or ListFormat(0)))

    def batch(self, listing, format):
        """
        @return: the next batch of C{listing}, given at once.
        """
        return self.successResultOf(listing.nextFormattedBatch(format))


class SharedReadTests(SharingTestCase):
    """
    Listings sharing a read.
    """

    def test_readOnce(self):
        """
        Two listings opened together, reading batch after batch in turn,
        read the directory once between them, and each sends it whole.
        """
        first = self.successResultOf(self.shell.openListing(()))
        second = self.successResultOf(self.shell.openListing(()))
        formats = ListFormat(0), ListFormat(0)
        sent = [[], []]
        for _ in range(4):
            for number, listing in enumerate((first, second)):
                data = self.batch(listing, formats[number])
                if data is not None:
                    sent[number].append(data)
        self.assertEqual(sorted(self.read), sorted(set(self.read)))
        self.assertEqual(len(self.read), ENTRIES)
        first.close()
        second.close()
        expected = self.expected()
        self.assertEqual(b"".join(sent[0]), expected)
        self.assertEqual(b"".join(sent[1]), expected)

    def test_stalledReader(self):
        """
        A listing whose client stops after the first batch holds up no
        other: the second sends the whole directory, read once, while it
        waits, and it then sends the rest from what was read.
        """
        format = ListFormat(0)
        stalled = self.successResultOf(self.shell.openListing(()))
        head = self.batch(stalled, format)
        other = self.successResultOf(self.shell.openListing(()))
        whole = self.successResultOf(_readAll(other, ListFormat(0)))
        self.assertEqual(len(self.read), ENTRIES)
        rest = self.successResultOf(_readAll(stalled, format))
        self.assertEqual(len(self.read), ENTRIES)
        expected = self.expected()
        self.assertEqual(whole, expected)
        self.assertEqual(head + rest, expected)

    def test_beginnerEnds(self):
        """
        The listing that began the read ends (C{ABOR}, its client gone)
        after its first batch: the one sharing it reads on through the
        directory it opened, sends it whole, and caches it; the
        directory is closed once that one ends too.
        """
        first = self.successResultOf(self.shell.openListing(()))
        self.batch(first, ListFormat(0))
        second = self.successResultOf(self.shell.openListing(()))
        self.batch(second, ListFormat(0))
        directory = first._iterator
        first.close()
        self.assertIsNot(directory.fileno(), None)
        rest = self.successResultOf(_readAll(second, ListFormat(0)))
        self.assertIs(directory.fileno(), None)
        self.assertEqual(len(self.read), ENTRIES)
        self.assertGreater(self.cache.size, 0)
        expected = self.expected()
        self.assertEqual(len(self.read), ENTRIES)
        self.assertTrue(expected.endswith(rest))
        self.assertEqual(rest.count(b"\n"), ENTRIES - BATCH_SIZE)

    def test_lateJoiner(self):
        """
        A listing that misses the cache after two batches of another were
        read sends those too, and the directory is read once.
        """
        first = self.successResultOf(self.shell.openListing(()))
        head = self.batch(first, ListFormat(0)) + self.batch(
            first, ListFormat(0))
        late = self.successResultOf(self.shell.openListing(()))
        listed = self.successResultOf(_readAll(late, ListFormat(0)))
        rest = self.successResultOf(_readAll(first, ListFormat(0)))
        self.assertEqual(len(self.read), ENTRIES)
        expected = self.expected()
        self.assertEqual(listed, expected)
        self.assertEqual(head + rest, expected)

    def test_changedMeanwhile(self):
        """
        A listing that misses the cache after the directory changed
        during another's read does not share it: it reads the directory
        as it is now.
        """
        first = self.successResultOf(self.shell.openListing(()))
        self.batch(first, ListFormat(0))
        open(os.path.join(self.root, "added"), "w").close()
        late = self.successResultOf(self.shell.openListing(()))
        listed = self.successResultOf(_readAll(late, ListFormat(0)))
        self.assertIn(b" added\r\n", listed)
        self.assertEqual(listed.count(b"\n"), ENTRIES + 1)
        self.successResultOf(_readAll(first, ListFormat(0)))
        again = self.expected()
        self.assertIn(b" added\r\n", again)

    def test_allEnded(self):
        """
        Once every listing sharing an unfinished read has ended, its
        directory is closed and the cache lets its note go.
        """
        first = self.successResultOf(self.shell.openListing(()))
        self.batch(first, ListFormat(0))
        second = self.successResultOf(self.shell.openListing(()))
        self.batch(second, ListFormat(0))
        self.assertEqual(len(self.cache._reads), 1)
        directory = first._iterator
        second.close()
        first.close()
        self.assertIs(directory.fileno(), None)
        self.assertEqual(self.cache._reads, {})
        self.assertEqual(self.cache.size, 0)

    def test_otherTime(self):
        """
        A C{LIST} sharing a read, whose format's dates would not read the
        same as those of a batch another listing formatted at its own
        time, formats that batch from the entries kept, at its own time;
        and the listing is not cached where its batches' times disagree.
        """
        beginning = ListFormat(0)
        beginning.linesKept = lambda stamp, mtimes: False
        first = self.successResultOf(self.shell.openListing(()))
        self.batch(first, beginning)
        format = ListFormat(1)
        kept = []
        format.linesKept = lambda stamp, mtimes: kept.append(stamp) and False
        formatted = []
        stats = format.stats

        def counted(batch, owner, group):
            formatted.append(len(batch))
            return stats(batch, owner, group)

        format.stats = counted
        late = self.successResultOf(self.shell.openListing(()))
        listed = self.successResultOf(_readAll(late, format))
        self.assertEqual(kept, [0])
        self.assertEqual(formatted[0], BATCH_SIZE)
        self.successResultOf(_readAll(first, beginning))
        self.assertEqual(
            [listing for listing in self.cache._listings.values()
             if type(listing) is CachedListing], [])
        self.assertEqual(listed, self.expected())

    def test_failed(self):
        """
        A read that fails fails every listing sharing it, and is not
        shared again.
        """
        first = self.successResultOf(self.shell.openListing(()))
        self.batch(first, ListFormat(0))
        second = self.successResultOf(self.shell.openListing(()))
        self.batch(second, ListFormat(0))

        def failing(*args, **kwargs):
            raise OSError("EIO")

        self.patch(disklistings, "readStats", failing)
        self.failureResultOf(second.nextFormattedBatch(ListFormat(0)),
                             LocalError)
        self.failureResultOf(first.nextFormattedBatch(ListFormat(0)),
                             LocalError)
        self.assertEqual(self.cache._reads, {})


class BoundedReadTests(SharingTestCase):
    """
    A read shared holds no more than the cache would: larger than the
    cache, it lets each batch go once every listing sharing it has taken
    it, and gives a listing left behind a read of its own.
    """

    def shared(self, first, second):
        """
        Open two listings sharing a read, each having sent its first
        batch, and make the cache too small for the read to be kept (and
        for any listing behind to be waited for).

        @return: the read, the two listings and their first batches.
        """
        format = ListFormat(0)
        head = [self.batch(first, format)]
        head.append(self.batch(second, format))
        read = first._shared
        self.assertIs(second._shared, read)
        self.patch(self.cache, "_maxBytes", 1)
        return read, head

    def test_batchesLetGo(self):
        """
        Two listings reading batch after batch in turn, of a read larger
        than the cache: each batch is let go once both have taken it,
        the directory is read once, each sends it whole, and nothing is
        cached.
        """
        first = self.successResultOf(self.shell.openListing(()))
        second = self.successResultOf(self.shell.openListing(()))
        self.patch(sharedreads, "WINDOW_SHARE", 1 / 10 ** 9)
        read, head = self.shared(first, second)
        sent = [[head[0]], [head[1]]]
        held = []
        for _ in range(3):
            for number, listing in enumerate((first, second)):
                data = self.batch(listing, ListFormat(0))
                if data is not None:
                    sent[number].append(data)
            held.append(sum(batch is not None for batch in read.batches))
        self.assertEqual(held, [0, 0, 0])
        self.assertEqual(sorted(self.read), sorted(set(self.read)))
        self.assertEqual(len(self.read), ENTRIES)
        first.close()
        second.close()
        self.assertEqual(self.cache.size, 0)
        expected = self.expected()
        self.assertEqual(b"".join(sent[0]), expected)
        self.assertEqual(b"".join(sent[1]), expected)

    def test_stalledReadsItsOwn(self):
        """
        A listing that stops after its first batch while another reads
        the rest of a read larger than the cache is given a read of its
        own: no batch is held for it, and it then sends the rest of the
        directory, from the entry after those it sent.
        """
        stalled = self.successResultOf(self.shell.openListing(()))
        other = self.successResultOf(self.shell.openListing(()))
        read, head = self.shared(stalled, other)
        rest = self.successResultOf(_readAll(other, ListFormat(0)))
        self.assertEqual(read.batches, [None] * len(read.batches))
        self.assertEqual(len(self.read), ENTRIES)
        self.assertEqual(
            head[0] + self.successResultOf(_readAll(stalled, ListFormat(0))),
            head[1] + rest)
        self.assertEqual(len(self.read), 2 * ENTRIES - BATCH_SIZE)
        self.assertEqual(head[1] + rest, self.expected())
        self.assertEqual(self.cache._reads, {})

    def test_stalledChanged(self):
        """
        Where the directory changed since the read began, the listing
        left behind keeps its place in the read (which of the directory's
        entries a read of its own would send next cannot be known), and
        sends the listing the other sent.
        """
        stalled = self.successResultOf(self.shell.openListing(()))
        other = self.successResultOf(self.shell.openListing(()))
        read, head = self.shared(stalled, other)
        open(os.path.join(self.root, "added"), "w").close()
        rest = self.successResultOf(_readAll(other, ListFormat(0)))
        self.assertNotEqual(read.batches[1], None)
        self.assertEqual(
            head[0] + self.successResultOf(_readAll(stalled, ListFormat(0))),
            head[1] + rest)
        self.assertEqual(read.batches, [None] * len(read.batches))

    def test_notJoined(self):
        """
        A listing that misses the cache once a read no longer holds its
        first batches reads the directory itself, whole.
        """
        first = self.successResultOf(self.shell.openListing(()))
        second = self.successResultOf(self.shell.openListing(()))
        read, _ = self.shared(first, second)
        self.batch(first, ListFormat(0))
        self.batch(second, ListFormat(0))
        late = self.successResultOf(self.shell.openListing(()))
        head = self.batch(late, ListFormat(0))
        self.assertIsNotNone(late._shared)
        self.assertIsNot(late._shared, read)
        listed = head + self.successResultOf(_readAll(late, ListFormat(0)))
        first.close()
        second.close()
        self.assertEqual(listed, self.expected())

"""
Listings sharing a bounded read (L{ftpkit.shells.sharedreads}) that end
(C{ABOR}, a client gone) at each stage, or meet a directory that changes
while one left behind reads on its own: no descriptor stays open, and
each listing sends what a listing alone would.
"""

import gc
import os

from ftpkit.protocol.listing import ListFormat
from tests.unit.test_listingburst import _readAll
from tests.unit.test_listingshare import ENTRIES, SharingTestCase


def _openDescriptors():
    """
    @return: how many descriptors this process has open.
    """
    return len(os.listdir("/proc/self/fd"))


class EndsTests(SharingTestCase):
    """
    Listings sharing a read larger than the cache, ended at each stage.
    """

    def setUp(self):
        SharingTestCase.setUp(self)
        gc.collect()
        self.before = _openDescriptors()

    def shared(self):
        """
        Open two listings sharing a read, each having sent its first
        batch, the cache too small for the read to be kept.

        @return: the two listings, the read and their first batches.
        """
        first = self.successResultOf(self.shell.openListing(()))
        second = self.successResultOf(self.shell.openListing(()))
        head = [self.batch(first, ListFormat(0)),
                self.batch(second, ListFormat(0))]
        read = first._shared
        self.assertIs(second._shared, read)
        self.patch(self.cache, "_maxBytes", 1)
        return first, second, read, head

    def assertNoneOpen(self):
        """
        Every descriptor the listings opened is closed (nothing left for
        the garbage collector to close).
        """
        self.assertEqual(_openDescriptors(), self.before)

    def test_givenOwnReadEnds(self):
        """
        A listing given a read of its own that ends before it reads from
        it closes it, and the read shared closes the directory.
        """
        stalled, other, read, _ = self.shared()
        self.successResultOf(_readAll(other, ListFormat(0)))
        self.assertIn(stalled, read._resumed)
        other.close()
        stalled.close()
        self.assertEqual(read._resumed, {})
        self.assertNoneOpen()

    def test_ownReadEndsHalfway(self):
        """
        A listing that reads a batch of its own read, then ends, closes
        it.
        """
        stalled, other, read, _ = self.shared()
        self.successResultOf(_readAll(other, ListFormat(0)))
        self.assertIsNotNone(self.batch(stalled, ListFormat(0)))
        self.assertIsNone(stalled._shared)
        stalled.close()
        other.close()
        self.assertNoneOpen()

    def test_readerEndsFirst(self):
        """
        The listing that read ahead ends first, the one left behind (given
        a read of its own) reads on to the end: nothing stays open, and
        it sends the whole listing.
        """
        stalled, other, read, head = self.shared()
        self.successResultOf(_readAll(other, ListFormat(0)))
        other.close()
        rest = self.successResultOf(_readAll(stalled, ListFormat(0)))
        stalled.close()
        self.assertNoneOpen()
        self.assertEqual(head[0] + rest, self.expected())

    def test_bothEndMidway(self):
        """
        Both listings end while batches are held for one of them (the
        directory changed: no read of its own): nothing stays open.
        """
        stalled, other, read, _ = self.shared()
        open(os.path.join(self.root, "added"), "w").close()
        self.batch(other, ListFormat(0))
        self.assertEqual(read._resumed, {})
        stalled.close()
        other.close()
        self.assertNoneOpen()


class ChangedWhileOwnReadTests(SharingTestCase):
    """
    The directory changes once a listing left behind was given a read of
    its own: it reads on as a listing alone would, each entry once.
    """

    def test_changedAfterOwnRead(self):
        """
        Entries removed and added after the read of its own began: no
        name is sent twice, and every name that was there all along is
        sent.
        """
        first = self.successResultOf(self.shell.openListing(()))
        second = self.successResultOf(self.shell.openListing(()))
        head = self.batch(first, ListFormat(0))
        self.batch(second, ListFormat(0))
        read = first._shared
        self.patch(self.cache, "_maxBytes", 1)
        self.successResultOf(_readAll(second, ListFormat(0)))
        self.assertIn(first, read._resumed)
        names = sorted(os.listdir(self.root))
        removed = names[-3:]
        for name in removed:
            os.remove(os.path.join(self.root, name))
        for number in range(3):
            open(os.path.join(self.root, f"new{number}"), "w").close()
        listed = head + self.successResultOf(_readAll(first, ListFormat(0)))
        sent = [line.rsplit(b" ", 1)[-1].decode()
                for line in listed.splitlines()]
        self.assertEqual(len(sent), len(set(sent)))
        self.assertEqual(set(names) - set(removed) - set(sent), set())
        self.assertLessEqual(len(sent), ENTRIES + 3)
        first.close()
        second.close()

"""
Tests for listings in batches on the shell side: L{ftpkit.shells.listings}
and what the wrappers do with them; and the helpers the listing tests
share (L{synchronous}, L{readAll}).

The filesystem shell's own listings (L{ftpkit.shells.disklistings}) are
tested in L{tests.unit.test_disklistings}.
"""

import os

from twisted.internet.defer import Deferred, inlineCallbacks, succeed
from twisted.trial import unittest
from zope.interface import implementer, implementer_only

from ftpkit.errors import NoSuchFile, PermissionDenied
from ftpkit.fileinfo import FileInfo
from ftpkit.interfaces import (
    IFTPShell,
    IFTPShellNames,
    IFTPShellStreamedListing,
    INameListing,
    IStatListing,
)
from ftpkit.protocol.listing import NamesFormat
from ftpkit.shells.disklistings import DiskListing
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.listings import (
    FilteredListing,
    MatchedEntries,
    MatchedListing,
    StartedListing,
    WholeListing,
    openListing,
    readListing,
)
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.memorylistings import MemoryListing
from ftpkit.shells.permissions import PermissionShell
from ftpkit.shells.permissiontable import PermissionTable
from ftpkit.shells.wrappers import HideDotfilesShell, ShellWrapper
from tests.scratch import scratchDirectory


def synchronous(function, *args):
    """
    A runner calling blocking functions at once (no threads).
    """
    return succeed(function(*args))


@inlineCallbacks
def readAll(listing):
    """
    @return: a Deferred with the batches of C{listing}, up to the empty
        one.
    """
    batches = []
    while True:
        batch = yield listing.nextBatch()
        if not batch:
            return batches
        batches.append(batch)


@implementer(INameListing)
class NameBatches:
    """
    A listing naming its entries in the batches given.

    @ivar closed: whether it was closed.
    """

    def __init__(self, batches):
        self._batches = list(batches)
        self.closed = False

    def nextNames(self):
        return succeed(self._batches.pop(0) if self._batches else [])

    def close(self):
        self.closed = True


@implementer_only(IFTPShell)
class UnstreamedMemoryShell(MemoryShell):
    """
    A memory shell that does not list in batches.
    """


@implementer(IFTPShell, IFTPShellStreamedListing)
class StreamingMemoryShell(MemoryShell):
    """
    A memory shell also listing in batches of two.
    """

    def openListing(self, path):
        return self.list(path).addCallback(WholeListing, 2)


class ListingsTests(unittest.TestCase):
    """
    L{WholeListing}, L{FilteredListing} and L{openListing}.
    """

    def test_whole(self):
        """
        L{WholeListing} gives its entries in batches of the size asked for.
        """
        entries = [(str(n), None) for n in range(5)]
        batches = self.successResultOf(readAll(WholeListing(entries, 2)))
        self.assertEqual([len(batch) for batch in batches], [2, 2, 1])

    def test_filteredSkipsEmptiedBatches(self):
        """
        A batch whose entries are all left out is skipped: an empty batch
        still means the end.
        """
        entries = [(".a", None), (".b", None), ("c", None), (".d", None)]
        listing = FilteredListing(WholeListing(entries, 2),
                                  lambda name: not name.startswith("."))
        self.assertEqual(self.successResultOf(readAll(listing)), [[("c", None)]])

    def test_matched(self):
        """
        L{MatchedListing} describes only each batch's matches, and skips a
        batch with none: an empty batch still means the end.
        """
        described = []

        def describe(names):
            described.append(names)
            return succeed([(name, len(name)) for name in names])

        listing = MatchedListing(
            NameBatches([["a1", "b"], ["c", "d"], ["a22"]]),
            lambda names: succeed([n for n in names if n.startswith("a")]),
            describe)
        self.assertEqual(self.successResultOf(readAll(listing)),
                         [[("a1", 2)], [("a22", 3)]])
        self.assertEqual(described, [["a1"], ["a22"]])

    def test_matchedNames(self):
        """
        Without a C{describe}, L{MatchedListing} gives C{(name, None)}
        pairs of the matches.
        """
        listing = MatchedListing(NameBatches([["x", "y"]]),
                                 lambda names: succeed(names[1:]), None)
        self.assertEqual(self.successResultOf(readAll(listing)),
                         [[("y", None)]])

    def test_matchedEntries(self):
        """
        L{MatchedEntries} gives each batch's entries whose names match,
        and skips a batch with none.
        """
        entries = [("a1", 1), ("b", 2), ("c", 3), ("a2", 4)]
        listing = MatchedEntries(
            WholeListing(entries, 2),
            lambda names: succeed([n for n in names if n.startswith("a")]))
        self.assertEqual(self.successResultOf(readAll(listing)),
                         [[("a1", 1)], [("a2", 4)]])

    def test_started(self):
        """
        L{StartedListing} gives the batch read first, then the rest, and
        closes what it wraps.
        """
        rest = NameBatches([["c"]])
        listing = StartedListing([("a", None)],
                                 MatchedListing(rest, succeed, None))
        self.assertEqual(self.successResultOf(readAll(listing)),
                         [[("a", None)], [("c", None)]])
        listing.close()
        self.assertTrue(rest.closed)

    def test_filteredNames(self):
        """
        A L{FilteredListing} with a pure test names the entries it keeps
        where the filtered listing names its entries, skipping a batch of
        names all left out.
        """
        def keep(name):
            return not name.startswith(".")

        listing = FilteredListing(NameBatches([[".a"], ["b", ".c"]]), keep,
                                  pure=True)
        self.assertTrue(INameListing.providedBy(listing))
        self.assertEqual(self.successResultOf(listing.nextNames()), ["b"])
        self.assertEqual(self.successResultOf(listing.nextNames()), [])
        self.assertFalse(INameListing.providedBy(
            FilteredListing(NameBatches([]), keep)))
        self.assertFalse(INameListing.providedBy(
            FilteredListing(WholeListing([]), keep, pure=True)))

    def test_memoryListing(self):
        """
        L{MemoryListing} gives the names the directory had when it was
        opened, sorted, a batch at a time, leaving out those gone
        meanwhile, and describes them when asked.
        """
        shell = MemoryShell({"/d/c": b"", "/d/a": b"x", "/d/b": b""})
        listing = MemoryListing(shell._directoryAt(("d",)), 2)
        self.assertEqual(self.successResultOf(listing.nextNames()),
                         ["a", "b"])
        self.successResultOf(shell.removeFile(("d", "c")))
        self.assertEqual(self.successResultOf(listing.nextNames()), [])
        listing = MemoryListing(shell._directoryAt(("d",)), 1)
        self.successResultOf(shell.removeFile(("d", "a")))
        batch = self.successResultOf(listing.nextBatch())
        self.assertEqual([name for name, _ in batch], ["b"])
        self.assertIsInstance(batch[0][1], FileInfo)
        listing.close()
        self.assertEqual(self.successResultOf(listing.nextBatch()), [])

    def test_openListingFallsBack(self):
        """
        A shell that does not list in batches is listed with C{list}.
        """
        shell = UnstreamedMemoryShell({"/f": b"", "/g": b""})
        listing = self.successResultOf(openListing(shell, ()))
        batches = self.successResultOf(readAll(listing))
        self.assertEqual([name for name, _ in batches[0]], ["f", "g"])


class WrapperTests(unittest.TestCase):
    """
    Wrappers and listings in batches.
    """

    def test_forwarded(self):
        """
        A wrapper of a shell that lists in batches lists in batches too.
        """
        shell = ShellWrapper(StreamingMemoryShell({"/f": b""}))
        self.assertTrue(IFTPShellStreamedListing.providedBy(shell))

    def test_restrictedListNotBypassed(self):
        """
        A wrapper written before listings in batches existed that hides
        entries by overriding C{list} does not provide them (nor
        L{IFTPShellNames}): its restriction would be bypassed.
        """
        class Hiding(ShellWrapper):
            def list(self, path):
                return succeed([])

        shell = Hiding(StreamingMemoryShell({"/f": b""}))
        self.assertFalse(IFTPShellStreamedListing.providedBy(shell))
        self.assertFalse(IFTPShellNames.providedBy(shell))
        listing = self.successResultOf(openListing(shell, ()))
        self.assertEqual(self.successResultOf(readAll(listing)), [])

    def test_hideDotfiles(self):
        """
        L{HideDotfilesShell} lists in batches without the dot entries, and
        refuses to list a dot directory.
        """
        shell = HideDotfilesShell(StreamingMemoryShell(
            {"/.a": b"", "/.b": b"", "/c": b"", "/.d/e": b""}))
        self.assertTrue(IFTPShellStreamedListing.providedBy(shell))
        listing = self.successResultOf(shell.openListing(()))
        batches = self.successResultOf(readAll(listing))
        self.assertEqual([[name for name, _ in batch] for batch in batches],
                         [["c"]])
        self.failureResultOf(shell.openListing((".d",)), NoSuchFile)

    def test_hideDotfilesFormatted(self):
        """
        L{HideDotfilesShell} over the filesystem shell keeps its listings
        formatted where they are read (L{IStatListing}), without the dot
        entries; a batch of dot entries only is empty, not the end.
        """
        root = scratchDirectory(self)
        for name in (".a", ".b", "c", ".d"):
            open(os.path.join(root, name), "w").close()
        disk = FilesystemShell(root, runner=synchronous)
        listing = self.successResultOf(HideDotfilesShell(disk).openListing(()))
        self.assertTrue(IStatListing.providedBy(listing))
        self.assertEqual(self.successResultOf(
            listing.nextFormattedBatch(NamesFormat())), b"c\r\n")
        listing.close()
        listing = FilteredListing(
            DiskListing(os.scandir(root), lambda path, result: result,
                        synchronous, 1),
            lambda name: not name.startswith("."), pure=True)
        bodies = []
        while (body := self.successResultOf(
                listing.nextFormattedBatch(NamesFormat()))) is not None:
            bodies.append(body)
        listing.close()
        self.assertEqual(b"".join(bodies), b"c\r\n")
        self.assertIn(b"", bodies)

    def test_filterNotPure(self):
        """
        A L{FilteredListing} whose test is not said to be pure gives
        entries only: its test runs where the server is.
        """
        root = scratchDirectory(self)
        disk = FilesystemShell(root, runner=synchronous)
        listing = self.successResultOf(disk.openListing(()))
        self.addCleanup(listing.close)
        self.assertTrue(IStatListing.providedBy(listing))
        self.assertFalse(IStatListing.providedBy(
            FilteredListing(listing, lambda name: True)))
        self.assertTrue(IStatListing.providedBy(
            FilteredListing(listing, lambda name: True, pure=True)))
        self.assertFalse(IStatListing.providedBy(FilteredListing(
            WholeListing([]), lambda name: True, pure=True)))

    def test_permissions(self):
        """
        L{PermissionShell} lists in batches only where the user may list.
        """
        shell = PermissionShell(StreamingMemoryShell({"/d/f": b""}),
                                PermissionTable([], {("d",): ["list"]}))
        self.failureResultOf(shell.openListing(()), PermissionDenied)
        listing = self.successResultOf(shell.openListing(("d",)))
        self.assertEqual(len(self.successResultOf(readAll(listing))), 1)


class ReadListingTests(unittest.TestCase):
    """
    L{readListing}: a listing read whole, up to a limit (for C{STAT}).
    """

    def listing(self, count):
        """
        @return: a L{WholeListing} of C{count} entries in batches of ten,
            in reverse order, counting the batches asked for and whether
            it was closed.
        """
        entries = [("e%03d" % n, None) for n in reversed(range(count))]
        listing = WholeListing(entries, batchSize=10)
        listing.asked = 0
        listing.closed = False
        nextBatch, close = listing.nextBatch, listing.close

        def counted():
            listing.asked += 1
            return nextBatch()

        def closing():
            listing.closed = True
            close()

        listing.nextBatch, listing.close = counted, closing
        return listing

    def test_withinLimit(self):
        """
        Up to the limit, every entry, sorted by name; the listing is
        closed.
        """
        listing = self.listing(25)
        entries = self.successResultOf(
            Deferred.fromCoroutine(readListing(listing, 25)))
        self.assertEqual([name for name, _ in entries],
                         ["e%03d" % n for n in range(25)])
        self.assertTrue(listing.closed)

    def test_overLimit(self):
        """
        Over the limit: C{None}, once the first batch past it was read,
        and no further.
        """
        listing = self.listing(1000)
        self.assertIsNone(self.successResultOf(
            Deferred.fromCoroutine(readListing(listing, 15))))
        self.assertEqual(listing.asked, 2)
        self.assertTrue(listing.closed)

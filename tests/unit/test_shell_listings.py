"""
Tests for listings in batches on the shell side: L{ftpkit.shells.listings},
the filesystem shell's (L{ftpkit.shells.disklistings}) and what the
wrappers do with them.
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
from ftpkit.protocol.listing import FACTS, FactsFormat, ListFormat, NamesFormat
from ftpkit.shells.disklistings import (
    DiskListing,
    OpenDirectory,
    readAhead,
    visibleNames,
)
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.listings import (
    BATCH_SIZE,
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
from ftpkit.shells.permissions import PermissionShell, PermissionTable
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


class DiskListingTests(unittest.TestCase):
    """
    The filesystem shell's listings in batches.
    """

    def setUp(self):
        self.root = self.mktemp()
        os.makedirs(os.path.join(self.root, "d"))
        self.count = 2 * BATCH_SIZE + 10
        for number in range(self.count):
            open(os.path.join(self.root, "d", f"f{number:05d}"), "w").close()
        open(os.path.join(self.root, "d", ".ftpkit-partial.x"), "w").close()
        self.shell = FilesystemShell(self.root, runner=synchronous)

    def test_batches(self):
        """
        A directory larger than a batch is read a batch at a time: what
        was read by the first batch is a batch, not the directory.
        """
        listing = self.successResultOf(self.shell.openListing(("d",)))
        first = self.successResultOf(listing.nextBatch())
        self.assertEqual(len(first), BATCH_SIZE)
        rest = self.successResultOf(readAll(listing))
        listing.close()
        self.assertEqual([len(batch) for batch in rest], [BATCH_SIZE, 10])
        names = sorted(name for batch in [first, *rest] for name, _ in batch)
        self.assertEqual(names, [f"f{number:05d}" for number in range(self.count)])
        self.assertIsInstance(first[0][1], FileInfo)

    def test_names(self):
        """
        L{INameListing.nextNames} reads a batch of entries at a time,
        naming them sorted, without the uploads not in place.
        """
        listing = self.successResultOf(self.shell.openListing(("d",)))
        self.assertTrue(INameListing.providedBy(listing))
        batches = []
        while names := self.successResultOf(listing.nextNames()):
            batches.append(names)
        listing.close()
        self.assertEqual(len(batches), 3)
        for batch in batches:
            self.assertLessEqual(len(batch), BATCH_SIZE)
            self.assertEqual(batch, sorted(batch))
        self.assertEqual(sorted(name for batch in batches for name in batch),
                         [f"f{number:05d}" for number in range(self.count)])

    def openCounted(self, root):
        """
        Open a listing of C{root} on a filesystem shell that counts its
        disk thread calls.

        @param root: the directory to list.
        @return: C{(listing, calls)}: the open listing, and the functions
            run in disk threads, the open's first, a list that grows with
            each call.
        """
        calls = []

        def counting(function, *args):
            calls.append(function)
            return synchronous(function, *args)

        listing = self.successResultOf(
            FilesystemShell(root, runner=counting).openListing(()))
        return listing, calls

    def wholeBatches(self, batches):
        """
        @param batches: how many batches of files.
        @return: a new directory of C{batches} times L{BATCH_SIZE} files.
        """
        root = scratchDirectory(self)
        for number in range(batches * BATCH_SIZE):
            open(os.path.join(root, f"f{number:05d}"), "w").close()
        return root

    def test_namesReadAheadAtOnce(self):
        """
        The names of a directory of one batch, read with its open, come
        without another disk call, and then the end.
        """
        root = scratchDirectory(self)
        for name in ("b", "a"):
            open(os.path.join(root, name), "w").close()
        listing, calls = self.openCounted(root)
        self.assertEqual(len(calls), 1)
        self.assertEqual(self.successResultOf(listing.nextNames()),
                         ["a", "b"])
        self.assertEqual(self.successResultOf(listing.nextNames()), [])
        listing.close()
        self.assertEqual(len(calls), 1)

    def test_namesWholeBatchesEnd(self):
        """
        Naming a directory of a whole number of batches ends with its last
        batch: no disk call more, reading nothing (there was one).
        """
        for batches in (1, 2):
            root = self.wholeBatches(batches)
            listing, calls = self.openCounted(root)
            named = []
            while names := self.successResultOf(listing.nextNames()):
                named.extend(names)
            listing.close()
            self.assertEqual(sorted(named), sorted(os.listdir(root)))
            self.assertEqual(len(calls), batches)

    def test_descriptionsWholeBatchesEnd(self):
        """
        Describing or formatting a directory of a whole number of batches
        (C{LIST}, C{MLSD}) ends with its last batch, as naming it does: a
        disk call for the open, one per batch, and none more, reading
        nothing (there was one).
        """
        for batches in (1, 2):
            root = self.wholeBatches(batches)
            for read, size in [
                    (lambda listing: listing.nextBatch(), len),
                    (lambda listing: listing.nextFormattedBatch(
                        NamesFormat()), lambda data: data.count(b"\n"))]:
                listing, calls = self.openCounted(root)
                described = 0
                while batch := self.successResultOf(read(listing)):
                    described += size(batch)
                listing.close()
                self.assertEqual(described, batches * BATCH_SIZE)
                self.assertEqual(len(calls), 1 + batches, calls)

    def test_namesBatchOfUploadsOnly(self):
        """
        A batch whose entries are all uploads not in place (left out) is
        not the end, read ahead or not.
        """
        root = scratchDirectory(self)
        for name in ("a", ".ftpkit-partial.x", ".ftpkit-partial.y",
                     ".ftpkit-partial.z"):
            open(os.path.join(root, name), "w").close()
        for ahead in (False, True):
            directory = OpenDirectory(root)
            listing = DiskListing(
                directory, lambda path, result: result, synchronous, 1,
                readAhead(directory, 1) if ahead else None)
            batches = []
            while names := self.successResultOf(listing.nextNames()):
                batches.append(names)
            listing.close()
            self.assertEqual(batches, [["a"]])

    def heldListing(self):
        """
        @return: C{(listing, pending)}: the listing of C{d} of a shell whose
            disk calls wait in C{pending}, as C{(function, args, Deferred)},
            until the test runs them (its opening was run).
        """
        pending = []

        def later(function, *args):
            pending.append((function, args, Deferred()))
            return pending[-1][2]

        shell = FilesystemShell(self.root, runner=later)
        opening = shell.openListing(("d",))
        function, args, result = pending.pop()
        result.callback(function(*args))
        return self.successResultOf(opening), pending

    def test_closedWhileReading(self):
        """
        A listing closed while a batch is being read closes its directory
        once the read is over, and gives nothing more.
        """
        listing, pending = self.heldListing()
        reading = listing.nextBatch()
        listing.close()
        function, args, result = pending.pop()
        result.callback(function(*args))
        self.assertEqual(len(self.successResultOf(reading)), BATCH_SIZE)
        self.assertEqual(self.successResultOf(listing.nextBatch()), [])

    def test_formattedBatches(self):
        """
        L{IStatListing.nextFormattedBatch} reads a batch at a time too,
        leaving the unfinished upload out, and gives C{None} at the end.
        """
        listing = self.successResultOf(self.shell.openListing(("d",)))
        self.assertTrue(IStatListing.providedBy(listing))
        names = []
        while True:
            data = self.successResultOf(
                listing.nextFormattedBatch(NamesFormat()))
            if data is None:
                break
            names.append(data.decode().split())
        listing.close()
        self.assertEqual([len(batch) for batch in names],
                         [BATCH_SIZE, BATCH_SIZE, 10])
        self.assertEqual(sorted(sum(names, [])),
                         [f"f{number:05d}" for number in range(self.count)])

    def test_formattedAsEntries(self):
        """
        A batch formatted where it is read is what the same format gives
        for the batch's L{FileInfo} pairs: for files, directories, links
        inside the root (their targets), and links leading outside it or
        nowhere (themselves).
        """
        directory = os.path.join(self.root, "e")
        os.makedirs(os.path.join(directory, "sub"))
        with open(os.path.join(directory, "file"), "wb") as f:
            f.write(b"data")
        os.symlink("file", os.path.join(directory, "inside"))
        os.symlink("/", os.path.join(directory, "outside"))
        os.symlink("missing", os.path.join(directory, "dangling"))
        os.mkfifo(os.path.join(directory, "fifo"))
        os.utime(os.path.join(directory, "file"), (0, 86400 * 365 * 30.5))
        for makeFormat in (lambda: ListFormat(1.8e9),
                           lambda: FactsFormat(FACTS, True),
                           lambda: FactsFormat(("type", "perm"), False),
                           NamesFormat):
            listing = self.successResultOf(self.shell.openListing(("e",)))
            formatted = self.successResultOf(
                listing.nextFormattedBatch(makeFormat()))
            listing.close()
            listing = self.successResultOf(self.shell.openListing(("e",)))
            entries = self.successResultOf(listing.nextBatch())
            listing.close()
            self.assertEqual(len(entries), 6)
            self.assertEqual(formatted, makeFormat().entries(entries))

    def test_directoryMovedMeanwhile(self):
        """
        A listing reads the directory it opened: when the directory is
        renamed between two batches, the later batches still describe
        their entries (each C{lstat} looks up a name in the open
        directory, not the path it had).
        """
        for read in (lambda listing: listing.nextBatch(),
                     lambda listing: listing.nextFormattedBatch(
                         NamesFormat())):
            listing = self.successResultOf(self.shell.openListing(("d",)))
            self.successResultOf(read(listing))
            os.rename(os.path.join(self.root, "d"),
                      os.path.join(self.root, "moved"))
            try:
                rest = self.successResultOf(read(listing))
            finally:
                listing.close()
                os.rename(os.path.join(self.root, "moved"),
                          os.path.join(self.root, "d"))
            self.assertEqual(len(rest) if isinstance(rest, list)
                             else rest.count(b"\n"), BATCH_SIZE)

    def test_directoryClosed(self):
        """
        Closing a listing closes the descriptor of its directory, also
        when closed again.
        """
        before = len(os.listdir("/proc/self/fd"))
        listing = self.successResultOf(self.shell.openListing(("d",)))
        self.assertEqual(len(os.listdir("/proc/self/fd")), before + 2)
        listing.close()
        listing.close()
        self.assertEqual(len(os.listdir("/proc/self/fd")), before)

    def test_closedWhileFormatting(self):
        """
        A listing closed while a batch is being formatted closes its
        directory once that is over, and gives nothing more.
        """
        listing, pending = self.heldListing()
        reading = listing.nextFormattedBatch(NamesFormat())
        listing.close()
        function, args, result = pending.pop()
        result.callback(function(*args))
        self.assertEqual(self.successResultOf(reading).count(b"\n"),
                         BATCH_SIZE)
        self.assertIsNone(self.successResultOf(
            listing.nextFormattedBatch(NamesFormat())))


class VisibleNamesTests(unittest.TestCase):
    """
    L{visibleNames}: a directory's names sorted, unfinished uploads left
    out.
    """

    def test_table(self):
        """
        Temporary and partial uploads are left out; names that only look
        like them are kept.
        """
        for names, visible in [
            ([], []),
            (["b", "a"], ["a", "b"]),
            ([".ftpkit-upload.1.f.tmp", "f"], ["f"]),
            ([".ftpkit-partial.f", ".a", "z"], [".a", "z"]),
            ([".ftpkit-upload.1.f", ".ftpkit-other", ".ftpkit-upload.2.tmp",
              ".ftpkit-partial."], [".ftpkit-other", ".ftpkit-upload.1.f"]),
            ([".ftpkit-partial.\udcff", "\udcff", ".ftpkit-"],
             [".ftpkit-", "\udcff"]),
        ]:
            self.assertEqual(visibleNames(list(names)), visible, names)


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

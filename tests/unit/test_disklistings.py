"""
The filesystem shell's listings in batches (L{ftpkit.shells.disklistings}):
a directory read a batch at a time, names read ahead, batches formatted,
a directory moved or closed meanwhile, and the names a listing shows.
"""

import os

from twisted.internet.defer import Deferred
from twisted.trial import unittest

from ftpkit.fileinfo import FileInfo
from ftpkit.interfaces import INameListing, IStatListing
from ftpkit.protocol.listing import ListFormat, NamesFormat
from ftpkit.protocol.listingfacts import FACTS, FactsFormat
from ftpkit.shells.disklistings import (
    DiskListing,
    OpenDirectory,
    readAhead,
    visibleNames,
)
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.listings import BATCH_SIZE
from tests.scratch import scratchDirectory
from tests.unit.test_shell_listings import readAll, synchronous


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

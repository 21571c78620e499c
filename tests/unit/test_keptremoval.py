"""
Tests for the removal of cut uploads kept for a resume: C{DELE} of their
name (L{ftpkit.shells.keptuploads.KeptUploadsShell.removeFile},
L{ftpkit.shells.partials.dropPartial} through the filesystem shell), the
most one user keeps (L{ftpkit.shells.keptregistry}), and a bounded memory
tree dropping them for room (L{ftpkit.shells.memorytree.Budget.reclaim}).
"""

import os

from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import Clock
from twisted.python.filepath import FilePath
from twisted.trial import unittest

from ftpkit.errors import DirectoryNotEmpty, NoSuchFile, QuotaExceeded
from ftpkit.fileinfo import HiddenEntries
from ftpkit.shells import keptnames
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.keptregistry import MAX_KEPT_PER_USER, KeptPartials
from ftpkit.shells.keptsweep import SWEEP_INTERVAL
from ftpkit.shells.keptuploads import KeptUploadsShell
from ftpkit.shells.listings import BATCH_SIZE
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.memorylistings import MemoryListing
from ftpkit.shells.memorytree import Budget
from ftpkit.shells.permissions import PermissionShell, QuotaUsage
from ftpkit.shells.permissiontable import PERMISSIONS, PermissionTable
from ftpkit.shells.uploads import PARTIAL_LIFETIME, TAKE_GRACE
from tests.callcounts import countedCalls
from tests.scratch import scratchDirectory
from tests.syncrun import syncRun


class KeptPartialsTests(unittest.TestCase):
    """
    L{KeptPartials}: the cut uploads kept, oldest first.
    """

    def test_perUser(self):
        """
        Past the most one user keeps, that user's oldest are handed back
        to be removed; another user's are not counted with them.
        """
        kept = KeptPartials(perUser=2)
        self.assertEqual(kept.kept(("a",), "alice", "ra"), [])
        self.assertEqual(kept.kept(("b",), "bob", "rb"), [])
        self.assertEqual(kept.kept(("c",), "alice", "rc"), [])
        self.assertEqual(kept.kept(("d",), "alice", "rd"), ["ra"])
        self.assertEqual(len(kept), 3)

    def test_keptAgain(self):
        """
        A partial upload kept again under its key is the newest, and
        counted once.
        """
        kept = KeptPartials(perUser=2)
        kept.kept(("a",), "alice", "ra")
        kept.kept(("b",), "alice", "rb")
        self.assertEqual(kept.kept(("a",), "alice", "ra2"), [])
        self.assertEqual(kept.oldest(), "rb")
        self.assertEqual(kept.oldest(), "ra2")
        self.assertIsNone(kept.oldest())

    def test_oldestWithin(self):
        """
        L{KeptPartials.oldest} takes the oldest in a directory, at any
        depth, leaving the others.
        """
        kept = KeptPartials()
        kept.kept(("a", "x"), "alice", "rax")
        kept.kept(("b", "y"), "bob", "rby")
        kept.kept(("a", "d", "z"), "alice", "radz")
        self.assertEqual(kept.oldest(("b",)), "rby")
        self.assertIsNone(kept.oldest(("b",)))
        self.assertEqual(kept.oldest(("a",)), "rax")
        self.assertEqual(kept.oldest(), "radz")

    def test_dropOldestWithin(self):
        """
        L{KeptPartials.dropOldestWithin} removes the oldest there, and
        tells whether there was one, once removed; L{KeptPartials.removed}
        tells C{onRemoved}.
        """
        told = []
        kept = KeptPartials(onRemoved=lambda *args: told.append(args))
        kept.kept(("a", "x"), None,
                  lambda: kept.removed(("a", "x"), 5))
        self.assertEqual(
            [self.successResultOf(kept.dropOldestWithin(("b",))),
             self.successResultOf(kept.dropOldestWithin(("a",))),
             self.successResultOf(kept.dropOldestWithin())],
            [False, True, False])
        self.assertEqual(told, [(("a", "x"), 5)])

    def test_forget(self):
        """
        One forgotten (resumed, removed) is no longer dropped.
        """
        kept = KeptPartials()
        kept.kept(("a",), "alice", "ra")
        kept.forget(("a",))
        kept.forget(("missing",))
        self.assertIsNone(kept.oldest())

    def test_dropOldest(self):
        """
        L{KeptPartials.dropOldest} removes the oldest, and tells whether
        there was one.
        """
        removed = []
        kept = KeptPartials()
        kept.kept(("a",), None, lambda: removed.append("a"))
        kept.kept(("b",), None, lambda: removed.append("b"))
        self.assertEqual([kept.dropOldest(), kept.dropOldest(),
                          kept.dropOldest()], [True, True, False])
        self.assertEqual(removed, ["a", "b"])

    def test_cap(self):
        """
        A user keeps at most ten: a client cuts as many uploads at once
        as it runs in parallel.
        """
        self.assertEqual(MAX_KEPT_PER_USER, 10)


class BudgetReclaimTests(unittest.TestCase):
    """
    L{Budget.reclaim}: called where room lacks, until there is room or
    it frees nothing.
    """

    def test_fits(self):
        """
        Bytes that do not fit are made room for.
        """
        budget = Budget(100)
        budget.used = 100
        calls = []

        def reclaim():
            calls.append(budget.used)
            budget.used -= 30
            return True
        budget.reclaim = reclaim
        self.assertTrue(budget.fits(50))
        self.assertEqual(calls, [100, 70])

    def test_nothingFreed(self):
        """
        Where it frees nothing, the bytes do not fit.
        """
        budget = Budget(100)
        budget.used = 100
        budget.reclaim = lambda: False
        self.assertFalse(budget.fits(1))
        self.assertTrue(budget.fits(0))

    def test_entries(self):
        """
        A new entry past the most is made room for too.
        """
        budget = Budget(1)
        budget.entries = budget.maxEntries + 1
        freed = []

        def reclaim():
            budget.entries -= 1
            freed.append(1)
            return True
        budget.reclaim = reclaim
        self.assertFalse(budget.overLimit())
        self.assertTrue(budget.roomForEntry())
        self.assertEqual(len(freed), 2)


class KeptRemovalTests(unittest.TestCase):
    """
    C{DELE} and room on a L{KeptUploadsShell} around a bounded
    L{MemoryShell}.
    """

    def setUp(self):
        self.clock = Clock()
        self.clock.advance(1000)
        self.registry = KeptPartials(perUser=3)
        self.raw = MemoryShell({"/f": b"old file"}, clock=self.clock,
                               maxBytes=100000,
                               reclaim=self.registry.dropOldest)
        self.shell = KeptUploadsShell(self.raw, clock=self.clock,
                                      kept=self.registry)
        self.alice = self.shell.forResumer("alice")
        self.bob = self.shell.forResumer("bob")

    def cut(self, shell, data, path=("f",)):
        """
        Upload C{data} to C{path} and cut the upload.
        """
        opened = self.successResultOf(shell.openForWriting(path))
        self.successResultOf(opened.writeAt(0, data))
        self.successResultOf(opened.abort())

    def size(self, shell, path=("f",)):
        """
        @return: what C{shell}'s C{resumableSize} tells of C{path}.
        """
        return self.successResultOf(shell.resumableSize(path))

    def test_removeNewName(self):
        """
        Removing a name whose cut upload is all there is removes the cut
        upload, telling so (the file itself was not there); again, the
        name is missing.
        """
        self.cut(self.alice, b"abc", ("n",))
        removed = self.successResultOf(self.alice.removeFile(("n",)))
        self.assertIsInstance(removed, HiddenEntries)
        self.assertEqual((int(removed), removed.bytes, removed.fileGone),
                         (1, 3, False))
        self.assertIsNone(self.size(self.alice, ("n",)))
        self.assertEqual(self.successResultOf(self.raw.listNames(())), ["f"])
        self.failureResultOf(self.alice.removeFile(("n",)), NoSuchFile)
        self.assertEqual(len(self.registry), 0)

    def test_removeBoth(self):
        """
        Removing a file whose cut upload its remover keeps removes both.
        """
        self.cut(self.alice, b"abcd")
        removed = self.successResultOf(self.alice.removeFile(("f",)))
        self.assertEqual((int(removed), removed.bytes, removed.fileGone),
                         (1, 4, True))
        self.assertEqual(self.successResultOf(self.raw.listNames(())), [])

    def test_othersStay(self):
        """
        Another user's cut upload stays: bob's removal of the name alone
        is missing, and of the file removes the file alone.
        """
        self.cut(self.alice, b"abc", ("n",))
        self.cut(self.alice, b"abcd")
        self.failureResultOf(self.bob.removeFile(("n",)), NoSuchFile)
        self.assertIsNone(self.successResultOf(self.bob.removeFile(("f",))))
        self.assertEqual(
            (self.size(self.alice, ("n",)), self.size(self.alice)), (3, 4))

    def test_perUser(self):
        """
        Past the most one user keeps, the oldest cut upload is removed.
        """
        for name in "abcd":
            self.cut(self.alice, b"x", (name,))
        self.cut(self.bob, b"x", ("e",))
        self.assertEqual(
            [self.size(self.alice, (name,)) for name in "abcd"],
            [None, 1, 1, 1])
        self.assertEqual(self.size(self.bob, ("e",)), 1)

    def test_resumedNotDropped(self):
        """
        A cut upload taken by a resume is no longer counted: room is
        never made by dropping it.
        """
        self.cut(self.alice, b"abc", ("n",))
        opened = self.successResultOf(
            self.alice.openForWriting(("n",), 3))
        self.assertEqual(len(self.registry), 0)
        self.successResultOf(opened.writeAt(3, b"def"))
        self.successResultOf(opened.close())

    def test_quotaMeasuredAgain(self):
        """
        Under a quota, the removal of a name whose cut upload was all
        there was succeeds, and the usage is measured again (the cut
        upload's key is not the file's), rather than counting the file's
        entry gone.
        """
        self.cut(self.alice, b"abc", ("n",))
        measured = []
        usage = QuotaUsage(lambda: measured.append(1) or 3, syncRun)
        shell = PermissionShell(self.alice, PermissionTable(PERMISSIONS),
                                10 ** 6, usage)
        self.successResultOf(usage.current())
        self.successResultOf(shell.removeFile(("n",)))
        self.successResultOf(usage.current())
        self.assertEqual(len(measured), 2)

    def test_quotasNested(self):
        """
        A quota's shell hands on what the shell it wraps tells of the cut
        uploads removed, so that a quota around it (a user's, around a
        bounded store's) measures again too.
        """
        self.cut(self.alice, b"abc", ("n",))
        usages = [QuotaUsage(lambda: 3, syncRun) for _ in range(2)]
        shell = self.alice
        for usage in usages:
            shell = PermissionShell(shell, PermissionTable(PERMISSIONS),
                                    10 ** 6, usage)
            self.successResultOf(usage.current())
        removed = self.successResultOf(shell.removeFile(("n",)))
        self.assertEqual((int(removed), removed.fileGone), (1, False))
        self.assertEqual([usage.stale for usage in usages], [True, True])

    def test_roomMade(self):
        """
        An upload that needs room the cut uploads hold gets it, the
        oldest cut upload dropped first; without cut uploads, it is
        refused.
        """
        self.cut(self.alice, b"a" * 40000, ("n1",))
        self.cut(self.bob, b"b" * 40000, ("n2",))
        opened = self.successResultOf(self.bob.openForWriting(("g",)))
        self.successResultOf(opened.writeAt(0, b"g" * 50000))
        self.successResultOf(opened.close())
        self.assertEqual((self.size(self.alice, ("n1",)),
                          self.size(self.bob, ("n2",))), (None, 40000))
        opened = self.successResultOf(self.bob.openForWriting(("h",)))
        self.failureResultOf(opened.writeAt(0, b"h" * 60000), QuotaExceeded)
        self.successResultOf(opened.discard())


class DiskRemovalTests(unittest.TestCase):
    """
    C{DELE} through the filesystem shell made for a user
    (L{ftpkit.shells.partials.dropPartial}).
    """

    def setUp(self):
        self.root = os.fsencode(scratchDirectory(self))
        FilePath(os.path.join(self.root, b"f")).setContent(b"old file")
        self.shell = FilesystemShell(self.root)
        self.alice = self.shell.forResumer("alice")
        self.bob = self.shell.forResumer("bob")

    @inlineCallbacks
    def cut(self, shell, data, name="f"):
        """
        Upload C{data} to C{name} through C{shell} and cut it.
        """
        opened = yield shell.openForWriting((name,))
        consumer = yield opened.receive()
        consumer.write(data)
        yield consumer.drain()
        yield opened.abort()

    def names(self):
        """
        @return: the names in the root, hidden ones too.
        """
        return sorted(os.listdir(self.root))

    @inlineCallbacks
    def test_removeNewName(self):
        """
        Removing a name whose cut upload is all there is removes it.
        """
        yield self.cut(self.alice, b"abc", "n")
        removed = yield self.alice.removeFile(("n",))
        self.assertEqual((int(removed), removed.bytes, removed.fileGone),
                         (1, 3, False))
        self.assertEqual(self.names(), [b"f"])
        yield self.assertFailure(self.alice.removeFile(("n",)), NoSuchFile)

    @inlineCallbacks
    def test_othersStay(self):
        """
        bob's removal of the name alone is missing; of the file, it
        leaves alice's cut upload of it.
        """
        yield self.cut(self.alice, b"abc", "n")
        yield self.cut(self.alice, b"abcd")
        yield self.assertFailure(self.bob.removeFile(("n",)), NoSuchFile)
        self.assertIsNone((yield self.bob.removeFile(("f",))))
        sizes = yield self.alice.resumableSize(("f",))
        self.assertEqual(sizes, 4)

    @inlineCallbacks
    def test_staleRemoved(self):
        """
        A cut upload older than its file (which a later upload completed)
        goes with the file, whoever removes it: it would otherwise answer
        its resumer's C{SIZE} once the file is gone.
        """
        yield self.cut(self.alice, b"abc")
        partial = [name for name in self.names() if name != b"f"][0]
        os.utime(os.path.join(self.root, partial), (1, 1))
        yield self.bob.removeFile(("f",))
        self.assertEqual(self.names(), [])


class StaleActionTests(unittest.TestCase):
    """
    L{keptnames.staleAction}: what a sweep does with a hidden file.
    """

    def test_rule(self):
        """
        A partial upload goes after its lifetime; a new upload's file
        and a resume's not written for L{TAKE_GRACE} go, or are a partial
        upload again; a time not known keeps anything.
        """
        now = 10 ** 6
        hour = now - TAKE_GRACE - 1
        day = now - PARTIAL_LIFETIME - 1
        partial = keptnames.partialName("f", "alice")
        resuming = keptnames.resumingName("f", "alice")
        placing = keptnames.placingName()
        self.assertEqual(
            [keptnames.staleAction(name, mtime, now) for name, mtime in [
                (partial, hour), (partial, day), (placing, now - 60),
                (placing, hour), (resuming, now - 60), (resuming, hour),
                (placing, None), ("f", day)]],
            [None, keptnames.REMOVE, None, keptnames.REMOVE, None,
             keptnames.RESTORE, None, None])
        self.assertEqual(keptnames.restoredName(resuming), partial)


class SweepTreeTests(unittest.TestCase):
    """
    L{KeptUploadsShell.sweepTree}: every directory, from the root down.
    """

    def test_sweep(self):
        """
        A crashed upload's file goes, a crashed resume's is its partial
        upload again, unless a newer one is kept (then it goes), in every
        directory; fresh ones stay.
        """
        clock = Clock()
        clock.advance(10 ** 6)
        resuming = keptnames.resumingName("f", "alice")
        partial = keptnames.partialName("f", "alice")
        placing = keptnames.placingName()
        raw = MemoryShell({"/" + placing: b"p", "/" + resuming: b"rr",
                           "/d/" + resuming: b"r", "/d/" + partial: b"new",
                           "/d/e/" + placing: b"p"}, clock=clock)
        clock.advance(TAKE_GRACE + 1)
        fresh = keptnames.placingName()
        opened = self.successResultOf(raw.openForWriting((fresh,)))
        self.successResultOf(opened.writeAt(0, b"x"))
        self.successResultOf(opened.close())
        self.successResultOf(raw.setModificationTime(("d", partial),
                                                     clock.seconds()))
        shell = KeptUploadsShell(raw, clock=clock)
        self.assertEqual(self.successResultOf(shell.sweepTree()), 4)
        self.assertEqual(tuple(self.successResultOf(raw.listNames(path))
                               for path in [(), ("d",), ("d", "e")]),
                         (sorted(["d", fresh, partial]), [partial, "e"], []))
        read = self.successResultOf(raw.openForReading(("d", partial)))
        self.assertEqual(self.successResultOf(read.readAt(0, 10)), b"new")


class TwoProcessesTests(unittest.TestCase):
    """
    Two L{KeptUploadsShell}s over one store, each with a L{KeptPartials}
    of its own, as the workers of C{--workers} over C{fsspec:file://}.
    """

    def cut(self, shell, path, data):
        """
        Upload C{data} to C{path} and cut the upload.
        """
        opened = self.successResultOf(shell.openForWriting(path))
        self.successResultOf(opened.writeAt(0, data))
        self.successResultOf(opened.abort())

    def test_newerKeptElsewhereStays(self):
        """
        A cut upload one process kept, then resumed in the other and
        kept again there, is not removed when the first drops it past
        its user's most (it removed it: the bytes the resume added were
        lost, and its user's C{SIZE} answered the file's size).
        """
        store = MemoryShell()
        first, second = (
            KeptUploadsShell(store, kept=KeptPartials(perUser=1))
            .forResumer("alice") for _ in range(2))
        self.cut(first, ("f",), b"half")
        resumed = self.successResultOf(
            second.openForWriting(("f",), 4))
        self.successResultOf(resumed.writeAt(4, b" and more"))
        self.successResultOf(resumed.abort())
        self.cut(first, ("g",), b"other")
        self.assertEqual(self.successResultOf(
            second.resumableSize(("f",))), 13)


class FullDirectoryRemovalTests(unittest.TestCase):
    """
    C{RMD} of a directory that holds files, on a L{KeptUploadsShell}: it
    listed the directory whole to see whether it held partial uploads
    alone, each time a user asked (the thirty-fourth attack sweep). Its
    listing is read up to the first batch holding another file now.
    """

    def test_firstBatchAlone(self):
        """
        Of a directory of three batches of files, one batch is read, and
        the directory stays.
        """
        files = {"/d/f%05d" % index: b"" for index in range(3 * BATCH_SIZE)}
        raw = MemoryShell(files, clock=Clock())
        shell = KeptUploadsShell(raw, clock=Clock())
        read = countedCalls(self, MemoryListing, "nextBatch")
        raw.list = lambda path: self.fail("listed whole")
        self.failureResultOf(shell.removeDirectory(("d",)), DirectoryNotEmpty)
        self.assertEqual(len(read), 1)
        self.assertEqual(len(self.successResultOf(raw.listNames(("d",)))),
                         3 * BATCH_SIZE)


class CutSweepTests(unittest.TestCase):
    """
    A cut upload kept in a directory sweeps it (a listing of it whole):
    a client cutting uploads at will had the server list the directory
    at each cut (the thirty-fourth attack sweep). A directory is swept
    once a L{SWEEP_INTERVAL} at most now, by every session of the tree.
    """

    def test_sweptOnceAnInterval(self):
        """
        Five cuts in a row list the directory once; one past the interval
        lists it again.
        """
        clock = Clock()
        clock.advance(1000)
        raw = MemoryShell({"/d/f": b"old"}, clock=clock)
        shell = KeptUploadsShell(raw, clock=clock)
        listed = []
        wholeList = MemoryShell.list

        def recording(memory, path):
            listed.append(tuple(path))
            return wholeList(memory, path)

        self.patch(MemoryShell, "list", recording)
        for resumer in ("alice", "bob", "alice", "carol", "alice"):
            opened = self.successResultOf(
                shell.forResumer(resumer).openForWriting(("d", "f")))
            self.successResultOf(opened.writeAt(0, b"cut"))
            self.successResultOf(opened.abort())
        self.assertEqual(listed, [("d",)])
        clock.advance(SWEEP_INTERVAL)
        opened = self.successResultOf(
            shell.forResumer("alice").openForWriting(("d", "f")))
        self.successResultOf(opened.writeAt(0, b"cut"))
        self.successResultOf(opened.abort())
        self.assertEqual(listed, [("d",), ("d",)])

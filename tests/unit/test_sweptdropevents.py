"""
The C{partial-dropped} events of the sweeps: a partial upload past its
lifetime (L{EXPIRED}), and a resume's file left by a server (or a worker
of C{--workers}) that died, once a newer cut upload of its target is kept
(L{REPLACED}), on the disk realm (L{SweepUploads}, at start and for a
dead worker) and on memory and fsspec (L{KeptUploadsShell.sweepTree}).
Before session 32 the sweeps removed them without a line.
"""

import os
import time

from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.deploy.sweepservice import SweepUploads
from ftpkit.shells import keptnames, partials, partialsweep, uploads
from ftpkit.shells.keptregistry import EXPIRED, REPLACED
from ftpkit.shells.keptuploads import KeptUploadsShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.partialowners import recordResumer
from ftpkit.shells.uploadnames import TEMPORARY_PREFIX, TEMPORARY_SUFFIX
from ftpkit.shells.uploads import PARTIAL_LIFETIME, TAKE_GRACE
from tests.logevents import captureLogs, dropped
from tests.scratch import scratchDirectory, writeLocal


class KeptSweepTests(unittest.TestCase):
    """
    L{KeptUploadsShell.sweepTree} over a L{MemoryShell}.
    """

    def test_sweep(self):
        """
        A dead resume's file with a newer partial upload kept, and a
        partial upload past its lifetime: one event each.
        """
        events = captureLogs(self)
        clock = Clock()
        clock.advance(10 ** 6)
        resuming = keptnames.resumingName("f", "alice")
        partial = keptnames.partialName("f", "alice")
        old = keptnames.partialName("g", None)
        raw = MemoryShell({"/d/" + resuming: b"rr", "/d/" + old: b"ooo"},
                          clock=clock)
        clock.advance(PARTIAL_LIFETIME + 1)
        opened = self.successResultOf(raw.openForWriting(("d", partial)))
        self.successResultOf(opened.writeAt(0, b"new"))
        self.successResultOf(opened.close())
        shell = KeptUploadsShell(raw, clock=clock)
        self.successResultOf(shell.sweepTree())
        self.assertEqual(sorted(dropped(events)), sorted([
            ("/d/" + resuming, None, 2, REPLACED),
            ("/d/" + old, None, 3, EXPIRED)]))


class DiskSweepTests(unittest.TestCase):
    """
    L{SweepUploads} over a directory: C{f}'s partial upload of alice's.
    """

    def setUp(self):
        self.events = captureLogs(self)
        self.root = os.fsencode(scratchDirectory(self))
        self.target = os.path.join(self.root, b"f")
        try:
            os.setxattr(self.root, b"user.ftpkit.probe", b"-")
        except OSError:
            raise unittest.SkipTest("no user extended attributes here")

    def keep(self, path, data, when):
        """
        Write a hidden file kept for alice, of time C{when}.
        """
        writeLocal(path, data)
        fd = os.open(path, os.O_WRONLY)
        try:
            recordResumer(fd, "alice")
        finally:
            os.close(fd)
        os.utime(path, (when, when))

    def test_expiredAtStart(self):
        """
        The sweep at start drops a partial upload past its lifetime: one
        event, naming alice.
        """
        partial = uploads.partialPath(self.target)
        self.keep(partial, b"half!", time.time() - PARTIAL_LIFETIME - 10)
        SweepUploads(self.root).startService()
        self.assertFalse(os.path.exists(partial))
        self.assertEqual(dropped(self.events), [
            ("/" + os.fsdecode(os.path.basename(partial)), "alice", 5,
             EXPIRED)])

    def test_deadWorkersResume(self):
        """
        A worker died while resuming C{f}; a newer cut upload of C{f} was
        kept since: the sweep for that worker drops the resume's file,
        one event.
        """
        resuming = partials.resumingPath(self.target)
        self.keep(resuming, b"resumed", time.time() - TAKE_GRACE)
        self.keep(uploads.partialPath(self.target), b"new", time.time())
        sweeper = SweepUploads(self.root)

        def check(_):
            self.assertFalse(os.path.exists(resuming))
            self.assertEqual(dropped(self.events), [
                ("/" + os.fsdecode(os.path.basename(resuming)), "alice", 7,
                 REPLACED)])

        return sweeper.sweepCut(b"0123abcd").addCallback(check)


class CrashedUploadTests(unittest.TestCase):
    """
    The disk realm's sweep (L{partialsweep.sweep}), and a resume's look
    while it runs (L{partialsweep.beginSweep}), over the files crashed
    uploads of C{f} left: one the sweep would make C{f}'s partial upload
    and removes instead (past its lifetime, or for a newer one) is one
    event; one nobody could ever resume (empty, or naming no target) is
    none; a resume's empty file is given back. Before session 33 only a
    resume's file with bytes was told, by the sweep alone, and a
    resume's empty file was removed (its user's C{SIZE} then answered
    the old file's size).
    """

    def setUp(self):
        self.root = os.fsencode(scratchDirectory(self))
        self.target = os.path.join(self.root, b"f")
        self.drops = []

    def onDropped(self, path, resumer, size, reason):
        """
        Note a drop: its name, bytes and reason.
        """
        self.drops.append((os.path.basename(path), size, reason))

    def crashed(self, data, age, label=b".f"):
        """
        Leave the temporary file of a crashed upload, C{age} seconds old.

        @param label: what its name says of its target after its tag.
        @return: its name.
        """
        name = TEMPORARY_PREFIX + b"0123abcd-7" + label + TEMPORARY_SUFFIX
        path = os.path.join(self.root, name)
        writeLocal(path, data)
        when = time.time() - age
        os.utime(path, (when, when))
        return name

    def sweep(self):
        """
        Sweep the root as at start.
        """
        partialsweep.sweep(self.root, onDropped=self.onDropped)

    def test_expired(self):
        """
        One past its lifetime: one event, L{EXPIRED}.
        """
        name = self.crashed(b"half!", PARTIAL_LIFETIME + 10)
        self.sweep()
        self.assertEqual(self.drops, [(name, 5, EXPIRED)])
        self.assertEqual(os.listdir(self.root), [])

    def test_newerKept(self):
        """
        One older than the partial upload kept of C{f}: one event,
        L{REPLACED}.
        """
        name = self.crashed(b"half!", 100)
        partial = uploads.partialPath(self.target)
        writeLocal(partial, b"newer")
        self.sweep()
        self.assertEqual(self.drops, [(name, 5, REPLACED)])
        self.assertEqual(os.listdir(self.root), [os.path.basename(partial)])

    def test_neverResumable(self):
        """
        One that received nothing, and one naming no target: removed,
        no event.
        """
        self.crashed(b"", 100)
        self.crashed(b"bytes", 100, label=b"")
        self.sweep()
        self.assertEqual((self.drops, os.listdir(self.root)), ([], []))

    def test_emptyResumeGivenBack(self):
        """
        A resume's file that holds nothing (a cut upload that replaced a
        file and received nothing, taken by a resume whose server died)
        is C{f}'s partial upload again: its user's C{SIZE} answers 0.
        """
        writeLocal(uploads.resumingPath(self.target), b"")
        self.sweep()
        self.assertEqual(self.drops, [])
        self.assertEqual(os.listdir(self.root), [
            os.path.basename(uploads.partialPath(self.target))])

    def test_lookedUpWhileSweeping(self):
        """
        A C{SIZE} of C{f} while the sweep at start runs deals with its
        crashed uploads itself: an expired one is one event there too.
        """
        name = self.crashed(b"half!", PARTIAL_LIFETIME + 10)
        partialsweep.beginSweep(frozenset())
        self.addCleanup(partialsweep.endSweep)
        self.assertIsNone(partials.resumableSize(self.target,
                                                 onDropped=self.onDropped))
        self.assertEqual(self.drops, [(name, 5, EXPIRED)])

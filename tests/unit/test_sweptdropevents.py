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
from ftpkit.shells import keptnames, partials, uploads
from ftpkit.shells.keptregistry import EXPIRED, REPLACED
from ftpkit.shells.keptuploads import KeptUploadsShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.partialowners import recordResumer
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

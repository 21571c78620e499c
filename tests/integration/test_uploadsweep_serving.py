"""
The sweep of L{ftpkit.shells.uploads} beside what runs: in a thread
while one process serves its sessions (L{SweepUploads} with
C{whileServing}), and under C{--workers} in the acceptor while the
workers get ready (L{ftpkit.deploy.pendingsweep}).
"""

import os
import time

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.shells import uploads
from tests.callcounts import countedCalls
from tests.integration.test_uploadsweep import claimAndClose, crashedName
from tests.scratch import readLocal, writeLocal
from tests.uploadroot import UploadRoot, expire
from tests.workerpools import LineChannel


def _joinSweeps():
    """
    Wait for the sweep threads L{SweepUploads} started.
    """
    import threading

    for thread in threading.enumerate():
        if thread.name == "ftpkit-sweep":
            thread.join()


class SweepWhileServingTests(UploadRoot, unittest.TestCase):
    """
    L{SweepUploads} with C{whileServing}: one process sweeps at start in a
    thread, while its sessions run.
    """

    def setUp(self):
        self.makeRoot()
        self.addCleanup(_joinSweeps)

    def sweeper(self, sweep=None):
        from ftpkit.deploy.sweepservice import SweepUploads

        return SweepUploads(self.root, whileServing=True, sweep=sweep)

    def test_startsAtOnce(self):
        """
        The service has started (the listeners after it start) before a
        slow sweep ends; a resume meanwhile looks for its target's crashed
        upload itself until the sweep ends.
        """
        import threading

        release = threading.Event()
        done = threading.Event()

        def slowSweep(root, spared=(), onDropped=None):
            release.wait(5)
            done.set()
            return (0, 0)

        sweeper = self.sweeper(slowSweep)
        sweeper.startService()
        self.assertFalse(done.is_set())
        self.assertTrue(uploads.sweepPending())
        # Stopping does not wait for the sweep.
        self.assertIsNone(sweeper.stopService())
        release.set()
        _joinSweeps()
        self.assertTrue(done.is_set())
        self.assertFalse(uploads.sweepPending())

    def test_sparesOwnUploads(self):
        """
        A temporary file of this process's tag, not held yet (an upload of
        a new session between the file's creation and its lock), is left
        alone; a crashed process's becomes its target's partial upload.
        """
        own = self.path(uploads.temporaryName(b"f"))
        writeLocal(own, b"running")
        writeLocal(self.path(crashedName(b"g")), b"half")
        self.sweeper().startService()
        _joinSweeps()
        self.assertEqual(sorted(os.listdir(self.root)),
                         sorted([os.path.basename(own),
                                 uploads.PARTIAL_PREFIX + b"g"]))

    def test_everyRoot(self):
        """
        The roots given besides the realm's (the virtual hosts') are swept
        in the same thread, after it, and a resume there meanwhile finds
        its crashed upload too.
        """
        from ftpkit.deploy.sweepservice import SweepUploads

        other = os.fsencode(os.path.abspath(self.mktemp()))
        os.makedirs(other)
        writeLocal(os.path.join(other, crashedName(b"f")), b"half")
        expired = os.path.join(other, uploads.PARTIAL_PREFIX + b"old")
        writeLocal(expired, b"old")
        expire(expired)
        writeLocal(os.path.join(other, crashedName(b"g")), b"other half")
        sweeper = SweepUploads(self.root, whileServing=True, others=[other])
        sweeper.startService()
        self.assertEqual(uploads.resumableSize(os.path.join(other, b"g")), 10)
        _joinSweeps()
        self.assertEqual(sorted(os.listdir(other)),
                         [uploads.PARTIAL_PREFIX + b"f",
                          uploads.PARTIAL_PREFIX + b"g"])

    def test_resumeBeforeSweep(self):
        """
        A resume while the sweep runs, before it reached the target's
        crashed upload, finds it resumable, and takes it.
        """
        uploads.beginSweep(frozenset({uploads.temporaryTag()}))
        self.addCleanup(uploads.endSweep)
        writeLocal(self.path(crashedName(b"f")), b"half")
        target = self.path(b"f")
        self.assertEqual(uploads.resumableSize(target), 4)
        self.assertEqual(readLocal(claimAndClose(target)), b"half")

    def test_resumeReadsDirectoryOnce(self):
        """
        While the sweep runs, the resumes (and C{SIZE}s) of many files of
        one directory read it once, not once each: a mirror of a large
        directory read it whole for every file. A crashed upload found
        there is still taken by its target's resume.
        """
        uploads.beginSweep(frozenset({uploads.temporaryTag()}))
        self.addCleanup(uploads.endSweep)
        writeLocal(self.path(crashedName(b"f")), b"half")
        scans = countedCalls(self, os, "scandir")
        for name in [b"a", b"b", b"c"]:
            self.assertIsNone(uploads.resumableSize(self.path(name)))
        self.assertEqual(uploads.resumableSize(self.path(b"f")), 4)
        self.assertEqual(scans, [(self.root,)])

    def test_resumeSparesRunning(self):
        """
        The resume's look at the target's directory leaves the spared
        tags' temporary files (another session's upload of the target).
        """
        uploads.beginSweep(frozenset({uploads.temporaryTag()}))
        self.addCleanup(uploads.endSweep)
        running = self.path(uploads.temporaryName(b"f"))
        writeLocal(running, b"running")
        self.assertIsNone(uploads.resumableSize(self.path(b"f")))
        self.assertEqual(os.listdir(self.root), [os.path.basename(running)])

    def test_spared(self):
        """
        L{uploads.sweep} leaves the temporary files of the tags it spares.
        """
        own = self.path(uploads.temporaryName(b"f"))
        writeLocal(own, b"running")
        self.assertEqual(
            uploads.sweep(self.root, spared={uploads.temporaryTag()}),
            (0, 0))
        self.assertEqual(os.listdir(self.root), [os.path.basename(own)])


class _Worker:
    """
    What L{SweepUploads} reads of a ready worker.
    """

    alive = True

    def __init__(self, tag):
        self.uploadTag = tag
        self.channel = LineChannel()


class SweepBesideWorkersTests(UploadRoot, unittest.TestCase):
    """
    Under C{--workers}, the acceptor's sweep at start spares the uploads
    of the workers that get ready meanwhile, and tells them it runs
    (L{ftpkit.deploy.pendingsweep}).
    """

    def setUp(self):
        self.makeRoot()
        self.addCleanup(_joinSweeps)
        self.addCleanup(uploads.endSweep)

    @defer.inlineCallbacks
    def test_readyWorker(self):
        """
        A worker ready while the sweep runs has its tag spared and is told
        the sweep runs; every worker is told once it ended.
        """
        import threading

        from ftpkit.deploy import pendingsweep
        from ftpkit.deploy.sweepservice import SweepUploads

        release = threading.Event()
        seen = []

        def slowSweep(root, spared=(), onDropped=None):
            release.wait(5)
            seen.append(b"w1" in spared)
            return (0, 0)

        class Pool:
            workers = [_Worker(b"w1"), _Worker(b"w2")]

        sweeper = SweepUploads(self.root, whileServing=True, sweep=slowSweep)
        sweeper.pool = Pool()
        sweeper.startService()
        sweeper.workerReady(Pool.workers[0])
        release.set()
        _joinSweeps()
        self.assertEqual(seen, [True])
        [sweeping] = Pool.workers[0].channel.lines
        self.assertTrue(sweeping.startswith(b"sweeping "))
        self.assertEqual(Pool.workers[1].channel.lines, [])
        # The thread's end reaches the reactor thread.
        d = defer.Deferred()
        from twisted.internet import reactor

        reactor.callLater(0, d.callback, None)
        yield d
        self.assertEqual(Pool.workers[0].channel.lines[1:],
                         [pendingsweep.SWEPT_LINE])
        self.assertEqual(Pool.workers[1].channel.lines,
                         [pendingsweep.SWEPT_LINE])
        late = _Worker(b"w3")
        sweeper.workerReady(late)
        self.assertEqual(late.channel.lines, [])

    def test_workerResumes(self):
        """
        A worker told the sweep runs finds a crashed upload of its
        target resumable before the sweep reached it, and no more once
        told it ended.
        """
        from ftpkit.deploy import pendingsweep

        crashed = self.path(crashedName(b"f"))
        writeLocal(crashed, b"half")
        self.assertTrue(pendingsweep.takeLine(
            pendingsweep.sweepingLine(time.time() + 10)))
        self.assertEqual(uploads.resumableSize(self.path(b"f")), 4)
        self.assertTrue(pendingsweep.takeLine(pendingsweep.SWEPT_LINE))
        self.assertFalse(uploads.sweepPending())

    def test_workerSparesNewFiles(self):
        """
        A worker leaves a temporary file made since the sweep started:
        another worker's upload, not held yet, whose tag it does not
        know.
        """
        from ftpkit.deploy import pendingsweep

        pendingsweep.takeLine(pendingsweep.sweepingLine(time.time() - 10))
        running = self.path(crashedName(b"f"))
        writeLocal(running, b"running")
        self.assertIsNone(uploads.resumableSize(self.path(b"f")))
        self.assertEqual(os.listdir(self.root), [os.path.basename(running)])

    def test_otherLines(self):
        """
        Other lines, and a malformed one, are not the sweep's.
        """
        from ftpkit.deploy import pendingsweep

        self.assertFalse(pendingsweep.takeLine(b"ping"))
        self.assertFalse(pendingsweep.takeLine(b"sweeping soon"))
        self.assertFalse(uploads.sweepPending())

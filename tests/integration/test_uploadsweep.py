"""
Tests for the sweep of L{ftpkit.shells.uploads}: what crashed processes
leave becomes resumable or goes at start, and a partial upload taken for
a resume, or found stale, while another session cuts one under its name.

The sweep beside what runs (sessions, workers) is tested in
L{tests.integration.test_uploadsweep_serving}.
"""

import os
import sys
import time
import tracemalloc

from twisted.trial import unittest

from ftpkit.errors import FileBusy
from ftpkit.shells import uploads
from ftpkit.shells.uploadlocks import holdTemporary
from tests.scratch import readLocal, writeLocal
from tests.uploadroot import UploadRoot, expire


class SweepTests(UploadRoot, unittest.TestCase):
    """
    L{uploads.sweep}: what a crashed process left.
    """

    def setUp(self):
        self.makeRoot()
        os.makedirs(self.path(b"sub"))

    def test_sweep(self):
        """
        A crashed upload's temporary file becomes its target's partial
        upload; one not naming its target, and expired ones, are removed.
        """
        crashed = os.path.join(self.path(b"sub"), uploads.temporaryName(b"f"))
        writeLocal(crashed, b"half")
        unnamed = self.path(uploads.TEMPORARY_PREFIX + b"x"
                            + uploads.TEMPORARY_SUFFIX)
        writeLocal(unnamed, b"?")
        expired = self.partial(b"old")
        writeLocal(expired, b"old")
        expire(expired)
        writeLocal(self.path(b"plain"), b"untouched")
        self.assertEqual(uploads.sweep(self.root), (1, 2))
        self.assertEqual(sorted(os.listdir(self.root)), [b"plain", b"sub"])
        self.assertEqual(
            readLocal(os.path.join(self.path(b"sub"),
                               uploads.PARTIAL_PREFIX + b"f")), b"half")

    def test_heldLeft(self):
        """
        A temporary file an upload still holds open, in any process, is
        left to it; once closed (its process gone), it is swept.
        """
        fd, running = uploads.createTemporary(self.path(b"f"))
        os.write(fd, b"half")
        try:
            self.assertEqual(uploads.sweep(self.root), (0, 0))
            self.assertEqual(sorted(os.listdir(self.root)),
                             sorted([os.path.basename(running), b"sub"]))
        finally:
            os.close(fd)
        self.assertEqual(uploads.sweep(self.root), (1, 0))
        self.assertEqual(readLocal(self.partial(b"f")), b"half")

    def test_heldAnonymousLeft(self):
        """
        Likewise for a file with no name given a temporary one (a new
        file's upload that became a partial one, or replaces a file that
        appeared meanwhile).
        """
        made = uploads.createAnonymous(self.path(b"f"))
        if made is None:
            raise unittest.SkipTest("no O_TMPFILE here")
        fd = made[0]
        try:
            os.write(fd, b"half")
            uploads.nameAnonymous(fd, self.path(b"f"))
            self.assertEqual(uploads.sweep(self.root), (0, 0))
        finally:
            for each in made:
                os.close(each)
        self.assertEqual(uploads.sweep(self.root), (1, 0))

    def test_deepTree(self):
        """
        A tree deeper than the interpreter's recursion limit (which a user
        builds by renaming chains of directories into one another) is
        swept to its bottom: C{os.walk} raised C{RecursionError} there,
        and the server did not start.
        """
        levels = [self.path(b"sub")]
        for _ in range(sys.getrecursionlimit() + 50):
            levels.append(os.path.join(levels[-1], b"d"))
            os.mkdir(levels[-1])
        self.addCleanup(_removeChain, levels[1:])
        writeLocal(os.path.join(levels[-1], uploads.temporaryName(b"f")),
               b"half")
        self.assertEqual(uploads.sweep(self.root), (1, 0))
        self.assertEqual(os.listdir(levels[-1]),
                         [uploads.PARTIAL_PREFIX + b"f"])

    def test_bigDirectoryMemory(self):
        """
        A directory of many files is swept one entry at a time: the sweep
        held every entry of a directory at once (10,000 files: about
        2 MB of Python objects at every start, which the process kept).
        """
        big = self.path(b"big")
        os.mkdir(big)
        for number in range(10000):
            os.close(os.open(os.path.join(big, b"%d" % number),
                             os.O_CREAT | os.O_WRONLY, 0o644))
        tracemalloc.start()
        self.addCleanup(tracemalloc.stop)
        uploads.sweep(self.root)
        peak = tracemalloc.get_traced_memory()[1]
        self.assertLess(peak, 256 * 1024)

    def test_deadWorkersResume(self):
        """
        With a tag (a dead worker's), a partial upload a resume took
        (its L{uploads.resumingPath}, which names no process) becomes its
        target's partial upload again once nobody holds it; one a running
        resume holds stays. It stayed taken until the server restarted:
        its user's C{SIZE} answered it after C{DELE} of the target.
        """
        left = uploads.resumingPath(self.path(b"f"))
        writeLocal(left, b"half")
        running = uploads.resumingPath(self.path(b"g"))
        writeLocal(running, b"running")
        fd = os.open(running, os.O_WRONLY)
        self.addCleanup(os.close, fd)
        self.assertTrue(holdTemporary(fd))
        self.assertEqual(
            uploads.sweep(self.root, tag=_FOREIGN_TAG), (1, 0))
        self.assertEqual(sorted(os.listdir(self.root)), sorted(
            [uploads.PARTIAL_PREFIX + b"f", os.path.basename(running),
             b"sub"]))
        self.assertEqual(readLocal(self.partial(b"f")), b"half")

    def test_oneProcessOnly(self):
        """
        With a tag, only that process's temporary files are swept (a dead
        worker's): another's running upload and old partial uploads stay.
        """
        mine = os.path.join(self.path(b"sub"), uploads.temporaryName(b"f"))
        writeLocal(mine, b"half")
        running = self.path(uploads.TEMPORARY_PREFIX + b"0123abcd-0.g"
                            + uploads.TEMPORARY_SUFFIX)
        writeLocal(running, b"running")
        expired = self.partial(b"old")
        writeLocal(expired, b"old")
        expire(expired)
        self.assertEqual(
            uploads.sweep(self.root, tag=uploads.temporaryTag()), (1, 0))
        self.assertEqual(sorted(os.listdir(self.root)), sorted(
            [os.path.basename(running), os.path.basename(expired), b"sub"]))
        self.assertEqual(os.listdir(self.path(b"sub")),
                         [uploads.PARTIAL_PREFIX + b"f"])

    def test_atStart(self):
        """
        The service sweeps the realm's root when it starts.
        """
        from ftpkit.deploy.service import SweepUploads

        writeLocal(self.path(uploads.temporaryName(b"f")), b"half")
        SweepUploads(self.root).startService()
        self.assertEqual(sorted(os.listdir(self.root)),
                         [uploads.PARTIAL_PREFIX + b"f", b"sub"])


_FOREIGN_TAG = b"0123456789abcdef"
"""The tag of a crashed process's temporary files (not this one's)."""


def crashedName(target):
    """
    @return: the name of a temporary file a crashed process left for
        C{target}.
    """
    return b"%s%s-0.%s%s" % (uploads.TEMPORARY_PREFIX, _FOREIGN_TAG, target,
                             uploads.TEMPORARY_SUFFIX)


def claimAndClose(target, now=None):
    """
    Take C{target}'s partial upload (L{uploads.claimPartial}), as a resume
    does, and close it.

    @return: the temporary path it got, or C{None}.
    """
    def opener(path):
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
        return fd, os.fstat(fd)

    claimed = uploads.claimPartial(target, opener, now)
    if claimed is None:
        return None
    os.close(claimed[0])
    return claimed[2]


class PartialRaceTests(UploadRoot, unittest.TestCase):
    """
    A partial upload found stale, or taken to be continued, while another
    session keeps a cut upload under its name, or its lifetime ends.
    """

    def setUp(self):
        self.makeRoot()

    def staleReplacedWhileLooked(self):
        """
        Make the partial upload of C{f} stale, and have it replaced by a
        new cut upload's right after the next look at it (L{keepPartial}
        in another session, between the look and the removal).
        """
        partial = self.partial(b"f")
        writeLocal(partial, b"stale")
        expire(partial)
        self.patch(os, "lstat", self.replacedAfterLook(partial))

    def replacedAfterLook(self, partial):
        """
        @param partial: the partial upload of C{f}.
        @return: an C{os.lstat} that, once it looked at C{partial}, puts
            the real one back and keeps a new cut upload of C{f} (13
            bytes, C{kept just now}) under that name, as L{keepPartial} in
            another session would.
        """
        lstat = os.lstat

        def replacedAfter(path, *args, **kwargs):
            result = lstat(path, *args, **kwargs)
            if path == partial:
                self.patch(os, "lstat", lstat)
                fresh = self.path(uploads.temporaryName(b"f"))
                writeLocal(fresh, b"kept just now")
                uploads.keepPartial(fresh, self.path(b"f"), 13)
            return result
        return replacedAfter

    def test_sweepLeavesReplaced(self):
        """
        The sweep removes an expired partial upload only if it is still
        the file it found expired: it removed the cut upload kept under
        that name meanwhile.
        """
        self.staleReplacedWhileLooked()
        self.assertEqual(uploads.sweep(self.root), (0, 0))
        self.assertEqual(readLocal(self.partial(b"f")), b"kept just now")
        self.assertEqual(os.listdir(self.root), [uploads.PARTIAL_PREFIX + b"f"])

    def test_resumeLeavesReplaced(self):
        """
        Likewise for a resume's (or C{SIZE}'s) removal of a stale one.
        """
        self.staleReplacedWhileLooked()
        self.assertIsNone(uploads.resumableSize(self.path(b"f")))
        self.assertEqual(uploads.resumableSize(self.path(b"f")), 13)
        self.assertEqual(os.listdir(self.root), [uploads.PARTIAL_PREFIX + b"f"])

    def test_staleRemoved(self):
        """
        A stale partial upload nobody replaced is removed, by the sweep
        and by a resume, and nothing of it is left.
        """
        for remove in (lambda: uploads.sweep(self.root),
                       lambda: uploads.resumableSize(self.path(b"f"))):
            writeLocal(self.partial(b"f"), b"stale")
            expire(self.partial(b"f"))
            remove()
            self.assertEqual(os.listdir(self.root), [])

    def test_crashedLeavesReplaced(self):
        """
        The sweep makes a crashed upload its target's partial upload only
        over an older one that is still there: it looked at the partial
        upload, then replaced the name, and a cut upload kept under it in
        between was lost.
        """
        partial = self.partial(b"f")
        writeLocal(partial, b"older")
        old = time.time() - 200
        os.utime(partial, (old, old))
        crashed = self.path(crashedName(b"f"))
        writeLocal(crashed, b"crashed")
        os.utime(crashed, (old + 100, old + 100))
        lstat = os.lstat
        replacedAfter = self.replacedAfterLook(partial)

        def armed(path, *args, **kwargs):
            # The crashed upload is looked at first, then its partial
            # upload.
            if path == crashed:
                self.patch(os, "lstat", replacedAfter)
            return lstat(path, *args, **kwargs)

        self.patch(os, "lstat", armed)
        uploads.sweep(self.root)
        self.assertEqual(readLocal(partial), b"kept just now")
        self.assertEqual(os.listdir(self.root), [uploads.PARTIAL_PREFIX + b"f"])

    def test_crashedOverOlder(self):
        """
        Over an older partial upload nobody replaced, or none, a crashed
        upload becomes the partial upload, and nothing else is left.
        """
        writeLocal(self.partial(b"f"), b"older")
        old = time.time() - 200
        os.utime(self.partial(b"f"), (old, old))
        writeLocal(self.path(crashedName(b"f")), b"crashed")
        writeLocal(self.path(crashedName(b"g")), b"crashed too")
        self.assertEqual(uploads.sweep(self.root), (2, 0))
        self.assertEqual(sorted(os.listdir(self.root)),
                         [uploads.PARTIAL_PREFIX + b"f",
                          uploads.PARTIAL_PREFIX + b"g"])
        self.assertEqual(readLocal(self.partial(b"f")), b"crashed")

    def test_claimLeavesReplaced(self):
        """
        A resume continues the partial upload it opened and holds: one
        kept under the name since (another session's cut upload) is not
        taken, and keeps the name; the resume is told to try again.
        """
        writeLocal(self.partial(b"f"), b"first")

        def replacedAfter(path):
            fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
            fresh = self.path(uploads.temporaryName(b"f"))
            writeLocal(fresh, b"kept just now")
            uploads.keepPartial(fresh, self.path(b"f"), 13)
            return fd, os.fstat(fd)

        self.assertRaises(FileBusy, uploads.claimPartial, self.path(b"f"),
                          replacedAfter)
        self.assertEqual(readLocal(self.partial(b"f")), b"kept just now")
        self.assertEqual(os.listdir(self.root), [uploads.PARTIAL_PREFIX + b"f"])

    def test_takenPastLifetime(self):
        """
        A partial upload whose C{REST} was checked just before its
        lifetime ended is taken by the upload that continues it just
        after: it was removed, and the upload wrote the target in place
        from the offset checked against the partial upload.
        """
        partial = self.partial(b"f")
        writeLocal(partial, b"half")
        made = os.lstat(partial).st_mtime
        checked = made + uploads.PARTIAL_LIFETIME - 1
        self.assertEqual(
            uploads.resumableSize(self.path(b"f"), now=checked), 4)
        claimed = claimAndClose(self.path(b"f"), now=checked + 2)
        self.assertEqual(readLocal(claimed), b"half")
        writeLocal(partial, b"again")
        os.utime(partial, (made, made))
        self.assertIsNone(claimAndClose(
            self.path(b"f"),
            now=made + uploads.PARTIAL_LIFETIME + uploads.TAKE_GRACE + 1))


def _removeChain(levels):
    """
    Remove a chain of directories, each inside the one before it, with
    the files in the last, from the bottom up (C{shutil.rmtree} recurses
    once per level too).

    @param levels: the directories' paths, top first.
    """
    for name in os.listdir(levels[-1]):
        os.unlink(os.path.join(levels[-1], name))
    for level in reversed(levels):
        os.rmdir(level)

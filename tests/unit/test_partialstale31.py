"""
L{ftpkit.shells.partials}: whether a partial upload of the disk realm is
stale, told by the version of its target it records (L{recordTarget})
rather than by times alone: a cut upload kept in the same tick of the
file system's clock as an upload of its target that completed after it
looked newer than that file (its time is this machine's clock, finer),
so its user's C{SIZE} answered it, not the complete file's size.
"""

import os
import time

from twisted.trial import unittest

from ftpkit.shells import partials, uploads
from tests.scratch import scratchDirectory, writeLocal


class RecordedTargetTests(unittest.TestCase):
    """
    A cut upload kept by L{partials.keepPartial}, its time set ahead of
    the file system's, as in the same tick.
    """

    def setUp(self):
        self.root = os.fsencode(scratchDirectory(self))
        self.target = os.path.join(self.root, b"f")
        probe = os.path.join(self.root, b"probe")
        writeLocal(probe, b"")
        try:
            os.setxattr(probe, b"user.ftpkit.probe", b"-")
        except OSError:
            raise unittest.SkipTest("no user extended attributes here")
        os.remove(probe)

    def keep(self, targetWas):
        """
        Keep a cut upload of 5 bytes of C{f}, then set its time a second
        ahead.

        @param targetWas: C{f}'s version when its upload began.
        """
        temporary = os.path.join(self.root, uploads.temporaryName(b"f"))
        writeLocal(temporary, b"half!")
        fd = os.open(temporary, os.O_WRONLY)
        try:
            partials.keepPartial(temporary, self.target, 5, fd=fd,
                                 resumer="alice", targetWas=targetWas)
        finally:
            os.close(fd)
        ahead = time.time() + 1
        os.utime(uploads.partialPath(self.target), (ahead, ahead))

    def test_newFileCompletedAfter(self):
        """
        The cut upload of a new name, then a complete upload of it: the
        cut upload is stale (removed), though its time is ahead.
        """
        self.keep(None)
        writeLocal(self.target, b"the whole file")
        self.assertIsNone(partials.resumableSize(
            self.target, resumer="alice"))
        self.assertFalse(os.path.exists(uploads.partialPath(self.target)))

    def test_fileReplacedAfter(self):
        """
        The cut upload replacing a file, then another upload of the file
        completed: stale.
        """
        writeLocal(self.target, b"old")
        self.keep(partials.targetVersion(self.target))
        os.remove(self.target)
        writeLocal(self.target, b"the whole file")
        self.assertIsNone(partials.resumableSize(
            self.target, resumer="alice"))

    def test_fileUnchanged(self):
        """
        The file the cut upload was to replace is as it was: the cut
        upload is resumable, whatever the times say (its C{st_ctime} is
        later here).
        """
        writeLocal(self.target, b"old")
        self.keep(partials.targetVersion(self.target))
        os.chmod(self.target, 0o644)
        past = time.time() - 10
        os.utime(uploads.partialPath(self.target), (past, past))
        self.assertEqual(partials.resumableSize(
            self.target, resumer="alice"), 5)

"""
Tests for the hold of an upload's temporary file
(L{ftpkit.shells.uploadnames.createTemporary}) against a sweep in another
process serving the same root (L{ftpkit.shells.uploads.sweep}): from the
moment the file is made until it is renamed onto its target, whatever
that sweep does at any instant, the upload keeps it.
"""

import fcntl
import os

from twisted.internet.defer import inlineCallbacks
from twisted.python.filepath import FilePath
from twisted.trial import unittest

from ftpkit.shells import partialsweep, uploadlocks, uploadnames, uploads
from ftpkit.shells.diskwriter import FileWriter
from ftpkit.shells.filesystem import FilesystemShell
from tests.scratch import scratchDirectory


class TemporaryHoldTests(unittest.TestCase):
    """
    L{uploads.createTemporary} returns a file it holds and that still has
    its name, whatever a sweep did as it was made.
    """

    def setUp(self):
        self.root = os.fsencode(scratchDirectory(self))
        self.target = os.path.join(self.root, b"f")

    def create(self):
        """
        @return: C{(fd, path)}, a temporary file for C{f}, closed with the
            test.
        """
        fd, path = uploads.createTemporary(self.target)
        self.addCleanup(os.close, fd)
        return fd, path

    def whileMaking(self, action):
        """
        Run C{action} once, right after the next temporary file is made
        and before anything else is done with it (where a sweep in another
        process may come).

        @param action: called with the file's path.
        """
        real = uploadnames.openWithoutLinks

        def opening(path, flags, *args):
            fd = real(path, flags, *args)
            if flags & os.O_CREAT and not done:
                done.append(True)
                action(path)
            return fd

        done = []
        self.patch(uploadnames, "openWithoutLinks", opening)

    def assertHeld(self, fd, path):
        """
        Check that C{path} names the file open as C{fd}, and that a sweep
        leaves it.
        """
        uploads.sweep(self.root)
        here, there = os.fstat(fd), os.lstat(path)
        self.assertEqual((there.st_ino, there.st_dev),
                         (here.st_ino, here.st_dev))

    def test_sweptWhileMade(self):
        """
        A sweep between the making of the file and its hold does not leave
        the upload writing a file that is the target's partial upload
        now (it failed with C{550} once complete, its bytes left as a
        partial upload).
        """
        self.whileMaking(lambda path: uploads.sweep(self.root))
        self.assertHeld(*self.create())

    def test_lookedAtWhileMade(self):
        """
        A sweep holding the file for a moment (to see whether an upload
        holds it) as it is made does not leave the upload's file unheld
        for the whole upload (a later sweep took it).
        """
        looks = []

        def look(path):
            fd = os.open(path, os.O_WRONLY)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            looks.append(fd)

        self.whileMaking(look)
        try:
            fd, path = self.create()
        finally:
            for each in looks:
                os.close(each)
        self.assertEqual(len(looks), 1)
        self.assertHeld(fd, path)

    def test_heldWhileSwept(self):
        """
        A sweep holds the file it takes until it took it: an upload's hold
        asked meanwhile (its file made just before the sweep looked) is
        refused. The sweep looked, then took the file: an upload that held
        it in between was told it had it, and failed with C{550} once
        complete.
        """
        path = os.path.join(self.root, uploads.temporaryName(b"f"))
        FilePath(path).setContent(b"x")
        holds = []
        real = partialsweep._becomesPartial

        def taking(*args):
            mine = os.open(path, os.O_WRONLY)
            self.addCleanup(os.close, mine)
            holds.append(uploadlocks.holdNamed(mine, path))
            return real(*args)

        self.patch(partialsweep, "_becomesPartial", taking)
        self.assertEqual(uploads.sweep(self.root), (1, 0))
        self.assertEqual(holds, [False])

    def test_olderPartialKept(self):
        """
        A sweep that takes a file as it is made (empty: nothing received)
        removes it, and leaves the target's partial upload: made a partial
        upload, the newer empty file replaced the client's bytes kept for
        a resume.
        """
        partial = uploads.partialPath(self.target)
        FilePath(partial).setContent(b"half")
        os.utime(partial, (0, os.stat(partial).st_mtime - 10))
        self.whileMaking(lambda path: uploads.sweep(self.root))
        self.create()
        self.assertEqual(FilePath(partial).getContent(), b"half")


class CommitHoldTests(unittest.TestCase):
    """
    An upload replacing a file holds its temporary file until it is
    renamed onto the target.
    """

    def setUp(self):
        self.root = os.fsencode(scratchDirectory(self))
        self.shell = FilesystemShell(self.root)
        FilePath(os.path.join(self.root, b"f")).setContent(b"old")

    @inlineCallbacks
    def test_sweptAtCommit(self):
        """
        A sweep just before the rename at the commit leaves the file to
        the upload: closed first, it was nobody's for that moment, the
        sweep made it the target's partial upload, and the upload failed
        with C{550} (L{ftpkit.errors.NoSuchFile}).
        """
        real = FileWriter._place

        def placing(writer):
            uploads.sweep(self.root)
            return real(writer)

        self.patch(FileWriter, "_place", placing)
        opened = yield self.shell.openForWriting(("f",))
        consumer = yield opened.receive()
        consumer.write(b"new bytes")
        yield consumer.drain()
        yield opened.close()
        self.assertEqual(sorted(os.listdir(self.root)), [b"f"])
        self.assertEqual(FilePath(os.path.join(self.root, b"f")).getContent(),
                         b"new bytes")

    @inlineCallbacks
    def test_sweptAtAbort(self):
        """
        A cut upload holds its temporary file until it is the target's
        partial upload: a sweep starting in another process just before
        the rename leaves it to the upload. Closed first, it was nobody's
        for that moment, and the sweep made it the partial upload itself.
        """
        real = uploads.keepPartial
        swept = []

        def keeping(*args, **kwargs):
            swept.append(uploads.sweep(self.root))
            return real(*args, **kwargs)

        self.patch(uploads, "keepPartial", keeping)
        opened = yield self.shell.openForWriting(("f",))
        consumer = yield opened.receive()
        consumer.write(b"new bytes")
        yield consumer.drain()
        yield opened.abort()
        self.assertEqual(swept, [(0, 0)])
        partial = uploads.partialPath(os.path.join(self.root, b"f"))
        self.assertEqual(FilePath(partial).getContent(), b"new bytes")
        self.assertEqual(FilePath(os.path.join(self.root, b"f")).getContent(),
                         b"old")

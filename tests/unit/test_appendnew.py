"""
Tests for L{ftpkit.shells.appendnew}: an C{APPE} of a new name on the
disk leaves no file when cut before any byte arrived, or dropped whole,
and keeps what it received otherwise; a file that was there stays.
"""

import os

from twisted.internet.defer import inlineCallbacks
from twisted.trial import unittest

from ftpkit.fileinfo import StorageChange
from ftpkit.shells.appendnew import NewAppendWriter, openAppended
from ftpkit.shells.diskpaths import openRegular
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.shortcalls import ShortCalls
from tests.scratch import readLocal, scratchRoot, writeLocal


class OpenAppendedTests(unittest.TestCase):
    """
    L{openAppended} tells whether it made the file.
    """

    def test_madeOrFound(self):
        """
        A missing file is made (C{created}); one there is opened as it is.
        """
        root = scratchRoot(self)
        target = os.path.join(root, b"f")
        fd, result, created = openAppended(openRegular, target)
        os.close(fd)
        self.assertEqual((result.st_size, created), (0, True))
        writeLocal(target, b"abc")
        fd, result, created = openAppended(openRegular, target)
        os.close(fd)
        self.assertEqual((result.st_size, created), (3, False))


class AbortedAppendTests(unittest.TestCase):
    """
    L{FilesystemShell}'s C{APPE} (C{openForWriting(..., append=True)})
    cut or dropped, with its end run in a disk thread and at once.
    """

    def setUp(self):
        self.root = scratchRoot(self)
        self.shells = [FilesystemShell(self.root), FilesystemShell(
            self.root, shortCalls=ShortCalls(
                self.root, mounts=lambda: [(b"/", "ext4")]))]

    def names(self):
        """
        @return: the names in the root, sorted.
        """
        return sorted(os.listdir(self.root))

    @inlineCallbacks
    def appended(self, shell, data, end):
        """
        Append C{data} to C{new} then end the upload.

        @param end: C{"abort"} or C{"discard"}.
        @return: a Deferred firing with the file's writer.
        """
        opened = yield shell.openForWriting(("new",), append=True)
        consumer = yield opened.receive()
        if data:
            consumer.write(data)
        yield getattr(opened, end)()
        return opened

    @inlineCallbacks
    def test_cutBeforeAnyByte(self):
        """
        Cut before any byte came, the file its open made is gone, its
        entry told gone (L{ftpkit.interfaces.IAccountedWriteFile}: a file
        written in place counts as there before).
        """
        for shell in self.shells:
            opened = yield self.appended(shell, b"", "abort")
            self.assertIsInstance(opened, NewAppendWriter)
            self.assertEqual(self.names(), [])
            self.assertEqual(opened.leftBehind(), StorageChange(0, -1))

    @inlineCallbacks
    def test_cutAfterBytes(self):
        """
        Cut once bytes came, the file keeps them (a resume goes on).
        """
        for shell in self.shells:
            yield self.appended(shell, b"abc", "abort")
            self.assertEqual(readLocal(os.path.join(self.root, b"new")),
                             b"abc")
            os.unlink(os.path.join(self.root, b"new"))

    @inlineCallbacks
    def test_discarded(self):
        """
        Dropped whole (refused for its size), its bytes and the file go.
        """
        for shell in self.shells:
            yield self.appended(shell, b"abc", "discard")
            self.assertEqual(self.names(), [])

    @inlineCallbacks
    def test_completeEmpty(self):
        """
        Complete with no byte, the file made stays: an empty upload.
        """
        opened = yield self.shells[0].openForWriting(("new",), append=True)
        yield opened.close()
        self.assertEqual(readLocal(os.path.join(self.root, b"new")), b"")

    @inlineCallbacks
    def test_fileThere(self):
        """
        A file there before the C{APPE} stays, empty or not, whatever the
        upload's end.
        """
        for content in (b"", b"old"):
            writeLocal(os.path.join(self.root, b"new"), content)
            for end in ("abort", "discard"):
                yield self.appended(self.shells[0], b"", end)
                self.assertEqual(
                    readLocal(os.path.join(self.root, b"new")), content)

    @inlineCallbacks
    def test_replacedMeanwhile(self):
        """
        A file put at the name while the upload ran (a C{STOR} committed)
        is not the upload's to remove.
        """
        opened = yield self.shells[0].openForWriting(("new",), append=True)
        writeLocal(os.path.join(self.root, b"other"), b"stored")
        os.rename(os.path.join(self.root, b"other"),
                  os.path.join(self.root, b"new"))
        yield opened.abort()
        self.assertEqual(readLocal(os.path.join(self.root, b"new")),
                         b"stored")

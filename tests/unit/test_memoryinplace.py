"""
Tests for L{ftpkit.shells.memoryfiles.MemoryInPlaceWriteFile}: an upload
that L{ftpkit.shells.memory.MemoryShell} writes in place (an append, a
resume), cut (C{abort}), keeps what it received where it wrote it, as a
file written in place on the disk does; dropped whole (C{discard}), it
leaves the file as it was, at its length before the upload, as the disk
leaves it.
"""

from twisted.trial import unittest

from ftpkit.errors import QuotaExceeded
from ftpkit.interfaces import IDiscardableWriteFile, IPartialWriteFile
from ftpkit.shells.adapters import writeFileFor
from ftpkit.shells.keptnames import isPlacing
from ftpkit.shells.keptrunning import RunningUploads
from ftpkit.shells.keptuploads import KeptUploadsShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.testing import readFile, writeFile


class CutInPlaceTests(unittest.TestCase):
    """
    C{abort} and C{discard} of an upload written in place.
    """

    def opened(self, shell, data, offset=0, append=False):
        """
        @param shell: a L{MemoryShell} holding C{f}.
        @param data: the bytes the upload of C{f} receives.
        @param offset: where it starts.
        @param append: whether it is appended.
        @return: the upload, C{data} written.
        """
        upload = self.successResultOf(
            shell.openForWriting(("f",), offset, append))
        if data:
            self.successResultOf(upload.writeAt(0, data))
        return upload

    def contentOf(self, shell):
        """
        @param shell: a L{MemoryShell} holding C{f}.
        @return: C{f}'s bytes.
        """
        return self.successResultOf(readFile(shell, ("f",)))

    def test_appendCutKept(self):
        """
        A cut append keeps what it received after the file's bytes, and
        the shell holds them once (it kept nothing: a resume from
        C{SIZE} sent them again).
        """
        shell = MemoryShell({"/f": b"old"}, maxBytes=100)
        upload = self.opened(shell, b"new", append=True)
        self.assertIsNone(self.successResultOf(upload.abort()))
        self.assertEqual(self.contentOf(shell), b"oldnew")
        self.assertEqual(shell.bytesHeld, 6)

    def test_resumeCutKeepsWhatFollows(self):
        """
        A cut resume inside the file writes over the bytes it reached and
        leaves those after them, as a file written in place on the disk
        does; complete, it ends the file at its last byte.
        """
        shell = MemoryShell({"/f": b"0123456789"})
        self.successResultOf(self.opened(shell, b"ab", offset=2).abort())
        self.assertEqual(self.contentOf(shell), b"01ab456789")
        self.successResultOf(self.opened(shell, b"cd", offset=4).close())
        self.assertEqual(self.contentOf(shell), b"01abcd")

    def test_cutOfNothingChangesNothing(self):
        """
        A cut resume or append that received nothing leaves the file as
        it was, its time too (an upload cut before its first byte, one
        opened for a command aborted meanwhile).
        """
        shell = MemoryShell({"/f": b"0123456789"})
        before = self.successResultOf(shell.stat(("f",)))
        for offset, append in ((2, False), (0, True)):
            self.successResultOf(self.opened(shell, b"", offset,
                                             append).abort())
        self.assertEqual(self.contentOf(shell), b"0123456789")
        self.assertEqual(self.successResultOf(shell.stat(("f",))), before)

    def test_cutOfReplacedFileKeepsNothing(self):
        """
        A cut append whose file another upload replaced meanwhile keeps
        nothing (it would add its bytes to a file it never continued);
        its abort succeeds.
        """
        shell = MemoryShell({"/f": b"old"})
        upload = self.opened(shell, b"new", append=True)
        self.successResultOf(writeFile(shell, ("f",), b"other"))
        self.assertIsNone(self.successResultOf(upload.abort()))
        self.assertEqual(self.contentOf(shell), b"other")
        self.assertEqual(shell.bytesHeld, 5)

    def test_cutWithoutRoomKeepsNothing(self):
        """
        A cut append that no longer fits (a download holds the old file's
        bytes, which the new file would not free) keeps nothing; its abort
        succeeds, and the bytes it received are no longer held.
        """
        shell = MemoryShell({"/f": b"x" * 6}, maxBytes=10)
        reading = self.successResultOf(shell.openForReading(("f",)))
        self.addCleanup(reading.close)
        upload = self.opened(shell, b"yyy", append=True)
        self.assertEqual(shell.bytesHeld, 9)
        self.assertIsNone(self.successResultOf(upload.abort()))
        self.assertEqual(self.contentOf(shell), b"x" * 6)
        self.assertEqual(shell.bytesHeld, 6)

    def test_cutResumeWithoutRoomKeepsNothing(self):
        """
        A cut resume inside the file needs room for the whole file it
        leaves (its bytes past the last one the resume wrote stay), not
        only up to that byte: with a download holding the old file, no
        room for it keeps nothing.
        """
        shell = MemoryShell({"/f": b"012345"}, maxBytes=10)
        reading = self.successResultOf(shell.openForReading(("f",)))
        self.addCleanup(reading.close)
        upload = self.opened(shell, b"ab", offset=2)
        self.assertIsNone(self.successResultOf(upload.abort()))
        self.assertEqual(self.contentOf(shell), b"012345")
        self.assertEqual(shell.bytesHeld, 6)

    def test_refusedThenCutKeepsNothing(self):
        """
        An append refused for the shell's bound (C{552}), then aborted as
        the server's adapter aborts an upload whose write failed, keeps
        nothing.
        """
        shell = MemoryShell({"/f": b"x" * 6}, maxBytes=10)
        upload = self.opened(shell, b"yy", append=True)
        self.failureResultOf(upload.writeAt(2, b"z" * 3), QuotaExceeded)
        self.successResultOf(upload.abort())
        self.assertEqual(self.contentOf(shell), b"x" * 6)
        self.assertEqual(shell.bytesHeld, 6)

    def test_discard(self):
        """
        An upload written in place can be dropped whole
        (L{IDiscardableWriteFile}, which the server's adapter turns into
        L{IPartialWriteFile}, for an upload refused for its size): the
        file stays as it was. An upload that replaces the file, kept by
        no C{abort}, cannot.
        """
        shell = MemoryShell({"/f": b"old"}, maxBytes=100)
        upload = self.opened(shell, b"new", append=True)
        self.assertTrue(IPartialWriteFile.providedBy(writeFileFor(upload)))
        self.successResultOf(upload.discard())
        self.assertEqual(self.contentOf(shell), b"old")
        self.assertEqual(shell.bytesHeld, 3)
        replacing = self.opened(shell, b"new")
        self.assertFalse(IDiscardableWriteFile.providedBy(replacing))
        self.successResultOf(replacing.abort())
        self.assertEqual(self.contentOf(shell), b"old")

    def test_discardResume(self):
        """
        A resume dropped whole leaves the file as it was, at its length
        before, as the disk leaves a file written in place (it was cut
        back to its offset, the bytes past it lost); one whose file was
        replaced meanwhile leaves the new file as it is.
        """
        shell = MemoryShell({"/f": b"oldold"}, maxBytes=100)
        upload = self.opened(shell, b"new", offset=2)
        self.successResultOf(upload.discard())
        self.assertEqual(self.contentOf(shell), b"oldold")
        self.assertEqual(shell.bytesHeld, 6)
        upload = self.opened(shell, b"new", offset=1)
        self.successResultOf(writeFile(shell, ("f",), b"other"))
        self.successResultOf(upload.discard())
        self.assertEqual(self.contentOf(shell), b"other")
        self.assertEqual(shell.bytesHeld, 5)


class RoomFreedTests(unittest.TestCase):
    """
    The bytes an upload's commit frees count as room while it runs, as
    the disk's quotas count them (L{ftpkit.shells.memorytree.Budget.fits}).
    """

    def test_resumeFits(self):
        """
        A resume whose result fits is stored, though the old file and
        the bytes it received would not fit side by side.
        """
        shell = MemoryShell({"/f": b"x" * 6}, maxBytes=10)
        upload = self.successResultOf(shell.openForWriting(("f",), 1))
        self.successResultOf(upload.writeAt(0, b"y" * 9))
        self.successResultOf(upload.close())
        self.assertEqual(self.successResultOf(readFile(shell, ("f",))),
                         b"x" + b"y" * 9)
        self.assertEqual(shell.bytesHeld, 10)

    def test_replaceFits(self):
        """
        An upload replacing a file is stored where the new file fits.
        """
        shell = MemoryShell({"/f": b"x" * 6}, maxBytes=10)
        self.successResultOf(writeFile(shell, ("f",), b"y" * 10))
        self.assertEqual(shell.bytesHeld, 10)

    def test_readFileFreesNothing(self):
        """
        A file a download reads stays held once replaced: its bytes are
        no room for the upload replacing it. Dropped, that upload leaves
        the file as it was, held once.
        """
        shell = MemoryShell({"/f": b"x" * 6}, maxBytes=10)
        reading = self.successResultOf(shell.openForReading(("f",)))
        self.addCleanup(reading.close)
        upload = self.successResultOf(shell.openForWriting(("f",), 1))
        self.failureResultOf(upload.writeAt(0, b"y" * 5), QuotaExceeded)
        self.successResultOf(upload.discard())
        self.assertEqual(shell.bytesHeld, 6)

    def test_placedUploadFits(self):
        """
        An upload written under a hidden name and renamed over its
        target once complete (L{KeptUploadsShell}, as the memory realm
        wires it) has the target's bytes as room: the target it will
        replace is known while it runs (L{RunningUploads.targetOf}).
        """
        running = RunningUploads()
        shell = MemoryShell({"/f": b"x" * 6}, maxBytes=10,
                            onTheirWay=isPlacing, targetOf=running.targetOf)
        kept = KeptUploadsShell(shell, running=running)
        upload = self.successResultOf(kept.openForWriting(("f",)))
        self.successResultOf(upload.writeAt(0, b"y" * 10))
        self.successResultOf(upload.close())
        self.assertEqual(self.successResultOf(readFile(shell, ("f",))),
                         b"y" * 10)
        self.assertEqual(shell.bytesHeld, 10)

    def test_targetOf(self):
        """
        L{RunningUploads.targetOf} tells the target of a hidden file
        while its upload runs, and nothing once it ended.
        """
        running = RunningUploads()
        release = running.hold(("d", "f"), hidden=("d", ".h"))
        self.assertEqual(running.targetOf(("d", ".h")), ("d", "f"))
        self.assertIsNone(running.targetOf(("d", "f")))
        release()
        self.assertIsNone(running.targetOf(("d", ".h")))

"""
The conformance tests of a cut upload's resume: what a client resuming
from C{SIZE} (curl's C{-C - -T}, lftp's C{put -c}) gets must be the new
file whole, or a refusal, never the old file's start and the new file's
rest. A shell that keeps cut uploads (L{IFTPShellResume}) is tested
itself; any other, under L{ftpkit.shells.keptuploads.KeptUploadsShell},
the wrapper a realm puts around a shell of the simple contract so that
its cut uploads are kept.
"""

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import SkipTest

from ftpkit.conformance.helpers import readFile, writeFile, writesWholeFiles
from ftpkit.conformance.kit import ShellKit
from ftpkit.errors import CommandNotImplemented, FTPError
from ftpkit.interfaces import IFTPShellResume
from ftpkit.shells.adapters import writeFileFor

OLD = b"old"
"""What the file holds before the cut upload."""

NEW = b"brand new content"
"""What the cut upload, then its resume, send: longer than L{OLD}, so that
a resume from the old file's size leaves neither file."""

CUT = 5
"""The bytes of L{NEW} the cut upload sends."""


class ResumeTests(ShellKit):
    """
    A cut upload resumed as clients resume one, on the shell under test
    (C{self.shell}, from C{makeShell}) or, where it keeps no cut upload,
    under L{ftpkit.shells.keptuploads.KeptUploadsShell}.
    """

    @inlineCallbacks
    def cutThenResume(self, shell):
        """
        Upload L{NEW} over L{OLD} and cut it after L{CUT} bytes, then
        resume it as the server does for a client resuming from C{SIZE}:
        from C{resumableSize}, else from the file's size.

        @param shell: the shell to upload through.
        @return: a Deferred firing with C{(the size resumed from, the
            refusal of the resume or C{None})}.
        """
        yield writeFile(shell, ("f",), OLD)
        opened = writeFileFor((yield shell.openForWriting(("f",))))
        consumer = yield opened.receive()
        consumer.write(NEW[:CUT])
        yield opened.abort()
        yield self.settle()
        self.assertEqual((yield readFile(shell, ("f",))), OLD)
        kept = yield shell.resumableSize(("f",))
        if kept is None:
            kept = (yield shell.stat(("f",))).size
        try:
            yield writeFile(shell, ("f",), NEW[kept:], offset=kept)
        except FTPError as refusal:
            return kept, refusal
        return kept, None

    @inlineCallbacks
    def test_cutUploadResumedWhole(self):
        """
        A shell that provides L{IFTPShellResume}: a cut upload resumed
        from what C{resumableSize} (else C{stat}) tells ends as the new
        file, or its resume is refused and the old file stays.
        """
        if not IFTPShellResume.providedBy(self.shell):
            raise SkipTest("The shell does not provide IFTPShellResume"
                           " (test_keptUploads runs it under"
                           " KeptUploadsShell)")
        _, refusal = yield self.cutThenResume(self.shell)
        expected = OLD if refusal is not None else NEW
        self.assertEqual((yield readFile(self.shell, ("f",))), expected)

    @inlineCallbacks
    def test_keptUploads(self):
        """
        A shell that does not provide L{IFTPShellResume} and resumes
        uploads at an offset (neither says it cannot,
        L{ftpkit.interfaces.IFTPShellUploadOffsets}, nor refuses one with
        L{CommandNotImplemented}), under
        L{ftpkit.shells.keptuploads.KeptUploadsShell} for one user: a cut
        upload is kept (C{resumableSize} tells at most what it sent),
        resumed from there it ends as the new file, and the hidden files
        that took are never listed, and gone once it is in place.
        """
        from ftpkit.shells.keptuploads import KeptUploadsShell

        if IFTPShellResume.providedBy(self.shell):
            raise SkipTest("The shell provides IFTPShellResume itself")
        if writesWholeFiles(self.shell):
            raise SkipTest("The shell's uploads do not write at offsets"
                           " (test_wholeFilesOnly)")
        yield writeFile(self.shell, ("probe",), b"ab")
        try:
            yield writeFile(self.shell, ("probe",), b"c", offset=1)
        except CommandNotImplemented:
            raise SkipTest("The shell does not resume uploads") from None
        yield self.shell.removeFile(("probe",))
        kept = KeptUploadsShell(self.shell).forResumer("alice")
        resumed, refusal = yield self.cutThenResume(kept)
        self.assertIsNone(refusal)
        self.assertLessEqual(resumed, CUT)
        self.assertEqual((yield readFile(kept, ("f",))), NEW)
        self.assertEqual([name for name, _ in (yield self.shell.list(()))],
                         ["f"])

    @inlineCallbacks
    def test_wholeFilesOnly(self):
        """
        A shell that says its uploads cannot write at an offset
        (L{IFTPShellUploadOffsets}, C{writesAtOffsets} false) refuses each
        one, resuming or appending, with L{CommandNotImplemented} (whose
        text says why), and the file stays as it was; the server never
        asks it such an upload, but a shell of its own may.
        """
        if not writesWholeFiles(self.shell):
            raise SkipTest("The shell's uploads write at offsets, or it"
                           " does not say (IFTPShellUploadOffsets)")
        yield writeFile(self.shell, ("f",), b"hello")
        for offset, append in ((2, False), (5, False), (0, True)):
            yield self.assertFailure(
                self.shell.openForWriting(("f",), offset, append),
                CommandNotImplemented)
        yield self.assertFailure(
            self.shell.openForWriting(("new",), 0, True),
            CommandNotImplemented)
        self.assertEqual((yield readFile(self.shell, ("f",))), b"hello")

"""
Tests for L{ftpkit.shells.keptuploads}: cut uploads kept for a resume on
a shell of the simple contract (a L{MemoryShell} here, on a clock of the
test's).
"""

from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.errors import (
    DirectoryNotEmpty,
    FileBusy,
    InvalidPath,
    NoSuchFile,
    QuotaExceeded,
    RestPastEnd,
)
from ftpkit.interfaces import IFTPShellResume, IFTPShellResumeOwners
from ftpkit.shells import keptnames
from ftpkit.shells.keptrunning import RunningUploads
from ftpkit.shells.keptuploads import KeptUploadsShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.uploadlocks import FILE_UPLOADING
from ftpkit.shells.uploads import PARTIAL_LIFETIME, TAKE_GRACE
from ftpkit.shells.wrappers import HideDotfilesShell
from ftpkit.testing import IFTPShellConformanceMixin

OLD = b"old file"
"""What C{f} holds at first."""


class KeptUploadsConformanceTests(IFTPShellConformanceMixin,
                                  unittest.TestCase):
    """
    L{KeptUploadsShell} around a L{MemoryShell} passes the shell
    conformance tests, those of L{IFTPShellResume} and
    L{IFTPShellResumeOwners} included.
    """

    def makeShell(self):
        """
        @return: an empty L{MemoryShell}, wrapped.
        """
        return KeptUploadsShell(MemoryShell())


class KeptUploadsTests(unittest.TestCase):
    """
    What alice's cut uploads leave, and what her resumes and others'
    commands make of them.
    """

    def setUp(self):
        self.clock = Clock()
        self.clock.advance(1000)
        self.raw = MemoryShell({"/f": OLD, "/d/g": OLD}, clock=self.clock)
        self.shell = KeptUploadsShell(self.raw, clock=self.clock)
        self.alice = self.shell.forResumer("alice")
        self.bob = self.shell.forResumer("bob")

    def open(self, shell, path=("f",), offset=0, append=False):
        """
        @return: C{shell}'s upload of C{path}, opened.
        """
        return self.successResultOf(shell.openForWriting(path, offset,
                                                         append))

    def cut(self, shell, data, path=("f",), offset=0, append=False):
        """
        Upload C{data} and cut the upload.
        """
        opened = self.open(shell, path, offset, append)
        if data:
            self.successResultOf(opened.writeAt(0, data))
        self.successResultOf(opened.abort())

    def upload(self, shell, data, path=("f",), offset=0, append=False):
        """
        Upload C{data} whole.
        """
        opened = self.open(shell, path, offset, append)
        if data:
            self.successResultOf(opened.writeAt(0, data))
        self.successResultOf(opened.close())

    def read(self, path=("f",)):
        """
        @return: the bytes of C{path}.
        """
        opened = self.successResultOf(self.raw.openForReading(path))
        try:
            return self.successResultOf(opened.readAt(0, opened.size + 1))
        finally:
            opened.close()

    def stored(self, path=()):
        """
        @return: the names in the directory C{path} of the wrapped shell,
            hidden ones too.
        """
        return self.successResultOf(self.raw.listNames(path))

    def kept(self, shell, path=("f",)):
        """
        @return: what C{shell}'s C{resumableSize} tells of C{path}.
        """
        return self.successResultOf(shell.resumableSize(path))

    def test_provides(self):
        """
        The wrapper, and its copy for a resumer, keep cut uploads for
        their resumers, and provide what the wrapped shell provides.
        """
        for shell in (self.shell, self.alice):
            self.assertTrue(IFTPShellResume.providedBy(shell))
            self.assertTrue(IFTPShellResumeOwners.providedBy(shell))
        self.assertIs(self.alice.wrapped, self.raw)

    def test_cutKeptThenResumed(self):
        """
        A cut upload leaves the old file as it was and is kept, hidden,
        for its resumer, whose C{REST} + C{STOR} from there completes the
        new file; nothing hidden is left.
        """
        self.cut(self.alice, b"brand")
        self.assertEqual(self.read(), OLD)
        self.assertEqual(self.kept(self.alice), 5)
        self.assertEqual(len(self.stored()), 3)
        self.assertEqual(
            [name for name, _ in self.successResultOf(self.alice.list(()))],
            ["d", "f"])
        self.upload(self.alice, b" new", offset=5)
        self.assertEqual(self.read(), b"brand new")
        self.assertEqual(self.stored(), ["d", "f"])
        self.assertIsNone(self.kept(self.alice))

    def test_appended(self):
        """
        C{APPE} continues the partial upload at its end (curl's
        C{-C - -T}).
        """
        self.cut(self.alice, b"brand")
        self.upload(self.alice, b" new", append=True)
        self.assertEqual(self.read(), b"brand new")
        self.assertEqual(self.stored(), ["d", "f"])

    def test_resumedFromBefore(self):
        """
        A resume from before the partial upload's end drops what lay past
        its offset.
        """
        self.cut(self.alice, b"brand")
        self.upload(self.alice, b"y", offset=2)
        self.assertEqual(self.read(), b"bry")

    def test_othersSeeTheFile(self):
        """
        Bob does not see alice's partial upload: his C{REST} + C{STOR}
        writes the file in place, which her partial upload then no longer
        matches: it is dropped, as on the disk realm, and her C{SIZE}
        answers the file's (her partial upload was kept, and her resume
        replaced bob's file, before session 32).
        """
        self.cut(self.alice, b"brand")
        self.assertIsNone(self.kept(self.bob))
        self.upload(self.bob, b"!", offset=len(OLD))
        self.assertEqual(self.read(), OLD + b"!")
        self.assertIsNone(self.kept(self.alice))
        self.assertEqual(self.stored(), ["d", "f"])

    def test_cutAgain(self):
        """
        A resume cut again is kept again, with what it added.
        """
        self.cut(self.alice, b"brand")
        self.cut(self.alice, b" ne", offset=5)
        self.assertEqual(self.kept(self.alice), 8)
        self.upload(self.alice, b"w", offset=8)
        self.assertEqual(self.read(), b"brand new")

    def test_emptyCut(self):
        """
        A cut upload that received nothing keeps an empty partial upload
        when it was to replace a file (its resumer's C{SIZE} answers 0,
        not the old file's size), and nothing when it was to make one.
        """
        self.cut(self.alice, b"")
        self.assertEqual(self.kept(self.alice), 0)
        self.cut(self.alice, b"", path=("new",))
        self.assertIsNone(self.kept(self.alice, ("new",)))
        self.assertEqual(len(self.stored()), 3)

    def test_targetReplacedMeanwhile(self):
        """
        A cut upload whose target another upload replaced meanwhile keeps
        nothing (lftp starts a stalled upload again on a new connection).
        """
        opened = self.open(self.alice)
        self.successResultOf(opened.writeAt(0, b"brand"))
        self.clock.advance(1)
        self.upload(self.alice, b"brand new")
        self.successResultOf(opened.abort())
        self.assertIsNone(self.kept(self.alice))
        self.assertEqual(self.stored(), ["d", "f"])

    def test_startedOver(self):
        """
        A new upload (C{STOR} without C{REST}) that completes drops its
        resumer's partial upload.
        """
        self.cut(self.alice, b"brand")
        self.upload(self.alice, b"another")
        self.assertEqual(self.read(), b"another")
        self.assertIsNone(self.kept(self.alice))
        self.assertEqual(self.stored(), ["d", "f"])

    def test_discarded(self):
        """
        An upload refused for its size keeps nothing; a resume refused so
        gives the partial upload back.
        """
        opened = self.open(self.alice)
        self.successResultOf(opened.writeAt(0, b"brand"))
        self.successResultOf(opened.discard())
        self.assertIsNone(self.kept(self.alice))
        self.cut(self.alice, b"brand")
        opened = self.open(self.alice, offset=5)
        self.successResultOf(opened.writeAt(0, b" new"))
        self.successResultOf(opened.discard())
        self.assertEqual(self.kept(self.alice), 5)
        self.assertEqual(self.read(), OLD)

    def test_discardedBelowEnd(self):
        """
        A resume from below the partial upload's end, refused for its
        size, gives it back at its length before: the client's earlier
        bytes past the offset stay (it was cut back to the offset).
        """
        self.cut(self.alice, b"brand")
        opened = self.open(self.alice, offset=2)
        self.successResultOf(opened.writeAt(0, b"!"))
        self.successResultOf(opened.discard())
        self.assertEqual(self.kept(self.alice), 5)

    def test_refusedWrite(self):
        """
        An upload whose write the store refused (its size bound) keeps
        nothing once cut.
        """
        raw = MemoryShell({"/f": OLD}, maxBytes=len(OLD) + 4)
        alice = KeptUploadsShell(raw).forResumer("alice")
        opened = self.successResultOf(alice.openForWriting(("f",)))
        self.failureResultOf(opened.writeAt(0, b"brand"), QuotaExceeded)
        self.successResultOf(opened.abort())
        self.assertIsNone(self.successResultOf(alice.resumableSize(("f",))))
        self.assertEqual(self.successResultOf(raw.listNames(())), ["f"])

    def test_secondResumeBusy(self):
        """
        While a resume holds the partial upload, its resumer's C{SIZE}
        tells its size and another resume gets C{450} rather than write
        the file in place; once the first is cut, the partial upload is
        there again.
        """
        self.cut(self.alice, b"brand")
        first = self.open(self.alice, offset=5)
        self.assertEqual(self.kept(self.alice), 5)
        self.failureResultOf(self.alice.openForWriting(("f",), 5), FileBusy)
        self.failureResultOf(self.alice.openForWriting(("f",), 0, True),
                             FileBusy)
        self.successResultOf(first.writeAt(0, b" ne"))
        self.successResultOf(first.abort())
        self.upload(self.alice, b"w", offset=8)
        self.assertEqual(self.read(), b"brand new")

    def test_resumeWhileStoring(self):
        """
        While an upload that will replace the file runs, an upload into
        it in place (a resume from the old file's size, an append) gets
        C{450}, whoever sends it; once that upload ends, they run again.
        """
        running = self.open(self.alice)
        self.successResultOf(running.writeAt(0, b"brand"))
        self.assertIsNone(self.kept(self.alice))
        self.failureResultOf(self.alice.openForWriting(("f",), 3), FileBusy)
        self.failureResultOf(self.bob.openForWriting(("f",), 0, True),
                             FileBusy)
        self.successResultOf(running.abort())
        self.upload(self.alice, b" new", offset=5)
        self.upload(self.bob, b"!", append=True)
        self.assertEqual(self.read(), b"brand new!")

    def test_runningSharedByTree(self):
        """
        Shells over one tree given the same L{RunningUploads} see each
        other's uploads, each naming the target from its own root
        (C{home} stands for a shell rooted at C{/d}: only its name of the
        target counts here).
        """
        running = RunningUploads()
        whole = KeptUploadsShell(self.raw, running=running)
        home = KeptUploadsShell(self.raw, running=running, where=("d",))
        upload = self.open(home, ("g",))
        self.failureResultOf(whole.openForWriting(("d", "g"), 0, True),
                             FileBusy)
        self.successResultOf(upload.close())
        self.upload(whole, b"!", ("d", "g"), append=True)
        self.assertEqual(self.read(("d", "g")), OLD + b"!")

    def test_abandonedResumeTakenOver(self):
        """
        A partial upload a resume took and has not written for
        L{TAKE_GRACE} seconds (its server died) is taken over.
        """
        self.cut(self.alice, b"brand")
        self.open(self.alice, offset=5)
        self.clock.advance(TAKE_GRACE + 1)
        self.upload(self.alice, b" new", offset=5)
        self.assertEqual(self.read(), b"brand new")
        self.assertEqual(self.stored(), ["d", "f"])

    def test_renameWrittenInPlace(self):
        """
        The rename of a file an upload writes in place (bob's append,
        alice's resume with no partial upload) gets C{450} saying so, for
        any user, until the upload ends (complete, cut); an in-place open
        that failed holds nothing. A resume of a partial upload writes a
        hidden file of its own, and leaves the target's rename alone.
        """
        for shell, offset, end in ((self.bob, 0, "close"),
                                   (self.alice, 3, "abort")):
            opened = self.open(shell, offset=offset, append=not offset)
            refused = self.failureResultOf(
                self.alice.rename(("f",), ("g",)), FileBusy)
            self.assertEqual(refused.value.message, FILE_UPLOADING)
            self.successResultOf(getattr(opened, end)())
            self.successResultOf(self.bob.rename(("f",), ("g",)))
            self.successResultOf(self.bob.rename(("g",), ("f",)))
        self.failureResultOf(self.bob.openForWriting(("x", "g"), 0, True))
        self.successResultOf(self.bob.rename(("d",), ("x",)))
        self.successResultOf(self.bob.rename(("x", "g"), ("x", "h")))
        self.cut(self.alice, b"brand")
        self.open(self.alice, offset=5)
        self.successResultOf(self.bob.rename(("f",), ("g",)))

    def test_writtenInPlace(self):
        """
        L{KeptUploadsShell.writtenInPlace} tells, to any user, of a file
        an C{APPE} makes (not in the tree until it ends) while the upload
        runs, through a wrapper hiding dotfiles too, which hides it where
        its name is one; not of one a new upload replaces (under a hidden
        name), nor once the upload ended.
        """
        hiding = HideDotfilesShell(self.bob)
        for path in (("new",), (".new",)):
            opened = self.open(self.alice, path, append=True)
            self.assertTrue(self.successResultOf(
                self.bob.writtenInPlace(path)))
            self.successResultOf(opened.close())
            self.assertFalse(self.successResultOf(
                self.bob.writtenInPlace(path)))
        self.open(self.alice, (".x",), append=True)
        self.failureResultOf(hiding.writtenInPlace((".x",)), NoSuchFile)
        self.open(self.alice, ("f",))
        self.assertFalse(self.successResultOf(hiding.writtenInPlace(("f",))))

    def test_takeWrittenInPlace(self):
        """
        C{DELE} of a file an upload writes in place, and the rename of
        another file onto it, get C{450} saying so until the upload ends;
        they went ahead, and the upload, its file gone, got C{450} once
        complete. A file a new upload will replace may go meanwhile.
        """
        opened = self.open(self.bob, append=True)
        for refused in (self.alice.removeFile(("f",)),
                        self.alice.rename(("d", "g"), ("f",))):
            self.assertEqual(self.failureResultOf(refused, FileBusy)
                             .value.message, FILE_UPLOADING)
        self.successResultOf(opened.close())
        self.successResultOf(self.alice.rename(("d", "g"), ("f",)))
        replacing = self.open(self.bob)
        self.successResultOf(self.alice.removeFile(("f",)))
        self.successResultOf(replacing.writeAt(0, b"new"))
        self.successResultOf(replacing.close())
        self.assertEqual(self.read(), b"new")

    def test_secondInPlaceBusy(self):
        """
        While an upload writes C{f} in place, a second one (an append, a
        resume with no partial upload to continue) gets C{450}, as on
        the disk and fsspec realms (it was stored, and the first then
        failed, its bytes dropped); once the first ended, it goes on.
        """
        first = self.open(self.alice, append=True)
        self.failureResultOf(self.bob.openForWriting(("f",), 0, True),
                             FileBusy)
        self.failureResultOf(self.bob.openForWriting(("f",), 2), FileBusy)
        self.successResultOf(first.writeAt(0, b"1"))
        self.successResultOf(first.close())
        self.upload(self.bob, b"2", append=True)
        self.assertEqual(self.read(), OLD + b"12")

    def test_renameWrittenInPlaceSharedByTree(self):
        """
        Shells over one tree given the same L{RunningUploads} refuse the
        rename of a file another writes in place, each naming it from
        its own root (C{home} stands for a shell rooted at C{/d}: only
        its name of the file counts here).
        """
        running = RunningUploads()
        whole = KeptUploadsShell(self.raw, running=running)
        home = KeptUploadsShell(self.raw, running=running, where=("d",))
        upload = self.open(whole, ("d", "g"), append=True)
        self.failureResultOf(home.rename(("g",), ("h",)), FileBusy)
        self.successResultOf(upload.close())
        self.successResultOf(whole.rename(("d", "g"), ("d", "h")))

    def test_restPastEnd(self):
        """
        A resume past the partial upload's end gets C{554}, and gives it
        back.
        """
        self.cut(self.alice, b"brand")
        self.failureResultOf(self.alice.openForWriting(("f",), 6),
                             RestPastEnd)
        self.assertEqual(self.kept(self.alice), 5)

    def test_expired(self):
        """
        Past L{PARTIAL_LIFETIME}, a partial upload is not resumed, and
        removed.
        """
        self.cut(self.alice, b"brand")
        self.clock.advance(PARTIAL_LIFETIME + 1)
        self.assertIsNone(self.kept(self.alice))
        self.assertEqual(self.stored(), ["d", "f"])

    def test_sweptWhenAnotherKept(self):
        """
        Keeping a cut upload removes the expired hidden files of its
        directory.
        """
        self.cut(self.alice, b"brand", path=("d", "g"))
        self.clock.advance(PARTIAL_LIFETIME + 1)
        self.cut(self.bob, b"x", path=("d", "g"))
        self.assertEqual(len(self.stored(("d",))), 2)
        self.assertEqual(self.kept(self.bob, ("d", "g")), 1)

    def test_nobodysSeenByAll(self):
        """
        A cut upload of the shell made for nobody in particular is every
        resumer's.
        """
        self.cut(self.shell, b"brand")
        self.assertEqual(self.kept(self.shell), 5)
        self.assertEqual(self.kept(self.bob), 5)
        self.upload(self.bob, b" new", offset=5)
        self.assertEqual(self.read(), b"brand new")

    def test_hiddenRefused(self):
        """
        A command naming one of the hidden files gets C{553}.
        """
        self.cut(self.alice, b"brand")
        hidden = [name for name in self.stored() if name not in ("d", "f")]
        path = (hidden[0],)
        for made in (self.alice.stat(path), self.alice.removeFile(path),
                     self.alice.openForReading(path),
                     self.alice.openForWriting(path),
                     self.alice.rename(("f",), path),
                     self.alice.rename(path, ("x",)),
                     self.alice.makeDirectory((".ftpkit-x",)),
                     self.alice.list(path)):
            self.failureResultOf(made, InvalidPath)
        self.assertIsNone(self.kept(self.alice, path))

    def test_removeDirectory(self):
        """
        C{RMD} of a directory holding only partial uploads (it lists
        empty) removes them with it; one a resume holds keeps it.
        """
        self.successResultOf(self.raw.removeFile(("d", "g")))
        self.cut(self.alice, b"brand", path=("d", "g"))
        self.open(self.alice, ("d", "g"), offset=5)
        self.failureResultOf(self.alice.removeDirectory(("d",)),
                             DirectoryNotEmpty)
        self.cut(self.bob, b"x", path=("d", "h"))
        self.successResultOf(self.raw.makeDirectory(("e",)))
        self.cut(self.bob, b"x", path=("e", "h"))
        self.assertEqual(
            self.successResultOf(self.bob.removeDirectory(("e",))), 1)
        self.assertEqual(self.stored(), ["d", "f"])

    def test_longName(self):
        """
        A name over 200 bytes in UTF-8 has a partial upload all the same,
        whose name a file system taking 255 bytes holds.
        """
        long = "名" * 80
        self.cut(self.alice, b"brand", path=(long,))
        hidden = [name for name in self.stored() if name.startswith(
            keptnames.PARTIAL_PREFIX)]
        self.assertLessEqual(len(hidden[0].encode()), 255)
        self.upload(self.alice, b" new", path=(long,), offset=5)
        self.assertEqual(self.read((long,)), b"brand new")

    def test_creatingKeepsNothing(self):
        """
        An upload that may only create its file (C{STOU}, anonymous
        users) keeps nothing once cut.
        """
        opened = self.successResultOf(self.alice.openForCreating(("new",)))
        self.successResultOf(opened.writeAt(0, b"brand"))
        self.successResultOf(opened.abort())
        self.assertEqual(self.stored(), ["d", "f"])

    def test_names(self):
        """
        A partial upload is named after its resumer and its target; the
        names fit in 234 bytes.
        """
        alice = keptnames.partialName("f", "alice")
        self.assertNotEqual(alice, keptnames.partialName("f", "bob"))
        self.assertNotEqual(alice, keptnames.partialName("g", "alice"))
        self.assertEqual(keptnames.partialNames("f", "alice"),
                         [alice, keptnames.partialName("f", None)])
        self.assertEqual(keptnames.partialNames("f", None),
                         [keptnames.partialName("f", None)])
        for name in ("x" * 200, "x" * 201, "名" * 85):
            for made in (keptnames.partialName(name, "alice"),
                         keptnames.resumingName(name, "alice")):
                self.assertLessEqual(len(made.encode()), 234)
                self.assertTrue(keptnames.isKept(made))

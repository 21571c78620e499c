"""
The rename of a directory (C{RNTO}) at the moment an upload written in
place (C{APPE}, C{REST} and C{STOR}) below it has opened its file, but
not yet held it.

An upload in place is held against such a rename
(L{ftpkit.shells.fsspecinplace.InPlaceFiles.renaming},
L{ftpkit.shells.uploadlocks.heldBelow}), but it was held only once its
file was open: a rename in between went ahead, the file went with the
directory, and the upload, its client's every byte written into the
moved file, got C{450} "try again" (a client retrying appends twice).
Now either the rename gets C{450} and the upload completes
(C{fsspec:memory://}, whose upload holds the path before it opens it),
or the rename goes ahead and the upload is refused before it starts (the
disk realm and C{fsspec:file://}, whose hold is a C{flock} on the open
file, seen by every process: once held, the upload checks that its path
still names the file). The disk realm's resume of a kept partial upload,
which is held once opened and then moved by its path, is checked the same
way, at its open and once it is held (L{DiskPartialOpenRaceTests},
L{DiskPartialHeldRaceTests}): there was no window to close.

The moment is made to happen, in one thread, by the other session's
C{RNTO} run from within the upload's open (L{OpenRaceMixin.racing}),
every call made at once (L{tests.integration.test_shell_fsspec._CallNow}).
SFTP has no such moment in one process: the calls on its SSH connection
are made one at a time, the upload's open and hold in one of them. The
memory realm opens and holds in one call in the reactor's thread.
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.errors import FileBusy
from ftpkit.shells import diskuploads, partials, uploads
from ftpkit.shells.filesystem import FilesystemShell
from tests.integration.test_shell_fsspec import _CallNow
from tests.scratch import scratchDirectory

try:
    import fsspec

    from ftpkit.shells import fsspecinplacewriter
    from ftpkit.shells.fsspecshell import FsspecShell
except ImportError:
    fsspec = None

OLD = b"0123456789"
"""What C{d/x} holds before the upload."""

NEW = b"new bytes"
"""What the upload sends."""

PARTIAL = b"kept part"
"""What C{d/x}'s partial upload holds, where a test makes one."""


class OpenRaceMixin:
    """
    Two sessions' shells on one store holding C{d/x} (L{OLD}); the
    realm's C{opener}, the module attribute through which an upload in
    place opens its file, is wrapped to rename C{d} to C{e} in the other
    session from within it. A subclass makes the store (C{prepare}), its
    shells (C{makeShell}), reads its files (C{read}) and, where the
    rename is refused, sends the upload (C{send}).

    @ivar renameRefused: whether the rename gets C{450} (else the upload
        is refused).
    @ivar continued: what the upload continues: C{d/x} (L{OLD}), or its
        partial upload.
    """

    continued = OLD

    def setUp(self):
        self.prepare()
        self.shell, self.other = self.makeShell(), self.makeShell()

    def racing(self):
        """
        Wrap the opener so that the other session's C{RNFR d}, C{RNTO e}
        runs once the file is open.

        @return: a list that gets the rename's result (C{None}, or its
            L{twisted.python.failure.Failure}).
        """
        module, name = self.opener
        opened = getattr(module, name)
        renamed = []

        def opening(*args):
            result = opened(*args)
            if not renamed:
                self.other.rename(("d",), ("e",)).addBoth(renamed.append)
            return result
        self.patch(module, name, opening)
        return renamed

    @defer.inlineCallbacks
    def assertOneWins(self, offset, append):
        """
        Upload L{NEW} to C{d/x} in place, the other session renaming C{d}
        as the upload opens its file: the rename gets C{450} and the
        upload completes, or the rename goes ahead and the upload is
        refused (C{450}) before it starts, never both going ahead.

        @param offset: the upload's C{REST}.
        @param append: whether it is an C{APPE}.
        """
        renamed = self.racing()
        try:
            upload = yield self.shell.openForWriting(("d", "x"), offset,
                                                     append)
        except FileBusy:
            upload = None
        self.assertEqual(len(renamed), 1)
        if not self.renameRefused:
            if upload is not None:
                yield upload.abort()
                self.fail("both the rename and the upload went ahead")
            self.assertIsNone(renamed[0])
            self.assertEqual(self.read("e/x"), OLD)
            return
        self.assertIsNotNone(upload)
        self.assertIsNotNone(renamed[0], "both the rename and the upload"
                             " went ahead")
        renamed[0].trap(FileBusy)
        yield self.send(upload)
        start = len(self.continued) if append else offset
        self.assertEqual(self.read("d/x"), self.continued[:start] + NEW)

    def test_append(self):
        """
        C{APPE}.
        """
        return self.assertOneWins(0, True)

    def test_resume(self):
        """
        C{REST 4} then C{STOR}.
        """
        return self.assertOneWins(4, False)


class DiskOpenRaceTests(OpenRaceMixin, unittest.TestCase):
    """
    The disk realm (its open in L{ftpkit.shells.diskuploads}).
    """

    opener = (diskuploads, "openRegular")
    renameRefused = False

    def prepare(self):
        """
        Make the root, holding C{d/x}.
        """
        self.root = scratchDirectory(self)
        os.mkdir(os.path.join(self.root, "d"))
        with open(os.path.join(self.root, "d", "x"), "wb") as f:
            f.write(OLD)

    def makeShell(self):
        """
        @return: a disk shell on the root, its calls made at once.
        """
        return FilesystemShell(self.root, runner=_CallNow().run)

    def read(self, name):
        """
        @param name: a file's path under the root.
        @return: its bytes.
        """
        with open(os.path.join(self.root, name), "rb") as f:
            return f.read()


class DiskPartialOpenRaceTests(DiskOpenRaceTests):
    """
    The disk realm's resume of C{d/x}'s partial upload (L{PARTIAL}),
    which is opened by its path, held, renamed by its path to the name
    it is written under, and put in place by its path once complete
    (L{ftpkit.shells.partials.claimPartial}): a rename of C{d} as it is
    opened, before it is held, goes ahead, and the resume is refused
    before it starts (C{450}: its partial upload was not where it was
    opened), the partial upload kept in C{e}.
    """

    continued = PARTIAL

    def prepare(self):
        """
        Make the root, holding C{d/x} and its partial upload.
        """
        DiskOpenRaceTests.prepare(self)
        with open(self.partial("d"), "wb") as f:
            f.write(PARTIAL)

    def partial(self, directory):
        """
        @param directory: C{"d"} or C{"e"}.
        @return: the path of the partial upload of C{x} in it.
        """
        return uploads.partialPath(
            os.fsencode(os.path.join(self.root, directory, "x")))

    @defer.inlineCallbacks
    def assertOneWins(self, offset, append):
        """
        See L{OpenRaceMixin.assertOneWins}; where the upload is refused,
        its partial upload went with C{d}, whole.
        """
        yield OpenRaceMixin.assertOneWins(self, offset, append)
        if not self.renameRefused:
            with open(self.partial("e"), "rb") as f:
                self.assertEqual(f.read(), PARTIAL)

    @defer.inlineCallbacks
    def send(self, upload):
        """
        @param upload: the upload opened: L{NEW} is written, and it is
            closed.
        """
        consumer = yield upload.receive()
        consumer.write(NEW)
        yield consumer.drain()
        yield upload.close()


class DiskPartialHeldRaceTests(DiskPartialOpenRaceTests):
    """
    The same, the rename of C{d} coming once the partial upload is held,
    before it is renamed to the name it is written under: the rename
    gets C{450}, and the resume completes.
    """

    opener = (partials, "holdTemporary")
    renameRefused = True


class LocalOpenRaceTests(DiskOpenRaceTests):
    """
    C{fsspec:file://}.
    """

    if fsspec is None:
        skip = "fsspec is not installed"
    else:
        opener = (fsspecinplacewriter, "_openInPlace")

    def makeShell(self):
        """
        @return: an fsspec shell on the root, its calls made at once.
        """
        return FsspecShell(fsspec.filesystem("file"), self.root,
                           pool=_CallNow())


class MemoryOpenRaceTests(OpenRaceMixin, unittest.TestCase):
    """
    C{fsspec:memory://}, the store holding what the root holds.
    """

    if fsspec is None:
        skip = "fsspec is not installed"
    else:
        opener = (fsspecinplacewriter, "_openInPlace")
    renameRefused = True

    def prepare(self):
        """
        Make a store of its own, holding C{/root/d/x}.
        """
        self.fs = fsspec.filesystem("memory", global_store=False,
                                    skip_instance_cache=True)
        self.fs.mkdir("/root/d")
        self.fs.pipe_file("/root/d/x", OLD)

    def makeShell(self):
        """
        @return: a shell on the store's C{/root}, its calls made at once.
        """
        return FsspecShell(self.fs, "/root", pool=_CallNow())

    def read(self, name):
        """
        @param name: a file's path under C{/root}.
        @return: its bytes.
        """
        return self.fs.cat_file("/root/" + name)

    @defer.inlineCallbacks
    def send(self, upload):
        """
        @param upload: the upload opened: L{NEW} is written, and it is
            closed.
        """
        yield upload.writeAt(0, NEW)
        yield upload.close()

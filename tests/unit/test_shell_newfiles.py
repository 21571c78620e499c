"""
Tests for the way L{ftpkit.shells.filesystem.FilesystemShell} uploads a
file that does not exist yet: into a file with no name
(L{ftpkit.shells.uploads.createAnonymous}) that gets the target's name
once complete.
"""

import errno
import fcntl
import os

from twisted.internet.defer import inlineCallbacks
from twisted.python.filepath import FilePath
from twisted.trial import unittest

from ftpkit.errors import AlreadyExists, DirectoryNotEmpty, NoSuchFile
from ftpkit.shells import (
    anonymousfiles,
    uploadlocks,
    uploadreservations,
    uploads,
)
from ftpkit.shells.cachedopen import NEW_FILE_MODE
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.uploadreservations import reservationName
from ftpkit.testing import writeFile
from tests.scratch import scratchDirectory
from tests.uploadsinprogress import uploadSizes


def _umask():
    """
    @return: this process's umask.
    """
    mask = os.umask(0)
    os.umask(mask)
    return mask


class NewFileTests(unittest.TestCase):
    """
    An upload that creates a file has no name until it is complete, and
    never takes a name another file got meanwhile unless it replaces it
    atomically.
    """

    def setUp(self):
        self.root = os.fsencode(scratchDirectory(self))
        self.shell = FilesystemShell(self.root)
        probe = uploads.createAnonymous(os.path.join(self.root, b"probe"))
        if probe is None:
            raise unittest.SkipTest("no O_TMPFILE here")
        for fd in probe:
            os.close(fd)

    def path(self, name):
        """
        @return: the local path of C{name} in the root.
        """
        return os.path.join(self.root, name)

    @inlineCallbacks
    def upload(self, name, data, create=False):
        """
        Open C{name} for writing, and write C{data} into it.

        @param create: open it with C{openForCreating}.
        @return: a L{Deferred} with the open file, not closed.
        """
        if create:
            opened = yield self.shell.openForCreating((name,))
        else:
            opened = yield self.shell.openForWriting((name,))
        consumer = yield opened.receive()
        consumer.write(data)
        yield consumer.drain()
        return opened

    @inlineCallbacks
    def test_noNameUntilComplete(self):
        """
        While a new file is uploaded, nothing of it is in its directory
        (not even a temporary file); once closed, it is there, whole, with
        the usual permissions.
        """
        opened = yield self.upload("f", b"new bytes")
        self.assertEqual(os.listdir(self.root), [])
        self.assertEqual(uploadSizes(self.root), [9])
        yield opened.close()
        self.assertEqual(os.listdir(self.root), [b"f"])
        self.assertEqual(FilePath(self.path(b"f")).getContent(), b"new bytes")
        self.assertEqual(os.stat(self.path(b"f")).st_mode & 0o7777,
                         NEW_FILE_MODE & ~_umask())
        self.assertEqual(uploadSizes(self.root), [])

    @inlineCallbacks
    def test_throughTheDescriptor(self):
        """
        A new file written and committed through its descriptor (as a
        spliced upload is) gets its name at the commit.
        """
        opened = yield self.shell.openForWriting(("f",))
        descriptor = opened.descriptor()
        os.pwrite(descriptor.fd, b"spliced", descriptor.offset)
        self.assertEqual(os.listdir(self.root), [])
        descriptor.commit(7)
        self.assertEqual(FilePath(self.path(b"f")).getContent(), b"spliced")
        yield opened.close()
        self.assertEqual(os.listdir(self.root), [b"f"])

    def test_endsAgainAfterDescriptor(self):
        """
        Once committed through its descriptor, the file's C{close} fires
        at once with success, and so do every later C{close} and
        C{abort}, which leave the file as committed.
        """
        opened = self.successResultOf(self.shell.openForWriting(("f",)))
        descriptor = opened.descriptor()
        os.pwrite(descriptor.fd, b"spliced", descriptor.offset)
        descriptor.commit(7)
        self.assertIsNone(self.successResultOf(opened.close()))
        self.assertIsNone(self.successResultOf(opened.close()))
        self.assertIsNone(self.successResultOf(opened.abort()))
        self.assertEqual(os.listdir(self.root), [b"f"])
        self.assertEqual(FilePath(self.path(b"f")).getContent(), b"spliced")

    @inlineCallbacks
    def test_appearedMeanwhileReplaced(self):
        """
        A file that got the target's name while the upload ran is
        replaced at close, as any upload replaces a file, leaving no
        temporary file.
        """
        opened = yield self.upload("f", b"upload")
        FilePath(self.path(b"f")).setContent(b"someone else's")
        yield opened.close()
        self.assertEqual(os.listdir(self.root), [b"f"])
        self.assertEqual(FilePath(self.path(b"f")).getContent(), b"upload")

    @inlineCallbacks
    def test_createdMeanwhileRefused(self):
        """
        An upload that may only create the file fails at close when a file
        of that name appeared meanwhile, which it leaves alone.
        """
        opened = yield self.upload("f", b"upload", create=True)
        FilePath(self.path(b"f")).setContent(b"someone else's")
        yield self.assertFailure(opened.close(), AlreadyExists)
        self.assertEqual(os.listdir(self.root), [b"f"])
        self.assertEqual(FilePath(self.path(b"f")).getContent(), b"someone else's")

    @inlineCallbacks
    def test_cutKeptAsPartial(self):
        """
        A new file's upload cut short is kept as the target's partial
        upload, to resume, as one into a temporary file is.
        """
        opened = yield self.upload("f", b"half")
        yield opened.abort()
        self.assertEqual(os.listdir(self.root),
                         [uploads.PARTIAL_PREFIX + b"f"])
        partial = FilePath(self.path(uploads.PARTIAL_PREFIX + b"f"))
        self.assertEqual(partial.getContent(), b"half")
        self.assertEqual((yield self.shell.resumableSize(("f",))), 4)

    @inlineCallbacks
    def test_cutEmptyLeavesNothing(self):
        """
        A new file's upload cut before any byte, or discarded, leaves
        nothing at all.
        """
        opened = yield self.shell.openForWriting(("f",))
        yield opened.abort()
        opened = yield self.upload("g", b"discarded")
        yield opened.discard()
        self.assertEqual(os.listdir(self.root), [])
        self.assertEqual(uploadSizes(self.root), [])

    @inlineCallbacks
    def test_directoryKeptWhileUploading(self):
        """
        A new file's upload keeps its directory from being removed, though
        it has no name there yet (C{RMD} removed the directory, and the
        upload failed with L{NoSuchFile} once complete), and so does one
        made by C{openForCreating}; once the upload is cut, C{RMD} removes
        the directory and the partial upload kept in it.
        """
        os.mkdir(self.path(b"sub"))
        for create in (False, True):
            opened = yield self.upload(os.path.join("sub", "f"), b"bytes",
                                       create=create)
            # openForCreating's reservation of the name is all there is.
            self.assertEqual(os.listdir(self.path(b"sub")),
                             [reservationName(b"f")] if create else [])
            yield self.assertFailure(
                self.shell.removeDirectory(("sub",)), DirectoryNotEmpty)
            yield opened.close()
            self.assertEqual(
                FilePath(self.path(b"sub/f")).getContent(), b"bytes")
            os.unlink(self.path(b"sub/f"))
        opened = yield self.upload(os.path.join("sub", "f"), b"cut")
        yield opened.abort()
        yield self.shell.removeDirectory(("sub",))
        self.assertEqual(os.listdir(self.root), [])
        self.assertEqual(uploadSizes(self.root), [])

    @inlineCallbacks
    def test_directoryBeingRemoved(self):
        """
        A new file's upload that starts while a C{RMD} holds the directory
        (L{uploadlocks.mayRemoveDirectory}) writes a temporary file,
        which that C{RMD} sees, and completes.
        """
        os.mkdir(self.path(b"sub"))
        fd = os.open(self.path(b"sub"), os.O_RDONLY | os.O_DIRECTORY)
        self.addCleanup(os.close, fd)
        self.assertTrue(uploadlocks.mayRemoveDirectory(fd))
        opened = yield self.upload(os.path.join("sub", "f"), b"bytes")
        names = os.listdir(self.path(b"sub"))
        self.assertEqual(len(names), 1)
        self.assertTrue(names[0].startswith(uploads.TEMPORARY_PREFIX))
        yield opened.close()
        self.assertEqual(os.listdir(self.path(b"sub")), [b"f"])

    @inlineCallbacks
    def test_directoryRenamedWhileUploading(self):
        """
        A new file's upload whose directory is renamed meanwhile
        (C{RNFR}/C{RNTO}) completes in that directory, where it is now,
        as an upload into an open file does with vsftpd or ProFTPD: it
        failed with C{550} once complete, or, a directory made under the
        old name since, landed in that one. A file of that name that
        appeared there meanwhile is replaced, as anywhere.
        """
        for appeared in (False, True):
            os.mkdir(self.path(b"sub"))
            opened = yield self.upload(os.path.join("sub", "f"), b"bytes")
            yield self.shell.rename(("sub",), ("moved",))
            if appeared:
                os.mkdir(self.path(b"sub"))
                FilePath(self.path(b"moved/f")).setContent(b"other")
            yield opened.close()
            self.assertEqual(os.listdir(self.path(b"moved")), [b"f"])
            self.assertEqual(
                FilePath(self.path(b"moved/f")).getContent(), b"bytes")
            self.assertEqual(os.path.exists(self.path(b"sub")), appeared)
            if appeared:
                self.assertEqual(os.listdir(self.path(b"sub")), [])
                os.rmdir(self.path(b"sub"))
            os.unlink(self.path(b"moved/f"))
            os.rmdir(self.path(b"moved"))

    @inlineCallbacks
    def test_directoryRenamedThroughProc(self):
        """
        Likewise where the file is named through C{/proc}
        (L{uploads.linkAnonymous}'s other way).
        """
        self.patch(anonymousfiles, "_emptyPathWorks", False)
        os.mkdir(self.path(b"sub"))
        opened = yield self.upload(os.path.join("sub", "f"), b"bytes")
        yield self.shell.rename(("sub",), ("moved",))
        yield opened.close()
        self.assertEqual(os.listdir(self.path(b"moved")), [b"f"])

    @inlineCallbacks
    def test_directoryRenamedWhileCut(self):
        """
        A new file's upload cut after its directory was renamed is kept
        as its target's partial upload in that directory, where it is
        now.
        """
        os.mkdir(self.path(b"sub"))
        opened = yield self.upload(os.path.join("sub", "f"), b"half")
        yield self.shell.rename(("sub",), ("moved",))
        yield opened.abort()
        self.assertEqual(os.listdir(self.path(b"moved")),
                         [uploads.PARTIAL_PREFIX + b"f"])
        self.assertEqual((yield self.shell.resumableSize(("moved", "f"))), 4)

    @inlineCallbacks
    def test_directoryRemovedWhileUploading(self):
        """
        A new file's upload whose directory was removed meanwhile (by a
        local user: C{RMD} waits for it) fails with C{550} saying so, and
        leaves nothing; cut, it keeps nothing either.
        """
        for cut in (False, True):
            os.mkdir(self.path(b"sub"))
            opened = yield self.upload(os.path.join("sub", "f"), b"bytes")
            os.rmdir(self.path(b"sub"))
            if cut:
                yield opened.abort()
            else:
                error = yield self.assertFailure(opened.close(), NoSuchFile)
                self.assertEqual(str(error),
                                 "Directory removed during the upload")
            self.assertEqual(os.listdir(self.root), [])
            self.assertEqual(uploadSizes(self.root), [])

    @inlineCallbacks
    def test_replacingUsesTemporaryFile(self):
        """
        An upload replacing a file still writes a temporary file, renamed
        over it at close: the old file stays whole until then.
        """
        FilePath(self.path(b"f")).setContent(b"old")
        opened = yield self.upload("f", b"new")
        names = os.listdir(self.root)
        self.assertEqual(len(names), 2)
        self.assertTrue(any(uploads.isHidden(name) for name in names))
        self.assertEqual(FilePath(self.path(b"f")).getContent(), b"old")
        yield opened.close()
        self.assertEqual(os.listdir(self.root), [b"f"])
        self.assertEqual(FilePath(self.path(b"f")).getContent(), b"new")


class RenamedTemporaryFileTests(unittest.TestCase):
    """
    An upload into a temporary file (one that replaces a file) whose
    directory is renamed meanwhile, outside the shell (whose own C{RNTO}
    refuses it while it sees the upload, L{ftpkit.shells.uploadlocks}):
    by another program, or past the bound of what a rename looks at. It
    holds no descriptor of the directory (that costs two system calls
    per upload), so it cannot be put in place; it says so, and its bytes
    stay.
    """

    def setUp(self):
        self.root = os.fsencode(scratchDirectory(self))
        self.shell = FilesystemShell(self.root)

    @inlineCallbacks
    def test_directoryRenamed(self):
        """
        It fails with C{550} saying the directory moved (it said "No such
        file or directory", of a file the client had just sent); the old
        file stays, and the bytes received become the target's partial
        upload there at the next sweep.
        """
        os.mkdir(os.path.join(self.root, b"sub"))
        FilePath(os.path.join(self.root, b"sub", b"f")).setContent(b"old")
        opened = yield self.shell.openForWriting(("sub", "f"))
        consumer = yield opened.receive()
        consumer.write(b"new")
        os.rename(os.path.join(self.root, b"sub"),
                  os.path.join(self.root, b"moved"))
        error = yield self.assertFailure(opened.close(), NoSuchFile)
        self.assertEqual(str(error),
                         "Directory moved or removed during the upload")
        moved = os.path.join(self.root, b"moved")
        self.assertEqual(FilePath(os.path.join(moved, b"f")).getContent(),
                         b"old")
        self.assertEqual(uploads.sweep(self.root), (1, 0))
        self.assertEqual((yield self.shell.resumableSize(("moved", "f"))),
                         3)


class WithoutAnonymousFilesTests(unittest.TestCase):
    """
    Where files with no name cannot be made, or not given a name, a new
    file is uploaded into a temporary file, as one replacing a file is.
    """

    def setUp(self):
        self.root = os.fsencode(scratchDirectory(self))
        self.shell = FilesystemShell(self.root)

    @inlineCallbacks
    def check(self):
        """
        Upload a new file, and check that a temporary file was used and
        the file completed.
        """
        opened = yield self.shell.openForWriting(("f",))
        self.assertEqual(len(os.listdir(self.root)), 1)
        self.assertTrue(uploads.isHidden(os.listdir(self.root)[0]))
        consumer = yield opened.receive()
        consumer.write(b"bytes")
        yield opened.close()
        self.assertEqual(os.listdir(self.root), [b"f"])
        self.assertEqual(FilePath(os.path.join(self.root, b"f")).getContent(), b"bytes")

    def test_fileSystemWithout(self):
        """
        A file system without C{O_TMPFILE} (the open fails with
        C{EOPNOTSUPP}).
        """
        realOpen = os.open

        def refuse(path, flags, mode=0o777, *, dir_fd=None):
            if flags & os.O_TMPFILE == os.O_TMPFILE:
                raise OSError(errno.EOPNOTSUPP, "no")
            return realOpen(path, flags, mode, dir_fd=dir_fd)
        self.patch(os, "open", refuse)
        return self.check()

    def test_cannotBeNamed(self):
        """
        A system where such a file cannot be named (no C{/proc}): found
        on the first try, before any upload depends on it.
        """
        self.patch(anonymousfiles, "_anonymousWorks", None)

        def refuse(fd, path, directory):
            raise OSError(errno.ENOENT, "no /proc")
        self.patch(anonymousfiles, "linkAnonymous", refuse)
        yield_ = self.check()

        def checkRemembered(ignored):
            self.assertIs(anonymousfiles._anonymousWorks, False)
        return yield_.addCallback(checkRemembered)

    def test_newFileOverwritten(self):
        """
        A whole upload through L{writeFile} of a new file, then of the
        same file again, without files with no name.
        """
        self.patch(anonymousfiles, "_anonymousWorks", False)

        @inlineCallbacks
        def twice():
            yield writeFile(self.shell, ("f",), b"one")
            yield writeFile(self.shell, ("f",), b"two")
            self.assertEqual(os.listdir(self.root), [b"f"])
            target = FilePath(os.path.join(self.root, b"f"))
            self.assertEqual(target.getContent(), b"two")
        return twice()


class ReservedNameTests(unittest.TestCase):
    """
    An upload opened with C{openForCreating} holds its name reserved
    (L{ftpkit.shells.uploadreservations}) until it ends, whatever its
    end, with or without files with no name.
    """

    def setUp(self):
        self.root = os.fsencode(scratchDirectory(self))
        self.shell = FilesystemShell(self.root)

    def reservation(self):
        """
        @return: the local path of C{f}'s reservation.
        """
        return os.path.join(self.root, reservationName(b"f"))

    @inlineCallbacks
    def opened(self):
        """
        Open C{f} with C{openForCreating}, and check that a second open
        is refused meanwhile.

        @return: a L{Deferred} with the first open file.
        """
        opened = yield self.shell.openForCreating(("f",))
        self.assertTrue(os.path.exists(self.reservation()))
        yield self.assertFailure(self.shell.openForCreating(("f",)),
                                 AlreadyExists)
        consumer = yield opened.receive()
        consumer.write(b"bytes")
        yield consumer.drain()
        return opened

    @inlineCallbacks
    def assertReleased(self):
        """
        Check that the reservation is gone, and that C{f} may be opened
        for creating again.
        """
        self.assertFalse(os.path.exists(self.reservation()))
        again = yield self.shell.openForCreating(("f",))
        yield again.discard()

    def path(self):
        """
        @return: the local path of C{f}.
        """
        return os.path.join(self.root, b"f")

    @inlineCallbacks
    def test_closed(self):
        """
        A complete upload releases the name once it has it.
        """
        opened = yield self.opened()
        yield opened.close()
        self.assertEqual(FilePath(self.path()).getContent(), b"bytes")
        self.assertFalse(os.path.exists(self.reservation()))
        yield self.assertFailure(self.shell.openForCreating(("f",)),
                                 AlreadyExists)

    @inlineCallbacks
    def test_aborted(self):
        """
        A cut upload releases it.
        """
        opened = yield self.opened()
        yield opened.abort()
        yield self.assertReleased()

    @inlineCallbacks
    def test_discarded(self):
        """
        A discarded upload releases it.
        """
        opened = yield self.opened()
        yield opened.discard()
        yield self.assertReleased()

    @inlineCallbacks
    def test_takenMeanwhile(self):
        """
        An upload whose name a file took anyway fails at its end, keeps
        that file, and releases the name.
        """
        opened = yield self.opened()
        FilePath(self.path()).setContent(b"other")
        yield self.assertFailure(opened.close(), AlreadyExists)
        self.assertEqual(FilePath(self.path()).getContent(), b"other")
        self.assertFalse(os.path.exists(self.reservation()))

    def test_hidden(self):
        """
        A reservation is an upload not in place, which listings hide, and
        it names no target (a sweep removes one a crash left, rather than
        making it a partial upload).
        """
        name = reservationName(b"f")
        self.assertTrue(uploads.isHidden(name))
        self.assertIsNone(uploads.targetOfTemporary(name))
        self.assertNotEqual(reservationName(b"g"), name)
        self.assertLessEqual(len(reservationName(b"x" * 255)), 255)

    def test_sweptAfterCrash(self):
        """
        The sweep at start removes a reservation nobody holds (its
        process crashed), and leaves a held one alone (an upload in
        another process serving the directory).
        """
        FilePath(self.reservation()).setContent(b"")
        os.mkdir(os.path.join(self.root, b"sub"))
        held = os.path.join(self.root, b"sub", reservationName(b"f"))
        FilePath(held).setContent(b"")
        fd = os.open(held, os.O_WRONLY)
        self.addCleanup(os.close, fd)
        uploadlocks.holdTemporary(fd)
        uploads.sweep(self.root)
        self.assertFalse(os.path.exists(self.reservation()))
        self.assertTrue(os.path.exists(held))


class ReservationHoldTests(unittest.TestCase):
    """
    A reservation (L{uploadreservations.reserve}) is held by its upload
    from the moment it is returned, whatever a sweep does meanwhile, and
    one nobody holds (its process died) is taken by the next upload of
    its name or removed by a sweep.
    """

    def setUp(self):
        self.root = os.fsencode(scratchDirectory(self))
        self.target = os.path.join(self.root, b"f")
        self.path = os.path.join(self.root, reservationName(b"f"))

    def reserve(self):
        """
        @return: a reservation of C{f}, released with the test.
        """
        reservation = uploadreservations.reserve(self.target)
        self.addCleanup(uploadreservations.release, reservation)
        return reservation

    def whileMaking(self, action):
        """
        Run C{action} once, right after the next reservation's file is
        made and before anything else is done with it (where a sweep in
        another thread or process may come).

        @param action: a callable taking no argument.
        """
        real = uploadreservations.openWithoutLinks

        def opening(path, flags, *args):
            fd = real(path, flags, *args)
            if flags & os.O_CREAT and not done:
                done.append(True)
                action()
            return fd

        done = []
        self.patch(uploadreservations, "openWithoutLinks", opening)

    def assertHeld(self):
        """
        Check that C{f}'s reservation has its name and that a sweep leaves
        it and a second reservation of C{f} is refused.
        """
        uploads.sweep(self.root)
        self.assertTrue(os.path.exists(self.path))
        self.assertRaises(AlreadyExists, uploadreservations.reserve,
                          self.target)

    def test_sweptWhileMade(self):
        """
        A sweep between the making of the file and its hold does not
        leave the upload holding a file with no name (the next upload of
        the name reserved it again: two C{STOU}s told one name).
        """
        self.whileMaking(lambda: uploads.sweep(self.root))
        self.reserve()
        self.assertHeld()

    def test_lookedAtWhileMade(self):
        """
        A sweep holding the file for a moment (to see whether an upload
        holds it) as it is made leaves no reservation unheld: it is
        refused (then the next one takes the file), or held.
        """
        looks = []

        def look():
            fd = os.open(self.path, os.O_WRONLY)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            looks.append(fd)

        self.whileMaking(look)
        try:
            self.reserve()
        except AlreadyExists:
            refused = True
        else:
            refused = False
        finally:
            for fd in looks:
                os.close(fd)
        self.assertEqual(len(looks), 1)
        if refused:
            # What it made is nobody's once the look is over: the next
            # upload of the name takes it.
            self.reserve()
        self.assertHeld()

    def test_leftoverTaken(self):
        """
        A reservation nobody holds (its process was killed) is taken by
        the next upload of its name, which holds it.
        """
        FilePath(self.path).setContent(b"")
        fd, path = self.reserve()
        self.assertEqual(path, self.path)
        self.assertHeld()

    def test_sweptForDeadWorker(self):
        """
        The sweep of a dead worker's uploads (by its tag) removes the
        reservations nobody holds, and leaves held ones.
        """
        FilePath(self.path).setContent(b"")
        os.mkdir(os.path.join(self.root, b"sub"))
        held = uploadreservations.reserve(
            os.path.join(self.root, b"sub", b"f"))
        self.addCleanup(uploadreservations.release, held)
        uploads.sweep(self.root, tag=b"0123456789abcdef")
        self.assertFalse(os.path.exists(self.path))
        self.assertTrue(os.path.exists(held[1]))

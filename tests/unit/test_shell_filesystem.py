"""
Tests for L{ftpkit.shells.filesystem}: the shell conformance tests and
what is particular to L{FilesystemShell}.

Its jail is tested in L{tests.unit.test_shell_jail}, an upload's file on
the disk in L{tests.unit.test_uploadfiles}, checksums in steps in
L{tests.unit.test_diskhash}.
"""

import errno
import os
import pwd
import shutil
import tempfile

from twisted.internet.defer import (
    Deferred,
    gatherResults,
    inlineCallbacks,
    maybeDeferred,
)
from twisted.trial import unittest
from zope.interface.verify import verifyObject

from ftpkit.data.producers import BytesProducer
from ftpkit.errors import (
    AlreadyExists,
    InsufficientStorage,
    MovedIntoItself,
    NoSuchFile,
    NotDirectory,
    PermissionDenied,
    QuotaExceeded,
    RestPastEnd,
)
from ftpkit.interfaces import IDescriptorFile
from ftpkit.shells import diskqueue
from ftpkit.shells.diskqueue import HIGH_WATER
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.shortcalls import ShortCalls
from ftpkit.testing import IFTPShellConformanceMixin, readFile, writeFile
from tests.scratch import asNobody, readLocal, scratchRoot, writeLocal


class FilesystemShellConformanceTests(IFTPShellConformanceMixin, unittest.TestCase):
    """
    L{FilesystemShell} passes the shell conformance tests.
    """

    def makeShell(self):
        """
        @return: a L{FilesystemShell} on a new empty directory.
        """
        return FilesystemShell(scratchRoot(self))

    def settle(self):
        """
        Wait for the disk threads the shell works in, then let the reactor
        run for a moment.
        """
        from twisted.internet import reactor

        from ftpkit.shells.diskthreads import DISK, LISTINGS, diskThreadsFor

        settling = gatherResults([diskThreadsFor(reactor, lane).run(
            lambda: None) for lane in (DISK, LISTINGS)])
        settling.addCallback(
            lambda ignored: IFTPShellConformanceMixin.settle(self))
        return settling


class FilesystemShellTests(unittest.TestCase):
    """
    What is particular to L{FilesystemShell}.
    """

    def setUp(self):
        self.root = scratchRoot(self)
        self.shell = FilesystemShell(self.root)

    @inlineCallbacks
    def test_fileInfo(self):
        """
        C{stat} reports mode, owner, group, links and a device/inode id.
        """
        path = os.path.join(self.root, b"f")
        writeLocal(path, b"12345")
        os.chmod(path, 0o640)
        info = yield self.shell.stat(("f",))
        result = os.stat(path)
        self.assertEqual(info.size, 5)
        self.assertEqual(info.mode, 0o640)
        self.assertEqual(info.nlink, 1)
        self.assertEqual(info.owner, pwd.getpwuid(os.getuid()).pw_name)
        self.assertEqual(info.unique, f"{result.st_dev:x}g{result.st_ino:x}")

    @inlineCallbacks
    def test_renameIntoItself(self):
        """
        A directory moved into itself, or further below, fails with
        L{MovedIntoItself}'s text (the memory and fsspec realms' text), not
        the bad-name text the kernel's C{EINVAL} would give; a file moved
        below itself is still L{NotDirectory}. Nothing changes.
        """
        os.makedirs(os.path.join(self.root, b"d", b"e"))
        writeLocal(os.path.join(self.root, b"f"), b"x")
        for target in (("d", "x"), ("d", "e", "x")):
            error = yield self.assertFailure(
                self.shell.rename(("d",), target), MovedIntoItself)
            self.assertEqual(error.message, "Cannot move a directory into itself")
        yield self.assertFailure(self.shell.rename(("f",), ("f", "x")),
                                 NotDirectory)
        self.assertEqual(sorted(os.listdir(self.root)), [b"d", b"f"])
        self.assertEqual(os.listdir(os.path.join(self.root, b"d")), [b"e"])

    @inlineCallbacks
    def test_renameLinkIntoItsDirectory(self):
        """
        A link to a directory is not the directory: moved onto a
        subdirectory of the directory it names, it is refused as any
        rename onto a directory is (L{AlreadyExists}), not as moved into
        itself (the real paths decide, not the names); moved to a free
        name there, it moves.
        """
        os.makedirs(os.path.join(self.root, b"d", b"sub"))
        os.symlink(b"d", os.path.join(self.root, b"l"))
        yield self.assertFailure(self.shell.rename(("l",), ("l", "sub")),
                                 AlreadyExists)
        yield self.shell.rename(("l",), ("l", "x"))
        self.assertEqual(sorted(os.listdir(self.root)), [b"d"])
        self.assertEqual(sorted(os.listdir(os.path.join(self.root, b"d"))),
                         [b"sub", b"x"])

    @inlineCallbacks
    def test_nonUTF8Names(self):
        """
        Names that are not UTF-8 are listed with lone surrogates, and such
        names read and write the right files.
        """
        writeLocal(os.path.join(self.root, b"\xff.txt"), b"latin")
        self.assertEqual(
            [name for name, info in (yield self.shell.list(()))], ["\udcff.txt"]
        )
        self.assertEqual((yield readFile(self.shell, ("\udcff.txt",))), b"latin")
        yield writeFile(self.shell, ("\udcfe.bin",), b"new")
        self.assertEqual(readLocal(os.path.join(self.root, b"\xfe.bin")), b"new")

    @inlineCallbacks
    def test_temporaryFilesHidden(self):
        """
        Temporary upload files, ours in progress (replacing a file) or
        left behind, are not listed.
        """
        writeLocal(os.path.join(self.root, b".ftpkit-upload.0123.tmp"), b"")
        writeLocal(os.path.join(self.root, b"f"), b"old")
        opened = yield self.shell.openForWriting(("f",))
        self.assertEqual(len(os.listdir(self.root)), 3)
        self.assertEqual([name for name, info in (yield self.shell.list(()))],
                         ["f"])
        yield opened.abort()
        self.assertEqual(sorted(os.listdir(self.root)),
                         [b".ftpkit-partial.f", b".ftpkit-upload.0123.tmp",
                          b"f"])

    @inlineCallbacks
    def test_replaceKeepsMode(self):
        """
        A file replaced by an upload keeps its permissions.
        """
        path = os.path.join(self.root, b"f")
        writeLocal(path, b"old")
        os.chmod(path, 0o600)
        yield writeFile(self.shell, ("f",), b"new")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)

    @inlineCallbacks
    def test_resumeOfMissingRefused(self):
        """
        Resuming an upload of a missing file is refused
        (L{RestPastEnd}), and makes none: it made one holding zeros
        before the bytes sent.
        """
        yield self.assertFailure(
            writeFile(self.shell, ("f",), b"z", offset=2), RestPastEnd)
        self.assertFalse(os.path.exists(os.path.join(self.root, b"f")))

    @inlineCallbacks
    def test_fifoRefused(self):
        """
        Something that is not a regular file cannot be read (and a FIFO
        does not hang the open).
        """
        os.mkfifo(os.path.join(self.root, b"fifo"))
        yield self.assertFailure(
            self.shell.openForReading(("fifo",)), PermissionDenied
        )
        entries = yield self.shell.list(())
        self.assertEqual(entries[0][1].kind, "other")

    @inlineCallbacks
    def test_rootThroughLink(self):
        """
        The root may itself be reached through a symbolic link.
        """
        link = os.fsencode(os.path.abspath(self.mktemp()))
        os.symlink(self.root, link)
        shell = FilesystemShell(link)
        yield writeFile(shell, ("f",), b"x")
        self.assertEqual((yield readFile(shell, ("f",))), b"x")
        self.assertEqual(len((yield shell.list(()))), 1)

    @inlineCallbacks
    def test_readFileClose(self):
        """
        C{close} of an open file is idempotent.
        """
        writeLocal(os.path.join(self.root, b"f"), b"x")
        opened = yield self.shell.openForReading(("f",))
        opened.close()
        opened.close()
        self.assertIsNone(opened._fd)

    @inlineCallbacks
    def test_descriptor(self):
        """
        An open file provides L{IDescriptorFile}: its descriptor, the open
        offset, the bytes to send and a runner for blocking calls on it.
        """
        writeLocal(os.path.join(self.root, b"f"), b"0123456789")
        opened = yield self.shell.openForReading(("f",), 6)
        self.assertTrue(verifyObject(IDescriptorFile, opened))
        descriptor = opened.descriptor()
        self.assertEqual(os.pread(descriptor.fd, 100, descriptor.offset),
                         b"6789")
        self.assertEqual((descriptor.size, descriptor.commit), (4, None))
        self.assertEqual((yield descriptor.run(os.pread, descriptor.fd, 2,
                                               0)), b"01")
        opened.close()

    @inlineCallbacks
    def test_directoryKeepsOwnerAccess(self):
        """
        C{setPermissions} (C{SITE CHMOD}) never takes its owner's read and
        search bits from a directory: a user who made one unreadable to the
        server (C{000}) and had the quota measured again had its files
        counted as nothing, and stored past the quota. A file takes the
        bits asked for.
        """
        os.mkdir(os.path.join(self.root, b"d"))
        writeLocal(os.path.join(self.root, b"f"), b"x")
        yield self.shell.setPermissions(("d",), 0o000)
        yield self.shell.setPermissions(("f",), 0o000)
        self.assertEqual(
            os.stat(os.path.join(self.root, b"d")).st_mode & 0o777, 0o500)
        self.assertEqual(
            os.stat(os.path.join(self.root, b"f")).st_mode & 0o777, 0o000)

    def test_readOnlyFileNotReplaced(self):
        """
        An upload does not replace a file the server may not write (made
        read-only with C{chmod 444}): the replacement is a rename, which
        needs only the directory's permission, so it went ahead where
        C{APPE}, a resume and other servers' C{STOR} are refused. (As
        root, who may write any file, the upload is opened with the
        effective user ID of C{nobody}, in a directory it can reach.)
        """
        root = os.fsencode(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, root)
        os.chmod(root, 0o777)
        path = os.path.join(root, b"f")
        writeLocal(path, b"keep")
        os.chmod(path, 0o444)
        shell = FilesystemShell(root, runner=maybeDeferred)
        opening = asNobody(shell.openForWriting, ("f",))
        self.failureResultOf(opening, PermissionDenied)
        self.assertEqual(readLocal(path), b"keep")

    def test_rootReplacedByFile(self):
        """
        A root replaced by a regular file while the shell is in use
        (C{rm -rf ROOT; echo x > ROOT}) is not a directory: its C{stat},
        and read fail with L{NoSuchFile}, its listing with L{NotDirectory}
        (C{550} each). Its C{stat}
        described the file, so that C{LIST /} and C{STAT /} showed one
        entry with an empty name, and C{RETR /} downloaded it.
        """
        root = os.fsencode(tempfile.mkdtemp())
        self.addCleanup(os.remove, root)
        shell = FilesystemShell(root, runner=maybeDeferred)
        os.rmdir(root)
        writeLocal(root, b"x")
        self.failureResultOf(shell.stat(()), NoSuchFile)
        self.failureResultOf(shell.list(()), NotDirectory)
        self.failureResultOf(shell.openForReading(()), NoSuchFile)

    @inlineCallbacks
    def test_descriptorRunBeforeClose(self):
        """
        A blocking call started through the descriptor's C{run} holds the
        descriptor open: a C{close} meanwhile waits for it.
        """
        writeLocal(os.path.join(self.root, b"f"), b"x" * 3000)
        started = []
        # Short calls on a local file system: the open is at once where
        # openat2 cannot tell either.
        shell = FilesystemShell(self.root, runner=lambda f, *a: (
            started.append((f, a)) or self.held), shortCalls=ShortCalls(
                self.root, mounts=lambda: [(b"/", "ext4")]))
        self.held = Deferred()
        opened = yield shell.openForReading(("f",))
        running = opened.descriptor().run(os.pread, opened._fd, 10, 0)
        [(function, args)] = started
        function(*args)  # What the worker thread would run.
        opened.close()
        self.assertIsNotNone(opened._fd)
        self.held.callback(None)
        yield running
        self.assertIsNone(opened._fd)

    @inlineCallbacks
    def test_writeDescriptor(self):
        """
        A file opened for writing at a known offset offers its descriptor,
        whose C{commit} puts the file in place (C{close} then has nothing
        left to do); one opened to append offers none.
        """
        writeLocal(os.path.join(self.root, b"f"), b"old")
        opened = yield self.shell.openForWriting(("f",))
        descriptor = opened.descriptor()
        self.assertEqual(descriptor.offset, 0)
        os.pwrite(descriptor.fd, b"new", 0)
        descriptor.commit(3)
        yield opened.close()
        with open(os.path.join(self.root, b"f"), "rb") as f:
            self.assertEqual(f.read(), b"new")
        self.assertEqual(os.listdir(self.root), [b"f"])
        appending = yield self.shell.openForWriting(("f",), append=True)
        self.assertIsNone(appending.descriptor())
        yield appending.abort()

    @inlineCallbacks
    def test_uploadBackpressure(self):
        """
        A producer writing faster than the disk is paused above the high
        water mark, then resumed, and every byte arrives.
        """
        data = os.urandom(3 * HIGH_WATER)
        opened = yield self.shell.openForWriting(("f",))
        consumer = yield opened.receive()
        producer = _CountingProducer(data, consumer)
        yield producer.start()
        yield opened.close()
        self.assertGreater(producer.pauses, 0)
        self.assertEqual(readLocal(os.path.join(self.root, b"f")), data)

    @inlineCallbacks
    def test_diskFull(self):
        """
        A write failing with C{ENOSPC} makes C{close} fail with
        L{InsufficientStorage}; the old file and no temporary file remain.
        """
        yield self._failingUpload(errno.ENOSPC, InsufficientStorage)

    @inlineCallbacks
    def test_quotaExceeded(self):
        """
        A write failing with C{EDQUOT} makes C{close} fail with
        L{QuotaExceeded}.
        """
        yield self._failingUpload(errno.EDQUOT, QuotaExceeded)

    @inlineCallbacks
    def _failingUpload(self, number, exception):
        """
        Upload over a file while every write fails with C{number}, and
        check that C{close} fails with C{exception} and changes nothing.
        """
        path = os.path.join(self.root, b"f")
        writeLocal(path, b"old")

        def failingWrite(fd, data, position, makeRoom=None):
            raise OSError(number, os.strerror(number))

        self.patch(diskqueue, "writeAll", failingWrite)
        yield self.assertFailure(
            writeFile(self.shell, ("f",), b"x" * (3 * HIGH_WATER)), exception
        )
        self.assertEqual(readLocal(path), b"old")
        # writeFile aborts a refused upload, as a cut one: having written
        # nothing over a file, it keeps an empty partial upload.
        self.assertEqual(sorted(os.listdir(self.root)),
                         [b".ftpkit-partial.f", b"f"])


class _CountingProducer(BytesProducer):
    """
    A L{BytesProducer} counting how often it was paused.

    @ivar pauses: the number of C{pauseProducing} calls.
    """

    pauses = 0

    def pauseProducing(self):
        """
        Count, then pause.
        """
        self.pauses += 1
        super().pauseProducing()

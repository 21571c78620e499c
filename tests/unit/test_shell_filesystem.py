"""
Tests for L{ftpkit.shells.filesystem}.
"""

import errno
import hashlib
import os
import pwd
import shutil
import tempfile

from twisted.internet.defer import (
    CancelledError,
    Deferred,
    gatherResults,
    inlineCallbacks,
    maybeDeferred,
)
from twisted.trial import unittest
from zope.interface.verify import verifyObject

from ftpkit.data.producers import BytesProducer
from ftpkit.errors import (
    InsufficientStorage,
    NoSuchFile,
    PermissionDenied,
    QuotaExceeded,
)
from ftpkit.fileinfo import LINK
from ftpkit.interfaces import IDescriptorFile
from ftpkit.shells import diskhash, diskqueue
from ftpkit.shells.diskpaths import jailFor
from ftpkit.shells.diskqueue import HIGH_WATER
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.testing import (
    IFTPShellConformanceMixin,
    readFile,
    writeFile,
)
from tests.scratch import (
    asNobody,
    readLocal,
    scratchDirectory,
    scratchRoot,
    writeLocal,
)


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
                         [b".ftpkit-upload.0123.tmp", b"f"])

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
    def test_resumeCreates(self):
        """
        Resuming an upload of a missing file creates it.
        """
        yield writeFile(self.shell, ("f",), b"z", offset=2)
        self.assertEqual(readLocal(os.path.join(self.root, b"f")), b"\0\0z")

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

    @inlineCallbacks
    def test_descriptorRunBeforeClose(self):
        """
        A blocking call started through the descriptor's C{run} holds the
        descriptor open: a C{close} meanwhile waits for it.
        """
        writeLocal(os.path.join(self.root, b"f"), b"x" * 3000)
        started = []
        shell = FilesystemShell(self.root, runner=lambda f, *a: (
            started.append((f, a)) or self.held))
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

        def failingWrite(fd, data, position):
            raise OSError(number, os.strerror(number))

        self.patch(diskqueue, "writeAll", failingWrite)
        yield self.assertFailure(
            writeFile(self.shell, ("f",), b"x" * (3 * HIGH_WATER)), exception
        )
        self.assertEqual(readLocal(path), b"old")
        self.assertEqual(os.listdir(self.root), [b"f"])


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


class JailTests(unittest.TestCase):
    """
    Symbolic links never lead a L{FilesystemShell} outside its root.
    """

    def setUp(self):
        base = scratchRoot(self)
        self.root = os.path.join(base, b"root")
        self.outside = os.path.join(base, b"outside")
        os.mkdir(self.root)
        os.mkdir(self.outside)
        self.secret = os.path.join(self.outside, b"secret.txt")
        writeLocal(self.secret, b"secret")
        os.mkdir(os.path.join(self.root, b"sub"))
        writeLocal(os.path.join(self.root, b"sub", b"f.txt"), b"inside")
        os.symlink(self.outside, os.path.join(self.root, b"out"))
        os.symlink(self.secret, os.path.join(self.root, b"secret"))
        os.symlink(b"sub", os.path.join(self.root, b"in"))
        os.symlink(b"sub/f.txt", os.path.join(self.root, b"inFile"))
        os.symlink(b"../../outside/secret.txt", os.path.join(self.root, b"sub", b"up"))
        self.shell = FilesystemShell(self.root)

    @inlineCallbacks
    def test_refused(self):
        """
        Every operation through a link leading outside fails with
        L{PermissionDenied}.
        """
        shell = self.shell
        for path in [("secret",), ("out",), ("out", "secret.txt"), ("sub", "up")]:
            for operation in [
                shell.stat(path),
                shell.openForReading(path),
                shell.openForWriting(path),
                shell.openForWriting(path, 1),
                shell.openForWriting(path, append=True),
                shell.setModificationTime(path, 1000),
                shell.hash(path, "sha256"),
            ]:
                yield self.assertFailure(operation, PermissionDenied)
        for operation in [
            shell.list(("out",)),
            shell.makeDirectory(("out", "d")),
            shell.removeFile(("out", "secret.txt")),
            shell.rename(("out", "secret.txt"), ("stolen",)),
            shell.rename(("sub", "f.txt"), ("out", "planted")),
            shell.openForWriting(("out", "new.txt")),
        ]:
            yield self.assertFailure(operation, PermissionDenied)
        self.assertEqual(readLocal(self.secret), b"secret")
        self.assertEqual(os.listdir(self.outside), [b"secret.txt"])
        self.assertNotEqual(os.stat(self.secret).st_mtime, 1000)

    @inlineCallbacks
    def test_listShowsEscapingLinks(self):
        """
        A link leading outside is listed as a link, not followed; links
        staying inside are listed as what they point at.
        """
        entries = dict((yield self.shell.list(())))
        self.assertEqual(entries["out"].kind, LINK)
        self.assertEqual(entries["secret"].kind, LINK)
        self.assertNotEqual(entries["secret"].size, len(b"secret"))
        self.assertEqual(entries["in"].kind, "dir")
        self.assertEqual(entries["inFile"].kind, "file")
        self.assertEqual(entries["inFile"].size, len(b"inside"))

    @inlineCallbacks
    def test_insideLinksWork(self):
        """
        Links staying inside the root can be read, listed and written
        through.
        """
        self.assertEqual((yield readFile(self.shell, ("inFile",))), b"inside")
        self.assertEqual((yield readFile(self.shell, ("in", "f.txt"))), b"inside")
        names = [name for name, info in (yield self.shell.list(("in",)))]
        self.assertEqual(names, ["f.txt", "up"])
        self.assertTrue((yield self.shell.stat(("in",))).isDirectory)
        yield writeFile(self.shell, ("inFile",), b"changed")
        self.assertEqual(
            readLocal(os.path.join(self.root, b"sub", b"f.txt")), b"changed"
        )
        self.assertTrue(os.path.islink(os.path.join(self.root, b"inFile")))

    @inlineCallbacks
    def test_removeEscapingLink(self):
        """
        Removing a link leading outside removes the link, not its target.
        """
        yield self.shell.removeFile(("secret",))
        self.assertFalse(os.path.lexists(os.path.join(self.root, b"secret")))
        self.assertEqual(readLocal(self.secret), b"secret")

    def test_missingInsideLink(self):
        """
        A dangling link inside the root is a missing file.
        """
        os.symlink(b"nowhere", os.path.join(self.root, b"dangling"))
        return self.assertFailure(self.shell.stat(("dangling",)), NoSuchFile)


class ListSomeJailTests(unittest.TestCase):
    """
    L{FilesystemShell.listSome} describes entries as C{list} does (links
    outside the root by themselves) and names nothing but entries.
    """

    setUp = JailTests.setUp

    @inlineCallbacks
    def test_asListed(self):
        """
        Each entry is described as C{list} describes it, links included.
        """
        names = ["in", "inFile", "out", "secret", "sub"]
        listed = yield self.shell.list(())
        self.assertEqual((yield self.shell.listSome((), names)), listed)

    @inlineCallbacks
    def test_onlyEntries(self):
        """
        A name that is not one segment (C{".."}, C{"sub/f.txt"}) is left
        out rather than looked up.
        """
        some = yield self.shell.listSome(
            ("sub",), ["..", ".", "../out", "f.txt/..", "x\0", "f.txt"])
        self.assertEqual([name for name, _ in some], ["f.txt"])


class WalkTests(unittest.TestCase):
    """
    L{Jail.walk} resolves a path as L{FilesystemShell._resolve} does, and
    tells what it learnt of the last segment.
    """

    def setUp(self):
        self.root = scratchRoot(self)
        os.mkdir(os.path.join(self.root, b"sub"))
        writeLocal(os.path.join(self.root, b"sub", b"f.txt"), b"x")
        os.symlink(b"sub/f.txt", os.path.join(self.root, b"link"))
        self.jail = jailFor(self.root)

    def test_file(self):
        """
        A file's C{stat} comes with its path.
        """
        real, found = self.jail.walk(("sub", "f.txt"))
        self.assertEqual(real, os.path.join(self.root, b"sub", b"f.txt"))
        self.assertEqual(found, os.stat(real))

    def test_missing(self):
        """
        C{False} where the last segment is missing; C{None} where a
        directory on the way is (the walk stopped before the last).
        """
        real, found = self.jail.walk(("sub", "new.txt"))
        self.assertEqual(real, os.path.join(self.root, b"sub", b"new.txt"))
        self.assertIs(found, False)
        real, found = self.jail.walk(("nodir", "new.txt"))
        self.assertEqual(real, os.path.join(self.root, b"nodir", b"new.txt"))
        self.assertIsNone(found)

    def test_link(self):
        """
        Through a symbolic link, the link's own C{lstat} is not given: the
        caller asks for the target's.
        """
        real, found = self.jail.walk(("link",))
        self.assertEqual(real, os.path.realpath(
            os.path.join(self.root, b"sub", b"f.txt")))
        self.assertIsNone(found)

    def test_notFollowed(self):
        """
        Without following the last segment, it is only named.
        """
        real, found = self.jail.walk(("link",), followLast=False)
        self.assertEqual(real, os.path.join(self.root, b"link"))
        self.assertIsNone(found)


class WriteAllTests(unittest.TestCase):
    """
    L{diskqueue.writeAll} writes every chunk, in order, whatever the
    kernel takes per call.
    """

    def setUp(self):
        self.path = self.mktemp()
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT)
        self.addCleanup(os.close, self.fd)

    def test_manyChunks(self):
        """
        More chunks than one C{pwritev} takes, empty ones among them, at an
        offset.
        """
        chunks = [bytes([i % 256]) * (i % 7) for i in range(5000)]
        diskqueue.writeAll(self.fd, chunks, 3)
        self.assertEqual(readLocal(self.path), b"\0\0\0" + b"".join(chunks))

    def test_boundedCalls(self):
        """
        No call is given more than L{diskqueue.WRITE_CALL_SIZE} bytes, be
        the chunks small or large; every byte still lands in order.
        """
        real = os.pwritev
        sizes = []

        def recording(fd, buffers, position):
            sizes.append(sum(len(buffer) for buffer in buffers))
            return real(fd, buffers, position)
        self.patch(os, "pwritev", recording)
        limit = diskqueue.WRITE_CALL_SIZE
        chunks = [b"a" * 16384] * 9 + [b"b" * (3 * limit + 5), b"c" * 7]
        diskqueue.writeAll(self.fd, chunks, 0)
        self.assertLessEqual(max(sizes), limit)
        self.assertEqual(sum(sizes), sum(len(chunk) for chunk in chunks))
        self.assertEqual(readLocal(self.path), b"".join(chunks))

    def test_shortWrites(self):
        """
        A write that takes fewer bytes than given is carried on from there,
        mid-chunk too; without a position, C{writev} is used the same way.
        """
        real = os.pwritev

        def short(fd, buffers, position):
            return real(fd, [bytes(buffers[0][:5])], position)
        self.patch(os, "pwritev", short)
        chunks = [b"abcdefgh", b"ij", b"klmnopqrstu"]
        diskqueue.writeAll(self.fd, chunks, 0)
        self.assertEqual(readLocal(self.path), b"abcdefghijklmnopqrstu")
        os.lseek(self.fd, 0, os.SEEK_END)
        realWritev = os.writev
        self.patch(os, "writev",
                   lambda fd, buffers: realWritev(fd, [bytes(buffers[0][:3])]))
        diskqueue.writeAll(self.fd, [b"vwxyz", b"!"], None)
        self.assertEqual(readLocal(self.path), b"abcdefghijklmnopqrstuvwxyz!")


class TemporaryNameTests(unittest.TestCase):
    """
    Temporary upload files get names unique in the process, hidden from
    listings, and another name when one is taken.
    """

    def setUp(self):
        self.directory = os.fsencode(self.mktemp())
        os.makedirs(self.directory)

    def test_unique(self):
        """
        Names differ, and each is one that listings hide.
        """
        from ftpkit.shells import uploads

        names = {uploads.temporaryName(b"f") for _ in range(100)}
        self.assertEqual(len(names), 100)
        self.assertTrue(all(uploads.isHidden(n) for n in names))

    def test_takenNameSkipped(self):
        """
        A name someone already created is not opened: the next one is.
        """
        from ftpkit.shells import uploadnames

        taken = os.path.join(self.directory, b"taken")
        writeLocal(taken, b"someone else's")
        names = iter([b"taken", b"free"])
        self.patch(uploadnames, "temporaryName", lambda target: next(names))
        fd, path = uploadnames.createTemporary(
            os.path.join(self.directory, b"target"))
        os.close(fd)
        self.assertEqual(path, os.path.join(self.directory, b"free"))
        self.assertEqual(readLocal(taken), b"someone else's")

    def test_allTaken(self):
        """
        When every name tried is taken, C{FileExistsError}.
        """
        from ftpkit.shells import uploadnames

        writeLocal(os.path.join(self.directory, b"taken"), b"x")
        self.patch(uploadnames, "temporaryName", lambda target: b"taken")
        self.assertRaises(FileExistsError, uploadnames.createTemporary,
                          os.path.join(self.directory, b"target"))


class HashStepTests(unittest.TestCase):
    """
    L{FilesystemShell.hash} checksums a big file in steps, each a call of
    its own to the runner, so that a first-come, first-served lane
    alternates between checksums.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        self.calls = []
        self.queued = []

    def runner(self, function, *args):
        """
        Queue a blocking call, run by L{drain} in the order they came.
        """
        done = Deferred()
        self.queued.append((done, function, args))
        return done

    def drain(self):
        while self.queued:
            done, function, args = self.queued.pop(0)
            self.calls.append(args[-2] if args[0] is diskhash.hashStep
                              else None)
            try:
                result = function(*args)
            except Exception:
                done.errback()
            else:
                done.callback(result)

    def bigFile(self, name, size):
        data = (name.encode("ascii") * size)[:size]
        with open(os.path.join(self.root, name), "wb") as f:
            f.write(data)
        return hashlib.sha256(data).hexdigest()

    def test_steps(self):
        """
        A file of two and a half steps is read in three, and checksummed
        whole.
        """
        size = diskhash.HASH_STEP_SIZE * 5 // 2
        expected = self.bigFile("a", size)
        shell = FilesystemShell(self.root, runner=self.runner)
        hashing = shell.hash(("a",), "sha256")
        self.drain()
        self.assertEqual(self.successResultOf(hashing), expected)
        step = diskhash.HASH_STEP_SIZE
        self.assertEqual(self.calls, [None, 0, step, 2 * step])

    def test_alternate(self):
        """
        Two checksums at once take their steps in turn.
        """
        size = diskhash.HASH_STEP_SIZE * 2
        expected = [self.bigFile("a", size), self.bigFile("b", size)]
        shell = FilesystemShell(self.root, runner=self.runner)
        hashing = [shell.hash((name,), "sha256") for name in ("a", "b")]
        self.drain()
        self.assertEqual([self.successResultOf(each) for each in hashing],
                         expected)
        step = diskhash.HASH_STEP_SIZE
        self.assertEqual(self.calls, [None, None, 0, 0, step, step])

    def test_cancel(self):
        """
        A checksum cancelled during a step fails at once with
        C{CancelledError}, takes no further step once that one ends, and
        closes its file then, not under the step still reading it.
        """
        self.bigFile("a", diskhash.HASH_STEP_SIZE * 3)
        shell = FilesystemShell(self.root, runner=self.runner)
        hashing = shell.hash(("a",), "sha256")
        done, function, args = self.queued.pop(0)
        digest, fd, stop = function(*args)
        done.callback((digest, fd, stop))
        self.assertEqual(len(self.queued), 1)
        hashing.cancel()
        self.failureResultOf(hashing, CancelledError)
        os.fstat(fd)
        self.drain()
        self.assertEqual(self.calls, [0])
        self.assertRaises(OSError, os.fstat, fd)

"""
Tests for L{ftpkit.shells.fsspecshell}: what is particular to the shell
(the conformance kit on its filesystems is in
L{tests.integration.test_fsspec_conformance}).
"""


from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.errors import InvalidPath, LocalError, MovedIntoItself, NoSuchFile
from tests.scratch import asNobody, scratchDirectory
from tests.storageservers import sshServer

try:
    import fsspec
except ImportError:
    fsspec = None

if fsspec is not None:
    from fsspec.implementations.local import LocalFileSystem

    from ftpkit.shells.fsspecbackends import (
        LocalBackend,
        MemoryBackend,
        ObjectStoreBackend,
        S3Backend,
        SFTPBackend,
        backendFor,
    )
    from ftpkit.shells.fsspeccalls import translateError
    from ftpkit.shells.fsspecfiles import TEMPORARY_PREFIX
    from ftpkit.shells.fsspecgeneric import Backend, asTimestamp
    from ftpkit.shells.fsspecshell import FsspecShell, describe

_NO_FSSPEC = "fsspec is not installed (pip install -e '.[dev]')"


def memoryShell():
    """
    @return: an L{FsspecShell} on a new, private fsspec memory filesystem.
    """
    fs = fsspec.filesystem("memory", global_store=False, skip_instance_cache=True)
    return FsspecShell(fs, "")


class SFTPReconnectTests(unittest.TestCase):
    """
    An SFTP connection that was lost is opened again.
    """

    if fsspec is None:
        skip = _NO_FSSPEC

    @defer.inlineCallbacks
    def test_reconnect(self):
        """
        The command that finds the connection gone opens it again before
        its call (as each call does where the SFTP backend has a
        deadline, so that the command after one that expired works), and
        works.
        """
        fs = sshServer().filesystem()
        root = scratchDirectory(self)
        shell = FsspecShell(fs, root)
        self.addCleanup(lambda: shell.call(lambda: fs.client.close()))
        before = fs.client
        before.close()
        info = yield shell.stat(())
        self.assertTrue(info.isDirectory)
        self.assertIsNot(fs.client, before)


class BackendTests(unittest.TestCase):
    """
    L{backendFor} picks what each kind of store can do.
    """

    if fsspec is None:
        skip = _NO_FSSPEC

    def test_kinds(self):
        """
        Each protocol gets its backend, and its label for replies.
        """

        class Fake:
            def __init__(self, protocol):
                self.protocol = protocol

        cases = [(("s3", "s3a"), S3Backend, "S3"),
                 (("gcs", "gs"), ObjectStoreBackend, "GCS"),
                 (("file", "local"), LocalBackend, "local"),
                 (("sftp", "ssh"), SFTPBackend, "SFTP"),
                 ("memory", MemoryBackend, "memory"),
                 ("webdav", Backend, "webdav")]
        for protocol, kind, label in cases:
            backend = backendFor(Fake(protocol))
            self.assertIs(type(backend), kind)
            self.assertEqual(backend.label, label)

    def test_refusals(self):
        """
        An object store refuses resuming, appending, renaming directories
        and setting times, saying which storage it is.
        """
        from ftpkit.errors import CommandNotImplemented, PermissionDenied

        backend = ObjectStoreBackend("S3")
        e = self.assertRaises(CommandNotImplemented, backend.refuseResume, True)
        self.assertEqual(e.message, "Appending is not supported by S3 storage:"
                         " it writes whole objects; send the whole file")
        e = self.assertRaises(CommandNotImplemented, backend.refuseResume, False)
        self.assertIn("REST before STOR", e.message)
        e = self.assertRaises(PermissionDenied, backend.refuseDirectoryRename)
        self.assertIn("Renaming a directory", e.message)
        self.assertRaises(CommandNotImplemented, backend.setModificationTime,
                          None, "b/f", 0)
        LocalBackend("local").refuseResume(True)

    def test_writesAtOffsets(self):
        """
        The shell says its uploads write at offsets
        (L{ftpkit.interfaces.IFTPShellUploadOffsets}) on the local disk,
        SFTP and memory; not on object stores, nor on a store ftpkit
        knows nothing particular about, whose resumes and appends it
        refuses; the wrappers a realm puts around it say what it says.
        """
        from ftpkit.interfaces import IFTPShellUploadOffsets
        from ftpkit.shells.permissions import PermissionShell
        from ftpkit.shells.permissiontable import PermissionTable
        from ftpkit.shells.wrappers import ReadOnlyShell, UploadOnlyShell

        fs = fsspec.filesystem("memory", global_store=False,
                               skip_instance_cache=True)
        cases = [(LocalBackend("local"), True), (SFTPBackend("SFTP"), True),
                 (MemoryBackend("memory"), True), (S3Backend("S3"), False),
                 (ObjectStoreBackend("GCS"), False), (Backend("x"), False)]
        for backend, writes in cases:
            shell = FsspecShell(fs, "", backend=backend)
            for wrapped in (shell, ReadOnlyShell(shell),
                            UploadOnlyShell(shell),
                            PermissionShell(shell, PermissionTable([]))):
                self.assertTrue(IFTPShellUploadOffsets.providedBy(wrapped))
                self.assertIs(wrapped.writesAtOffsets(), writes, backend)

    def test_timestamps(self):
        """
        Times come as datetimes, numbers or ISO strings.
        """
        from datetime import datetime, timezone

        stamp = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        self.assertEqual(asTimestamp(stamp), stamp.timestamp())
        self.assertEqual(asTimestamp(stamp.replace(tzinfo=None)), stamp.timestamp())
        self.assertEqual(asTimestamp("2020-01-02T03:04:05Z"), stamp.timestamp())
        self.assertEqual(asTimestamp(12), 12.0)
        self.assertIsNone(asTimestamp("soon"))
        self.assertIsNone(asTimestamp(None))
        self.assertEqual(Backend("x").mtimeOf(None, {"LastModified": stamp}),
                         stamp.timestamp())

    def test_noTime(self):
        """
        An entry with no time (an object store's prefix) has an unknown
        modification time, C{None}, not the epoch; so has a directory of
        C{memory://}, which keeps no time for directories, while its files
        keep theirs.
        """
        self.assertIsNone(Backend("x").mtimeOf(None, {"type": "directory"}))
        shell = memoryShell()
        shell.fs.mkdir("/d")
        shell.fs.pipe("/d/f", b"x")

        def check(infos):
            directory, root, file = infos
            self.assertIsNone(directory.mtime)
            self.assertIsNone(root.mtime)
            self.assertGreater(file.mtime, 1e9)

        return defer.gatherResults(
            [shell.stat(("d",)), shell.stat(()), shell.stat(("d", "f"))]
        ).addCallback(check)


class ShellTests(unittest.TestCase):
    """
    What is particular to L{FsspecShell}, on fsspec's memory filesystem.
    """

    if fsspec is None:
        skip = _NO_FSSPEC

    def test_translateError(self):
        """
        Exceptions become FTP errors; unknown ones a L{LocalError}.
        """
        import errno

        self.assertIsInstance(translateError(FileNotFoundError()), NoSuchFile)
        self.assertIsInstance(translateError(RuntimeError("x")), LocalError)
        self.assertIsInstance(translateError(UnicodeEncodeError(
            "utf-8", "\udcff", 0, 1, "surrogates")), InvalidPath)
        self.assertEqual(translateError(OSError(errno.ENOSPC, "full")).code, 452)

    @defer.inlineCallbacks
    def test_renameIntoItself(self):
        """
        A directory cannot move below itself: L{MovedIntoItself}, the text
        every realm gives.
        """
        shell = memoryShell()
        yield shell.makeDirectory(("d",))
        error = yield self.assertFailure(shell.rename(("d",), ("d", "e")),
                                         MovedIntoItself)
        self.assertEqual(error.message, "Cannot move a directory into itself")
        yield shell.whenIdle()

    def test_describe(self):
        """
        An object's facts come from its metadata; the unique fact from its
        name.
        """
        backend = Backend("x")
        info = describe(backend, None, {"name": "b/f", "type": "file",
                                        "size": 5, "mtime": 7.0})
        self.assertEqual((info.kind, info.size, info.mtime, info.mode),
                         ("file", 5, 7.0, 0o644))
        other = describe(backend, None, {"name": "b/g", "type": "directory"})
        self.assertEqual((other.kind, other.mode), ("dir", 0o755))
        self.assertNotEqual(info.unique, other.unique)

    def test_unsupportedFeatures(self):
        """
        The shell says which FEAT lines its storage cannot honour, through
        the wrappers too.
        """
        from ftpkit.interfaces import IFTPShellFeatures
        from ftpkit.shells.wrappers import ReadOnlyShell

        shell = memoryShell()
        self.assertEqual(shell.unsupportedFeatures(), frozenset())
        shell.backend = ObjectStoreBackend("S3")
        wrapped = ReadOnlyShell(shell)
        self.assertTrue(IFTPShellFeatures.providedBy(wrapped))
        self.assertEqual(wrapped.unsupportedFeatures(), frozenset({"MFMT"}))

    @defer.inlineCallbacks
    def test_neverInReactorThread(self):
        """
        Every call to the filesystem is made off the reactor thread, so a
        slow store never holds up other sessions.
        """
        import threading

        fs = memoryShell().fs
        calls = []

        class Recording:
            protocol = fs.protocol

            def __getattr__(self, name):
                value = getattr(fs, name)
                if not callable(value):
                    return value

                def call(*args, **kwargs):
                    calls.append((name, threading.current_thread()
                                  is threading.main_thread()))
                    return value(*args, **kwargs)

                return call

        shell = FsspecShell(Recording(), "")
        yield shell.makeDirectory(("d",))
        opened = yield shell.openForWriting(("d", "f"))
        yield opened.writeAt(0, b"data")
        yield opened.close()
        opened = yield shell.openForReading(("d", "f"))
        self.assertEqual((yield opened.readAt(0, 10)), b"data")
        yield opened.close()
        yield shell.list(("d",))
        yield shell.rename(("d", "f"), ("g",))
        yield shell.setModificationTime(("g",), 1e9)
        yield shell.removeFile(("g",))
        yield shell.removeDirectory(("d",))
        self.assertGreater(len(calls), 10)
        self.assertEqual([name for name, inReactor in calls if inReactor], [])

    @defer.inlineCallbacks
    def test_renameKeepsModificationTimes(self):
        """
        On fsspec's memory filesystem, which moves a file by copying it,
        a renamed file, and the files of a renamed directory, keep their
        modification times, as on the disk.
        """
        shell = memoryShell()
        yield shell.makeDirectory(("d",))
        for path in (("f",), ("d", "g")):
            opened = yield shell.openForWriting(path)
            yield opened.writeAt(0, b"data")
            yield opened.close()
            yield shell.setModificationTime(path, 1e9)
        yield shell.rename(("f",), ("f2",))
        yield shell.rename(("d",), ("d2",))
        for path in (("f2",), ("d2", "g")):
            self.assertEqual((yield shell.stat(path)).mtime, 1e9, path)

    @defer.inlineCallbacks
    def test_uploadIntoPatternDirectory(self):
        """
        An upload into a directory whose name fsspec would take for a
        pattern (C{[1]}, C{*}) becomes the file, and replaces it: its
        temporary sibling is moved by name (it got C{550}).
        """
        shell = memoryShell()
        for directory in ("a [1]", "b*"):
            yield shell.makeDirectory((directory,))
            for data in (b"data", b"again"):
                opened = yield shell.openForWriting((directory, "f"))
                yield opened.writeAt(0, data)
                yield opened.close()
                self.assertEqual(
                    [name for name, info in (yield shell.list((directory,)))],
                    ["f"])
                self.assertEqual(shell.fs.cat_file("/%s/f" % (directory,)), data)

    @defer.inlineCallbacks
    def test_inPatternDirectory(self):
        """
        In a directory whose name fsspec would take for a pattern
        (C{[1]}, C{*}), a directory is renamed with what it holds (it got
        C{550}, said to have such a name itself), and a file is renamed
        and deleted, an empty directory removed.
        """
        shell = memoryShell()
        for parent in ("p [1]", "q*"):
            yield shell.makeDirectory((parent,))
            yield shell.makeDirectory((parent, "sub"))
            yield shell.makeDirectory((parent, "sub", "deep"))
            for name in ("sub", "f"), ("sub", "deep", "g"), ("h",):
                opened = yield shell.openForWriting((parent,) + name)
                yield opened.writeAt(0, name[-1].encode())
                yield opened.close()
            yield shell.rename((parent, "sub"), (parent, "other"))
            yield shell.rename((parent, "h"), (parent, "other", "i"))
            self.assertEqual(
                sorted(shell.fs.find("/" + parent, withdirs=True)),
                ["/" + parent] + ["/%s/other%s" % (parent, rest) for rest in (
                    "", "/deep", "/deep/g", "/f", "/i")])
            self.assertEqual(
                shell.fs.cat_file("/%s/other/deep/g" % (parent,)), b"g")
            yield shell.removeFile((parent, "other", "deep", "g"))
            yield shell.removeDirectory((parent, "other", "deep"))
            self.assertEqual(
                [name for name, info in (yield shell.list((parent, "other")))],
                ["f", "i"])

    @defer.inlineCallbacks
    def test_uploadInProgressHidden(self):
        """
        The temporary sibling of an upload in progress is not listed, and
        the upload replaces the file only once closed.
        """
        shell = memoryShell()
        opened = yield shell.openForWriting(("f",))
        yield opened.writeAt(0, b"data")
        self.assertTrue(any(name.rpartition("/")[2].startswith(TEMPORARY_PREFIX)
                            for name in shell.fs.store))
        self.assertEqual((yield shell.list(())), [])
        yield opened.close()
        self.assertEqual([name for name, info in (yield shell.list(()))], ["f"])
        self.assertEqual(sorted(shell.fs.store), ["/f"])

    @defer.inlineCallbacks
    def test_reservedNamesRefused(self):
        """
        No client may name an upload's temporary sibling (or anything
        called like one): looking at, downloading, replacing, renaming or
        removing one fails with L{InvalidPath} (553), as in the filesystem
        shell, and nothing reaches the store.
        """
        shell = memoryShell()
        opened = yield shell.openForWriting(("f",))
        yield opened.writeAt(0, b"data")
        [temporary] = [name.rpartition("/")[2] for name in shell.fs.store]
        for name in (temporary, TEMPORARY_PREFIX + "x"):
            for path in ((name,), ("d", name), (name, "f")):
                for method, args in (
                    (shell.stat, (path,)),
                    (shell.list, (path,)),
                    (shell.openForReading, (path,)),
                    (shell.openForWriting, (path,)),
                    (shell.removeFile, (path,)),
                    (shell.removeDirectory, (path,)),
                    (shell.makeDirectory, (path,)),
                    (shell.setModificationTime, (path, 1e9)),
                    (shell.rename, (path, ("g",))),
                    (shell.rename, (("f",), path)),
                ):
                    yield self.assertFailure(method(*args), InvalidPath)
        yield opened.close()
        self.assertEqual(sorted(shell.fs.store), ["/f"])

    @defer.inlineCallbacks
    def test_writesInOrder(self):
        """
        A replacing upload refuses a write that does not follow the last.
        """
        shell = memoryShell()
        opened = yield shell.openForWriting(("f",))
        yield opened.writeAt(0, b"abc")
        yield self.assertFailure(opened.writeAt(10, b"x"), LocalError)
        yield opened.abort()
        yield self.assertFailure(opened.writeAt(3, b"x"), LocalError)
        self.assertEqual(sorted(shell.fs.store), [])

    def test_grownBlockSize(self):
        """
        An upload's parts double each time it has sent 1,000 parts' worth,
        so that a 5 TiB object takes fewer than 10,000 parts of at least
        5 MiB.
        """
        from ftpkit.shells.fsspecfiles import grownBlockSize

        MiB = 1024 * 1024
        self.assertEqual(grownBlockSize(1024 * MiB, 5 * MiB), 5 * MiB)
        self.assertEqual(grownBlockSize(5000 * MiB + 1, 5 * MiB), 10 * MiB)
        written, blockSize, parts = 0, 5 * MiB, 0
        while written < 5 * 1024 * 1024 * MiB:
            blockSize = grownBlockSize(written, blockSize)
            written += blockSize
            parts += 1
        self.assertLess(parts, 10000)

    def test_writerGrowsParts(self):
        """
        An object-store upload's file object is given larger parts as the
        upload grows.
        """
        from ftpkit.shells.fsspecfiles import CommitOnCloseWriter

        class Handle:
            blocksize = 10

            def write(self, data):
                pass

        handle = Handle()
        writer = CommitOnCloseWriter(handle)
        writer.writeAt(0, b"x" * 10000)
        self.assertEqual(handle.blocksize, 10)
        writer.writeAt(10000, b"x")
        self.assertEqual(handle.blocksize, 20)

    @defer.inlineCallbacks
    def test_readAt(self):
        """
        Reads are counted from the open offset; past the end is C{b""}.
        """
        shell = memoryShell()
        shell.fs.pipe_file("/f", b"0123456789")
        opened = yield shell.openForReading(("f",), 4)
        self.assertEqual(opened.size, 6)
        self.assertEqual((yield opened.readAt(0, 3)), b"456")
        self.assertEqual((yield opened.readAt(4, 100)), b"89")
        self.assertEqual((yield opened.readAt(6, 100)), b"")
        yield opened.close()

    @defer.inlineCallbacks
    def test_readWhileReplaced(self):
        """
        A download of C{memory://} keeps reading the file it opened when an
        upload replaces it meanwhile (it read the new file's bytes from
        there on: a mix of both); a new download reads the new file.
        """
        shell = memoryShell()
        shell.fs.pipe_file("/f", b"old-content")
        opened = yield shell.openForReading(("f",))
        self.assertEqual((yield opened.readAt(0, 4)), b"old-")
        writer = yield shell.openForWriting(("f",))
        yield writer.writeAt(0, b"NEW-CONTENT")
        yield writer.close()
        self.assertEqual((yield opened.readAt(4, 100)), b"content")
        yield opened.close()
        again = yield shell.openForReading(("f",))
        self.assertEqual((yield again.readAt(0, 100)), b"NEW-CONTENT")
        yield again.close()

    @defer.inlineCallbacks
    def test_homeUnderRoot(self):
        """
        A shell shows its root's contents only.
        """
        shell = memoryShell()
        shell.fs.pipe_file("/home/alice/a", b"1")
        shell.fs.pipe_file("/home/bob/b", b"2")
        alice = FsspecShell(shell.fs, "/home/alice")
        self.assertEqual([n for n, i in (yield alice.list(()))], ["a"])
        yield self.assertFailure(alice.stat(("b",)), NoSuchFile)


class LocalSpecialFilesTests(unittest.TestCase):
    """
    A FIFO on C{file://}: listed as one, and never opened for a download
    (the open would wait for a writer, holding a thread of the pool).
    """

    if fsspec is None:
        skip = _NO_FSSPEC

    @defer.inlineCallbacks
    def test_fifo(self):
        """
        A FIFO is an L{ftpkit.fileinfo.OTHER} entry that is a
        L{ftpkit.fileinfo.FIFO}, and reading it fails with
        L{PermissionDenied} at once.
        """
        import os

        from ftpkit.errors import PermissionDenied
        from ftpkit.fileinfo import FIFO, OTHER

        root = scratchDirectory(self)
        os.mkfifo(os.path.join(root, "fifo"))
        shell = FsspecShell(LocalFileSystem(skip_instance_cache=True), root)
        [(name, info)] = yield shell.list(())
        self.assertEqual((name, info.kind, info.special), ("fifo", OTHER, FIFO))
        yield self.assertFailure(shell.openForReading(("fifo",)),
                                 PermissionDenied)


class _CallNow:
    """
    A pool that makes each call at once, in the calling thread.
    """

    def run(self, function, *args, **kwargs):
        """
        @return: a Deferred with what C{function} gives.
        """
        return defer.maybeDeferred(function, *args, **kwargs)


class LocalReadOnlyTests(unittest.TestCase):
    """
    A file the server may not write on C{file://}.
    """

    if fsspec is None:
        skip = _NO_FSSPEC

    def test_notReplaced(self):
        """
        An upload does not replace it (the move over it needs only the
        directory's permission), as the disk realm does not. (As root, who
        may write any file, the upload is opened with the effective user
        ID of C{nobody}.)
        """
        import os
        import shutil
        import tempfile

        from ftpkit.errors import PermissionDenied

        root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, root)
        os.chmod(root, 0o777)
        path = os.path.join(root, "f")
        with open(path, "wb") as f:
            f.write(b"keep")
        os.chmod(path, 0o444)
        shell = FsspecShell(LocalFileSystem(skip_instance_cache=True), root,
                            pool=_CallNow())
        opening = asNobody(shell.openForWriting, ("f",))
        self.failureResultOf(opening, PermissionDenied)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), b"keep")


class CreateTests(unittest.TestCase):
    """
    Which fsspec shells provide L{ftpkit.interfaces.IFTPShellCreate}: those
    whose backend puts a new file in place only if its name is free, in
    one step (the local disk's C{link(2)}, SFTP's plain C{RENAME}); the
    conformance kit's C{test_create} then runs for them
    (L{LocalConformanceTests}, L{SFTPConformanceTests}).
    """

    if fsspec is None:
        skip = _NO_FSSPEC

    def test_provided(self):
        """
        The C{file://} shell provides it, through the wrappers too; the
        C{memory://} one does not.
        """
        from ftpkit.interfaces import IFTPShellCreate
        from ftpkit.shells.wrappers import UploadOnlyShell

        local = FsspecShell(LocalFileSystem(skip_instance_cache=True),
                            scratchDirectory(self))
        self.assertTrue(IFTPShellCreate.providedBy(local))
        self.assertTrue(IFTPShellCreate.providedBy(UploadOnlyShell(local)))
        self.assertFalse(IFTPShellCreate.providedBy(memoryShell()))

    def test_providedOverSFTP(self):
        """
        The C{sftp://} shell provides it.
        """
        from ftpkit.interfaces import IFTPShellCreate

        shell = FsspecShell(sshServer().sharedFilesystem(),
                            scratchDirectory(self))
        self.assertTrue(IFTPShellCreate.providedBy(shell))

    @defer.inlineCallbacks
    def test_nameTakenByLink(self):
        """
        A dangling link has the name: a creating upload's commit fails
        with L{ftpkit.errors.AlreadyExists}, leaves the link, and leaves no
        temporary file.
        """
        import os

        from ftpkit.errors import AlreadyExists
        from ftpkit.shells.adapters import writeFileFor

        root = scratchDirectory(self)
        shell = FsspecShell(LocalFileSystem(skip_instance_cache=True), root)
        opened = writeFileFor((yield shell.openForCreating(("f",))))
        os.symlink("nowhere", os.path.join(root, "f"))
        consumer = yield opened.receive()
        consumer.write(b"data")
        yield self.assertFailure(opened.close(), AlreadyExists)
        self.assertEqual(os.listdir(root), ["f"])
        self.assertEqual(os.readlink(os.path.join(root, "f")), "nowhere")

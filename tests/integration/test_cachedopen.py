"""
Tests for L{ftpkit.shells.cachedopen} and the filesystem shell's and the
downloads' use of it.
"""

import errno
import os

from twisted.internet.defer import maybeDeferred
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.data.movers import _sendfile
from ftpkit.errors import IsDirectory, NoSuchFile, PermissionDenied
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells import cachedopen, diskopens
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.shortcalls import ShortCalls
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory

FLAGS = os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK


def _tree(testCase):
    """
    A root with a file, a directory, a FIFO and links (all inside).

    @return: the root's real path, C{bytes}.
    """
    root = os.fsencode(os.path.realpath(testCase.mktemp()))
    os.makedirs(os.path.join(root, b"d"))
    for name in (b"f", b"d/g"):
        with open(os.path.join(root, name), "wb") as f:
            f.write(b"content of " + name)
    os.symlink(b"f", os.path.join(root, b"fileLink"))
    os.symlink(b"d", os.path.join(root, b"dirLink"))
    os.mkfifo(os.path.join(root, b"fifo"))
    return root


def openCachedWorks():
    """
    @return: whether L{cachedopen.openCached} can open anything on this
        system (C{openat2} with C{RESOLVE_CACHED}, allowed).
    """
    fd = cachedopen.openCached(os.fsencode(os.path.realpath("/")),
                               os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    if fd is None:
        return False
    os.close(fd)
    return True


class OpenCachedTests(unittest.TestCase):
    """
    L{cachedopen.openCached} opens plain, cached paths and declines the
    rest.
    """

    def setUp(self):
        if not openCachedWorks():
            raise unittest.SkipTest("openat2 with RESOLVE_CACHED unavailable")
        self.root = _tree(self)

    def opened(self, *segments):
        fd = cachedopen.openCached(os.path.join(self.root, *segments), FLAGS)
        if fd is not None:
            self.addCleanup(os.close, fd)
        return fd

    def test_regularFile(self):
        """
        A file just written (so cached) is opened; it is that file.
        """
        os.stat(os.path.join(self.root, b"d", b"g"))
        fd = self.opened(b"d", b"g")
        self.assertIsNotNone(fd)
        self.assertEqual(os.read(fd, 100), b"content of d/g")

    def test_linksDeclined(self):
        """
        A symbolic link anywhere on the way makes it decline, so that the
        caller's jail decides.
        """
        self.assertIsNone(self.opened(b"fileLink"))
        self.assertIsNone(self.opened(b"dirLink", b"g"))

    def test_missingDeclined(self):
        """
        A missing file gives C{None}, not an exception.
        """
        self.assertIsNone(self.opened(b"nothing"))


class OpenWithoutLinksTests(unittest.TestCase):
    """
    L{cachedopen.openWithoutLinks} opens what C{os.open} would, but fails
    where a symbolic link is on the way.
    """

    def setUp(self):
        self.root = _tree(self)

    def test_plain(self):
        """
        A path without a link is opened; errors are C{os.open}'s.
        """
        fd = cachedopen.openWithoutLinks(
            os.path.join(self.root, b"d", b"g"), FLAGS)
        self.addCleanup(os.close, fd)
        self.assertEqual(os.read(fd, 100), b"content of d/g")
        error = self.assertRaises(
            OSError, cachedopen.openWithoutLinks,
            os.path.join(self.root, b"nothing"), FLAGS)
        self.assertEqual(error.errno, errno.ENOENT)

    def test_linkRefused(self):
        """
        A link anywhere on the way fails with C{ELOOP}.
        """
        if not openCachedWorks():
            raise unittest.SkipTest("openat2 unavailable")
        for segments in [(b"fileLink",), (b"dirLink", b"g")]:
            error = self.assertRaises(
                OSError, cachedopen.openWithoutLinks,
                os.path.join(self.root, *segments), os.O_RDONLY)
            self.assertEqual(error.errno, errno.ELOOP)

    def test_modes(self):
        """
        A file it makes gets the mode asked for (less the umask), each its
        own, whatever mode the call before asked for.
        """
        umask = os.umask(0o022)
        self.addCleanup(os.umask, umask)
        for name, mode in [(b"a", 0o640), (b"b", 0o604), (b"c", 0o640)]:
            path = os.path.join(self.root, name)
            fd = cachedopen.openWithoutLinks(
                path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            os.close(fd)
            self.assertEqual(os.stat(path).st_mode & 0o777, mode & ~0o022)

    def test_textRefused(self):
        """
        A path that is not C{bytes} is a C{TypeError}, from both opens,
        before any system call (through C{ctypes} a C{str} would be a
        wide string).
        """
        if not openCachedWorks():
            raise unittest.SkipTest("openat2 unavailable")
        path = os.path.join(os.fsdecode(self.root), "d", "g")
        self.assertRaises(TypeError, cachedopen.openWithoutLinks, path,
                          FLAGS)
        self.assertRaises(TypeError, cachedopen.openCached, path, FLAGS)
        self.assertFalse(cachedopen.gaveUp())

    def test_noSystemCallGivesUp(self):
        """
        Where there is no C{openat2} (C{ENOSYS}: a kernel before Linux
        5.6, a sandbox), it opens as C{os.open} does and stops trying it;
        an error that may be the file's own (C{EPERM}) does not stop it.
        """
        calls = []
        errors = [errno.EPERM, errno.ENOSYS]

        def syscall(*args):
            calls.append(args)
            return -1

        self.patch(cachedopen, "_syscall", syscall)
        self.patch(cachedopen.ctypes, "get_errno", lambda: errors[0])
        path = os.path.join(self.root, b"d", b"g")
        for expected in [1, 2, 2]:
            os.close(cachedopen.openWithoutLinks(path, os.O_RDONLY))
            self.assertEqual(len(calls), expected)
            if errors[1:]:
                errors.pop(0)
        self.assertTrue(cachedopen.gaveUp())

    def test_unavailable(self):
        """
        Without C{openat2}, it opens as C{os.open} does.
        """
        self.patch(cachedopen, "_syscall", None)
        fd = cachedopen.openWithoutLinks(
            os.path.join(self.root, b"dirLink", b"g"), os.O_RDONLY)
        self.addCleanup(os.close, fd)
        self.assertEqual(os.read(fd, 100), b"content of d/g")


class _RecordingRunner:
    """
    A shell runner that runs calls at once and records them.
    """

    def __init__(self):
        self.calls = 0

    def __call__(self, function, *args):
        self.calls += 1
        return maybeDeferred(function, *args)


class FilesystemShellFastOpenTests(unittest.TestCase):
    """
    L{FilesystemShell.openForReading} opens plain cached files without a
    disk thread, and leaves everything else to one.
    """

    def setUp(self):
        self.root = _tree(self)
        self.runner = _RecordingRunner()
        self.shell = FilesystemShell(self.root, runner=self.runner)

    def read(self, path):
        d = self.shell.openForReading(path)

        def content(reader):
            try:
                return os.pread(reader._fd, 100, 0)
            finally:
                reader.close()
        return d.addCallback(content)

    async def test_plainFileWithoutThread(self):
        """
        A plain file is opened at once, without the runner.
        """
        if not openCachedWorks():
            raise unittest.SkipTest("openat2 with RESOLVE_CACHED unavailable")
        d = self.read(("d", "g"))
        self.assertTrue(d.called)
        self.assertEqual(await d, b"content of d/g")
        self.assertEqual(self.runner.calls, 0)

    async def test_linksThroughThread(self):
        """
        Paths through links (inside the root) still work, by the runner.
        """
        self.assertEqual(await self.read(("fileLink",)), b"content of f")
        self.assertEqual(await self.read(("dirLink", "g")), b"content of d/g")
        self.assertEqual(self.runner.calls, 2)

    async def test_errorsThroughThread(self):
        """
        Directories, FIFOs and missing files are declined by the fast way
        and refused, as before, by the threaded one.
        """
        for path, error in [((), IsDirectory), (("d",), IsDirectory),
                            (("fifo",), PermissionDenied),
                            (("nothing",), NoSuchFile)]:
            await self.assertFailure(self.shell.openForReading(path), error)
        self.assertEqual(self.runner.calls, 4)

    async def test_unavailable(self):
        """
        Without C{openat2} every open takes the threaded way.
        """
        self.patch(diskopens, "openCached", lambda path, flags: None)
        self.assertEqual(await self.read(("f",)), b"content of f")
        self.assertEqual(self.runner.calls, 1)

    def shortCallsShell(self, kind):
        """
        @param kind: the file system type the mount table gives the root.
        @return: a shell on C{self.root} with short calls and
            C{self.runner}, on a system where C{openat2} gave up.
        """
        self.patch(cachedopen, "_syscall", None)
        return FilesystemShell(self.root, runner=self.runner,
                               shortCalls=ShortCalls(
                                   self.root, mounts=lambda: [(b"/", kind)]))

    async def test_gaveUpShortCall(self):
        """
        Where C{openat2} gave up, a download's open on a local file system
        is a short call: at once, without the runner; its errors are the
        threaded way's.
        """
        self.shell = self.shortCallsShell("ext4")
        d = self.read(("d", "g"))
        self.assertTrue(d.called)
        self.assertEqual(await d, b"content of d/g")
        self.assertEqual(await self.read(("fileLink",)), b"content of f")
        for path, error in [(("d",), IsDirectory),
                            (("fifo",), PermissionDenied),
                            (("nothing",), NoSuchFile)]:
            await self.assertFailure(self.shell.openForReading(path), error)
        self.assertEqual(self.runner.calls, 0)

    async def test_gaveUpNetworkThread(self):
        """
        Where C{openat2} gave up, a download's open on a network file
        system still takes the threaded way.
        """
        self.shell = self.shortCallsShell("nfs4")
        self.assertEqual(await self.read(("f",)), b"content of f")
        self.assertEqual(self.runner.calls, 1)


class IsCachedTests(unittest.TestCase):
    """
    L{cachedopen.isCached} tells whether a range of a file is in memory.
    """

    def test_evictedThenRead(self):
        """
        A file dropped from the page cache is not cached; once read, it is.
        """
        path = self.mktemp()
        with open(path, "wb") as f:
            f.write(os.urandom(1 << 20))
            f.flush()
            os.fsync(f.fileno())
        fd = os.open(path, os.O_RDONLY)
        self.addCleanup(os.close, fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        if cachedopen.isCached(fd, 0, 1 << 20):
            raise unittest.SkipTest("cannot evict or tell here")
        os.pread(fd, 1 << 20, 0)
        self.assertTrue(cachedopen.isCached(fd, 0, 1 << 20))
        self.assertTrue(cachedopen.isCached(fd, 4096, 10))


class ColdDownloadTests(LoopbackServerMixin, unittest.TestCase):
    """
    A download of a file that is not in memory has its ranges read in by
    a disk thread before C{sendfile} sends them.
    """

    async def test_coldFile(self):
        root = scratchDirectory(self)
        payload = os.urandom(9 << 20)
        path = os.path.join(root, "cold.bin")
        with open(path, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        fd = os.open(path, os.O_RDONLY)
        evicted = not cachedopen.isCached(fd, 0, 1)
        os.close(fd)
        if not evicted:
            raise unittest.SkipTest("cannot evict or tell here")
        warmed = []
        original = _sendfile.readInto

        def counting(fd, offset, count):
            warmed.append((offset, count))
            return original(fd, offset, count)
        self.patch(_sendfile, "readInto", counting)
        server = self.startServer(FilesystemRealm(root))

        def client():
            ftp = ftplibLogin(self, server.port, timeout=10)
            out = []
            ftp.retrbinary("RETR cold.bin", out.append)
            result = b"".join(out)
            ftp.quit()
            return result
        self.assertEqual(await self.inThread(client), payload)
        self.assertTrue(warmed)
        self.assertEqual(warmed[0][0], 0)

"""
Tests for L{ftpkit.shells.diskroom}: an upload that finds the disk full
drops the oldest kept partial uploads of its file system, and nothing
else.
"""

import os
import threading

from twisted.trial import unittest

from ftpkit.shells import diskroom, diskthreads, partialsweep, roompause
from ftpkit.shells.keptregistry import DISK_FULL
from ftpkit.shells.partialowners import recordResumer
from ftpkit.shells.partials import keepPartial
from tests.polling import waitFor
from tests.smallmounts import smallFilesystem


class _StatVFS:
    """
    A C{statvfs} result of a file system of C{blocks} 4 KiB blocks.
    """

    f_frsize = 4096

    def __init__(self, blocks):
        self.f_blocks = blocks


class RuleTests(unittest.SynchronousTestCase):
    """
    The pure parts: how much room, which roots, which order.
    """

    def test_roomWanted(self):
        """
        1/64 of the file system, at least L{diskroom.MIN_ROOM_MADE}.
        """
        self.assertEqual(diskroom.roomWanted(_StatVFS(256)),
                         diskroom.MIN_ROOM_MADE)
        self.assertEqual(diskroom.roomWanted(_StatVFS(1 << 20)),
                         (4 << 30) // 64)

    def test_outermost(self):
        """
        A root given twice, or inside another, is left out; C{/} holds
        every other.
        """
        self.assertEqual(diskroom.outermost([b"/a/b", b"/a", b"/c", b"/a"]),
                         [b"/a", b"/c"])
        self.assertEqual(diskroom.outermost([b"/ab", b"/a/"]),
                         [b"/ab", b"/a/"])
        self.assertEqual(diskroom.outermost([b"/x", b"/"]), [b"/"])

    def test_oldestFirst(self):
        """
        By modification time, the oldest first.
        """
        class Seen:
            def __init__(self, when):
                self.st_mtime = when
        found = [(b"/b", Seen(5), b"/"), (b"/a", Seen(9), b"/"),
                 (b"/c", Seen(1), b"/")]
        self.assertEqual([path for path, _, _ in diskroom.oldestFirst(found)],
                         [b"/c", b"/b", b"/a"])


class MakeRoomTests(unittest.TestCase):
    """
    L{diskroom.makeRoom} on a scratch tree, its room told by C{self.room}.
    """

    def setUp(self):
        self.root = os.fsencode(os.path.abspath(self.mktemp()))
        os.makedirs(os.path.join(self.root, b"home", b"bob"))
        self.fd = os.open(os.path.join(self.root, b"upload"),
                          os.O_RDWR | os.O_CREAT)
        self.addCleanup(os.close, self.fd)
        self.room = 0
        self.patch(diskroom, "roomLeft", lambda fd: self.room)
        self.patch(diskroom, "roomWanted", lambda result: 100)
        self.pauses = self.makePauses()
        self.patch(roompause, "_pauses", [self.pauses])
        self.now = 1000.0
        self.dropped = []

    def makePauses(self):
        """
        @return: the pauses of room-making the test runs with: a
            process's own.
        """
        return roompause.Pauses()

    def partial(self, relative, size, age, resumer=None):
        """
        Keep a partial upload of C{size} bytes, C{age} seconds old.

        @param relative: its path under the root, C{bytes}.
        @return: its path.
        """
        path = os.path.join(self.root, relative)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT)
        try:
            os.write(fd, b"x" * size)
            if resumer is not None:
                recordResumer(fd, resumer)
        finally:
            os.close(fd)
        when = 1e9 - age
        os.utime(path, (when, when))
        return path

    def makeRoom(self, roots=None):
        """
        @return: what L{diskroom.makeRoom} gives for the root.
        """
        def onDropped(root, path, resumer, size, reason):
            self.dropped.append((root, path, resumer, size, reason))
            self.room += size
        return diskroom.makeRoom(roots or [self.root], self.fd, onDropped,
                                 lambda: self.now)

    def test_oldestFirstUntilRoom(self):
        """
        The oldest partial uploads go first, wherever they are under the
        roots and whoever they are kept for, until the room wanted is
        free; each is told, with L{DISK_FULL}.
        """
        old = self.partial(b"home/bob/.ftpkit-partial.old", 60, 300, "bob")
        middle = self.partial(b".ftpkit-partial.middle", 50, 200)
        young = self.partial(b".ftpkit-partial.young", 70, 100)
        self.assertEqual(self.makeRoom(), 2)
        self.assertEqual(self.dropped, [
            (self.root, old, "bob", 60, DISK_FULL),
            (self.root, middle, None, 50, DISK_FULL)])
        self.assertFalse(os.path.exists(old) or os.path.exists(middle))
        self.assertTrue(os.path.exists(young))

    def test_onlyPartialUploads(self):
        """
        A user's file, a running upload's file and a partial upload a
        resume writes now (a temporary name) are never dropped.
        """
        kept = [self.partial(name, 500, 1000) for name in (
            b"file", b".ftpkit-upload.0123-4.f.tmp",
            b".ftpkit-upload.resuming.f.tmp")]
        os.mkdir(os.path.join(self.root, b".ftpkit-partial.directory"))
        self.assertEqual(self.makeRoom(), 0)
        self.assertEqual(self.dropped, [])
        self.assertTrue(all(map(os.path.exists, kept)))

    def test_roomThere(self):
        """
        Where the room wanted is free already (another upload made it
        meanwhile), nothing is dropped.
        """
        path = self.partial(b".ftpkit-partial.f", 10, 10)
        self.room = 100
        self.assertEqual(self.makeRoom(), 0)
        self.assertTrue(os.path.exists(path))

    def test_fruitlessPause(self):
        """
        After a walk that dropped nothing, the file system is not walked
        again for L{diskroom.FRUITLESS_PAUSE} seconds; then it is.
        """
        self.assertEqual(self.makeRoom(), 0)
        path = self.partial(b".ftpkit-partial.f", 10, 10)
        self.now += diskroom.FRUITLESS_PAUSE - 1
        self.assertEqual(self.makeRoom(), 0)
        self.assertTrue(os.path.exists(path))
        self.now += 1
        self.assertEqual(self.makeRoom(), 1)
        self.assertFalse(os.path.exists(path))

    def kept(self, name, size):
        """
        Keep a cut upload of C{size} bytes as the partial upload of
        C{name} in the root, as a cut upload is kept
        (L{ftpkit.shells.partials.keepPartial}).

        @return: its path.
        """
        temporary = os.path.join(self.root, b".ftpkit-upload.cut.tmp")
        fd = os.open(temporary, os.O_RDWR | os.O_CREAT)
        try:
            os.write(fd, b"x" * size)
            keepPartial(temporary, os.path.join(self.root, name), size,
                        fd=fd)
        finally:
            os.close(fd)
        return os.path.join(self.root, b".ftpkit-partial." + name)

    def test_pauseEndsWhenKept(self):
        """
        A partial upload kept after a fruitless walk ends the pause: the
        next upload that finds the disk full drops it (it waited
        L{diskroom.FRUITLESS_PAUSE} seconds before session 55).
        """
        self.assertEqual(self.makeRoom(), 0)
        path = self.kept(b"f", 10)
        self.now += 1
        self.assertEqual(self.makeRoom(), 1)
        self.assertFalse(os.path.exists(path))

    def test_emptyKeptPauses(self):
        """
        An empty partial upload (kept for a cut upload that replaced a
        file) frees nothing: the pause goes on.
        """
        self.assertEqual(self.makeRoom(), 0)
        self.kept(b"f", 0)
        self.partial(b".ftpkit-partial.g", 10, 10)
        self.assertEqual(self.makeRoom(), 0)

    def test_keptDuringWalk(self):
        """
        A walk that dropped none does not pause where a partial upload was
        kept while it ran (it may have walked past its directory).
        """
        real = diskroom.partialsOn

        def keptMeanwhile(roots, device):
            self.kept(b"f", 10)
            return iter(())
        self.patch(diskroom, "partialsOn", keptMeanwhile)
        self.assertEqual(self.makeRoom(), 0)
        self.patch(diskroom, "partialsOn", real)
        self.assertEqual(self.makeRoom(), 1)

    def test_mountNotEntered(self):
        """
        The walk does not enter a directory of another file system (a
        mount under a home): it walked it before session 55.
        """
        self.assertMountNotEntered()

    def test_mountNotEnteredWithoutTable(self):
        """
        Nor where there is no mount table to tell the mount points: each
        directory is looked at.
        """
        self.patch(partialsweep, "readMountRoots", lambda: [])
        self.assertMountNotEntered()

    def assertMountNotEntered(self):
        """
        A C{tmpfs} mounted under bob's home is not walked.
        """
        mount = os.path.join(self.root, b"home", b"bob", b"mnt")
        os.mkdir(mount)
        smallFilesystem(self, point=os.fsdecode(mount))
        os.mkdir(os.path.join(mount, b"deep"))
        scanned = []
        real = os.scandir

        def scandir(path):
            scanned.append(os.fsencode(path))
            return real(path)
        self.patch(partialsweep.os, "scandir", scandir)
        self.partial(b".ftpkit-partial.f", 10, 10)
        self.assertEqual(self.makeRoom(), 1)
        self.assertEqual(
            [path for path in scanned if path.startswith(mount)], [])

    async def test_oneWalkShared(self):
        """
        An upload that finds the disk full while another's walk runs on
        the same file system waits for that walk, without walking, in a
        thread the disk threads do not count as busy: a call made
        meanwhile gets a thread at once (it waited for the walk, every
        thread taken, before session 55).
        """
        from twisted.internet import reactor

        pool = diskthreads.DiskThreads(reactor, size=2, stuckAfter=3600)
        walking, release = threading.Event(), threading.Event()
        self.addCleanup(release.set)
        walks = []

        def slowWalk(roots, device):
            walks.append(device)
            walking.set()
            release.wait(60)
            return iter(())
        self.patch(diskroom, "partialsOn", slowWalk)
        first = pool.run(self.makeRoom)
        self.assertTrue(await waitFor(walking.is_set))
        second = pool.run(self.makeRoom)
        other = []
        pool.run(lambda: "other").addCallback(other.append)
        ran = await waitFor(lambda: other == ["other"])
        release.set()
        self.assertEqual((ran, await first, await second, len(walks)),
                         (True, 0, 0, 1))

    def test_otherFileSystem(self):
        """
        A partial upload on another file system is left.
        """
        path = self.partial(b".ftpkit-partial.f", 10, 10)
        device = os.stat(path).st_dev
        self.assertEqual(
            [found for found, _, _ in diskroom.partialsOn([self.root],
                                                          device)], [path])
        self.assertEqual(list(diskroom.partialsOn([self.root], device + 1)),
                         [])


class SharedPausesTests(MakeRoomTests):
    """
    The same, as a worker of C{--workers}: the pauses are files in the
    directory the workers share.
    """

    def makePauses(self):
        """
        @return: L{roompause.SharedPauses} in a new directory.
        """
        directory = self.mktemp()
        os.makedirs(directory)
        return roompause.SharedPauses(directory)

    def test_otherWorkerKept(self):
        """
        A partial upload another worker keeps ends this one's pause, and
        another worker's fruitless walk pauses this one.
        """
        other = roompause.SharedPauses(self.pauses._directory)
        self.assertEqual(self.makeRoom(), 0)
        device = os.fstat(self.fd).st_dev
        self.assertTrue(other.paused(device, self.now))
        path = self.partial(b".ftpkit-partial.f", 10, 10)
        other.kept(device)
        self.assertEqual(self.makeRoom(), 1)
        self.assertFalse(os.path.exists(path))

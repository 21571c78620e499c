"""
Tests for L{ftpkit.shells.diskroom}: an upload that finds the disk full
drops the oldest kept partial uploads of its file system, and nothing
else.
"""

import os

from twisted.trial import unittest

from ftpkit.shells import diskroom
from ftpkit.shells.keptregistry import DISK_FULL
from ftpkit.shells.partialowners import recordResumer


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
        self.patch(diskroom, "_fruitless", {})
        self.now = 1000.0
        self.dropped = []

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

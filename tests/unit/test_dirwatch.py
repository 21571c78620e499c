"""
Linux's inotify through C{ctypes} (L{ftpkit.compat.inotify}), the type
of a descriptor's file system (L{ftpkit.compat.mounts}) and the
generations of watched directories (L{ftpkit.shells.dirwatch}): events
that change a generation, and those that do not, a queue that overflows,
watches let go, directories removed or moved.
"""

import os
import struct
import sys
from types import SimpleNamespace

from twisted.trial import unittest

from ftpkit.compat.inotify import (
    IN_CREATE,
    IN_IGNORED,
    IN_MODIFY,
    IN_Q_OVERFLOW,
    Inotify,
    parseEvents,
)
from ftpkit.compat.mounts import LOCAL_TYPES, fileSystemType, isLocal
from ftpkit.shells.dirwatch import DirectoryWatcher

_LINUX = sys.platform.startswith("linux")


def _stat(nlink=1):
    return SimpleNamespace(st_mode=0o100644, st_nlink=nlink)


def _event(wd, mask, name=b"", cookie=0):
    """
    @return: the bytes of one C{struct inotify_event}, its name padded.
    """
    padded = name + b"\0" * (16 - len(name) % 16) if name else b""
    return struct.pack("iIII", wd, mask, cookie, len(padded)) + padded


class ParseEventsTests(unittest.TestCase):
    """
    L{parseEvents} splits a read into its events.
    """

    def test_events(self):
        """
        Each event's watch, mask, cookie and name (its padding removed);
        an event on the watched directory itself has no name.
        """
        data = (_event(1, IN_CREATE, b"a.txt") + _event(2, IN_IGNORED)
                + _event(1, IN_MODIFY, b"x" * 16, cookie=7))
        self.assertEqual(parseEvents(data), [
            (1, IN_CREATE, 0, b"a.txt"), (2, IN_IGNORED, 0, b""),
            (1, IN_MODIFY, 7, b"x" * 16)])

    def test_empty(self):
        self.assertEqual(parseEvents(b""), [])


class MountsTests(unittest.TestCase):
    """
    L{isLocal} tells the file systems whose changes inotify sees.
    """

    if not _LINUX:
        skip = "statfs's types are Linux's"

    def typeOf(self, path):
        fd = os.open(path, os.O_RDONLY)
        try:
            return fileSystemType(fd), isLocal(fd)
        finally:
            os.close(fd)

    def test_local(self):
        """
        The test's own directory is on a local file system (this suite
        runs on one).
        """
        kind, local = self.typeOf(os.path.abspath(self.mktemp().rsplit(
            os.sep, 1)[0] or "."))
        self.assertIn(kind, LOCAL_TYPES)
        self.assertTrue(local)

    def test_notLocal(self):
        """
        C{/proc} is not a file system whose changes inotify tells.
        """
        kind, local = self.typeOf("/proc")
        self.assertIsNotNone(kind)
        self.assertFalse(local)

    def test_badDescriptor(self):
        """
        A descriptor that is not open has no type.
        """
        fd = os.open("/", os.O_RDONLY)
        os.close(fd)
        self.assertIsNone(fileSystemType(fd))
        self.assertFalse(isLocal(fd))


class _FakeInotify:
    """An inotify whose events and watches a test gives."""

    def __init__(self):
        self.events = []
        self.watched = {}
        self.removed = []
        self.next = 1

    def addWatch(self, path, mask):
        wd = self.watched.get(path)
        if wd is None:
            wd = self.watched[path] = self.next
            self.next += 1
        return wd

    def removeWatch(self, wd):
        self.removed.append(wd)

    def read(self):
        events, self.events = self.events, []
        return events

    def close(self):
        pass


class FakeWatcherTests(unittest.TestCase):
    """
    L{DirectoryWatcher}'s generations, from the events given.
    """

    def setUp(self):
        self.inotify = _FakeInotify()
        self.watcher = DirectoryWatcher(self.inotify, maxWatches=2,
                                        lstat=self.lstat)
        self.links = {}

    def lstat(self, path):
        nlink = self.links.get(os.fsdecode(os.path.basename(path)))
        if nlink is None:
            raise FileNotFoundError(path)
        return _stat(nlink=nlink)

    def test_overflow(self):
        """
        A queue overflow (events lost, a removal maybe among them) lets
        every watch go; a directory watched again gets a new generation.
        """
        one = self.watcher.watch(3, "one", "/one")
        two = self.watcher.watch(4, "two", "/two")
        self.inotify.events = [(-1, IN_Q_OVERFLOW, 0, b""),
                               (1, IN_MODIFY, 0, b"f")]
        self.watcher.drain()
        self.assertIsNone(self.watcher.generation("one"))
        self.assertIsNone(self.watcher.generation("two"))
        self.assertEqual(sorted(self.inotify.removed), [1, 2])
        self.assertEqual(len(self.watcher), 0)
        self.assertNotIn(self.watcher.watch(3, "one", "/one"), (one, two))

    def test_eviction(self):
        """
        Past the most watches, the least recently used is removed, and
        forgotten; watched again, it never gets an old generation.
        """
        one = self.watcher.watch(3, "one", "/one")
        self.watcher.watch(4, "two", "/two")
        self.watcher.watch(3, "one", "/one")
        self.watcher.watch(5, "three", "/three")
        self.assertEqual(self.inotify.removed, [2])
        self.assertIsNone(self.watcher.generation("two"))
        self.assertEqual(self.watcher.generation("one"), one)
        self.assertEqual(len(self.watcher), 2)
        again = self.watcher.watch(4, "two", "/two")
        self.assertGreater(again, one)

    def test_newLink(self):
        """
        A new entry that is a file of more than one name, or that is gone
        already, changes every generation; a new file of one name only
        its directory's.
        """
        self.watcher.watch(3, "one", "/one")
        other = self.watcher.watch(4, "two", "/two")
        self.links["single"] = 1
        self.inotify.events = [(1, IN_CREATE, 0, b"single")]
        self.watcher.drain()
        self.assertEqual(self.watcher.generation("two"), other)
        for name, links in [(b"linked", 2), (b"gone", None)]:
            if links:
                self.links[name.decode()] = links
            self.inotify.events = [(1, IN_CREATE, 0, name)]
            self.watcher.drain()
            self.assertNotEqual(self.watcher.generation("two"), other)
            other = self.watcher.generation("two")

    def test_watchFails(self):
        """
        A watch that cannot be added gives no generation, and says why.
        """
        def full(path, mask):
            raise OSError(28, "No space left on device")

        self.inotify.addWatch = full
        self.assertIsNone(self.watcher.watch(3, "one", "/one"))
        self.assertEqual(self.watcher.failure.errno, 28)


class WatcherTests(unittest.TestCase):
    """
    L{DirectoryWatcher} over Linux's inotify, on real directories.
    """

    if not _LINUX:
        skip = "inotify is Linux's"

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(os.path.join(self.root, "d", "sub"))
        self.watcher = DirectoryWatcher(Inotify(), maxWatches=8)
        self.addCleanup(self.watcher.close)

    def watch(self, *segments):
        """
        Watch a directory through a descriptor, closed after.

        @return: its key and generation.
        """
        path = os.path.join(self.root, *segments)
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            result = os.fstat(fd)
            key = (result.st_dev, result.st_ino)
            return key, self.watcher.watch(fd, key, path)
        finally:
            os.close(fd)

    def assertBumped(self, change, *segments):
        """
        C{change} changes the directory's generation, seen at the next
        drain (and not before any).
        """
        key, generation = self.watch(*segments)
        self.watcher.drain()
        self.assertEqual(self.watcher.generation(key), generation)
        change()
        self.assertEqual(self.watcher.generation(key), generation)
        self.watcher.drain()
        self.assertNotEqual(self.watcher.generation(key), generation)

    def test_changes(self):
        """
        Each change to an entry of the directory changes its generation.
        """
        d = os.path.join(self.root, "d")
        f = os.path.join(d, "f")
        g = os.path.join(d, "g")
        changes = [
            lambda: open(f, "w").close(),
            lambda: open(f, "a").write("x"),
            lambda: os.truncate(f, 0),
            lambda: os.chmod(f, 0o600),
            lambda: os.utime(f, (1, 1)),
            lambda: os.rename(f, g),
            lambda: os.rename(g, os.path.join(self.root, "out")),
            lambda: os.rename(os.path.join(self.root, "out"), f),
            lambda: os.symlink("f", os.path.join(d, "link")),
            lambda: os.unlink(os.path.join(d, "link")),
            lambda: os.mkdir(os.path.join(d, "new")),
            lambda: os.unlink(f),
        ]
        for change in changes:
            self.assertBumped(change, "d")

    def test_unchanged(self):
        """
        Reading the directory, or a change in a subdirectory's entries,
        leaves it as it was (which is why a cached listing describes its
        subdirectories again).
        """
        key, generation = self.watch("d")
        os.listdir(os.path.join(self.root, "d"))
        open(os.path.join(self.root, "d", "sub", "x"), "w").close()
        self.watcher.drain()
        self.assertEqual(self.watcher.generation(key), generation)

    def test_removed(self):
        """
        A directory removed, or moved, is forgotten.
        """
        key, _ = self.watch("d", "sub")
        os.rmdir(os.path.join(self.root, "d", "sub"))
        self.watcher.drain()
        self.assertIsNone(self.watcher.generation(key))
        self.assertEqual(len(self.watcher), 0)
        key, _ = self.watch("d")
        os.rename(os.path.join(self.root, "d"), os.path.join(self.root, "e"))
        self.watcher.drain()
        self.assertIsNone(self.watcher.generation(key))

    def test_hardLink(self):
        """
        A hard link made in a watched directory to a file of another
        changes that other's generation too.
        """
        os.mkdir(os.path.join(self.root, "e"))
        open(os.path.join(self.root, "d", "f"), "w").close()
        key, generation = self.watch("d")
        self.watch("e")
        self.watcher.drain()
        os.link(os.path.join(self.root, "d", "f"),
                os.path.join(self.root, "e", "f"))
        self.watcher.drain()
        self.assertNotEqual(self.watcher.generation(key), generation)

    def test_eviction(self):
        """
        A watch let go of is removed from inotify: its directory's
        changes are no longer read.
        """
        watcher = DirectoryWatcher(Inotify(), maxWatches=1)
        self.addCleanup(watcher.close)
        self.watcher = watcher
        key, _ = self.watch("d")
        self.watch("d", "sub")
        self.assertIsNone(watcher.generation(key))
        self.assertEqual(len(watcher), 1)
        open(os.path.join(self.root, "d", "f"), "w").close()
        watcher.drain()
        self.assertEqual(watcher._inotify.read(), [])


class OverflowTests(unittest.TestCase):
    """
    A real inotify queue that overflows.
    """

    if not _LINUX:
        skip = "inotify is Linux's"

    def test_overflow(self):
        """
        More events than the queue holds (two files' times changed in
        turn, which inotify does not merge) let every watch go.
        """
        try:
            with open("/proc/sys/fs/inotify/max_queued_events") as f:
                most = int(f.read())
        except (OSError, ValueError):
            raise unittest.SkipTest("no inotify queue size to pass")
        if most > 100_000:
            raise unittest.SkipTest(f"a queue of {most} events")
        root = os.path.abspath(self.mktemp())
        os.makedirs(root)
        paths = [os.path.join(root, name) for name in "ab"]
        for path in paths:
            open(path, "w").close()
        watcher = DirectoryWatcher(Inotify())
        self.addCleanup(watcher.close)
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            result = os.fstat(fd)
            key = (result.st_dev, result.st_ino)
            self.assertIsNotNone(watcher.watch(fd, key, root))
        finally:
            os.close(fd)
        for number in range(most + 10):
            os.utime(paths[number % 2], (number, number))
        watcher.drain()
        self.assertIsNone(watcher.generation(key))
        self.assertEqual(len(watcher), 0)

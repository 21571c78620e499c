"""
Tests for L{ftpkit.shells.fsspecgeneric} and
L{ftpkit.shells.fsspecbackends}: what a store without an
optional capability answers when asked for it anyway, the local
disk's listing pages, and the memory store's renames and removal of the
file an C{APPE} made.
"""

import os
import threading

from twisted.trial import unittest

from ftpkit.errors import CommandNotImplemented
from ftpkit.shells.fsspecgeneric import Backend
from ftpkit.shells.fsspecposix import LocalBackend
from ftpkit.shells.listings import BATCH_SIZE


class MoveNewTests(unittest.SynchronousTestCase):
    """
    L{Backend.moveNew} on a store that cannot create a file only if it is
    new.
    """

    def test_refused(self):
        """
        It is refused with an FTP error (a clear reply, not a traceback),
        and the store says it cannot.
        """
        backend = Backend("memory")
        self.assertFalse(backend.createsAtomically)
        self.assertRaises(CommandNotImplemented,
                          backend.moveNew, None, "/upload.tmp", "/name")


class LocalPagesTests(unittest.TestCase):
    """
    L{LocalBackend.pages}: the local disk read a page at a time.
    """

    def setUp(self):
        import fsspec

        self.root = os.path.realpath(self.mktemp())
        os.makedirs(os.path.join(self.root, "d"))
        self.count = 20 * BATCH_SIZE + 10
        for number in range(self.count):
            open(os.path.join(self.root, "d", f"f{number:05d}"), "w").close()
        backend = LocalBackend("local")
        self.fs = backend.bind(fsspec.filesystem("file"), self.root)
        self.backend = backend

    def test_pages(self):
        """
        Every entry comes once, in pages of L{BATCH_SIZE}.
        """
        pages = list(self.backend.pages(self.fs, self.root + "/d"))
        self.assertEqual([len(page) for page in pages],
                         [BATCH_SIZE] * 20 + [10])
        self.assertEqual(
            sorted(detail["name"] for page in pages for detail in page),
            [f"{self.root}/d/f{number:05d}" for number in range(self.count)])

    def test_pageHeld(self):
        """
        While the first page is used, the rest of the directory is not in
        memory: the local disk was listed in one call (C{ls}), every
        entry's description held until the listing was done, on each
        session whose client stalled a listing of a large directory.
        """
        import tracemalloc

        tracemalloc.start()
        try:
            pages = self.backend.pages(self.fs, self.root + "/d")
            first = next(pages)
            held = tracemalloc.get_traced_memory()[0]
            pages.close()
        finally:
            tracemalloc.stop()
        self.assertEqual(len(first), BATCH_SIZE)
        self.assertLess(held, 2 << 20)

    def test_missing(self):
        """
        A missing directory, or a file, fails at the first page.
        """
        open(os.path.join(self.root, "f"), "w").close()
        self.assertRaises(FileNotFoundError, next,
                          self.backend.pages(self.fs, self.root + "/x"))
        self.assertRaises(NotADirectoryError, next,
                          self.backend.pages(self.fs, self.root + "/f"))


class MemoryRenameTests(unittest.SynchronousTestCase):
    """
    L{MemoryBackend.rename}: the stored objects moved to their new keys.
    """

    def setUp(self):
        try:
            import fsspec
        except ImportError:
            raise unittest.SkipTest("fsspec is not installed") from None
        from ftpkit.shells.fsspecposix import MemoryBackend

        self.fs = fsspec.filesystem("memory", global_store=False,
                                    skip_instance_cache=True)
        self.backend = MemoryBackend("memory")

    def test_directory(self):
        """
        A directory's files (the same objects, their times kept) and
        directories, empty ones included, go to the new name, in one pass
        over the store's keys: no fsspec listing or lookup, each of which
        reads every key of the store (some forty for ten files, with
        fsspec's C{mv}).
        """
        fs = self.fs
        fs.mkdir("/d/sub/empty")
        for name in ("/d/a", "/d/sub/b", "/other"):
            fs.pipe_file(name, name.encode())
        stored = fs.store["/d/sub/b"]
        calls = []
        for name in ("find", "ls", "info", "cp_file", "mv"):
            setattr(fs, name, lambda *a, _name=name, **k: calls.append(_name))
        self.backend.rename(fs, "/d", "/renamed", True)
        self.assertEqual(calls, [])
        self.assertEqual(sorted(fs.store), ["/other", "/renamed/a",
                                            "/renamed/sub/b"])
        self.assertIs(fs.store["/renamed/sub/b"], stored)
        self.assertEqual(stored.path, "/renamed/sub/b")
        self.assertEqual(sorted(fs.pseudo_dirs),
                         ["", "/renamed", "/renamed/sub",
                          "/renamed/sub/empty"])

    def test_file(self):
        """
        A file replaces what has its new name; a file that is gone is
        L{FileNotFoundError}.
        """
        fs = self.fs
        fs.pipe_file("/a", b"a")
        fs.pipe_file("/b", b"b")
        self.backend.rename(fs, "/a", "/b", False)
        self.assertEqual(sorted(fs.store), ["/b"])
        self.assertEqual(fs.cat_file("/b"), b"a")
        self.assertRaises(FileNotFoundError, self.backend.rename, fs, "/a",
                          "/c", False)


class MemoryRemoveMadeTests(unittest.SynchronousTestCase):
    """
    L{MemoryBackend.removeMade} against the store of an upload of the
    same name in another thread.
    """

    def setUp(self):
        try:
            import fsspec
        except ImportError:
            raise unittest.SkipTest("fsspec is not installed") from None
        from ftpkit.shells.fsspecposix import MemoryBackend

        self.backend = MemoryBackend("memory")
        self.fs = self.backend.bind(fsspec.filesystem(
            "memory", global_store=False, skip_instance_cache=True), "")

    def test_rivalStore(self):
        """
        Another thread stores a file at the name just as the removal looks
        at it (before the removal), when it can: the file it stored stays,
        whether it stored it then or waited for the removal to end. The
        look and the removal were two steps, and its file was removed.
        """
        from ftpkit.shells.memoryindex import IndexedStore

        handle, made = self.backend.openAppended(self.fs, "/new")
        self.assertTrue(made)
        store = self.fs.store
        rival = object()
        waited = []

        def storeRival():
            if store.index.lock.acquire(blocking=False):
                try:
                    store["/new"] = rival
                finally:
                    store.index.lock.release()
            else:
                waited.append(rival)

        class RivalStore(IndexedStore):
            def get(self, key, default=None):
                found = IndexedStore.get(self, key, default)
                if self.__class__ is RivalStore:
                    self.__class__ = IndexedStore
                    thread = threading.Thread(target=storeRival)
                    thread.start()
                    thread.join()
                return found

        store.__class__ = RivalStore
        self.backend.removeMade(self.fs, "/new", handle)
        self.assertIs(store.__class__, IndexedStore)
        for waiting in waited:
            store["/new"] = waiting
        self.assertIs(store.get("/new"), rival)

    def test_removed(self):
        """
        Alone, the file an C{APPE}'s open made is removed.
        """
        handle, _ = self.backend.openAppended(self.fs, "/new")
        self.backend.removeMade(self.fs, "/new", handle)
        self.assertNotIn("/new", self.fs.store)

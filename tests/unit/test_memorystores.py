"""
L{ftpkit.compat.memorystores.privateMemory}: a C{memory://} filesystem
with a store of its own, with and without fsspec's C{global_store}.
"""

from twisted.trial import unittest

try:
    from fsspec.implementations.memory import MemoryFileSystem
except ImportError:
    MemoryFileSystem = None

from ftpkit.compat.memorystores import privateMemory


class PrivateMemoryTests(unittest.TestCase):
    """
    Each filesystem made is apart from the process' store and from the
    others.
    """

    if MemoryFileSystem is None:
        skip = "fsspec is not installed"

    def assertApart(self, cls):
        """
        Two filesystems of C{cls} made here, and one of fsspec's cache,
        see none of each other's files.
        """
        one, two = privateMemory(cls, {}), privateMemory(cls, {})
        one.pipe_file("/apart/f", b"one")
        self.assertFalse(two.exists("/apart/f"))
        self.assertFalse(cls().exists("/apart/f"))
        self.assertEqual(one.cat_file("/apart/f"), b"one")

    def test_globalStoreFalse(self):
        """
        With fsspec's C{global_store}, the store is the filesystem's own.
        """
        self.assertApart(MemoryFileSystem)

    def test_olderFsspec(self):
        """
        Without it (fsspec before 2025), the filesystem is given a store
        and a list of directories of its own.
        """
        class Older(MemoryFileSystem):
            protocol = "olderMemory"

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)

        self.assertApart(Older)

    def test_sharingAsked(self):
        """
        A store's config asking for C{global_store=True} shares the
        process' store.
        """
        fs = privateMemory(MemoryFileSystem, {"global_store": True})
        self.addCleanup(lambda: fs.rm("/sharedasked", recursive=True))
        fs.pipe_file("/sharedasked/f", b"x")
        self.assertTrue(MemoryFileSystem().exists("/sharedasked/f"))

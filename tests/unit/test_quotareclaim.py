"""
L{ftpkit.shells.permissions.PermissionShell}'s C{reclaim}: where room
lacks, its quota drops what may be dropped for room (an fsspec realm's
cut uploads kept for a resume), waiting for each removal, and tries
again before it refuses an upload's bytes, a new file, a directory or a
rename's longer keys. Before session 32 an fsspec realm's quota refused
at once (C{552}) while cut uploads held the room.
"""

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.errors import DirectoryOverFileQuota, QuotaExceeded
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.permissions import PermissionShell
from ftpkit.shells.permissiontable import PERMISSIONS, PermissionTable
from ftpkit.shells.quotas import Footprint, QuotaUsage


class ReclaimTests(unittest.TestCase):
    """
    A L{MemoryShell} holding droppable files C{c0} and C{c1} of 40 bytes,
    under a quota whose C{reclaim} removes them oldest first.
    """

    def setUp(self):
        self.raw = MemoryShell({"/c0": b"0" * 40, "/c1": b"1" * 40})
        self.droppable = [("c0",), ("c1",)]
        self.usage = QuotaUsage(
            lambda: Footprint(40 * len(self.droppable),
                              len(self.droppable)),
            run=defer.maybeDeferred)

    def shell(self, quota=None, fileQuota=None, keys=False):
        """
        @param keys: count each entry's path among its bytes.
        @return: the permission shell over the memory shell.
        """
        extra = {}
        if keys:
            extra = {"entryBytes": lambda path: len("/".join(path)),
                     "entriesBelow": lambda path: defer.succeed(1)}
        return PermissionShell(self.raw, PermissionTable(PERMISSIONS),
                               quota, self.usage, fileQuota,
                               reclaim=self.reclaim, **extra)

    def reclaim(self):
        """
        Remove the oldest droppable file, and count what it freed.

        @return: a Deferred firing with whether there was one.
        """
        if not self.droppable:
            return defer.succeed(False)
        path = self.droppable.pop(0)
        self.successResultOf(self.raw.removeFile(path))
        self.usage.adjust(-40, files=-1)
        return defer.succeed(True)

    def test_bytes(self):
        """
        A write past the quota drops the oldest for room, and no more.
        """
        upload = self.successResultOf(
            self.shell(quota=100).openForWriting(("new",)))
        self.successResultOf(upload.writeAt(0, b"n" * 50))
        self.successResultOf(upload.close())
        self.assertEqual(self.droppable, [("c1",)])

    def test_bytesRefused(self):
        """
        With everything dropped and still no room, the write is refused.
        """
        upload = self.successResultOf(
            self.shell(quota=100).openForWriting(("new",)))
        self.failureResultOf(upload.writeAt(0, b"n" * 101), QuotaExceeded)
        self.assertEqual(self.droppable, [])

    def test_newFile(self):
        """
        A new file past the file quota drops one for its place.
        """
        self.successResultOf(self.shell(fileQuota=2).openForWriting(("new",)))
        self.assertEqual(self.droppable, [("c1",)])

    def test_directory(self):
        """
        So does a new directory.
        """
        shell = self.shell(fileQuota=2)
        self.successResultOf(shell.makeDirectory(("d",)))
        self.successResultOf(shell.makeDirectory(("e",)))
        self.failureResultOf(shell.makeDirectory(("f",)),
                             DirectoryOverFileQuota)
        self.assertEqual(self.droppable, [])

    def test_renameKeys(self):
        """
        A rename whose longer key does not fit drops one for room.
        """
        shell = self.shell(quota=82, keys=True)
        self.successResultOf(shell.rename(("c1",), ("longer",)))
        self.assertEqual(self.droppable, [("c1",)])

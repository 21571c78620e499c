"""
A quota's count stays exact where another session changes a file between
the moment a deletion finds its size and its removal: before session 51
the deletion freed the size it found, not that of the file it removed.
"""

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.permissions import PermissionShell
from ftpkit.shells.permissiontable import PERMISSIONS, PermissionTable
from ftpkit.shells.quotas import Footprint, QuotaUsage
from ftpkit.testing import writeFile
from tests.syncrun import syncRun


class _HeldRemovals(MemoryShell):
    """
    A L{MemoryShell} whose file removals wait for L{release}.
    """

    def __init__(self, files):
        MemoryShell.__init__(self, files)
        self._held = defer.Deferred()

    def release(self):
        """
        Let the removals waiting go on.
        """
        self._held.callback(None)

    def removeFile(self, path):
        return self._held.addCallback(
            lambda _: MemoryShell.removeFile(self, path))


class DeletionRaceTests(unittest.TestCase):
    """
    L{PermissionShell.removeFile} while another session replaces the file.
    """

    def footprint(self):
        """
        @return: what the inner shell holds (files at its root only).
        """
        entries = dict(self.successResultOf(self.inner.list(())))
        return Footprint(sum(info.size for info in entries.values()),
                         len(entries))

    @defer.inlineCallbacks
    def test_replacedBeforeRemoval(self):
        """
        A file replaced by another session's upload after its deletion
        found its size: once removed, the usage counts nothing.
        """
        self.inner = _HeldRemovals({"/f": b"o" * 1000})
        usage = QuotaUsage(self.footprint, syncRun)
        shell = PermissionShell(self.inner, PermissionTable(PERMISSIONS),
                                10 ** 6, usage)
        yield usage.current()
        removing = shell.removeFile(("f",))
        yield writeFile(shell, ("f",), b"n" * 30000)
        self.inner.release()
        yield removing
        yield usage.current()
        self.assertEqual((usage.used, usage.files), (0, 0))

"""
Tests for L{ftpkit.interfaces.IFTPShellAvailable} (C{AVBL}): the
filesystem and memory shells, and the wrappers (permissions and quotas,
read-only, upload-only, hidden dotfiles).
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.errors import (
    NoSuchFile,
    NotDirectory,
    PermissionDenied,
)
from ftpkit.interfaces import IFTPShellAvailable
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.permissions import PermissionShell, QuotaUsage
from ftpkit.shells.permissiontable import PERMISSIONS, PermissionTable
from ftpkit.shells.wrappers import (
    HideDotfilesShell,
    ReadOnlyShell,
    UploadOnlyShell,
)
from ftpkit.testing import IFTPShellConformanceMixin
from tests.scratch import scratchDirectory
from tests.syncrun import syncRun


def capped(maxBytes=1000):
    """
    @return: a L{MemoryShell} of C{maxBytes} holding C{/dir/a.txt} (ten
        bytes) and C{/.hidden/}.
    """
    return MemoryShell({"/dir/a.txt": b"0123456789", "/.hidden/b": b""},
                       maxBytes=maxBytes)


class MemoryShellTests(unittest.TestCase):
    """
    A memory shell knows its room only when it has a limit.
    """

    def test_capped(self):
        shell = capped()
        self.assertTrue(IFTPShellAvailable.providedBy(shell))
        self.assertEqual(self.successResultOf(shell.available(("dir",))), 990)
        self.failureResultOf(shell.available(("dir", "a.txt")), NotDirectory)
        self.failureResultOf(shell.available(("nothing",)), NoSuchFile)

    def test_full(self):
        """
        Past its limit (files given at start are never refused), no room:
        C{0}.
        """
        shell = MemoryShell({"/big": b"x" * 50}, maxBytes=10)
        self.assertEqual(self.successResultOf(shell.available(())), 0)

    def test_unlimited(self):
        self.assertFalse(IFTPShellAvailable.providedBy(MemoryShell()))


class FilesystemShellTests(unittest.TestCase):
    """
    The filesystem shell measures its directory's file system.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        os.mkdir(os.path.join(self.root, "d"))
        with open(os.path.join(self.root, "f"), "wb") as f:
            f.write(b"x")
        self.outside = scratchDirectory(self)
        os.symlink(self.outside, os.path.join(self.root, "out"))
        self.shell = FilesystemShell(self.root)

    @defer.inlineCallbacks
    def test_statvfs(self):
        """
        The room is C{statvfs}'s blocks free to users, in bytes (others
        write to this disk meanwhile: compared within a GiB).
        """
        room = yield self.shell.available(("d",))
        result = os.statvfs(self.root)
        self.assertLess(abs(room - result.f_bavail * result.f_frsize), 2**30)

    @defer.inlineCallbacks
    def test_refusals(self):
        """
        A file, a missing path and a link leading out of the root fail.
        """
        yield self.assertFailure(self.shell.available(("f",)), NotDirectory)
        yield self.assertFailure(self.shell.available(("no",)), NoSuchFile)
        yield self.assertFailure(self.shell.available(("out",)),
                                 PermissionDenied)


class WrapperTests(unittest.TestCase):
    """
    Wrappers narrow the room, or hide paths, as they restrict uploads.
    """

    def quotaShell(self, quota, inner=None, table=PERMISSIONS):
        inner = capped() if inner is None else inner
        usage = QuotaUsage(lambda: 10, syncRun)
        return PermissionShell(inner, PermissionTable(table), quota, usage), usage

    def test_quotaSmaller(self):
        """
        A quota leaving less than the storage gives what the quota
        leaves; the bytes of uploads in progress count.
        """
        shell, usage = self.quotaShell(300)
        self.assertEqual(self.successResultOf(shell.available(("dir",))), 290)
        usage.inFlight = 40
        self.assertEqual(self.successResultOf(shell.available(("dir",))), 250)
        usage.inFlight = 400
        self.assertEqual(self.successResultOf(shell.available(("dir",))), 0)

    def test_storageSmaller(self):
        shell, _ = self.quotaShell(10**9)
        self.assertEqual(self.successResultOf(shell.available(("dir",))), 990)

    def test_withoutQuota(self):
        shell = PermissionShell(capped(), PermissionTable(["list", "write"]))
        self.assertEqual(self.successResultOf(shell.available(())), 990)

    def test_withoutUpload(self):
        """
        Where the user may neither C{write} nor C{append}, no room, as for
        C{--read-only} (a users file's user with C{list,read} was told the
        disk's free space, or the quota's).
        """
        shell, _ = self.quotaShell(300, table=["list", "read", "delete"])
        self.assertEqual(self.successResultOf(shell.available(("dir",))), 0)
        shell, _ = self.quotaShell(300, table=["list", "append"])
        self.assertEqual(self.successResultOf(shell.available(("dir",))), 290)

    def test_needsLook(self):
        """
        Without C{list} or C{read} at the path, as for C{stat}: refused.
        """
        shell, _ = self.quotaShell(300, table=["write"])
        self.failureResultOf(shell.available(("dir",)), PermissionDenied)

    def test_onlyWhereStorageMeasures(self):
        shell, _ = self.quotaShell(300, inner=MemoryShell())
        self.assertFalse(IFTPShellAvailable.providedBy(shell))

    def test_readOnly(self):
        """
        Who cannot upload has no room; the path is still checked.
        """
        shell = ReadOnlyShell(capped())
        self.assertEqual(self.successResultOf(shell.available(("dir",))), 0)
        self.failureResultOf(shell.available(("dir", "a.txt")), NotDirectory)

    def test_uploadOnly(self):
        shell = UploadOnlyShell(capped())
        self.assertEqual(self.successResultOf(shell.available(("dir",))), 990)

    def test_hiddenDotfiles(self):
        shell = HideDotfilesShell(capped())
        self.assertTrue(IFTPShellAvailable.providedBy(shell))
        self.assertEqual(self.successResultOf(shell.available(())), 990)
        self.failureResultOf(shell.available((".hidden",)), NoSuchFile)


class QuotaOnCappedConformanceTests(IFTPShellConformanceMixin,
                                    unittest.TestCase):
    """
    A L{PermissionShell} with a quota, over a memory shell with a limit,
    keeps the contract, L{IFTPShellAvailable} included.
    """

    def makeShell(self):
        return PermissionShell(MemoryShell(maxBytes=2**30),
                               PermissionTable(PERMISSIONS), 2**40,
                               QuotaUsage(lambda: 0, syncRun))

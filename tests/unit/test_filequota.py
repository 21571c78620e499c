"""
The file quota of L{ftpkit.shells.permissions.PermissionShell}: how many
files and directories a user may store (C{quota-files}), counted by
L{ftpkit.shells.quotas.QuotaUsage}.
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.errors import (
    AlreadyExists,
    DirectoryOverFileQuota,
    FileQuotaExceeded,
    NoSuchFile,
    QuotaExceeded,
)
from ftpkit.shells.adapters import writeFileFor
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.nestedquotas import Neighbours, QuotaHomes
from ftpkit.shells.permissions import PermissionShell
from ftpkit.shells.permissiontable import PERMISSIONS, PermissionTable
from ftpkit.shells.quotas import Footprint, QuotaUsage, diskFootprint
from ftpkit.testing import IFTPShellConformanceMixin, writeFile
from tests.scratch import scratchDirectory, tooLongPath
from tests.syncrun import syncRun


def memoryQuotaShell(fileQuota, quota=None):
    """
    @return: C{(shell, inner, usage)}: a shell with every permission and
        the quotas, over a L{MemoryShell} holding C{/old} (10 bytes) and
        C{/dir/}: two entries, as its L{QuotaUsage} measures.
    """
    inner = MemoryShell({"/old": b"0123456789"})
    inner.makeDirectory(("dir",))
    usage = QuotaUsage(lambda: Footprint(10, 2), syncRun)
    shell = PermissionShell(inner, PermissionTable(PERMISSIONS), quota,
                            usage, fileQuota)
    return shell, inner, usage


class FileQuotaTests(unittest.TestCase):
    """
    A L{PermissionShell} with a file quota, over a L{MemoryShell}.
    """

    def test_needsUsage(self):
        """
        A file quota without a L{QuotaUsage} is a programming error.
        """
        self.assertRaises(ValueError, PermissionShell, MemoryShell(),
                          PermissionTable(PERMISSIONS), fileQuota=3)

    @defer.inlineCallbacks
    def test_newFilesUpToQuota(self):
        """
        New files fit up to the quota; the next one is refused with
        L{FileQuotaExceeded} (C{552}) when opened, before any byte, and
        leaves no file.
        """
        shell, inner, usage = memoryQuotaShell(4)
        yield writeFile(shell, ("one",), b"1")
        yield writeFile(shell, ("dir", "two"), b"2")
        self.assertEqual((usage.files, usage.filesInFlight), (4, 0))
        failure = yield self.assertFailure(shell.openForWriting(("three",)),
                                           FileQuotaExceeded)
        self.assertEqual(failure.code, 552)
        self.assertIsInstance(failure, QuotaExceeded)
        yield self.assertFailure(inner.stat(("three",)), NoSuchFile)
        yield self.assertFailure(
            shell.openForWriting(("three",), append=True), FileQuotaExceeded)
        self.assertEqual((usage.files, usage.filesInFlight), (4, 0))

    @defer.inlineCallbacks
    def test_replaceAtQuota(self):
        """
        Replacing or appending to an existing file adds none: both work at
        the quota.
        """
        shell, inner, usage = memoryQuotaShell(2)
        yield writeFile(shell, ("old",), b"new")
        yield writeFile(shell, ("old",), b"+", append=True)
        self.assertEqual((yield inner.stat(("old",))).size, 4)
        self.assertEqual((usage.files, usage.filesInFlight, usage.used),
                         (2, 0, 4))

    @defer.inlineCallbacks
    def test_uploadsInFlightCount(self):
        """
        A new file being uploaded holds its place: another one opened
        meanwhile is refused; once the first is aborted, its place is free
        again.
        """
        shell, inner, usage = memoryQuotaShell(3)
        first = writeFileFor((yield shell.openForWriting(("one",))))
        self.assertEqual(usage.filesInFlight, 1)
        yield self.assertFailure(shell.openForWriting(("two",)),
                                 FileQuotaExceeded)
        yield first.abort()
        self.assertEqual((usage.files, usage.filesInFlight), (2, 0))
        yield self.assertFailure(inner.stat(("one",)), NoSuchFile)
        yield writeFile(shell, ("two",), b"2")
        self.assertEqual(usage.files, 3)

    @defer.inlineCallbacks
    def test_refusedForBytes(self):
        """
        A new file refused by the byte quota gives its place back.
        """
        shell, inner, usage = memoryQuotaShell(3, quota=12)
        yield self.assertFailure(writeFile(shell, ("big",), b"x" * 3),
                                 QuotaExceeded)
        self.assertEqual((usage.files, usage.filesInFlight, usage.used),
                         (2, 0, 10))

    @defer.inlineCallbacks
    def test_openFails(self):
        """
        A new file the wrapped shell cannot open gives its place back.
        """
        shell, inner, usage = memoryQuotaShell(3)
        yield self.assertFailure(shell.openForWriting(("nowhere", "f")),
                                 NoSuchFile)
        self.assertEqual((usage.files, usage.filesInFlight), (2, 0))

    @defer.inlineCallbacks
    def test_directories(self):
        """
        A directory counts as a file: C{MKD} past the quota is refused
        with L{DirectoryOverFileQuota} (C{550}, as RFC 959 has C{MKD}
        refuse), and removing one gives its place back.
        """
        shell, inner, usage = memoryQuotaShell(3)
        yield shell.makeDirectory(("sub",))
        self.assertEqual(usage.files, 3)
        failure = yield self.assertFailure(shell.makeDirectory(("more",)),
                                           DirectoryOverFileQuota)
        self.assertEqual(failure.code, 550)
        yield self.assertFailure(inner.stat(("more",)), NoSuchFile)
        yield shell.removeDirectory(("dir",))
        self.assertEqual((usage.files, usage.filesInFlight), (2, 0))
        yield self.assertFailure(shell.makeDirectory(("sub",)), AlreadyExists)
        self.assertEqual((usage.files, usage.filesInFlight), (2, 0))
        yield shell.makeDirectory(("more",))
        self.assertEqual((usage.files, usage.filesInFlight), (3, 0))

    @defer.inlineCallbacks
    def test_deleteAndRenameGiveBack(self):
        """
        C{DELE} gives a place back, and so does renaming over a file (one
        of the two is gone); a plain rename changes nothing.
        """
        shell, inner, usage = memoryQuotaShell(4)
        yield writeFile(shell, ("a",), b"aa")
        yield writeFile(shell, ("b",), b"bbb")
        yield shell.rename(("a",), ("c",))
        self.assertEqual((usage.files, usage.used), (4, 15))
        yield shell.rename(("c",), ("b",))
        self.assertEqual((usage.files, usage.used), (3, 12))
        yield shell.removeFile(("b",))
        self.assertEqual((usage.files, usage.used), (2, 10))
        yield writeFile(shell, ("d",), b"")
        yield writeFile(shell, ("e",), b"")
        self.assertEqual(usage.files, 4)

    @defer.inlineCallbacks
    def test_renameToItself(self):
        """
        A file renamed to its own name replaces nothing: neither its bytes
        nor its place are given back (they were, so that RNFR and RNTO of
        one name, repeated, emptied any quota).
        """
        shell, inner, usage = memoryQuotaShell(2, quota=10)
        yield usage.current()
        yield shell.rename(("old",), ("old",))
        self.assertEqual((usage.used, usage.files), (10, 2))
        yield self.assertFailure(writeFile(shell, ("x",), b"x"),
                                 FileQuotaExceeded)

    @defer.inlineCallbacks
    def test_fileQuotaAlone(self):
        """
        A file quota alone does not limit bytes.
        """
        shell, inner, usage = memoryQuotaShell(3)
        yield writeFile(shell, ("big",), b"x" * 100000)
        self.assertEqual((usage.files, usage.used), (3, 100010))

    @defer.inlineCallbacks
    def test_byteQuotaAloneCounts(self):
        """
        A byte quota alone still counts files and directories, for another
        user of the same home who has a file quota.
        """
        shell, inner, usage = memoryQuotaShell(None, quota=1000)
        other = PermissionShell(inner, PermissionTable(PERMISSIONS),
                                usage=usage, fileQuota=4)
        yield writeFile(shell, ("new",), b"n")
        yield shell.makeDirectory(("sub",))
        self.assertEqual(usage.files, 4)
        yield self.assertFailure(writeFile(other, ("x",), b"x"),
                                 FileQuotaExceeded)


class QuotaUsageFileTests(unittest.TestCase):
    """
    L{QuotaUsage} counts files, and L{diskFootprint} measures them.
    """

    def test_reserveAndSettle(self):
        """
        L{QuotaUsage.reserveFile} holds a place while there is room;
        L{QuotaUsage.settleFile} makes it a file, or frees it.
        """
        usage = QuotaUsage(lambda: Footprint(0, 1), syncRun)
        self.successResultOf(usage.current())
        self.assertTrue(usage.reserveFile(2))
        self.assertFalse(usage.reserveFile(2))
        self.assertTrue(usage.reserveFile(None))
        usage.settleFile(made=False)
        usage.settleFile(made=True)
        self.assertEqual((usage.files, usage.filesInFlight), (2, 0))

    def test_bytesAlone(self):
        """
        A measure giving bytes alone (as before files were counted) counts
        no files, and L{QuotaUsage.current} still fires with the bytes.
        """
        usage = QuotaUsage(lambda: 42, syncRun)
        self.assertEqual(self.successResultOf(usage.current()), 42)
        self.assertEqual((usage.used, usage.files), (42, 0))
        footprint = QuotaUsage(lambda: Footprint(7, 3), syncRun)
        self.assertEqual(self.successResultOf(footprint.current()), 7)
        self.assertEqual(footprint.files, 3)

    def test_diskFootprint(self):
        """
        L{diskFootprint} counts every entry below a directory (files,
        directories, links; not the directory itself) and adds up the
        regular files' bytes, not following links.
        """
        top = self.mktemp()
        os.makedirs(os.path.join(top, "sub", "empty"))
        with open(os.path.join(top, "a"), "wb") as f:
            f.write(b"x" * 3)
        with open(os.path.join(top, "sub", "b"), "wb") as f:
            f.write(b"x" * 4)
        os.symlink(os.path.join(top, "sub"), os.path.join(top, "link"))
        self.assertEqual(diskFootprint(top), Footprint(7, 5))
        self.assertEqual(diskFootprint(os.path.join(top, "missing")),
                         Footprint(0, 0))


class TooLongPathTests(unittest.TestCase):
    """
    L{diskFootprint} of a home holding a directory whose path is longer
    than the system can name (a user's renames of directories into one
    another build one: each path stays within the server's limits).
    """

    def test_refused(self):
        """
        It fails with L{QuotaExceeded}: what is below cannot be counted,
        and counting it as nothing let the user store past any quota (four
        uploads of 90 KB under a quota of 100 KB).
        """
        top = scratchDirectory(self)
        tooLongPath(top, b"x" * 1000)
        self.assertRaises(QuotaExceeded, diskFootprint, top)

    def test_refusedReplies(self):
        """
        A user whose home cannot be measured so gets C{552} for an upload
        and C{550} for C{MKD} (the one refusal RFC 959 lists for it).
        """
        def measure():
            raise QuotaExceeded("too long")

        usage = QuotaUsage(measure, syncRun)
        shell = PermissionShell(MemoryShell({}), PermissionTable(PERMISSIONS),
                                quota=10**9, usage=usage)
        failure = self.failureResultOf(shell.makeDirectory(("d",)))
        self.assertEqual(failure.value.code, 550)
        failure = self.failureResultOf(writeFile(shell, ("f",), b"x"))
        self.assertEqual(failure.value.code, 552)


class DiskFileQuotaTests(unittest.TestCase):
    """
    The file quota over the filesystem shell, whose cut uploads are kept
    for a resume (L{ftpkit.interfaces.IFTPShellResume}) and whose
    appends make their file when opened.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "old"), "wb") as f:
            f.write(b"o" * 10)
        self.usage = QuotaUsage(lambda: diskFootprint(self.root))
        self.shell = PermissionShell(
            FilesystemShell(self.root), PermissionTable(PERMISSIONS),
            usage=self.usage, fileQuota=2)

    @defer.inlineCallbacks
    def test_cutUploadKept(self):
        """
        A cut upload of a new file gives its place back, and is then
        counted as what it is on disk, a file (kept for a resume), as the
        byte quota counts its bytes. Resuming it adds no file: it works at
        the quota.
        """
        upload = writeFileFor((yield self.shell.openForWriting(("new",))))
        (yield upload.receive()).write(b"12345")
        yield upload.abort()
        self.assertEqual(self.usage.filesInFlight, 0)
        yield self.usage.current()
        self.assertEqual((self.usage.files, self.usage.used), (2, 15))
        yield self.assertFailure(self.shell.openForWriting(("other",)),
                                 FileQuotaExceeded)
        yield writeFile(self.shell, ("new",), b"678", offset=5)
        with open(os.path.join(self.root, "new"), "rb") as f:
            self.assertEqual(f.read(), b"12345678")
        self.assertEqual((self.usage.files, self.usage.filesInFlight), (2, 0))

    @defer.inlineCallbacks
    def test_cutEmptyUpload(self):
        """
        A new upload cut before its first byte keeps nothing, and gives
        its place back.
        """
        upload = yield self.shell.openForWriting(("new",))
        yield upload.abort()
        self.assertEqual(sorted(os.listdir(self.root)), ["old"])
        self.assertEqual((self.usage.files, self.usage.filesInFlight), (1, 0))
        yield writeFile(self.shell, ("new",), b"n")

    @defer.inlineCallbacks
    def test_cutEmptyAppend(self):
        """
        An append to a new file made it when opened: cut before its first
        byte, it removes that file (L{ftpkit.shells.appendnew}; it left
        it, counted, session 53) and gives its place back.
        """
        upload = yield self.shell.openForWriting(("new",), append=True)
        yield upload.abort()
        self.assertEqual(sorted(os.listdir(self.root)), ["old"])
        self.assertEqual((self.usage.files, self.usage.filesInFlight), (1, 0))
        yield writeFile(self.shell, ("other",), b"n")


    @defer.inlineCallbacks
    def test_removeLink(self):
        """
        Removing a symbolic link frees its entry and none of the bytes of
        the file it leads to, which stays: they were freed, and the
        quota then let that much more be uploaded.
        """
        os.symlink("old", os.path.join(self.root, "link"))
        shell = PermissionShell(
            FilesystemShell(self.root), PermissionTable(PERMISSIONS),
            quota=15, usage=self.usage)
        yield self.usage.current()
        self.assertEqual((self.usage.files, self.usage.used), (2, 10))
        yield shell.removeFile(("link",))
        self.assertEqual((self.usage.files, self.usage.used), (1, 10))
        self.assertEqual(os.path.getsize(os.path.join(self.root, "old")), 10)
        yield self.assertFailure(writeFile(shell, ("new",), b"n" * 10),
                                 QuotaExceeded)

    @defer.inlineCallbacks
    def test_removeFileThroughLinkedDirectory(self):
        """
        A file removed through a link to its directory frees its bytes:
        only a link at the end of the path holds none.
        """
        os.mkdir(os.path.join(self.root, "d"))
        with open(os.path.join(self.root, "d", "f"), "wb") as f:
            f.write(b"f" * 4)
        os.symlink("d", os.path.join(self.root, "link"))
        shell = PermissionShell(
            FilesystemShell(self.root), PermissionTable(PERMISSIONS),
            quota=100, usage=self.usage)
        yield self.usage.current()
        self.assertEqual((self.usage.files, self.usage.used), (4, 14))
        yield shell.removeFile(("link", "f"))
        self.assertEqual((self.usage.files, self.usage.used), (3, 10))

    @defer.inlineCallbacks
    def test_renameOverLink(self):
        """
        A file renamed over a symbolic link replaces the link's entry and
        none of the bytes of the file it leads to, which stays.
        """
        os.symlink("old", os.path.join(self.root, "link"))
        shell = PermissionShell(
            FilesystemShell(self.root), PermissionTable(PERMISSIONS),
            quota=20, usage=self.usage)
        yield writeFile(shell, ("new",), b"n" * 4)
        self.assertEqual((self.usage.files, self.usage.used), (3, 14))
        yield shell.rename(("new",), ("link",))
        self.assertEqual((self.usage.files, self.usage.used), (2, 14))
        self.assertEqual(os.path.getsize(os.path.join(self.root, "old")), 10)

    @defer.inlineCallbacks
    def test_removeDirectoryWithCutUpload(self):
        """
        Removing a directory whose cut upload went with it has the usage
        measured again: its bytes and its file are given back, not just
        the directory's entry.
        """
        shell = PermissionShell(
            FilesystemShell(self.root), PermissionTable(PERMISSIONS),
            usage=self.usage, fileQuota=3)
        yield shell.makeDirectory(("d",))
        upload = writeFileFor((yield shell.openForWriting(("d", "f"))))
        (yield upload.receive()).write(b"12345")
        yield upload.abort()
        yield self.usage.current()
        self.assertEqual((self.usage.files, self.usage.used), (3, 15))
        yield shell.removeDirectory(("d",))
        yield self.usage.current()
        self.assertEqual((self.usage.files, self.usage.used), (1, 10))


class NestedLinkRenameTests(unittest.TestCase):
    """
    A rename by C{admin}, whose home is the root and who has no quota, of
    a symbolic link in or into C{/bob}, held to a quota: the link moves
    an entry of no bytes, whatever it leads to (C{/old}, 10 bytes).
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "old"), "wb") as f:
            f.write(b"o" * 10)
        bob = os.path.join(self.root, "bob")
        os.mkdir(bob)
        with open(os.path.join(bob, "a"), "wb") as f:
            f.write(b"a" * 20)
        os.symlink(os.path.join("..", "old"), os.path.join(bob, "link"))
        self.bob = QuotaUsage(lambda: diskFootprint(bob), syncRun)
        homes = QuotaHomes(lambda home: self.bob)
        homes.add((), False)
        homes.add(("bob",), True)
        self.admin = PermissionShell(
            FilesystemShell(self.root), PermissionTable(PERMISSIONS),
            neighbours=Neighbours(homes, (), False))

    @defer.inlineCallbacks
    def bobCounts(self):
        """
        @return: a Deferred firing with C{(bytes, entries)} of C{/bob} as
            its quota counts them.
        """
        yield self.bob.current()
        return self.bob.used, self.bob.files

    @defer.inlineCallbacks
    def test_linkOut(self):
        """
        A link moved out of C{/bob} takes its entry alone from C{bob}'s
        count.
        """
        self.assertEqual((yield self.bobCounts()), (20, 2))
        yield self.admin.rename(("bob", "link"), ("link",))
        self.assertEqual((yield self.bobCounts()), (20, 1))

    @defer.inlineCallbacks
    def test_overLink(self):
        """
        A file renamed over a link in C{/bob} adds its own bytes and
        replaces the link's entry alone.
        """
        with open(os.path.join(self.root, "x"), "wb") as f:
            f.write(b"x" * 5)
        self.assertEqual((yield self.bobCounts()), (20, 2))
        yield self.admin.rename(("x",), ("bob", "link"))
        self.assertEqual((yield self.bobCounts()), (25, 2))

    @defer.inlineCallbacks
    def test_fileThroughLinkedDirectory(self):
        """
        A file renamed out of C{/bob} through a link to it (C{/b -> bob})
        takes its bytes: only a link at the end of the path holds none.
        """
        os.symlink("bob", os.path.join(self.root, "b"))
        self.assertEqual((yield self.bobCounts()), (20, 2))
        yield self.admin.rename(("b", "a"), ("a",))
        self.assertEqual((yield self.bobCounts()), (0, 1))


class FileQuotaShellConformanceTests(IFTPShellConformanceMixin,
                                     unittest.TestCase):
    """
    A L{PermissionShell} with a file quota that is never reached keeps the
    whole contract.
    """

    def makeShell(self):
        return PermissionShell(MemoryShell(), PermissionTable(PERMISSIONS),
                               usage=QuotaUsage(lambda: Footprint(0, 0),
                                                syncRun),
                               fileQuota=2**40)

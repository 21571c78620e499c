"""
Tests for L{ftpkit.shells.permissions}.
"""

import os

from twisted.internet import defer
from twisted.trial import unittest
from zope.interface import implementer
from zope.interface.verify import verifyObject

from ftpkit.errors import NoSuchFile, PermissionDenied, QuotaExceeded
from ftpkit.interfaces import IFTPShell, IFTPShellHash, IFTPShellNames
from ftpkit.shells.adapters import writeFileFor
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.permissions import PermissionShell, QuotaUsage, diskUsage
from ftpkit.shells.permissiontable import PERMISSIONS, PermissionTable
from ftpkit.testing import IFTPShellConformanceMixin, readFile, writeFile
from tests.syncrun import syncRun

# What each permission allows: a function of a shell returning a Deferred.
_OPERATIONS = {
    "list": lambda shell: shell.list(("dir",)),
    "read": lambda shell: readFile(shell, ("dir", "a.txt")),
    "write": lambda shell: writeFile(shell, ("dir", "new.txt"), b"x"),
    "append": lambda shell: writeFile(shell, ("dir", "a.txt"), b"x",
                                      append=True),
    "delete": lambda shell: shell.removeFile(("dir", "a.txt")),
    "rename": lambda shell: shell.rename(("dir", "a.txt"), ("dir", "b.txt")),
    "mkdir": lambda shell: shell.makeDirectory(("dir", "sub")),
    "set-time": lambda shell: shell.setModificationTime(("dir", "a.txt"), 0),
}


def memoryShell():
    """
    @return: a L{MemoryShell} holding C{/dir/a.txt} (C{b"hello"}).
    """
    return MemoryShell({"/dir/a.txt": b"hello"})


class PermissionTableTests(unittest.TestCase):
    """
    L{PermissionTable}.
    """

    def test_default(self):
        """
        Outside every override, the default set applies.
        """
        table = PermissionTable(["list"], {("in",): ["write"]})
        self.assertEqual(table.permissionsAt(("other", "x")), {"list"})
        self.assertTrue(table.allows((), "list"))
        self.assertFalse(table.allows((), "write"))

    def test_longestPrefixWins(self):
        """
        The deepest override holding the path applies, and only on whole
        segments.
        """
        table = PermissionTable(["list"], {
            ("a",): ["read"],
            ("a", "b"): ["write"],
        })
        self.assertEqual(table.permissionsAt(("a",)), {"read"})
        self.assertEqual(table.permissionsAt(("a", "x")), {"read"})
        self.assertEqual(table.permissionsAt(("a", "b", "c")), {"write"})
        self.assertEqual(table.permissionsAt(("ab",)), {"list"})

    def test_rulesBelow(self):
        """
        L{PermissionTable.rulesBelow} tells whether an override lies
        strictly below a path, on whole segments.
        """
        table = PermissionTable(["list"], {("a", "b"): ["read"]})
        self.assertTrue(table.rulesBelow(()))
        self.assertTrue(table.rulesBelow(("a",)))
        self.assertFalse(table.rulesBelow(("a", "b")))
        self.assertFalse(table.rulesBelow(("a", "b", "c")))
        self.assertFalse(table.rulesBelow(("ab",)))
        self.assertFalse(PermissionTable(["list"]).rulesBelow(()))


class PermissionShellTests(unittest.TestCase):
    """
    L{PermissionShell} allows each operation only with its permission.
    """

    def test_interfaces(self):
        """
        It provides L{IFTPShell}, and L{IFTPShellHash} only when the
        wrapped shell does.
        """
        shell = PermissionShell(memoryShell(), PermissionTable(PERMISSIONS))
        verifyObject(IFTPShell, shell)
        verifyObject(IFTPShellHash, shell)
        verifyObject(IFTPShellNames, shell)
        bare = PermissionShell(_WithoutHash(), PermissionTable([]))
        self.assertFalse(IFTPShellHash.providedBy(bare))
        self.assertFalse(IFTPShellNames.providedBy(bare))

    @defer.inlineCallbacks
    def test_listNamesNeedsList(self):
        """
        Naming a directory's entries needs C{list}, as listing does.
        """
        others = set(PERMISSIONS) - {"list"}
        denied = PermissionShell(memoryShell(), PermissionTable(others))
        yield self.assertFailure(denied.listNames(("dir",)), PermissionDenied)
        allowed = PermissionShell(memoryShell(), PermissionTable(["list"]))
        names = yield allowed.listNames(("dir",))
        self.assertEqual(names, [name for name, _ in
                                 (yield allowed.list(("dir",)))])

    @defer.inlineCallbacks
    def test_eachPermission(self):
        """
        Every operation fails with L{PermissionDenied} without its
        permission, and works with it (and all others withheld).
        """
        for permission, operation in _OPERATIONS.items():
            others = set(PERMISSIONS) - {permission}
            denied = PermissionShell(memoryShell(), PermissionTable(others))
            yield self.assertFailure(operation(denied), PermissionDenied)
            allowed = PermissionShell(memoryShell(),
                                      PermissionTable(["list", permission]))
            yield operation(allowed)

    @defer.inlineCallbacks
    def test_hashNeedsRead(self):
        """
        C{hash} needs C{read}.
        """
        shell = PermissionShell(memoryShell(), PermissionTable(["list"]))
        yield self.assertFailure(
            shell.hash(("dir", "a.txt"), "sha256"), PermissionDenied)
        shell = PermissionShell(memoryShell(), PermissionTable(["read"]))
        digest = yield shell.hash(("dir", "a.txt"), "sha256")
        self.assertEqual(len(digest), 64)

    @defer.inlineCallbacks
    def test_stat(self):
        """
        C{stat} needs C{list} or C{read}.
        """
        for granted in (["list"], ["read"]):
            shell = PermissionShell(memoryShell(), PermissionTable(granted))
            info = yield shell.stat(("dir", "a.txt"))
            self.assertEqual(info.size, 5)
        shell = PermissionShell(memoryShell(), PermissionTable(["write"]))
        yield self.assertFailure(shell.stat(("dir",)), PermissionDenied)

    @defer.inlineCallbacks
    def test_resumeNeedsAppend(self):
        """
        Writing from an offset (REST) needs C{append}, not C{write}.
        """
        shell = PermissionShell(memoryShell(), PermissionTable(["write"]))
        yield self.assertFailure(
            writeFile(shell, ("dir", "a.txt"), b"!", offset=2),
            PermissionDenied)
        shell = PermissionShell(memoryShell(), PermissionTable(["append"]))
        yield writeFile(shell, ("dir", "a.txt"), b"!", offset=5)

    @defer.inlineCallbacks
    def test_resumeBeforeEndNeedsWrite(self):
        """
        Writing from an offset before the end of the file (which keeps the
        bytes before it and replaces those after) needs C{write} as well
        as C{append}: with C{append} alone, C{REST 1} + C{STOR} cut a file
        the user may only add to down to one byte and what it sent.
        """
        inner = memoryShell()
        shell = PermissionShell(inner, PermissionTable(["append"]))
        yield self.assertFailure(
            writeFile(shell, ("dir", "a.txt"), b"!", offset=2),
            PermissionDenied)
        self.assertEqual((yield readFile(inner, ("dir", "a.txt"))), b"hello")
        shell = PermissionShell(inner, PermissionTable(["append", "write"]))
        yield writeFile(shell, ("dir", "a.txt"), b"!", offset=2)
        self.assertEqual((yield readFile(inner, ("dir", "a.txt"))), b"he!")

    @defer.inlineCallbacks
    def test_renameNeedsBothEnds(self):
        """
        Renaming into a directory without C{rename} is refused.
        """
        inner = memoryShell()
        yield inner.makeDirectory(("locked",))
        shell = PermissionShell(inner, PermissionTable(
            ["rename"], {("locked",): ["list"]}))
        yield self.assertFailure(
            shell.rename(("dir", "a.txt"), ("locked", "a.txt")),
            PermissionDenied)
        yield self.assertFailure(
            shell.rename(("locked",), ("moved",)), PermissionDenied)
        yield shell.rename(("dir", "a.txt"), ("dir", "b.txt"))

    @defer.inlineCallbacks
    def test_replacingNeedsWriteOrDelete(self):
        """
        Renaming over an existing file needs C{write} or C{delete} at the
        target as well as C{rename}: with C{rename} alone, renaming any
        file over another destroyed the other. A rename to a free name
        needs C{rename} alone.
        """
        inner = memoryShell()
        yield writeFile(inner, ("dir", "b.txt"), b"keep")
        shell = PermissionShell(inner, PermissionTable(["rename"]))
        yield self.assertFailure(
            shell.rename(("dir", "a.txt"), ("dir", "b.txt")),
            PermissionDenied)
        self.assertEqual((yield readFile(inner, ("dir", "b.txt"))), b"keep")
        yield shell.rename(("dir", "a.txt"), ("dir", "c.txt"))
        for granted in ("write", "delete"):
            yield writeFile(inner, ("dir", "a.txt"), granted.encode())
            shell = PermissionShell(inner,
                                    PermissionTable(["rename", granted]))
            yield shell.rename(("dir", "a.txt"), ("dir", "b.txt"))
            self.assertEqual((yield readFile(inner, ("dir", "b.txt"))),
                             granted.encode())

    @defer.inlineCallbacks
    def test_replacingDanglingLinkNeedsWriteOrDelete(self):
        """
        A symbolic link leading nowhere is something at the target too:
        with C{rename} alone, renaming a file over it is refused (it was
        taken for a free name, since C{stat} follows the link).
        """
        root = self.mktemp()
        os.makedirs(root)
        with open(os.path.join(root, "a.txt"), "wb") as f:
            f.write(b"a")
        os.symlink("nowhere", os.path.join(root, "t"))
        shell = PermissionShell(FilesystemShell(root),
                                PermissionTable(["rename"]))
        yield self.assertFailure(shell.rename(("a.txt",), ("t",)),
                                 PermissionDenied)
        self.assertEqual(os.readlink(os.path.join(root, "t")), "nowhere")
        shell = PermissionShell(FilesystemShell(root),
                                PermissionTable(["rename", "delete"]))
        yield shell.rename(("a.txt",), ("t",))
        self.assertFalse(os.path.islink(os.path.join(root, "t")))

    @defer.inlineCallbacks
    def test_directoryOverride(self):
        """
        A directory's permissions replace the default below it.
        """
        inner = memoryShell()
        yield inner.makeDirectory(("incoming",))
        shell = PermissionShell(inner, PermissionTable(
            ["list", "read"], {("incoming",): ["list", "write"]}))
        yield writeFile(shell, ("incoming", "up.txt"), b"data")
        yield self.assertFailure(
            readFile(shell, ("incoming", "up.txt")), PermissionDenied)
        yield self.assertFailure(
            writeFile(shell, ("dir", "up.txt"), b"data"), PermissionDenied)
        data = yield readFile(shell, ("dir", "a.txt"))
        self.assertEqual(data, b"hello")


class QuotaTests(unittest.TestCase):
    """
    A L{PermissionShell} with a quota.
    """

    def makeShell(self, quota, files=None):
        """
        @return: C{(shell, inner, usage)}: a shell with every permission
            and C{quota}, over a L{MemoryShell} holding C{files}.
        """
        files = {"/old.txt": b"0123456789"} if files is None else files
        inner = MemoryShell(files)
        usage = QuotaUsage(lambda: sum(map(len, files.values())), syncRun)
        shell = PermissionShell(inner, PermissionTable(PERMISSIONS), quota,
                                usage)
        return shell, inner, usage

    def test_needsUsage(self):
        """
        A quota without a L{QuotaUsage} is a programming error.
        """
        self.assertRaises(ValueError, PermissionShell, MemoryShell(),
                          PermissionTable(PERMISSIONS), 10)

    def test_entryBytesNeedsEntriesBelow(self):
        """
        Keys that cost bytes without a count of the entries a directory's
        rename changes (or the other way round) are a programming error.
        """
        usage = QuotaUsage(lambda: 0, syncRun)
        for keys in [{"entryBytes": len}, {"entriesBelow": len}]:
            self.assertRaises(ValueError, PermissionShell, MemoryShell(),
                              PermissionTable(PERMISSIONS), 10, usage,
                              **keys)

    @defer.inlineCallbacks
    def test_withinQuota(self):
        """
        Uploads that fit are stored and counted.
        """
        shell, inner, usage = self.makeShell(20)
        yield writeFile(shell, ("new.txt",), b"x" * 10)
        self.assertEqual(usage.used, 20)
        self.assertEqual(usage.inFlight, 0)
        data = yield readFile(inner, ("new.txt",))
        self.assertEqual(data, b"x" * 10)

    @defer.inlineCallbacks
    def test_overQuotaNewFile(self):
        """
        A new file going past the quota fails with L{QuotaExceeded} at
        close and leaves no file.
        """
        shell, inner, usage = self.makeShell(20)
        yield self.assertFailure(
            writeFile(shell, ("new.txt",), b"x" * 11), QuotaExceeded)
        yield self.assertFailure(inner.stat(("new.txt",)), NoSuchFile)
        self.assertEqual((usage.used, usage.inFlight), (10, 0))

    @defer.inlineCallbacks
    def test_replaceFreesOldBytes(self):
        """
        Replacing a file counts only the difference; going past the quota
        keeps the old file as it was.
        """
        shell, inner, usage = self.makeShell(15)
        yield self.assertFailure(
            writeFile(shell, ("old.txt",), b"y" * 16), QuotaExceeded)
        data = yield readFile(inner, ("old.txt",))
        self.assertEqual(data, b"0123456789")
        yield writeFile(shell, ("old.txt",), b"y" * 15)
        self.assertEqual(usage.used, 15)

    @defer.inlineCallbacks
    def test_appendCountsKeptBytes(self):
        """
        Appending counts the old bytes as kept.
        """
        shell, inner, usage = self.makeShell(15)
        yield self.assertFailure(
            writeFile(shell, ("old.txt",), b"z" * 6, append=True),
            QuotaExceeded)
        yield writeFile(shell, ("old.txt",), b"z" * 5, append=True)
        self.assertEqual(usage.used, 15)

    @defer.inlineCallbacks
    def test_removeAndRenameFree(self):
        """
        Removing a file, or renaming over one, frees its bytes.
        """
        shell, inner, usage = self.makeShell(100, {
            "/a": b"a" * 10, "/b": b"b" * 20, "/c": b"c" * 30})
        yield usage.current()
        yield shell.removeFile(("a",))
        self.assertEqual(usage.used, 50)
        yield shell.rename(("b",), ("c",))
        self.assertEqual(usage.used, 20)

    @defer.inlineCallbacks
    def test_renameToItself(self):
        """
        A file renamed to its own name frees nothing: RNFR and RNTO of one
        name, repeated, emptied any quota.
        """
        shell, inner, usage = self.makeShell(10)
        yield usage.current()
        for _ in range(2):
            yield shell.rename(("old.txt",), ("old.txt",))
        self.assertEqual(usage.used, 10)
        yield self.assertFailure(writeFile(shell, ("new.txt",), b"x"),
                                 QuotaExceeded)

    @defer.inlineCallbacks
    def test_concurrentUploadsShare(self):
        """
        Bytes of an upload in progress count against another one.
        """
        shell, inner, usage = self.makeShell(20)
        first = writeFileFor((yield shell.openForWriting(("one",))))
        second = writeFileFor((yield shell.openForWriting(("two",))))
        (yield first.receive()).write(b"a" * 6)
        self.assertEqual(usage.inFlight, 6)
        (yield second.receive()).write(b"b" * 6)
        yield first.close()
        yield self.assertFailure(second.close(), QuotaExceeded)
        self.assertEqual((usage.used, usage.inFlight), (16, 0))

    @defer.inlineCallbacks
    def test_abort(self):
        """
        An aborted upload gives its bytes in flight back.
        """
        shell, inner, usage = self.makeShell(20)
        upload = writeFileFor((yield shell.openForWriting(("one",))))
        (yield upload.receive()).write(b"a" * 6)
        yield upload.abort()
        self.assertEqual((usage.used, usage.inFlight), (10, 0))
        yield self.assertFailure(inner.stat(("one",)), NoSuchFile)


class QuotaUsageTests(unittest.TestCase):
    """
    L{QuotaUsage} and L{diskUsage}.
    """

    def test_measuredOnce(self):
        """
        Concurrent callers share one measurement; L{QuotaUsage.invalidate}
        makes the next call measure again.
        """
        pending = []

        def run(function):
            pending.append(function)
            return deferreds.setdefault(len(pending), defer.Deferred())

        deferreds = {}
        usage = QuotaUsage(lambda: 42, run)
        first, second = usage.current(), usage.current()
        self.assertEqual(len(pending), 1)
        deferreds[1].callback(pending[0]())
        self.assertEqual(self.successResultOf(first), 42)
        self.assertEqual(self.successResultOf(second), 42)
        self.assertEqual(self.successResultOf(usage.current()), 42)
        self.assertEqual(len(pending), 1)
        usage.invalidate()
        usage.adjust(-2)
        self.assertEqual(usage.used, 40)
        usage.current()
        self.assertEqual(len(pending), 2)

    def test_invalidatedWhileMeasuring(self):
        """
        A measurement begun before L{QuotaUsage.invalidate} may miss the
        change it was told of: the usage stays stale, and the next call
        measures again (the invalidation was lost, and a file another
        user removed meanwhile counted until the next reload).
        """
        pending = []

        def run(function):
            pending.append(defer.Deferred())
            return pending[-1]

        usage = QuotaUsage(lambda: 42, run)
        first = usage.current()
        usage.invalidate()
        pending[0].callback(42)
        self.assertEqual(self.successResultOf(first), 42)
        self.assertTrue(usage.stale)
        usage.current()
        self.assertEqual(len(pending), 2)
        pending[1].callback(40)
        self.assertFalse(usage.stale)

    def test_measureFails(self):
        """
        A failed measurement reaches the callers and is tried again next
        time.
        """
        usage = QuotaUsage(lambda: 1 // 0, syncRun)
        self.failureResultOf(usage.current(), ZeroDivisionError)
        self.assertTrue(usage.stale)

    def test_diskUsage(self):
        """
        L{diskUsage} adds up regular files, recursively, without
        following links.
        """
        top = self.mktemp()
        os.makedirs(os.path.join(top, "sub"))
        with open(os.path.join(top, "a"), "wb") as f:
            f.write(b"x" * 3)
        with open(os.path.join(top, "sub", "b"), "wb") as f:
            f.write(b"x" * 4)
        os.symlink(os.path.join(top, "a"), os.path.join(top, "link"))
        self.assertEqual(diskUsage(top), 7)
        self.assertEqual(diskUsage(os.path.join(top, "missing")), 0)


@implementer(IFTPShell)
class _WithoutHash:
    """
    A shell (only as far as C{providedBy} looks) without L{IFTPShellHash}
    or L{IFTPShellNames}.
    """


class PermissionShellConformanceTests(IFTPShellConformanceMixin,
                                      unittest.TestCase):
    """
    With every permission, L{PermissionShell} keeps the whole contract.
    """

    def makeShell(self):
        return PermissionShell(MemoryShell(), PermissionTable(PERMISSIONS))


class QuotaShellConformanceTests(IFTPShellConformanceMixin,
                                 unittest.TestCase):
    """
    So does a L{PermissionShell} with a quota that is never reached.
    """

    def makeShell(self):
        return PermissionShell(MemoryShell(), PermissionTable(PERMISSIONS),
                               2**40, QuotaUsage(lambda: 0, syncRun))

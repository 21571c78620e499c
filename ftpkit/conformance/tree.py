"""
The conformance tests of a shell's tree: paths, directories, renames, the
root, listings, modification times and the optional extras.
"""

import hashlib
import zlib
from types import CoroutineType

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.trial.unittest import SkipTest

from ftpkit.conformance.helpers import readFile, writeFile
from ftpkit.conformance.kit import ShellKit
from ftpkit.errors import (
    AlreadyExists,
    DirectoryNotEmpty,
    FTPError,
    InvalidPath,
    IsDirectory,
    NoSuchFile,
    NotDirectory,
    ParameterNotImplemented,
    PermissionDenied,
)
from ftpkit.interfaces import (
    IFTPShellAvailable,
    IFTPShellChmod,
    IFTPShellFeatures,
    IFTPShellHash,
    IFTPShellListSome,
    IFTPShellNames,
    IFTPShellPermitted,
    IFTPShellResolve,
    IFTPShellUploadOffsets,
)
from ftpkit.shells.answers import (
    entriesProblem,
    featuresProblem,
    infoProblem,
    maskProblem,
    masksProblem,
    offsetsProblem,
)


class TreeTests(ShellKit):
    """
    Part of L{ftpkit.conformance.IFTPShellConformanceMixin}: the tree.
    """

    @inlineCallbacks
    def names(self, path=()):
        """
        @param path: a tuple of segments naming a directory.
        @return: a L{Deferred} with the names listed in C{path}.
        """
        entries = yield self.shell.list(path)
        return [name for name, info in entries]

    @inlineCallbacks
    def test_givesDeferreds(self):
        """
        Each method of L{IFTPShell} gives a L{Deferred}, failing ones too
        (a plain value, which the kit's own C{yield} takes as it is, the
        server refuses: the command gets 451, the log a line naming the
        method, L{ftpkit.shells.contract}).
        """
        calls = [("stat", ((),)), ("list", ((),)),
                 ("makeDirectory", (("d",),)),
                 ("setModificationTime", (("d",), 0.0)),
                 ("rename", (("d",), ("e",))), ("removeDirectory", (("e",),)),
                 ("removeFile", (("missing",),)),
                 ("openForReading", (("missing",),)),
                 ("openForWriting", (("f",),))]
        for name, args in calls:
            try:
                given = getattr(self.shell, name)(*args)
            except Exception as e:
                self.fail(f"{name} raised {e!r}, not a failing Deferred")
            if isinstance(given, CoroutineType):
                given.close()
                self.fail(f"{name} gave a coroutine (async def), not a "
                          "Deferred: return defer.Deferred.fromCoroutine(...)"
                          " of it")
            self.assertIsInstance(given, Deferred,
                                  f"{name} gave {given!r}, not a Deferred")
            result = yield given.addErrback(lambda failure: failure.trap(
                FTPError))
        yield result.abort()

    @inlineCallbacks
    def test_answersHaveTheirTypes(self):
        """
        C{stat} and C{list} give L{ftpkit.fileinfo.FileInfo} values whose
        fields have their types (a C{size} an C{int}, an C{mtime} seconds
        or C{None}...), in C{(name, FileInfo)} pairs: the server refuses
        anything else with 451 (L{ftpkit.shells.answers}).
        """
        yield self.shell.makeDirectory(("d",))
        yield writeFile(self.shell, ("f",), b"abc")
        for path in ((), ("d",), ("f",)):
            problem = infoProblem((yield self.shell.stat(path)))
            self.assertIsNone(problem, f"stat({path!r}) gave {problem}")
        entries, problem = entriesProblem((yield self.shell.list(())))
        self.assertIsNone(problem, f"list(()) gave {problem}")

    @inlineCallbacks
    def test_answersAtOnceHaveTheirShapes(self):
        """
        C{permitted} gives a C{frozenset} of letters and C{permittedIn} a
        mask and a C{dict} of masks (L{IFTPShellPermitted}),
        C{unsupportedFeatures} a C{frozenset} of C{FEAT} keywords
        (L{IFTPShellFeatures}), C{writesAtOffsets} C{True} or C{False}
        (L{IFTPShellUploadOffsets}): the server takes anything else, or an
        exception raised, as telling nothing (L{ftpkit.shells.contract}).
        """
        asked = []
        if IFTPShellPermitted.providedBy(self.shell):
            yield writeFile(self.shell, ("f",), b"abc")
            asked += [("permitted(())", maskProblem, self.shell.permitted,
                       ()),
                      ("permitted(('f',))", maskProblem,
                       self.shell.permitted, ("f",)),
                      ("permittedIn(())", masksProblem,
                       self.shell.permittedIn, ())]
        if IFTPShellFeatures.providedBy(self.shell):
            asked.append(("unsupportedFeatures()", featuresProblem,
                          lambda: self.shell.unsupportedFeatures()))
        if IFTPShellUploadOffsets.providedBy(self.shell):
            asked.append(("writesAtOffsets()", offsetsProblem,
                          lambda: self.shell.writesAtOffsets()))
        if not asked:
            raise SkipTest("The shell provides none of IFTPShellPermitted, "
                           "IFTPShellFeatures and IFTPShellUploadOffsets")
        for call, check, method, *args in asked:
            _, problem = check(method(*args))
            self.assertIsNone(problem, f"{call} gave {problem}")

    @inlineCallbacks
    def test_statRoot(self):
        """
        The root is a directory, and is empty at first.
        """
        info = yield self.shell.stat(())
        self.assertTrue(info.isDirectory)
        self.assertEqual((yield self.shell.list(())), [])

    @inlineCallbacks
    def test_makeDirectory(self):
        """
        A new directory is listed and is a directory.
        """
        yield self.shell.makeDirectory(("d",))
        info = yield self.shell.stat(("d",))
        self.assertTrue(info.isDirectory)
        entries = yield self.shell.list(())
        self.assertEqual([(name, info.kind) for name, info in entries], [("d", "dir")])

    @inlineCallbacks
    def test_makeDirectoryExists(self):
        """
        Making an existing directory or file fails with L{AlreadyExists}.
        """
        yield self.shell.makeDirectory(("d",))
        yield writeFile(self.shell, ("f",), b"x")
        yield self.assertFailure(self.shell.makeDirectory(("d",)), AlreadyExists)
        yield self.assertFailure(self.shell.makeDirectory(("f",)), AlreadyExists)

    def test_makeDirectoryMissingParent(self):
        """
        A directory needs its parent: L{NoSuchFile}.
        """
        return self.assertFailure(
            self.shell.makeDirectory(("missing", "d")), NoSuchFile
        )

    @inlineCallbacks
    def test_removeDirectory(self):
        """
        An empty directory can be removed.
        """
        yield self.shell.makeDirectory(("d",))
        yield self.shell.removeDirectory(("d",))
        self.assertEqual((yield self.names()), [])
        yield self.assertFailure(self.shell.stat(("d",)), NoSuchFile)

    @inlineCallbacks
    def test_removeDirectoryErrors(self):
        """
        Removing a directory that is not empty, a file, a missing path or
        the root fails, and changes nothing.
        """
        yield self.shell.makeDirectory(("d",))
        yield writeFile(self.shell, ("d", "f"), b"x")
        yield self.assertFailure(
            self.shell.removeDirectory(("d",)), DirectoryNotEmpty
        )
        yield self.assertFailure(
            self.shell.removeDirectory(("d", "f")), NotDirectory
        )
        yield self.assertFailure(self.shell.removeDirectory(("x",)), NoSuchFile)
        yield self.assertFailure(self.shell.removeDirectory(()), PermissionDenied)
        self.assertEqual((yield self.names(("d",))), ["f"])

    @inlineCallbacks
    def test_renameFile(self):
        """
        A renamed file keeps its content under its new name.
        """
        yield writeFile(self.shell, ("a",), b"content")
        yield self.shell.rename(("a",), ("b",))
        self.assertEqual((yield self.names()), ["b"])
        self.assertEqual((yield readFile(self.shell, ("b",))), b"content")

    @inlineCallbacks
    def test_renameDirectory(self):
        """
        A renamed directory takes its entries along, even to another
        directory.
        """
        yield self.shell.makeDirectory(("d",))
        yield self.shell.makeDirectory(("e",))
        yield writeFile(self.shell, ("d", "f"), b"x")
        yield self.shell.rename(("d",), ("e", "moved"))
        self.assertEqual((yield self.names()), ["e"])
        self.assertEqual((yield readFile(self.shell, ("e", "moved", "f"))), b"x")

    @inlineCallbacks
    def test_renameReplacesFile(self):
        """
        Renaming onto an existing file replaces it.
        """
        yield writeFile(self.shell, ("a",), b"new")
        yield writeFile(self.shell, ("b",), b"old")
        yield self.shell.rename(("a",), ("b",))
        self.assertEqual((yield self.names()), ["b"])
        self.assertEqual((yield readFile(self.shell, ("b",))), b"new")

    @inlineCallbacks
    def test_renameErrors(self):
        """
        Renaming a missing path fails with L{NoSuchFile}, the root or onto
        the root with L{PermissionDenied}; renaming onto a directory fails
        and changes nothing.
        """
        yield writeFile(self.shell, ("f",), b"x")
        yield self.shell.makeDirectory(("d",))
        yield self.assertFailure(self.shell.rename(("x",), ("y",)), NoSuchFile)
        yield self.assertFailure(self.shell.rename((), ("y",)), PermissionDenied)
        yield self.assertFailure(self.shell.rename(("f",), ()), PermissionDenied)
        yield self.assertFailure(
            self.shell.rename(("f",), ("d",)), AlreadyExists, IsDirectory
        )
        self.assertEqual((yield self.names()), ["d", "f"])
        self.assertEqual((yield readFile(self.shell, ("f",))), b"x")

    @inlineCallbacks
    def test_renameOntoItself(self):
        """
        Renaming a file or directory onto itself succeeds and changes
        nothing.
        """
        yield writeFile(self.shell, ("f",), b"x")
        yield self.shell.makeDirectory(("d",))
        yield self.shell.rename(("f",), ("f",))
        yield self.shell.rename(("d",), ("d",))
        self.assertEqual((yield self.names()), ["d", "f"])
        self.assertEqual((yield readFile(self.shell, ("f",))), b"x")

    @inlineCallbacks
    def test_renameDirectoryRules(self):
        """
        A directory cannot move into itself (L{InvalidPath}) or replace a
        file (L{NotDirectory}); a missing target directory is
        L{NoSuchFile}. Nothing changes.
        """
        yield self.shell.makeDirectory(("d",))
        yield writeFile(self.shell, ("d", "inner"), b"i")
        yield writeFile(self.shell, ("f",), b"x")
        yield self.assertFailure(self.shell.rename(("d",), ("d", "e")),
                                 InvalidPath)
        yield self.assertFailure(self.shell.rename(("d",), ("f",)),
                                 NotDirectory)
        yield self.assertFailure(self.shell.rename(("f",), ("x", "f")),
                                 NoSuchFile)
        self.assertEqual((yield self.names()), ["d", "f"])
        self.assertEqual((yield self.names(("d",))), ["inner"])
        self.assertEqual((yield readFile(self.shell, ("f",))), b"x")

    @inlineCallbacks
    def test_renameOntoOwnSubdirectory(self):
        """
        A directory moved onto one of its own subdirectories, which exists,
        is refused and nothing changes. The reason to give is that it would
        move into itself (L{InvalidPath}, before the new name is taken:
        the order of the kernel's C{rename}), as ftpkit's shells all do
        (C{tests/integration/test_renameclashes.py}); a shell written
        before this test that says the name is taken (L{AlreadyExists})
        still passes, so that plugins checked by this kit keep passing it.
        """
        yield self.shell.makeDirectory(("d",))
        yield self.shell.makeDirectory(("d", "sub"))
        yield self.shell.makeDirectory(("d", "sub", "deeper"))
        for target in (("d", "sub"), ("d", "sub", "deeper")):
            yield self.assertFailure(self.shell.rename(("d",), target),
                                     InvalidPath, AlreadyExists)
        self.assertEqual((yield self.names()), ["d"])
        self.assertEqual((yield self.names(("d",))), ["sub"])
        self.assertEqual((yield self.names(("d", "sub"))), ["deeper"])

    @inlineCallbacks
    def test_renamePatternCharacters(self):
        """
        Names holding C{*}, C{?} or C{[} are names, not patterns: renaming
        one moves that file alone (fsspec's C{mv} expanded them, moving
        and overwriting every file they matched), and a directory with
        such a name is renamed alone or refused with L{PermissionDenied},
        changing nothing.
        """
        for name in ("f1", "f2", "f?", "f*", "[f]1"):
            yield writeFile(self.shell, (name,), name.encode())
        yield self.shell.makeDirectory(("d*",))
        yield self.shell.makeDirectory(("d1",))
        yield writeFile(self.shell, ("d1", "inner"), b"i")
        yield self.shell.rename(("f?",), ("g",))
        yield self.shell.rename(("f*",), ("h",))
        yield self.shell.rename(("[f]1",), ("k",))
        try:
            yield self.shell.rename(("d*",), ("e",))
        except PermissionDenied:
            directories = ["d*", "d1"]
        else:
            directories = ["d1", "e"]
        self.assertEqual(sorted((yield self.names())),
                         sorted(directories + ["f1", "f2", "g", "h", "k"]))
        for name, content in (("f1", b"f1"), ("f2", b"f2"), ("g", b"f?"),
                              ("h", b"f*"), ("k", b"[f]1")):
            self.assertEqual((yield readFile(self.shell, (name,))), content)
        self.assertEqual((yield self.names(("d1",))), ["inner"])

    @inlineCallbacks
    def test_nonUTF8Names(self):
        """
        A name holding bytes a client sent that are not UTF-8 (a lone
        surrogate, Python's C{surrogateescape}: C{caf\\udce9} is
        Latin-1's C{café}) is kept like any other (listed under the same
        name, read back, removed), or refused with an L{FTPError}
        (L{InvalidPath}: C{553}), leaving nothing. Any other exception (a
        store's C{UnicodeEncodeError}) gets the client C{451} and the log
        an error line for every command naming it.
        """
        name = "caf\udce9"
        for what, make, check in [
                ("an upload", lambda: writeFile(self.shell, (name,), b"x"),
                 lambda: readFile(self.shell, (name,))),
                ("makeDirectory", lambda: self.shell.makeDirectory((name,)),
                 lambda: self.shell.stat((name,)))]:
            try:
                yield make()
            except FTPError:
                self.assertNotIn(name, (yield self.names()))
                continue
            except Exception as e:
                self.fail(f"{what} of {name!r} failed with {e!r}: keep the "
                          f"name, or refuse it with InvalidPath")
            self.assertEqual((yield self.names()), [name])
            yield check()
            remove = (self.shell.removeFile if what == "an upload"
                      else self.shell.removeDirectory)
            yield remove((name,))
            self.assertEqual((yield self.names()), [])

    @inlineCallbacks
    def test_rootEdges(self):
        """
        The root exists, is a directory, and cannot be made, removed as a
        file or written to.
        """
        yield self.assertFailure(self.shell.makeDirectory(()), AlreadyExists)
        yield self.assertFailure(self.shell.removeFile(()), IsDirectory)
        yield self.assertFailure(self.shell.openForWriting(()), IsDirectory)
        yield self.assertFailure(self.shell.openForReading(()), IsDirectory)
        self.assertTrue((yield self.shell.stat(())).isDirectory)

    @inlineCallbacks
    def test_removeFile(self):
        """
        A removed file is gone; removing a directory fails with
        L{IsDirectory}, a missing file with L{NoSuchFile}.
        """
        yield writeFile(self.shell, ("f",), b"x")
        yield self.shell.makeDirectory(("d",))
        yield self.shell.removeFile(("f",))
        self.assertEqual((yield self.names()), ["d"])
        yield self.assertFailure(self.shell.removeFile(("d",)), IsDirectory)
        yield self.assertFailure(self.shell.removeFile(("f",)), NoSuchFile)

    @inlineCallbacks
    def test_list(self):
        """
        A listing is sorted by name and describes each entry; listing a
        file fails with L{NotDirectory}, a missing path with L{NoSuchFile}.
        A C{unique} id is optional (C{""}: the server leaves the fact out
        of C{MLSD}), but two entries never share one.
        """
        yield writeFile(self.shell, ("b",), b"12345")
        yield self.shell.makeDirectory(("a",))
        yield writeFile(self.shell, ("c",), b"")
        entries = yield self.shell.list(())
        self.assertEqual(
            [(name, info.kind, info.size if info.isFile else None)
             for name, info in entries],
            [("a", "dir", None), ("b", "file", 5), ("c", "file", 0)],
        )
        given = [info.unique for name, info in entries if info.unique]
        self.assertEqual(len(set(given)), len(given),
                         f"two entries share a unique id: {given}")
        yield self.assertFailure(self.shell.list(("b",)), NotDirectory)
        yield self.assertFailure(self.shell.list(("x",)), NoSuchFile)

    @inlineCallbacks
    def test_listNames(self):
        """
        A shell that provides L{IFTPShellNames} names what C{list} lists,
        in the same order, and fails as C{list} does.
        """
        if not IFTPShellNames.providedBy(self.shell):
            raise SkipTest("The shell does not provide IFTPShellNames")
        yield writeFile(self.shell, ("b",), b"12345")
        yield self.shell.makeDirectory(("a",))
        yield writeFile(self.shell, ("a", "inner"), b"")
        names = yield self.shell.listNames(())
        self.assertEqual(names, (yield self.names(())))
        self.assertEqual(names, ["a", "b"])
        self.assertEqual((yield self.shell.listNames(("a",))), ["inner"])
        yield self.assertFailure(self.shell.listNames(("b",)), NotDirectory)
        yield self.assertFailure(self.shell.listNames(("x",)), NoSuchFile)

    @inlineCallbacks
    def test_resolve(self):
        """
        A shell that provides L{IFTPShellResolve} resolves a path without
        links to itself (a missing one too), finds no link where none was
        made, and fails C{linkTargets} as C{list} does.
        """
        if not IFTPShellResolve.providedBy(self.shell):
            raise SkipTest("The shell does not provide IFTPShellResolve")
        yield self.shell.makeDirectory(("a",))
        yield writeFile(self.shell, ("a", "f"), b"")
        for path in [(), ("a",), ("a", "f"), ("a", "missing")]:
            self.assertEqual((yield self.shell.resolve(path)), path)
        self.assertEqual((yield self.shell.linkTargets(("a",))), {})
        yield self.assertFailure(self.shell.linkTargets(("a", "f")),
                                 NotDirectory)
        yield self.assertFailure(self.shell.linkTargets(("x",)), NoSuchFile)

    @inlineCallbacks
    def test_listSome(self):
        """
        A shell that provides L{IFTPShellListSome} describes the entries
        named as C{list} does, in the order named, leaving out a name that
        is not there; and fails as C{list} does.
        """
        if not IFTPShellListSome.providedBy(self.shell):
            raise SkipTest("The shell does not provide IFTPShellListSome")
        yield writeFile(self.shell, ("b",), b"12345")
        yield self.shell.makeDirectory(("a",))
        yield writeFile(self.shell, ("c",), b"")
        listed = dict((yield self.shell.list(())))
        some = yield self.shell.listSome((), ["c", "missing", "a"])
        self.assertEqual(some, [("c", listed["c"]), ("a", listed["a"])])
        self.assertEqual((yield self.shell.listSome((), [])), [])
        yield self.assertFailure(self.shell.listSome(("b",), ["x"]),
                                 NotDirectory)
        yield self.assertFailure(self.shell.listSome(("x",), ["y"]),
                                 NoSuchFile)

    @inlineCallbacks
    def test_setModificationTime(self):
        """
        A modification time that was set is what C{stat} and C{list} say.
        """
        yield writeFile(self.shell, ("f",), b"x")
        yield self.shell.setModificationTime(("f",), 1000000000)
        info = yield self.shell.stat(("f",))
        self.assertEqual(info.mtime, 1000000000)
        entries = yield self.shell.list(())
        self.assertEqual(entries[0][1].mtime, 1000000000)
        yield self.assertFailure(
            self.shell.setModificationTime(("x",), 1000000000), NoSuchFile
        )

    @inlineCallbacks
    def test_hash(self):
        """
        A shell that provides L{IFTPShellHash} checksums whole files and
        byte ranges.
        """
        if not IFTPShellHash.providedBy(self.shell):
            raise SkipTest("The shell does not provide IFTPShellHash")
        data = bytes(range(256)) * 5000
        yield writeFile(self.shell, ("f",), data)
        digest = yield self.shell.hash(("f",), "sha256")
        self.assertEqual(digest, hashlib.sha256(data).hexdigest())
        digest = yield self.shell.hash(("f",), "md5", 10, 300000)
        self.assertEqual(digest, hashlib.md5(data[10:300000]).hexdigest())
        yield self.assertFailure(self.shell.hash(("x",), "sha1"), NoSuchFile)

    @inlineCallbacks
    def test_hashCRC32(self):
        """
        A shell that provides L{IFTPShellHash} either refuses C{"crc32"}
        with L{ParameterNotImplemented} or gives zlib's CRC-32 as eight
        hex digits, of whole files and byte ranges.
        """
        if not IFTPShellHash.providedBy(self.shell):
            raise SkipTest("The shell does not provide IFTPShellHash")
        data = bytes(range(256)) * 64
        yield writeFile(self.shell, ("f",), data)
        try:
            digest = yield self.shell.hash(("f",), "crc32")
        except ParameterNotImplemented:
            raise SkipTest("The shell has no CRC-32") from None
        self.assertEqual(digest, "%08x" % zlib.crc32(data))
        digest = yield self.shell.hash(("f",), "crc32", 3, 1000)
        self.assertEqual(digest, "%08x" % zlib.crc32(data[3:1000]))

    @inlineCallbacks
    def test_available(self):
        """
        A shell that provides L{IFTPShellAvailable} gives a directory's
        room left as a non-negative C{int}, and fails for a file
        (L{NotDirectory}) and a missing path (L{NoSuchFile}).
        """
        if not IFTPShellAvailable.providedBy(self.shell):
            raise SkipTest("The shell does not provide IFTPShellAvailable")
        yield writeFile(self.shell, ("f",), b"data")
        yield self.shell.makeDirectory(("d",))
        for path in ((), ("d",)):
            room = yield self.shell.available(path)
            self.assertIsInstance(room, int)
            self.assertGreaterEqual(room, 0)
        yield self.assertFailure(self.shell.available(("f",)), NotDirectory)
        yield self.assertFailure(self.shell.available(("x",)), NoSuchFile)

    @inlineCallbacks
    def test_chmod(self):
        """
        A shell that provides L{IFTPShellChmod} sets the permission bits
        C{stat} then shows, on files and directories.
        """
        if not IFTPShellChmod.providedBy(self.shell):
            raise SkipTest("The shell does not provide IFTPShellChmod")
        yield writeFile(self.shell, ("f",), b"data")
        yield self.shell.makeDirectory(("d",))
        yield self.shell.setPermissions(("f",), 0o600)
        yield self.shell.setPermissions(("d",), 0o750)
        self.assertEqual((yield self.shell.stat(("f",))).mode, 0o600)
        self.assertEqual((yield self.shell.stat(("d",))).mode, 0o750)
        yield self.assertFailure(self.shell.setPermissions(("x",), 0o644),
                                 NoSuchFile)

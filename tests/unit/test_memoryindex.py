"""
Tests for L{ftpkit.shells.memoryindex} and
L{ftpkit.shells.fsspecmemory}: fsspec's C{memory://} store indexed, and
looked up through its index with fsspec's answers.
"""

from twisted.internet import defer
from twisted.trial import unittest

try:
    import fsspec
except ImportError:
    fsspec = None


class CountedKey(str):
    """
    A key of the store that counts the times it is compared as a prefix:
    fsspec's C{info} and C{ls} do so with every key of the store.
    """

    compared = 0

    def startswith(self, *args):
        CountedKey.compared += 1
        return str.startswith(self, *args)


def _memory():
    """
    @return: a new fsspec C{memory://} filesystem with a store of its own.
    """
    return fsspec.filesystem("memory", global_store=False,
                             skip_instance_cache=True)


def _fill(fs):
    """
    Put a tree in C{fs} through fsspec: files, directories implied by the
    files below them, made directories, empty ones, a deep one.
    """
    for path in ("/a", "/d/b", "/d/sub/c", "/d/sub/deeper/e", "/x y/z"):
        fs.pipe_file(path, path.encode())
    for path in ("/empty", "/d/made", "/d/made/inner", "/m/n/o"):
        fs.mkdir(path)


def answers(fs, call, path):
    """
    @param fs: an fsspec filesystem, indexed or not.
    @param call: the name of a method looking up a path (C{info}, C{ls},
        C{isdir}, C{exists}).
    @param path: the path.
    @return: what C{call} of C{fs} gives for C{path}, or the type of the
        exception it raises; listings sorted by name.
    """
    try:
        result = getattr(fs, call)(path)
    except Exception as error:
        return type(error)
    if call == "ls":
        return sorted(result, key=lambda entry: entry["name"])
    return result


_PATHS = ("", "/", "/a", "/a/nothing", "/d", "/d/", "/d/b", "/d/sub",
          "/d/sub/deeper", "/d/sub/deeper/e", "/d/made", "/d/made/inner",
          "/empty", "/m", "/m/n", "/m/n/o", "/x y", "/x y/z", "/missing",
          "memory://d/sub")


class IndexedAnswersTests(unittest.SynchronousTestCase):
    """
    L{IndexedMemoryFileSystem} answers as fsspec's C{memory://} does,
    before and after the store changes through fsspec.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        from ftpkit.shells.fsspecmemory import IndexedMemoryFileSystem

        self.fs = _memory()
        _fill(self.fs)
        self.indexed = IndexedMemoryFileSystem(self.fs)

    def assertSameAnswers(self):
        """
        Every call looking up a path answers as fsspec does, for every
        path of L{_PATHS}.
        """
        for call in ("info", "ls", "find", "isdir", "exists"):
            for path in _PATHS:
                self.assertEqual(answers(self.indexed, call, path),
                                 answers(self.fs, call, path),
                                 (call, path))
        for path in _PATHS:
            self.assertEqual(
                self.indexed.find(path, withdirs=True, detail=True),
                self.fs.find(path, withdirs=True, detail=True), path)

    def test_answers(self):
        """
        C{info}, C{ls}, C{find}, C{isdir} and C{exists} answer as fsspec.
        """
        self.assertSameAnswers()

    def test_afterChanges(self):
        """
        Files and directories added and removed through fsspec's own calls
        (C{rm_file}, C{rmdir}, C{mkdir}, C{pipe_file}, C{rm}), and the
        backend's renames, are in the index at once.
        """
        from ftpkit.shells.fsspecposix import MemoryBackend

        fs = self.fs
        fs.rm_file("/d/sub/deeper/e")
        fs.rmdir("/d/made/inner")
        fs.mkdir("/d/sub/deeper")
        fs.pipe_file("/empty/now", b"")
        fs.rm("/x y", recursive=True)
        MemoryBackend("memory").rename(self.indexed, "/d", "/m/d", True)
        MemoryBackend("memory").rename(self.indexed, "/a", "/m/a", False)
        self.assertSameAnswers()

    def test_rmdir(self):
        """
        C{rmdir} removes a made directory that is empty, refuses one that
        is not, and leaves the root.
        """
        self.assertRaises(OSError, self.indexed.rmdir, "/d/made")
        self.indexed.rmdir("/d/made/inner")
        self.indexed.rmdir("/d/made")
        self.indexed.rmdir("/")
        self.assertRaises(FileNotFoundError, self.indexed.rmdir, "/d/made")
        self.assertSameAnswers()

    def test_listSorted(self):
        """
        A directory lists sorted by name.
        """
        for name in ("b", "c", "a"):
            self.fs.pipe_file("/s/" + name, b"")
        self.assertEqual(self.indexed.ls("/s", detail=False),
                         ["/s/a", "/s/b", "/s/c"])


class StoreChangesTests(unittest.SynchronousTestCase):
    """
    L{IndexedStore} and L{IndexedDirectories} keep their index whatever
    changes them: it counts what a new index of their content counts.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def assertIndexExact(self, fs):
        """
        The index of C{fs}'s store is the one its content makes.
        """
        from ftpkit.shells.memoryindex import (
            IndexedDirectories,
            IndexedStore,
            PathIndex,
        )

        fresh = PathIndex()
        IndexedStore(dict(fs.store), fresh)
        directories = IndexedDirectories(list(fs.pseudo_dirs), fresh)
        index = fs.store.index
        self.assertEqual(index._weights, fresh._weights)
        self.assertEqual(index._names, fresh._names)
        self.assertEqual(fs.pseudo_dirs._places, directories._places)

    def test_changes(self):
        """
        Every way of changing a C{dict} and a C{list}.
        """
        from ftpkit.shells.memoryindex import indexStore

        fs = _memory()
        _fill(fs)
        indexStore(fs)
        store, directories = fs.store, fs.pseudo_dirs
        value = store["/a"]
        steps = [
            lambda: store.__setitem__("/a", value),
            lambda: store.__setitem__("/n/e/w", value),
            lambda: store.pop("/n/e/w"),
            lambda: store.pop("/nothing", None),
            lambda: store.setdefault("/q/r", value),
            lambda: store.update({"/u/1": value}, **{"/u/2": value}),
            lambda: store.__ior__({"/u/3": value}),
            lambda: store.__delitem__("/u/1"),
            lambda: store.popitem(),
            lambda: directories.append("/p"),
            lambda: directories.insert(0, "/p/q"),
            lambda: directories.extend(["/p", "/r/s"]),
            lambda: directories.__iadd__(["/t"]),
            lambda: directories.remove("/p"),
            lambda: directories.append("/p"),
            lambda: directories.replace("/p", "/z/p"),
            lambda: directories.replace("/nothing", "/z/q"),
            lambda: directories.remove(""),
            lambda: directories.sort(),
            lambda: directories.reverse(),
            lambda: directories.pop(),
            lambda: directories.pop(1),
            lambda: directories.__setitem__(0, "/v"),
            lambda: directories.__setitem__(slice(0, 2), ["/w", "/w/x", "/y"]),
            lambda: directories.__delitem__(slice(1, 3)),
            lambda: directories.__delitem__(0),
            lambda: directories.__imul__(2),
            lambda: directories.clear(),
            lambda: store.clear(),
        ]
        for step in steps:
            step()
            self.assertIndexExact(fs)
        self.assertEqual(directories.count("/p"), 0)

    def test_sharedStore(self):
        """
        The store every C{memory://} filesystem shares by default is
        indexed for all of them: a file another one writes is found.
        """
        from fsspec.implementations.memory import MemoryFileSystem

        from ftpkit.shells.fsspecmemory import IndexedMemoryFileSystem

        indexed = IndexedMemoryFileSystem(
            MemoryFileSystem(skip_instance_cache=True))
        other = MemoryFileSystem(skip_instance_cache=True)
        other.pipe_file("/test_sharedStore/f", b"x")
        self.addCleanup(other.rm, "/test_sharedStore", recursive=True)
        self.assertEqual(indexed.ls("/test_sharedStore", detail=False),
                         ["/test_sharedStore/f"])


class LookupCostTests(unittest.TestCase):
    """
    A command of a shell on C{memory://} looks at the keys of its path and
    directory, not at every key of the store.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    @defer.inlineCallbacks
    def test_noPassOverStore(self):
        """
        C{CWD} (stat of a directory), C{SIZE} (of a file), C{RETR},
        C{LIST} of a directory, C{STOR} and C{DELE} compare no key of a
        store of 1,000 files as a prefix: fsspec's C{info} and C{ls}
        compared each key, several times per command.
        """
        from ftpkit.shells.fsspecshell import FsspecShell
        from ftpkit.testing import readFile, writeFile

        fs = _memory()
        for number in range(1000):
            fs.store[CountedKey(f"/tree/d{number // 100}/f{number}")] = (
                fs.open("/scratch", "wb"))
        fs.pipe_file("/small", b"bytes")
        fs.rm_file("/scratch")
        shell = FsspecShell(fs, "")
        CountedKey.compared = 0
        self.assertTrue((yield shell.stat(("tree", "d5"))).isDirectory)
        self.assertEqual((yield shell.stat(("small",))).size, 5)
        self.assertEqual((yield readFile(shell, ("small",))), b"bytes")
        self.assertEqual(len((yield shell.list(("tree", "d5")))), 100)
        yield writeFile(shell, ("tree", "new"), b"new")
        yield shell.removeFile(("tree", "new"))
        yield shell.whenIdle()
        self.assertEqual(CountedKey.compared, 0)


class CountedDirectory(str):
    """
    A made directory's path that counts the times it is compared, as
    C{list.remove} and a pass over the made directories compare each.
    """

    compared = 0

    def __eq__(self, other):
        CountedDirectory.compared += 1
        return str.__eq__(self, other)

    def startswith(self, *args):
        CountedDirectory.compared += 1
        return str.startswith(self, *args)

    __hash__ = str.__hash__


class MadeDirectoriesTests(unittest.TestCase):
    """
    C{RMD} and a directory's C{RNTO} find the made directories they
    change in the index, not by a pass over the list of them.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    @defer.inlineCallbacks
    def test_noPassOverDirectories(self):
        """
        C{RMD} of one of 1,000 made directories, and C{RNTO} of another
        with one made below it, compare a few of them, not each: the
        list is as fsspec's own calls would leave it.
        """
        from ftpkit.shells.fsspecshell import FsspecShell

        fs = _memory()
        fs.pseudo_dirs.append("/made")
        fs.pseudo_dirs.extend(CountedDirectory(f"/made/m{number:04d}")
                              for number in range(1000))
        fs.pseudo_dirs.append(CountedDirectory("/made/m0600/inner"))
        shell = FsspecShell(fs, "")
        CountedDirectory.compared = 0
        yield shell.removeDirectory(("made", "m0500"))
        yield shell.rename(("made", "m0600"), ("made", "moved"))
        yield shell.whenIdle()
        self.assertLess(CountedDirectory.compared, 50)
        expected = {f"/made/m{number:04d}" for number in range(1000)} - {
            "/made/m0500", "/made/m0600"} | {
            "/made/moved", "/made/moved/inner", "/made", ""}
        self.assertEqual(set(fs.pseudo_dirs), expected)
        self.assertEqual(len(fs.pseudo_dirs), len(expected))
        for path in ("/made/m0500", "/made/m0600", "/made/m0600/inner"):
            self.assertNotIn(path, fs.pseudo_dirs)
        self.assertEqual(fs.ls("/made/moved", detail=False),
                         ["/made/moved/inner"])
        self.assertTrue(fs.isdir("/made/m0999"))

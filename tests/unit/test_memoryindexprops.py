"""
Property tests for L{ftpkit.shells.memoryindex}: after any sequence of the
changes an FTP session makes to fsspec's C{memory://} store (C{MKD},
C{RMD}, C{STOR}, C{DELE}, C{RNFR}/C{RNTO} of a file or a directory) and
of the list operations a program may use on the made directories, the
index counts what a plain scan of the store and the list counts, and the
list of made directories knows the place of each.
"""

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial import unittest

from ftpkit.shells.memoryindex import PathIndex, indexStore
from tests.unit.test_memoryindex import answers

try:
    import fsspec
except ImportError:
    fsspec = None

if fsspec is not None:
    from ftpkit.shells.fsspecmemory import IndexedMemoryFileSystem
    from ftpkit.shells.fsspecposix import MemoryBackend


_PATH = st.lists(st.sampled_from("ab"), min_size=1, max_size=2).map(
    lambda segments: "/" + "/".join(segments))

_SESSION = st.tuples(st.sampled_from(["mkdir", "rmdir", "stor", "dele"]),
                     _PATH)

_OPERATION = st.one_of(
    # (What a session does most often: the list operations that follow
    # note every place again, which would hide a wrong one.)
    _SESSION, _SESSION, _SESSION, _SESSION, _SESSION, _SESSION,
    st.tuples(st.just("rename"), _PATH, _PATH),
    st.tuples(st.sampled_from(["pop", "insert", "delitem", "setitem"]),
              st.integers(0, 8), _PATH),
    st.tuples(st.sampled_from(["sort", "reverse", "delslice"])),
)


def _scanned(fs):
    """
    @param fs: an indexed C{memory://} filesystem.
    @return: the counts and names of a L{PathIndex} built from a plain
        scan of its store and its list of made directories.
    """
    index = PathIndex()
    for path in [*dict.keys(fs.store), *list.__iter__(fs.pseudo_dirs)]:
        index.add(path)
    return index._weights, index._names


_LOOKED_UP = ("", "/a", "/b", "/a/a", "/a/b", "/b/a", "/b/b")
"""Every path L{_PATH} draws, and the root."""


def _places(directories):
    """
    @param directories: a list.
    @return: where each of its paths is, by a plain pass over it.
    """
    places = {}
    for where, path in enumerate(list.__iter__(directories)):
        places.setdefault(path, set()).add(where)
    return places


def _apply(fs, operation):
    """
    Make one change to C{fs}, as the shell would: what the shell refuses
    (a rename over an existing path or into itself, an RMD of a directory
    with something in it) is not done.

    @param fs: an indexed C{memory://} filesystem.
    @param operation: a tuple drawn from L{_OPERATION}.
    """
    kind, *arguments = operation
    directories = fs.pseudo_dirs
    if kind == "mkdir":
        if not fs.exists(arguments[0]):
            fs.mkdir(arguments[0])
    elif kind == "rmdir":
        path = arguments[0]
        if fs.isdir(path) and not fs.ls(path):
            fs.rmdir(path)
    elif kind == "stor":
        if not fs.isdir(arguments[0]):
            fs.pipe_file(arguments[0], b"x")
    elif kind == "dele":
        if fs.isfile(arguments[0]):
            fs.rm_file(arguments[0])
    elif kind == "rename":
        source, target = arguments
        if (fs.exists(source) and not fs.exists(target)
                and not (target + "/").startswith(source + "/")):
            MemoryBackend("memory").rename(fs, source, target, fs.isdir(source))
    elif kind == "pop" and directories:
        directories.pop(arguments[0] % len(directories))
    elif kind == "insert":
        directories.insert(arguments[0], arguments[1])
    elif kind == "delitem" and directories:
        del directories[arguments[0] % len(directories)]
    elif kind == "setitem" and directories:
        directories[arguments[0] % len(directories)] = arguments[1]
    elif kind == "sort":
        directories.sort()
    elif kind == "reverse":
        directories.reverse()
    elif kind == "delslice":
        del directories[::2]


class IndexAgainstScanTests(unittest.SynchronousTestCase):
    """
    The index of a C{memory://} store agrees with a plain scan after any
    sequence of changes.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    @settings(deadline=None, max_examples=300)
    @given(st.lists(_OPERATION, max_size=30))
    def test_agreesWithScan(self, operations):
        """
        After each change, the index's counts and names are those of a
        plain scan, and the made directories' places those of a pass over
        the list; after them all, the indexed look-ups answer as fsspec's
        own.
        """
        fs = fsspec.filesystem("memory", global_store=False,
                               skip_instance_cache=True)
        index = indexStore(fs)
        for operation in operations:
            try:
                _apply(fs, operation)
            except OSError:
                # Refused by fsspec (a file on the way): nothing changed.
                pass
            self.assertEqual((index._weights, index._names), _scanned(fs),
                             operation)
            self.assertEqual(fs.pseudo_dirs._places,
                             _places(fs.pseudo_dirs), operation)
        indexed = IndexedMemoryFileSystem(fs)
        for call in ("info", "ls", "isdir", "exists"):
            for path in _LOOKED_UP:
                self.assertEqual(answers(indexed, call, path),
                                 answers(fs, call, path), (call, path))

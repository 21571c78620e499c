"""
L{IndexedMemoryFileSystem}: the calls L{ftpkit.shells.fsspecshell.FsspecShell}
makes on fsspec's C{memory://} that look a path up or list a directory,
answered from the store's index (L{ftpkit.shells.memoryindex}) in time
proportional to the path or the directory: fsspec's C{info}, C{ls},
C{find}, C{isdir}, C{exists} and C{rmdir} read every key of the store
each time, so that C{SIZE}, C{CWD} or C{RETR} of one small file cost
time in proportion to the files stored (C{bench.memorylookups};
C{docs/benchmark.rst}, C{bench-stores-36}). What they answer is fsspec's
answer, entry for entry; listings come sorted.
"""

from errno import ENOTEMPTY

from ftpkit.compat.fsspecnames import stripProtocol
from ftpkit.shells.memoryindex import below, indexStore, walk


def storedFile(fs, path):
    """
    The file object stored at a path, as fsspec's C{open} of it in C{rb},
    C{r+b} or C{ab} mode gives it, but with its position left where it
    is. Every opener shares the object, position included, and an upload
    written in place moves the position, then writes: an open's C{seek}
    from another thread in between (a download starting, a second
    C{APPE} of the file refused as busy) moved the upload's bytes to the
    start or the end of the file.

    @param fs: fsspec's C{memory://} filesystem, or an
        L{IndexedMemoryFileSystem} over it.
    @param path: the file's path on C{fs}.
    @return: the stored file object.
    @raise FileNotFoundError: when no file is stored there.
    """
    filelike = fs.store.get(stripProtocol(fs, path))
    if filelike is None:
        raise FileNotFoundError(path)
    return filelike


def storedSize(filelike):
    """
    The size of a stored file, taken without exporting its buffer (as
    fsspec's C{MemoryFile.size} does, through C{getbuffer}): while an
    export lives, another thread's upload that grows or cuts the same
    object in place (C{APPE}, C{REST} and C{STOR}) fails with
    C{BufferError}, and its client got C{451} for a plain C{SIZE},
    C{MLSD} or download beside it. C{getvalue} hands out the buffer's
    bytes object itself, with no copy, and no export.

    @param filelike: a stored file object (a C{BytesIO}).
    @return: its size in bytes.
    """
    return len(filelike.getvalue())


def readStored(filelike, offset, length):
    """
    Read from a stored file at an offset without moving its position,
    which every opener shares, and without exporting its buffer (see
    L{storedSize}).

    @param filelike: a stored file object (a C{BytesIO}).
    @param offset: the first byte to read.
    @param length: how many bytes, at most.
    @return: up to C{length} bytes from C{offset}.
    """
    return filelike.getvalue()[offset : offset + length]


class IndexedMemoryFileSystem:
    """
    fsspec's C{memory://} filesystem as the fsspec shell uses it: see the
    module's description. What is not defined here is fsspec's (C{open},
    C{mkdir}, C{rm_file}, C{cat_file}, C{modified}...), which looks up
    nothing but the path it is given.

    @ivar fs: fsspec's C{memory://} filesystem, its store indexed
        (L{ftpkit.shells.memoryindex.indexStore}).
    """

    def __init__(self, fs):
        """
        @param fs: fsspec's C{memory://} filesystem.
        """
        self.fs = fs
        self._index = indexStore(fs)

    def __getattr__(self, name):
        return getattr(self.fs, name)

    def _strip_protocol(self, path):
        """
        See fsspec's C{AbstractFileSystem._strip_protocol}.
        """
        return stripProtocol(self.fs, path)

    def _fileEntry(self, path, filelike):
        """
        @return: the entry of a stored file as fsspec's C{ls} and C{find}
            give it.
        """
        return {"name": path, "size": storedSize(filelike), "type": "file",
                "created": filelike.created.timestamp()}

    def info(self, path, **kwargs):
        """
        See fsspec's C{MemoryFileSystem.info}: a directory where one was
        made or something lies below, else a file where one is stored.

        @param path: a path or URL.
        @param kwargs: ignored.
        @return: its entry.
        @raise FileNotFoundError: when nothing is there.
        """
        path = stripProtocol(self.fs, path)
        store = self.fs.store
        with self._index.lock:
            if below(self._index, store, path):
                return {"name": path, "size": 0, "type": "directory"}
            filelike = store.get(path)
        if filelike is None:
            raise FileNotFoundError(path)
        return {"name": path, "size": storedSize(filelike), "type": "file",
                "created": getattr(filelike, "created", None)}

    def isdir(self, path):
        """
        @param path: a path or URL.
        @return: whether a directory is there.
        """
        try:
            return self.info(path)["type"] == "directory"
        except FileNotFoundError:
            return False

    def exists(self, path, **kwargs):
        """
        @param path: a path or URL.
        @param kwargs: ignored.
        @return: whether anything is there.
        """
        try:
            self.info(path)
        except FileNotFoundError:
            return False
        return True

    def ls(self, path, detail=True, **kwargs):
        """
        See fsspec's C{MemoryFileSystem.ls}: a stored file lists itself, a
        directory what is in it, sorted by name.

        @param path: a path or URL.
        @param detail: give entries rather than paths.
        @param kwargs: ignored.
        @return: the entries (or paths).
        @raise FileNotFoundError: when nothing is there.
        """
        path = stripProtocol(self.fs, path)
        store = self.fs.store
        filelike = store.get(path)
        if filelike is not None:
            return [self._fileEntry(path, filelike)] if detail else [path]
        entries = []
        for name in self._index.names(path):
            child = path + "/" + name
            with self._index.lock:
                filelike = store.get(child)
                isDirectory = below(self._index, store, child) > 0
            if filelike is not None:
                entries.append(self._fileEntry(child, filelike))
            if isDirectory:
                entries.append({"name": child, "size": 0,
                                "type": "directory"})
        if not entries and path not in self.fs.pseudo_dirs:
            raise FileNotFoundError(path)
        return entries if detail else [entry["name"] for entry in entries]

    def find(self, path, withdirs=False, detail=False, **kwargs):
        """
        See fsspec's C{MemoryFileSystem.find}: the files below a path (and
        the directories, with C{withdirs}), the path's subtree read, not
        the store.

        @param path: a path or URL.
        @param withdirs: give the directories too.
        @param detail: give a C{dict} from path to entry, not paths.
        @param kwargs: other options of fsspec's C{find} (C{maxdepth}),
            which fsspec's answers.
        @return: the paths, sorted, or that C{dict}.
        """
        if kwargs:
            return self.fs.find(path, withdirs=withdirs, detail=detail,
                                **kwargs)
        path = stripProtocol(self.fs, path)
        store = self.fs.store
        found = {}
        filelike = store.get(path)
        if filelike is not None:
            found[path] = self._fileEntry(path, filelike)
        else:
            for child in walk(self._index, path):
                with self._index.lock:
                    filelike = store.get(child)
                    isDirectory = below(self._index, store, child) > 0
                if withdirs and isDirectory:
                    found[child] = {"name": child, "size": 0,
                                    "type": "directory"}
                elif filelike is not None:
                    found[child] = self._fileEntry(child, filelike)
            if withdirs and path and self.isdir(path):
                found[path] = self.info(path)
        names = sorted(found)
        return {name: found[name] for name in names} if detail else names

    def rmdir(self, path):
        """
        See fsspec's C{MemoryFileSystem.rmdir}: an empty directory that was
        made is removed (the root never is).

        @param path: a path or URL.
        @raise OSError: C{ENOTEMPTY} when something is in it.
        @raise FileNotFoundError: when no directory was made there.
        """
        path = stripProtocol(self.fs, path)
        if not path:
            return
        directories = self.fs.pseudo_dirs
        with self._index.lock:
            if path not in directories:
                raise FileNotFoundError(path)
            if self._index.names(path):
                raise OSError(ENOTEMPTY, "Directory not empty", path)
            directories.remove(path)

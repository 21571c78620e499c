"""
An index of the paths of fsspec's C{memory://} store, kept by the store
itself, so that a path is looked up and a directory listed in time
proportional to the path or the directory, not to the store: fsspec's
C{info}, C{ls}, C{find}, C{exists} and C{rmdir} read every key of the
store each time, and an FTP command makes several such calls
(C{docs/benchmark.rst}, C{bench-stores-36}).

fsspec's C{memory://} keeps every file in one C{dict} from its full path
to its file object (C{fs.store}) and the directories made by C{mkdir} in
a C{list} (C{fs.pseudo_dirs}); a directory also exists while a key lies
below it. L{indexStore} puts in their place a C{dict} and a C{list} of
the same content (L{IndexedStore}, L{IndexedDirectories}) that tell one
L{PathIndex} of each path added or removed, whoever adds or removes it
(fsspec's own C{MemoryFile.commit}, C{rm_file}, C{mkdir} and C{rmdir}, a
program filling the store, L{ftpkit.shells.fsspecposix.MemoryBackend}'s
renames), and L{ftpkit.shells.fsspecmemory.IndexedMemoryFileSystem}
answers from it.
"""

import threading


class PathIndex:
    """
    For every path of a store, how many of its keys and directories are
    that path or below it, and for every directory, the names in it.

    Paths are fsspec's: C{"/a/b"}, the root C{""}; a path's directory is
    what precedes its last C{"/"}.

    @ivar lock: held around every change of the store and its index
        together, and every reading of the index (the shell's calls run
        in several threads).
    """

    def __init__(self):
        self.lock = threading.RLock()
        self._weights = {}
        self._names = {}

    def add(self, path):
        """
        Count a key or directory (the caller holds L{lock}).

        @param path: its path.
        """
        while True:
            count = self._weights.get(path, 0)
            self._weights[path] = count + 1
            if not path:
                return
            directory, _, name = path.rpartition("/")
            if not count:
                self._names.setdefault(directory, set()).add(name)
            path = directory

    def remove(self, path):
        """
        Count a key or directory less (the caller holds L{lock}).

        @param path: its path, counted before.
        """
        while True:
            count = self._weights[path] - 1
            if count:
                self._weights[path] = count
            else:
                del self._weights[path]
            if not path:
                return
            directory, _, name = path.rpartition("/")
            if not count:
                names = self._names[directory]
                names.discard(name)
                if not names:
                    del self._names[directory]
            path = directory

    def weight(self, path):
        """
        @param path: a path.
        @return: how many keys and directories are C{path} or below it.
        """
        return self._weights.get(path, 0)

    def names(self, directory):
        """
        @param directory: a path.
        @return: the names of what is in it (a key or a directory that is
            C{directory/NAME}, or lies below it), sorted.
        """
        with self.lock:
            return sorted(self._names.get(directory, ()))


class IndexedStore(dict):
    """
    fsspec's C{memory://} store, from each file's path to its file object,
    telling a L{PathIndex} of each key added or removed.

    @ivar index: the L{PathIndex}.
    """

    def __init__(self, items, index):
        """
        @param items: the store's keys and file objects.
        @param index: the L{PathIndex} to keep, which counts none of them
            yet.
        """
        dict.__init__(self, items)
        self.index = index
        for key in self:
            index.add(key)

    def __setitem__(self, key, value):
        with self.index.lock:
            if key not in self:
                self.index.add(key)
            dict.__setitem__(self, key, value)

    def __delitem__(self, key):
        with self.index.lock:
            dict.__delitem__(self, key)
            self.index.remove(key)

    def pop(self, key, *default):
        """
        See L{dict.pop}.
        """
        with self.index.lock:
            if key in self:
                self.index.remove(key)
            return dict.pop(self, key, *default)

    def popitem(self):
        """
        See L{dict.popitem}.
        """
        with self.index.lock:
            key, value = dict.popitem(self)
            self.index.remove(key)
            return key, value

    def setdefault(self, key, default=None):
        """
        See L{dict.setdefault}.
        """
        with self.index.lock:
            if key not in self:
                self[key] = default
            return dict.__getitem__(self, key)

    def update(self, *others, **more):
        """
        See L{dict.update}.
        """
        with self.index.lock:
            for key, value in dict(*others, **more).items():
                self[key] = value

    def __ior__(self, other):
        self.update(other)
        return self

    def clear(self):
        """
        See L{dict.clear}.
        """
        with self.index.lock:
            for key in self:
                self.index.remove(key)
            dict.clear(self)


class IndexedDirectories(list):
    """
    The directories fsspec's C{memory://} made (C{mkdir}), telling a
    L{PathIndex} of each one added or removed, and knowing where each is
    in the list: C{in}, C{remove} and L{replace} are look-ups, not passes
    over the list (one entry per C{MKD}: C{RMD} and a directory's C{RNTO}
    read all of them).

    Its order is nothing a listing follows (the shell's come sorted,
    L{ftpkit.shells.fsspecmemory}; fsspec's C{ls} sorts names and
    promises no order of its entries): C{remove} moves the last directory
    to the place of the one removed, rather than every one after it.

    @ivar index: the L{PathIndex}.
    """

    def __init__(self, paths, index):
        """
        @param paths: the directories' paths.
        @param index: the L{PathIndex} to keep, which counts none of them
            yet.
        """
        list.__init__(self, paths)
        self.index = index
        self._places = {}
        self._placeAll()
        for path in self:
            index.add(path)

    def _placeAll(self):
        """
        Note again where each directory is, after a change that moved
        several.
        """
        places = self._places = {}
        for where, path in enumerate(self):
            places.setdefault(path, set()).add(where)

    def _place(self, path, where):
        """
        Note a directory at a place.
        """
        self._places.setdefault(path, set()).add(where)

    def _unplace(self, path, where):
        """
        Forget a directory at a place.
        """
        places = self._places[path]
        places.discard(where)
        if not places:
            del self._places[path]

    def _changed(self, before, after):
        """
        Tell the index of the directories a change removed and added, and
        note again where each is.

        @param before: the paths removed.
        @param after: the paths added.
        """
        for path in before:
            self.index.remove(path)
        for path in after:
            self.index.add(path)
        self._placeAll()

    def __contains__(self, path):
        return path in self._places

    def count(self, path):
        """
        See L{list.count}.
        """
        return len(self._places.get(path, ()))

    def append(self, path):
        """
        See L{list.append}.
        """
        with self.index.lock:
            self._place(path, len(self))
            list.append(self, path)
            self.index.add(path)

    def extend(self, paths):
        """
        See L{list.extend}.
        """
        paths = list(paths)
        with self.index.lock:
            for path in paths:
                self.append(path)

    def __iadd__(self, paths):
        self.extend(paths)
        return self

    def insert(self, where, path):
        """
        See L{list.insert}.
        """
        with self.index.lock:
            list.insert(self, where, path)
            self._changed((), [path])

    def __imul__(self, times):
        with self.index.lock:
            copies = list(self) * (max(times, 1) - 1)
            if times < 1:
                self.clear()
            else:
                self.extend(copies)
        return self

    def _take(self, where):
        """
        Remove the directory at a place, the last one moved there.

        @param where: the place, C{0 <= where < len(self)}.
        @return: the path removed.
        """
        path = list.__getitem__(self, where)
        self._unplace(path, where)
        last = len(self) - 1
        if where != last:
            moved = list.__getitem__(self, last)
            self._unplace(moved, last)
            list.__setitem__(self, where, moved)
            self._place(moved, where)
        list.pop(self)
        self.index.remove(path)
        return path

    def remove(self, path):
        """
        See L{list.remove}: one of the places of C{path}, the last
        directory moved there.

        @raise ValueError: when C{path} is not in the list.
        """
        with self.index.lock:
            places = self._places.get(path)
            if not places:
                raise ValueError(f"{path!r} is not in the list")
            self._take(min(places))

    def replace(self, path, newPath):
        """
        Put C{newPath} in every place of C{path} (a directory renamed).

        @param path: a path, in the list or not.
        @param newPath: its new path.
        """
        with self.index.lock:
            for where in self._places.pop(path, ()):
                list.__setitem__(self, where, newPath)
                self._place(newPath, where)
                self.index.remove(path)
                self.index.add(newPath)

    def pop(self, where=-1):
        """
        See L{list.pop}.
        """
        with self.index.lock:
            if where in (-1, len(self) - 1) and self:
                return self._take(len(self) - 1)
            path = list.pop(self, where)
            self._changed([path], ())
            return path

    def clear(self):
        """
        See L{list.clear}.
        """
        with self.index.lock:
            before = list(self)
            list.clear(self)
            self._changed(before, ())

    def sort(self, *args, **kwargs):
        """
        See L{list.sort}.
        """
        with self.index.lock:
            list.sort(self, *args, **kwargs)
            self._placeAll()

    def reverse(self):
        """
        See L{list.reverse}.
        """
        with self.index.lock:
            list.reverse(self)
            self._placeAll()

    def __setitem__(self, where, value):
        with self.index.lock:
            before = self[where] if isinstance(where, slice) else [self[where]]
            value = list(value) if isinstance(where, slice) else value
            list.__setitem__(self, where, value)
            self._changed(before, value if isinstance(where, slice)
                          else [value])

    def __delitem__(self, where):
        with self.index.lock:
            before = self[where] if isinstance(where, slice) else [self[where]]
            list.__delitem__(self, where)
            self._changed(before, ())


_installing = threading.Lock()


def indexStore(fs):
    """
    Give fsspec's C{memory://} filesystem C{fs} an indexed store and list
    of directories (L{IndexedStore}, L{IndexedDirectories}), holding what
    it holds, unless it has them already; where they are the store every
    C{memory://} filesystem of the process shares (fsspec's default,
    C{global_store=True}), for all of them.

    @param fs: the filesystem.
    @return: its L{PathIndex}.
    """
    with _installing:
        store, directories = fs.store, fs.pseudo_dirs
        if (isinstance(store, IndexedStore)
                and isinstance(directories, IndexedDirectories)
                and store.index is directories.index):
            return store.index
        index = PathIndex()
        with index.lock:
            _replace(fs, "store", IndexedStore(store, index))
            _replace(fs, "pseudo_dirs", IndexedDirectories(directories, index))
        return index


def _replace(fs, name, value):
    """
    Set an attribute where C{fs} finds it: on C{fs} itself, or on the
    class that holds it for every instance.

    @param fs: an object.
    @param name: the attribute's name.
    @param value: its new value.
    """
    if name in vars(fs):
        setattr(fs, name, value)
        return
    owner = next(cls for cls in type(fs).__mro__ if name in vars(cls))
    setattr(owner, name, value)


def below(index, store, path):
    """
    @param index: the L{PathIndex} of C{store}.
    @param store: an L{IndexedStore}.
    @param path: a path.
    @return: how many keys and directories are below C{path} or are the
        directory C{path} (its key, if it is one, not counted).
    """
    return index.weight(path) - (path in store)


def walk(index, path):
    """
    @param index: a L{PathIndex}.
    @param path: a path.
    @return: every path below C{path} that a key or directory is or lies
        below, in no particular order.
    """
    found = []
    directories = [path]
    while directories:
        directory = directories.pop()
        for name in index.names(directory):
            child = directory + "/" + name
            found.append(child)
            directories.append(child)
    return found

"""
L{StoreCalls}: the blocking part of each method of
L{ftpkit.shells.fsspecshell.FsspecShell}, run in a thread of its pool,
never in the reactor thread: where a path is on the store
(L{StoreCalls.fsPath}, kept to the root and to the rule of a guarded
path), what is there, and the store's calls each command makes, through
the backend (L{ftpkit.shells.fsspecbackends}) for what differs between
stores.
"""

from ftpkit import errors
from ftpkit.errors import (
    AlreadyExists,
    DirectoryNotEmpty,
    IsDirectory,
    MovedIntoItself,
    NoSuchFile,
    NotDirectory,
    PermissionDenied,
)
from ftpkit.fileinfo import DIRECTORY, FILE
from ftpkit.protocol import paths
from ftpkit.shells.fsspecentries import describe, kindOf
from ftpkit.shells.fsspecfiles import (
    CommitOnCloseWriter,
    FsspecReadFile,
    FsspecWriteFile,
    InPlaceWriter,
    RenameIntoPlaceWriter,
    openForReadingBlocking,
    temporarySibling,
)
from ftpkit.shells.fsspeclistings import FsspecListing, isReserved, pageEntries
from ftpkit.shells.fsspectemporaries import removeUnwritten, renameUnwritten
from ftpkit.shells.guardedpaths import checkedReal
from ftpkit.shells.reservednames import RESERVED


class StoreCalls:
    """
    A base of L{ftpkit.shells.fsspecshell.FsspecShell}: its blocking
    calls, made in the pool only.

    A class using it provides C{fs} (the filesystem the calls are made
    on), C{root} (the path on it shown as C{/}), C{backend} (its
    L{ftpkit.shells.fsspecgeneric.Backend}) and C{call} (runs a function
    in the pool, L{ftpkit.shells.fsspeccalls.PooledCalls.call}).
    """

    def fsPath(self, path, followLast=True):
        """
        Called in the pool only (the backend may look at the store).

        @param path: a tuple of segments.
        @param followLast: whether the call to be made on it follows a
            link that its last segment may be, or acts on the entry itself
            (see L{ftpkit.shells.fsspecgeneric.Backend.confine}).
        @return: its path on the filesystem.
        @raise PermissionDenied: where the backend finds that it leads
            outside the root (L{ftpkit.shells.fsspecgeneric.Backend.confine}),
            or past the rule of a Guarded path (L{checkedReal}).
        """
        if not path:
            return self.backend.confine(
                self.root, self.root or self.fs.root_marker, fs=self.fs)
        return checkedReal(path, self.backend.confine(
            self.root, self.root + "/" + "/".join(path), followLast,
            fs=self.fs), self._segmentsOf)

    def _entryPath(self, path, realParent=None):
        """
        Called in the pool only: L{fsPath} of C{path} with C{followLast}
        false, its directory resolved once for the command (a store with
        links asks the server: one C{REALPATH} less a lookup).

        @param path: a tuple of segments, not the root's.
        @param realParent: what L{fsPath} gave for C{path}'s directory,
            or C{None} to resolve it here.
        @return: its path on the filesystem.
        @raise PermissionDenied: see L{fsPath}.
        """
        if realParent is None:
            return self.fsPath(path, followLast=False)
        return checkedReal(path, realParent.rstrip("/") + "/" + path[-1],
                           self._segmentsOf)


    def _info(self, path, real=None):
        """
        @param real: what L{fsPath} gave for C{path}, or C{None} to
            resolve it here.
        @return: the fsspec entry of C{path}; the root always is a
            directory.
        @raise FileNotFoundError: when there is nothing there.
        """
        if real is None:
            real = self.fsPath(path)
        if not path:
            try:
                return self.fs.info(real)
            except FileNotFoundError:
                return {"name": real, "type": "directory", "size": 0}
        return self.fs.info(real)

    def _kindOf(self, path, real=None):
        """
        @param real: see L{_info}.
        @return: L{DIRECTORY}, L{FILE} or C{None} when nothing is there.
        """
        try:
            return kindOf(self._info(path, real))
        except FileNotFoundError:
            return None

    def _ownKindOf(self, real):
        """
        What a command acting on the entry itself finds at C{path}, as
        the disk realm's C{unlink(2)}, C{rename(2)}, C{mkdir(2)} and
        C{rmdir(2)} find it: a symbolic link, wherever it leads (a file
        or a directory inside the root, nowhere, out of the root, in a
        loop), is a L{LINK}, acted on itself, never followed.

        @param real: the entry's path on the filesystem
            (L{_entryPath}).
        @return: the kind of the entry at C{real} itself; C{None} when
            nothing is there.
        """
        try:
            return kindOf(self.fs.info(real))
        except FileNotFoundError:
            return None

    def _ownEntry(self, path):
        """
        @param path: a tuple of segments, not the root's.
        @return: C{(real, kind)}: the entry's path on the filesystem
            (L{_entryPath}) and its own kind (L{_ownKindOf}).
        @raise NoSuchFile: when nothing is there.
        """
        real = self._entryPath(path)
        kind = self._ownKindOf(real)
        if kind is None:
            raise NoSuchFile()
        return real, kind

    def _requireDirectory(self, path, real=None):
        """
        @param real: see L{_info}.
        @return: what L{fsPath} gave for C{path}.
        @raise NoSuchFile: when nothing is at C{path}.
        @raise NotDirectory: when a file is.
        """
        if real is None:
            real = self.fsPath(path)
        kind = self._kindOf(path, real)
        if kind is None:
            raise NoSuchFile()
        if kind != DIRECTORY:
            raise NotDirectory()
        return real

    def _entries(self, path):
        """
        @return: the C{(name, fsspec entry)} pairs of a directory, sorted
            by name, without the directory's own marker object and the
            temporary files of uploads in progress.
        @raise NoSuchFile: when there is nothing there.
        @raise NotDirectory: when it is a file.
        """
        real = self.fsPath(path)
        try:
            details = self.fs.ls(real, detail=True)
        except FileNotFoundError:
            if not path:
                return []
            raise NoSuchFile() from None
        except NotADirectoryError:
            raise NotDirectory() from None
        entries = pageEntries(details, real.rstrip("/"))
        return sorted(entries.items())

    def _stat(self, path):
        return describe(self.backend, self.fs, self._info(path))

    def _list(self, path):
        try:
            entries = self._entries(path)
        except Exception:
            # Some stores (SFTP) answer a listing of a file with "no such
            # file" or a vague failure.
            if path and self._kindOf(path) == FILE:
                raise NotDirectory() from None
            raise
        return [(name, describe(self.backend, self.fs, detail))
                for name, detail in entries]

    def _listSome(self, path, names):
        """
        The blocking part of
        L{ftpkit.shells.fsspecshell.FsspecShell.listSome}.
        """
        real = self._requireDirectory(path)
        pairs = []
        for name in names:
            if isReserved(name) or name in ("", ".", "..") or "/" in name:
                continue
            detail = self.fs.entry(self._entryPath(path + (name,), real))
            if detail is not None:
                pairs.append((name, describe(self.backend, self.fs, detail)))
        return pairs

    def _openListing(self, path):
        """
        The blocking part of
        L{ftpkit.shells.fsspecshell.FsspecShell.openListing}: the listing,
        its first batch read.
        """
        real = self.fsPath(path)
        pages = self.backend.pages(self.fs, real)
        listing = FsspecListing(
            self.call, pages, real.rstrip("/"),
            lambda detail: describe(self.backend, self.fs, detail))
        try:
            return self._readFirst(listing, path, real)
        except BaseException:
            # A refused listing gives back the entries its first page
            # holds now, not when its traceback is collected.
            pages.close()
            raise

    def _readFirst(self, listing, path, real):
        """
        Read a new listing's first batch (blocking), failing as listing
        the directory would.

        @param listing: the L{FsspecListing}.
        @param path: the directory's path segments.
        @param real: its path on the filesystem.
        @return: C{listing}.
        """
        try:
            if not listing.readFirst() and path:
                # An object store lists a missing prefix, or a file's
                # name, as empty.
                self._requireDirectory(path, real)
        except (errors.FTPError, NotADirectoryError):
            raise
        except Exception as error:
            if not path and isinstance(error, FileNotFoundError):
                return listing
            # Some stores (SFTP) answer a listing of a file with "no such
            # file" or a vague failure.
            if path and self._kindOf(path, real) == FILE:
                raise NotDirectory() from None
            raise
        return listing

    def _makeDirectory(self, path):
        real = self._entryPath(path, self._requireDirectory(path[:-1]))
        # The name itself, a link not followed, as mkdir(2) sees it.
        if self._ownKindOf(real) is not None:
            raise AlreadyExists()
        self.backend.makeDirectory(self.fs, real)

    def _removeDirectory(self, path):
        # A link is no directory to remove, as rmdir(2) says on disk.
        real, kind = self._ownEntry(path)
        if kind != DIRECTORY:
            raise NotDirectory()
        # Not the whole listing, which any user who may remove
        # directories had the server make at will.
        if self.backend.holdsEntries(self.fs, real):
            raise DirectoryNotEmpty()
        self.backend.removeDirectory(self.fs, real)

    def _removeFile(self, path):
        real, kind = self._ownEntry(path)
        if kind == DIRECTORY:
            raise IsDirectory()
        removeUnwritten(self.backend, self.fs, real)

    def _rename(self, fromPath, toPath):
        source, kind = self._ownEntry(fromPath)
        realParent = self._requireDirectory(toPath[:-1])
        if fromPath == toPath:
            return
        if paths.isWithin(toPath, fromPath):
            raise MovedIntoItself()
        target = self._entryPath(toPath, realParent)
        # What the new name holds, a link not followed, as rename(2).
        existing = self._ownKindOf(target)
        if existing == DIRECTORY:
            raise AlreadyExists()
        if kind == DIRECTORY:
            if existing is not None:
                raise NotDirectory()
            self.backend.refuseDirectoryRename()
        renameUnwritten(self.backend, self.fs, source, target,
                        kind == DIRECTORY)

    def _openForReading(self, path, offset):
        real = self.fsPath(path)
        info = self._info(path, real)
        if info.get("type") == "directory":
            raise IsDirectory()
        if info.get("type") == "other":
            # A FIFO (a device...) on file://: its open would wait for a
            # writer, holding one of the pool's threads for good.
            raise PermissionDenied()
        opened = openForReadingBlocking(self.fs, self.backend, real)
        return FsspecReadFile(self.call, opened, int(info.get("size") or 0), offset)

    def _openForWriting(self, path, offset, append):
        self._requireDirectory(path[:-1])
        target = self.fsPath(path)
        if self._kindOf(path, target) == DIRECTORY:
            raise IsDirectory()
        if offset or append:
            self.backend.refuseResume(append)
            writer = InPlaceWriter(self.fs, target, offset, append,
                                   self.backend)
        elif self.backend.commitByRename:
            self.backend.refuseReplacing(self.fs, target)
            # The backend's rename, not fs.mv, which takes a path with *, ?
            # or [ for a pattern: an upload into a directory named "a [1]"
            # matched nothing and got 550.
            writer = RenameIntoPlaceWriter(
                self.fs, temporarySibling(target), target,
                lambda source, name: self.backend.rename(
                    self.fs, source, name, False), self.backend.holdTemporary,
                self.backend.reserveTemporary)
        else:
            writer = CommitOnCloseWriter(self.fs.open(
                target, "wb", autocommit=False, **self.backend.writeOptions))
        return FsspecWriteFile(self.call, writer)

    def _openForCreating(self, path):
        target = self._entryPath(path, self._requireDirectory(path[:-1]))
        # Each shell binds a filesystem object of its own: the store is
        # told by its kind (two stores of one kind in a process sharing a
        # path at worst make a STOU take the next name).
        reserved = (type(self.fs), target)
        RESERVED.reserve(reserved)
        try:
            if self._kindOf(path) is not None:
                raise AlreadyExists()
            return FsspecWriteFile(self.call, RenameIntoPlaceWriter(
                self.fs, temporarySibling(target), target,
                lambda source, name: self.backend.moveNew(self.fs, source,
                                                          name),
                self.backend.holdTemporary, self.backend.reserveTemporary),
                ended=lambda: RESERVED.release(reserved))
        except BaseException:
            RESERVED.release(reserved)
            raise

    def _segmentsOf(self, real):
        """
        @param real: a real path on the filesystem, as L{fsPath} gave it.
        @return: its segments under the root's real path, or C{None} when
            it is not there.
        """
        top = self.backend.realRoot(self.fs, self.root).rstrip("/")
        if real != top and not real.startswith(top + "/"):
            return None
        return tuple(segment for segment in real[len(top):].split("/")
                     if segment)

    def _resolve(self, path):
        try:
            return self._segmentsOf(self.fsPath(path))
        except errors.FTPError:
            return None

    def _linkTargets(self, path):
        directory = self._requireDirectory(path)
        return {name: None if real is None else self._segmentsOf(real)
                for name, real in self.fs.links(directory).items()}

    def _setModificationTime(self, path, when):
        real = self.fsPath(path)
        if self._kindOf(path, real) is None:
            raise NoSuchFile()
        self.backend.setModificationTime(self.fs, real, when)

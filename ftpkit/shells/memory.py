"""
L{MemoryShell}: a whole file tree held in memory.

It is meant for tests and as the example to copy when writing a shell:
every method of L{ftpkit.interfaces.IFTPShell} is here, each returning an
already-fired L{Deferred} (but C{hash} of a large file, which runs in a
thread: see L{MemoryShell.hash}), and its open files are the simple kind the
server adapts to producers and consumers (L{ftpkit.shells.adapters}):

  - L{_MemoryReadFile} (an L{IRandomReadFile}) reads a snapshot at an
    offset;
  - L{_MemoryWriteFile} (an L{IRandomWriteFile}) collects the upload,
    which its C{close} commits in one step, so readers see the old
    content until the upload is complete.

(Each also keeps the C{send} or C{receive} of the producer/consumer
files it used to have, for code that calls them directly; a new storage
needs neither.)

A shell given C{maxBytes} holds at most that many bytes, its files and the
uploads in progress together (L{_Budget}): an upload that would pass it
is cut with L{QuotaExceeded} (C{552}) and nothing of it is kept, so that
uploaders cannot fill the server's memory (C{--realm memory:SIZE}). It
also holds at most one file or directory per L{BYTES_PER_ENTRY} bytes of
that (L{MIN_ENTRIES} at least): an entry costs memory though it holds no
byte, and a flood of C{MKD}s or empty uploads would otherwise fill it too.

A storage whose calls block would run them with
L{ftpkit.blocking.BlockingPool} and return its L{Deferred}s instead.
"""

import hashlib
import time

from twisted.internet.defer import fail, succeed
from twisted.internet.threads import deferToThread
from zope.interface import implementer

from ftpkit.data.producers import CHUNK_SIZE, BytesProducer
from ftpkit.errors import (
    AlreadyExists,
    DirectoryNotEmpty,
    DirectoryOverFileQuota,
    FileQuotaExceeded,
    FTPError,
    InvalidPath,
    IsDirectory,
    NoSuchFile,
    NotDirectory,
    ParameterNotImplemented,
    PermissionDenied,
    QuotaExceeded,
)
from ftpkit.fileinfo import DIRECTORY, FILE, FileInfo
from ftpkit.interfaces import (
    IFTPShell,
    IFTPShellCreate,
    IFTPShellHash,
    IFTPShellNames,
    IRandomReadFile,
    IRandomWriteFile,
    IReadFile,
    IWriteFile,
)
from ftpkit.shells.adapters import ReadFileAdapter, WriteFileAdapter

__all__ = ["MemoryShell", "BytesProducer", "CHUNK_SIZE"]

BYTES_PER_ENTRY = 1024
"""A shell with C{maxBytes} holds one file or directory per this many bytes
of it: an entry (its node, its name of up to 255 bytes, its directory's
slot) takes less memory than that."""

MIN_ENTRIES = 1024
"""The fewest files and directories a shell with C{maxBytes} may hold."""


class _Node:
    """
    One entry of the tree.

    @ivar mtime: modification time, seconds since the epoch.
    @ivar unique: the MLSD C{unique} fact of this entry.
    """

    _counter = 0

    def __init__(self, mtime):
        """
        @param mtime: the creation (and so modification) time.
        """
        _Node._counter += 1
        self.unique = f"m{_Node._counter:x}"
        self.mtime = mtime


class _File(_Node):
    """
    A regular file.

    @ivar data: the content, as C{bytes}.
    """

    def __init__(self, mtime, data=b""):
        """
        @param mtime: see L{_Node}.
        @param data: the initial content.
        """
        super().__init__(mtime)
        self.data = data

    def info(self):
        """
        @return: the L{FileInfo} of this file.
        """
        return FileInfo(
            kind=FILE,
            size=len(self.data),
            mtime=self.mtime,
            mode=0o644,
            unique=self.unique,
        )


class _Directory(_Node):
    """
    A directory.

    @ivar children: a C{dict} mapping names to L{_File}s and L{_Directory}s.
    """

    def __init__(self, mtime):
        """
        @param mtime: see L{_Node}.
        """
        super().__init__(mtime)
        self.children = {}

    def info(self):
        """
        @return: the L{FileInfo} of this directory.
        """
        subdirectories = sum(
            isinstance(child, _Directory) for child in self.children.values()
        )
        return FileInfo(
            kind=DIRECTORY,
            size=0,
            mtime=self.mtime,
            mode=0o755,
            nlink=2 + subdirectories,
            unique=self.unique,
        )


class _Budget:
    """
    The bytes a L{MemoryShell} holds, at most C{limit}, and its files and
    directories, at most C{maxEntries}.

    @ivar limit: the most bytes, or C{None} for no limit.
    @ivar used: the bytes of the files and of the uploads in progress.
    @ivar maxEntries: the most files and directories, or C{None} for no
        limit.
    @ivar entries: the files and directories (the root aside).
    """

    def __init__(self, limit):
        """
        @param limit: see L{limit}.
        """
        self.limit = limit
        self.used = 0
        self.maxEntries = (None if limit is None
                           else max(MIN_ENTRIES, limit // BYTES_PER_ENTRY))
        self.entries = 0

    def roomForEntry(self):
        """
        @return: whether the shell may hold one more file or directory.
        """
        return self.maxEntries is None or self.entries < self.maxEntries

    def fits(self, size):
        """
        @param size: bytes more to hold (fewer, when negative).
        @return: whether the shell may hold them.
        """
        return (self.limit is None or size <= 0
                or self.used + size <= self.limit)

    def full(self):
        """
        @return: the error of an upload refused for want of room.
        """
        return QuotaExceeded(f"Exceeded storage allocation: the server "
                             f"holds at most {self.limit} bytes")

    def tooMany(self, error=FileQuotaExceeded):
        """
        @param error: the L{FileQuotaExceeded} class to return (C{MKD}'s
            is L{DirectoryOverFileQuota}).
        @return: the error of a new entry refused for want of room.
        """
        return error(f"Exceeded storage allocation: the server holds at "
                     f"most {self.maxEntries} files and directories")


HASH_AT_ONCE = 1 << 20
"""The most bytes L{MemoryShell.hash} checksums in the reactor's thread;
past it, a thread does (C{hashlib} lets go of the GIL meanwhile)."""


def _checksum(toHash):
    """
    Checksum bytes: at once when they are few, else in a thread.

    @param toHash: the C{hashlib} object and the bytes.
    @return: the hex digest, or a Deferred firing with it.
    """
    digest, data = toHash
    if len(data) <= HASH_AT_ONCE:
        return _hexdigest(digest, data)
    return deferToThread(_hexdigest, digest, data)


def _hexdigest(digest, data):
    """
    @return: the hex digest of C{digest} updated with C{data}.
    """
    digest.update(data)
    return digest.hexdigest()


def _deferred(method):
    """
    Turn a method that returns a value or raises into one that returns a
    fired L{Deferred}, so that the shell's logic reads as plain code.

    @param method: the method to wrap.
    @return: the wrapped method.
    """

    def wrapper(*args, **kwargs):
        try:
            return succeed(method(*args, **kwargs))
        except FTPError as error:
            return fail(error)

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


@implementer(IFTPShell, IFTPShellHash, IFTPShellNames, IFTPShellCreate)
class MemoryShell:
    """
    A shell whose files live in a C{dict} tree.

    Several sessions may share one instance (see L{ftpkit.auth.realms.MemoryRealm}):
    everything happens in the reactor thread, so no locking is needed.
    """

    def __init__(self, files=None, clock=None, maxBytes=None):
        """
        @param files: optional C{dict} mapping absolute path text such as
            C{"/a/b.txt"} to C{bytes}; the directories they need are made.
        @param clock: an L{twisted.internet.interfaces.IReactorTime} giving
            modification times; the system clock when omitted.
        @param maxBytes: the most bytes the shell holds, its files and the
            uploads in progress together (an upload replacing a file needs
            room for both until it is complete), or C{None} for no limit.
            C{files} count towards it, but are never refused. It also
            bounds the files and directories (see L{maxEntries}).
        """
        self._clock = clock
        self._budget = _Budget(maxBytes)
        self._root = _Directory(self._now())
        for text, data in (files or {}).items():
            segments = tuple(segment for segment in text.split("/") if segment)
            directory = self._root
            for segment in segments[:-1]:
                child = directory.children.get(segment)
                if child is None:
                    child = _Directory(self._now())
                    self._place(directory, segment, child)
                directory = child
            self._place(directory, segments[-1], _File(self._now(), data))

    @property
    def maxBytes(self):
        """
        @return: the most bytes the shell holds, or C{None} for no limit.
        """
        return self._budget.limit

    @property
    def bytesHeld(self):
        """
        @return: the bytes the shell holds now: its files' and those
            received by uploads in progress.
        """
        return self._budget.used

    @property
    def maxEntries(self):
        """
        @return: the most files and directories the shell holds (one per
            L{BYTES_PER_ENTRY} bytes of C{maxBytes}, at least
            L{MIN_ENTRIES}), or C{None} for no limit.
        """
        return self._budget.maxEntries

    @property
    def entriesHeld(self):
        """
        @return: the files and directories the shell holds now.
        """
        return self._budget.entries

    def _now(self):
        """
        @return: the current time, seconds since the epoch.
        """
        return self._clock.seconds() if self._clock else time.time()

    def _lookup(self, path):
        """
        Find the node of a path.

        @param path: a tuple of segments.
        @return: the L{_File} or L{_Directory}.
        @raise NoSuchFile: when it does not exist.
        @raise NotDirectory: when a parent is a file.
        """
        node = self._root
        for segment in path:
            if not isinstance(node, _Directory):
                raise NotDirectory()
            if segment not in node.children:
                raise NoSuchFile()
            node = node.children[segment]
        return node

    def _place(self, directory, name, node):
        """
        Put C{node} in C{directory} as C{name}, replacing what was there,
        and count the bytes held (L{_Budget.used}): a file's, less a
        replaced file's; and the entries, one more unless it replaced one.

        @param directory: a L{_Directory}.
        @param name: the entry's name.
        @param node: a L{_File} or L{_Directory} not in the tree.
        """
        old = directory.children.get(name)
        if old is None:
            self._budget.entries += 1
        for each, sign in ((old, -1), (node, 1)):
            if isinstance(each, _File):
                self._budget.used += sign * len(each.data)
        directory.children[name] = node

    def _parent(self, path):
        """
        Find the directory that holds (or would hold) a path.

        @param path: a non-empty tuple of segments.
        @return: the parent L{_Directory}.
        @raise NoSuchFile: when the parent does not exist.
        @raise NotDirectory: when the parent is a file.
        """
        directory = self._lookup(path[:-1])
        if not isinstance(directory, _Directory):
            raise NotDirectory()
        return directory

    @_deferred
    def stat(self, path):
        """
        See L{IFTPShell.stat}.
        """
        return self._lookup(path).info()

    @_deferred
    def list(self, path):
        """
        See L{IFTPShell.list}.
        """
        directory = self._directoryAt(path)
        return [
            (name, directory.children[name].info())
            for name in sorted(directory.children)
        ]

    @_deferred
    def listNames(self, path):
        """
        See L{IFTPShellNames.listNames}.
        """
        return sorted(self._directoryAt(path).children)

    def _directoryAt(self, path):
        """
        @return: the L{_Directory} at C{path}.
        @raise NotDirectory: when something else is there.
        """
        directory = self._lookup(path)
        if not isinstance(directory, _Directory):
            raise NotDirectory()
        return directory

    @_deferred
    def makeDirectory(self, path):
        """
        See L{IFTPShell.makeDirectory}.
        """
        if not path:
            raise AlreadyExists()
        parent = self._parent(path)
        if path[-1] in parent.children:
            raise AlreadyExists()
        if not self._budget.roomForEntry():
            raise self._budget.tooMany(DirectoryOverFileQuota)
        self._place(parent, path[-1], _Directory(self._now()))
        parent.mtime = self._now()

    @_deferred
    def removeDirectory(self, path):
        """
        See L{IFTPShell.removeDirectory}.
        """
        if not path:
            raise PermissionDenied()
        directory = self._lookup(path)
        if not isinstance(directory, _Directory):
            raise NotDirectory()
        if directory.children:
            raise DirectoryNotEmpty()
        self._remove(path)

    @_deferred
    def removeFile(self, path):
        """
        See L{IFTPShell.removeFile}.
        """
        if isinstance(self._lookup(path), _Directory):
            raise IsDirectory()
        self._remove(path)

    def _remove(self, path):
        """
        Take an existing entry out of its directory.

        @param path: a non-empty tuple of segments that exists.
        """
        parent = self._parent(path)
        node = parent.children.pop(path[-1])
        self._budget.entries -= 1
        if isinstance(node, _File):
            self._budget.used -= len(node.data)
        parent.mtime = self._now()

    @_deferred
    def rename(self, fromPath, toPath):
        """
        See L{IFTPShell.rename}.

        The root cannot be renamed or replaced, nothing replaces a
        directory (L{AlreadyExists}), a directory does not replace a file
        (L{NotDirectory}), and a directory cannot move into itself
        (L{InvalidPath}); those are the rules of POSIX C{rename}, minus
        replacing an empty directory.
        """
        if not fromPath or not toPath:
            raise PermissionDenied()
        node = self._lookup(fromPath)
        target = self._parent(toPath)
        if fromPath == toPath:
            return
        if toPath[: len(fromPath)] == fromPath:
            raise InvalidPath("Cannot move a directory into itself")
        existing = target.children.get(toPath[-1])
        if isinstance(existing, _Directory):
            raise AlreadyExists()
        if existing is not None and isinstance(node, _Directory):
            raise NotDirectory()
        self._remove(fromPath)
        self._place(target, toPath[-1], node)
        target.mtime = self._now()

    @_deferred
    def openForReading(self, path, offset=0):
        """
        See L{IFTPShell.openForReading}.

        The file is read from a snapshot taken now, so a concurrent upload
        never mixes two versions into one download.
        """
        node = self._lookup(path)
        if isinstance(node, _Directory):
            raise IsDirectory()
        return _MemoryReadFile(node.data, offset)

    @_deferred
    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}.

        Nothing changes before L{IRandomWriteFile.close}, whatever the mode;
        C{offset} beyond the end of the file pads it with zero bytes, as a
        sparse file on disk would read.
        """
        if not path:
            raise IsDirectory()
        existing = self._parent(path).children.get(path[-1])
        if isinstance(existing, _Directory):
            raise IsDirectory()
        return _MemoryWriteFile(self, path, offset, append)

    @_deferred
    def openForCreating(self, path):
        """
        See L{IFTPShellCreate.openForCreating}.
        """
        if not path:
            raise IsDirectory()
        if path[-1] in self._parent(path).children:
            raise AlreadyExists()
        return _MemoryWriteFile(self, path, 0, False, exclusive=True)

    def _commit(self, path, offset, append, data, exclusive=False):
        """
        Store the result of an upload.

        @param path: the file's path.
        @param offset: the byte the upload started at (0 to replace).
        @param append: whether the upload is appended.
        @param data: the uploaded bytes (no longer counted as held by the
            upload).
        @param exclusive: store it only as a new file.
        @raise FTPError: when the path no longer suits a file
            (L{AlreadyExists} when it must be new and is not).
        @raise QuotaExceeded: when the file would not fit in C{maxBytes}
            (a resume far past the end, say, padded with zero bytes), or
            a new file in L{MemoryShell.maxEntries}.
        """
        parent = self._parent(path)
        existing = parent.children.get(path[-1])
        if isinstance(existing, _Directory):
            raise IsDirectory()
        if exclusive and existing is not None:
            raise AlreadyExists()
        if existing is None and not self._budget.roomForEntry():
            raise self._budget.tooMany()
        old = existing.data if existing is not None else b""
        size = (len(old) if append else offset) + len(data)
        if not self._budget.fits(size - len(old)):
            raise self._budget.full()
        if append:
            data = old + data
        elif offset:
            data = old[:offset].ljust(offset, b"\0") + data
        self._place(parent, path[-1], _File(self._now(), data))
        parent.mtime = self._now()

    @_deferred
    def setModificationTime(self, path, when):
        """
        See L{IFTPShell.setModificationTime}.
        """
        self._lookup(path).mtime = when

    def hash(self, path, algorithm, start=0, end=None):
        """
        See L{IFTPShellHash.hash}: a range of up to L{HASH_AT_ONCE} bytes
        is checksummed at once, a larger one in a thread (the reactor's
        pool), so that other sessions are not held up meanwhile.

        @raise ParameterNotImplemented: for an algorithm C{hashlib} lacks.
        """
        return self._toHash(path, algorithm, start, end).addCallback(
            _checksum)

    @_deferred
    def _toHash(self, path, algorithm, start, end):
        """
        The checks of L{hash}.

        @return: the C{hashlib} object and a C{memoryview} of the bytes
            to checksum (a file's C{bytes} never change).
        """
        node = self._lookup(path)
        if isinstance(node, _Directory):
            raise IsDirectory()
        try:
            digest = hashlib.new(algorithm)
        except ValueError:
            raise ParameterNotImplemented() from None
        return digest, memoryview(node.data)[start:end]


@implementer(IRandomReadFile, IReadFile)
class _MemoryReadFile:
    """
    A file opened for a download: a snapshot of its bytes (C{bytes} never
    change, so keeping a reference is the snapshot).

    @ivar size: the bytes from the open offset to the end.
    """

    def __init__(self, data, offset):
        """
        @param data: the file's bytes when it was opened.
        @param offset: the byte the download starts at.
        """
        self._data = data
        self._offset = offset
        self.size = max(0, len(data) - offset)

    def readAt(self, offset, length):
        """
        See L{IRandomReadFile.readAt}.
        """
        start = self._offset + offset
        return succeed(self._data[start : start + length])

    def close(self):
        """
        See L{IRandomReadFile.close}: drop the snapshot.
        """
        self._data = b""

    def send(self, consumer):
        """
        See L{IReadFile.send}, for code written when these files were
        producer/consumer files (the server itself uses L{readAt}).
        """
        return ReadFileAdapter(self).send(consumer)


@implementer(IRandomWriteFile, IWriteFile)
class _MemoryWriteFile:
    """
    A file opened for an upload; nothing changes in the shell until
    L{close}. Its bytes count in the shell's L{_Budget} as they arrive: a
    write that does not fit is refused, and the upload with it.
    """

    def __init__(self, shell, path, offset, append, exclusive=False):
        """
        @param shell: the L{MemoryShell} to commit to.
        @param path: the file's path.
        @param offset: the byte the upload starts at.
        @param append: whether the upload is appended.
        @param exclusive: store it only as a new file
            (L{MemoryShell.openForCreating}).
        """
        self._exclusive = exclusive
        self._shell = shell
        self._path = path
        self._offset = offset
        self._append = append
        self._data = bytearray()
        self._held = 0
        self._refused = None

    def writeAt(self, offset, data):
        """
        See L{IRandomWriteFile.writeAt}: past the shell's C{maxBytes}, the
        upload is dropped and the write fails with L{QuotaExceeded}.
        """
        budget = self._shell._budget
        growth = max(0, offset + len(data) - len(self._data))
        if self._refused is None and not budget.fits(growth):
            self._refused = budget.full()
            self._forget()
        if self._refused is not None:
            return fail(self._refused)
        budget.used += growth
        self._held += growth
        self._data[offset : offset + len(data)] = data
        return succeed(None)

    def _forget(self):
        """
        Drop the bytes received, which the shell no longer holds.
        """
        self._shell._budget.used -= self._held
        self._held = 0
        self._data = bytearray()

    @_deferred
    def close(self):
        """
        See L{IRandomWriteFile.close}: store the upload in one step.

        @raise QuotaExceeded: after a refused write (nothing is stored).
        """
        if self._refused is not None:
            raise self._refused
        data = bytes(self._data)
        self._forget()
        self._shell._commit(self._path, self._offset, self._append, data,
                            self._exclusive)

    def abort(self):
        """
        See L{IRandomWriteFile.abort}: forget what was received.
        """
        self._forget()
        return succeed(None)

    def receive(self):
        """
        See L{IWriteFile.receive}, for code written when these files were
        producer/consumer files (the server itself uses L{writeAt}). Every
        write completes at once, so L{close} may follow the last one.
        """
        return WriteFileAdapter(self).receive()

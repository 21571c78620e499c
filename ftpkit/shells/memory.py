"""
L{MemoryShell}: a whole file tree held in memory.

It is meant for tests and as the example to copy when writing a shell:
every method of L{ftpkit.interfaces.IFTPShell} is here, each returning an
already-fired L{Deferred}, and its open files show the producer/consumer
contract in its simplest form:

  - L{BytesProducer} is a push producer (L{IPushProducer}) that writes a
    buffer to a consumer in chunks and stops as soon as it is paused;
  - L{_BufferingConsumer} is a consumer that collects an upload, which
    L{_MemoryWriteFile.close} then commits in one step, so readers see
    the old content until the upload is complete.
"""

import hashlib
import time

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.error import ConnectionLost
from twisted.internet.interfaces import IConsumer, IPushProducer
from zope.interface import implementer

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
from ftpkit.fileinfo import DIRECTORY, FILE, FileInfo
from ftpkit.interfaces import (
    IFTPShell,
    IFTPShellHash,
    IFTPShellNames,
    IReadFile,
    IWriteFile,
)

CHUNK_SIZE = 64 * 1024
"""Bytes a L{BytesProducer} hands its consumer per C{write}."""


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


@implementer(IFTPShell, IFTPShellHash, IFTPShellNames)
class MemoryShell:
    """
    A shell whose files live in a C{dict} tree.

    Several sessions may share one instance (see L{ftpkit.realms.MemoryRealm}):
    everything happens in the reactor thread, so no locking is needed.
    """

    def __init__(self, files=None, clock=None):
        """
        @param files: optional C{dict} mapping absolute path text such as
            C{"/a/b.txt"} to C{bytes}; the directories they need are made.
        @param clock: an L{twisted.internet.interfaces.IReactorTime} giving
            modification times; the system clock when omitted.
        """
        self._clock = clock
        self._root = _Directory(self._now())
        for text, data in (files or {}).items():
            segments = tuple(segment for segment in text.split("/") if segment)
            directory = self._root
            for segment in segments[:-1]:
                directory = directory.children.setdefault(
                    segment, _Directory(self._now())
                )
            directory.children[segments[-1]] = _File(self._now(), data)

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
        parent.children[path[-1]] = _Directory(self._now())
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
        del parent.children[path[-1]]
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
        target.children[toPath[-1]] = node
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
        return _MemoryReadFile(node.data[offset:])

    @_deferred
    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}.

        Nothing changes before L{IWriteFile.close}, whatever the mode;
        C{offset} beyond the end of the file pads it with zero bytes, as a
        sparse file on disk would read.
        """
        if not path:
            raise IsDirectory()
        existing = self._parent(path).children.get(path[-1])
        if isinstance(existing, _Directory):
            raise IsDirectory()
        return _MemoryWriteFile(self, path, offset, append)

    def _commit(self, path, offset, append, data):
        """
        Store the result of an upload.

        @param path: the file's path.
        @param offset: the byte the upload started at (0 to replace).
        @param append: whether the upload is appended.
        @param data: the uploaded bytes.
        @raise FTPError: when the path no longer suits a file.
        """
        parent = self._parent(path)
        existing = parent.children.get(path[-1])
        if isinstance(existing, _Directory):
            raise IsDirectory()
        old = existing.data if existing is not None else b""
        if append:
            data = old + data
        elif offset:
            data = old[:offset].ljust(offset, b"\0") + data
        parent.children[path[-1]] = _File(self._now(), data)
        parent.mtime = self._now()

    @_deferred
    def setModificationTime(self, path, when):
        """
        See L{IFTPShell.setModificationTime}.
        """
        self._lookup(path).mtime = when

    @_deferred
    def hash(self, path, algorithm, start=0, end=None):
        """
        See L{IFTPShellHash.hash}.

        @raise ParameterNotImplemented: for an algorithm C{hashlib} lacks.
        """
        node = self._lookup(path)
        if isinstance(node, _Directory):
            raise IsDirectory()
        try:
            digest = hashlib.new(algorithm)
        except ValueError:
            raise ParameterNotImplemented() from None
        digest.update(node.data[start:end])
        return digest.hexdigest()


@implementer(IPushProducer)
class BytesProducer:
    """
    A push producer writing a buffer to a consumer, L{CHUNK_SIZE} bytes
    at a time, for as long as it is not paused.

    A consumer may call L{pauseProducing}, L{resumeProducing} or
    L{stopProducing} from inside its C{write}; the producer never loops
    re-entrantly. L{stopProducing} makes the L{Deferred} of L{start} fail
    with L{ConnectionLost}, and then the producer leaves the consumer
    alone: whoever stopped it is tearing the consumer down (this is what
    L{twisted.protocols.basic.FileSender} does too).

    @ivar sent: the number of bytes written so far.
    """

    def __init__(self, data, consumer):
        """
        @param data: the bytes to send (any buffer).
        @param consumer: the L{IConsumer} to write to.
        """
        self._data = memoryview(data)
        self._consumer = consumer
        self._paused = False
        self._producing = False
        self._deferred = None
        self.sent = 0

    def start(self):
        """
        Register on the consumer as a streaming producer and start writing.

        @return: a L{Deferred} firing with the number of bytes sent once
            all of them were written and the producer was unregistered.
        """
        self._deferred = Deferred()
        result = self._deferred
        self._consumer.registerProducer(self, True)
        self._produce()
        return result

    def _produce(self):
        """
        Write chunks until paused, stopped or done.
        """
        if self._producing:
            return
        self._producing = True
        try:
            while not self._paused and self._deferred is not None:
                if self.sent >= len(self._data):
                    self._finish()
                    return
                chunk = self._data[self.sent : self.sent + CHUNK_SIZE]
                self.sent += len(chunk)
                self._consumer.write(bytes(chunk))
        finally:
            self._producing = False

    def _finish(self):
        """
        Unregister and report success.
        """
        deferred, self._deferred = self._deferred, None
        self._consumer.unregisterProducer()
        deferred.callback(self.sent)

    def pauseProducing(self):
        """
        Stop writing until L{resumeProducing}.
        """
        self._paused = True

    def resumeProducing(self):
        """
        Carry on writing.
        """
        self._paused = False
        self._produce()

    def stopProducing(self):
        """
        Give up: the L{Deferred} of L{start} fails with L{ConnectionLost}.
        """
        if self._deferred is not None:
            deferred, self._deferred = self._deferred, None
            deferred.errback(ConnectionLost("The consumer stopped the transfer"))


@implementer(IReadFile)
class _MemoryReadFile:
    """
    A file opened for a download: a snapshot of its bytes.
    """

    def __init__(self, data):
        """
        @param data: the bytes to send, from the open offset on.
        """
        self._data = data
        self.size = len(data)

    def send(self, consumer):
        """
        See L{IReadFile.send}.
        """
        return BytesProducer(self._data, consumer).start()

    def close(self):
        """
        See L{IReadFile.close}: drop the snapshot.
        """
        self._data = b""


@implementer(IConsumer)
class _BufferingConsumer:
    """
    A consumer collecting an upload in memory.

    It never needs to slow a streaming producer down. A non-streaming
    (pull) producer is asked for more after each C{write}, through a
    trampoline rather than recursion, so long uploads do not grow the stack.

    @ivar chunks: the C{bytes} received so far.
    """

    def __init__(self):
        self.chunks = []
        self._producer = None
        self._streaming = True
        self._pulling = False
        self._wantMore = False

    def registerProducer(self, producer, streaming):
        """
        See L{IConsumer.registerProducer}.
        """
        if self._producer is not None:
            raise RuntimeError("A producer is already registered")
        self._producer = producer
        self._streaming = streaming
        if not streaming:
            self._wantMore = True
            self._pull()

    def _pull(self):
        """
        Ask a pull producer for data for as long as it gives some.
        """
        if self._pulling:
            return
        self._pulling = True
        try:
            while self._wantMore and self._producer is not None:
                self._wantMore = False
                self._producer.resumeProducing()
        finally:
            self._pulling = False

    def unregisterProducer(self):
        """
        See L{IConsumer.unregisterProducer}.
        """
        self._producer = None

    def write(self, data):
        """
        See L{IConsumer.write}.
        """
        self.chunks.append(bytes(data))
        if self._producer is not None and not self._streaming:
            self._wantMore = True
            self._pull()


@implementer(IWriteFile)
class _MemoryWriteFile:
    """
    A file opened for an upload; nothing changes in the shell until
    L{close}.
    """

    def __init__(self, shell, path, offset, append):
        """
        @param shell: the L{MemoryShell} to commit to.
        @param path: the file's path.
        @param offset: the byte the upload starts at.
        @param append: whether the upload is appended.
        """
        self._shell = shell
        self._path = path
        self._offset = offset
        self._append = append
        self._consumer = _BufferingConsumer()
        self._finished = False

    def receive(self):
        """
        See L{IWriteFile.receive}.
        """
        return succeed(self._consumer)

    def close(self):
        """
        See L{IWriteFile.close}: store the upload in one step. Calling it
        again, or after L{abort}, does nothing.
        """
        if self._finished:
            return succeed(None)
        self._finished = True
        data = b"".join(self._consumer.chunks)
        self._consumer.chunks = []
        try:
            self._shell._commit(self._path, self._offset, self._append, data)
        except FTPError as error:
            return fail(error)
        return succeed(None)

    def abort(self):
        """
        See L{IWriteFile.abort}: forget what was received.
        """
        self._finished = True
        self._consumer.chunks = []
        return succeed(None)

"""
L{FilesystemShell}: a directory of the local disk, jailed to its root.

Every call that may block on the disk runs in the reactor's thread pool.

The jail: a path is joined under the root's real path, and the real path
(symbolic links resolved) of whatever is touched must stay inside it.
Symbolic links that stay inside the root work as if they were what they
point at; one leading outside makes every operation through it fail with
L{PermissionDenied}, and L{FilesystemShell.list} shows it as a link
(L{ftpkit.fileinfo.LINK}) without following it. Files are opened with
C{O_NOFOLLOW} on their resolved path. A local user able to swap a checked
directory for a symbolic link between the check and the use could still
race the jail; FTP users cannot create links.

Uploads that replace a file are written to a hidden temporary file in the
same directory (see L{TEMPORARY_PREFIX}) and renamed over the old file
when complete, so a failed or aborted upload never destroys it.
"""

import hashlib
import os
import secrets
import stat as statModule

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.error import ConnectionLost
from twisted.internet.interfaces import IConsumer, IPushProducer
from twisted.internet.threads import deferToThreadPool
from twisted.python.failure import Failure
from zope.interface import implementer

from ftpkit.errors import (
    AlreadyExists,
    FTPError,
    InvalidPath,
    IsDirectory,
    LocalError,
    NotDirectory,
    ParameterNotImplemented,
    PermissionDenied,
    fromOSError,
)
from ftpkit.fileinfo import DIRECTORY, FILE, LINK, OTHER, FileInfo
from ftpkit.interfaces import (
    IFTPShell,
    IFTPShellHash,
    IReadFile,
    IWriteFile,
    IZeroCopyConsumer,
)

try:
    import grp
    import pwd
except ImportError:  # pragma: no cover (not POSIX)
    grp = pwd = None

READ_CHUNK_SIZE = 256 * 1024
"""Bytes read per C{os.pread} when a download goes through Python."""

HASH_CHUNK_SIZE = 1024 * 1024
"""Bytes read per C{os.pread} when checksumming."""

HIGH_WATER = 4 * 1024 * 1024
"""Queued upload bytes above which the data connection is paused."""

LOW_WATER = 1024 * 1024
"""Queued upload bytes below which a paused data connection resumes."""

TEMPORARY_PREFIX = b".ftpkit-upload."
TEMPORARY_SUFFIX = b".tmp"
"""Temporary upload files are named C{PREFIX + random hex + SUFFIX}."""

_OPEN_FLAGS = os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
"""Flags for every open: no final link, no hang on FIFOs, no leaking."""

_PENDING = object()
"""The outcome of an upload that is not finished."""

_names = {}
"""Cache of owner and group names: C{("u"|"g", id)} -> name."""


def _name(kind, number):
    """
    Look up (once) the name of a user or group.

    @param kind: C{"u"} for a user, C{"g"} for a group.
    @param number: the uid or gid.
    @return: the name, or the number as text when it has none.
    """
    key = (kind, number)
    if key not in _names:
        try:
            if kind == "u":
                _names[key] = pwd.getpwuid(number).pw_name
            else:
                _names[key] = grp.getgrgid(number).gr_name
        except (KeyError, AttributeError):
            _names[key] = str(number)
    return _names[key]


def _isTemporary(name):
    """
    @param name: a directory entry name, as C{bytes}.
    @return: whether it is one of our temporary upload files.
    """
    return name.startswith(TEMPORARY_PREFIX) and name.endswith(TEMPORARY_SUFFIX)


def _info(result, kind=None):
    """
    Build a L{FileInfo} from C{os.stat} results.

    @param result: an C{os.stat_result}.
    @param kind: force the kind (L{LINK}); derived from the mode otherwise.
    @return: the L{FileInfo}.
    """
    if kind is None:
        if statModule.S_ISDIR(result.st_mode):
            kind = DIRECTORY
        elif statModule.S_ISREG(result.st_mode):
            kind = FILE
        else:
            kind = OTHER
    return FileInfo(
        kind=kind,
        size=result.st_size,
        mtime=result.st_mtime,
        mode=statModule.S_IMODE(result.st_mode),
        nlink=result.st_nlink,
        owner=_name("u", result.st_uid),
        group=_name("g", result.st_gid),
        unique=f"{result.st_dev:x}g{result.st_ino:x}",
    )


def _translated(function, *args):
    """
    Call a blocking function, turning C{OSError} into L{FTPError}.

    @param function: the function to call (in a worker thread).
    @param args: its arguments.
    @return: its result.
    @raise FTPError: for any C{OSError} or unencodable name.
    """
    try:
        return function(*args)
    except OSError as error:
        raise fromOSError(error) from None
    except UnicodeEncodeError:
        raise InvalidPath() from None


def _openRegular(path, flags, mode=0o644):
    """
    Open a path that must be a regular file.

    @param path: the resolved path, C{bytes}.
    @param flags: C{os.open} flags besides L{_OPEN_FLAGS}.
    @param mode: permission bits when it is created.
    @return: C{(fd, stat_result)}.
    @raise IsDirectory: for a directory.
    @raise PermissionDenied: for anything else that is not a regular file.
    """
    fd = os.open(path, flags | _OPEN_FLAGS, mode)
    try:
        result = os.fstat(fd)
        if statModule.S_ISDIR(result.st_mode):
            raise IsDirectory()
        if not statModule.S_ISREG(result.st_mode):
            raise PermissionDenied()
    except BaseException:
        os.close(fd)
        raise
    return fd, result


def _writeAll(fd, data, position):
    """
    Write all of C{data}, blocking.

    @param fd: the descriptor.
    @param data: the bytes.
    @param position: the offset to write at, or C{None} to write at the
        descriptor's own position (for C{O_APPEND}).
    """
    view = memoryview(data)
    while view:
        if position is None:
            written = os.write(fd, view)
        else:
            written = os.pwrite(fd, view, position)
            position += written
        view = view[written:]


@implementer(IFTPShell, IFTPShellHash)
class FilesystemShell:
    """
    A directory of the local disk, seen as C{/}.
    """

    def __init__(self, root, reactor=None):
        """
        @param root: the directory (C{str} or C{bytes}); it is resolved
            once, here, so that it may itself be reached through links.
        @param reactor: the reactor whose thread pool runs disk calls;
            the global one when omitted.
        """
        if reactor is None:
            from twisted.internet import reactor
        self._reactor = reactor
        self._root = os.path.realpath(os.fsencode(root))

    def _run(self, function, *args):
        """
        Run a blocking function in the thread pool.

        @return: a L{Deferred} with its result, failing with L{FTPError}.
        """
        return deferToThreadPool(
            self._reactor,
            self._reactor.getThreadPool(),
            _translated,
            function,
            *args,
        )

    def _inside(self, real):
        """
        @param real: a resolved path, C{bytes}.
        @return: whether it is the root or below it.
        """
        return real == self._root or real.startswith(self._root.rstrip(b"/") + b"/")

    def _resolve(self, path, followLast=True):
        """
        Find the real path of a shell path (in a worker thread).

        @param path: a tuple of segments.
        @param followLast: resolve the last segment too; otherwise only its
            parent is, so that the entry itself (maybe a link) is named.
        @return: the path, C{bytes}.
        @raise PermissionDenied: when it leads outside the root.
        """
        segments = [os.fsencode(segment) for segment in path]
        if not segments:
            return self._root
        parent = os.path.realpath(os.path.join(self._root, *segments[:-1]))
        if not self._inside(parent):
            raise PermissionDenied()
        result = os.path.join(parent, segments[-1])
        if followLast:
            result = os.path.realpath(result)
            if not self._inside(result):
                raise PermissionDenied()
        return result

    def stat(self, path):
        """
        See L{IFTPShell.stat}.
        """
        return self._run(lambda: _info(os.stat(self._resolve(path))))

    def list(self, path):
        """
        See L{IFTPShell.list}: temporary upload files are left out, and a
        link leading outside the root (or nowhere) is a L{LINK} entry
        described by C{lstat}.
        """
        return self._run(self._list, path)

    def _list(self, path):
        """
        The blocking part of L{list}.
        """
        directory = self._resolve(path)
        if not statModule.S_ISDIR(os.stat(directory).st_mode):
            raise NotDirectory()
        entries = []
        with os.scandir(directory) as iterator:
            for entry in iterator:
                if _isTemporary(entry.name):
                    continue
                info = self._entryInfo(entry)
                if info is not None:
                    entries.append((os.fsdecode(entry.name), info))
        entries.sort(key=lambda pair: pair[0])
        return entries

    def _entryInfo(self, entry):
        """
        Describe one entry of a listing, following links that stay inside.

        @param entry: an C{os.DirEntry}.
        @return: its L{FileInfo}, or C{None} when it vanished meanwhile.
        """
        try:
            linkStat = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            return None
        if not entry.is_symlink():
            return _info(linkStat)
        real = os.path.realpath(entry.path)
        if self._inside(real):
            try:
                return _info(os.stat(real))
            except OSError:
                pass
        return _info(linkStat, kind=LINK)

    def makeDirectory(self, path):
        """
        See L{IFTPShell.makeDirectory}.
        """
        if not path:
            return self._run(self._raise, AlreadyExists())
        return self._run(lambda: os.mkdir(self._resolve(path, followLast=False)))

    def removeDirectory(self, path):
        """
        See L{IFTPShell.removeDirectory}; a link to a directory is not one.
        """
        if not path:
            return self._run(self._raise, PermissionDenied())
        return self._run(lambda: os.rmdir(self._resolve(path, followLast=False)))

    def removeFile(self, path):
        """
        See L{IFTPShell.removeFile}; a link is removed, not its target.
        """
        return self._run(self._removeFile, path)

    def _removeFile(self, path):
        """
        The blocking part of L{removeFile}.
        """
        target = self._resolve(path, followLast=False)
        if statModule.S_ISDIR(os.lstat(target).st_mode):
            raise IsDirectory()
        os.unlink(target)

    def rename(self, fromPath, toPath):
        """
        See L{IFTPShell.rename}: the root cannot be renamed or replaced,
        and nothing replaces an existing directory (L{AlreadyExists}).
        """
        if not fromPath or not toPath:
            return self._run(self._raise, PermissionDenied())
        return self._run(self._rename, fromPath, toPath)

    def _rename(self, fromPath, toPath):
        """
        The blocking part of L{rename}.
        """
        source = self._resolve(fromPath, followLast=False)
        target = self._resolve(toPath, followLast=False)
        os.lstat(source)
        try:
            targetStat = os.lstat(target)
        except FileNotFoundError:
            targetStat = None
        if (
            targetStat is not None
            and statModule.S_ISDIR(targetStat.st_mode)
            and not os.path.samestat(targetStat, os.lstat(source))
        ):
            raise AlreadyExists()
        os.rename(source, target)

    def setModificationTime(self, path, when):
        """
        See L{IFTPShell.setModificationTime}; the access time is kept.
        """
        return self._run(self._setModificationTime, path, when)

    def _setModificationTime(self, path, when):
        """
        The blocking part of L{setModificationTime}.
        """
        target = self._resolve(path)
        os.utime(target, (os.stat(target).st_atime, when), follow_symlinks=False)

    def hash(self, path, algorithm, start=0, end=None):
        """
        See L{IFTPShellHash.hash}.

        @raise ParameterNotImplemented: for an algorithm C{hashlib} lacks.
        """
        return self._run(self._hash, path, algorithm, start, end)

    def _hash(self, path, algorithm, start, end):
        """
        The blocking part of L{hash}.
        """
        try:
            digest = hashlib.new(algorithm)
        except ValueError:
            raise ParameterNotImplemented() from None
        fd, result = _openRegular(self._resolve(path), os.O_RDONLY)
        try:
            stop = result.st_size if end is None else min(end, result.st_size)
            position = start
            while position < stop:
                chunk = os.pread(fd, min(HASH_CHUNK_SIZE, stop - position), position)
                if not chunk:
                    break
                digest.update(chunk)
                position += len(chunk)
        finally:
            os.close(fd)
        return digest.hexdigest()

    def openForReading(self, path, offset=0):
        """
        See L{IFTPShell.openForReading}; only regular files can be read.
        """
        return self._run(self._openForReading, path, offset)

    def _openForReading(self, path, offset):
        """
        The blocking part of L{openForReading}.
        """
        fd, result = _openRegular(self._resolve(path), os.O_RDONLY)
        return _FileReader(self._run, fd, offset, result.st_size)

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}.

        With C{offset=0, append=False} the upload goes to a temporary file,
        renamed over the target (keeping the old file's permissions) by
        L{IWriteFile.close}. With C{offset > 0} (C{REST} then C{STOR}) the
        file is written in place from C{offset} and truncated after the
        last byte at close; with C{append} it is opened C{O_APPEND}. Both
        create a missing file. In those two modes the bytes already
        written stay when the upload fails or is aborted, so that a client
        can resume again.
        """
        if not path:
            return self._run(self._raise, IsDirectory())
        return self._run(self._openForWriting, path, offset, append)

    def _openForWriting(self, path, offset, append):
        """
        The blocking part of L{openForWriting}.
        """
        target = self._resolve(path)
        if offset or append:
            flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else 0)
            fd, _ = _openRegular(target, flags)
            return _FileWriter(self._run, fd, None, target, None if append else offset)
        try:
            old = os.stat(target)
        except FileNotFoundError:
            old = None
        if old is not None and statModule.S_ISDIR(old.st_mode):
            raise IsDirectory()
        name = TEMPORARY_PREFIX + secrets.token_hex(8).encode() + TEMPORARY_SUFFIX
        temporary = os.path.join(os.path.dirname(target), name)
        fd, _ = _openRegular(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        if old is not None:
            try:
                os.fchmod(fd, statModule.S_IMODE(old.st_mode))
            except OSError:
                pass
        return _FileWriter(self._run, fd, temporary, target, 0)

    @staticmethod
    def _raise(error):
        """
        Raise an error from the thread pool, so that every method fails
        the same way (asynchronously).

        @param error: the L{FTPError} to raise.
        """
        raise error


@implementer(IReadFile)
class _FileReader:
    """
    A file opened for a download, owning its descriptor.
    """

    def __init__(self, run, fd, offset, size):
        """
        @param run: L{FilesystemShell._run}.
        @param fd: the open descriptor.
        @param offset: the first byte to send.
        @param size: the file's size when it was opened; bytes appended
            later are not sent.
        """
        self._run = run
        self._fd = fd
        self._offset = offset
        self._size = size
        self._busy = 0
        self._closed = False

    def send(self, consumer):
        """
        See L{IReadFile.send}: zero-copy through C{consumer.sendfile} when
        the consumer offers it, else a L{_ThreadedFileProducer}.
        """
        count = max(0, self._size - self._offset)
        if IZeroCopyConsumer.providedBy(consumer):
            return consumer.sendfile(self._fd, self._offset, count)
        return _ThreadedFileProducer(self, consumer, count).start()

    def read(self, count, position):
        """
        Read from the file in a worker thread.

        @return: a L{Deferred} firing with the bytes read.
        """
        if self._fd is None:
            return fail(LocalError())
        self._busy += 1
        result = self._run(os.pread, self._fd, count, position)
        result.addBoth(self._readDone)
        return result

    def _readDone(self, result):
        """
        Close the descriptor if L{close} was called during a read.
        """
        self._busy -= 1
        self._closeIfIdle()
        return result

    def close(self):
        """
        See L{IReadFile.close}; a read still in flight finishes first.
        """
        self._closed = True
        self._closeIfIdle()

    def _closeIfIdle(self):
        """
        Close the descriptor once closed and idle.
        """
        if self._closed and not self._busy and self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


@implementer(IPushProducer)
class _ThreadedFileProducer:
    """
    A push producer reading a file in worker threads.

    One read runs ahead of the consumer: while a chunk is written to the
    consumer, the next is being read, so disk and network work together.
    At most one chunk waits in memory while the consumer is paused.
    L{stopProducing} makes the L{Deferred} of L{start} fail with
    L{ConnectionLost}.
    """

    def __init__(self, reader, consumer, count):
        """
        @param reader: the L{_FileReader}.
        @param consumer: the L{IConsumer} to write to.
        @param count: the number of bytes to send.
        """
        self._reader = reader
        self._consumer = consumer
        self._position = reader._offset
        self._end = reader._offset + count
        self._sent = 0
        self._ready = None
        self._reading = False
        self._paused = False
        self._deferred = None

    def start(self):
        """
        Register on the consumer and start sending.

        @return: a L{Deferred} firing with the number of bytes sent.
        """
        self._deferred = Deferred()
        result = self._deferred
        self._consumer.registerProducer(self, True)
        self._pump()
        return result

    def _pump(self):
        """
        Write the chunk that is ready, keep one read in flight, and finish
        when everything was written.
        """
        if self._deferred is None:
            return
        if self._ready is not None and not self._paused:
            data, self._ready = self._ready, None
            self._sent += len(data)
            self._consumer.write(data)
            if self._deferred is None:
                return
        if self._ready is None and not self._reading:
            if self._position < self._end:
                self._readNext()
            else:
                deferred, self._deferred = self._deferred, None
                self._consumer.unregisterProducer()
                deferred.callback(self._sent)

    def _readNext(self):
        """
        Start reading the next chunk.
        """
        count = min(READ_CHUNK_SIZE, self._end - self._position)
        self._reading = True
        reading = self._reader.read(count, self._position)
        self._position += count
        reading.addCallbacks(self._gotChunk, self._failed)

    def _gotChunk(self, data):
        """
        A read finished; a short one means the file shrank.
        """
        self._reading = False
        if not data:
            self._end = self._position
        else:
            self._ready = data
        self._pump()

    def _failed(self, failure):
        """
        A read failed: give up the transfer with that error.
        """
        self._reading = False
        if self._deferred is not None:
            deferred, self._deferred = self._deferred, None
            self._consumer.unregisterProducer()
            deferred.errback(failure)

    def pauseProducing(self):
        """
        Stop writing to the consumer (the read in flight still finishes).
        """
        self._paused = True

    def resumeProducing(self):
        """
        Carry on writing.
        """
        self._paused = False
        self._pump()

    def stopProducing(self):
        """
        Give up: the L{Deferred} of L{start} fails with L{ConnectionLost}.
        """
        self._ready = None
        if self._deferred is not None:
            deferred, self._deferred = self._deferred, None
            deferred.errback(ConnectionLost("The consumer stopped the transfer"))


@implementer(IConsumer)
class _QueuedWriter:
    """
    A consumer writing an upload to a descriptor without blocking the
    reactor: data is queued and at most one write (of everything queued,
    joined) runs in a worker thread at a time. A streaming producer is
    paused above L{HIGH_WATER} queued bytes and resumed below L{LOW_WATER};
    a pull producer is asked for more each time the queue is empty.

    After a write error the rest of the upload is read and thrown away, and
    L{drain} fails with the error.
    """

    def __init__(self, run, fd, position):
        """
        @param run: runs a blocking function in a worker thread, returning
            a L{Deferred}.
        @param fd: the descriptor to write to.
        @param position: where the first byte goes, or C{None} to write at
            the descriptor's position (C{O_APPEND}).
        """
        self._run = run
        self._fd = fd
        self.position = position
        self._queue = []
        self._queued = 0
        self._writing = False
        self._error = None
        self._producer = None
        self._streaming = True
        self._paused = False
        self._waiters = []

    def registerProducer(self, producer, streaming):
        """
        See L{IConsumer.registerProducer}.
        """
        if self._producer is not None:
            raise RuntimeError("A producer is already registered")
        self._producer = producer
        self._streaming = streaming
        self._paused = False
        if not streaming:
            producer.resumeProducing()

    def unregisterProducer(self):
        """
        See L{IConsumer.unregisterProducer}.
        """
        self._producer = None

    def write(self, data):
        """
        See L{IConsumer.write}.
        """
        if self._error is not None or not data:
            return
        self._queue.append(data)
        self._queued += len(data)
        if not self._writing:
            self._startWrite()
        if (
            self._queued > HIGH_WATER
            and self._streaming
            and self._producer is not None
            and not self._paused
        ):
            self._paused = True
            self._producer.pauseProducing()

    def _startWrite(self):
        """
        Write everything queued in a worker thread.
        """
        data = b"".join(self._queue)
        self._queue = []
        self._queued = 0
        self._writing = True
        position = self.position
        if position is not None:
            self.position += len(data)
        writing = self._run(_writeAll, self._fd, data, position)
        writing.addCallbacks(self._wrote, self._failed)
        self._resumeIfLow()

    def _wrote(self, ignored):
        """
        A write finished: start the next one, or report being drained.
        """
        self._writing = False
        if self._queue:
            self._startWrite()
            return
        self._notifyDrained()
        if self._producer is not None and not self._streaming:
            self._producer.resumeProducing()

    def _failed(self, failure):
        """
        A write failed: remember the error and drop the queue, letting the
        producer carry on so that the transfer ends normally.
        """
        self._writing = False
        error = failure.value
        self._error = error if isinstance(error, FTPError) else LocalError()
        self._queue = []
        self._queued = 0
        self._resumeIfLow()
        self._notifyDrained()
        if self._producer is not None and not self._streaming:
            self._producer.resumeProducing()

    def _resumeIfLow(self):
        """
        Resume a producer paused by L{write} once the queue is short.
        """
        if self._paused and self._queued < LOW_WATER:
            self._paused = False
            if self._producer is not None:
                self._producer.resumeProducing()

    def _notifyDrained(self):
        """
        Fire the L{Deferred}s of L{drain}.
        """
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            self._fireDrained(waiter)

    def _fireDrained(self, waiter):
        """
        Fire one L{drain} L{Deferred} with the outcome of the writes.
        """
        if self._error is not None:
            waiter.errback(self._error)
        else:
            waiter.callback(None)

    def drain(self):
        """
        Wait for every queued byte to be written.

        @return: a L{Deferred} firing with C{None}, or failing with the
            L{FTPError} of the first failed write.
        """
        waiter = Deferred()
        if self._writing:
            self._waiters.append(waiter)
        else:
            self._fireDrained(waiter)
        return waiter


@implementer(IWriteFile)
class _FileWriter:
    """
    A file opened for an upload, owning its descriptor.
    """

    def __init__(self, run, fd, temporary, target, position):
        """
        @param run: L{FilesystemShell._run}.
        @param fd: the open descriptor.
        @param temporary: the temporary file to rename over C{target} at
            close, or C{None} when writing C{target} in place.
        @param target: the file's resolved path.
        @param position: the offset of the first byte, or C{None} to append.
        """
        self._run = run
        self._fd = fd
        self._temporary = temporary
        self._target = target
        self._truncate = temporary is None and position is not None
        self._consumer = _QueuedWriter(run, fd, position)
        self._started = False
        self._outcome = _PENDING
        self._waiters = []

    def receive(self):
        """
        See L{IWriteFile.receive}.
        """
        return succeed(self._consumer)

    def close(self):
        """
        See L{IWriteFile.close}: wait for the queued writes, close the
        file and put it in place. On failure the temporary file is removed.
        Calling it again, or after L{abort}, gives the same outcome.
        """
        if not self._started:
            self._started = True
            finishing = self._consumer.drain()
            finishing.addCallback(lambda ignored: self._run(self._commit))
            finishing.addErrback(self._discard)
            finishing.addBoth(self._store)
        return self._whenDone()

    def abort(self):
        """
        See L{IWriteFile.abort}: wait for a write in flight, then close the
        file and remove the temporary file.
        """
        if not self._started:
            self._started = True
            finishing = self._consumer.drain()
            finishing.addBoth(lambda ignored: self._run(self._cleanUp))
            finishing.addBoth(self._store)
        return self._whenDone()

    def _store(self, outcome):
        """
        Keep the outcome of L{close} or L{abort} and hand it to the callers.

        @param outcome: C{None} or a L{Failure}.
        """
        self._outcome = outcome
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            self._fire(waiter)

    def _whenDone(self):
        """
        @return: a new L{Deferred} with the outcome of L{close} or L{abort}.
        """
        waiter = Deferred()
        if self._outcome is _PENDING:
            self._waiters.append(waiter)
        else:
            self._fire(waiter)
        return waiter

    def _fire(self, waiter):
        """
        Fire one L{Deferred} with the stored outcome.
        """
        if isinstance(self._outcome, Failure):
            waiter.errback(self._outcome)
        else:
            waiter.callback(self._outcome)

    def _commit(self):
        """
        Truncate (after a resumed upload), close and rename, blocking.
        """
        try:
            if self._truncate:
                os.ftruncate(self._fd, self._consumer.position)
            fd, self._fd = self._fd, None
            os.close(fd)
            if self._temporary is not None:
                os.replace(self._temporary, self._target)
        except BaseException:
            self._cleanUp()
            raise

    def _discard(self, failure):
        """
        After a failed upload: clean up, then report the failure.
        """
        cleaning = self._run(self._cleanUp)
        cleaning.addBoth(lambda ignored: failure)
        return cleaning

    def _cleanUp(self):
        """
        Close the descriptor if open and remove the temporary file, blocking.
        """
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)
        if self._temporary is not None:
            try:
                os.unlink(self._temporary)
            except FileNotFoundError:
                pass

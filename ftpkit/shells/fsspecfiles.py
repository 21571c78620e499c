"""
Files of an L{ftpkit.shells.fsspecshell.FsspecShell}, read and written at
an offset (the simple storage contract of L{ftpkit.interfaces}); the
server adapts them to producers and consumers with backpressure.

Every call on an fsspec file object blocks, so each one goes through the
shell's C{call} (a thread, one call at a time for a backend that needs
it). The files keep no more than one read or write in memory, plus what
the fsspec file buffers (one block: a multipart upload's part, a
download's read-ahead).

Uploads are atomic where the store can be: L{CommitOnCloseWriter} asks
fsspec to hold the result back until L{CommitOnCloseWriter.close} (an S3
multipart upload completes only then; an abort aborts it), and
L{RenameIntoPlaceWriter} writes a temporary sibling and moves it over the
target. L{ftpkit.shells.fsspecinplacewriter.InPlaceWriter} resumes or
appends into the file itself, as a local disk's C{REST}/C{APPE} do.
"""

import secrets
import threading

from twisted.internet import defer
from zope.interface import implementer

from ftpkit.errors import LocalError
from ftpkit.fileinfo import StorageChange
from ftpkit.interfaces import (
    IAccountedWriteFile,
    IDiscardableWriteFile,
    IRandomReadFile,
    IRandomWriteFile,
)
from ftpkit.shells.fsspecinplacewriter import InPlaceWriter
from ftpkit.shells.fsspecmemory import readStored, storedFile
from ftpkit.shells.fsspectemporaries import TEMPORARIES, TEMPORARY_PREFIX

PARTS_PER_SIZE = 1000
"""An object-store upload's parts double in size each time it has sent
this many parts' worth at the current size (from L{PARTS_PER_SIZE} on,
half as many parts again per doubling), so that an upload of unknown
size stays within S3's 10,000 parts up to its 5 TiB object limit while a
small one buffers little."""


def grownBlockSize(written, blockSize):
    """
    @param written: the bytes an upload has been given so far.
    @param blockSize: the size of its parts so far.
    @return: the size its next parts should have.
    """
    while written > blockSize * PARTS_PER_SIZE:
        blockSize *= 2
    return blockSize


def temporarySibling(fsPath):
    """
    @param fsPath: the path of an upload's target on the filesystem.
    @return: a fresh path in the same directory, named with
        L{TEMPORARY_PREFIX}.
    """
    directory, _, _ = fsPath.rpartition("/")
    return f"{directory}/{TEMPORARY_PREFIX}{secrets.token_hex(8)}"


@implementer(IRandomReadFile)
class FsspecReadFile:
    """
    A file opened for a download.

    @ivar size: the number of bytes from the open offset to the end.
    """

    def __init__(self, call, opened, fileSize, start):
        """
        @param call: the shell's C{call(function, *args)}, running a
            blocking call off the reactor thread.
        @param opened: an object with blocking C{readAt(offset, length)}
            (offsets in the file) and C{close()} (see
            L{openForReadingBlocking}).
        @param fileSize: the file's size.
        @param start: the byte the download starts at (C{REST}).
        """
        self._call = call
        self._opened = opened
        self._start = start
        self.size = max(0, fileSize - start)

    def readAt(self, offset, length):
        """
        See L{IRandomReadFile.readAt}.
        """
        if offset >= self.size:
            return defer.succeed(b"")
        return self._call(self._opened.readAt, self._start + offset, length)

    def close(self):
        """
        See L{IRandomReadFile.close}.
        """
        opened, self._opened = self._opened, None
        if opened is None:
            return defer.succeed(None)
        return self._call(opened.close)


class _FileObjectReader:
    """
    Reads of an open fsspec file object (blocking). The server may have
    two reads of one download running at once (in two threads): a lock
    keeps each seek with its read.
    """

    def __init__(self, handle):
        """
        @param handle: a file object open for reading.
        """
        self._handle = handle
        self._lock = threading.Lock()

    def readAt(self, offset, length):
        """
        @return: up to C{length} bytes from C{offset}.
        """
        with self._lock:
            if self._handle.tell() != offset:
                self._handle.seek(offset)
            return self._handle.read(length)

    def close(self):
        """
        Close the file object.
        """
        self._handle.close()


class _RangeReader:
    """
    Reads at offsets from the buffer of a shared file object, for a
    filesystem whose open files are shared objects (fsspec's memory
    filesystem hands every opener the same one, position included): the
    object opened, not the path, so that an upload replacing the file
    meanwhile (a new object at the path) leaves the download whole.
    """

    def __init__(self, fs, fsPath):
        """
        @param fs: the filesystem.
        @param fsPath: the file's path on it.
        """
        self._file = storedFile(fs, fsPath)

    def readAt(self, offset, length):
        """
        @return: up to C{length} bytes from C{offset}.
        """
        return readStored(self._file, offset, length)

    def close(self):
        """
        Let go of the file object (not closed: it is the stored file, and
        a replaced one is freed once no download holds it).
        """
        self._file = None


def openForReadingBlocking(fs, backend, fsPath):
    """
    Open a file to read it at offsets (blocking).

    @param fs: the filesystem.
    @param backend: its L{ftpkit.shells.fsspecgeneric.Backend}.
    @param fsPath: the file's path on C{fs}.
    @return: an object with blocking C{readAt(offset, length)} and
        C{close()}.
    """
    if backend.sharedFileObjects:
        return _RangeReader(fs, fsPath)
    return _FileObjectReader(fs.open(fsPath, "rb", **backend.readOptions))


@implementer(IRandomWriteFile, IAccountedWriteFile, IDiscardableWriteFile)
class FsspecWriteFile:
    """
    A file opened for an upload: writes at increasing offsets, then a
    commit or an abort, each once. An abort of an upload not written in
    place leaves nothing (L{IAccountedWriteFile}).
    """

    _left = None

    def __init__(self, call, writer, ended=None):
        """
        @param call: the shell's C{call(function, *args)}.
        @param writer: a L{CommitOnCloseWriter}, L{RenameIntoPlaceWriter} or
            L{InPlaceWriter}.
        @param ended: called with no argument once the commit or discard
            is done (or failed), or C{None}.
        """
        self._call = call
        self._writer = writer
        self._finished = None
        self._ended = ended

    def writeAt(self, offset, data):
        """
        See L{IRandomWriteFile.writeAt}.
        """
        if self._finished is not None:
            return defer.fail(LocalError("The upload is already finished"))
        return self._call(self._writer.writeAt, offset, bytes(data))

    def close(self):
        """
        See L{IRandomWriteFile.close}: commit; once committed the file is
        complete in the store.
        """
        return self._finish(self._writer.commit)

    def abort(self):
        """
        See L{IRandomWriteFile.abort}: discard; the previous file, if any,
        is untouched.
        """
        if isinstance(self._writer, InPlaceWriter):
            return self._finishTelling(self._writer.discard,
                                       self._leftByWriter)
        return self._finishTelling(self._writer.discard, self._leftNothing)

    def discard(self):
        """
        See L{IDiscardableWriteFile.discard}: an upload written in place
        is cut back to its file's length before it
        (L{InPlaceWriter.drop}); any other is aborted.
        """
        if isinstance(self._writer, InPlaceWriter):
            return self._finishTelling(self._writer.drop, self._leftByWriter)
        return self.abort()

    def _leftNothing(self, result):
        """
        The upload was discarded, leaving nothing: see L{leftBehind}.
        """
        self._left = StorageChange(0, 0)
        return result

    def _leftByWriter(self, result):
        """
        An upload written in place was discarded or dropped: see
        L{leftBehind}.
        """
        self._left = self._writer.left
        return result

    def leftBehind(self):
        """
        See L{IAccountedWriteFile.leftBehind}: nothing once an upload not
        written in place was discarded; for one written in place, what
        its writer measured (L{InPlaceWriter.left}: the file's size
        against its size when opened, one file less where the file its
        open made was removed, or C{None} when not known). Before session
        55 an upload written in place always said C{None}, and a quota
        measured its home again.
        """
        return self._left

    def _finishTelling(self, how, tell):
        """
        L{_finish}, then C{tell} what the upload left (L{leftBehind}), the
        first time only.

        @param how: the writer's C{discard} or C{drop}.
        @param tell: L{_leftNothing} or L{_leftByWriter}.
        @return: as L{_finish}.
        """
        if self._finished is not None:
            return defer.succeed(None)
        return self._finish(how).addCallback(tell)

    def _finish(self, how):
        """
        Commit or discard, only the first time either is asked.

        @param how: the writer's C{commit} or C{discard}.
        @return: a Deferred firing with C{None} when done.
        """
        if self._finished is not None:
            return defer.succeed(None)
        self._finished = self._call(how)
        if self._ended is not None:
            self._finished.addBoth(self._tellEnded)
        self._finished.addCallback(lambda ignored: None)
        return self._finished

    def _tellEnded(self, result):
        """
        Call C{ended}, passing C{result} on.
        """
        self._ended()
        return result


class _SequentialWriter:
    """
    Writes into a file object that only goes forward (blocking).

    @ivar position: where the next write must start.
    """

    def __init__(self, handle, position=0):
        """
        @param handle: the file object, open for writing.
        @param position: the offset its first byte will have.
        """
        self._handle = handle
        self.position = position

    def writeAt(self, offset, data):
        """
        Write C{data}, which must start where the previous write ended.

        @raise LocalError: for any other offset.
        """
        if offset != self.position:
            raise LocalError("Uploads to this storage are written in order")
        self._handle.write(data)
        self.position += len(data)


class CommitOnCloseWriter(_SequentialWriter):
    """
    An upload through a file opened with C{autocommit=False}: nothing is
    visible until L{commit} (for S3, parts go up as they fill, and the
    multipart upload is completed, or aborted, at the end). Its parts grow
    with it (L{grownBlockSize}).
    """

    def writeAt(self, offset, data):
        """
        See L{_SequentialWriter.writeAt}.
        """
        super().writeAt(offset, data)
        blockSize = getattr(self._handle, "blocksize", None)
        if blockSize:
            self._handle.blocksize = grownBlockSize(self.position, blockSize)

    def commit(self):
        """
        Send what is buffered and make the object.
        """
        self._handle.close()
        self._handle.commit()

    def discard(self):
        """
        Throw the upload away (an S3 multipart upload is aborted).
        """
        self._handle.discard()
        # fsspec would otherwise try to upload the rest again when the
        # object is collected.
        self._handle.closed = True


def _nothingHeld():
    """
    Let go of nothing: no C{reserve} was given to L{RenameIntoPlaceWriter}.
    """


class RenameIntoPlaceWriter(_SequentialWriter):
    """
    An upload written to a temporary sibling of its target, moved over it
    once complete.
    """

    def __init__(self, fs, temporary, target, move=None, hold=None,
                 reserve=None):
        """
        Open the temporary file (blocking).

        @param fs: the filesystem.
        @param temporary: the temporary path (L{temporarySibling}).
        @param target: the path the upload replaces or makes.
        @param move: moves it into place, called (blocking) as
            C{move(temporary, target)}; C{fs.mv} when omitted.
        @param hold: called (blocking) with C{fs} and the open temporary
            file, to mark it as written for other processes
            (L{ftpkit.shells.fsspecgeneric.Backend.holdTemporary}), or
            C{None}.
        @param reserve: called (blocking) with C{fs} and C{temporary}
            before the file is made, to mark it as written for other
            processes where the store offers no lock
            (L{ftpkit.shells.fsspecgeneric.Backend.reserveTemporary});
            returns a function that lets it go; or C{None}.
        """
        # Known before it is made: its directory is not renamed until it
        # is written (ftpkit.shells.fsspectemporaries).
        TEMPORARIES.add(fs, temporary)
        self._letGo = _nothingHeld
        try:
            if reserve is not None:
                self._letGo = reserve(fs, temporary)
            handle = fs.open(temporary, "wb")
            try:
                if hold is not None:
                    hold(fs, handle)
            except BaseException:
                handle.close()
                raise
            super().__init__(handle)
        except BaseException:
            self._forget(fs, temporary)
            raise
        self._fs = fs
        self._temporary = temporary
        self._target = target
        self._move = move if move is not None else fs.mv

    def commit(self):
        """
        Close the temporary file and move it into place; the temporary
        file is removed if that fails.
        """
        try:
            self._handle.close()
            self._move(self._temporary, self._target)
        except BaseException:
            self._removeTemporary()
            raise
        self._forget(self._fs, self._temporary)

    def _forget(self, fs, temporary):
        """
        The temporary file is written no more: its directory may be
        renamed (what C{reserve} held is let go once, however often this
        is called).
        """
        TEMPORARIES.discard(fs, temporary)
        letGo, self._letGo = self._letGo, _nothingHeld
        letGo()

    def discard(self):
        """
        Close and remove the temporary file.
        """
        try:
            self._handle.close()
        finally:
            self._removeTemporary()

    def _removeTemporary(self):
        try:
            self._fs.rm_file(self._temporary)
        except FileNotFoundError:
            pass
        finally:
            self._forget(self._fs, self._temporary)

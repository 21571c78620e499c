"""
The batches of a spliced upload (L{ftpkit.data.movers._splice}): each
moves what the data socket has into the file, with C{splice(2)} through a
pipe (L{spliceBatch}) or, for an upload's first bytes and when no pipe
can be had, through Python (L{readBatch}), and the batch that reaches the
end of the upload commits the file (L{commitAtEnd}). Pure of the reactor:
they run in a disk thread, or at once in the reactor thread where the
storage allows. Private to L{ftpkit.data.movers}.
"""

import errno
import os
import socket

from ftpkit.data.movers._pipes import PIPE_SIZE
from ftpkit.shells.shortcalls import Declined

FILE_WRITE_SIZE = 64 << 10
"""Most bytes one splice writes into a file (uploads through Python have
the same limit, L{ftpkit.shells.diskqueue.WRITE_CALL_SIZE}). Linux sizes
the page-cache folios of a new file by the length of the write: larger
writes cost less CPU on most uploads, but every larger size measured made
some uploads cost several times the CPU, the more often with the memory
full of page cache and the machine busy (C{docs/benchmark-history.rst}). In 64 KiB
writes it costs about the same every time.

No write crosses a multiple of it in the file (L{spliceBatch}): a folio
is aligned to its size, so a 64 KiB write starting anywhere else (the
socket gives bytes in amounts of its own) was made of five smaller
folios, of eight pages and less; on the boundaries it is one, for less
CPU per upload (C{docs/benchmark-investigations.rst}, bench-bigxfer-35)."""

BATCH_SIZE = 16 << 20
"""Most bytes one L{spliceBatch} moves, so that one upload cannot keep a
disk thread from the others for long."""

SHORT_BATCH_SIZE = 64 << 10
"""Most bytes of an upload moved at once in the reactor thread, where its
storage allows (L{ftpkit.fileinfo.FileDescriptor.runShort}): a small
upload is then written and committed without a disk thread; the rest of a
larger one goes through the disk threads."""

_shortBuffer = memoryview(bytearray(SHORT_BATCH_SIZE))
"""Where L{readBatch} receives (reactor thread only: the batches run at
once are all made there)."""

MORE, EMPTY, END, BROKEN = "more", "empty", "end", "broken"
"""What L{spliceBatch} stopped at: its byte limit, a socket with nothing
to read yet, the end of the upload, a broken connection."""

COMMIT = "commit"
"""What L{batchThenCommit} run at once gives for the end of an upload
whose commit declined to run there (L{Declined}): the bytes are all in,
the commit is left to a disk thread."""

HELD = "held"
"""What L{commitAtEnd} gives for the end of an upload it did not commit
because the session's control connection held input then (an C{ABOR},
maybe: L{ftpkit.control.pendinginput}): the bytes are all in, the commit
waits for the session to run that input."""


class Unwritten(Exception):
    """
    A batch run at once (L{readThenCommit}) took bytes from the socket
    that its file system had no room for: they are to be written in a
    disk thread, where room can be made (L{writeUnwritten}).

    @ivar moved: the bytes the batch moved into the file before them.
    @ivar data: the bytes, C{bytes}.
    """

    def __init__(self, moved, data):
        """
        @param moved: L{moved}.
        @param data: L{data}.
        """
        Exception.__init__(self, moved, len(data))
        self.moved = moved
        self.data = data


class Taken:
    """
    The bytes an upload's batches took from its data socket, counted by
    the batches as they take them, written into the file or not: the
    receiver (L{ftpkit.data.movers._splice.SpliceReceiver}) hands it to
    each batch and reads it when one fails, so that the upload's byte
    count has every byte received (C{docs/logging.rst}, byte-counts)
    whatever error the storage's runner fails with. Session 55 marked
    the batch's error, found again through the runner's error's
    C{__context__}: a storage plugin raising its own error outside an
    C{except} block lost the mark.

    @ivar count: the bytes taken so far.
    """

    __slots__ = ("count",)

    def __init__(self):
        self.count = 0


def _full(error, makeRoom):
    """
    @param error: an C{OSError} of a write into the file.
    @param makeRoom: the file's L{ftpkit.fileinfo.FileDescriptor.makeRoom},
        or C{None}.
    @return: whether room can be made for the write to be tried once more:
        the file system is full (C{ENOSPC}) and C{makeRoom} is given.
    """
    return error.errno == errno.ENOSPC and makeRoom is not None


def spliceBatch(socketFD, pipe, fileFD, position, limit=BATCH_SIZE,
                makeRoom=None, taken=None):
    """
    Move what the socket has (up to C{limit} bytes) into the file (blocking
    on the disk; run it in a disk thread).

    @param socketFD: the non-blocking socket's descriptor.
    @param pipe: C{(readFD, writeFD)} from L{takePipe}, empty.
    @param fileFD: the file's descriptor.
    @param position: the file offset for the first byte.
    @param limit: the most bytes to move.
    @param makeRoom: called with C{fileFD} when a write finds the file
        system full, which is then tried once more (the bytes wait in the
        pipe); or C{None}.
    @param taken: a L{Taken} counting the bytes taken from the socket,
        or C{None}.
    @return: C{(moved, why)}: the bytes moved and one of L{MORE},
        L{EMPTY}, L{END} or L{BROKEN}.
    @raise OSError: when writing the file fails (the pipe may then hold
        bytes; close it).
    """
    readFD, writeFD = pipe
    moved = 0
    while moved < limit:
        try:
            count = os.splice(socketFD, writeFD, min(PIPE_SIZE, limit - moved),
                              flags=os.SPLICE_F_MOVE | os.SPLICE_F_NONBLOCK)
        except BlockingIOError:
            return moved, EMPTY
        except OSError:
            return moved, BROKEN
        if count == 0:
            return moved, END
        if taken is not None:
            taken.count += count
        while count:
            # Up to the next multiple of FILE_WRITE_SIZE (see there).
            size = FILE_WRITE_SIZE - position % FILE_WRITE_SIZE
            try:
                written = os.splice(readFD, fileFD, min(count, size),
                                    offset_dst=position,
                                    flags=os.SPLICE_F_MOVE)
            except OSError as error:
                if not _full(error, makeRoom):
                    raise
                makeRoom(fileFD)
                written = os.splice(readFD, fileFD, min(count, size),
                                    offset_dst=position,
                                    flags=os.SPLICE_F_MOVE)
            if written == 0:
                raise OSError(errno.EIO, "splice into the file wrote nothing")
            count -= written
            position += written
            moved += written
    return moved, MORE


def readBatch(sock, fileFD, position, limit, buffer=None, makeRoom=None,
              taken=None):
    """
    Move what the socket has (up to C{limit} bytes, at most
    L{SHORT_BATCH_SIZE}) into the file through Python: C{recv} into a
    buffer, then C{pwrite}. For the bytes moved at once in the reactor
    thread: a small upload costs no pipe (taking one, and its two
    C{splice} calls per read), and no look at the socket before (the
    C{recv} is the look).

    @param sock: the non-blocking socket.
    @param fileFD: the file's descriptor.
    @param position: the file offset for the first byte.
    @param limit: the most bytes to move.
    @param buffer: a writable C{memoryview} of at least C{limit} bytes
        to read into, for a disk thread; C{None} for the one of the
        reactor thread.
    @param makeRoom: called with C{fileFD} when a write finds the file
        system full, in a disk thread, which then tries once more; or
        C{None}.
    @param taken: as for L{spliceBatch}.
    @return: C{(moved, why)}, as L{spliceBatch}.
    @raise OSError: when writing the file fails.
    @raise Unwritten: run in the reactor thread (no C{buffer}), when a
        write finds the file system full and C{makeRoom} is given.
    """
    if buffer is None:
        buffer = _shortBuffer
    moved = 0
    while moved < limit:
        try:
            count = sock.recv_into(buffer, limit - moved)
        except BlockingIOError:
            return moved, EMPTY
        except OSError:
            return moved, BROKEN
        if count == 0:
            return moved, END
        if taken is not None:
            taken.count += count
        written = 0
        while written < count:
            try:
                done = os.pwrite(fileFD, buffer[written:count], position)
            except OSError as error:
                if not _full(error, makeRoom):
                    raise
                if buffer is _shortBuffer:
                    raise Unwritten(moved + written,
                                    bytes(buffer[written:count])) from None
                makeRoom(fileFD)
                done = os.pwrite(fileFD, buffer[written:count], position)
            if done == 0:
                raise OSError(errno.EIO, "pwrite into the file wrote nothing")
            written += done
            position += done
        moved += count
    return moved, MORE


def hasInput(sock):
    """
    Whether the client sent more (or ended), by a peek.

    @param sock: a non-blocking socket.
    @return: whether reading it would not block: it holds bytes, or the
        peer's end.
    @raise OSError: when the connection broke (the client reset it). The
        error is the socket's pending one, which the peek took: a batch
        would not meet it again, and would read the reset as the end of
        the upload.
    """
    try:
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return False
    return True


def batchThenCommit(socketFD, pipe, descriptor, position, limit,
                    pending=None, taken=None):
    """
    One batch, in a disk thread; the batch that reaches the end of the
    upload also commits the file (L{ftpkit.fileinfo.FileDescriptor.commit})
    in the same call, so that a small upload costs one thread round trip
    less.

    @param socketFD: the data socket's descriptor.
    @param pipe: C{(readFD, writeFD)}, empty.
    @param descriptor: the file's L{ftpkit.fileinfo.FileDescriptor}.
    @param position: the file offset for the first byte.
    @param limit: the most bytes to move.
    @param pending: as for L{commitAtEnd}.
    @param taken: as for L{spliceBatch}.
    @return: C{(moved, why)} as L{spliceBatch}, or L{HELD}; at once
        (L{ftpkit.fileinfo.FileDescriptor.runShort}), C{why} is L{COMMIT}
        when the batch reached the end but the commit declined to run
        there.
    """
    moved, why = spliceBatch(socketFD, pipe, descriptor.fd, position, limit,
                             descriptor.makeRoom, taken)
    return commitAtEnd(descriptor, position, moved, why, pending)


def readThenCommit(sock, descriptor, position, limit, pending=None,
                   taken=None):
    """
    L{batchThenCommit} through Python (L{readBatch}), run at once.

    @param sock: the non-blocking data socket.
    @param descriptor: the file's L{ftpkit.fileinfo.FileDescriptor}.
    @param position: the file offset for the first byte.
    @param limit: the most bytes to move, at most L{SHORT_BATCH_SIZE}.
    @param pending: as for L{commitAtEnd}.
    @param taken: as for L{spliceBatch}.
    @return: C{(moved, why)} as L{batchThenCommit}'s run at once.
    """
    moved, why = readBatch(sock, descriptor.fd, position, limit,
                           makeRoom=descriptor.makeRoom, taken=taken)
    return commitAtEnd(descriptor, position, moved, why, pending)


def readInThreadThenCommit(sock, descriptor, position, limit,
                           pending=None, taken=None):
    """
    L{readThenCommit} in a disk thread, through a buffer of its own, for
    an upload that got no pipe (the process was out of descriptors).

    @param sock: the non-blocking data socket.
    @param descriptor: the file's L{ftpkit.fileinfo.FileDescriptor}.
    @param position: the file offset for the first byte.
    @param limit: the most bytes to move, at most L{SHORT_BATCH_SIZE}.
    @param pending: as for L{commitAtEnd}.
    @param taken: as for L{spliceBatch}.
    @return: C{(moved, why)} as L{batchThenCommit}.
    """
    moved, why = readBatch(sock, descriptor.fd, position, limit,
                           memoryview(bytearray(limit)), descriptor.makeRoom,
                           taken)
    return commitAtEnd(descriptor, position, moved, why, pending)


def writeUnwritten(descriptor, unwritten, position):
    """
    Write the bytes of an L{Unwritten} (blocking; in a disk thread): room
    made first (their write found the file system full), then tried once.

    @param descriptor: the file's L{ftpkit.fileinfo.FileDescriptor}.
    @param unwritten: the L{Unwritten}.
    @param position: the file offset of the batch's first byte.
    @return: C{(moved, MORE)}: the bytes of the batch now in the file,
        all it took (the socket is looked at again next).
    @raise OSError: when the write fails.
    """
    descriptor.makeRoom(descriptor.fd)
    view = memoryview(unwritten.data)
    at = position + unwritten.moved
    while view:
        done = os.pwrite(descriptor.fd, view, at)
        if done == 0:
            raise OSError(errno.EIO, "pwrite into the file wrote nothing")
        view = view[done:]
        at += done
    return unwritten.moved + len(unwritten.data), MORE


def commitAtEnd(descriptor, position, moved, why, pending=None):
    """
    Commit the file when a batch that started at C{position} reached the
    end of the upload, unless C{pending()} says the session's control
    connection holds input.

    @param descriptor: the file's L{ftpkit.fileinfo.FileDescriptor}.
    @param position: the file offset of the batch's first byte.
    @param moved: the bytes the batch moved.
    @param why: what the batch stopped at (L{END}: the upload's end).
    @param pending: the session's
        L{ftpkit.control.pendinginput.PendingInput.inputPending}, or
        C{None}.
    @return: C{(moved, why)}, C{why} L{COMMIT} when the commit declined
        to run there (L{Declined}), L{HELD} when it did not run for the
        session's input.
    """
    if why == END and descriptor.commit is not None:
        if pending is not None and pending():
            return moved, HELD
        try:
            descriptor.commit(position + moved)
        except Declined:
            return moved, COMMIT
    return moved, why

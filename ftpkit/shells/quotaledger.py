"""
A home's quota usage as every process of one server sees it (the workers
of C{--workers}): a small file, the L{Ledger}, that each process reads
and changes under C{fcntl.lockf}, so that a user whose sessions are
spread over N workers cannot store N times the quota.

The file holds the bytes and files the home was last measured to hold
(and kept up to date since), a generation counting the reasons to
measure again, and one slot per process with the bytes and files its
uploads have in flight. A process holds a lock on its slot while it
lives: the kernel drops it when the process dies, so that what a dead
process had in flight is found (a slot that another process can lock)
and cleared, and the home measured again (its cut uploads may have left
bytes behind).
"""

import errno
import fcntl
import os
import struct
import threading
import typing

_HEADER = struct.Struct("<4q")
"""generation, measured (the generation measured + 1), bytes, files."""

_SLOT = struct.Struct("<2q")
"""The bytes and the files a process has in flight."""

MAX_SLOTS = 1024
"""The most processes sharing one ledger."""

_FILE_SIZE = _HEADER.size + MAX_SLOTS * _SLOT.size
"""The size of a ledger whose every slot was taken."""


class LedgerState(typing.NamedTuple):
    """
    What a L{Ledger} holds, every process's slot added up.

    @ivar generation: bumped by each L{Ledger.invalidate}.
    @ivar fresh: whether the measurement is of the current generation.
    @ivar measured: whether the home was ever measured.
    @ivar used: the bytes stored.
    @ivar files: the files and directories stored.
    @ivar inFlight: the bytes of every process's uploads in progress.
    @ivar filesInFlight: the files every process is making.
    """

    generation: int
    fresh: bool
    measured: bool
    used: int
    files: int
    inFlight: int
    filesInFlight: int


def _slotOffset(index):
    """
    @param index: a slot's index.
    @return: where it is in the file.
    """
    return _HEADER.size + index * _SLOT.size


class Ledger:
    """
    One home's usage, shared through a file by the processes of a server.
    Each method takes the file's lock, so that what it reads and writes
    is one step for every process.

    @ivar path: the file.
    @ivar slot: the index of this process's slot.
    """

    def __init__(self, path):
        """
        Open (or create) the file, take a slot in it and give the file its
        blocks up to that slot's end (L{_allocate}).

        @param path: the file.
        @raise OSError: when it cannot be opened, every slot is taken, or
            the file system has no room for the file.
        """
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            self._lock = threading.Lock()
            self._readSize = _slotOffset(64)
            self.slot = self._claim()
            _allocate(self._fd, _slotOffset(self.slot + 1))
        except BaseException:
            os.close(self._fd)
            raise

    def close(self):
        """
        Close the file: this process's slot is free again, whatever it
        holds (the next process to take it clears it).
        """
        os.close(self._fd)

    def _claim(self):
        """
        Lock the first slot no living process holds, clearing what a dead
        one left in it.

        @return: its index.
        """
        for index in range(MAX_SLOTS):
            if self._tryLock(index):
                with self._locked() as (header, slots):
                    if _slot(slots, index) != (0, 0):
                        self._clear(header, index)
                return index
        raise OSError(errno.EAGAIN, "every quota ledger slot is taken",
                      self.path)

    def _tryLock(self, index):
        """
        @return: whether this process could lock the slot C{index}: no
            living process other than this one holds it.
        """
        try:
            fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB,
                        _SLOT.size, _slotOffset(index))
        except OSError as e:
            if e.errno in (errno.EACCES, errno.EAGAIN):
                return False
            raise
        return True

    def _locked(self):
        """
        @return: a context manager holding the file's lock (and this
            process's, as C{fcntl} locks do not tell its threads apart),
            giving what L{_read} reads.
        """
        return _Locked(self)

    def _read(self):
        """
        @return: the header (a C{list}) and the slots (a C{list} of
            C{(bytes, files)} tuples), zeros where the file ends.
        """
        while True:
            data = os.pread(self._fd, self._readSize, 0)
            if len(data) < self._readSize or self._readSize >= _FILE_SIZE:
                break
            self._readSize = min(_FILE_SIZE, 2 * self._readSize)
        data = data.ljust(_HEADER.size, b"\0")
        data += bytes(-(len(data) - _HEADER.size) % _SLOT.size)
        header = list(_HEADER.unpack_from(data))
        slots = list(_SLOT.iter_unpack(memoryview(data)[_HEADER.size:]))
        return header, slots

    def _write(self, header, index=None, slot=(0, 0)):
        """
        Write the header, and the slot C{index} if given.

        @param slot: what slot C{index} holds: C{(bytes, files)}.
        """
        os.pwrite(self._fd, _HEADER.pack(*header), 0)
        if index is not None:
            os.pwrite(self._fd, _SLOT.pack(*slot), _slotOffset(index))

    def _clear(self, header, index):
        """
        Zero a dead process's slot and have the home measured again.
        """
        header[0] += 1
        self._write(header, index)

    def _reapDead(self, header, slots):
        """
        Clear the slots with something in flight whose process died
        (L{_clear}).

        @return: whether any was.
        """
        reaped = False
        for index, slot in enumerate(slots):
            if index != self.slot and slot != (0, 0) and self._tryLock(index):
                self._clear(header, index)
                slots[index] = (0, 0)
                fcntl.lockf(self._fd, fcntl.LOCK_UN, _SLOT.size,
                            _slotOffset(index))
                reaped = True
        return reaped

    def state(self):
        """
        @return: a L{LedgerState}.
        """
        with self._locked() as (header, slots):
            return _state(header, slots)

    def reserveBytes(self, size, limit):
        """
        Count C{size} more bytes in flight for this process, if they fit:
        the bytes stored and in flight, with them, must be no more than
        C{limit}. Before refusing, slots of dead processes are cleared.

        @param size: the bytes.
        @param limit: the most bytes, or C{None} for no limit.
        @return: whether they fit (and were counted).
        """
        return self._reserve(size, 0, lambda state: (
            limit is None or state.used + state.inFlight + size <= limit))

    def releaseBytes(self, size):
        """
        Take C{size} bytes off this process's bytes in flight.

        @param size: the bytes.
        """
        with self._locked() as (header, slots):
            self._addToSlot(header, slots, -size, 0)

    def reserveFile(self, limit):
        """
        Count one more file in flight for this process, if the files
        stored and in flight leave room for it (slots of dead processes
        are cleared before refusing).

        @param limit: the most files, or C{None} for no limit.
        @return: whether it fits (and was counted).
        """
        return self._reserve(0, 1, lambda state: (
            limit is None or state.files + state.filesInFlight < limit))

    def settleFile(self, made):
        """
        End a L{reserveFile}.

        @param made: whether the file was made (it then joins the files
            stored).
        """
        with self._locked() as (header, slots):
            if made and header[1]:
                header[3] += 1
            self._addToSlot(header, slots, 0, -1)

    def adjust(self, delta, files):
        """
        Change the bytes and files stored (ignored until first measured).

        @param delta: bytes added (negative when removed).
        @param files: files added (negative when removed).
        """
        with self._locked() as (header, slots):
            if header[1]:
                header[2] = max(0, header[2] + delta)
                header[3] = max(0, header[3] + files)
                self._write(header)

    def invalidate(self):
        """
        Have the home measured again (by the next process that needs it).
        """
        with self._locked() as (header, slots):
            header[0] += 1
            self._write(header)

    def measured(self, generation, used, files):
        """
        Keep a measurement, begun at C{generation}: it is fresh unless
        L{invalidate} was called since.

        @param generation: L{LedgerState.generation} when it began.
        @param used: the bytes measured.
        @param files: the files measured.
        """
        with self._locked() as (header, slots):
            header[2:4] = [used, files]
            if header[0] == generation:
                header[1] = generation + 1
            else:
                header[1] = header[1] or header[0]
            self._write(header)

    def _reserve(self, size, files, fits):
        """
        Count C{size} bytes and C{files} files more in flight for this
        process if C{fits} says the ledger has room, clearing the slots of
        dead processes before refusing.

        @param fits: called with the ledger's L{_state}.
        @return: whether they were counted.
        """
        with self._locked() as (header, slots):
            if not fits(_state(header, slots)) and not (
                    self._reapDead(header, slots)
                    and fits(_state(header, slots))):
                return False
            self._addToSlot(header, slots, size, files)
            return True

    def _addToSlot(self, header, slots, size, files):
        """
        Add to this process's slot and write it with the header.
        """
        inFlight, filesInFlight = _slot(slots, self.slot)
        self._write(header, self.slot, (max(0, inFlight + size),
                                        max(0, filesInFlight + files)))


def _allocate(fd, size):
    """
    Give a ledger's file its blocks up to C{size} bytes (blocking), so
    that no later write into the header or this process's slot fails for
    want of room: the file is made empty, and a directory of ledgers
    (C{$TMPDIR}) that filled up after a login left every write of the
    home's counts failing with C{ENOSPC} (the sessions' uploads waited
    forever for a measurement that could not be kept). The slots of other
    processes are written only once those processes gave them their
    blocks. Where the file system cannot allocate ahead, nothing is done.

    @param fd: the file's descriptor.
    @param size: the bytes it must hold.
    @raise OSError: with C{ENOSPC} (or C{EDQUOT}) when there is no room.
    """
    allocate = getattr(os, "posix_fallocate", None)
    if allocate is None:
        return
    try:
        allocate(fd, 0, size)
    except OSError as e:
        if e.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
            raise


def _slot(slots, index):
    """
    @return: slot C{index} of C{slots}, zeros past the end of the file.
    """
    return slots[index] if index < len(slots) else (0, 0)


def _state(header, slots):
    """
    @return: the L{LedgerState} of a header and slots.
    """
    generation, measured, used, files = header
    return LedgerState(
        generation=generation, fresh=measured == generation + 1,
        measured=measured != 0, used=used, files=files,
        inFlight=sum(slot[0] for slot in slots),
        filesInFlight=sum(slot[1] for slot in slots))


class _Locked:
    """
    The context manager of L{Ledger._locked}.
    """

    def __init__(self, ledger):
        self._ledger = ledger

    def __enter__(self):
        ledger = self._ledger
        ledger._lock.acquire()
        try:
            fcntl.lockf(ledger._fd, fcntl.LOCK_EX, _HEADER.size, 0)
        except BaseException:
            ledger._lock.release()
            raise
        return ledger._read()

    def __exit__(self, *exc):
        ledger = self._ledger
        try:
            fcntl.lockf(ledger._fd, fcntl.LOCK_UN, _HEADER.size, 0)
        finally:
            ledger._lock.release()

"""
The files a L{ftpkit.shells.memory.MemoryShell} opens: the simple kind,
read and written at offsets, that the server adapts to producers and
consumers (L{ftpkit.shells.adapters}).
"""

from twisted.internet.defer import fail, succeed
from zope.interface import implementer

from ftpkit.errors import FTPError
from ftpkit.interfaces import (
    IRandomReadFile,
    IRandomWriteFile,
    IReadFile,
    IWriteFile,
)
from ftpkit.shells.adapters import ReadFileAdapter, WriteFileAdapter


@implementer(IRandomReadFile, IReadFile)
class MemoryReadFile:
    """
    A file opened for a download: a snapshot of its bytes (C{bytes} never
    change, so keeping a reference is the snapshot).

    @ivar size: the bytes from the open offset to the end.
    """

    def __init__(self, data, offset, release=None):
        """
        @param data: the file's bytes when it was opened.
        @param offset: the byte the download starts at.
        @param release: called with no argument by the first L{close}
            (the shell stops counting the snapshot), or C{None}.
        """
        self._data = data
        self._offset = offset
        self._release = release
        self.size = max(0, len(data) - offset)

    def readAt(self, offset, length):
        """
        See L{IRandomReadFile.readAt}.
        """
        start = self._offset + offset
        return succeed(self._data[start : start + length])

    def close(self):
        """
        See L{IRandomReadFile.close}: drop the snapshot (idempotent).
        """
        self._data = b""
        release, self._release = self._release, None
        if release is not None:
            release()

    def send(self, consumer):
        """
        See L{IReadFile.send}, for code written when these files were
        producer/consumer files (the server itself uses L{readAt}).
        """
        return ReadFileAdapter(self).send(consumer)


@implementer(IRandomWriteFile, IWriteFile)
class MemoryWriteFile:
    """
    A file opened for an upload; nothing changes in the shell until
    L{close}. Its bytes count in the shell's
    L{ftpkit.shells.memorytree.Budget} as they arrive: a write that does
    not fit is refused, and the upload with it.
    """

    def __init__(self, budget, commit, ended=None):
        """
        @param budget: the shell's L{ftpkit.shells.memorytree.Budget}.
        @param commit: stores the upload, called with its bytes (C{bytes})
            once, by L{close}; raises an L{FTPError} when it cannot.
        @param ended: called with no argument once the upload ended
            (L{close} or L{abort}), or C{None}.
        """
        self._budget = budget
        self._commit = commit
        self._ended = ended
        self._data = bytearray()
        self._held = 0
        self._refused = None

    def writeAt(self, offset, data):
        """
        See L{IRandomWriteFile.writeAt}: past the shell's C{maxBytes}, the
        upload is dropped and the write fails with L{QuotaExceeded}.
        """
        budget = self._budget
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
        self._budget.used -= self._held
        self._held = 0
        self._data = bytearray()

    def close(self):
        """
        See L{IRandomWriteFile.close}: store the upload in one step; after
        a refused write, fail with its L{ftpkit.errors.QuotaExceeded} and
        store nothing.
        """
        self._end()
        if self._refused is not None:
            return fail(self._refused)
        data = bytes(self._data)
        self._forget()
        try:
            self._commit(data)
        except FTPError as error:
            return fail(error)
        return succeed(None)

    def abort(self):
        """
        See L{IRandomWriteFile.abort}: forget what was received.
        """
        self._end()
        self._forget()
        return succeed(None)

    def _end(self):
        """
        The upload ends: tell C{ended}, once.
        """
        ended, self._ended = self._ended, None
        if ended is not None:
            ended()

    def receive(self):
        """
        See L{IWriteFile.receive}, for code written when these files were
        producer/consumer files (the server itself uses L{writeAt}). Every
        write completes at once, so L{close} may follow the last one.
        """
        return WriteFileAdapter(self).receive()

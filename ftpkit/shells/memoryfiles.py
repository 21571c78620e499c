"""
The files a L{ftpkit.shells.memory.MemoryShell} opens: the simple kind,
read and written at offsets, that the server adapts to producers and
consumers (L{ftpkit.shells.adapters}). An upload written in place (an
append, a resume) is a L{MemoryInPlaceWriteFile}: cut, it keeps what it
received, as a file written in place on the disk does.
"""

from twisted.internet.defer import fail, succeed
from zope.interface import implementer

from ftpkit.errors import FTPError
from ftpkit.interfaces import (
    IDiscardableWriteFile,
    IRandomReadFile,
    IRandomWriteFile,
    IReadFile,
    IWriteFile,
)
from ftpkit.shells.adapters import ReadFileAdapter, WriteFileAdapter
from ftpkit.shells.memorycontent import Content


def _content(data):
    """
    @param data: a L{Content}, or a bytes-like object.
    @return: C{data} as a L{Content}.
    """
    return data if isinstance(data, Content) else Content(data)


@implementer(IRandomReadFile, IReadFile)
class MemoryReadFile:
    """
    A file opened for a download: a snapshot of its bytes (a
    L{Content.snapshot}, which what is appended or written later leaves
    as it was).

    @ivar size: the bytes from the open offset to the end.
    """

    def __init__(self, data, offset, release=None):
        """
        @param data: the file's bytes when it was opened: a L{Content}
            snapshot, or a bytes-like object.
        @param offset: the byte the download starts at.
        @param release: called with no argument by the first L{close}
            (the shell stops counting the snapshot), or C{None}.
        """
        self._data = _content(data)
        self._offset = offset
        self._release = release
        self.size = max(0, len(self._data) - offset)

    def readAt(self, offset, length):
        """
        See L{IRandomReadFile.readAt}.
        """
        return succeed(self._data.read(self._offset + offset, length))

    def close(self):
        """
        See L{IRandomReadFile.close}: drop the snapshot (idempotent).
        """
        self._data = Content()
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
    not fit is refused, and the upload with it. The bytes its commit
    frees (C{freed}) count as room: an upload replacing a file fits if
    the new file does.
    """

    def __init__(self, budget, commit, ended=None, freed=None):
        """
        @param budget: the shell's L{ftpkit.shells.memorytree.Budget}.
        @param commit: stores the upload, called with its bytes (a
            L{Content}) once, by L{close}; raises an L{FTPError} when it
            cannot.
        @param ended: called with no argument once the upload ended
            (L{close} or L{abort}), or C{None}.
        @param freed: called with no argument, gives the bytes the
            upload's commit would free now (the C{freed} of
            L{ftpkit.shells.memorytree.Budget.fits}); C{None} for none.
        """
        self._budget = budget
        self._freed = freed
        self._commit = commit
        self._ended = ended
        self._data = Content()
        self._held = 0
        self._refused = None

    def writeAt(self, offset, data):
        """
        See L{IRandomWriteFile.writeAt}: past the shell's C{maxBytes}, the
        upload is dropped and the write fails with L{QuotaExceeded}.
        """
        budget = self._budget
        growth = max(0, offset + len(data) - len(self._data))
        if self._refused is None and not budget.fits(growth, self._freed):
            self._refused = budget.full()
            self._forget()
        if self._refused is not None:
            return fail(self._refused)
        budget.used += growth
        self._held += growth
        self._data = _written(self._data, offset, data)
        return succeed(None)

    def _forget(self):
        """
        Drop the bytes received, which the shell no longer holds.
        """
        self._budget.used -= self._held
        self._held = 0
        self._data = Content()

    def close(self):
        """
        See L{IRandomWriteFile.close}: store the upload in one step; after
        a refused write, fail with its L{ftpkit.errors.QuotaExceeded} and
        store nothing.
        """
        return self._stored(self._commit)

    def _stored(self, commit):
        """
        End the upload by storing what it received.

        @param commit: stores it, called with its bytes (a L{Content});
            raises an L{FTPError} when it cannot.
        @return: a Deferred firing with C{None}, or failing with that
            error (or the refused write's).
        """
        self._end()
        if self._refused is not None:
            return fail(self._refused)
        data = self._data
        self._forget()
        try:
            commit(data)
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


@implementer(IDiscardableWriteFile)
class MemoryInPlaceWriteFile(MemoryWriteFile):
    """
    An upload written in place (an C{APPE}, a C{REST} + C{STOR}), stored
    by L{close} as any. Cut (L{abort}: its connection broke, C{ABOR},
    the server stopping), what it received is stored all the same, as a
    file written in place on the disk holds it, so that a client
    resuming from C{SIZE} goes on from there (it was stored only once
    complete: that C{SIZE} answered the old file's size, and the resume
    sent again what the cut upload had sent). Dropped whole
    (L{discard}: refused for its size), it leaves the file as it was,
    at its length before the upload as the disk leaves a file written
    in place. A resume from below the file's end was cut back to where
    it started, here and on the disk: the old bytes past those it
    reached, which no client sent over, were lost.
    """

    def __init__(self, budget, commit, keep, ended=None, freed=None):
        """
        @param budget: see L{MemoryWriteFile}.
        @param commit: see L{MemoryWriteFile}.
        @param keep: stores a cut upload's bytes (a L{Content}), called
            once, by L{abort}, where any came; raises an L{FTPError} when
            it cannot (they are dropped then).
        @param ended: see L{MemoryWriteFile}.
        @param freed: see L{MemoryWriteFile}.
        """
        MemoryWriteFile.__init__(self, budget, commit, ended, freed)
        self._keep = keep

    def abort(self):
        """
        See L{IRandomWriteFile.abort}: store what was received, if
        anything (after a refused write nothing: L{MemoryWriteFile.writeAt}
        dropped it); where it cannot be (the path names another file by
        now, no room), it is dropped, and the abort succeeds all the same.
        """
        if not self._data.size:
            return MemoryWriteFile.abort(self)
        return self._stored(self._keep).addErrback(_keptNothing)

    def discard(self):
        """
        See L{IDiscardableWriteFile.discard}: forget what was received;
        the file, changed only by a store, stays as it was.
        """
        return MemoryWriteFile.abort(self)


def _keptNothing(failure):
    """
    A cut upload written in place could not be stored: nothing of it is
    kept, as where it received nothing.

    @param failure: the L{Failure} of its store, an L{FTPError}'s (any
        other is passed on).
    @return: C{None}.
    """
    failure.trap(FTPError)
    return None


def _written(content, offset, data):
    """
    Write bytes into an upload's content: at or past its end (what a
    transfer does: its writes come in order, each where the previous one
    ended) they are appended, copying nothing received before; inside it,
    the content is rebuilt around them.

    @param content: the L{Content} received so far.
    @param offset: where C{data} goes.
    @param data: a bytes-like object.
    @return: the L{Content} with C{data} written (C{content} itself, when
        appended to).
    """
    if offset >= content.size:
        content.append(data)
        return content
    rebuilt = content.truncated(offset)
    rebuilt.append(data)
    for piece in content.pieces(offset + len(data)):
        rebuilt.append(piece)
    return rebuilt

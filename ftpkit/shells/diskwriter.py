"""
L{FileWriter}: a file of L{ftpkit.shells.filesystem.FilesystemShell}
opened for an upload. Its bytes go through a L{QueuedWriter} (or, through
its descriptor, L{IDescriptorFile}, inside the kernel); it commits the
upload (an atomic rename, or a hard link for a new file only: the file's
first name, for a file that had none), or keeps what an upload cut short
received as a partial upload, or discards it (those ends are
L{ftpkit.shells.diskcuts.CutEnds}'). The blocking calls that put the
file at its name are L{ftpkit.shells.diskplacing}'s (L{placeNew} is
importable from here too).
"""

import functools
import os

from twisted.internet.defer import succeed
from zope.interface import implementer

from ftpkit.errors import PermissionDenied
from ftpkit.fileinfo import FileDescriptor
from ftpkit.interfaces import (
    IAccountedWriteFile,
    IDescriptorFile,
    IPartialWriteFile,
    IPrivateWriteFile,
    IRefusingWriteFile,
)
from ftpkit.shells import shortcalls, uploads
from ftpkit.shells.diskcuts import CutEnds
from ftpkit.shells.diskplacing import (
    ON_DESCRIPTORS,
    checkAppended,
    checkInPlace,
    checkResumed,
    nameAnonymous,
    placeNew,
    placeTemporary,
)
from ftpkit.shells.diskqueue import SHORT_UPLOAD_SIZE, QueuedWriter
from ftpkit.shells.outcome import Outcome

__all__ = ["FileWriter", "placeNew"]


@implementer(IPartialWriteFile, IDescriptorFile, IPrivateWriteFile,
             IRefusingWriteFile, IAccountedWriteFile)
class FileWriter(CutEnds):
    """
    A file opened for an upload, owning its descriptor. Cut short
    (L{abort}), an upload into a temporary file is kept as its target's
    partial upload (see L{ftpkit.shells.uploads}).

    @ivar committed: the server committed the file through its descriptor
        (L{ftpkit.fileinfo.FileDescriptor.commit}).
    """

    committed = False
    _descriptorGiven = False
    _atOnce = False

    def __init__(self, run, fd, temporary, target, position, start=None,
                 resumed=False, runShort=None, exclusive=False,
                 anonymous=False, directory=None, inode=None,
                 reservation=None, resumer=None, initialSize=0,
                 targetWas=uploads.UNKNOWN, guard=None, onDropped=None,
                 runOnDescriptors=None, before=None, dense=None,
                 makeRoom=None, onKept=None):
        """
        @param run: L{FilesystemShell._run}.
        @param fd: the open descriptor.
        @param temporary: the temporary file to rename over C{target} at
            close, or C{None} when writing C{target} in place.
        @param target: the file's resolved path.
        @param position: the offset of the first byte, or C{None} to append.
        @param start: when writing in place, or continuing a partial
            upload, the length L{discard} cuts the file back to.
        @param resumed: the temporary file is a partial upload continued
            (so it is truncated after the last byte at close, and kept
            again, cut back to C{start}, by L{discard}).
        @param runShort: see L{FileDescriptor.runShort}, or C{None}.
        @param exclusive: the temporary file becomes the target only if no
            file of that name exists by then (L{AlreadyExists} otherwise).
        @param anonymous: C{fd} is a file with no name yet
            (L{uploads.createAnonymous}; C{temporary} is then C{None}),
            which gets the target's name at close, or a temporary one to
            replace a file of that name that appeared meanwhile (unless
            C{exclusive}).
        @param directory: the held descriptor of C{target}'s directory
            (L{uploads.createAnonymous}), closed once the upload ended, or
            C{None}.
        @param inode: C{(st_dev, st_ino)} of the file written in place,
            which C{target} must still name once the upload is complete
            (L{_checkInPlace}), or C{None}.
        @param reservation: the target's name reserved for this upload
            (L{ftpkit.shells.uploadreservations.reserve}), released once
            the upload ended (its file named, kept or removed), or
            C{None}.
        @param resumer: who may resume the upload once cut, recorded on
            the partial upload it leaves
            (L{ftpkit.shells.partialowners}), or C{None}.
        @param initialSize: the bytes C{fd}'s file held when opened, there
            before the upload (the target written in place, a partial
            upload continued), for L{CutEnds.leftBehind}.
        @param targetWas: the target's version when the upload began
            (L{uploads.targetVersion}): cut, the upload keeps nothing if
            the target changed since (L{uploads.keepPartial}).
        @param guard: a descriptor holding the file the upload replaces
            (L{ftpkit.shells.uploadlocks.holdTarget}), closed once the
            upload ended, or C{None}.
        @param onDropped: told of the partial upload a resume continued,
            removed once cut after its target changed
            (L{uploads.keepPartial}), and of a cut upload's bytes not
            kept, its disk full
            (L{ftpkit.shells.fullkeeping.keptSize}); or C{None}.
        @param runOnDescriptors: for a file with no name opened at once
            (after the mount table's check), the shell's runner of the
            short calls on its descriptors alone
            (L{shortcalls.ShortCalls.onDescriptors}), which its
            L{descriptor}'s bytes and commit are; or C{None}.
        @param before: for a file written in place from an offset, its
            bytes before the offset when opened
            (L{ftpkit.shells.diskplacing.bytesBefore}), or C{None}.
        @param dense: for such a file, where its first hole began when
            opened (L{ftpkit.shells.diskplacing.denseLength}): once the
            upload is complete it is checked not to have been cut below
            the offset meanwhile (L{checkResumed}); or C{None}.
        @param makeRoom: makes room on the file's file system, a write
            that found it full then tried once more
            (L{ftpkit.fileinfo.FileDescriptor.makeRoom}); or C{None}.
        @param onKept: called (blocking) with the path, the C{stat} and
            the resumer of the partial upload a cut upload kept bytes in,
            or C{None}.
        """
        self._before = before
        self._dense = dense
        self._runOnDescriptors = runOnDescriptors
        self._onDropped = onDropped
        self._guard = guard
        self._targetWas = targetWas
        self._resumer = resumer
        self._initialSize = initialSize
        self._reservation = reservation
        self._inode = inode
        self._directory = directory
        self._exclusive = exclusive
        self._anonymous = anonymous
        self._run = run
        self._runShort = runShort
        self._fd = fd
        self._temporary = temporary
        self._target = target
        self._start = start
        self._truncate = position is not None and (
            (temporary is None and not anonymous) or resumed)
        self._resumed = resumed
        self._makeRoom = makeRoom
        self._onKept = onKept
        self._consumer = QueuedWriter(run, fd, position, runShort, makeRoom)
        self._started = False
        self._outcome = Outcome()

    def withholdFromOthers(self):
        """
        See L{IPrivateWriteFile.withholdFromOthers}: the mode of the file
        with no name or the temporary file, which is the mode it has once
        linked or renamed in place (a short call on its descriptor).
        """
        if self._temporary is None and not self._anonymous:
            raise PermissionDenied("Upload could not be held")
        mode = os.fstat(self._fd).st_mode
        os.fchmod(self._fd, mode & 0o7770)

    def receive(self):
        """
        See L{IWriteFile.receive}.
        """
        return succeed(self._consumer)

    def refusal(self):
        """
        See L{IRefusingWriteFile.refusal}: the error of a failed write
        (the disk full), which stopped the data connection.
        """
        return self._consumer.error

    def descriptor(self):
        """
        See L{IDescriptorFile.descriptor}: none when appending (the
        descriptor is C{O_APPEND}, which C{splice} cannot write to).
        """
        position = self._consumer.position
        if position is None:
            return None
        self._descriptorGiven = True
        runShort = None
        if self._runOnDescriptors is not None:
            runShort = functools.partial(self._runOnDescriptors,
                                         self._onDescriptors)
        elif self._runShort is not None:
            runShort = functools.partial(self._runShortUnlessFreeing,
                                         self._replaced)
        return FileDescriptor(self._fd, position, None, self._run,
                              self._commitAt, runShort=runShort,
                              makeRoom=self._makeRoom)

    def _commitAt(self, end):
        """
        Put the file in place holding the bytes up to C{end} (blocking;
        see L{FileDescriptor.commit}); a failure cleans up and is raised.
        """
        self._consumer.position = end
        self._commit()
        self.committed = True

    def close(self):
        """
        See L{IWriteFile.close}: wait for the queued writes, close the
        file and put it in place (done already when the server committed
        it through the descriptor). On failure the temporary file is
        removed. Calling it again, or after L{abort}, gives the same
        outcome.
        """
        if self.committed and not self._started:
            # The server committed it through its descriptor (every
            # upload moved with splice, or at once): _first's outcome,
            # stored and given without its calls and its wait's checks.
            self._started = True
            self._outcome.store(None)
            return succeed(None)
        if self._first():
            finishing = self._consumer.drain()
            finishing.addCallback(
                lambda ignored: self._runEnd(self._commit, self._replaced))
            finishing.addErrback(self._discard)
            finishing.addBoth(self._outcome.store)
        return self._outcome.wait()

    def abort(self):
        """
        See L{IWriteFile.abort}: wait for a write in flight, then close the
        file; a temporary file holding bytes becomes the target's partial
        upload (an empty one is removed; one whose directory was removed
        meanwhile is gone with it, and one whose directory moved is kept
        there by the next sweep). Nothing to do once the server committed
        the file.
        """
        return self._end(self._keep, self._keptOver)

    def discard(self):
        """
        See L{IPartialWriteFile.discard}: like L{abort}, but the temporary
        file is removed, and a file written in place is cut back to its
        length before the upload.
        """
        return self._end(lambda: self._cleanUp(cutBack=True), self._removed)

    def _end(self, blocking, frees):
        """
        Unless L{close}, L{abort} or L{discard} was called already: wait
        for a write in flight, then run C{blocking} (L{_runEnd}).

        @param frees: as for L{_runEnd}.
        """
        if self._first():
            finishing = self._consumer.drain()
            finishing.addBoth(lambda ignored: self._runEnd(blocking, frees))
            finishing.addBoth(self._outcome.store)
        return self._outcome.wait()

    def _first(self):
        """
        Mark the upload as ending (by L{close}, L{abort} or L{discard}).

        @return: whether this is the first of those calls, and the end
            still has to be run; once the server committed the file
            through its descriptor, the outcome is stored at once instead.
        """
        if self._started:
            return False
        self._started = True
        if self.committed:
            self._outcome.store(None)
            return False
        return True

    def _runEnd(self, blocking, frees):
        """
        Run the blocking end of the upload (its commit, or its clean-up):
        at once where the shell allows it and the upload wrote no more
        than L{SHORT_UPLOAD_SIZE} bytes, all through Python, into a new
        file, else in a disk thread (removing a large file can take a
        while, and so can cutting one written in place or resumed after
        its new end; the bytes that went through L{descriptor} are not
        counted here).

        @param frees: what C{blocking} may drop the last name of (see
            L{_runShortUnlessFreeing}).
        @return: a L{Deferred} with its outcome.
        """
        if (self._runShort is not None and not self._descriptorGiven
                and not self._truncate
                and self._consumer.written <= SHORT_UPLOAD_SIZE):
            ending = self._runShortUnlessFreeing(frees, blocking)
            if ending is not None:
                return ending
        return self._run(blocking)

    def _runShortUnlessFreeing(self, frees, function, *args):
        """
        Run C{function(*args)} at once where the shell allows it, unless
        it may drop the last name of a large file (see
        L{shortcalls.freesMuch}). Freeing those blocks is work done in the
        call itself, too long for the reactor thread. They are looked at
        just before C{function} runs, since other sessions may have put a
        large file there since this upload opened. A new file's first name
        needs no look first: its link fails where a file appeared, and
        only then is that file looked at (L{_name}); C{function} runs with
        L{_atOnce} set, so that it can tell.

        @param frees: returns the paths C{function} may drop the last name
            of: L{_replaced}, L{_keptOver} or L{_removed}.
        @return: as L{shortcalls.ShortCalls.__call__}.
        """
        return self._runShort(self._unlessFreeing, frees, function, *args)

    def _unlessFreeing(self, frees, function, *args):
        """
        The blocking part of L{_runShortUnlessFreeing}.

        @raise shortcalls.Declined: when it may free a large file.
        """
        if any(map(shortcalls.freesMuch, frees())):
            raise shortcalls.Declined()
        self._atOnce = True
        try:
            return function(*args)
        finally:
            self._atOnce = False

    def _onDescriptors(self, function, *args):
        """
        Run C{function(*args)} (the descriptor's bytes or commit) as a
        call on this upload's descriptors alone (C{runOnDescriptors}): a
        commit that finds a file at the target's name declines (L{_name}).
        """
        self._atOnce = ON_DESCRIPTORS
        try:
            return function(*args)
        finally:
            self._atOnce = False

    def _replaced(self):
        """
        @return: what the commit may free: the target it replaces, and
            its own temporary file (a large partial upload continued from
            before its end, which the commit cuts back after the last
            byte); none when writing in place, nor for a file with no
            name: its link frees nothing, and a file it finds at the
            target's name is looked at then (L{_name}).
        """
        if self._temporary is None:
            return ()
        return (self._target, self._temporary)

    def _keptOver(self):
        """
        @return: what keeping a cut upload may drop the last name of: the
            target's partial upload, which it replaces, and its own
            temporary file (a large partial upload continued), which is
            removed where it is not kept
            (L{ftpkit.shells.partials.keepPartial}).
        """
        if self._temporary is None and not self._anonymous:
            return ()
        return (uploads.partialPath(self._target), self._temporary)

    def _removed(self):
        """
        @return: what a clean-up may drop the last name of: its temporary
            file, and for a partial upload continued, L{_keptOver}.
        """
        if self._resumed:
            return self._keptOver()
        return (self._temporary,)

    def _commit(self):
        """
        Truncate (a resume), rename (or name a file with none), close.
        """
        try:
            if self._truncate:
                self._cut(self._consumer.position)
            if self._anonymous:
                self._name(self._fd)
            if self._inode is not None:
                self._checkInPlace()
                if self._consumer.position is None:
                    checkAppended(self._fd, self._initialSize
                                  + self._consumer.written)
                elif self._dense is not None:
                    checkResumed(self._fd, self._start, self._before,
                                 self._dense, self._consumer.position)
            if self._temporary is not None:
                # Still open, so still held: closed first, it was nobody's
                # for a moment, which a sweep in another process serving
                # the root took (made it the target's partial upload).
                self._place()
            fd, self._fd = self._fd, None
            os.close(fd)
            self._releaseDirectory()
        except shortcalls.Declined:
            raise
        except BaseException:
            self._cleanUp()
            raise
        self._releaseReservation()

    def _cut(self, end):
        """
        Cut the file written in place, or the partial upload continued,
        after its last byte (blocking).

        @param end: the length it keeps.
        @raise shortcalls.Declined: when it runs at once (in the reactor
            thread, the commit of a zero-copy upload) and the cut would
            free much (a small C{REST} and C{STOR} over a large file):
            the file's blocks are freed in the call itself, a second for a
            few GiB, in which no session was served. Nothing changed; the
            caller runs the commit again in a disk thread.
        """
        if self._atOnce:
            status = os.fstat(self._fd)
            if status.st_size > end and shortcalls.holdsMuch(status):
                raise shortcalls.Declined()
        os.ftruncate(self._fd, end)

    def _place(self):
        """
        Put the temporary file in place (blocking: L{placeTemporary}).
        """
        placeTemporary(self._temporary, self._target, self._exclusive)

    def _checkInPlace(self):
        """
        The target still names the file written in place (L{checkInPlace}).
        """
        checkInPlace(self._target, self._inode)

    def _name(self, fd):
        """
        Give a file with no name the target's name (blocking:
        L{nameAnonymous}, declining to free a large file when it runs at
        once).

        @param fd: the file's descriptor.
        """
        nameAnonymous(fd, self._targetName(), self._directory,
                      self._exclusive, self._atOnce)

    def _targetName(self):
        """
        @return: the target's name in its directory, C{bytes}.
        """
        return self._target.rpartition(b"/")[2]

"""
L{CutEnds}: how an upload of L{ftpkit.shells.diskwriter.FileWriter}
that did not complete ends (blocking methods, run in a disk thread or,
where L{ftpkit.shells.shortcalls} allows, at once): what a cut upload
received kept as its target's partial upload (none of it on a full
disk: L{ftpkit.shells.fullkeeping}), or its files cleaned up (a file
written in place cut back, a partial upload continued given back as it
was); and the descriptors and the reservation it held let go.
"""

import os

from ftpkit.errors import InsufficientStorage
from ftpkit.fileinfo import StorageChange
from ftpkit.shells import uploadreservations, uploads
from ftpkit.shells.diskplacing import directoryRemoved
from ftpkit.shells.fullkeeping import keptSize
from ftpkit.shells.uploadremains import LeftBehind
from ftpkit.shells.uploadremoval import removeQuietly


class CutEnds(LeftBehind):
    """
    A base of L{ftpkit.shells.diskwriter.FileWriter}: the ends of an
    upload cut short, or failed.

    A class using it sets, as L{ftpkit.shells.diskwriter.FileWriter}
    documents them, C{_fd}, C{_temporary}, C{_target}, C{_anonymous},
    C{_resumed}, C{_start}, C{_initialSize}, C{_directory}, C{_guard}, C{_reservation},
    C{_resumer}, C{_targetWas}, C{_onDropped}, C{_onKept} and C{_consumer}
    (its L{ftpkit.shells.diskqueue.QueuedWriter}), and provides
    C{_runEnd(blocking, frees)}, C{_keptOver()}, C{_removed()} and
    C{_targetName()}.
    """

    def _droppedTo(self):
        """
        @return: what a resume's L{uploads.keepPartial} tells of the
            partial upload it drops (C{onDropped}), or C{None}.
        """
        return self._onDropped if self._resumed else None

    def _keep(self):
        """
        The blocking part of
        L{ftpkit.shells.diskwriter.FileWriter.abort}.
        """
        if self._fd is None or (self._temporary is None
                                and not self._anonymous):
            self._cleanUp()
            return
        fd, self._fd = self._fd, None
        try:
            self._keepOpen(fd)
        finally:
            os.close(fd)
            self._releaseDirectory()
            self._releaseReservation()

    def _keepOpen(self, fd):
        """
        Keep what the cut upload received as the target's partial upload
        while its file is still open: still held, so that a sweep starting
        in another process serving the root does not take the temporary
        file before it has its partial name (closed first, it was nobody's
        for that moment). On a full disk it keeps no bytes
        (L{keptSize}). Bytes kept are told to C{_onKept}, where the class
        sets one (its user's cap, L{ftpkit.shells.diskcap}).

        @param fd: the upload's descriptor, closed by the caller.
        """
        size = os.fstat(fd).st_size
        if not self._resumed:
            size = keptSize(fd, size, self._consumer.error, self._onDropped,
                            uploads.partialPath(self._target), self._resumer)
        temporary, target, directory = self._temporary, self._target, None
        if self._anonymous:
            target, directory = self._targetName(), self._directory
            if size == 0:
                self._left = StorageChange(0, 0)
                return
            try:
                temporary = uploads.nameAnonymous(fd, target, directory)
            except FileNotFoundError:
                if directoryRemoved(self._directory):
                    return
                raise
        try:
            self._leave(uploads.keepPartial(
                temporary, target, size, directory, fd, self._resumer,
                self._targetWas, self._droppedTo()), self._resumed)
        except FileNotFoundError:
            if directory is not None or os.path.lexists(temporary):
                raise
            # Its directory was removed (by a local user) with the
            # bytes in it, or moved, where the next sweep keeps them
            # (L{_place}): the cut, not this, is what the client is
            # told.
            return
        kept = os.fstat(fd)
        if self._onKept is not None and size and kept.st_nlink:
            self._onKept(uploads.partialPath(self._target), kept,
                         self._resumer)

    def _discard(self, failure):
        """
        After a failed upload (a write failed: the disk is full, say):
        clean up as C{discard} does, then report the failure; an upload of
        a whole file that found the disk full ends as C{abort} does
        (keeping no bytes: L{ftpkit.shells.fullkeeping}).
        """
        if failure.check(InsufficientStorage) and (
                self._anonymous or (self._temporary is not None
                                    and not self._resumed)):
            cleaning = self._runEnd(self._keep, self._keptOver)
        else:
            cleaning = self._runEnd(lambda: self._cleanUp(cutBack=True),
                                    self._removed)
        cleaning.addBoth(lambda ignored: failure)
        return cleaning

    def _cleanUp(self, cutBack=False):
        """
        Close the descriptor if open and remove the temporary file,
        blocking.

        @param cutBack: also cut a file written in place, or a partial
            upload continued (kept, its bytes the client's earlier
            upload), back to its length before the upload: not to where
            the upload started, a resume from below its end keeping the
            bytes past those it wrote (no client sent them again).
        """
        try:
            self._removeFiles(cutBack)
        finally:
            self._releaseReservation()

    def _removeFiles(self, cutBack):
        """
        The files' part of L{_cleanUp}.
        """
        fd, self._fd = self._fd, None
        left = None
        try:
            if fd is not None and cutBack and self._start is not None:
                # Back to the length before the upload, not its start: a
                # resume from below the end keeps the old bytes past what
                # it wrote, which no client sent over.
                cut = min(os.fstat(fd).st_size, self._initialSize)
                os.ftruncate(fd, cut)
                if self._resumed:
                    # Kept again while open, so still held (L{_keepOpen}).
                    self._leave(uploads.keepPartial(
                        self._temporary, self._target, cut, fd=fd,
                        resumer=self._resumer, targetWas=self._targetWas,
                        onDropped=self._droppedTo()), resumed=True)
                    return
            if fd is not None:
                inPlace = self._temporary is None and not self._anonymous
                left = StorageChange(os.fstat(fd).st_size if inPlace else 0,
                                     0)
        finally:
            if fd is not None:
                os.close(fd)
            self._releaseDirectory()
        if self._temporary is not None:
            removeQuietly(self._temporary)
        if left is not None:
            self._leave(left, self._resumed)

    def _releaseDirectory(self):
        """
        Let the target's directory go (L{uploads.createAnonymous}): a C{RMD}
        may remove it now; and the file it replaces (its C{guard}): an upload
        may write that in place now.
        """
        directory, self._directory = self._directory, None
        if directory is not None:
            os.close(directory)
        guard, self._guard = self._guard, None
        if guard is not None:
            os.close(guard)

    def _releaseReservation(self):
        """
        Let the target's name go (L{uploadreservations.release}).
        """
        reservation, self._reservation = self._reservation, None
        if reservation is not None:
            uploadreservations.release(reservation)

"""
Uploads written into the file itself (L{InPlaceWriter}), as a local disk's
C{REST}/C{STOR} and C{APPE} are, on an
L{ftpkit.shells.fsspecshell.FsspecShell}: held against a second such
upload (L{ftpkit.shells.fsspecinplace}), and complete only if the file is
still the one written, holding what the client sent where it sent it.
"""

from ftpkit.errors import FileChanged, FileReplaced, RestPastEnd
from ftpkit.fileinfo import StorageChange
from ftpkit.shells.diskplacing import bytesBefore, resumedIntact
from ftpkit.shells.fsspecmemory import storedFile


def _openInPlace(fs, fsPath, append, backend):
    """
    Open a file for an upload written in place (blocking), at no position
    in particular: where every opener shares the file object, an existing
    file is the stored object itself, its position left as the upload
    already writing it (if any) set it (see
    L{ftpkit.shells.fsspecmemory.storedFile}).

    @param fs: the filesystem.
    @param fsPath: the file's path.
    @param append: whether to append (creating a missing file:
        L{ftpkit.shells.fsspecgeneric.Backend.openAppended}).
    @param backend: the L{ftpkit.shells.fsspecgeneric.Backend} of C{fs}.
    @return: C{(handle, made)}: the file object, and whether this open
        made the file.
    @raise RestPastEnd: when resuming (not appending), the file is
        missing: shorter than any offset, as the disk realm and the
        server's own check (C{554}) answer; it was C{550}, the store's
        C{FileNotFoundError}.
    """
    if append:
        return backend.openAppended(fs, fsPath)
    try:
        if backend.sharedFileObjects:
            return storedFile(fs, fsPath), False
        return fs.open(fsPath, "r+b"), False
    except FileNotFoundError:
        raise RestPastEnd() from None


def _endOf(handle):
    """
    @param handle: a file object.
    @return: where its file ends now, its position moved there
        (C{seek}'s answer is not used: paramiko's gives none).
    """
    handle.seek(0, 2)
    return handle.tell()


class InPlaceWriter:
    """
    A resumed or appended upload, written into the file itself (blocking):
    what was written stays written even if the upload is aborted, as with
    a resumed upload on a local disk. It holds the file against a second
    such upload, and is complete only if its path still names the file
    once written (L{ftpkit.shells.fsspecinplace}). An C{APPE} whose open
    made its file, cut before any byte of it was written, or dropped
    whole, removes that file (as the disk realm's
    L{ftpkit.shells.appendnew.NewAppendWriter} does): it left it empty,
    as no client asked.

    @ivar left: once L{drop} or L{discard} ended, how the upload changed
        what the store holds
        (L{ftpkit.interfaces.IAccountedWriteFile.leftBehind}), as the disk
        realm tells it (L{ftpkit.shells.appendnew.NewAppendWriter}): the
        file's size then against its size when opened, the file counted
        as there before (a quota settles the file it reserved for it as
        made), so one file less where the file its open made was removed;
        C{None} when not known (a removal or a look at the file that
        failed, or the path naming another file).
    """

    left = None

    def __init__(self, fs, fsPath, offset, append, backend):
        """
        Open the file and hold it.

        @param fs: the filesystem.
        @param fsPath: the file's path.
        @param offset: the byte to resume from (ignored when appending).
        @param append: whether to append (creating a missing file).
        @param backend: the L{ftpkit.shells.fsspecgeneric.Backend} of
            C{fs}, which holds, prepares and checks the file.
        @raise FileBusy: another upload writes the file in place.
        @raise RestPastEnd: when resuming, the file is shorter than
            C{offset}: cut since its size was read, it would be left with
            a hole.
        """
        # Held before it is opened: a directory renamed in between moved
        # the file opened (L{ftpkit.shells.fsspecgeneric.Backend.holdInPlace}).
        self._release = backend.holdInPlace(fs, fsPath)
        try:
            self._handle, self._made = _openInPlace(fs, fsPath, append,
                                                    backend)
            try:
                backend.openedInPlace(fs, fsPath, self._handle)
                size = None if append else _endOf(self._handle)
                if not append and size < offset:
                    raise RestPastEnd()
                self._before = None if append else bytesBefore(
                    self._readAt, offset)
            except BaseException:
                self._handle.close()
                raise
        except BaseException:
            self._release()
            raise
        # Moved once held: a shared file object has one position.
        if append:
            self._handle.seek(0, 2)
        else:
            self._handle.seek(offset)
        self._fs, self._path, self._backend = fs, fsPath, backend
        self._start = self._end = self._handle.tell()
        self._size = self._start if append else size
        self._truncate = not append
        self._dense = None if append else backend.denseLength(self._handle)

    def writeAt(self, offset, data):
        """
        Write C{data} at C{offset} bytes from where the upload started.

        @param offset: bytes from where the upload started.
        @param data: the bytes.
        """
        offset += self._start
        try:
            if self._handle.tell() != offset:
                self._handle.seek(offset)
            self._handle.write(data)
        except OSError:
            self._cutBack()
            raise
        self._end = max(self._end, offset + len(data))

    def commit(self):
        """
        Drop what lay past the end of a resumed upload, and close.

        @raise FileReplaced: when the path no longer names the file
            written (replaced, removed or renamed meanwhile).
        @raise FileChanged: when a file appended to ends elsewhere than
            where the upload's last byte went: another program cut it,
            or wrote to it, meanwhile (as
            L{ftpkit.shells.diskplacing.checkAppended} tells on the disk);
            or, where the store tells holes
            (L{ftpkit.shells.fsspecgeneric.Backend.denseLength}), when a
            file resumed has a hole before the upload's last byte that it
            had not: another program cut it below the upload's bytes (as
            L{ftpkit.shells.diskplacing.checkResumed} tells).
        """
        try:
            try:
                if self._truncate:
                    self._handle.truncate(self._end)
                self._handle.flush()
            except OSError:
                self._cutBack()
                raise
            if not self._backend.namesWritten(self._fs, self._path,
                                              self._handle):
                raise FileReplaced()
            if not self._truncate and _endOf(self._handle) != self._end:
                raise FileChanged()
            if self._truncate and not self._resumedIntact():
                raise FileChanged()
        finally:
            self._close(False)

    def _readAt(self, length, offset):
        """
        @param length: how many bytes.
        @param offset: where, in the file written.
        @return: the file's bytes there, its position moved after them.
        """
        self._handle.seek(offset)
        return self._handle.read(length)

    def _resumedIntact(self):
        """
        @return: whether the file resumed still holds its bytes before
            the upload's first, as far as can be told
            (L{ftpkit.shells.diskplacing.resumedIntact}): the bytes read
            just before it when opened, and no new hole before its last
            where the store tells holes.
        """
        dense = self._dense
        return resumedIntact(
            self._before, bytesBefore(self._readAt, self._start), dense,
            None if dense is None else self._backend.denseLength(
                self._handle), self._start, self._end)

    def _cutBack(self):
        """
        A write failed (the disk is full, say), or the upload is dropped
        whole: cut the file back to its length before the upload, as the
        disk realm does. It kept the bytes that fitted, a full disk's
        worth, and the disk stayed full. Not to where the upload started:
        a resume from below the file's end keeps the old bytes past those
        it wrote, which no client sent over (they were lost). Nor past
        where the file ends then, as the disk realm's
        L{ftpkit.shells.diskcuts} does: a file another program cut
        meanwhile was extended back to its old length with zeros nobody
        wrote (before session 56).

        A file object that buffers (C{file://}'s) still holds what the
        full disk refused, which it writes before it truncates: failing
        again, the truncate did not happen, the upload was told C{452}
        and the file kept a disk's worth of it. Then the file object is
        closed, its buffer dropped with it, and the file cut back through
        another one.
        """
        try:
            self._handle.truncate(min(_endOf(self._handle), self._size))
            return
        except (OSError, ValueError):
            # ValueError: closed by a cut back before.
            pass
        if self._backend.sharedFileObjects:
            return
        try:
            self._handle.close()
        except OSError:
            pass
        try:
            with self._fs.open(self._path, "r+b") as again:
                again.truncate(min(_endOf(again), self._size))
        except OSError:
            pass

    def drop(self):
        """
        Cut the file back to its length before the upload
        (L{_cutBack}), close, and let the file go; one this upload's open
        made is removed.
        """
        try:
            self._cutBack()
        finally:
            self._close(self._made, measure=True)

    def discard(self):
        """
        Close, keeping what was written, and let the file go; one this
        upload's open made is removed if none of the upload's bytes was
        written, and it holds none of anyone's (another program's).
        """
        self._close(self._made and self._end == self._start, True,
                    measure=True)

    def _close(self, remove, emptyOnly=False, measure=False):
        """
        Close and let the file go, once removed if C{remove}
        (L{ftpkit.shells.fsspecgeneric.Backend.removeMade}, while still
        held: no other upload writes it meanwhile).

        @param remove: whether to remove the file.
        @param emptyOnly: remove it only if it is empty.
        @param measure: tell what the upload left (L{left}).
        """
        try:
            gone = False
            if remove:
                try:
                    self._handle.flush()
                    if not emptyOnly or _endOf(self._handle) == 0:
                        gone = self._backend.removeMade(
                            self._fs, self._path, self._handle) or None
                except (OSError, ValueError):
                    # ValueError: closed by a cut back. The empty file
                    # stays, as it did before removals.
                    gone = None
            if measure:
                self.left = self._leftBehind(gone)
            self._handle.close()
        finally:
            self._release()

    def _leftBehind(self, gone):
        """
        @param gone: C{True} if the file was removed, C{False} if it
            stays, C{None} when not known.
        @return: L{left}, as the store holds it now.
        """
        if gone is not False:
            return None if gone is None else StorageChange(-self._size, -1)
        try:
            size = _endOf(self._handle)
        except (OSError, ValueError):
            return None
        return StorageChange(size - self._size, 0)

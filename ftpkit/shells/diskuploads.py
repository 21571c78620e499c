"""
Which file an upload of L{ftpkit.shells.filesystem.FilesystemShell}
writes to, opened (blocking functions, run in a disk thread or, where
L{ftpkit.shells.shortcalls} allows, at once): the target itself, its
partial upload continued, a file with no name or a temporary file (the
rule is in L{ftpkit.shells.uploads}); and the privilege bits that never
stay on what an upload writes.
"""

import os
import stat as statModule

from ftpkit.errors import (
    AlreadyExists,
    FileBusy,
    IsDirectory,
    PermissionDenied,
    RestPastEnd,
)
from ftpkit.shells import (
    linkfree,
    partials,
    shortcalls,
    uploadreservations,
    uploads,
)
from ftpkit.shells.appendnew import NewAppendWriter, openAppended
from ftpkit.shells.diskpaths import openRegular
from ftpkit.shells.diskplacing import bytesBefore, denseLength
from ftpkit.shells.diskwriter import FileWriter
from ftpkit.shells.partialowners import recordResumer
from ftpkit.shells.uploadlocks import holdInPlace, holdTarget

PRIVILEGE_BITS = statModule.S_ISUID | statModule.S_ISGID
"""Mode bits that make a program run as its file's owner or group. An
upload never leaves them on the file it writes: replacing a file, the new
one is the server's (root's, when it runs as root) and holds the user's
bytes; written in place, the owner's program holds them."""


def withoutPrivilege(mode):
    """
    @param mode: a file's permission bits.
    @return: them without L{PRIVILEGE_BITS}.
    """
    return statModule.S_IMODE(mode) & ~PRIVILEGE_BITS


def dropPrivilege(fd, result):
    """
    Clear the set-user-ID and set-group-ID bits of a file an upload writes
    in place, as the kernel does when a writer without C{CAP_FSETID}
    writes (a server running as root has it, so the kernel does not).

    @param fd: the file's descriptor.
    @param result: its C{os.stat_result}.
    """
    if result.st_mode & PRIVILEGE_BITS:
        try:
            os.fchmod(fd, withoutPrivilege(result.st_mode))
        except PermissionError:
            # Not the server's file: the kernel clears them at the first
            # write.
            pass


def openUpload(run, runShort, target, found, offset, append, atOnce=False,
               resumer=None, onDropped=None, directory=None,
               runOnDescriptors=None, makeRoom=None, onKept=None):
    """
    Open the file an upload writes (see
    L{ftpkit.shells.filesystem.FilesystemShell.openForWriting}).

    @param run: the shell's runner of blocking calls (its C{_run}).
    @param runShort: the shell's runner of short calls (its C{_runShort}).
    @param target: the resolved path, C{bytes}.
    @param found: what L{ftpkit.shells.diskpaths.Jail.walk} learnt of it.
    @param offset: where the upload starts (C{REST}).
    @param append: whether it is an C{APPE}.
    @param atOnce: it runs in the reactor thread
        (L{ftpkit.shells.shortcalls.ShortCalls.__call__}): it declines when
        it may remove a large stale partial upload, or read the target's
        directory (L{uploads.sweepPending}).
    @param resumer: who the upload is for: it continues only a partial
        upload that one may resume, and leaves one that one may resume
        (L{ftpkit.shells.partialowners}); or C{None}.
    @param onDropped: told of a stale partial upload removed
        (L{ftpkit.shells.partials.claimPartial}), and of the bytes a cut
        upload did not keep, its disk full
        (L{ftpkit.shells.fullkeeping.keptSize}); or C{None}.
    @param directory: a descriptor of the target's directory from
        L{ftpkit.shells.diskpaths.Jail.openParent} (C{found} then not
        C{None}), which this takes: the upload of a new name holds it
        (L{uploads.createAnonymous}), any other closes it; or C{None}.
    @param runOnDescriptors: the shell's runner of short calls on
        descriptors alone, for an open run at once
        (L{ftpkit.shells.shortcalls.ShortCalls.onDescriptors}): a file
        with no name gets it (L{FileWriter}); or C{None}.
    @param makeRoom: for the L{FileWriter}: makes room on a full file
        system (L{ftpkit.shells.diskroom.makeRoom}), or C{None}.
    @param onKept: for the L{FileWriter}: told of the bytes a cut upload
        kept (its user's cap, L{ftpkit.shells.diskcap}), or C{None}.
    @return: a L{FileWriter}; one replacing a file holds it meanwhile
        (L{holdTarget}).
    @raise FileBusy: for an upload into the target in place, or a resume
        of its partial upload, while another upload, in any process,
        writes the target in place, or replaces it (a C{STOR}, a resume
        of its partial upload): written in place from the offset the
        client checked against the old file, the target would hold the
        old file's start and the new file's rest; or for an upload in
        place whose file was moved as it was opened
        (L{ftpkit.shells.uploadlocks.holdInPlace}).
    @raise RestPastEnd: for an upload into the target in place from
        C{offset} (not an append) when the target is shorter, or missing:
        cut since its size was read, it would be left with a hole.
    """
    if offset or append:
        # A resume in place reads the file (_resumeInPlace): not at once.
        if atOnce and (not append or uploads.sweepPending()
                       or shortcalls.freesMuch(uploads.partialPath(target))):
            raise shortcalls.Declined()
        writer = _continuePartial(run, runShort, target, offset, append,
                                  resumer, onDropped, makeRoom, onKept)
        if writer is not None:
            return writer
        if not append:
            return _resumeInPlace(run, runShort, target, offset, makeRoom)
        fd, result, created = openAppended(openRegular, target)
        try:
            holdInPlace(fd, target)
            dropPrivilege(fd, result)
        except BaseException:
            os.close(fd)
            raise
        writer = NewAppendWriter if created else FileWriter
        return writer(run, fd, None, target, None, start=result.st_size,
                      inode=(result.st_dev, result.st_ino),
                      initialSize=result.st_size, makeRoom=makeRoom)
    if found is None:
        try:
            found = linkfree.statOf(target)
        except FileNotFoundError:
            found = False
    old = found or None
    if old is not None and directory is not None:
        os.close(directory)
    if old is not None and statModule.S_ISDIR(old.st_mode):
        raise IsDirectory()
    if old is not None and not _mayWrite(target):
        raise PermissionDenied()
    if old is None:
        held = uploads.createAnonymous(target, opened=directory)
        if held is not None:
            return FileWriter(run, held[0], None, target, 0,
                              runShort=runShort, anonymous=True,
                              directory=held[1], resumer=resumer,
                              targetWas=None, onDropped=onDropped,
                              runOnDescriptors=runOnDescriptors,
                              makeRoom=makeRoom, onKept=onKept)
    guard = _guard(target) if old is not None else None
    try:
        fd, temporary = uploads.createTemporary(target)
    except BaseException:
        _release(guard)
        raise
    recordResumer(fd, resumer)
    if old is not None:
        try:
            os.fchmod(fd, withoutPrivilege(old.st_mode))
        except OSError:
            pass
    return FileWriter(run, fd, temporary, target, 0, runShort=runShort,
                      resumer=resumer, targetWas=uploads.versionOf(old),
                      guard=guard, onDropped=onDropped, makeRoom=makeRoom,
                      onKept=onKept)


def _resumeInPlace(run, runShort, target, offset, makeRoom=None):
    """
    Open the target to write it in place from C{offset} (C{REST} then
    C{STOR} with no partial upload to continue; blocking), reading what
    lies before the offset for the check at its end
    (L{ftpkit.shells.diskplacing.checkResumed}) where the file may be
    read: one that may only be written is checked for holes alone.

    @return: a L{FileWriter}.
    @raise RestPastEnd: when the target is missing or shorter than
        C{offset}: cut since its size was read, it would be left with a
        hole (a resume creates no file).
    """
    try:
        try:
            fd, result = openRegular(target, os.O_RDWR)
            readable = True
        except PermissionError:
            fd, result = openRegular(target, os.O_WRONLY)
            readable = False
    except FileNotFoundError:
        raise RestPastEnd() from None
    try:
        if result.st_size < offset:
            raise RestPastEnd()
        holdInPlace(fd, target)
        dropPrivilege(fd, result)
        before = bytesBefore(
            lambda length, at: os.pread(fd, length, at),
            offset) if readable else None
        dense = denseLength(fd)
    except BaseException:
        os.close(fd)
        raise
    return FileWriter(run, fd, None, target, offset, start=offset,
                      runShort=runShort, inode=(result.st_dev, result.st_ino),
                      initialSize=result.st_size, before=before, dense=dense,
                      makeRoom=makeRoom)


def _guard(target):
    """
    Hold the file a new upload replaces (L{holdTarget}) while it runs,
    unless an upload writes it in place now: a C{STOR} replaces a file
    whatever else writes it.

    @param target: the target's resolved path, C{bytes}.
    @return: the descriptor holding it, or C{None}.
    """
    try:
        return holdTarget(target)
    except FileBusy:
        return None


def _release(guard):
    """
    @param guard: a descriptor from L{holdTarget}, or C{None}; closed.
    """
    if guard is not None:
        os.close(guard)


def _mayWrite(path):
    """
    Whether this process may write a file, as an C{open} for writing
    would find (its mode, an ACL, the immutable attribute): a file it may
    not write is not replaced by an upload either. The replacement is a
    rename, which needs only the directory's write permission, so a file
    made read-only (C{chmod 444}, C{SITE CHMOD 444}) was replaced all the
    same, where C{APPE}, a resume and other servers' C{STOR} are refused.

    @param path: the file's resolved path, C{bytes}.
    @return: whether it may be written.
    """
    if os.access in os.supports_effective_ids:
        return os.access(path, os.W_OK, effective_ids=True)
    return os.access(path, os.W_OK)


def openNew(run, runShort, target, resumer=None, onDropped=None,
            makeRoom=None, onKept=None):
    """
    Open the file an upload creates (see
    L{ftpkit.shells.filesystem.FilesystemShell.openForCreating}).

    @param run: as for L{openUpload}.
    @param runShort: as for L{openUpload}.
    @param target: the resolved path, C{bytes}.
    @param resumer: as for L{openUpload}.
    @param onDropped: told of the bytes a cut upload did not keep, its
        disk full (L{ftpkit.shells.fullkeeping.keptSize}), or C{None}.
    @param makeRoom: as for L{openUpload}.
    @param onKept: as for L{openUpload}.
    @return: a L{FileWriter}, which holds the target's name reserved
        (L{ftpkit.shells.uploadreservations}) until the upload ends.
    @raise AlreadyExists: when the target exists, or another upload that
        creates it runs.
    """
    if os.path.lexists(target):
        raise AlreadyExists()
    reservation = uploadreservations.reserve(target)
    try:
        held = uploads.createAnonymous(target)
        if held is not None:
            return FileWriter(run, held[0], None, target, 0,
                              runShort=runShort, exclusive=True,
                              anonymous=True, directory=held[1],
                              reservation=reservation, resumer=resumer,
                              targetWas=None, onDropped=onDropped,
                              makeRoom=makeRoom, onKept=onKept)
        fd, temporary = uploads.createTemporary(target)
    except BaseException:
        uploadreservations.release(reservation)
        raise
    recordResumer(fd, resumer)
    return FileWriter(run, fd, temporary, target, 0, runShort=runShort,
                      exclusive=True, reservation=reservation,
                      resumer=resumer, targetWas=None, onDropped=onDropped,
                      makeRoom=makeRoom, onKept=onKept)


def _refuseDirectory(target, resumer, onDropped=None):
    """
    Refuse a resume, or an append, of a name that is a directory, before
    it takes the partial upload: taken, it could never be put in place.

    @param target: the target's resolved path, C{bytes}.
    @param resumer: who resumes.
    @param onDropped: as for L{openUpload}.
    @raise IsDirectory: when C{target} is a directory; its message says
        that C{resumer}'s partial upload of it, if any, is kept.
    """
    try:
        found = os.lstat(target)
    except FileNotFoundError:
        return
    if not statModule.S_ISDIR(found.st_mode):
        return
    if uploads.resumableSize(target, resumer=resumer,
                             onDropped=onDropped) is None:
        raise IsDirectory()
    raise IsDirectory(partials.DIRECTORY_KEPT)


def _continuePartial(run, runShort, target, offset, append, resumer,
                     onDropped=None, makeRoom=None, onKept=None):
    """
    Continue the target's partial upload, if it has one that C{resumer}
    may resume (see L{ftpkit.shells.uploads}), from C{offset} or at its
    end.

    @return: a L{FileWriter} holding the target (L{holdTarget}), or
        C{None} when there is none.
    @raise FileBusy: while an upload writes the target in place, or
        another resume took the partial upload meanwhile, or writes it.
    @raise IsDirectory: when the target is a directory (the partial
        upload is kept: L{_refuseDirectory}).
    @raise RestPastEnd: when C{offset} is past its end (it is given
        back): the partial upload checked for the offset (C{SIZE},
        C{REST}) was replaced since by a shorter one, another session's
        cut upload, and writing there left a hole.
    """
    flags = os.O_WRONLY | (os.O_APPEND if append else 0)
    _refuseDirectory(target, resumer, onDropped)
    targetWas = uploads.targetVersion(target)
    # Held before the partial upload is taken: another resume that finds
    # it gone meanwhile then finds the target held, and does not write
    # it in place.
    guard = holdTarget(target)
    try:
        claimed = uploads.claimPartial(
            target, lambda path: openRegular(path, flags), resumer=resumer,
            onDropped=onDropped)
    except BaseException:
        _release(guard)
        raise
    if claimed is None:
        _release(guard)
        return None
    fd, result, temporary = claimed
    if not append and offset > result.st_size:
        try:
            uploads.giveBack(temporary, target)
        finally:
            os.close(fd)
            _release(guard)
        raise RestPastEnd()
    try:
        dropPrivilege(fd, result)
    except BaseException:
        os.close(fd)
        _release(guard)
        raise
    recordResumer(fd, resumer)
    return FileWriter(run, fd, temporary, target,
                      None if append else offset,
                      start=result.st_size if append else offset,
                      resumed=True, runShort=runShort, resumer=resumer,
                      initialSize=result.st_size, targetWas=targetWas,
                      guard=guard, onDropped=onDropped, makeRoom=makeRoom,
                      onKept=onKept)

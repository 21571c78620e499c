"""
Partial uploads (blocking functions, run in disk threads): what a cut
upload received, kept hidden as its target's partial upload
(L{keepPartial}) for L{PARTIAL_LIFETIME} seconds; its size, for C{SIZE}
(L{resumableSize}); taken by the upload that continues it
(L{claimPartial}), and given back when that resume cannot go on
(L{giveBack}). One older than its target or than its lifetime is stale,
and removed; a cut upload whose target changed since it began (another
upload of it completed first: L{targetVersion}) keeps nothing. Each
records who may resume it (L{ftpkit.shells.partialowners}): for anyone
else there is none. The rule
is in L{ftpkit.shells.uploads}.
"""

import os
import stat
import time

from ftpkit.errors import FileBusy
from ftpkit.fileinfo import StorageChange
from ftpkit.shells.keptregistry import EXPIRED, FILE_CHANGED
from ftpkit.shells.partialowners import mayResume, recordResumer, resumerOf
from ftpkit.shells.partialsweep import _lookedUpPartial
from ftpkit.shells.roompause import partialKept
from ftpkit.shells.uploadlocks import heldAlone, holdTemporary
from ftpkit.shells.uploadnames import (
    PARTIAL_LIFETIME,
    partialPath,
    resumingPath,
)
from ftpkit.shells.uploadremoval import putBack, removeQuietly, removeSeen

TAKE_GRACE = 3600
"""Seconds past L{PARTIAL_LIFETIME} a partial upload is still taken by
the upload that continues it (L{claimPartial}): a C{REST} checked against
it (L{resumableSize}) just before its lifetime ended continues it, and
does not write the target in place from that offset, mixing the two."""

TAKEN = "File busy: its partial upload was taken meanwhile; try again"
"""The reply to a resume that lost the partial upload it opened
(L{claimPartial}, and L{ftpkit.shells.keptuploads})."""

RESUMED = "File busy: another session resumes its upload; try again later"
"""The reply to a resume of a partial upload another resume writes now
(L{claimPartial}, and L{ftpkit.shells.keptuploads})."""


DIRECTORY_KEPT = ("Is a directory now; your partial upload of this name"
                  " is kept, to resume once the name is free again")
"""The reply to a resume of a partial upload whose target's name another
session gave a directory since (C{MKD}), on every realm that keeps cut
uploads (L{ftpkit.shells.diskuploads}, L{ftpkit.shells.keptuploads})."""


def staleReason(result, target, now, lifetime, recorded=None):
    """
    The one place the disk realm finds a partial upload stale.

    @param result: the C{stat} of C{target}'s partial upload.
    @param target: the target's path, C{bytes}.
    @param now: the time, seconds since the epoch.
    @param lifetime: the age in seconds past which a partial upload is
        not resumed.
    @param recorded: what the partial upload records of the target
        (L{recordedTarget}), or C{None} where it records nothing.
    @return: why it is stale, C{None} where it is not: L{EXPIRED} when
        it is older than C{lifetime}, L{FILE_CHANGED} when the target file
        changed since its upload began: its version is not the one the
        partial upload records (L{recordTarget}), or, where it records
        none, the file is not older than the partial upload. The
        target's age is that of its last change, inode change
        (C{st_ctime}) included: an upload followed by C{MFMT} or C{SITE
        UTIME} (rclone, lftp's C{mirror -R}, clients keeping the local
        file's time) set its modification time back before the partial
        upload's, which then looked newer: the resumer's C{SIZE} answered
        the partial upload's size for the complete file, and a resume
        from it replaced the file. Ages alone did not tell a file that an
        upload completed in the same tick of the file system's clock as
        the cut upload was kept (a client cutting an upload and sending
        the whole file again at once, on a fast network) from an older
        one: the partial upload's time is this machine's clock, finer
        than the file system's, and was ahead; its user's C{SIZE}
        answered it for the newer file. A directory made at the target's
        name since (another user's C{MKD}) does not make it stale: it was
        removed at the owner's next C{SIZE} or resume, which the
        directory refused, and the bytes kept were lost.
    """
    if now - result.st_mtime > lifetime:
        return EXPIRED
    try:
        found = os.stat(target)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(found.st_mode):
        return None
    if isOutdated(recorded, targetVersion(target), _changed(found),
                  result.st_mtime):
        return FILE_CHANGED
    return None


def _dropStale(path, result, reason, onDropped):
    """
    Remove a partial upload L{staleReason} found stale, and tell
    C{onDropped} once this call removed it (two processes finding it so
    tell once).

    @param path: its path, C{bytes}.
    @param result: its C{stat} when it was found stale.
    @param reason: what L{staleReason} gave.
    @param onDropped: called (in this thread) with its path, who it was
        kept for (L{resumerOf}), its bytes and C{reason}; or C{None}.
    @return: whether this call removed it.
    """
    resumer = resumerOf(path) if onDropped is not None else None
    if not removeSeen(path, result):
        return False
    if onDropped is not None:
        onDropped(path, resumer, result.st_size, reason)
    return True


def isOutdated(recorded, current, changed, partialTime):
    """
    The rule of every realm that keeps cut uploads (the disk realm here,
    the others through L{ftpkit.shells.keptuploads}): a partial upload no
    longer matches its target, and is stale, once the target is not the
    file its upload began on. Its resumer's C{SIZE} then answers the
    file's size, as everyone's does, and the partial upload is removed.

    @param recorded: what the partial upload records of its target when
        its upload began: its version, L{NOTHING_THERE} (or any version
        no file has) where no file was there, or C{None} where it
        records nothing.
    @param current: the version of the regular file at the target now
        (not compared but with C{recorded}, so of the same kind), or
        C{None} where there is none: a partial upload whose target is
        gone, or is a directory, is not stale.
    @param changed: when that file last changed, as the store tells, or
        C{None} where it does not.
    @param partialTime: when the partial upload was kept (or last
        written), or C{None} where not known.
    @return: whether the target changed since: its version is not the
        one recorded, or, where none is, it changed no sooner than the
        partial upload was kept (where both times are known).
    """
    if current is None:
        return False
    if recorded is not None:
        return current != recorded
    return (changed is not None and partialTime is not None
            and changed >= partialTime)


TARGET_ATTRIBUTE = b"user.ftpkit.target"
"""The extended attribute recording the version of a partial upload's
target when its upload began (L{recordTarget})."""


def recordTarget(fd, version):
    """
    Record on a partial upload the version of its target when its upload
    began, which tells whether the target changed since (L{staleReason}).
    On a file system without user extended attributes nothing is
    recorded, and its times tell.

    @param fd: the partial upload's descriptor.
    @param version: the target's L{targetVersion}, or C{None} where no
        file was there.
    """
    text = b"-" if version is None else b"%d:%d:%d:%d" % version
    try:
        os.setxattr(fd, TARGET_ATTRIBUTE, text)
    except OSError:
        pass


def recordedTarget(file):
    """
    @param file: a partial upload's descriptor, or its path (C{bytes}; a
        link is not followed).
    @return: what it records of its target (L{recordTarget}): its
        version, L{NOTHING_THERE} where there was no file, or C{None}
        where nothing is recorded.
    """
    try:
        if isinstance(file, int):
            text = os.getxattr(file, TARGET_ATTRIBUTE)
        else:
            text = os.getxattr(file, TARGET_ATTRIBUTE, follow_symlinks=False)
    except OSError:
        return None
    if text == b"-":
        return NOTHING_THERE
    try:
        return tuple(int(part) for part in text.split(b":"))
    except ValueError:
        return None


NOTHING_THERE = ()
"""What L{recordedTarget} gives where no file was at the target: a
version no file has."""


def _changed(result):
    """
    @param result: a target's C{stat}.
    @return: when it last changed, its inode (C{st_ctime}, which C{MFMT}
        cannot set back) included.
    """
    return max(result.st_mtime, result.st_ctime)


def resumableSize(target, now=None, resumer=None, onDropped=None):
    """
    @param target: the target's path, C{bytes}.
    @param now: the time, seconds since the epoch (the clock when C{None}).
    @param resumer: who asks (L{ftpkit.shells.partialowners.mayResume}).
    @param onDropped: told of a stale one removed (L{_dropStale}).
    @return: the size of its partial upload, or of the one a resume
        writes now (L{resumingPath}: a resume from it is told C{450} until
        that one ends, as on the other realms); C{None} when there is none
        to resume, or it is another's; one that is stale (L{staleReason})
        is removed (L{removeSeen}).
    """
    now = time.time() if now is None else now
    partial = _lookedUpPartial(target, now, onDropped)
    try:
        result = os.lstat(partial)
    except FileNotFoundError:
        return _resumingSize(target, resumer)
    reason = staleReason(result, target, now, PARTIAL_LIFETIME,
                         recordedTarget(partial))
    if reason is not None:
        _dropStale(partial, result, reason, onDropped)
        return None
    if not mayResume(resumerOf(partial), resumer):
        return None
    return result.st_size


def _resumingSize(target, resumer):
    """
    @param target: the target's path, C{bytes}.
    @param resumer: who asks.
    @return: the size of C{target}'s partial upload a resume took
        (L{resumingPath}), when C{resumer} may resume it; else C{None}.
    """
    resuming = resumingPath(target)
    try:
        result = os.lstat(resuming)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(result.st_mode) or not mayResume(
            resumerOf(resuming), resumer):
        return None
    return result.st_size


def claimPartial(target, opener, now=None, resumer=None, onDropped=None):
    """
    Take C{target}'s partial upload to continue it: it is opened and held
    (L{holdTemporary}), then renamed to its L{resumingPath}, so that two
    sessions cannot both continue it, and a second resume, in any
    process, finds it taken (L{FileBusy}, C{450}) rather than no partial
    upload at all (C{554} after a C{REST} past the end of no file: the
    client started over). One left there by a resume that crashed is
    taken over. Held before it is renamed: renamed
    first, it was for a moment a temporary file nobody held, which a sweep
    starting in another process serving the root
    (L{ftpkit.shells.partialsweep.sweep}) took.

    @param target: the target's path, C{bytes}.
    @param opener: opens a path for the upload (blocking), returning
        C{(fd, stat_result)}.
    @param now: the time, seconds since the epoch (the clock when C{None}).
    @param resumer: who resumes (L{ftpkit.shells.partialowners.mayResume}).
    @param onDropped: told of a stale one removed (L{_dropStale}).
    @return: C{(fd, stat_result, temporary path)}: the file open, held
        and renamed; or C{None} when there is none to resume, or it is
        another's (left as it is). One past its lifetime by no more than
        L{TAKE_GRACE} is taken all the same.
    @raise FileBusy: when another command took it meanwhile (L{_take}),
        or another resume writes it.
    """
    now = time.time() if now is None else now
    partial = _lookedUpPartial(target, now, onDropped)
    try:
        fd, result = opener(partial)
    except FileNotFoundError:
        return _takeOver(target, opener, now, resumer, onDropped)
    if not mayResume(resumerOf(fd), resumer):
        os.close(fd)
        return None
    try:
        temporary = _take(fd, result, target, partial, now, onDropped)
    except BaseException:
        os.close(fd)
        raise
    if temporary is None:
        os.close(fd)
        return None
    return fd, result, temporary


def _take(fd, result, target, partial, now, onDropped=None):
    """
    The part of L{claimPartial} once the partial upload is open.

    @param fd: its descriptor.
    @param result: its C{fstat}.
    @return: the temporary path it was renamed to, or C{None} when it is
        stale (and removed).
    @raise FileBusy: when another command took it since the open (a
        resume holds it, C{RMD} or a sweep took it away, another cut
        upload replaced it): the resume would write the target in place
        from the offset checked against the partial upload, the target's
        bytes before it and the new ones after.
    """
    reason = staleReason(result, target, now, PARTIAL_LIFETIME + TAKE_GRACE,
                         recordedTarget(fd))
    if reason is not None:
        _dropStale(partial, result, reason, onDropped)
        return None
    if not holdTemporary(fd):
        raise FileBusy(TAKEN)
    temporary = resumingPath(target)
    with heldAlone(temporary) as held:
        if not held and os.path.lexists(temporary):
            # Another resume writes it: renamed over, its end would put
            # this one in place.
            raise FileBusy(RESUMED)
    try:
        os.rename(partial, temporary)
        renamed = os.lstat(temporary)
    except FileNotFoundError:
        raise FileBusy(TAKEN) from None
    if (renamed.st_ino, renamed.st_dev) != (result.st_ino, result.st_dev):
        putBack(temporary, partial)
        raise FileBusy(TAKEN)
    return temporary


def _takeOver(target, opener, now, resumer, onDropped=None):
    """
    The part of L{claimPartial} where C{target} has no partial upload:
    take the one under its L{resumingPath}, unless a resume writes it.

    @return: as L{claimPartial}.
    @raise FileBusy: while a resume writes it.
    """
    resuming = resumingPath(target)
    try:
        fd, result = opener(resuming)
    except FileNotFoundError:
        return None
    try:
        if not mayResume(resumerOf(fd), resumer):
            os.close(fd)
            return None
        if not holdTemporary(fd):
            raise FileBusy(RESUMED)
        try:
            named = os.lstat(resuming)
        except FileNotFoundError:
            raise FileBusy(TAKEN) from None
        if (named.st_ino, named.st_dev) != (result.st_ino, result.st_dev):
            raise FileBusy(TAKEN)
        reason = staleReason(result, target, now,
                             PARTIAL_LIFETIME + TAKE_GRACE,
                             recordedTarget(fd))
        if reason is not None:
            _dropStale(resuming, result, reason, onDropped)
            os.close(fd)
            return None
    except BaseException:
        os.close(fd)
        raise
    return fd, result, resuming


def giveBack(temporary, target):
    """
    Give a partial upload L{claimPartial} took its name back, unless
    another cut upload was kept under it since (blocking).

    @param temporary: where L{claimPartial} put it.
    @param target: the target's path, C{bytes}.
    """
    putBack(temporary, partialPath(target))


UNKNOWN = object()
"""What L{keepPartial} is told of a target whose version at the upload's
start was not looked at: it keeps the partial upload whatever the target
became."""


def targetVersion(target, directory=None):
    """
    What tells one file at an upload's target from another (a file that
    replaced it, or was written since): its identity, modification time
    and size.

    @param target: the target's path, C{bytes}.
    @param directory: a descriptor of the directory C{target} is relative
        to, or C{None}.
    @return: a hashable version, or C{None} when there is no file there.
    """
    try:
        result = os.lstat(target, dir_fd=directory)
    except FileNotFoundError:
        return None
    return versionOf(result)


def versionOf(result):
    """
    @param result: a target's C{lstat}, or C{None} when it is absent.
    @return: its version (L{targetVersion}).
    """
    if result is None:
        return None
    return (result.st_dev, result.st_ino, result.st_mtime_ns, result.st_size)


def keepPartial(temporary, target, size, directory=None, fd=None,
                resumer=None, targetWas=UNKNOWN, onDropped=None):
    """
    An upload was cut: keep what it received as C{target}'s partial
    upload (replacing an older one, whoever left it: one partial upload a
    target), or remove the temporary file when it received nothing and
    began on no file, or the target is not the one it began on
    (C{targetWas}): another upload of the target, begun after it (a
    client that cut its own upload to start it again on another
    connection, as lftp does), completed before the cut was seen, and
    the partial upload kept then was newer than the target, so that its
    resumer's C{SIZE} answered the cut one's size. Its modification time
    is set from this machine's clock, which measures its age
    (L{PARTIAL_LIFETIME}): a file server's (NFS) stamps its writes with
    its own, and one behind by a day made every cut upload look expired
    at once. An upload that replaced a file and received nothing keeps
    an empty partial upload: its resumer's C{SIZE} then answers 0, not
    the old file's size, from which lftp and curl's C{-C -} sent the new
    file's rest after the old file's start. One holding bytes ends the
    pause of room-making on its file system
    (L{ftpkit.shells.roompause.partialKept}).

    @param temporary: the temporary file's path.
    @param target: the target's path.
    @param size: the bytes the temporary file holds.
    @param directory: a descriptor of the directory both paths are
        relative to, or C{None}.
    @param fd: the temporary file's descriptor, still open (so still
        held: a sweep in another process serving the root leaves it
        alone until it has its partial name), or C{None}.
    @param resumer: who may resume it, recorded through C{fd}
        (L{ftpkit.shells.partialowners.recordResumer}), or C{None}.
    @param targetWas: the target's L{targetVersion} when the upload began,
        or L{UNKNOWN}.
    @param onDropped: for a resume's temporary file, a partial upload its
        user could resume until the target changed: told (as for
        L{_dropStale}, L{FILE_CHANGED}) once it is removed for that
        change; or C{None} (before session 33 that drop was quiet).
    @return: how what the directory holds changed, the temporary file
        left out (a L{StorageChange}): the partial upload kept, less the
        one it replaced.
    """
    partial = partialPath(target)
    replacing = targetWas is not UNKNOWN and targetWas is not None
    changed = (targetWas is not UNKNOWN
               and targetVersion(target, directory) != targetWas)
    if (size > 0 or replacing) and not changed:
        if fd is not None:
            recordResumer(fd, resumer)
            if targetWas is not UNKNOWN:
                recordTarget(fd, targetWas)
        now = time.time()
        try:
            os.utime(temporary, (now, now), dir_fd=directory,
                     follow_symlinks=False)
        except OSError:
            # A file system that keeps its own times: aged by them.
            pass
        replaced = _replacedSize(partial, directory)
        os.replace(temporary, partial, src_dir_fd=directory,
                   dst_dir_fd=directory)
        if size > 0:
            partialKept(os.fstat(fd).st_dev if fd is not None else os.lstat(
                partial, dir_fd=directory).st_dev)
        if replaced is None:
            return StorageChange(size, 1)
        return StorageChange(size - replaced, 0)
    removeQuietly(temporary, directory)
    if changed and onDropped is not None:
        onDropped(temporary, resumer, size, FILE_CHANGED)
    return StorageChange(0, 0)


def _replacedSize(partial, directory):
    """
    @param partial: a partial upload's path.
    @param directory: as for L{keepPartial}.
    @return: the bytes of the partial upload there (0 for anything but
        a regular file), or C{None} when there is none.
    """
    try:
        result = os.lstat(partial, dir_fd=directory)
    except FileNotFoundError:
        return None
    return result.st_size if stat.S_ISREG(result.st_mode) else 0


def targetTime(target):
    """
    @param target: an upload's target, C{bytes}.
    @return: when it last changed (L{_changed}), or C{None} where nothing
        is.
    """
    try:
        return _changed(os.stat(target))
    except FileNotFoundError:
        return None


def dropPartial(target, targetWas, resumer=None, now=None, onDropped=None):
    """
    C{DELE} of C{target} by C{resumer} (once the target is removed, or
    found missing): remove the partial upload of it that C{resumer} sees
    (L{ftpkit.shells.partialowners.mayResume}), or one that was stale
    (older than the target was, or than its lifetime), which with the
    target gone would answer C{SIZE}. Another user's partial upload
    stays.

    @param target: the target's path, C{bytes}.
    @param targetWas: the target's L{targetTime} before it was removed.
    @param resumer: who removes the target, or C{None}.
    @param now: the time, seconds since the epoch (the clock when C{None}).
    @param onDropped: told of a stale one removed that was kept for
        another user (L{_dropStale}: dropped, not removed by its user's
        C{DELE}), or C{None}.
    @return: the bytes of the partial upload removed, or C{None} when none
        was.
    """
    now = time.time() if now is None else now
    partial = _lookedUpPartial(target, now, onDropped)
    try:
        result = os.lstat(partial)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(result.st_mode):
        return None
    expired = now - result.st_mtime > PARTIAL_LIFETIME
    stale = expired or (targetWas is not None and targetWas >= result.st_mtime)
    if mayResume(resumerOf(partial), resumer):
        return result.st_size if removeSeen(partial, result) else None
    if not stale:
        return None
    if _dropStale(partial, result, EXPIRED if expired else FILE_CHANGED,
                  onDropped):
        return result.st_size
    return None

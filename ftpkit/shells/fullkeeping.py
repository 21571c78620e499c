"""
Whether the disk realm keeps what a cut upload received as its partial
upload (L{ftpkit.shells.diskwriter.FileWriter}): not on a full disk.

A C{STOR} of 2 MB onto a 1 MB file system got C{452}, and the 745 KB it
wrote were kept, hidden, for its resumer's 24 hours: the disk stayed
full, and every later upload, by anyone, got C{452} until the partial
upload expired (before session 53). A resume could not go on there
anyway. So an upload whose write found the disk full, or that is cut
when its file system has less than L{FULL_BELOW} bytes left, keeps no
bytes: its temporary file is emptied before it is kept, which leaves
nothing for a new file, and an empty partial upload for one that
replaced a file (its resumer's C{SIZE} answers 0, so that lftp's retry
of the C{452} starts over rather than writing the new file's rest after
the old file's head: L{ftpkit.shells.partials.keepPartial}).
"""

import os

from ftpkit.errors import InsufficientStorage
from ftpkit.shells.keptregistry import DISK_FULL

FULL_BELOW = 64 << 10
"""A file system with fewer bytes left than this is full: less than one
read from a data connection, which the next upload's first write would
not find room for."""


def keepsReceived(error, room):
    """
    The rule (a pure function).

    @param error: the error of the upload's first failed write, or
        C{None} (none failed, or its bytes went through a descriptor, where
        a failed write is not told to the file).
    @param room: the bytes its file system still has (L{roomLeft}), or
        C{None} where not known.
    @return: whether the bytes the upload received are kept for a resume:
        not once a write found the disk full (L{InsufficientStorage}), nor
        where less than L{FULL_BELOW} bytes are left.
    """
    if isinstance(error, InsufficientStorage):
        return False
    return room is None or room >= FULL_BELOW


def roomLeft(fd):
    """
    @param fd: a descriptor of a file on the file system (blocking).
    @return: the bytes an unprivileged user may still write there
        (C{fstatvfs}'s C{f_bavail} blocks, as C{AVBL} counts:
        L{ftpkit.shells.diskspace.spaceLeft}), or C{None} where the file
        system does not tell.
    """
    try:
        result = os.fstatvfs(fd)
    except OSError:
        return None
    return result.f_bavail * result.f_frsize


def keptSize(fd, size, error, onDropped=None, partial=None, resumer=None):
    """
    Empty a cut upload's file where its bytes are not kept
    (L{keepsReceived}), blocking; the bytes lost are told as a dropped
    partial upload (one C{partial-dropped} line, counted in
    L{ftpkit.ops.dropmetrics}, reason L{DISK_FULL}): the server discards
    a user's bytes of its own accord.

    @param fd: the upload's descriptor, still open.
    @param size: the bytes its file holds.
    @param error: as for L{keepsReceived}.
    @param onDropped: called (in this thread) with C{partial},
        C{resumer}, C{size} and L{DISK_FULL} once bytes were emptied, or
        C{None} (as L{ftpkit.shells.partials.keepPartial}'s).
    @param partial: the path of the partial upload it would have kept.
    @param resumer: who could have resumed it, or C{None}.
    @return: the bytes it holds now: C{size}, or 0 once emptied.
    """
    if keepsReceived(error, roomLeft(fd)):
        return size
    os.ftruncate(fd, 0)
    if size and onDropped is not None:
        onDropped(partial, resumer, size, DISK_FULL)
    return 0

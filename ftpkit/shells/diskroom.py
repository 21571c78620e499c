"""
Room made on a full disk (blocking functions, run in disk threads): a
write of a disk realm's upload that meets C{ENOSPC} drops the oldest
partial uploads kept on its file system (L{makeRoom}), then tries once
more (L{ftpkit.shells.diskqueue.writeAll},
L{ftpkit.data.movers._splicebatch}); only a write that fails again is
C{452}.

Before session 54 a cut upload kept a file system that filled after it
full: a cut 900 KB upload on a 1 MiB disk made every later upload, by
anyone, C{452} for its resumer's 24 hours, hidden from every listing.

  - What: only the server's own hidden partial uploads
    (C{.ftpkit-partial.*} regular files, L{ftpkit.shells.uploadnames}) on
    the upload's file system; never a file of a user, a running upload's
    file, nor a partial upload a resume writes now (its name is a
    temporary one then, L{ftpkit.shells.uploadnames.resumingPath}).
  - Order: the oldest first, by their modification time, which is when
    they were kept, by this machine's clock
    (L{ftpkit.shells.partials.keepPartial}); whoever they are kept for.
  - Limit: until the file system has L{roomWanted} bytes free (1/64 of
    its size, at least L{MIN_ROOM_MADE}: enough that the upload's next
    writes do not each come back here), or none is left.
  - Where: under the roots the shell names (its own root and its
    realm's, which holds the other users' homes), found by a walk
    (L{ftpkit.shells.partialsweep}'s), since any process serving the
    tree may have kept one (a worker of C{--workers}, the process before
    a restart). One walk at a time in a process; a walk that dropped
    none is not made again on that file system for L{FRUITLESS_PAUSE}
    seconds, so that uploads onto a disk full of users' files do not
    each walk the tree.

Each drop is one C{partial-dropped} log line, reason
L{ftpkit.shells.keptregistry.DISK_FULL}, counted as C{disk-full}
(L{ftpkit.ops.dropmetrics}).
"""

import os
import stat
import threading
import time

from ftpkit.shells.fullkeeping import roomLeft
from ftpkit.shells.keptregistry import DISK_FULL
from ftpkit.shells.partialowners import resumerOf
from ftpkit.shells.partialsweep import _walk
from ftpkit.shells.uploadnames import PARTIAL_PREFIX
from ftpkit.shells.uploadremoval import removeSeen

MIN_ROOM_MADE = 256 << 10
"""The fewest bytes L{makeRoom} makes free (on a small file system): four
of the largest writes an upload makes at once."""

ROOM_SHARE = 64
"""L{makeRoom} makes free a 1/L{ROOM_SHARE} of the file system's size
(16 GiB of a 1 TiB disk) where that is more than L{MIN_ROOM_MADE}: a
large upload onto a disk full of small partial uploads would walk the
tree again at every few writes otherwise."""

FRUITLESS_PAUSE = 60.0
"""Seconds after a walk that found no partial upload to drop on a file
system during which L{makeRoom} does not walk again for it."""

_walking = threading.Lock()
"""Held by the one L{makeRoom} that walks at a time in a process."""

_fruitless = {}
"""For each file system (C{st_dev}) whose last walk dropped nothing: when
(L{makeRoom}'s C{clock})."""


def roomWanted(result):
    """
    @param result: a file system's C{statvfs}.
    @return: the bytes L{makeRoom} wants free on it: 1/L{ROOM_SHARE} of
        its size, at least L{MIN_ROOM_MADE}.
    """
    return max(MIN_ROOM_MADE, result.f_blocks * result.f_frsize // ROOM_SHARE)


def outermost(roots):
    """
    @param roots: directories' real paths, C{bytes}.
    @return: them in order, without one given before nor one inside
        another (the walk of that one finds its partial uploads).
    """
    chosen = []
    for root in roots:
        if root in chosen or any(
                other != root and root.startswith(other.rstrip(b"/") + b"/")
                for other in roots):
            continue
        chosen.append(root)
    return chosen


def oldestFirst(found):
    """
    @param found: C{(path, lstat, root)} of partial uploads.
    @return: them as a list, the oldest kept first (by modification time,
        then path).
    """
    return sorted(found, key=lambda each: (each[1].st_mtime, each[0]))


def partialsOn(roots, device):
    """
    The partial uploads under C{roots} on one file system (blocking).

    @param roots: directories, C{bytes}.
    @param device: the file system's C{st_dev}.
    @return: an iterator of C{(path, lstat, root)}: each regular file
        named as a partial upload on C{device}, and the root it is under.
    """
    for root in roots:
        for directory, names in _walk(
                root, lambda name: name.startswith(PARTIAL_PREFIX)):
            for name in names:
                path = os.path.join(directory, name)
                try:
                    result = os.lstat(path)
                except OSError:
                    continue
                if stat.S_ISREG(result.st_mode) and result.st_dev == device:
                    yield path, result, root


def makeRoom(roots, fd, onDropped=None, clock=time.monotonic):
    """
    Drop the oldest partial uploads on the file system of C{fd} until it
    has L{roomWanted} bytes free (blocking; see the module's rules). The
    caller then tries its write once more, whatever this dropped: another
    upload's drops may have made room meanwhile.

    @param roots: the directories to look under, C{bytes}
        (L{outermost}).
    @param fd: the upload's descriptor, on the full file system.
    @param onDropped: called (in this thread) with the root, the path,
        the resumer, the bytes and L{DISK_FULL} of each partial upload
        dropped; or C{None}.
    @param clock: gives the time in seconds, for L{FRUITLESS_PAUSE}.
    @return: how many it dropped.
    """
    with _walking:
        try:
            device = os.fstat(fd).st_dev
            wanted = roomWanted(os.fstatvfs(fd))
        except OSError:
            return 0
        if _enough(fd, wanted):
            return 0
        since = _fruitless.get(device)
        if since is not None and clock() - since < FRUITLESS_PAUSE:
            return 0
        dropped = 0
        for path, seen, root in oldestFirst(partialsOn(roots, device)):
            resumer = resumerOf(path)
            if not removeSeen(path, seen):
                continue
            dropped += 1
            if onDropped is not None:
                onDropped(root, path, resumer, seen.st_size, DISK_FULL)
            if _enough(fd, wanted):
                break
        if dropped:
            _fruitless.pop(device, None)
        else:
            _fruitless[device] = clock()
        return dropped


def _enough(fd, wanted):
    """
    @return: whether the file system of C{fd} has C{wanted} bytes free
        (C{False} where it does not tell).
    """
    room = roomLeft(fd)
    return room is not None and room >= wanted

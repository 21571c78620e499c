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
    a restart). It does not enter a directory of another file system (a
    mount under a home: before session 55 the walk went through it).
  - One walk in flight for a file system: an upload that finds the disk
    full while one runs waits for it, then tries its write once more,
    its thread not counted among the disk threads' busy ones meanwhile
    (L{ftpkit.shells.diskthreads.waitingElsewhere}): uploads that met
    C{ENOSPC} together took every disk thread, one walking and the
    others waiting their turn to walk, and another session's C{SIZE}
    waited for a thread until the pool took them for stuck
    (C{docs/benchmark-investigations.rst}, bench-roomwalk-55). A walk
    that dropped none pauses
    room-making there (L{ftpkit.shells.roompause}) until a partial
    upload is kept there, for L{FRUITLESS_PAUSE} seconds at most, so
    that uploads onto a disk full of users' files do not each walk the
    tree.

Each drop is one C{partial-dropped} log line, reason
L{ftpkit.shells.keptregistry.DISK_FULL}, counted as C{disk-full}
(L{ftpkit.ops.dropmetrics}).
"""

import os
import stat
import threading
import time

from ftpkit.shells.diskthreads import waitingElsewhere
from ftpkit.shells.fullkeeping import roomLeft
from ftpkit.shells.keptregistry import DISK_FULL
from ftpkit.shells.partialowners import resumerOf
from ftpkit.shells.partialsweep import _walk
from ftpkit.shells.roompause import FRUITLESS_PAUSE, pauses
from ftpkit.shells.uploadnames import PARTIAL_PREFIX
from ftpkit.shells.uploadremoval import removeSeen

__all__ = ["FRUITLESS_PAUSE", "MIN_ROOM_MADE", "ROOM_SHARE", "makeRoom",
           "oldestFirst", "outermost", "partialsOn", "roomWanted"]

MIN_ROOM_MADE = 256 << 10
"""The fewest bytes L{makeRoom} makes free (on a small file system): four
of the largest writes an upload makes at once."""

ROOM_SHARE = 64
"""L{makeRoom} makes free a 1/L{ROOM_SHARE} of the file system's size
(16 GiB of a 1 TiB disk) where that is more than L{MIN_ROOM_MADE}: a
large upload onto a disk full of small partial uploads would walk the
tree again at every few writes otherwise."""

_lock = threading.Lock()
"""Held while L{_walks} is looked at or changed."""

_walks = {}
"""For each file system (C{st_dev}) a walk of L{makeRoom} runs for: a
C{threading.Event}, set once it ended."""


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
        named as a partial upload on C{device}, and the root it is under,
        in directories on C{device} (and the roots).
    """
    for root in roots:
        for directory, names in _walk(
                root, lambda name: name.startswith(PARTIAL_PREFIX), device):
            for name in names:
                path = os.path.join(directory, name)
                try:
                    result = os.lstat(path)
                except OSError:
                    continue
                if stat.S_ISREG(result.st_mode) and result.st_dev == device:
                    yield path, result, root


def makeRoom(roots, fd, onDropped=None, clock=time.time):
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
    @return: how many it dropped (none where it waited for another
        upload's walk).
    """
    try:
        device = os.fstat(fd).st_dev
        wanted = roomWanted(os.fstatvfs(fd))
    except OSError:
        return 0
    if _enough(fd, wanted) or pauses().paused(device, clock()):
        return 0
    with _lock:
        running = _walks.get(device)
        if running is None:
            _walks[device] = threading.Event()
    if running is not None:
        with waitingElsewhere():
            running.wait()
        return 0
    try:
        return _dropOldest(roots, fd, device, wanted, onDropped, clock)
    finally:
        with _lock:
            _walks.pop(device).set()


def _dropOldest(roots, fd, device, wanted, onDropped, clock):
    """
    The walk of L{makeRoom}, and its drops.

    @param device: the C{st_dev} of C{fd}.
    @param wanted: the bytes to have free (L{roomWanted}).
    @return: how many it dropped.
    """
    walking = pauses().walking(device)
    dropped = 0
    try:
        for path, seen, root in oldestFirst(partialsOn(roots, device)):
            resumer = resumerOf(path)
            if not removeSeen(path, seen):
                continue
            dropped += 1
            if onDropped is not None:
                onDropped(root, path, resumer, seen.st_size, DISK_FULL)
            if _enough(fd, wanted):
                break
    finally:
        pauses().walked(device, walking, dropped, clock())
    return dropped


def _enough(fd, wanted):
    """
    @return: whether the file system of C{fd} has C{wanted} bytes free
        (C{False} where it does not tell).
    """
    room = roomLeft(fd)
    return room is not None and room >= wanted

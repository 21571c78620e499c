"""
The sweep of what crashed processes left (blocking functions, run in a
thread while the process serves): L{sweep} walks the root, making the
temporary files of crashed uploads their targets' partial uploads, or
removing them, and expired partial uploads. While it runs beside this
process's sessions (L{beginSweep} to L{endSweep}), a resume first sweeps
the crashed uploads of its own target (L{_lookedUpPartial}), which the
sweep may not have reached yet.
"""

import os
import time

from ftpkit.shells.keptregistry import EXPIRED, REPLACED
from ftpkit.shells.mountrepeats import mayRepeat, readMountRoots
from ftpkit.shells.partialowners import resumerOf
from ftpkit.shells.uploadlocks import heldAlone
from ftpkit.shells.uploadnames import (
    _TEMPORARY_ATTEMPTS,
    PARTIAL_LIFETIME,
    PARTIAL_PREFIX,
    TEMPORARY_PREFIX,
    TEMPORARY_SUFFIX,
    isHidden,
    isResuming,
    partialPath,
    targetLabel,
    targetOfTemporary,
)
from ftpkit.shells.uploadremoval import removeQuietly, removeSeen
from ftpkit.shells.uploadreservations import isReservation, removeStale


def _lookedUpPartial(target, now, onDropped=None):
    """
    @param onDropped: told of what it drops, as for L{sweep}.
    @return: the path of C{target}'s partial upload (L{partialPath}),
        once a crashed upload of it the sweep running beside this process
        has not reached yet was made one (L{beginSweep}).
    """
    unswept = _unswept
    if unswept is not None:
        _sweepTarget(target, now, *unswept, onDropped=onDropped)
    return partialPath(target)


def sweep(root, now=None, tag=None, spared=(), onDropped=None):
    """
    Deal with what crashed processes left under C{root}: a temporary
    upload file becomes its target's partial upload (unless a newer one
    is there), or is removed when it does not name its target or has
    expired; expired partial uploads are removed. A temporary file an
    upload still writes, in another process serving the same root, is
    left to it (L{ftpkit.shells.uploadlocks}). Call it while no upload
    runs under C{root}, or with C{tag}, or sparing the tags of the
    processes that upload.

    @param root: the directory, C{bytes} or C{str}.
    @param now: the time, in seconds [default: now].
    @param tag: only the temporary files of the process whose
        L{ftpkit.shells.uploadnames.temporaryTag} this is (a worker of
        C{--workers} that died while the others still upload), the
        reservations of names nobody holds and the partial uploads taken
        by resumes nobody holds
        (L{ftpkit.shells.uploadnames.resumingPath}: they name no
        process, that worker's among them), nothing else [default: every
        one].
        A dead worker's resume was left taken until the server
        restarted: its user's C{SIZE} answered it still, after a
        C{DELE} of its target and after a new upload of it completed.
    @param spared: the tags whose temporary files are left alone: those
        of the processes that run uploads meanwhile (a file is made, then
        held: between the two, only its tag tells it from a crashed
        upload's).
    @param onDropped: called (in this thread) with the path, the
        resumer (L{resumerOf}), the bytes and the reason of each file
        removed that its user could have resumed, or would have once
        swept (L{_wasResumable}): past its lifetime
        (L{ftpkit.shells.keptregistry.EXPIRED}), or, taken by a resume
        that died or left by a crashed upload, for a newer partial upload
        of its target (L{ftpkit.shells.keptregistry.REPLACED}); or
        C{None}.
    @return: C{(kept, removed)}: how many became partial uploads, and how
        many files were removed.
    """
    now = time.time() if now is None else now
    only = None if tag is None else TEMPORARY_PREFIX + tag + b"-"
    kept = removed = 0

    def swept(name):
        return isHidden(name) and (
            only is None or name.startswith(only)
            or isReservation(name) or isResuming(name)) and not _spared(
                name, spared)

    for directory, names in _walk(os.fsencode(root), swept):
        for name in names:
            done = _sweepFile(directory, name, now, onDropped)
            kept += done == "kept"
            removed += done == "removed"
    return kept, removed


def _spared(name, spared):
    """
    @return: whether C{name} is a temporary file of one of the tags
        C{spared}.
    """
    return name.startswith(TEMPORARY_PREFIX) and name[
        len(TEMPORARY_PREFIX):].partition(b"-")[0] in spared


def _sweepFile(directory, name, now, onDropped=None):
    """
    What L{sweep} does to one hidden file.

    @param directory: its directory, C{bytes}.
    @param name: its name (L{isHidden}), C{bytes}.
    @param now: the time, in seconds.
    @param onDropped: as for L{sweep}.
    @return: C{"kept"} (it became a partial upload), C{"removed"}, or
        C{None} (left as it is).
    """
    path = os.path.join(directory, name)
    if isReservation(name):
        # Held, or taken by an upload at the same moment: left to it.
        return "removed" if removeStale(path) else None
    if not name.startswith(TEMPORARY_PREFIX):
        return _sweepTaken(directory, name, now, onDropped)
    # Taken only while held here: a running upload's, in a process that
    # shares the root, is left to it (see ftpkit.shells.uploadlocks).
    with heldAlone(path) as held:
        return _sweepTaken(directory, name, now, onDropped) if held else None


def _sweepTaken(directory, name, now, onDropped=None):
    """
    The part of L{_sweepFile} once a temporary file is held there, or for
    a partial upload.

    @return: as L{_sweepFile}.
    """
    path = os.path.join(directory, name)
    target = None
    if name.startswith(TEMPORARY_PREFIX):
        target = targetOfTemporary(name)
    try:
        seen = os.lstat(path)
    except OSError:
        return None
    age = now - seen.st_mtime
    told = _teller(path, seen, onDropped)
    try:
        partial = name.startswith(PARTIAL_PREFIX)
        if partial and age > PARTIAL_LIFETIME:
            if not removeSeen(path, seen):
                return None
            told(EXPIRED)
            return "removed"
        if not partial and (
                age > PARTIAL_LIFETIME
                or not (seen.st_size or isResuming(name))
                or not _becomesPartial(path, directory, target)):
            # An empty upload file received nothing to resume (as a cut
            # upload's, ftpkit.shells.partials.keepPartial): made a
            # partial upload, it replaced an older one, which held the
            # client's bytes. A resume's empty file was a partial upload
            # (SIZE answered 0): it is one again.
            removeQuietly(path)
            if _wasResumable(name, seen, target):
                told(EXPIRED if age > PARTIAL_LIFETIME else REPLACED)
            return "removed"
    except OSError:
        return None
    return "kept" if target is not None else None


def _wasResumable(name, seen, target):
    """
    @param name: a temporary file's name.
    @param seen: its C{lstat}.
    @param target: the target its name gives, or C{None}.
    @return: whether its user could resume it, or could have once the
        sweep made it its target's partial upload: a resume's file, or a
        crashed upload's that received bytes and names its target. The
        others (empty, or naming no target) go without a
        C{partial-dropped} event.
    """
    return isResuming(name) or bool(seen.st_size and target is not None)


def _teller(path, seen, onDropped):
    """
    @param path: a partial upload's path, or a resume's (L{isResuming}).
    @param seen: its C{lstat}.
    @param onDropped: as for L{sweep}.
    @return: a callable telling C{onDropped}, with a reason, that it was
        removed (its resumer read now, while it is there).
    """
    if onDropped is None:
        return lambda reason: None
    resumer = resumerOf(path)
    return lambda reason: onDropped(path, resumer, seen.st_size, reason)


_unswept = None
"""While a sweep of the whole root runs beside this process's sessions
(L{beginSweep}): C{(spared, before)}, as given; else C{None}."""

_crashedByDirectory = {}
"""While a sweep runs (L{beginSweep}): for each directory a resume looked
in, the names of the temporary files in it that no spared tag made, read
once: a crashed upload's file was there before the sweep began, so a
later look finds no other (a mirror's C{SIZE} of each file of a large
directory read the whole directory each time)."""


def beginSweep(spared, before=None):
    """
    A sweep (L{sweep}) of the served root starts while this process
    serves: until L{endSweep}, a resume looks for its target's crashed
    upload itself (L{_sweepTarget}), which the sweep may not have reached.

    @param spared: the tags whose temporary files a resume leaves alone.
    @param before: when not C{None}, a resume leaves alone too the
        temporary files made or renamed (C{st_ctime}) since this time:
        a worker of C{--workers} does not know the other workers' tags
        (L{ftpkit.deploy.pendingsweep}).
    """
    global _unswept
    _crashedByDirectory.clear()
    _unswept = (spared, before)


def endSweep():
    """
    The sweep of L{beginSweep} ended.
    """
    global _unswept
    _unswept = None
    _crashedByDirectory.clear()


def sweepPending():
    """
    @return: whether a resume looks for its target's crashed upload
        (L{beginSweep}), reading the target's directory.
    """
    return _unswept is not None


def _sweepTarget(target, now, spared, before, onDropped=None):
    """
    What L{sweep} does to the temporary files that name C{target}, for a
    resume of it before the sweep of the whole root reached them.

    @param target: the target's path, C{bytes}.
    @param now: the time, in seconds.
    @param spared: as for L{sweep}.
    @param before: as for L{beginSweep}.
    @param onDropped: as for L{sweep} (before session 33 these drops
        were not told).
    """
    directory, name = os.path.split(target)
    label = targetLabel(name)
    suffix = b"." + label + TEMPORARY_SUFFIX
    names = [each for each in _crashedIn(directory, spared)
             if each.endswith(suffix) and targetOfTemporary(each) == label]
    for each in names:
        if before is not None and not _madeBefore(
                os.path.join(directory, each), before):
            continue
        _sweepFile(directory, each, now, onDropped)


def _crashedIn(directory, spared):
    """
    @param directory: a directory, C{bytes}.
    @param spared: as for L{sweep}.
    @return: the names of the temporary files in C{directory} that no
        C{spared} tag made, read at the first call for it during a sweep
        (L{_crashedByDirectory}); empty when it cannot be read.
    """
    names = _crashedByDirectory.get(directory)
    if names is None:
        try:
            with os.scandir(directory or b".") as entries:
                names = [entry.name for entry in entries
                         if entry.name.startswith(TEMPORARY_PREFIX)
                         and not _spared(entry.name, spared)]
        except OSError:
            return []
        _crashedByDirectory[directory] = names
    return names


def _madeBefore(path, before):
    """
    @return: whether C{path} was last made or renamed before C{before}
        (C{False} when it cannot be told).
    """
    try:
        return os.lstat(path).st_ctime < before
    except OSError:
        return False


def _walk(root, wanted, device=None):
    """
    Walk a tree as C{os.walk} does, not following symbolic links, but
    without recursion: C{os.walk} recurses once per level (before Python
    3.12), and a tree deeper than the interpreter's recursion limit (a
    user with C{MKD} and C{RNFR}/C{RNTO} builds one by renaming a chain of
    directories to the bottom of another) raised C{RecursionError}, which
    stopped the server from starting. A directory's entries are read one
    at a time and only the names asked for kept: a directory of a million
    files costs no more memory than one of ten. No directory is walked
    twice, where a mount below C{root} shows one of its directories again
    (a bind mount of one of them, or of an ancestor: before session 56
    the walk went through both, a bind mount of the root itself doubling
    it; L{_firstVisits}).

    @param root: the directory, C{bytes}.
    @param wanted: called with each name that is not a directory's; the
        names it returns true for are given.
    @param device: a file system's C{st_dev}: only directories on it are
        entered (C{root} whatever it is on), which only those the mount
        table names may not be (L{_elsewhere}); or C{None} for any.
    @return: an iterator of C{(directory, names)}: each directory under
        C{root} (C{root} first) and the names of what it holds other than
        directories that are C{wanted}; one that cannot be read is left
        out.
    """
    mounts = readMountRoots()
    elsewhere = None if device is None else _elsewhere(device, mounts)
    firstVisit = _firstVisits(root, mounts)
    pending = [root]
    while pending:
        directory = pending.pop()
        names = []
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    try:
                        isDirectory = entry.is_dir()
                        if isDirectory and not entry.is_symlink() and (
                                elsewhere is None or not elsewhere(entry)) and (
                                firstVisit is None or firstVisit(entry)):
                            pending.append(entry.path)
                    except OSError:
                        isDirectory = False
                    if not isDirectory and wanted(entry.name):
                        names.append(entry.name)
        except OSError:
            continue
        yield directory, names


def _elsewhere(device, mounts):
    """
    @param device: a file system's C{st_dev}.
    @param mounts: the mount table, as
        L{ftpkit.shells.mountrepeats.readMountRoots} read it for the walk.
    @return: a predicate telling whether a directory's C{os.DirEntry}
        (of a walk by C{bytes} paths) is on another file system: only a
        mount point can be, where there is a mount table; an C{lstat} of
        each directory, which makes a walk much slower
        (C{docs/benchmark-investigations.rst}, bench-roomwalk-55), where
        there is none.
    """
    points = {point for point, _, _ in mounts}

    def elsewhere(entry):
        if points and entry.path not in points:
            return False
        return entry.stat(follow_symlinks=False).st_dev != device
    return elsewhere


def _firstVisits(root, mounts):
    """
    @param root: a walk's directory, C{bytes}.
    @param mounts: the mount table, as
        L{ftpkit.shells.mountrepeats.readMountRoots} read it for the walk.
    @return: C{None} where the walk cannot reach a directory twice
        (L{ftpkit.shells.mountrepeats.mayRepeat}); else a predicate
        telling whether a directory's C{os.DirEntry} is one the walk has
        not reached yet (by its C{st_dev} and C{st_ino}, an C{lstat}),
        noting it.
    """
    if not mayRepeat(mounts, os.path.realpath(root)):
        return None
    try:
        top = os.stat(root)
    except OSError:
        return None
    seen = {(top.st_dev, top.st_ino)}

    def firstVisit(entry):
        result = entry.stat(follow_symlinks=False)
        key = (result.st_dev, result.st_ino)
        if key in seen:
            return False
        seen.add(key)
        return True
    return firstVisit


def _becomesPartial(path, directory, target):
    """
    Make a crashed upload's temporary file its target's partial upload,
    unless a newer one is there. It takes the name only while the name is
    free (a hard link), and takes an older partial upload away first
    (L{removeSeen}): it replaced the name after looking at it, and a cut
    upload kept under it in between (L{ftpkit.shells.partials.keepPartial}) was lost.

    @return: whether it did (C{False}: remove it).
    """
    if target is None:
        return False
    partial = partialPath(os.path.join(directory, target))
    for _ in range(_TEMPORARY_ATTEMPTS):
        try:
            os.link(path, partial, follow_symlinks=False)
        except FileExistsError:
            try:
                there = os.lstat(partial)
            except FileNotFoundError:
                continue
            if there.st_mtime >= os.lstat(path).st_mtime:
                return False
            removeSeen(partial, there)
        except OSError:
            # A file system without hard links: check, then replace.
            return _replacesOlder(path, partial)
        else:
            removeQuietly(path)
            return True
    return False


def _replacesOlder(path, partial):
    """
    L{_becomesPartial} where files have one name only.

    @return: whether C{path} replaced C{partial}.
    """
    try:
        if os.lstat(partial).st_mtime >= os.lstat(path).st_mtime:
            return False
    except FileNotFoundError:
        pass
    os.replace(path, partial)
    return True

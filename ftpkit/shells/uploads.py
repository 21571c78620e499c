"""
Where the filesystem shell keeps uploads that are not in place yet, and
the rule for those cut short (blocking functions, run in disk threads).

An upload that replaces a file is written to a hidden temporary file in
the target's directory, named after the target (L{temporaryName}), and
renamed over the target once complete, so the old file stays intact until
then. An upload that creates a file is written to a file with no name at
all (L{createAnonymous}: Linux's C{O_TMPFILE}), which gets the target's
name once complete (L{linkAnonymous}): nobody sees it before, and there is
no temporary name to make and remove (C{docs/benchmark-history.rst}, "Small
uploads: a new file gets its name once"); where the file system or the
system has no such files, it takes the temporary file's way.

When an upload is cut (the client went away, C{ABOR}, the server
stopping), what it received is kept, hidden, as the target's I{partial
upload} (L{partialPath}: C{.ftpkit-partial.NAME}) for L{PARTIAL_LIFETIME}
seconds: C{SIZE} on the target answers its size, and C{REST} + C{STOR} or
C{APPE} on the target continue it (and the completed file then replaces
the target). A partial upload older than the target (which a later upload
completed) or than its lifetime is ignored and removed. An upload refused
for its size keeps nothing.

At start (L{sweep}, in a thread while the process serves), the temporary
files a crashed process left become partial uploads of their targets, or
are removed once expired; a resume before the sweep reached its target's
file makes it a partial upload itself (L{beginSweep}). A file
with no name does not outlive its process: the upload of a new file that
a crash cut short is gone, as if it had never started (one cut by the
client, C{ABOR} or C{SIGTERM} is kept as above).
"""

import errno
import itertools
import os
import secrets
import time

from ftpkit.errors import FileBusy
from ftpkit.shells.cachedopen import openWithoutLinks
from ftpkit.shells.emptylink import AT_FDCWD, linkEmptyPath
from ftpkit.shells.uploadlocks import (
    holdDirectory,
    holdTemporary,
    isHeld,
    mayRemoveDirectory,
)

TEMPORARY_PREFIX = b".ftpkit-upload."
TEMPORARY_SUFFIX = b".tmp"
PARTIAL_PREFIX = b".ftpkit-partial."

PARTIAL_LIFETIME = 24 * 3600
"""Seconds a cut upload is kept for a resume (since it was cut, by this
machine's clock: L{keepPartial}). One whose time is ahead of the clock
(the clock stepped back since) is not removed for its age until the clock
has passed it by as much."""

TAKE_GRACE = 3600
"""Seconds past L{PARTIAL_LIFETIME} a partial upload is still taken by
the upload that continues it (L{claimPartial}): a C{REST} checked against
it (L{resumableSize}) just before its lifetime ended continues it, and
does not write the target in place from that offset, mixing the two."""

_TAKEN = "File busy: its partial upload was taken meanwhile; try again"
"""The reply to a resume that lost the partial upload it opened
(L{claimPartial})."""

_NAME_MAX = 255
"""The longest file name (bytes) Linux file systems take."""

_TEMPORARY_TAG = secrets.token_hex(8).encode()
"""The random part of this process's temporary names: secret (they are
hidden from listings), so that nobody can take a name before an upload."""

_temporaryNumbers = itertools.count()
"""Numbers the temporary names of this process (thread-safe to draw from:
C{next} on a C{count} holds the GIL)."""

_TEMPORARY_ATTEMPTS = 3
"""Names tried before an upload fails because they are all taken."""

_OPEN_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
               | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))


_ANONYMOUS_FLAGS = (getattr(os, "O_TMPFILE", 0) | os.O_WRONLY | os.O_NOFOLLOW
                    | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
"""Flags of L{createAnonymous} (never C{O_EXCL}: the file could then not
be given a name)."""

_NO_ANONYMOUS = frozenset({errno.EOPNOTSUPP, errno.ENOTSUP, errno.EISDIR,
                           errno.EINVAL, errno.ENOSYS})
"""Errors of an C{O_TMPFILE} open where the file system (or the kernel,
before Linux 3.11) has no files without a name."""

_FD_LINKS = b"/proc/self/fd/"
"""Where Linux names each open descriptor of the calling process."""

_emptyPathWorks = None
"""Whether L{linkEmptyPath} names files here: C{None} until it is known
(its first success, or its first refusal where the C{/proc} way then
worked)."""

_anonymousWorks = None
"""Whether files without a name can be given one on this system
(L{_canLinkAnonymous}); C{None} until the first try."""


def createAnonymous(target, mode=0o644):
    """
    Create the file of an upload that creates C{target}, with no name yet,
    in C{target}'s directory (blocking), that directory held against its
    removal while the upload runs (L{holdDirectory}): no name in it shows
    the upload, so C{RMD} removed it, and the upload failed once complete.

    @param target: the target's path, C{bytes}.
    @param mode: its permission bits.
    @return: C{(fd, directory)}: the file's descriptor, for
        L{linkAnonymous}, and the held directory's, which the upload
        closes once it ended; or C{None} where such files cannot be made
        or named here, or while the directory is being removed (the
        caller then makes a temporary file, L{createTemporary}, which a
        C{RMD} sees).
    """
    global _anonymousWorks
    if not _ANONYMOUS_FLAGS & getattr(os, "O_TMPFILE", 0) or (
            _anonymousWorks is False):
        return None
    parent = target[:target.rfind(b"/")] or b"/"
    directory = holdDirectory(parent)
    if directory is None:
        return None
    try:
        fd = _openNoName(directory, mode)
        if fd is not None and _anonymousWorks is None:
            _anonymousWorks = _canLinkAnonymous(directory, mode)
            if not _anonymousWorks:
                os.close(fd)
                fd = None
    except BaseException:
        os.close(directory)
        raise
    if fd is None:
        os.close(directory)
        return None
    return fd, directory


def _openNoName(directory, mode):
    """
    @param directory: a directory's descriptor.
    @param mode: the permission bits of the file.
    @return: the descriptor of a new file with no name in it, or C{None}
        where the file system has no such files.
    """
    try:
        return os.open(b".", _ANONYMOUS_FLAGS, mode, dir_fd=directory)
    except OSError as e:
        if e.errno in _NO_ANONYMOUS:
            return None
        raise


def _canLinkAnonymous(directory, mode):
    """
    Try once whether a file with no name can be given one here: that
    goes through C{/proc} (L{linkAnonymous}), which a chroot or a sandbox
    may not have, and then no upload made that way could be completed.

    @param directory: a descriptor of a directory where C{O_TMPFILE}
        works.
    @param mode: the permission bits of the file tried.
    @return: whether it worked.
    """
    try:
        fd = _openNoName(directory, mode)
    except OSError:
        return False
    if fd is None:
        return False
    try:
        name = nameAnonymous(fd, b"probe", directory)
    except OSError:
        return False
    finally:
        os.close(fd)
    _remove(name, directory)
    return True


def linkAnonymous(fd, path, directory=None):
    """
    Give a file from L{createAnonymous} the name C{path}, unless a file of
    that name exists (blocking): through its descriptor alone where Linux
    allows it (L{linkEmptyPath}), else through its C{/proc} link; a
    process where the first way was refused and the second worked uses
    only the second from then on.

    @param fd: its descriptor.
    @param path: the name, C{bytes}.
    @param directory: a descriptor of the directory C{path} is relative
        to (the upload's, L{createAnonymous}: wherever it is by now), or
        C{None}.
    @raise FileExistsError: when C{path} exists.
    """
    global _emptyPathWorks
    if _emptyPathWorks is not False:
        if linkEmptyPath(fd, path,
                         AT_FDCWD if directory is None else directory):
            _emptyPathWorks = True
            return
        if _emptyPathWorks is None:
            _linkThroughProc(fd, path, directory)
            _emptyPathWorks = False
            return
    _linkThroughProc(fd, path, directory)


def _linkThroughProc(fd, path, directory):
    """
    L{linkAnonymous} through the descriptor's C{/proc} link.
    """
    # linkat(AT_SYMLINK_FOLLOW) of the descriptor's /proc link names the
    # file itself (Linux's way without CAP_DAC_READ_SEARCH); os.link calls
    # linkat only when given a directory descriptor, which an absolute
    # path makes the kernel ignore.
    os.link(_FD_LINKS + b"%d" % fd, path, src_dir_fd=fd,
            dst_dir_fd=directory, follow_symlinks=True)


def nameAnonymous(fd, target, directory=None):
    """
    Give a file from L{createAnonymous} a new temporary name beside
    C{target} (blocking): how it becomes a partial upload, or replaces a
    file that appeared meanwhile.

    @param fd: its descriptor.
    @param target: the target's path, C{bytes}.
    @param directory: as for L{linkAnonymous}.
    @return: the temporary path, relative to C{directory} when given.
    @raise FileExistsError: when every name tried was taken.
    """
    holdTemporary(fd)
    return _onTemporaryName(
        target, lambda path: linkAnonymous(fd, path, directory))[1]


def _onTemporaryName(target, make):
    """
    Call C{make} with a new temporary name beside C{target}, trying
    another name while the one given is taken.

    @param target: the target's path, C{bytes}.
    @param make: called with a temporary path; raises C{FileExistsError}
        when that path exists.
    @return: C{(what make returned, the path)}.
    @raise FileExistsError: when every name tried was taken.
    """
    # os.path.split and os.path.join, without their calls.
    name = target.rpartition(b"/")[2]
    directory = target[:len(target) - len(name)]
    for attempt in range(_TEMPORARY_ATTEMPTS):
        path = directory + temporaryName(name)
        try:
            return make(path), path
        except FileExistsError:
            if attempt == _TEMPORARY_ATTEMPTS - 1:
                raise


def temporaryName(target):
    """
    @param target: the target file's name, C{bytes}.
    @return: a new temporary upload file name, C{bytes}, unique in this
        process without a system call per name; it names the target when
        that fits (so that a crashed upload can become a partial one).
    """
    unique = b"%s%s-%d" % (TEMPORARY_PREFIX, _TEMPORARY_TAG,
                           next(_temporaryNumbers))
    named = b"%s.%s%s" % (unique, target, TEMPORARY_SUFFIX)
    if len(named) <= _NAME_MAX:
        return named
    return unique + TEMPORARY_SUFFIX


def targetOfTemporary(name):
    """
    @param name: a temporary upload file's name, C{bytes}.
    @return: the name of its target, or C{None} when it does not say.
    """
    middle = name[len(TEMPORARY_PREFIX):-len(TEMPORARY_SUFFIX)]
    _, dot, target = middle.partition(b".")
    return target if dot and target else None


def isHidden(name):
    """
    @param name: a directory entry's name, C{bytes}.
    @return: whether it is an upload not in place (temporary or partial),
        which listings leave out.
    """
    return ((name.startswith(TEMPORARY_PREFIX)
             and name.endswith(TEMPORARY_SUFFIX))
            or name.startswith(PARTIAL_PREFIX))


def partialPath(target):
    """
    @param target: the target's path, C{bytes}.
    @return: the path its partial upload is kept under, or C{None} when
        the name would be too long (such an upload is not kept).
    """
    directory, name = os.path.split(target)
    if len(PARTIAL_PREFIX) + len(name) > _NAME_MAX:
        return None
    return os.path.join(directory, PARTIAL_PREFIX + name)


def createTemporary(target, mode=0o644):
    """
    Create a new temporary upload file for C{target}.

    @param target: the target's path, C{bytes}.
    @param mode: its permission bits.
    @return: C{(fd, path)}; C{O_EXCL} made it, so it is a new regular file,
        held for the upload (L{holdTemporary}) while C{fd} is open.
    @raise FileExistsError: when every name tried was taken.
    """
    fd, path = _onTemporaryName(
        target, lambda path: openWithoutLinks(path, _OPEN_FLAGS, mode))
    holdTemporary(fd)
    return fd, path


def _lookedUpPartial(target, now):
    """
    @return: the path of C{target}'s partial upload (L{partialPath}),
        once a crashed upload of it the sweep running beside this process
        has not reached yet was made one (L{beginSweep}).
    """
    partial = partialPath(target)
    unswept = _unswept
    if partial is not None and unswept is not None:
        _sweepTarget(target, now, *unswept)
    return partial


def _isStale(result, target, now, lifetime):
    """
    @param result: the C{stat} of C{target}'s partial upload.
    @param lifetime: the age in seconds past which a partial upload is
        not resumed.
    @return: whether it is older than C{lifetime} or than the target
        (which a later upload completed).
    """
    try:
        targetTime = os.stat(target).st_mtime
    except FileNotFoundError:
        targetTime = None
    return (now - result.st_mtime > lifetime
            or (targetTime is not None and targetTime >= result.st_mtime))


def resumableSize(target, now=None):
    """
    @param target: the target's path, C{bytes}.
    @return: the size of its partial upload, or C{None} when there is none
        to resume; one that is stale (L{_isStale}) is removed
        (L{_removeSeen}).
    """
    now = time.time() if now is None else now
    partial = _lookedUpPartial(target, now)
    if partial is None:
        return None
    try:
        result = os.lstat(partial)
    except FileNotFoundError:
        return None
    if _isStale(result, target, now, PARTIAL_LIFETIME):
        _removeSeen(partial, result)
        return None
    return result.st_size


def claimPartial(target, opener, now=None):
    """
    Take C{target}'s partial upload to continue it: it is opened and held
    (L{holdTemporary}), then renamed to a new temporary name, so that two
    sessions cannot both continue it. Held before it is renamed: renamed
    first, it was for a moment a temporary file nobody held, which a sweep
    starting in another process serving the root (L{sweep}) took.

    @param target: the target's path, C{bytes}.
    @param opener: opens a path for the upload (blocking), returning
        C{(fd, stat_result)}.
    @return: C{(fd, stat_result, temporary path)}: the file open, held
        and renamed; or C{None} when there is none to resume. One past
        its lifetime by no more than L{TAKE_GRACE} is taken all the same.
    @raise FileBusy: when another command took it meanwhile (L{_take}).
    """
    now = time.time() if now is None else now
    partial = _lookedUpPartial(target, now)
    if partial is None:
        return None
    try:
        fd, result = opener(partial)
    except FileNotFoundError:
        return None
    try:
        temporary = _take(fd, result, target, partial, now)
    except BaseException:
        os.close(fd)
        raise
    if temporary is None:
        os.close(fd)
        return None
    return fd, result, temporary


def _take(fd, result, target, partial, now):
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
    if _isStale(result, target, now, PARTIAL_LIFETIME + TAKE_GRACE):
        _removeSeen(partial, result)
        return None
    if not holdTemporary(fd):
        raise FileBusy(_TAKEN)
    directory, name = os.path.split(target)
    temporary = os.path.join(directory, temporaryName(name))
    try:
        os.rename(partial, temporary)
        renamed = os.lstat(temporary)
    except FileNotFoundError:
        raise FileBusy(_TAKEN) from None
    if (renamed.st_ino, renamed.st_dev) != (result.st_ino, result.st_dev):
        _putBack(temporary, partial)
        raise FileBusy(_TAKEN)
    return temporary


def giveBack(temporary, target):
    """
    Give a partial upload L{claimPartial} took its name back, unless
    another cut upload was kept under it since (blocking).

    @param temporary: where L{claimPartial} put it.
    @param target: the target's path, C{bytes}.
    """
    _putBack(temporary, partialPath(target))


def keepPartial(temporary, target, size, directory=None):
    """
    An upload was cut: keep what it received as C{target}'s partial
    upload (replacing an older one), or remove the temporary file when it
    received nothing or the name would be too long. Its modification time
    is set from this machine's clock, which measures its age
    (L{PARTIAL_LIFETIME}): a file server's (NFS) stamps its writes with
    its own, and one behind by a day made every cut upload look expired
    at once.

    @param temporary: the temporary file's path.
    @param target: the target's path.
    @param size: the bytes the temporary file holds.
    @param directory: a descriptor of the directory both paths are
        relative to, or C{None}.
    """
    partial = partialPath(target)
    if size > 0 and partial is not None:
        now = time.time()
        try:
            os.utime(temporary, (now, now), dir_fd=directory,
                     follow_symlinks=False)
        except OSError:
            # A file system that keeps its own times: aged by them.
            pass
        os.replace(temporary, partial, src_dir_fd=directory,
                   dst_dir_fd=directory)
    else:
        _remove(temporary, directory)


def _remove(path, directory=None):
    """
    Remove a file that may be gone already.

    @param path: its path, C{bytes}.
    @param directory: a descriptor of the directory C{path} is relative
        to, or C{None}.
    """
    try:
        os.unlink(path, dir_fd=directory)
    except FileNotFoundError:
        pass


def _removeSeen(path, seen):
    """
    Remove the file at C{path} if it is still the one C{seen}: another
    session's cut upload kept under that name since it was looked at
    (L{keepPartial} replaces it) stays. The file is taken away from the
    name first (renamed to a name of this process's), which only one
    process can do, and looked at there.

    @param path: a partial upload's path, C{bytes}.
    @param seen: its C{lstat} when it was found stale.
    @return: whether it was removed.
    """
    directory = path[:path.rfind(b"/") + 1]
    taken = directory + temporaryName(b"")
    try:
        os.rename(path, taken)
        now = os.lstat(taken)
    except FileNotFoundError:
        return False
    if (now.st_ino, now.st_dev) != (seen.st_ino, seen.st_dev):
        _putBack(taken, path)
        return False
    _remove(taken)
    return True


def _putBack(taken, path, takenIn=None, pathIn=None):
    """
    Give a file taken by L{_removeSeen} that was not the one it looked at
    its name back, unless a newer one has it by now.

    @param taken: where it is, C{bytes}.
    @param path: its name, C{bytes}.
    @param takenIn: a descriptor of the directory C{taken} is relative
        to, or C{None}.
    @param pathIn: likewise for C{path}.
    """
    try:
        os.link(taken, path, src_dir_fd=takenIn, dst_dir_fd=pathIn,
                follow_symlinks=False)
    except FileExistsError:
        pass
    except FileNotFoundError:
        # Gone meanwhile (a sweep starting in another process took it).
        return
    except OSError:
        # A file system without hard links: check, then rename.
        try:
            os.lstat(path, dir_fd=pathIn)
        except FileNotFoundError:
            os.rename(taken, path, src_dir_fd=takenIn, dst_dir_fd=pathIn)
            return
    _remove(taken, takenIn)


def removeDirectoryAt(name, parent):
    """
    Remove a directory (blocking), and with it the partial uploads kept
    in it when they are all it holds: listings leave them out, so a
    client sees an empty directory, and its C{RMD} (lftp's C{rm -r},
    rclone's C{purge}) failed with "Directory not empty" for a day after
    an upload into it was cut. A running upload's temporary file, a new
    file's upload still without a name (L{createAnonymous}), or anything else,
    keeps the directory (and its partial uploads) there.

    The partial uploads are moved out of it (L{_moveOut}) before it is
    removed, and removed only once it is: anything that appears in it
    meanwhile (a resume takes one of them) keeps them all there. They
    were removed first, and a resume of one made the removal of the
    directory fail after the others were gone.

    @param name: the directory's name, C{bytes}.
    @param parent: a descriptor of the directory holding it.
    @return: how many partial uploads went with it.
    @raise OSError: as C{os.rmdir} raises it (C{ENOTEMPTY} when it holds
        more than partial uploads).
    """
    try:
        fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
                     | os.O_CLOEXEC, dir_fd=parent)
    except OSError:
        # Not a directory, a link, gone, unreadable: as rmdir says.
        os.rmdir(name, dir_fd=parent)
        return 0
    try:
        if not mayRemoveDirectory(fd):
            raise OSError(errno.ENOTEMPTY, os.strerror(errno.ENOTEMPTY),
                          name)
        try:
            os.rmdir(name, dir_fd=parent)
            return 0
        except OSError as e:
            if e.errno != errno.ENOTEMPTY:
                raise
            notEmpty = e
        partials = _onlyPartials(fd)
        if not partials:
            raise notEmpty
        moved = _moveOut(partials, fd, parent)
        try:
            os.rmdir(name, dir_fd=parent)
        except BaseException:
            for partial, taken in moved:
                _putBack(taken, partial, parent, fd)
            raise
    finally:
        os.close(fd)
    for _, taken in moved:
        _remove(taken, parent)
    return len(moved)


def _moveOut(partials, directory, parent):
    """
    Move partial uploads out of their directory, into its parent under
    names of this process's (L{temporaryName}), which no listing shows.

    @param partials: their names, C{str}.
    @param directory: a descriptor of their directory.
    @param parent: a descriptor of its parent.
    @return: C{(name, name in the parent)} of each moved (one gone
        meanwhile is left out).
    @raise OSError: as C{rename} fails (those moved are moved back).
    """
    moved = []
    try:
        for partial in partials:
            taken = temporaryName(b"")
            try:
                os.rename(partial, taken, src_dir_fd=directory,
                          dst_dir_fd=parent)
            except FileNotFoundError:
                continue
            moved.append((os.fsencode(partial), taken))
    except BaseException:
        for partial, taken in moved:
            _putBack(taken, partial, parent, directory)
        raise
    return moved


def _onlyPartials(directory):
    """
    @param directory: a descriptor of a directory.
    @return: the names of the partial uploads it holds when it holds
        nothing else, else C{[]} (read an entry at a time, stopping at the
        first that is not one).
    """
    prefix = os.fsdecode(PARTIAL_PREFIX)
    partials = []
    with os.scandir(directory) as entries:
        for entry in entries:
            if (not entry.name.startswith(prefix)
                    or not entry.is_file(follow_symlinks=False)):
                return []
            partials.append(entry.name)
    return partials


def temporaryTag():
    """
    @return: what the temporary upload files of this process, and of no
        other, are named with (after L{TEMPORARY_PREFIX}), C{bytes}.
    """
    return _TEMPORARY_TAG


def sweep(root, now=None, tag=None, spared=()):
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
        L{temporaryTag} this is (a worker of C{--workers} that died while
        the others still upload), nothing else [default: every one].
    @param spared: the tags whose temporary files are left alone: those
        of the processes that run uploads meanwhile (a file is made, then
        held: between the two, only its tag tells it from a crashed
        upload's).
    @return: C{(kept, removed)}: how many became partial uploads, and how
        many files were removed.
    """
    now = time.time() if now is None else now
    only = None if tag is None else TEMPORARY_PREFIX + tag + b"-"
    kept = removed = 0

    def swept(name):
        return isHidden(name) and (
            only is None or name.startswith(only)) and not _spared(
                name, spared)

    for directory, names in _walk(os.fsencode(root), swept):
        for name in names:
            done = _sweepFile(directory, name, now)
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


def _sweepFile(directory, name, now):
    """
    What L{sweep} does to one hidden file.

    @param directory: its directory, C{bytes}.
    @param name: its name (L{isHidden}), C{bytes}.
    @param now: the time, in seconds.
    @return: C{"kept"} (it became a partial upload), C{"removed"}, or
        C{None} (left as it is).
    """
    path = os.path.join(directory, name)
    try:
        seen = os.lstat(path)
    except OSError:
        return None
    age = now - seen.st_mtime
    target = None
    if name.startswith(TEMPORARY_PREFIX):
        if isHeld(path):
            # A running upload's, in a process that shares the root (see
            # ftpkit.shells.uploadlocks).
            return None
        target = targetOfTemporary(name)
    try:
        partial = name.startswith(PARTIAL_PREFIX)
        if partial and age > PARTIAL_LIFETIME:
            return "removed" if _removeSeen(path, seen) else None
        if not partial and (age > PARTIAL_LIFETIME or not _becomesPartial(
                path, directory, target)):
            _remove(path)
            return "removed"
    except OSError:
        return None
    return "kept" if target is not None else None


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


def _sweepTarget(target, now, spared, before):
    """
    What L{sweep} does to the temporary files that name C{target}, for a
    resume of it before the sweep of the whole root reached them.

    @param target: the target's path, C{bytes}.
    @param now: the time, in seconds.
    @param spared: as for L{sweep}.
    @param before: as for L{beginSweep}.
    """
    directory, name = os.path.split(target)
    suffix = b"." + name + TEMPORARY_SUFFIX
    names = [each for each in _crashedIn(directory, spared)
             if each.endswith(suffix) and targetOfTemporary(each) == name]
    for each in names:
        if before is not None and not _madeBefore(
                os.path.join(directory, each), before):
            continue
        _sweepFile(directory, each, now)


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


def _walk(root, wanted):
    """
    Walk a tree as C{os.walk} does, not following symbolic links, but
    without recursion: C{os.walk} recurses once per level (before Python
    3.12), and a tree deeper than the interpreter's recursion limit (a
    user with C{MKD} and C{RNFR}/C{RNTO} builds one by renaming a chain of
    directories to the bottom of another) raised C{RecursionError}, which
    stopped the server from starting. A directory's entries are read one
    at a time and only the names asked for kept: a directory of a million
    files costs no more memory than one of ten.

    @param root: the directory, C{bytes}.
    @param wanted: called with each name that is not a directory's; the
        names it returns true for are given.
    @return: an iterator of C{(directory, names)}: each directory under
        C{root} (C{root} first) and the names of what it holds other than
        directories that are C{wanted}; one that cannot be read is left
        out.
    """
    pending = [root]
    while pending:
        directory = pending.pop()
        names = []
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    try:
                        isDirectory = entry.is_dir()
                        if isDirectory and not entry.is_symlink():
                            pending.append(entry.path)
                    except OSError:
                        isDirectory = False
                    if not isDirectory and wanted(entry.name):
                        names.append(entry.name)
        except OSError:
            continue
        yield directory, names


def _becomesPartial(path, directory, target):
    """
    Make a crashed upload's temporary file its target's partial upload,
    unless a newer one is there. It takes the name only while the name is
    free (a hard link), and takes an older partial upload away first
    (L{_removeSeen}): it replaced the name after looking at it, and a cut
    upload kept under it in between (L{keepPartial}) was lost.

    @return: whether it did (C{False}: remove it).
    """
    if target is None:
        return False
    partial = partialPath(os.path.join(directory, target))
    if partial is None:
        return False
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
            _removeSeen(partial, there)
        except OSError:
            # A file system without hard links: check, then replace.
            return _replacesOlder(path, partial)
        else:
            _remove(path)
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

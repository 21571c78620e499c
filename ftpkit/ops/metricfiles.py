"""
The files a process keeps its metrics in under C{--workers}
(C{prometheus_client}'s multiprocess mode), given their blocks before
C{prometheus_client} maps them.

C{prometheus_client} makes each file by extending an empty one (a file
with holes) and writes to it through C{mmap}: where the directory's file
system (C{$TMPDIR}) is full, the first write into a page that has no
block yet is a C{SIGBUS}, which kills the process at once. Measured: a
worker died so on its next transfer once C{$TMPDIR} had filled, and each
worker started in its place died before it was ready.
"""

import errno
import os
import stat

FILE_ROOM = 64 << 10
"""The bytes given to each file: C{prometheus_client}'s own first size,
of which the server's metrics take a few KiB in one process (12 KiB for
the histogram of the four file transfer commands' durations, all made at
start, measured), so that no file grows."""

PREFIXES = ("counter", "gauge_livesum", "histogram")
"""The names C{prometheus_client} gives the files of the server's
metrics (L{ftpkit.ops.metrics.ServerMetrics}: counters, the C{livesum}
gauge, the histogram), before C{_PID.db}."""


def reserveFiles(directory, pid, room=FILE_ROOM):
    """
    Make (or keep) the metric files of process C{pid} in C{directory},
    each with C{room} bytes of blocks (blocking). A file that holds
    nothing yet reads as empty, as C{prometheus_client} reads one it has
    just made.

    @param directory: the multiprocess directory.
    @param pid: the process's id, as C{prometheus_client} names its files.
    @param room: the bytes each file gets (more, if it holds more).
    @raise OSError: with C{ENOSPC} (or C{EDQUOT}) when the file system has
        no room for them; the files this call made are removed.
    """
    allocate = getattr(os, "posix_fallocate", None)
    if allocate is None:
        return
    made = []
    try:
        for prefix in PREFIXES:
            path = os.path.join(directory, f"{prefix}_{pid}.db")
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                if os.fstat(fd).st_size == 0:
                    made.append(path)
                _allocate(allocate, fd, room)
            finally:
                os.close(fd)
    except OSError:
        for path in made:
            try:
                os.remove(path)
            except OSError:
                pass
        raise


def _allocate(allocate, fd, room):
    """
    Give the file of C{fd} its blocks up to C{room} bytes, where the file
    system can allocate ahead (nothing is done where it cannot).
    """
    try:
        allocate(fd, 0, room)
    except OSError as e:
        if e.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
            raise


def directoryProblem(directory, uid=None):
    """
    Whether a multiprocess directory this process did not make itself
    (C{PROMETHEUS_MULTIPROC_DIR} inherited from its environment) may hold
    its files: every process writes files of predictable names there
    (L{reserveFiles}, the session snapshots of L{ftpkit.ops.who}),
    following links, so a directory another user can write lets that user
    plant a link for one and have a file of this process's user (root)
    overwritten; and so does one whose parent (or any directory above)
    another user can write, who can then put a directory of their own
    in its place (L{ancestorProblem}).

    @param directory: the directory.
    @param uid: the user it must belong to (this process's effective
        user when C{None}).
    @return: why it may not (C{str}): it cannot be read, is not a
        directory, belongs to another user, or is writable by its group or
        others, or a directory above it (or a link on the way) is not
        safe; C{None} when it may.
    """
    uid = os.geteuid() if uid is None else uid
    try:
        info = os.stat(directory)
    except OSError as e:
        return e.strerror
    if not stat.S_ISDIR(info.st_mode):
        return "not a directory"
    if info.st_uid != uid:
        return f"it belongs to user {info.st_uid}, not to {uid}"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return (f"other users may write in it (mode "
                f"{stat.S_IMODE(info.st_mode):04o})")
    return ancestorProblem(directory, uid)


def ancestorProblem(directory, uid):
    """
    Check the way to a directory as a careful daemon does: each directory
    above it, along its path as given and along its real path, must
    belong to root or to C{uid} and be writable by neither its group nor
    others, unless it is sticky (C{/tmp}: nobody else can rename or remove
    what is in it); and each symbolic link on the way must belong to root
    or to C{uid}.

    @param directory: a directory.
    @param uid: the user the way may belong to, besides root.
    @return: why the way is not safe (C{str}, naming the directory or
        link), or C{None}.
    """
    given = os.path.abspath(directory)
    for path in _above(given) + [given] + _above(os.path.realpath(given)):
        try:
            info = os.lstat(path)
        except OSError as e:
            return f"{path}: {e.strerror}"
        if info.st_uid not in (0, uid):
            if stat.S_ISLNK(info.st_mode):
                return (f"the link {path} on the way to it belongs to "
                        f"user {info.st_uid}")
            return (f"the directory {path} above it belongs to user "
                    f"{info.st_uid}")
        if (stat.S_ISDIR(info.st_mode)
                and info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
                and not info.st_mode & stat.S_ISVTX):
            return (f"other users may write in {path} above it (mode "
                    f"{stat.S_IMODE(info.st_mode):04o})")
    return None


def _above(path):
    """
    @param path: an absolute, normalized path.
    @return: the paths of the directories above it, and of any link on
        the way (C{/a/b/c}: C{/}, C{/a}, C{/a/b}), the deepest last.
    """
    parts = [part for part in path.split("/") if part]
    return ["/" + "/".join(parts[:count]) for count in range(len(parts))]

"""
L{ShortCalls}: short blocking calls run in the calling (reactor) thread
while the file system answers them at once, else in the disk threads.

A round trip to a disk thread (the thread woken, the GIL handed back and
forth, the reactor woken with the result and one more reactor turn) costs
a small upload more than its open, write, close and rename themselves on
a local file system, where those only touch memory (C{docs/benchmark-history.rst},
"Small uploads"). So an upload's open, and a small upload's bytes and
commit, run at once where:

  - the served directory and every file system mounted below it are of a
    local kind (L{LOCAL_TYPES}: memory or a local disk; never a network
    or FUSE file system, whose calls wait on another machine or process),
    as the mount table (C{/proc/self/mountinfo}) says, read again every
    L{MOUNTS_MAX_AGE} seconds and as soon as it changed (L{MountChanges}:
    asked at every call by path; a call on descriptors opened at once,
    which no mount made since can be under, takes the last reading,
    L{ShortCalls.onDescriptors});
  - the last L{SLOW_IN_A_ROW} such calls did not all take longer than
    L{SLOW_CALL} seconds, nor did the last ones before a pause within
    L{PAUSE} seconds: a local disk under pressure (its journal being
    written, too many dirty pages to write back) makes call after call
    wait, and while it does they go to the disk threads, so that the
    reactor waits for it only a few calls per pause. (One slow call alone
    says little: on a busy machine the reactor thread is now and then
    switched out for longer than a call takes.)

Everything else (large batches of bytes, listings, checksums) always goes
to the disk threads, and so does a call that drops the last name of a
large file (L{freesMuch}): an upload's commit replacing one, a stale
partial upload removed. Freeing a file's blocks is work done in the call
itself, in proportion to them (about a second for a few GiB on ext4), so a
small upload over a large file would otherwise stall every session.
"""

import functools
import os
import select
import time

from twisted.internet import defer

LOCAL_TYPES = frozenset([
    "tmpfs", "ramfs", "ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs",
    "overlay", "zfs", "bcachefs", "jfs",
])
"""File system types whose calls never wait on another machine or process
(C{/proc/self/mountinfo}'s names)."""

SLOW_CALL = 0.01
"""Seconds past which a call run at once counts as slow (longer than a
scheduler's time slice)."""

SLOW_IN_A_ROW = 3
"""Slow calls in a row after which short calls go to the disk threads for
L{PAUSE} seconds."""

PAUSE = 10.0
"""Seconds short calls go to the disk threads after L{SLOW_IN_A_ROW} slow
ones."""

MOUNTS_MAX_AGE = 10.0
"""Seconds the mount table's answer is kept before it is read again (so
that a network file system mounted below the served directory later is
seen)."""

MOUNTINFO = "/proc/self/mountinfo"

FREES_LITTLE = 4 << 20
"""The most bytes a file may hold on disk for a call that may free it to
run at once (L{freesMuch})."""


class Declined(Exception):
    """
    Raised by a function run at once (L{ShortCalls.__call__}) before it
    changed anything, when it finds it is not short after all: the caller
    then runs it in a disk thread.
    """


def holdsMuch(result):
    """
    @param result: an C{os.stat_result}, or C{None}.
    @return: whether it is of a file holding more than L{FREES_LITTLE}
        bytes on disk (a sparse file's holes cost nothing to free).
    """
    return result is not None and result.st_blocks * 512 > FREES_LITTLE


def freesMuch(path, directory=None):
    """
    Whether dropping the name C{path} (replacing or removing it) may free
    more than L{FREES_LITTLE} bytes (blocking: one C{lstat}).

    @param path: a resolved path, C{bytes}, or C{None} for none.
    @param directory: a descriptor of the directory C{path} is relative
        to, or C{None}.
    @return: C{True} or C{False}; C{False} when nothing is there.
    """
    if path is None:
        return False
    try:
        return holdsMuch(os.lstat(path, dir_fd=directory))
    except OSError:
        return False


def unescapeMountPath(field):
    """
    @param field: a path field of C{/proc/self/mountinfo}, C{bytes}, with
        spaces, tabs, newlines and backslashes as octal escapes.
    @return: the path, C{bytes}.
    """
    if b"\\" not in field:
        return field
    out, index = bytearray(), 0
    while index < len(field):
        if (field[index:index + 1] == b"\\"
                and field[index + 1:index + 4].isdigit()):
            out.append(int(field[index + 1:index + 4], 8))
            index += 4
        else:
            out.append(field[index])
            index += 1
    return bytes(out)


def parseMounts(text):
    """
    @param text: the contents of C{/proc/self/mountinfo}, C{bytes}.
    @return: C{(mountPoint, fsType)} pairs (C{bytes}, C{str}), in the
        table's order; lines it cannot read are left out.
    """
    mounts = []
    for line in text.splitlines():
        fields = line.split(b" ")
        try:
            separator = fields.index(b"-", 6)
            mounts.append((unescapeMountPath(fields[4]),
                           fields[separator + 1].decode("ascii", "replace")))
        except (ValueError, IndexError):
            continue
    return mounts


def isBelow(path, directory):
    """
    @param path: an absolute, normalized path, C{bytes}.
    @param directory: an absolute, normalized directory, C{bytes}.
    @return: whether C{path} is C{directory} or inside it.
    """
    if directory == b"/":
        return True
    return path == directory or path.startswith(directory + b"/")


def isLocal(mounts, root):
    """
    @param mounts: the pairs of L{parseMounts}.
    @param root: a real (resolved) absolute directory, C{bytes}.
    @return: whether the file system holding C{root}, and every one mounted
        below it, is of a type in L{LOCAL_TYPES}.
    """
    holding, depth = None, -1
    for point, kind in mounts:
        if isBelow(root, point) and len(point) >= depth:
            # The last mount on the longest matching point is the one on
            # top.
            holding, depth = kind, len(point)
        elif point != root and isBelow(point, root) and (
                kind not in LOCAL_TYPES):
            return False
    return holding in LOCAL_TYPES


def readMounts(path=MOUNTINFO):
    """
    @param path: the mount table.
    @return: the pairs of L{parseMounts}, or C{[]} when there is no such
        table (not Linux).
    """
    try:
        with open(path, "rb") as table:
            return parseMounts(table.read())
    except OSError:
        return []


class MountChanges:
    """
    Counts the changes of this process's mount table: C{/proc/self/mountinfo}
    held open and polled (the kernel marks it with C{POLLPRI} once a file
    system is mounted or unmounted), one C{poll} that does not wait per
    question. A file system mounted below the served directory between two
    reads of the table (a FUSE mount a local user made, which hangs) had
    the next upload's open made in the reactor thread, the whole server
    waiting on it; the table is now read again before that.
    """

    def __init__(self, path=MOUNTINFO):
        """
        @param path: the mount table.
        """
        self._path = path
        self._poll = None
        self._fd = None
        self._count = 0
        if hasattr(os, "register_at_fork"):
            # A forked worker polls a table of its own: the mark is taken
            # by whichever process polls first.
            os.register_at_fork(after_in_child=self._forget)

    def _forget(self):
        if self._fd is not None:
            os.close(self._fd)
        self._poll = self._fd = None

    def count(self):
        """
        @return: a number that changes once the mount table has: each
            change seen so far counts one (C{0} where the table cannot be
            polled).
        """
        if self._poll is None:
            try:
                self._fd = os.open(self._path,
                                   os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            except OSError:
                return self._count
            self._poll = select.poll()
            self._poll.register(self._fd, select.POLLPRI)
        if self._poll.poll(0):
            self._count += 1
        return self._count


_mountChanges = MountChanges()


class ShortCalls:
    """
    Runs the short blocking calls made for one served directory at once, in
    the calling thread, while that is safe (see the module's docstring);
    says so when it is not, and the caller then hands them to the disk
    threads.
    """

    _localUntil = float("-inf")
    _local = False
    _pausedUntil = float("-inf")
    _slowInARow = 0

    _mountsSeen = None

    def __init__(self, root, clock=time.monotonic, mounts=readMounts,
                 changes=_mountChanges.count):
        """
        @param root: the served directory's real path, C{bytes}.
        @param clock: returns seconds, for timing the calls.
        @param mounts: returns the pairs of L{parseMounts}.
        @param changes: returns a number that changes when the mount table
            does (L{MountChanges.count}).
        """
        self._root = root
        self._clock = clock
        self._mounts = mounts
        self._changes = changes

    def __call__(self, function, *args):
        """
        Run C{function(*args)} at once, if that is safe now.

        @param function: the call, blocking.
        @param args: its arguments.
        @return: a fired Deferred with its result or failure, or C{None}
            when it did not run, or raised L{Declined} (the caller runs it
            in a disk thread).
        """
        started = self._clock()
        if started < self._pausedUntil:
            return None
        seen = self._changes()
        if started >= self._localUntil or seen != self._mountsSeen:
            self._mountsSeen = seen
            self._local = isLocal(self._mounts(), self._root)
            self._localUntil = started + MOUNTS_MAX_AGE
        if not self._local:
            return None
        return self._timed(started, function, args)

    def onDescriptors(self, function, *args):
        """
        L{__call__} for a call that touches only descriptors opened by a
        call this ran at once (a small upload's bytes, and the commit of
        its file with no name through the descriptor of its directory,
        L{ftpkit.shells.diskwriter.FileWriter}): the mount table's last
        reading is taken as it is while it is fresh (younger than
        L{MOUNTS_MAX_AGE}), without asking whether the table changed
        since. A file system mounted since is under no such call: a
        descriptor stays on the file system it was opened on, local when
        it was opened at once; and a link made in a held directory does
        not go into a mount on the name (the name exists, the link fails,
        and the caller declines). Every call by path still asks
        (L{__call__}), so a mount is still seen by the next open.

        @param function: the call, blocking.
        @param args: its arguments.
        @return: as L{__call__}.
        """
        started = self._clock()
        if started >= self._localUntil:
            return self(function, *args)
        if started < self._pausedUntil or not self._local:
            return None
        return self._timed(started, function, args)

    def _timed(self, started, function, args):
        """
        Run C{function(*args)} now, counting it slow or not (L{PAUSE}).

        @param started: when the call began (the clock's seconds).
        @param function: the call, blocking.
        @param args: its arguments, a tuple.
        @return: as L{__call__}.
        """
        try:
            result = function(*args)
        except Declined:
            return None
        except BaseException:
            return defer.fail()
        finally:
            ended = self._clock()
            if ended - started <= SLOW_CALL:
                self._slowInARow = 0
            else:
                self._slowInARow += 1
                if self._slowInARow >= SLOW_IN_A_ROW:
                    self._slowInARow = 0
                    self._pausedUntil = ended + PAUSE
        return defer.succeed(result)


@functools.lru_cache(maxsize=1024)
def shortCallsFor(realRoot):
    """
    @param realRoot: a shell's real root, C{bytes}.
    @return: the L{ShortCalls} of every default shell of that root in this
        process (a shell is made at every login; a slow call seen by one
        pauses them all).
    """
    return ShortCalls(realRoot)

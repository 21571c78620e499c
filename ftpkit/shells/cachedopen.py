"""
L{openCached}: open a file only if that cannot wait on the disk;
L{openWithoutLinks}: open a path the jail resolved, only if no symbolic
link has appeared on it since; L{isCached}: whether a file's bytes are
in memory.

Linux's C{openat2(2)} with C{RESOLVE_CACHED} (Linux 5.12) looks a path up
in the kernel's dentry cache alone and fails with C{EAGAIN} where it would
have to read the disk. Opening a file for reading that way is safe on the
reactor thread, and saves a small download the round trip to a disk
thread: measured with C{python -m bench --only small --files 2000}, the
thread hop was the largest cost left per file.

C{RESOLVE_NO_SYMLINKS} is set as well: a path with no symbolic link in it
and no C{".."} segment (what L{ftpkit.protocol.paths.resolve} gives) cannot leave
the directory it is joined to, so the caller's jail needs no other check.
Paths through links, uncached paths, kernels without C{openat2} and
sandboxes that forbid it all give C{None}, and the caller takes its usual,
threaded way.

The filesystem shell's threaded way resolves a path's links itself and
checks that they stay in its root, then opens the path it found, which has
no link left in it. A local user able to replace a directory on it by a
symbolic link between the two would have the open follow that link, out of
the root: L{openWithoutLinks} opens with C{RESOLVE_NO_SYMLINKS} (Linux
5.6), so that such a path fails (C{ELOOP}) instead. Where C{openat2} cannot
be used, it opens the usual way.

Likewise C{sendfile} of bytes that are not in memory would wait for the
disk in the reactor thread: L{isCached} tells the sender to have them read
in a disk thread first.

Every upload and every download makes one of these calls in the reactor
thread, so they are made as cheaply as C{ctypes} allows: the function has
no C{argtypes} (converting each argument through them costs more than the
system call's own Python work), and is given C{ctypes} values made once
(the call's number, C{AT_FDCWD}, the structure's size) and one kept
C{struct open_how} for each combination of flags, mode and resolve flags
(L{_howFor}); the path is C{bytes}, which C{ctypes} passes as a
C{char *} (a C{str} would go as a C{wchar_t *}: a C{TypeError} refuses
it, as the C{argtypes} did; C{docs/benchmark-investigations.rst}, "Cheaper C{ctypes}
calls").
"""

import ctypes
import errno
import functools
import os
import sys

_SYS_OPENAT2 = 437
"""The system call's number; the same on every Linux architecture."""

NEW_FILE_MODE = 0o666
"""The permission bits every file a user uploads is created with, before
the process's file-creation mask (C{--umask}) takes its bits away, as
other FTP servers and every Unix tool create files."""

_AT_FDCWD = -100
_RESOLVE_NO_SYMLINKS = 0x04
_RESOLVE_CACHED = 0x20


class _OpenHow(ctypes.Structure):
    """
    C{struct open_how} of C{openat2(2)}.
    """

    _fields_ = [
        ("flags", ctypes.c_uint64),
        ("mode", ctypes.c_uint64),
        ("resolve", ctypes.c_uint64),
    ]


def _loadSyscall():
    """
    @return: libc's C{syscall} function, or C{None} where there is no
        C{openat2}.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).syscall
    except (OSError, AttributeError):
        return None
    # No argtypes: the arguments are given as ctypes values of the right
    # types (see the module's docstring).
    function.restype = ctypes.c_long
    return function


_syscall = _loadSyscall()

_NUMBER = ctypes.c_long(_SYS_OPENAT2)
_FROM_CWD = ctypes.c_int(_AT_FDCWD)
_HOW_SIZE = ctypes.c_size_t(ctypes.sizeof(_OpenHow))
_NOT_BYTES = "a path given to openat2 must be bytes, not %s"


@functools.lru_cache(maxsize=64)
def _howFor(flags, mode, resolve):
    """
    @param flags: C{os.open} flags.
    @param mode: the permission bits of a file the open makes, or C{0}.
    @param resolve: C{RESOLVE_*} flags.
    @return: a reference to a C{struct open_how} holding them, made once
        and never changed afterwards (the kernel only reads it, so that
        every thread may pass it), for C{openat2}'s third argument.
    """
    return ctypes.byref(_OpenHow(flags, mode, resolve))


_GIVE_UP = frozenset([errno.ENOSYS, errno.EPERM, errno.EINVAL, errno.E2BIG])
"""Errors meaning C{openat2} cannot be used here at all."""

_MAKES_FILE = os.O_CREAT | (getattr(os, "O_TMPFILE", 0) & ~os.O_DIRECTORY)
"""Flags with which an open may make a file, and so takes a mode
(C{openat2} refuses a mode with neither)."""


def openCached(path, flags):
    """
    Open an absolute path without waiting on the disk.

    @param path: the path, C{bytes}, with no C{".."} segment.
    @param flags: C{os.open} flags, without C{O_CREAT}, C{O_TRUNC} or
        C{O_TMPFILE} (those always need the disk).
    @return: the descriptor, or C{None} if opening it needs the disk, a
        symbolic link is on the way, or it fails for any other reason
        (the caller's threaded open then gives the real answer).
    """
    global _syscall
    if _syscall is None:
        return None
    if type(path) is not bytes:
        raise TypeError(_NOT_BYTES % type(path).__name__)
    fd = _syscall(_NUMBER, _FROM_CWD, path,
                  _howFor(flags, 0, _RESOLVE_CACHED | _RESOLVE_NO_SYMLINKS),
                  _HOW_SIZE)
    if fd >= 0:
        return fd
    if ctypes.get_errno() in _GIVE_UP:
        # No openat2 (old kernel, or a seccomp filter that refuses it):
        # stop trying.
        _syscall = None
    return None


def openWithoutLinks(path, flags, mode=0o777):
    """
    Open a path that has no symbolic link on the way, as C{os.open} would
    (blocking), failing if one is there by now.

    @param path: the path, C{bytes}, every link on it resolved.
    @param flags: C{os.open} flags.
    @param mode: the permission bits of a file C{O_CREAT} makes.
    @return: the descriptor.
    @raise OSError: as C{os.open} would, and C{ELOOP} when a symbolic link
        is on the way.
    """
    global _syscall
    syscall = _syscall
    if syscall is not None:
        if type(path) is not bytes:
            raise TypeError(_NOT_BYTES % type(path).__name__)
        how = _howFor(flags, mode if flags & _MAKES_FILE else 0,
                      _RESOLVE_NO_SYMLINKS)
        fd = syscall(_NUMBER, _FROM_CWD, path, how, _HOW_SIZE)
        if fd >= 0:
            return fd
        code = ctypes.get_errno()
        if code == errno.ENOSYS:
            # No openat2 at all (no file gives ENOSYS): stop trying, as
            # openCached does, rather than fail once more at every upload.
            # (Its other reasons to give up may be this file's: an
            # immutable file opened for writing gives EPERM.)
            _syscall = None
        elif code not in _GIVE_UP:
            raise OSError(code, os.strerror(code), path)
    return os.open(path, flags, mode)


def gaveUp():
    """
    @return: whether L{openCached} has given up here (no C{openat2}, or
        one a seccomp filter refuses): it declines every open from then
        on, whether or not the path is in the kernel's cache.
    """
    return _syscall is None


_RWF_NOWAIT = getattr(os, "RWF_NOWAIT", None)

_PROBE = bytearray(1)
"""The byte L{isCached} reads into (it runs in the reactor thread only)."""

_PROBE_BOTH_ENDS = 128 << 10
"""Ranges longer than this have their last byte probed too."""

_cannotTell = set()
"""The devices (C{st_dev}) whose files refused C{RWF_NOWAIT} with
C{EOPNOTSUPP} (tmpfs): L{isCached} does not ask their files again (the
refusal cost every download from C{/dev/shm} a system call and an
exception raised and caught, C{docs/benchmark-investigations.rst}, "16 KiB transfers:
two exceptions, and what the counts measure")."""


def isCached(fd, offset, count, device=None):
    """
    Whether reading a range of a file can be done without the disk: its
    first byte (and, for a long range, its last) is read with
    C{preadv2(RWF_NOWAIT)}, which fails with C{EAGAIN} instead of waiting
    for the disk. Readahead keeps the bytes between them in step.

    @param fd: the open file.
    @param offset: the first byte of the range.
    @param count: its length, at least 1.
    @param device: the file system holding the file (C{st_dev}), or
        C{None} where it is not known: a device one of whose files could
        not tell is not asked again.
    @return: C{False} when a probed byte is not in memory; C{True}
        otherwise, also where the system cannot tell (no C{RWF_NOWAIT}, or
        a file system without it).
    """
    if _RWF_NOWAIT is None or device in _cannotTell:
        return True
    positions = (offset,)
    if count > _PROBE_BOTH_ENDS:
        positions = (offset, offset + count - 1)
    try:
        for position in positions:
            os.preadv(fd, [_PROBE], position, _RWF_NOWAIT)
    except BlockingIOError:
        return False
    except OSError as e:
        if e.errno == errno.EOPNOTSUPP and device is not None:
            _cannotTell.add(device)
        return True
    return True


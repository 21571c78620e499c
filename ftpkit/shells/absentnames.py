"""
L{isAbsent}: whether a resolved path names nothing, told without an
exception (a blocking function, run where the caller's lookups run).

Every upload of a new file has L{ftpkit.shells.diskpaths.Jail.walk} look
its last segment up, and C{os.lstat} of a missing name raises
C{FileNotFoundError}: building that exception and catching it cost a
good part of what the whole upload's own Python costs in user space
(C{docs/benchmark.rst}, "16 KiB uploads and downloads: fewer
instructions"). C{faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW |
AT_EACCESS)} looks the path up as C{lstat} does, with the same
credentials (the effective ones, not the real ones C{access} uses) and
the last segment not followed, and fails with the same C{errno}, which
C{ctypes} reads without raising. Only C{ENOENT} is taken for an answer:
every other failure (a directory on the way that the process may not
search, a name too long, a file where a directory should be) is left to
the caller's own C{lstat}, which fails as it always did.
"""

import ctypes
import errno
import sys

_AT_FDCWD = -100
_F_OK = 0
_AT_EACCESS = 0x200
_AT_SYMLINK_NOFOLLOW = 0x100

_GIVE_UP = frozenset({errno.ENOSYS, errno.EPERM, errno.EINVAL})
"""Failures meaning the call cannot be used here (a kernel or a libc
without it, a sandbox's filter refusing it): L{isAbsent} stops trying."""


def _binding():
    """
    @return: libc's C{faccessat} through C{ctypes}, or C{None} where it
        cannot be had.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).faccessat
    except (OSError, AttributeError):
        return None
    # No argtypes (ftpkit.shells.cachedopen says why): the arguments are
    # ctypes values made once and the path, bytes, which goes as a char *.
    function.restype = ctypes.c_int
    return function


_faccessat = _binding()

_FROM_CWD = ctypes.c_int(_AT_FDCWD)
_EXISTS = ctypes.c_int(_F_OK)
_FLAGS = ctypes.c_int(_AT_EACCESS | _AT_SYMLINK_NOFOLLOW)


def isAbsent(path):
    """
    Whether nothing is at a path, as C{os.lstat} would find (blocking).

    @param path: an absolute path, C{bytes}.
    @return: C{True} where C{os.lstat} would raise C{FileNotFoundError};
        C{False} where something (maybe a symbolic link) is there;
        C{None} where the lookup failed otherwise, or cannot be made
        here: the caller's C{os.lstat} then tells.
    """
    global _faccessat
    faccessat = _faccessat
    if faccessat is None:
        return None
    if type(path) is not bytes:
        raise TypeError(f"a path given to faccessat must be bytes, not"
                        f" {type(path).__name__}")
    if faccessat(_FROM_CWD, path, _EXISTS, _FLAGS) == 0:
        return False
    code = ctypes.get_errno()
    if code == errno.ENOENT:
        return True
    if code in _GIVE_UP:
        _faccessat = None
    return None

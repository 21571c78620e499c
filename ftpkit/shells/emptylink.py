"""
L{linkEmptyPath}: give an open file a name through its descriptor alone,
with C{linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH)}.

The other way to name a file that has none (an upload's C{O_TMPFILE}, see
L{ftpkit.shells.uploads}) links its C{/proc/self/fd/N}, which makes the
kernel look that path up through C{/proc} first, a good part of the
link's cost (C{docs/benchmark-history.rst}, "Small uploads: a link
without /proc"). Linux allows C{AT_EMPTY_PATH} to a process with
C{CAP_DAC_READ_SEARCH}, and since 6.10 to the one that opened the file,
with the credentials it opened it with; elsewhere it fails with
C{ENOENT}, and the caller names the file the other way
(L{ftpkit.shells.uploads.linkAnonymous}).
"""

import ctypes
import errno
import os

AT_FDCWD = -100
AT_EMPTY_PATH = 0x1000

REFUSED = frozenset({errno.ENOENT, errno.EPERM, errno.EINVAL, errno.ENOSYS})
"""Errors of such a link that may only mean it is not allowed here (a
kernel before 6.10 without the capability, a sandbox's filter): the other
way may still work."""


def _binding():
    """
    @return: libc's C{linkat} through C{ctypes}, or C{None} where it
        cannot be had.
    """
    try:
        function = ctypes.CDLL(None, use_errno=True).linkat
    except (OSError, AttributeError):
        return None
    # No argtypes: every upload to a new name makes this call in the
    # reactor thread, and converting its arguments through them cost more
    # than the rest of the call (docs/benchmark-investigations.rst, "Cheaper ctypes
    # calls"). Without them an int goes as a C int and bytes as a char *,
    # linkat's own types; a str would go as a wchar_t *, which
    # linkEmptyPath refuses.
    function.restype = ctypes.c_int
    return function


_linkat = _binding()


def linkEmptyPath(fd, path, directory=AT_FDCWD):
    """
    Give the file open as C{fd} the name C{path}, unless a file of that
    name exists (blocking).

    @param fd: the file's descriptor.
    @param path: the name, C{bytes}.
    @param directory: a descriptor of the directory C{path} is relative
        to [default: the working directory].
    @return: C{True} once linked; C{False} when this way is not allowed
        or not there (L{REFUSED}, or no C{linkat} to call): nothing was
        done.
    @raise OSError: as C{linkat} fails otherwise (C{FileExistsError} when
        C{path} exists).
    """
    if _linkat is None:
        return False
    if type(path) is not bytes:
        raise TypeError(f"a path given to linkat must be bytes, not"
                        f" {type(path).__name__}")
    if _linkat(fd, b"", directory, path, AT_EMPTY_PATH) == 0:
        return True
    code = ctypes.get_errno()
    if code in REFUSED:
        return False
    raise OSError(code, os.strerror(code), path)

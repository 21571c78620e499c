"""
L{isDirectory}: C{os.path.isdir} without the stat result, for the
realms' check of a home at every login.

C{os.path.isdir} builds an C{os.stat_result} (ten fields, three of them
also as floats and in nanoseconds) to read one bit of it; C{os.access}
of the path with a slash appended, which the kernel resolves only to a
directory (POSIX: a path ending in a slash names a directory), answers
the same with one system call as C{stat}'s one and a fraction of the
instructions (C{docs/benchmark-investigations.rst}, C{bench-login-52c}).
"""

import os

_EFFECTIVE = os.access in os.supports_effective_ids
"""Whether C{os.access} can check with the effective ids, as C{stat}
resolves a path (a server started with C{twistd --euid} keeps another
real user)."""


def isDirectory(path):
    """
    @param path: a path (C{str}, C{bytes} or path-like, as a realm's
        root may be given).
    @return: whether it names a directory (after symbolic links), as
        C{os.path.isdir} says: C{False} for a path that is missing, names
        another kind of file, cannot be resolved by the effective user,
        or holds a NUL.
    """
    if not _EFFECTIVE:
        return os.path.isdir(path)
    path = os.fspath(path)
    slash = b"/" if isinstance(path, bytes) else "/"
    try:
        return os.access(path + slash, os.F_OK, effective_ids=True)
    except ValueError:
        # A NUL in the path, which os.path.isdir answers False.
        return False

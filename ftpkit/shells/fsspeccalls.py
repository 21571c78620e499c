"""
How the fsspec shells make their blocking calls: the pool of threads they
run in (L{defaultPool}), the lock of a filesystem that takes one call at a
time (L{lockFor}), and the reply a failed call becomes (L{translateError}).
"""

import threading
import weakref

from ftpkit.blocking import BlockingPool
from ftpkit.errors import (
    AlreadyExists,
    FTPError,
    InvalidPath,
    IsDirectory,
    LocalError,
    NoSuchFile,
    NotDirectory,
    PermissionDenied,
    fromOSError,
)

POOL_SIZE = 16
"""Blocking calls running at once, for all the shells of one pool: a
store across the network spends most of a call waiting."""


def translateError(error):
    """
    Turn what an fsspec call raised into the L{FTPError} to reply with.

    @param error: the exception.
    @return: an L{FTPError}; an unexpected exception becomes
        L{LocalError}, its text never shown to the client.
    """
    if isinstance(error, FTPError):
        return error
    if isinstance(error, FileNotFoundError):
        return NoSuchFile()
    if isinstance(error, FileExistsError):
        return AlreadyExists()
    if isinstance(error, IsADirectoryError):
        return IsDirectory()
    if isinstance(error, NotADirectoryError):
        return NotDirectory()
    if isinstance(error, PermissionError):
        return PermissionDenied()
    if isinstance(error, UnicodeError):
        return InvalidPath()
    if isinstance(error, OSError) and error.errno is not None:
        return fromOSError(error)
    return LocalError()


_DEFAULT_POOL = None

_LOCKS = weakref.WeakKeyDictionary()
_LOCKS_LOCK = threading.Lock()


def lockFor(fs):
    """
    @param fs: a filesystem whose calls must be made one at a time.
    @return: the lock every shell on C{fs} holds while calling it.
    """
    with _LOCKS_LOCK:
        lock = _LOCKS.get(fs)
        if lock is None:
            lock = _LOCKS[fs] = threading.Lock()
        return lock


def defaultPool():
    """
    @return: the L{BlockingPool} shells use unless given one.
    """
    global _DEFAULT_POOL
    if _DEFAULT_POOL is None:
        _DEFAULT_POOL = BlockingPool("ftpkit-fsspec", size=POOL_SIZE)
    return _DEFAULT_POOL

"""
Changing (or describing) what a resolved path names, without following a
symbolic link that appeared on it since it was resolved (blocking
functions, run in disk threads).

The filesystem shell resolves a path's links and checks that they stay in
its root; what it then finds has no link left in it. A local user who
replaces a directory on that path by a link out of the root before the
change is made would have C{unlink}, C{mkdir}, C{rename}, C{chmod}... act
outside. So the directory holding the entry is opened first with no link
allowed on the way (L{ftpkit.shells.cachedopen.openWithoutLinks}), and
the change is made relative to that descriptor, on the last segment alone
(L{inParent}); a change to the entry itself (its mode, its times) is made
through a descriptor of the entry, opened the same way (L{onItself}); and
what it describes is looked up the same way (L{statOf}).
Where Linux's C{openat2} is missing, the opens follow links as before.
"""

import os
import stat as statModule

from ftpkit.errors import AlreadyExists, IsDirectory
from ftpkit.shells.cachedopen import openWithoutLinks

_O_PATH = getattr(os, "O_PATH", os.O_RDONLY)

_PARENT_FLAGS = (_O_PATH | getattr(os, "O_DIRECTORY", 0)
                 | getattr(os, "O_CLOEXEC", 0))
"""Flags of a directory opened to work in."""

_ITSELF_FLAGS = _O_PATH | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
"""Flags of an entry opened to change it (no read, no side effect of
opening: a FIFO or a device is not opened for I/O)."""

_PROC_FDS = os.path.isdir("/proc/self/fd") and hasattr(os, "O_PATH")
"""Whether an entry opened with C{O_PATH} can be changed through its
C{/proc/self/fd} link (there is no C{fchmod} on such a descriptor)."""


def inParent(path, call):
    """
    Call C{call} with the last segment of C{path} and a descriptor of the
    directory holding it.

    @param path: a resolved path, C{bytes}, absolute.
    @param call: called as C{call(name, directoryDescriptor)}.
    @return: what C{call} returns.
    @raise OSError: when the directory cannot be opened (C{ELOOP} when a
        link is on the way now), or as C{call} raises it.
    """
    directory, _, name = path.rpartition(b"/")
    fd = openWithoutLinks(directory or b"/", _PARENT_FLAGS)
    try:
        return call(name, fd)
    finally:
        os.close(fd)


def inParents(source, target, call):
    """
    L{inParent} for two paths at once (a rename).

    @param source: a resolved path, C{bytes}, absolute.
    @param target: another.
    @param call: called as C{call(sourceName, sourceDirectory,
        targetName, targetDirectory)}.
    @return: what C{call} returns.
    """
    return inParent(source, lambda sourceName, sourceFd: inParent(
        target, lambda targetName, targetFd: call(
            sourceName, sourceFd, targetName, targetFd)))


def onItself(path, call):
    """
    Call C{call} with a path naming what C{path} names now, through a
    descriptor opened with no link on the way (C{path} itself where that
    cannot be done).

    @param path: a resolved path, C{bytes}, absolute.
    @param call: called as C{call(path)}; it may follow that path.
    @return: what C{call} returns.
    """
    if not _PROC_FDS:
        return call(path)
    fd = openWithoutLinks(path, _ITSELF_FLAGS)
    try:
        return call(b"/proc/self/fd/%d" % (fd,))
    finally:
        os.close(fd)


def statOf(path):
    """
    The C{os.stat} of what a resolved path names now, looked up with no
    link on the way: a link put there since it was resolved gives
    C{ELOOP} rather than what it leads to (C{os.stat} itself where
    C{O_PATH} is missing, since opening could have side effects).

    @param path: a resolved path, C{bytes}, absolute.
    @return: its C{os.stat_result}.
    @raise OSError: as C{os.stat} would, and C{ELOOP} when a symbolic
        link is on the way.
    """
    if not hasattr(os, "O_PATH"):
        return os.stat(path)
    fd = openWithoutLinks(path, _ITSELF_FLAGS)
    try:
        return os.fstat(fd)
    finally:
        os.close(fd)


def unlinkFile(name, directory):
    """
    Remove a directory's entry that is not a directory.

    @param name: the entry's name, C{bytes}.
    @param directory: a descriptor of the directory.
    @raise IsDirectory: for a directory.
    """
    if statModule.S_ISDIR(os.stat(name, dir_fd=directory,
                                  follow_symlinks=False).st_mode):
        raise IsDirectory()
    os.unlink(name, dir_fd=directory)


def renameEntry(sourceName, sourceDirectory, targetName, targetDirectory):
    """
    Rename a directory's entry, unless that would replace a directory
    (other than itself: a rename to its own name).

    @param sourceName: the entry's name, C{bytes}.
    @param sourceDirectory: a descriptor of its directory.
    @param targetName: the new name, C{bytes}.
    @param targetDirectory: a descriptor of the new name's directory.
    @raise AlreadyExists: when a directory has the new name.
    """
    sourceStat = os.stat(sourceName, dir_fd=sourceDirectory,
                         follow_symlinks=False)
    try:
        targetStat = os.stat(targetName, dir_fd=targetDirectory,
                             follow_symlinks=False)
    except FileNotFoundError:
        targetStat = None
    if (
        targetStat is not None
        and statModule.S_ISDIR(targetStat.st_mode)
        and not os.path.samestat(targetStat, sourceStat)
    ):
        raise AlreadyExists()
    os.rename(sourceName, targetName, src_dir_fd=sourceDirectory,
              dst_dir_fd=targetDirectory)

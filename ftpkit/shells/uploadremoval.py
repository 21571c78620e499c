"""
Removing the hidden files of uploads (blocking functions, run in disk
threads): one that may be gone already (L{removeQuietly}), a partial upload
only while it is still the file that was looked at (L{removeSeen}), and
giving a file taken away from its name that name back (L{putBack}).
L{ftpkit.shells.anonymousfiles}, L{ftpkit.shells.partials},
L{ftpkit.shells.partialsweep}, L{ftpkit.shells.directoryremoval} and
L{ftpkit.shells.diskwriter} share them.
"""

import os

from ftpkit.shells.uploadnames import temporaryName


def removeQuietly(path, directory=None):
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


def removeSeen(path, seen):
    """
    Remove the file at C{path} if it is still the one C{seen}: another
    session's cut upload kept under that name since it was looked at
    (L{ftpkit.shells.partials.keepPartial} replaces it) stays. The file is
    taken away from the name first (renamed to a name of this process's),
    which only one process can do, and looked at there.

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
        putBack(taken, path)
        return False
    removeQuietly(taken)
    return True


def putBack(taken, path, takenIn=None, pathIn=None):
    """
    Give a file taken by L{removeSeen} that was not the one it looked at
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
    removeQuietly(taken, takenIn)

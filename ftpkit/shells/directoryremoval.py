"""
C{RMD} of a directory that holds partial uploads (blocking, run in a
disk thread): L{removeDirectoryAt} removes them with it when they are
all it holds, having moved them out of it first (L{_moveOut}), so that
anything appearing in it meanwhile keeps them all there.
"""

import errno
import os
import stat

from ftpkit.fileinfo import HiddenEntries
from ftpkit.shells.uploadlocks import mayRemoveDirectory
from ftpkit.shells.uploadnames import PARTIAL_PREFIX, temporaryName
from ftpkit.shells.uploadremoval import putBack, removeQuietly


def removeDirectoryAt(name, parent):
    """
    Remove a directory (blocking), and with it the partial uploads kept
    in it when they are all it holds: listings leave them out, so a
    client sees an empty directory, and its C{RMD} (lftp's C{rm -r},
    rclone's C{purge}) failed with "Directory not empty" for a day after
    an upload into it was cut. A running upload's temporary file, a new
    file's upload still without a name
    (L{ftpkit.shells.anonymousfiles.createAnonymous}), or anything else,
    keeps the directory (and its partial uploads) there.

    The partial uploads are moved out of it (L{_moveOut}) before it is
    removed, and removed only once it is: anything that appears in it
    meanwhile (a resume takes one of them) keeps them all there. They
    were removed first, and a resume of one made the removal of the
    directory fail after the others were gone.

    @param name: the directory's name, C{bytes}.
    @param parent: a descriptor of the directory holding it.
    @return: how many partial uploads went with it, a
        L{HiddenEntries} telling their bytes too.
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
                putBack(taken, partial, parent, fd)
            raise
    finally:
        os.close(fd)
    size = 0
    for _, taken in moved:
        size += _sizeOf(taken, parent)
        removeQuietly(taken, parent)
    return HiddenEntries(len(moved), size)


def _sizeOf(name, directory):
    """
    @param name: a file's name in C{directory}.
    @param directory: a descriptor of a directory.
    @return: its bytes, 0 when it is gone (or not a regular file).
    """
    try:
        result = os.lstat(name, dir_fd=directory)
    except FileNotFoundError:
        return 0
    return result.st_size if stat.S_ISREG(result.st_mode) else 0


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
            putBack(taken, partial, parent, directory)
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

"""
The room left on the file system holding a directory, for C{AVBL}
(L{ftpkit.interfaces.IFTPShellAvailable}): a blocking call, run in a disk
thread.
"""

import os
import stat

from ftpkit.errors import NotDirectory
from ftpkit.shells import linkfree


def spaceLeft(path):
    """
    Measure the bytes an unprivileged user may still write on the file
    system of a directory (C{statvfs}'s C{f_bavail} blocks; none on a file
    system mounted read-only, which still counts its free blocks), looking
    the directory up with no link on the way (L{linkfree.statOf}'s rule).

    @param path: a resolved path, C{bytes}, absolute.
    @return: the bytes, an C{int}.
    @raise NotDirectory: when C{path} is not a directory.
    @raise OSError: as C{os.stat} would, and C{ELOOP} when a link is now
        on the way.
    """
    def measure(itself):
        if not stat.S_ISDIR(os.stat(itself).st_mode):
            raise NotDirectory()
        result = os.statvfs(itself)
        if result.f_flag & os.ST_RDONLY:
            return 0
        return result.f_bavail * result.f_frsize

    return linkfree.onItself(path, measure)

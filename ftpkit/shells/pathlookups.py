"""
What is at a path of a shell, where there may be nothing: the lookups
L{ftpkit.shells.permissions} and L{ftpkit.shells.quotaaccount} make
before a change.
"""

from ftpkit.errors import NoSuchFile


def statOrNone(shell, path):
    """
    @param shell: an L{ftpkit.interfaces.IFTPShell}.
    @param path: a path of C{shell}.
    @return: a Deferred firing with the L{ftpkit.fileinfo.FileInfo} of
        C{path}, or C{None} when there is nothing there.
    """
    return shell.stat(path).addErrback(_noneIfMissing)


def sizeOf(shell, path):
    """
    @param shell: an L{ftpkit.interfaces.IFTPShell}.
    @param path: a path of C{shell}.
    @return: a Deferred firing with the size of the file at C{path}, or 0
        when there is none (or it is a directory).
    """
    return statOrNone(shell, path).addCallback(
        lambda info: info.size if info is not None and info.isFile else 0)


def _noneIfMissing(failure):
    """
    @param failure: the L{Failure} of a C{stat}.
    @return: C{None} for L{NoSuchFile}; any other failure is passed on.
    """
    failure.trap(NoSuchFile)
    return None

"""
What is at a path of a shell, where there may be nothing: the lookups
L{ftpkit.shells.permissions} and L{ftpkit.shells.quotaaccount} make
before a change.
"""

from twisted.internet.defer import inlineCallbacks

from ftpkit.errors import NoSuchFile
from ftpkit.interfaces import IFTPShellResolve


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


@inlineCallbacks
def ownSizeOf(shell, path):
    """
    The bytes the entry at C{path} itself holds, as the quota counts them
    (L{ftpkit.shells.quotas.diskFootprint}: regular files only, links
    not followed): a symbolic link holds none, whatever it leads to.
    L{IFTPShell.stat} follows a link, so where the shell has links
    (L{IFTPShellResolve}) the path is resolved with and without its last
    segment followed: they differ for a link. Removing a link to a large
    file counted the file's bytes freed, which then let the quota be
    exceeded by that much.

    @param shell: an L{ftpkit.interfaces.IFTPShell}.
    @param path: a path of C{shell}.
    @return: a Deferred firing with that size: 0 for a link, for nothing
        there or for a directory, else L{sizeOf}.
    """
    if path and IFTPShellResolve.providedBy(shell):
        parent = yield shell.resolve(path[:-1])
        whole = yield shell.resolve(path)
        if parent is not None and whole != parent + (path[-1],):
            return 0
    return (yield sizeOf(shell, path))

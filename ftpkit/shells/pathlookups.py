"""
What is at a path of a shell, where there may be nothing: the lookups
L{ftpkit.shells.permissions} and L{ftpkit.shells.quotaaccount} make
before a change, and those of C{MLST} and C{RNFR}, which find a link
the shell does not follow as itself (L{entryStat}).
"""

from twisted.internet.defer import inlineCallbacks

from ftpkit.errors import NoSuchFile, PermissionDenied
from ftpkit.fileinfo import LINK, FileInfo
from ftpkit.interfaces import IFTPShellListSome, IFTPShellResolve


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
def ownStatOrNone(shell, path):
    """
    The entry at C{path} itself, as the quota counts it
    (L{ftpkit.shells.quotas.diskFootprint}: links not followed): a
    symbolic link is an entry of no bytes, whatever it leads to.
    L{IFTPShell.stat} follows a link, so where the shell has links
    (L{IFTPShellResolve}) the path is resolved with and without its last
    segment followed: they differ for a link (one leading nowhere too).
    A link in the middle of the path is followed: a file reached through
    a linked directory is that file. Removing or renaming a link to a
    large file counted the file's bytes as gone or moved, which then let
    a quota be exceeded by that much.

    @param shell: an L{ftpkit.interfaces.IFTPShell}.
    @param path: a path of C{shell}.
    @return: a Deferred firing with the L{ftpkit.fileinfo.FileInfo} of
        C{path} (one of kind L{LINK} and no bytes for a link), or C{None}
        when there is nothing there.
    """
    if path and IFTPShellResolve.providedBy(shell):
        parent = yield shell.resolve(path[:-1])
        whole = yield shell.resolve(path)
        if parent is not None and whole != parent + (path[-1],):
            return FileInfo(LINK)
    return (yield statOrNone(shell, path))


def ownSizeOf(shell, path):
    """
    @param shell: an L{ftpkit.interfaces.IFTPShell}.
    @param path: a path of C{shell}.
    @return: a Deferred firing with the bytes the entry at C{path} itself
        holds (L{ownStatOrNone}): 0 for a link, for nothing there or for
        a directory, else its size.
    """
    return ownStatOrNone(shell, path).addCallback(
        lambda info: info.size if info is not None and info.isFile else 0)


@inlineCallbacks
def unfollowedLink(shell, path, turn=None):
    """
    The entry at C{path} when it is a symbolic link the shell does not
    follow (leading nowhere, in a loop, out of the root), which
    L{IFTPShell.stat} refuses, as it follows the link: C{MLST} of such a
    link got C{550} though C{MLSD} lists it. A path is a link where it
    resolves (L{IFTPShellResolve}) elsewhere than its parent's resolved
    path and its name, as in L{ownStatOrNone}; only then is the link's
    entry looked for in its parent: described alone where the shell can
    (L{IFTPShellListSome}), else from the parent's whole listing. A
    listing of the whole directory for each C{MLST} of a link (100,000
    entries: 4.1 s of the server's work) let a client pipelining them
    keep the server busy at will (the thirty-fourth attack sweep).

    @param shell: an L{ftpkit.interfaces.IFTPShell}.
    @param path: a path of C{shell}.
    @param turn: called with a function and its arguments, runs it in
        the client's turn at listings
        (L{ftpkit.control.turns.Turn.call}); or C{None} to run it
        at once.
    @return: a Deferred firing with the L{ftpkit.fileinfo.FileInfo} of
        kind L{LINK} its parent's listing gives it, or C{None}.
    """
    if not path or not IFTPShellResolve.providedBy(shell):
        return None
    parent = yield shell.resolve(path[:-1])
    whole = yield shell.resolve(path)
    if parent is None or whole == parent + (path[-1],):
        return None
    if turn is None:
        turn = _now
    if IFTPShellListSome.providedBy(shell):
        entries = yield turn(shell.listSome, path[:-1], [path[-1]])
    else:
        entries = yield turn(shell.list, path[:-1])
    for name, info in entries:
        if name == path[-1] and info.kind == LINK:
            return info
    return None


@inlineCallbacks
def entryStat(shell, path, turn=None):
    """
    What is at C{path}, as C{MLST} describes it and C{RNFR} finds it:
    what L{IFTPShell.stat} gives, or, for a symbolic link the shell does
    not follow (which C{stat} refuses, as it would follow it), the link
    itself (L{unfollowedLink}).

    @param shell: an L{ftpkit.interfaces.IFTPShell}.
    @param path: a path of C{shell}.
    @param turn: as L{unfollowedLink} takes it.
    @return: a Deferred firing with the L{ftpkit.fileinfo.FileInfo}, or
        failing as C{stat} failed where there is no such link.
    """
    try:
        return (yield shell.stat(path))
    except (NoSuchFile, PermissionDenied) as error:
        info = yield unfollowedLink(shell, path, turn)
        if info is None:
            raise error
        return info


def _now(function, *args):
    """
    @return: C{function(*args)}: a call made without waiting for a turn.
    """
    return function(*args)

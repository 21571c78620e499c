"""
L{NestedChanges}: what a L{ftpkit.shells.permissions.PermissionShell}
tells the other quotas that may count its paths (homes nested in one
another: L{ftpkit.shells.nestedquotas}) of each change it makes, with the
bytes and entries it added or took away where they are known (a file
removed, an upload ended, a file renamed), so that those quotas count
them instead of measuring their homes again; where they are not (a
directory renamed, a change through a symbolic link), the quotas are
measured again.
"""

from twisted.internet import defer

from ftpkit.fileinfo import StorageChange
from ftpkit.interfaces import (
    IAccountedWriteFile,
    IFTPShellResolve,
    IFTPShellResume,
)
from ftpkit.shells.uploadends import ThenFinished

UNKNOWN = object()
"""What was at an upload's target before it, when not known (a resume
may continue a cut upload rather than the file there)."""


def fileChange(info, sign=1):
    """
    @param info: a L{ftpkit.fileinfo.FileInfo}, or C{None}.
    @param sign: 1 for an entry that appeared, -1 for one that went.
    @return: the L{StorageChange} of that entry appearing or going (its
        bytes, where it is a regular file); none for C{None}.
    """
    if info is None:
        return StorageChange(0, 0)
    size = info.size if info.isFile else 0
    return StorageChange(sign * size, sign)


def added(*changes):
    """
    @param changes: L{StorageChange}s, or C{None}s (not known).
    @return: their sum, or C{None} when any is not known.
    """
    if None in changes:
        return None
    return StorageChange(sum(each.bytes for each in changes),
                         sum(each.files for each in changes))


class NestedChanges:
    """
    A session's changes, told to its L{ftpkit.shells.nestedquotas.Neighbours}.
    """

    def __init__(self, shell, neighbours, exact=True):
        """
        @param shell: the wrapped L{ftpkit.interfaces.IFTPShell}.
        @param neighbours: the session's
            L{ftpkit.shells.nestedquotas.Neighbours}, or C{None}.
        @param exact: whether a change's bytes and entries are what the
            quotas count (not where entries cost bytes of their own, their
            keys: those quotas are measured again).
        """
        self._shell = shell
        self._neighbours = neighbours
        self._exact = exact

    @property
    def nested(self):
        """
        Whether the session's changes may touch other quotas.
        """
        neighbours = self._neighbours
        return neighbours is not None and neighbours.nested

    def touched(self, path, change=None):
        """
        Tell the other quotas that may count C{path} that it changed, by
        C{change}: at C{path} and, where the wrapped shell has symbolic
        links (L{IFTPShellResolve}) and the session's home holds another
        quota's, where it leads (a path gone leads where its directory
        does). Through a link, or with keys that cost bytes, those quotas
        are measured again.

        @param path: a path of the session.
        @param change: a L{StorageChange}, or C{None} when not known.
        @return: C{None}, or a Deferred firing once told.
        """
        if not self.nested:
            return None
        neighbours = self._neighbours
        if not self._exact:
            change = None
        if not (path and neighbours.holdsOthers
                and IFTPShellResolve.providedBy(self._shell)):
            neighbours.touched(path, change)
            return None

        def resolved(leads):
            if leads is not None and tuple(leads) != path:
                neighbours.touched(path)
                neighbours.touched(tuple(leads))
            else:
                neighbours.touched(path, change)

        return self._shell.resolve(path).addCallbacks(
            resolved, lambda failure: neighbours.touched(path))

    def before(self, path, inPlace, found=UNKNOWN):
        """
        What is at an upload's target before it opens.

        @param path: the target.
        @param inPlace: whether it appends or resumes, which may continue
            a cut upload the shell kept (L{IFTPShellResume}) rather than
            the file there.
        @param found: its L{ftpkit.fileinfo.FileInfo} or C{None}, when
            looked at already.
        @return: a Deferred firing with it, or with L{UNKNOWN}.
        """
        if not self.nested or (
                inPlace and IFTPShellResume.providedBy(self._shell)):
            return defer.succeed(UNKNOWN)
        if found is not UNKNOWN:
            return defer.succeed(found)
        return self._shell.stat(path).addErrback(lambda failure: None)

    def watched(self, path, writeFile, before):
        """
        @param path: where an upload goes.
        @param writeFile: the upload.
        @param before: what L{before} gave.
        @return: C{writeFile}, telling the other quotas that may count
            C{path} what it changed once it ends.
        """
        if not self.nested:
            return writeFile

        def ended(committed):
            if not committed:
                left = None
                if IAccountedWriteFile.providedBy(writeFile):
                    left = writeFile.leftBehind()
                return self.touched(path, left)
            if before is UNKNOWN:
                return self.touched(path)
            return self._shell.stat(path).addCallbacks(
                lambda after: added(fileChange(after),
                                    fileChange(before, -1)),
                lambda failure: None).addCallback(
                lambda change: self.touched(path, change))

        return ThenFinished(writeFile, ended)

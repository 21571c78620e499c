"""
L{PermissionShell}: a shell wrapper enforcing per-user permissions (per
directory where given) and a byte quota, for virtual users
(L{ftpkit.auth.users}).

Each L{ftpkit.interfaces.IFTPShell} method needs one permission on the
path it touches:

    - C{list}: L{stat} (C{read} also allows it) and L{list};
    - C{read}: L{openForReading} and L{hash};
    - C{write}: L{openForWriting} of a new file or one it replaces;
    - C{append}: L{openForWriting} with C{append} or an C{offset} (REST);
    - C{delete}: L{removeFile} and L{removeDirectory};
    - C{rename}: L{rename}, on both paths;
    - C{mkdir}: L{makeDirectory};
    - C{set-time}: L{setModificationTime};
    - C{chmod}: L{setPermissions} (C{SITE CHMOD}).

A missing permission is L{PermissionDenied}. The quota counts the bytes of
the user's files (L{QuotaUsage}) plus those being uploaded; an upload
going past it is discarded and its L{IWriteFile.close} fails with
L{QuotaExceeded} (C{552}).
"""

from twisted.internet import defer

from ftpkit.errors import NoSuchFile, PermissionDenied
from ftpkit.interfaces import IRandomWriteFile
from ftpkit.protocol import paths
from ftpkit.shells.quotas import (
    QuotaRandomWriteFile,
    QuotaUsage,  # noqa: F401 (importable from here, as before quotas.py)
    QuotaWriteFile,
    diskUsage,  # noqa: F401 (likewise)
)
from ftpkit.shells.wrappers import ShellWrapper

PERMISSIONS = (
    "list", "read", "write", "append", "delete", "rename", "mkdir",
    "set-time", "chmod",
)
"""Every permission name, in the order documentation shows them."""


class PermissionTable:
    """
    The permissions of one user: a default set and overrides for
    directories, the longest matching directory winning.

    @ivar default: the C{frozenset} of permissions outside any override.
    @ivar overrides: C{(path, frozenset)} pairs, longest path first.
    """

    def __init__(self, default, overrides=()):
        """
        @param default: an iterable of permission names.
        @param overrides: a mapping or pairs of directory path (a tuple of
            segments) to an iterable of permission names.
        """
        self.default = frozenset(default)
        pairs = overrides.items() if hasattr(overrides, "items") else overrides
        self.overrides = tuple(sorted(
            ((tuple(path), frozenset(names)) for path, names in pairs),
            key=lambda pair: -len(pair[0]),
        ))

    def permissionsAt(self, path):
        """
        @param path: a tuple of segments.
        @return: the C{frozenset} of permissions that apply at C{path}.
        """
        for directory, names in self.overrides:
            if paths.isWithin(path, directory):
                return names
        return self.default

    def allows(self, path, permission):
        """
        @param path: a tuple of segments.
        @param permission: a name from L{PERMISSIONS}.
        @return: whether C{permission} is granted at C{path}.
        """
        return permission in self.permissionsAt(path)


class PermissionShell(ShellWrapper):
    """
    A shell allowing each operation only where the user has its
    permission, and uploads only within a quota.

    Provides each optional extra (L{ftpkit.interfaces.IFTPShellHash},
    L{ftpkit.interfaces.IFTPShellNames},
    L{ftpkit.interfaces.IFTPShellChmod}) exactly when the wrapped shell
    does (see L{ShellWrapper}).
    """

    def __init__(self, shell, table, quota=None, usage=None):
        """
        @param shell: the L{ftpkit.interfaces.IFTPShell} to wrap.
        @param table: the user's L{PermissionTable}.
        @param quota: the most bytes the user may store, or C{None}.
        @param usage: the L{QuotaUsage} of the user's files (required
            with a C{quota}).
        """
        if quota is not None and usage is None:
            raise ValueError("a quota needs a QuotaUsage")
        ShellWrapper.__init__(self, shell)
        self._table = table
        self._quota = quota
        self._usage = usage

    def _check(self, permission, *pathList):
        """
        @raise PermissionDenied: unless C{permission} is granted at every
            path.
        """
        for path in pathList:
            if not self._table.allows(path, permission):
                raise PermissionDenied()

    def _sizeOf(self, path):
        """
        @return: a Deferred firing with the size of the file at C{path},
            or 0 when there is none (or it is a directory).
        """
        d = self._shell.stat(path)
        d.addCallbacks(lambda info: info.size if info.isFile else 0,
                       _zeroIfMissing)
        return d

    def stat(self, path):
        """
        See L{IFTPShell.stat}: needs C{list} or C{read}.
        """
        permissions = self._table.permissionsAt(path)
        if "list" not in permissions and "read" not in permissions:
            return defer.fail(PermissionDenied())
        return self._shell.stat(path)

    def list(self, path):
        """
        See L{IFTPShell.list}: needs C{list}.
        """
        return defer.maybeDeferred(self._check, "list", path).addCallback(
            lambda _: self._shell.list(path))

    def listNames(self, path):
        """
        See L{IFTPShellNames.listNames}: needs C{list} (only provided when
        the wrapped shell provides it).
        """
        return defer.maybeDeferred(self._check, "list", path).addCallback(
            lambda _: self._shell.listNames(path))

    def openListing(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellStreamedListing.openListing}:
        needs C{list} (only provided when the wrapped shell provides it).
        """
        return defer.maybeDeferred(self._check, "list", path).addCallback(
            lambda _: self._shell.openListing(path))

    def openForReading(self, path, offset=0):
        """
        See L{IFTPShell.openForReading}: needs C{read}.
        """
        return defer.maybeDeferred(self._check, "read", path).addCallback(
            lambda _: self._shell.openForReading(path, offset))

    def hash(self, path, algorithm, start=0, end=None):
        """
        See L{IFTPShellHash.hash}: needs C{read} (only provided when the
        wrapped shell provides it).
        """
        return defer.maybeDeferred(self._check, "read", path).addCallback(
            lambda _: self._shell.hash(path, algorithm, start, end))

    def makeDirectory(self, path):
        """
        See L{IFTPShell.makeDirectory}: needs C{mkdir}.
        """
        return defer.maybeDeferred(self._check, "mkdir", path).addCallback(
            lambda _: self._shell.makeDirectory(path))

    def removeDirectory(self, path):
        """
        See L{IFTPShell.removeDirectory}: needs C{delete}.
        """
        return defer.maybeDeferred(self._check, "delete", path).addCallback(
            lambda _: self._shell.removeDirectory(path))

    @defer.inlineCallbacks
    def removeFile(self, path):
        """
        See L{IFTPShell.removeFile}: needs C{delete}; frees quota.
        """
        self._check("delete", path)
        size = (yield self._sizeOf(path)) if self._quota is not None else 0
        yield self._shell.removeFile(path)
        if self._quota is not None:
            self._usage.adjust(-size)

    @defer.inlineCallbacks
    def rename(self, fromPath, toPath):
        """
        See L{IFTPShell.rename}: needs C{rename} at both paths; a replaced
        target file frees quota.
        """
        self._check("rename", fromPath, toPath)
        replaced = (yield self._sizeOf(toPath)) if self._quota is not None else 0
        yield self._shell.rename(fromPath, toPath)
        if self._quota is not None:
            self._usage.adjust(-replaced)

    def setModificationTime(self, path, when):
        """
        See L{IFTPShell.setModificationTime}: needs C{set-time}.
        """
        return defer.maybeDeferred(self._check, "set-time", path).addCallback(
            lambda _: self._shell.setModificationTime(path, when))

    def setPermissions(self, path, mode):
        """
        See L{ftpkit.interfaces.IFTPShellChmod.setPermissions}: needs
        C{chmod} (only provided when the wrapped shell provides it).
        """
        return defer.maybeDeferred(self._check, "chmod", path).addCallback(
            lambda _: self._shell.setPermissions(path, mode))

    @defer.inlineCallbacks
    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}: needs C{append} to append or
        resume (C{offset > 0}), C{write} otherwise. With a quota, the
        L{IWriteFile} counts the bytes and refuses to go past it.
        """
        inPlace = bool(append or offset)
        self._check("append" if inPlace else "write", path)
        if self._quota is None:
            return (yield self._shell.openForWriting(path, offset, append))
        yield self._usage.current()
        oldSize = yield self._sizeOf(path)
        if append:
            kept = oldSize
        else:
            kept = min(offset, oldSize)
        writeFile = yield self._shell.openForWriting(path, offset, append)
        quotaFile = (QuotaRandomWriteFile
                     if IRandomWriteFile.providedBy(writeFile)
                     else QuotaWriteFile)
        return quotaFile(writeFile, self._usage, self._quota, oldSize, kept,
                         inPlace)


def _zeroIfMissing(failure):
    """
    @param failure: the L{Failure} of a C{stat}.
    @return: 0 for L{NoSuchFile}; any other failure is passed on.
    """
    failure.trap(NoSuchFile)
    return 0

"""
L{PermissionShell}: a shell wrapper enforcing per-user permissions (per
directory where given), a byte quota and a file quota, for virtual users
(L{ftpkit.auth.users}).

Each L{ftpkit.interfaces.IFTPShell} method needs one permission on the
path it touches:

    - C{list}: L{stat} (C{read} also allows it) and L{list};
    - C{read}: L{openForReading} and L{hash};
    - C{write}: L{openForWriting} of a new file or one it replaces;
    - C{append}: L{openForWriting} with C{append} or an C{offset} (REST);
    - C{delete}: L{removeFile} and L{removeDirectory};
    - C{rename}: L{rename}, on both paths (and neither may be above a
      directory that has permissions of its own);
    - C{mkdir}: L{makeDirectory};
    - C{set-time}: L{setModificationTime};
    - C{chmod}: L{setPermissions} (C{SITE CHMOD}).

A missing permission is L{PermissionDenied}. Where the table has
permissions per directory and the wrapped shell has symbolic links
(L{ftpkit.interfaces.IFTPShellResolve}), the permission must be granted
where a path leads too: a link in C{/incoming} (writable) to C{/docs}
(read-only) does not make C{/docs} writable. The quota counts the bytes of
the user's files (L{QuotaUsage}) plus those being uploaded; an upload
going past it is discarded and its L{IWriteFile.close} fails with
L{QuotaExceeded} (C{552}). The file quota counts the user's files and
directories (each takes an inode, and a home full of empty ones exhausts
a disk's inodes as surely as bytes fill it) plus those being made: a new
file past it is refused before it is opened (L{FileQuotaExceeded},
C{552}), a new directory likewise (L{DirectoryOverFileQuota}, C{550}).
Where the store keeps a key per entry that takes memory of its own
(fsspec's C{memory://} keeps each entry's full path), each entry's key
counts towards the byte quota too (C{entryBytes}): a new file or directory
whose key does not fit is refused as one past the file quota is, and a
rename that lengthens the keys past the quota is refused before anything
is renamed (L{QuotaExceeded}): the bytes it adds are reserved as an
upload's are, so that two sessions renaming at once cannot both pass.
Where other users' quotas count the paths it changes (homes nested in
one another), it tells them (C{neighbours},
L{ftpkit.shells.nestedquotas}). The counting itself is its
L{ftpkit.shells.quotaaccount.QuotaAccount}'s; the checks of the table, at
a path and where it leads, are L{ftpkit.shells.permissionchecks}'s.
"""

from twisted.internet import defer
from zope.interface import implementer

from ftpkit.errors import (  # noqa: F401 (importable from here, as before)
    DirectoryOverFileQuota,
    FileQuotaExceeded,
    NoSuchFile,
    PermissionDenied,
    QuotaExceeded,
)
from ftpkit.fileinfo import HiddenEntries, StorageChange
from ftpkit.interfaces import (
    IFTPShellPermitted,
    IFTPShellResolve,
    IRandomWriteFile,  # noqa: F401 (importable from here, as before)
)
from ftpkit.shells.nestedchanges import NestedChanges, added, fileChange
from ftpkit.shells.pathlookups import ownSizeOf, ownStatOrNone, statOrNone
from ftpkit.shells.permissionchecks import PermissionChecks
from ftpkit.shells.permissiontable import (  # noqa: F401 (importable from here)
    PERMISSIONS,
    PermissionTable,
)
from ftpkit.shells.quotaaccount import QuotaAccount
from ftpkit.shells.quotareads import (  # noqa: F401 (importable from here)
    ReleasingReadFile,
)
from ftpkit.shells.quotas import (
    QuotaUsage,  # noqa: F401 (importable from here, as before quotas.py)
    diskUsage,  # noqa: F401 (likewise)
)
from ftpkit.shells.quotauploads import (  # noqa: F401 (importable from here)
    QuotaRandomWriteFile,
    QuotaWriteFile,
    settleEntryBytes,
)
from ftpkit.shells.wrappers import ShellWrapper


@implementer(IFTPShellPermitted)
class PermissionShell(PermissionChecks, ShellWrapper):
    """
    A shell allowing each operation only where the user has its
    permission, and uploads and new directories only within its quotas.

    Provides each optional extra (L{ftpkit.interfaces.IFTPShellHash},
    L{ftpkit.interfaces.IFTPShellNames},
    L{ftpkit.interfaces.IFTPShellChmod}) exactly when the wrapped shell
    does (see L{ShellWrapper}); L{IFTPShellPermitted} always, from the
    permissions.
    """

    copiedForResumer = True
    """Its state is shared by reference or per session (L{forResumer})."""

    def __init__(self, shell, table, quota=None, usage=None, fileQuota=None,
                 where=(), entryBytes=None, entriesBelow=None,
                 neighbours=None, reclaim=None):
        """
        @param shell: the L{ftpkit.interfaces.IFTPShell} to wrap.
        @param table: the user's L{PermissionTable}.
        @param quota: the most bytes the user may store, or C{None}.
        @param usage: the L{QuotaUsage} of the user's files (required
            with a C{quota} or a C{fileQuota}).
        @param fileQuota: the most files and directories the user may
            store, or C{None}.
        @param where: where this shell's C{/} is in the home C{usage}
            measures (a tuple of segments): a usage shared by shells of
            several homes tells their files apart by it.
        @param entryBytes: gives the bytes an entry costs besides its
            content (the key the store keeps for it), from its path as
            C{usage}'s home names it, or C{None} when entries cost nothing
            but their count; C{usage} must count them likewise.
        @param entriesBelow: with C{entryBytes}: gives a Deferred firing
            with the number of entries a directory's rename changes the
            keys of (itself and everything below it), from its path as
            C{usage}'s home names it.
        @param neighbours: the L{ftpkit.shells.nestedquotas.Neighbours}
            to tell of each change, where other quotas may count its
            paths, or C{None}.
        @param reclaim: drops the oldest cut upload the quota counts, for
            room, before anything is refused for want of it, or C{None}
            (see L{QuotaAccount}).
        """
        limited = quota is not None or fileQuota is not None
        if limited and usage is None:
            raise ValueError("a quota needs a QuotaUsage")
        if (entryBytes is None) != (entriesBelow is None):
            raise ValueError("entryBytes and entriesBelow go together")
        ShellWrapper.__init__(self, shell)
        self._table = table
        self._account = (QuotaAccount(shell, usage, quota, fileQuota, where,
                                      entryBytes, entriesBelow, reclaim)
                         if limited else None)
        self._changes = NestedChanges(shell, neighbours,
                                      exact=entryBytes is None)
        self._resolves = (bool(table.overrides)
                          and IFTPShellResolve.providedBy(shell))

    def stat(self, path):
        """
        See L{IFTPShell.stat}: needs C{list} or C{read}.
        """
        path = self._guarded(path, self._mayLook)
        return self._checked(self._mayLook, [path],
                             lambda: self._shell.stat(path))

    def writtenInPlace(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellUploadsInPlace.writtenInPlace}:
        needs what L{stat} needs (only provided when the wrapped shell
        provides it).
        """
        path = self._guarded(path, self._mayLook)
        return self._checked(self._mayLook, [path],
                             lambda: self._shell.writtenInPlace(path))

    @defer.inlineCallbacks
    def available(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellAvailable.available}: needs what
        L{stat} needs (only provided when the wrapped shell provides it);
        none where the user may neither C{write} nor C{append}; with a
        byte quota, no more than the quota leaves (the bytes stored and
        those of uploads in progress taken off), if that is less.
        """
        yield self._checked(self._mayLook, [path])
        permissions = self._table.permissionsAt(path)
        if "write" not in permissions and "append" not in permissions:
            return 0
        room = yield self._shell.available(path)
        if self._account is not None:
            room = yield self._account.room(room)
        return room

    def list(self, path):
        """
        See L{IFTPShell.list}: needs C{list}.
        """
        path = self._guarded(path, self._allows("list"))
        return self._checked(self._allows("list"), [path],
                             lambda: self._shell.list(path))

    def listNames(self, path):
        """
        See L{IFTPShellNames.listNames}: needs C{list} (only provided when
        the wrapped shell provides it).
        """
        path = self._guarded(path, self._allows("list"))
        return self._checked(self._allows("list"), [path],
                             lambda: self._shell.listNames(path))

    def listSome(self, path, names):
        """
        See L{ftpkit.interfaces.IFTPShellListSome.listSome}: needs C{list}
        (only provided when the wrapped shell provides it).
        """
        path = self._guarded(path, self._allows("list"))
        return self._checked(self._allows("list"), [path],
                             lambda: self._shell.listSome(path, names))

    def openListing(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellStreamedListing.openListing}:
        needs C{list} (only provided when the wrapped shell provides it).
        """
        path = self._guarded(path, self._allows("list"))
        return self._checked(self._allows("list"), [path],
                             lambda: self._shell.openListing(path))

    @defer.inlineCallbacks
    def openForReading(self, path, offset=0):
        """
        See L{IFTPShell.openForReading}: needs C{read}. With a quota, the
        file counts until the download is closed, even once it is no
        longer in place (L{ftpkit.shells.quotareads}).
        """
        path = self._guarded(path, self._allows("read"))
        yield self._checked(self._allows("read"), [path])
        readFile = yield self._shell.openForReading(path, offset)
        if self._account is None:
            return readFile
        return self._account.reading(path, offset, readFile)

    def hash(self, path, algorithm, start=0, end=None):
        """
        See L{IFTPShellHash.hash}: needs C{read} (only provided when the
        wrapped shell provides it). With a quota, the file counts until
        the checksum ends, as a download's does, even once no longer in
        place (L{ftpkit.shells.quotareads}).
        """
        path = self._guarded(path, self._allows("read"))

        def hashing():
            return self._shell.hash(path, algorithm, start, end)

        def counted():
            return self._account.hashing(path, hashing)

        return self._checked(self._allows("read"), [path],
                             hashing if self._account is None else counted)

    @defer.inlineCallbacks
    def makeDirectory(self, path):
        """
        See L{IFTPShell.makeDirectory}: needs C{mkdir}; with a file quota,
        room for one more entry (L{DirectoryOverFileQuota} otherwise).
        """
        path = self._guarded(path, self._allows("mkdir"))
        yield self._checked(self._allows("mkdir"), [path])
        if self._account is None:
            result = yield self._shell.makeDirectory(path)
        else:
            result = yield self._account.makingDirectory(
                path, lambda: self._shell.makeDirectory(path))
        yield self._changes.touched(path, StorageChange(0, 1))
        return result

    @defer.inlineCallbacks
    def removeDirectory(self, path):
        """
        See L{IFTPShell.removeDirectory}: needs C{delete}; gives its entry
        back to the file quota, and those of the hidden entries that went
        with it, with their bytes (the quota is measured again when the
        shell does not tell their bytes: L{HiddenEntries}).
        """
        path = self._guarded(path, self._allows("delete"))
        yield self._checked(self._allows("delete"), [path])
        result = yield self._shell.removeDirectory(path)
        change = None
        if isinstance(result, HiddenEntries) or not result:
            change = StorageChange(-getattr(result, "bytes", 0),
                                   -1 - (result or 0))
        if self._account is not None:
            self._account.removedDirectory(path, change)
        yield self._changes.touched(path, change)
        return result

    @defer.inlineCallbacks
    def removeFile(self, path):
        """
        See L{IFTPShell.removeFile}: needs C{delete}; frees quota (its
        bytes, and its entry; a symbolic link's own, none,
        L{ownSizeOf}), and the cut uploads of its name that went with it
        (the usage is measured again, and what the wrapped shell tells of
        them handed on, to a quota wrapping this one).
        """
        path = self._guarded(path, self._allows("delete"))
        yield self._checked(self._allows("delete"), [path])
        account = self._account
        # Another session may replace the file between its size and its
        # removal: then the quota is measured again.
        watch = None if account is None else account.watch(path)
        try:
            size = 0
            if account is not None or self._changes.nested:
                size = yield ownSizeOf(self._shell, path)
            result = yield self._shell.removeFile(path)
            hidden = result
            if not isinstance(hidden, HiddenEntries):
                hidden = HiddenEntries(0, 0)
            if account is not None:
                if hidden.fileGone:
                    account.removedFile(path, size, watch)
                if hidden:
                    # Their keys are not the file's: measured again.
                    account.removedDirectory(path, None)
        finally:
            if watch is not None:
                account.unwatch(watch)
        if not hidden.fileGone:
            size = 0
        yield self._changes.touched(path, StorageChange(
            -size - hidden.bytes, -hidden - hidden.fileGone))
        return result

    @defer.inlineCallbacks
    def rename(self, fromPath, toPath):
        """
        See L{IFTPShell.rename}: needs C{rename} at both paths, and
        neither may hold a directory with permissions of its own below it
        (L{PermissionTable.rulesBelow}): a rule follows the path, not the
        directory, so renaming C{/pub} away would free C{/pub/readonly}'s
        files of their rule, and renaming a directory to C{/pub} would
        fill C{/pub/readonly} past it. Replacing what is at the target
        needs C{write} or C{delete} there too, as an upload replacing it
        or its removal would: with C{rename} alone, renaming any file over
        another destroyed the other. A replaced target frees quota (its
        bytes, and its entry), and what moves is counted as the entries
        themselves (L{ownStatOrNone}: a symbolic link moves or replaces
        its entry alone, none of its target's bytes). A path renamed to
        itself replaces nothing.
        Where keys cost bytes (C{entryBytes}), the bytes the new keys add
        must fit in the quota, or the rename is refused before anything is
        renamed (L{QuotaExceeded}).
        """
        fromPath = self._guarded(fromPath, self._allows("rename"))
        toPath = self._guarded(toPath, self._allows("rename"))
        yield self._checked(self._allows("rename"), [fromPath, toPath])
        table = self._table
        if table.rulesBelow(fromPath) or table.rulesBelow(toPath):
            raise PermissionDenied()
        account = self._account
        replaced = source = None
        nested = self._changes.nested and toPath != fromPath
        if toPath != fromPath:
            if account is not None or nested:
                replaced = yield ownStatOrNone(self._shell, toPath)
            yield self._replaceAllowed(toPath, replaced)
        if nested:
            source = yield ownStatOrNone(self._shell, fromPath)
        if account is None or toPath == fromPath:
            yield self._shell.rename(fromPath, toPath)
        else:
            yield account.renaming(
                fromPath, toPath, replaced,
                lambda: self._shell.rename(fromPath, toPath))
        yield self._renamedTold(fromPath, toPath, source, replaced)

    @defer.inlineCallbacks
    def _renamedTold(self, fromPath, toPath, source, replaced):
        """
        Tell the other quotas that may count them of a rename's paths:
        a file's bytes and entry left one and came to the other, where
        they replaced what was there (measured again for a directory).

        @param source: the L{ftpkit.fileinfo.FileInfo} of what was
            renamed, or C{None} when not known.
        @param replaced: that of what it replaced, or C{None} for nothing.
        """
        gone = came = None
        if toPath == fromPath:
            gone = came = StorageChange(0, 0)
        elif source is not None and not source.isDirectory:
            gone = fileChange(source, -1)
            came = added(fileChange(source), fileChange(replaced, -1))
        yield self._changes.touched(fromPath, gone)
        yield self._changes.touched(toPath, came)

    def setModificationTime(self, path, when):
        """
        See L{IFTPShell.setModificationTime}: needs C{set-time}.
        """
        path = self._guarded(path, self._allows("set-time"))
        return self._checked(
            self._allows("set-time"), [path],
            lambda: self._shell.setModificationTime(path, when))

    def setTimes(self, path, accessed, modified):
        """
        See L{ftpkit.interfaces.IFTPShellTimes.setTimes}: needs
        C{set-time}, as L{setModificationTime}.
        """
        path = self._guarded(path, self._allows("set-time"))
        return self._checked(
            self._allows("set-time"), [path],
            lambda: self._shell.setTimes(path, accessed, modified))

    def setPermissions(self, path, mode):
        """
        See L{ftpkit.interfaces.IFTPShellChmod.setPermissions}: needs
        C{chmod} (only provided when the wrapped shell provides it).
        """
        path = self._guarded(path, self._allows("chmod"))
        return self._checked(self._allows("chmod"), [path],
                             lambda: self._shell.setPermissions(path, mode))

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}: needs C{append} to append or
        resume (C{offset > 0}; C{write} as well to resume before the end of
        what is there, replacing it), C{write} otherwise. With a quota, the
        L{IWriteFile} counts the bytes and refuses to go past it. With a
        file quota, a new file must have room (L{FileQuotaExceeded}
        otherwise, before anything is opened); replacing a file, or
        continuing a cut upload, adds none.
        """
        path = self._guarded(path, self._allows(
            "append" if append or offset else "write"))
        return self._open(path, offset, append,
                          lambda: self._shell.openForWriting(
                              path, offset, append))

    def openForCreating(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellCreate.openForCreating} (provided
        only when the wrapped shell provides it): needs C{write}, and
        counts as L{openForWriting} does.
        """
        path = self._guarded(path, self._allows("write"))
        return self._open(path, 0, False,
                          lambda: self._shell.openForCreating(path))

    @defer.inlineCallbacks
    def _open(self, path, offset, append, opening):
        """
        Check the permission and the quotas of an upload, and open it.

        @param opening: opens the wrapped shell's file, returning a
            Deferred.
        @return: a Deferred firing with the L{IWriteFile}.
        """
        inPlace = bool(append or offset)
        yield self._checked(self._allows("append" if inPlace else "write"),
                            [path])
        if offset and not append:
            yield self._resumeAllowed(path, offset)
        account = self._account
        changes = self._changes
        if account is None:
            before = yield changes.before(path, inPlace)
            return changes.watched(path, (yield opening()), before)
        yield account.measured()
        watch = account.watch(path)
        try:
            info = yield statOrNone(self._shell, path)
            before = yield changes.before(path, inPlace, info)
        except BaseException:
            account.unwatch(watch)
            raise
        writeFile = yield account.uploading(path, offset, append, info,
                                            opening, watch)
        return changes.watched(path, writeFile, before)

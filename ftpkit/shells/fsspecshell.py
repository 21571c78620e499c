"""
L{FsspecShell}: any fsspec filesystem (S3, SFTP, the local disk, memory,
GCS, Azure, ...) as an L{IFTPShell}.

Every fsspec call blocks (an asynchronous filesystem such as s3fs runs
its own event loop in a thread of fsspec's, and its synchronous methods
wait for it), so the shell makes each one in a thread of an
L{ftpkit.blocking.BlockingPool} and never in the reactor thread. Errors
become L{ftpkit.errors.FTPError}s there too (L{ftpkit.shells.fsspeccalls},
whose names this module gives as it did when it held them). What each
kind of store can do (directories as key prefixes, atomic uploads,
resuming, renaming directories) is decided in one place,
L{ftpkit.shells.fsspecbackends}. An fsspec entry becomes a
L{ftpkit.fileinfo.FileInfo} in L{ftpkit.shells.fsspecentries}, whose
L{describe} this module gives too. This module hands each call to the
pool, refusing the names reserved for the shell's own use first; what
each does there, blocking, is L{ftpkit.shells.fsspecstore}'s.
"""


from twisted.internet import defer
from zope.interface import alsoProvides, implementer

from ftpkit.errors import (
    AlreadyExists,
    InvalidPath,
    IsDirectory,
    PermissionDenied,
)
from ftpkit.interfaces import (
    IFTPShell,
    IFTPShellCreate,
    IFTPShellFeatures,
    IFTPShellListSome,
    IFTPShellLocalPath,
    IFTPShellResolve,
    IFTPShellStreamedListing,
    IFTPShellUploadOffsets,
)
from ftpkit.shells.fsspecbackends import backendFor
from ftpkit.shells.fsspeccalls import (
    POOL_SIZE,
    PooledCalls,
    defaultPool,
    lockFor,
    outageFor,
    translateError,
)
from ftpkit.shells.fsspecentries import describe
from ftpkit.shells.fsspeclistings import isReserved
from ftpkit.shells.fsspecstore import StoreCalls

__all__ = ["FsspecShell", "describe", "POOL_SIZE", "defaultPool", "lockFor",
           "translateError"]


@implementer(IFTPShell, IFTPShellFeatures, IFTPShellStreamedListing,
             IFTPShellUploadOffsets)
class FsspecShell(StoreCalls, PooledCalls):
    """
    A user's view of a directory (or key prefix) of an fsspec filesystem.

    Names reserved for the shell's own use (L{isReserved}) are not listed,
    and a command naming one fails with L{InvalidPath}.

    Where the backend puts a new file in place only if its name is free
    (L{ftpkit.shells.fsspecgeneric.Backend.createsAtomically}: the local
    disk, SFTP), the shell also provides L{IFTPShellCreate}; where the
    store has symbolic links that the backend resolves (the local disk,
    SFTP), L{IFTPShellResolve}; where the filesystem describes one entry
    by its name (L{ftpkit.shells.fsspecgeneric.Backend.describesEntries}:
    the local disk, SFTP), L{IFTPShellListSome}.

    @ivar fs: the filesystem the calls are made on: the one given, or
        what the backend makes of it for this root
        (L{ftpkit.shells.fsspecgeneric.Backend.bind}: on the local disk,
        one that follows no link; on SFTP, one that tells a link from
        what it leads to).
    @ivar root: the path on C{fs} the user sees as C{/}.
    @ivar backend: the L{ftpkit.shells.fsspecgeneric.Backend} of C{fs}.
    """

    def __init__(self, fs, root="", pool=None, backend=None):
        """
        @param fs: an fsspec filesystem (made with C{asynchronous=False},
            the default).
        @param root: the path on C{fs} shown as C{/} (C{"bucket/prefix"}
            for S3, C{"/srv/ftp"} for the local disk or SFTP); it need not
            exist yet on an object store.
        @param pool: the L{ftpkit.blocking.BlockingPool} to make the calls
            in; L{defaultPool} when omitted.
        @param backend: the L{ftpkit.shells.fsspecgeneric.Backend}; found
            from C{fs} when omitted.
        """
        self.root = root.rstrip("/")
        self.backend = backend if backend is not None else backendFor(fs)
        self.fs = self.backend.bind(fs, self.root)
        PooledCalls.__init__(
            self, pool if pool is not None else defaultPool(),
            lockFor(fs) if self.backend.serialized else None,
            self.backend.callDeadline, outage=outageFor(fs))
        if self.backend.createsAtomically:
            alsoProvides(self, IFTPShellCreate)
        if self.backend.resolvesLinks:
            alsoProvides(self, IFTPShellResolve)
        if self.backend.describesEntries:
            alsoProvides(self, IFTPShellListSome)
        if self.backend.localFiles:
            alsoProvides(self, IFTPShellLocalPath)

    def _refused(self, *pathList):
        """
        @param pathList: the paths a client's command names.
        @return: a Deferred failing with L{InvalidPath} when a segment of
            one is reserved (L{isReserved}), else C{None}.
        """
        for path in pathList:
            if any(map(isReserved, path)):
                return defer.fail(InvalidPath())
        return None

    # IFTPShell

    def unsupportedFeatures(self):
        """
        See L{IFTPShellFeatures.unsupportedFeatures}: C{MFMT} on a store
        whose times cannot be set.
        """
        return self.backend.unsupportedFeatures

    def writesAtOffsets(self):
        """
        See L{IFTPShellUploadOffsets.writesAtOffsets}: where the backend
        L{writesInPlace <ftpkit.shells.fsspecgeneric.Backend.writesInPlace>}
        (the local disk, SFTP, memory); not on an object store, nor on a
        store ftpkit knows nothing particular about, which write whole
        files (L{openForWriting} refuses those uploads).
        """
        return self.backend.writesInPlace

    def stat(self, path):
        """
        See L{IFTPShell.stat}.
        """
        return self._refused(path) or self.call(self._stat, path)

    def list(self, path):
        """
        See L{IFTPShell.list}. An object store lists a prefix's objects
        and the prefixes below it, the latter as directories.
        """
        return self._refused(path) or self.call(self._list, path)

    def listSome(self, path, names):
        """
        See L{ftpkit.interfaces.IFTPShellListSome.listSome} (provided where
        the backend L{describesEntries
        <ftpkit.shells.fsspecgeneric.Backend.describesEntries>}): each
        name looked up alone, the directory not read.
        """
        return self._refused(path) or self.call(self._listSome, path,
                                                list(names))

    def openListing(self, path):
        """
        See L{IFTPShellStreamedListing.openListing}: a batch per page of
        the store's listing (L{ftpkit.shells.fsspecgeneric.Backend.pages}:
        S3 pages through its listing and the local disk reads a page at a
        time, other stores list the directory in one call), read when the
        server asks for it.
        """
        return self._refused(path) or self.call(self._openListing, path)

    def makeDirectory(self, path):
        """
        See L{IFTPShell.makeDirectory}: on an object store, an empty marker
        object C{"PATH/"}.
        """
        if not path:
            return defer.fail(AlreadyExists())
        return self._refused(path) or self.call(self._makeDirectory, path)

    def removeDirectory(self, path):
        """
        See L{IFTPShell.removeDirectory}.
        """
        if not path:
            return defer.fail(PermissionDenied())
        return self._refused(path) or self.call(self._removeDirectory, path)

    def removeFile(self, path):
        """
        See L{IFTPShell.removeFile}: a file an upload writes in place gets
        L{ftpkit.errors.FileBusy} meanwhile
        (L{ftpkit.shells.fsspectemporaries.removeUnwritten}).
        """
        return self._refused(path) or self.call(self._removeFile, path)

    def rename(self, fromPath, toPath):
        """
        See L{IFTPShell.rename}. On an object store a file is copied on the
        server side and the original deleted, and a directory is not
        renamed (L{PermissionDenied}). A file an upload writes in place is
        neither renamed nor replaced meanwhile (L{ftpkit.errors.FileBusy}:
        L{ftpkit.shells.fsspectemporaries.renameUnwritten}).
        """
        if not fromPath or not toPath:
            return defer.fail(PermissionDenied())
        return (self._refused(fromPath, toPath)
                or self.call(self._rename, fromPath, toPath))

    def openForReading(self, path, offset=0):
        """
        See L{IFTPShell.openForReading}.

        @return: a Deferred firing with an
            L{ftpkit.shells.fsspecfiles.FsspecReadFile}.
        """
        return (self._refused(path)
                or self.call(self._openForReading, path, offset))

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}. Where the store cannot resume or
        append (an object store), those fail with
        L{ftpkit.errors.CommandNotImplemented}.

        @return: a Deferred firing with an
            L{ftpkit.shells.fsspecfiles.FsspecWriteFile}.
        """
        if not path:
            return defer.fail(IsDirectory())
        return (self._refused(path)
                or self.call(self._openForWriting, path, offset, append))

    def openForCreating(self, path):
        """
        See L{IFTPShellCreate.openForCreating} (provided where the backend
        L{createsAtomically
        <ftpkit.shells.fsspecgeneric.Backend.createsAtomically>}): the
        upload goes to a temporary sibling, which its commit moves to the
        name only if that is still free (L{AlreadyExists} otherwise). The
        name is reserved in this process until the upload ends
        (L{ftpkit.shells.reservednames}): another upload creating it
        meanwhile is refused at once.

        @return: a Deferred firing with an
            L{ftpkit.shells.fsspecfiles.FsspecWriteFile}.
        """
        if not path:
            return defer.fail(IsDirectory())
        return (self._refused(path)
                or self.call(self._openForCreating, path))

    def localPath(self, path):
        """
        See L{IFTPShellLocalPath.localPath} (provided where the backend's
        L{localFiles <ftpkit.shells.fsspecgeneric.Backend.localFiles>}:
        C{file://}): the path joined under the root, as the store's calls
        name it; C{None} for a reserved name, or a root that is not
        absolute.
        """
        if any(map(isReserved, path)):
            return None
        joined = "/".join((self.root, *path)) or "/"
        return joined if joined.startswith("/") else None

    def resolve(self, path):
        """
        See L{IFTPShellResolve.resolve} (provided where the backend
        L{resolvesLinks
        <ftpkit.shells.fsspecgeneric.Backend.resolvesLinks>}).
        """
        return self.call(self._resolve, tuple(path))  # guard or not

    def linkTargets(self, path):
        """
        See L{IFTPShellResolve.linkTargets} (provided where the backend
        resolves links).
        """
        return self._refused(path) or self.call(self._linkTargets, path)

    def setModificationTime(self, path, when):
        """
        See L{IFTPShell.setModificationTime}; fails with
        L{ftpkit.errors.CommandNotImplemented} where the store keeps its own
        times (an object store).
        """
        return (self._refused(path)
                or self.call(self._setModificationTime, path, when))

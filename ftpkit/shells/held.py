"""
C{--hold-anonymous-uploads}: anonymous uploads cannot be downloaded until
someone releases them (the "warez drop" problem: an anonymous upload area
turned into a distribution point).

The mark is the file's mode, so that it lasts across restarts and an
administrator releases a file with C{chmod o+r} (or C{SITE CHMOD} as a
named user): anonymous users download only world-readable files
(L{HeldUploadsShell.openForReading}), and their uploads have no
permission bits for others (L{HeldUploadsShell.openForWriting}).

An upload that provides L{IPrivateWriteFile} (the filesystem realm's) has
them taken before it is committed, so that it never appears under its
name downloadable, in any process of C{--workers}. Another has its mode
changed once committed, its path meanwhile in a L{HeldUploads} registry
that refuses downloads too, but only in the process that holds it.
"""

from twisted.internet import defer

from ftpkit.errors import LocalError, PermissionDenied
from ftpkit.interfaces import IFTPShellChmod, IPrivateWriteFile
from ftpkit.shells.uploadends import ThenFinished
from ftpkit.shells.wrappers import ShellWrapper, storageOf

WORLD_READABLE = 0o004
"""The permission bit an anonymous download needs."""


class HeldUploads:
    """
    The paths of held uploads in progress (opened, not yet closed and
    made private), shared by the sessions of one server.
    """

    def __init__(self):
        self._paths = {}

    def add(self, path):
        """
        @param path: a tuple of segments being uploaded.
        """
        self._paths[path] = self._paths.get(path, 0) + 1

    def discard(self, path):
        """
        @param path: a tuple of segments no longer being uploaded.
        """
        count = self._paths.pop(path, 0) - 1
        if count > 0:
            self._paths[path] = count

    def __contains__(self, path):
        return path in self._paths


class HeldUploadsShell(ShellWrapper):
    """
    The shell of an anonymous user under C{--hold-anonymous-uploads}: it
    downloads only world-readable files, and what it uploads is not
    world-readable.

    The server changes an upload's mode on its own behalf, on the storage
    beneath every wrapper (L{storageOf}), which must be able to
    (L{IFTPShellChmod}): on storage that cannot, uploads are refused, and
    one whose mode cannot be changed is removed (C{451}), never left
    downloadable.
    """

    copiedForResumer = True
    """Its state is shared by reference or per session (L{forResumer})."""

    def __init__(self, shell, held):
        """
        @param shell: the L{ftpkit.interfaces.IFTPShell} to wrap.
        @param held: the server's L{HeldUploads}.
        """
        ShellWrapper.__init__(self, shell)
        self._held = held
        self._storage = storageOf(shell)

    @defer.inlineCallbacks
    def _checkReleased(self, path):
        """
        @raise PermissionDenied: unless the file at C{path} may be
            downloaded.
        """
        if path in self._held:
            raise PermissionDenied("Not released for download")
        info = yield self._shell.stat(path)
        if info.isFile and not info.mode & WORLD_READABLE:
            raise PermissionDenied("Not released for download")

    def openForReading(self, path, offset=0):
        """
        See L{ftpkit.interfaces.IFTPShell.openForReading}: only a
        world-readable file.
        """
        return self._checkReleased(path).addCallback(
            lambda _: self._shell.openForReading(path, offset))

    def hash(self, path, algorithm, start=0, end=None):
        """
        See L{ftpkit.interfaces.IFTPShellHash.hash}: only a
        world-readable file.
        """
        return self._checkReleased(path).addCallback(
            lambda _: self._shell.hash(path, algorithm, start, end))

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{ftpkit.interfaces.IFTPShell.openForWriting}: the upload is
        held from its start, and has no permission bits for others once
        committed (see L{ftpkit.shells.held}).
        """
        return self._openHeld(
            path, lambda: self._shell.openForWriting(path, offset, append))

    def openForCreating(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellCreate.openForCreating} (provided
        only when the wrapped shell provides it): held as L{openForWriting}
        holds an upload.
        """
        return self._openHeld(path, lambda: self._shell.openForCreating(path))

    @defer.inlineCallbacks
    def _openHeld(self, path, opening):
        """
        Open an upload and hold it (see L{openForWriting}).

        @param opening: opens the wrapped shell's file, returning a
            Deferred.
        @return: a Deferred firing with the held L{IWriteFile}.
        """
        if not IFTPShellChmod.providedBy(self._storage):
            raise PermissionDenied("Uploads cannot be held on this storage")
        self._held.add(path)
        try:
            writeFile = yield opening()
        except BaseException:
            self._held.discard(path)
            raise
        if not IPrivateWriteFile.providedBy(writeFile):
            return ThenFinished(writeFile, lambda committed: self._finished(
                path, committed))
        self._held.discard(path)
        try:
            writeFile.withholdFromOthers()
        except Exception:
            yield writeFile.abort()
            raise LocalError("Upload could not be held") from None
        return writeFile

    @defer.inlineCallbacks
    def _finished(self, path, committed):
        """
        Make a committed upload private (or remove it if that fails),
        then forget it.
        """
        try:
            if committed:
                try:
                    info = yield self._storage.stat(path)
                    yield self._storage.setPermissions(
                        path, info.mode & 0o777 & ~0o007)
                except Exception:
                    yield self._storage.removeFile(path)
                    raise LocalError("Upload could not be held")
        finally:
            self._held.discard(path)

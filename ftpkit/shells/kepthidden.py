"""
L{HidingKeptShell}: a shell wrapper hiding the server's own files beside
the user's, the hidden names of L{ftpkit.shells.keptnames} (partial
uploads kept for a resume, uploads on their way to their names): never
listed, and a command naming one gets L{InvalidPath} (C{553}). What keeps
those files is its subclass L{ftpkit.shells.keptuploads.KeptUploadsShell}.
"""

from twisted.internet.defer import fail

from ftpkit.errors import InvalidPath
from ftpkit.shells.keptnames import SHOWN, isKept, isRefused
from ftpkit.shells.listings import FilteredListing
from ftpkit.shells.shellwrapper import ShellWrapper


class HidingKeptShell(ShellWrapper):
    """
    A shell wrapper whose hidden names (L{isKept}) are never listed, and
    refused in a command (L{isRefused}); the methods it does not restrict
    are handed on (L{ShellWrapper}).
    """

    def _refused(self, *pathList):
        """
        @return: a Deferred failing with L{InvalidPath} when a path names
            one of the server's own files (L{isRefused}), else C{None}.
        """
        if any(isRefused(path) for path in pathList):
            return fail(InvalidPath())
        return None

    def stat(self, path):
        """
        See L{ftpkit.interfaces.IFTPShell.stat}.
        """
        return self._refused(path) or self._shell.stat(path)

    def list(self, path):
        """
        See L{ftpkit.interfaces.IFTPShell.list}: without the hidden files.
        """
        return self._refused(path) or self._shell.list(path).addCallback(
            lambda entries: [entry for entry in entries
                             if not isKept(entry[0])])

    def listNames(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellNames.listNames}: without the
        hidden files.
        """
        return self._refused(path) or self._shell.listNames(
            path).addCallback(
                lambda names: [name for name in names if not isKept(name)])

    def listSome(self, path, names):
        """
        See L{ftpkit.interfaces.IFTPShellListSome.listSome}: without the
        hidden files.
        """
        return self._refused(path) or self._shell.listSome(
            path, [name for name in names if not isKept(name)])

    def openListing(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellStreamedListing.openListing}:
        without the hidden files.
        """
        return self._refused(path) or self._shell.openListing(
            path).addCallback(
                lambda listing: FilteredListing(listing, SHOWN, pure=True))

    def openForReading(self, path, offset=0):
        """
        See L{ftpkit.interfaces.IFTPShell.openForReading}.
        """
        return self._refused(path) or self._shell.openForReading(path,
                                                                 offset)

    def openForCreating(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellCreate.openForCreating} (provided
        when the wrapped shell provides it): handed on; cut, it keeps
        nothing.
        """
        return self._refused(path) or self._shell.openForCreating(path)

    def hash(self, path, algorithm, start=0, end=None):
        """
        See L{ftpkit.interfaces.IFTPShellHash.hash} (provided when the
        wrapped shell provides it).
        """
        return self._refused(path) or self._shell.hash(path, algorithm,
                                                       start, end)

    def available(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellAvailable.available} (provided
        when the wrapped shell provides it).
        """
        return self._refused(path) or self._shell.available(path)

    def makeDirectory(self, path):
        """
        See L{ftpkit.interfaces.IFTPShell.makeDirectory}.
        """
        return self._refused(path) or self._shell.makeDirectory(path)

    def rename(self, fromPath, toPath):
        """
        See L{ftpkit.interfaces.IFTPShell.rename}.
        """
        return (self._refused(fromPath, toPath)
                or self._shell.rename(fromPath, toPath))

    def setModificationTime(self, path, when):
        """
        See L{ftpkit.interfaces.IFTPShell.setModificationTime}.
        """
        return self._refused(path) or self._shell.setModificationTime(
            path, when)

    def setTimes(self, path, accessed, modified):
        """
        See L{ftpkit.interfaces.IFTPShellTimes.setTimes} (provided when
        the wrapped shell provides it).
        """
        return self._refused(path) or self._shell.setTimes(
            path, accessed, modified)

    def setPermissions(self, path, mode):
        """
        See L{ftpkit.interfaces.IFTPShellChmod.setPermissions} (provided
        when the wrapped shell provides it).
        """
        return self._refused(path) or self._shell.setPermissions(path, mode)

    def linkTargets(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellResolve.linkTargets} (provided
        when the wrapped shell provides it): without the hidden files.
        """
        return self._refused(path) or self._shell.linkTargets(
            path).addCallback(lambda targets: {
                name: real for name, real in targets.items()
                if not isKept(name)})

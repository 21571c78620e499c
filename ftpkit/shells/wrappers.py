"""
Shells that wrap another shell and allow less: L{ReadOnlyShell} for
C{--read-only} and anonymous users, L{UploadOnlyShell} for anonymous
users with C{--anonymous-write}.

Each provides L{IFTPShellHash} and L{IFTPShellNames} exactly when the
wrapped shell does.
"""

from twisted.internet.defer import fail
from zope.interface import alsoProvides, implementer

from ftpkit.errors import NoSuchFile, PermissionDenied
from ftpkit.interfaces import IFTPShell, IFTPShellHash, IFTPShellNames


@implementer(IFTPShell)
class ReadOnlyShell:
    """
    A shell that can look and download, and changes nothing: every other
    method fails with L{PermissionDenied}.
    """

    def __init__(self, shell):
        """
        @param shell: the L{IFTPShell} to wrap.
        """
        self._shell = shell
        for extra in (IFTPShellHash, IFTPShellNames):
            if extra.providedBy(shell):
                alsoProvides(self, extra)

    def stat(self, path):
        """
        See L{IFTPShell.stat}.
        """
        return self._shell.stat(path)

    def list(self, path):
        """
        See L{IFTPShell.list}.
        """
        return self._shell.list(path)

    def listNames(self, path):
        """
        See L{IFTPShellNames.listNames} (only provided when the wrapped
        shell provides it).
        """
        return self._shell.listNames(path)

    def openForReading(self, path, offset=0):
        """
        See L{IFTPShell.openForReading}.
        """
        return self._shell.openForReading(path, offset)

    def hash(self, path, algorithm, start=0, end=None):
        """
        See L{IFTPShellHash.hash} (only provided when the wrapped shell
        provides it).
        """
        return self._shell.hash(path, algorithm, start, end)

    def makeDirectory(self, path):
        """
        Refuse: see L{IFTPShell.makeDirectory}.
        """
        return fail(PermissionDenied())

    def removeDirectory(self, path):
        """
        Refuse: see L{IFTPShell.removeDirectory}.
        """
        return fail(PermissionDenied())

    def removeFile(self, path):
        """
        Refuse: see L{IFTPShell.removeFile}.
        """
        return fail(PermissionDenied())

    def rename(self, fromPath, toPath):
        """
        Refuse: see L{IFTPShell.rename}.
        """
        return fail(PermissionDenied())

    def openForWriting(self, path, offset=0, append=False):
        """
        Refuse: see L{IFTPShell.openForWriting}.
        """
        return fail(PermissionDenied())

    def setModificationTime(self, path, when):
        """
        Refuse: see L{IFTPShell.setModificationTime}.
        """
        return fail(PermissionDenied())


class UploadOnlyShell(ReadOnlyShell):
    """
    A read-only shell that may also make directories and upload files that
    do not exist yet (never overwrite, resume or append).

    Two uploads of the same new name racing each other both pass the
    check; the one that closes last wins.
    """

    def makeDirectory(self, path):
        """
        See L{IFTPShell.makeDirectory}.
        """
        return self._shell.makeDirectory(path)

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}: only a new file, from byte 0.
        """
        if offset or append:
            return fail(PermissionDenied())
        checking = self._shell.stat(path)

        def exists(info):
            raise PermissionDenied("Overwrite not allowed")

        def missing(failure):
            failure.trap(NoSuchFile)
            return self._shell.openForWriting(path)

        checking.addCallbacks(exists, missing)
        return checking

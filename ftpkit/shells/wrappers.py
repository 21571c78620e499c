"""
Shells that wrap another shell to restrict it: L{ReadOnlyShell} (for
C{--read-only} and anonymous users) and L{UploadOnlyShell} (anonymous
users with C{--anonymous-write}).

Their base, L{ShellWrapper} (L{ftpkit.shells.shellwrapper}), and
L{HideDotfilesShell} (C{--hide-dotfiles}, L{ftpkit.shells.dotfiles}) are
importable from here too, as are L{storageOf} and the base of a
wrapper's upload files, L{WriteFileWrapper} (L{ftpkit.shells.filewrappers});
L{ftpkit.shells.permissions.PermissionShell} is a wrapper as well.
"""

from twisted.internet.defer import fail, succeed
from zope.interface import implementer

from ftpkit.errors import (
    AlreadyExists,
    InvalidPath,  # noqa: F401 (importable from here, as before)
    NoSuchFile,
    PermissionDenied,
)
from ftpkit.interfaces import (  # noqa: F401 (likewise)
    OPTIONAL_SHELL_INTERFACES,
    IFTPShell,
    IFTPShellCreate,
    IFTPShellPermitted,
    IFTPShellResolve,
)
from ftpkit.protocol.access import CREATE, READ, allowedBy
from ftpkit.protocol.permletters import CREATE_ONLY, LOOK
from ftpkit.shells.dotfiles import (  # noqa: F401 (importable from here)
    HideDotfilesShell,
    isHidden,
)
from ftpkit.shells.filewrappers import WriteFileWrapper  # noqa: F401 (likewise)
from ftpkit.shells.listings import FilteredListing  # noqa: F401 (likewise)
from ftpkit.shells.permitted import narrowed, narrowedIn
from ftpkit.shells.shellwrapper import (  # noqa: F401 (importable from here)
    ShellWrapper,
    storageOf,
)


@implementer(IFTPShellPermitted)
class ReadOnlyShell(ShellWrapper):
    """
    A shell that can look and download, and changes nothing: every other
    method fails with L{PermissionDenied}; the C{perm} fact shows only
    looking (L{IFTPShellPermitted}).
    """

    copiedForResumer = True
    """Its state is shared by reference or per session (L{forResumer})."""

    _mask = LOOK
    """The letters of the C{perm} fact it allows."""

    _classes = frozenset([READ])
    """The access classes it lets through."""

    @property
    def accessClasses(self):
        """
        See L{ShellWrapper.accessClasses}: what it lets through of what
        the wrapped shell does.
        """
        return self._classes & allowedBy(self._shell)

    def permitted(self, path):
        """
        See L{IFTPShellPermitted.permitted}: what the wrapped shell
        allows of what this one does.
        """
        return narrowed(self._shell, path, self._mask)

    def permittedIn(self, path):
        """
        See L{IFTPShellPermitted.permittedIn}: what the wrapped shell
        allows of what this one does.
        """
        return narrowedIn(self._shell, path, self._mask)

    def resumableSize(self, path):
        """
        Nothing to resume for who cannot upload: see
        L{ftpkit.interfaces.IFTPShellResume.resumableSize}.
        """
        return succeed(None)

    def available(self, path):
        """
        No room for who cannot upload: C{0} (where the path is a
        directory): see
        L{ftpkit.interfaces.IFTPShellAvailable.available}.
        """
        return self._shell.available(path).addCallback(lambda _: 0)

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

    def openForCreating(self, path):
        """
        Refuse: see L{IFTPShellCreate.openForCreating}.
        """
        return fail(PermissionDenied())

    def setModificationTime(self, path, when):
        """
        Refuse: see L{IFTPShell.setModificationTime}.
        """
        return fail(PermissionDenied())

    def setTimes(self, path, accessed, modified):
        """
        Refuse: see L{ftpkit.interfaces.IFTPShellTimes.setTimes}.
        """
        return fail(PermissionDenied())

    def setPermissions(self, path, mode):
        """
        Refuse: see L{ftpkit.interfaces.IFTPShellChmod.setPermissions}.
        """
        return fail(PermissionDenied())


class UploadOnlyShell(ReadOnlyShell):
    """
    A read-only shell that may also make directories and upload files that
    do not exist yet (never overwrite, resume or append).

    Over a shell that provides L{IFTPShellCreate}, an upload never
    replaces a file, even one that another upload of the same name
    completed while it ran (its close fails with L{AlreadyExists}). Over
    one that does not, two uploads of the same new name racing each other
    both pass the check, and the one that closes last wins.
    """

    _mask = CREATE_ONLY
    _classes = frozenset([READ, CREATE])

    def available(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellAvailable.available}: the wrapped
        shell's answer, new files being allowed.
        """
        return self._shell.available(path)

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
            if IFTPShellCreate.providedBy(self._shell):
                return self._shell.openForCreating(path).addErrback(
                    _overwriteRefused)
            return self._shell.openForWriting(path)

        checking.addCallbacks(exists, missing)
        return checking

    def openForCreating(self, path):
        """
        See L{IFTPShellCreate.openForCreating} (provided only when the
        wrapped shell provides it).
        """
        return self.openForWriting(path)


def _overwriteRefused(failure):
    """
    An upload that may only create found its name taken: refused as an
    overwrite is.
    """
    failure.trap(AlreadyExists)
    raise PermissionDenied("Overwrite not allowed")

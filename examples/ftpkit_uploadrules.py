"""
Refusing uploads before they happen (C{docs/hooks.rst}): a shell wrapper
that a realm puts around its users' shells.

Observers (L{ftpkit.interfaces.IFTPEventObserver}) are told of an upload
once it is in place; to veto one, refuse it where the file is opened.
"""

from twisted.internet import defer

from ftpkit.errors import PermissionDenied
from ftpkit.shells.wrappers import ShellWrapper


class RefuseSuffixes(ShellWrapper):
    """
    Refuse uploads, and renames, to a name with one of some suffixes: the
    client gets C{550} and the reason, and nothing is stored.

    @ivar suffixes: the refused suffixes, lower case.
    """

    copiedForResumer = True
    """Its state is the suffixes alone: a session may have a copy."""

    def __init__(self, shell, suffixes=(".exe", ".bat")):
        """
        @param shell: the L{ftpkit.interfaces.IFTPShell} to wrap.
        @param suffixes: the suffixes to refuse, in any case.
        """
        ShellWrapper.__init__(self, shell)
        self.suffixes = tuple(suffix.lower() for suffix in suffixes)

    def refusal(self, path):
        """
        @param path: where a file would be stored, a tuple of segments.
        @return: a failed Deferred when its name is refused, else C{None}.
        """
        if path and path[-1].lower().endswith(self.suffixes):
            return defer.fail(PermissionDenied(
                f"{path[-1]}: files named *{path[-1].rpartition('.')[2]} "
                f"are not taken here"))
        return None

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{ftpkit.interfaces.IFTPShell.openForWriting}: C{STOR},
        C{APPE} and resumed uploads.
        """
        return self.refusal(path) or ShellWrapper.openForWriting(
            self, path, offset, append)

    def openForCreating(self, path):
        """
        See L{ftpkit.interfaces.IFTPShellCreate.openForCreating}: C{STOU}
        and anonymous uploads, where the wrapped shell has it (a wrapper
        overriding C{openForWriting} alone would not offer it).
        """
        return self.refusal(path) or ShellWrapper.openForCreating(self, path)

    def rename(self, fromPath, toPath):
        """
        See L{ftpkit.interfaces.IFTPShell.rename}: an upload renamed to a
        refused name is refused too.
        """
        return self.refusal(toPath) or ShellWrapper.rename(
            self, fromPath, toPath)

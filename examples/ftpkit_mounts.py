"""
A shell of several shells (C{docs/writing-a-realm.rst}, "A shell of
several shells"): each path under a mount point goes to the shell
mounted there, every other path to the root shell.

A mount point is a tuple of segments whose parent directory is in the
shell above it (C{("shared",)}: in the root shell's C{/}). The mount
shell tells the C{perm} fact's letters (L{IFTPShellPermitted}) of each
path as the shell serving it does, so that a mount wrapped in a
L{ftpkit.shells.wrappers.ReadOnlyShell} shows only looking in C{MLSD}
and C{MLST}, its mount point's entry in its parent's listing too, and
C{RNFR} of a file there gets C{550} at once; a mount point itself, and
a directory holding one, may be neither removed nor renamed.
"""

from twisted.internet import defer
from zope.interface import implementer

from ftpkit.errors import AlreadyExists, PermissionDenied
from ftpkit.interfaces import IFTPShell, IFTPShellPermitted

EVERY_LETTER = frozenset("acdeflmprw")
"""The C{perm} letters of a shell that tells none: it may refuse on its
own."""

FIXED = frozenset("df")
"""The letters a mount point, and a directory holding one, never show:
delete and rename."""


@implementer(IFTPShell, IFTPShellPermitted)
class MountShell:
    """
    Route each path to the shell mounted at its longest mount point.

    @ivar root: the shell serving what no mount point holds.
    @ivar mounts: a C{dict} from each mount point to its shell.
    """

    def __init__(self, root, mounts):
        """
        @param root: an L{IFTPShell} for C{/}.
        @param mounts: a C{dict} from mount points (tuples of segments,
            never C{()}) to L{IFTPShell} providers.
        """
        self.root = root
        self.mounts = {tuple(point): shell for point, shell in mounts.items()}

    def route(self, path):
        """
        @param path: a tuple of segments.
        @return: C{(shell, inner)}: the shell serving C{path}, and the
            path inside it.
        """
        path = tuple(path)
        for length in range(len(path), 0, -1):
            shell = self.mounts.get(path[:length])
            if shell is not None:
                return shell, path[length:]
        return self.root, path

    def holdsMount(self, path):
        """
        @param path: a tuple of segments.
        @return: whether C{path} is a mount point or a directory holding
            one (never C{()}, the root, which nothing removes anyway).
        """
        path = tuple(path)
        return bool(path) and any(point[:len(path)] == path
                                  for point in self.mounts)

    def namesHoldingMounts(self, path):
        """
        @param path: a tuple of segments naming a directory.
        @return: the names of its entries that are mount points or hold
            one.
        """
        path = tuple(path)
        return {point[len(path)] for point in self.mounts
                if len(point) > len(path) and point[:len(path)] == path}

    def stat(self, path):
        """
        See L{IFTPShell.stat}: a mount point is the mounted shell's root.
        """
        shell, inner = self.route(path)
        return shell.stat(inner)

    @defer.inlineCallbacks
    def list(self, path):
        """
        See L{IFTPShell.list}: the serving shell's entries, with each
        mount point in the directory described by its shell's root.
        """
        shell, inner = self.route(path)
        entries = dict((yield shell.list(inner)))
        for name in self.namesHoldingMounts(path):
            point = tuple(path) + (name,)
            if point in self.mounts:
                entries[name] = yield self.mounts[point].stat(())
        return sorted(entries.items())

    def makeDirectory(self, path):
        """
        See L{IFTPShell.makeDirectory}: a mount point is there already.
        """
        if self.holdsMount(path):
            return defer.fail(AlreadyExists("/".join(path)))
        shell, inner = self.route(path)
        return shell.makeDirectory(inner)

    def removeDirectory(self, path):
        """
        See L{IFTPShell.removeDirectory}: never a mount point, nor a
        directory holding one.
        """
        if self.holdsMount(path):
            return defer.fail(PermissionDenied(
                "/".join(path) + ": a mount point is there"))
        shell, inner = self.route(path)
        return shell.removeDirectory(inner)

    def removeFile(self, path):
        """
        See L{IFTPShell.removeFile}.
        """
        shell, inner = self.route(path)
        return shell.removeFile(inner)

    def rename(self, fromPath, toPath):
        """
        See L{IFTPShell.rename}: within one shell only, and never of or
        onto a mount point, nor a directory holding one.
        """
        shell, inner = self.route(fromPath)
        toShell, toInner = self.route(toPath)
        if self.holdsMount(fromPath) or self.holdsMount(toPath):
            return defer.fail(PermissionDenied("a mount point is there"))
        if toShell is not shell:
            return defer.fail(PermissionDenied("cannot move across mounts"))
        return shell.rename(inner, toInner)

    def openForReading(self, path, offset=0):
        """
        See L{IFTPShell.openForReading}.
        """
        shell, inner = self.route(path)
        return shell.openForReading(inner, offset)

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}.
        """
        shell, inner = self.route(path)
        return shell.openForWriting(inner, offset, append)

    def setModificationTime(self, path, when):
        """
        See L{IFTPShell.setModificationTime}.
        """
        shell, inner = self.route(path)
        return shell.setModificationTime(inner, when)

    def permitted(self, path):
        """
        See L{IFTPShellPermitted.permitted}: the serving shell's letters,
        less delete and rename for a mount point (and what holds one).
        """
        shell, inner = self.route(path)
        mask = (shell.permitted(inner) if IFTPShellPermitted.providedBy(shell)
                else EVERY_LETTER)
        return mask - FIXED if self.holdsMount(path) else mask

    def permittedIn(self, path):
        """
        See L{IFTPShellPermitted.permittedIn}: the serving shell's, and
        each mount point in the directory (and each entry holding one)
        as L{permitted} tells it, an exception.
        """
        shell, inner = self.route(path)
        mask, exceptions = (shell.permittedIn(inner)
                            if IFTPShellPermitted.providedBy(shell)
                            else (EVERY_LETTER, {}))
        exceptions = dict(exceptions)
        for name in self.namesHoldingMounts(path):
            exceptions[name] = self.permitted(tuple(path) + (name,))
        return mask, exceptions

"""
L{BoundRoom}: the room of a store whose only bound is the one the server
holds it to, so that C{AVBL} and C{ALLO} can tell it.

fsspec's C{memory://} cannot say how much it may still hold: the tree
lives in the server's memory, held to C{size=} by the realm's quota
(L{ftpkit.auth.fsspecrealm.FsspecRealm}), which an upload past it meets
(C{552}). Its shell, not knowing its room, left C{ALLO} answering
C{202} and C{AVBL} missing from C{FEAT}, while the upload after that
C{202} got C{552}. Wrapped in L{BoundRoom}, the store's room is the
bound, and the quota above it takes what is held off, as
L{ftpkit.shells.permissions.PermissionShell.available} does for the
disk's free space.

Object stores and SFTP servers cannot say their room either: there a
users file's byte quota is the bound of the user's home (C{AVBL} answered
C{550} and C{ALLO} C{202}, then the upload past the quota C{552}).
"""

from zope.interface import implementer

from ftpkit.errors import NotDirectory
from ftpkit.interfaces import IFTPShellAvailable
from ftpkit.shells.shellwrapper import ShellWrapper


@implementer(IFTPShellAvailable)
class BoundRoom(ShellWrapper):
    """
    A shell whose storage has room for as many bytes as a bound says, no
    more: what it holds is taken off by the quota that holds it to that
    bound, above it.
    """

    copiedForResumer = True
    """Its one state, the bound, is shared by reference."""

    def __init__(self, shell, bound):
        """
        @param shell: the L{ftpkit.interfaces.IFTPShell} to wrap.
        @param bound: the most bytes the storage holds.
        """
        ShellWrapper.__init__(self, shell)
        self._bound = bound

    def available(self, path):
        """
        See L{IFTPShellAvailable.available}: the bound, for a directory
        (the wrapped shell's C{stat} says whether it is one).
        """
        def room(info):
            if not info.isDirectory:
                raise NotDirectory()
            return self._bound
        return self._shell.stat(path).addCallback(room)

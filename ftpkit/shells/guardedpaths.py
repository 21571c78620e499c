"""
L{Guarded}: a shell path carrying the rule it must meet where it really
is, for the shell to apply when it acts (no reactor here).

A wrapper checking a user's rules where a path leads
(L{ftpkit.shells.permissions.PermissionShell} with per-directory
permissions, L{ftpkit.shells.dotfiles.HideDotfilesShell}) asks the shell
where the path leads, then asks it to act: two walks of the path, and a
local user who swaps a symbolic link on it in between (from a writable
directory to a read-only one of the same root) had the act follow the
new link past the rule. A shell that walks the path itself when it acts
(L{ftpkit.shells.diskpaths.Jail.walk}) asks the path's
L{Guarded.allowed} about what that walk reached, the very path it then
acts on without following links again.
"""

from ftpkit.errors import PermissionDenied


class Guarded(tuple):
    """
    A path (a tuple of segments, equal to it and used wherever it is)
    with the test its real path must pass.

    @ivar allowed: a callable taking the segments of where the path
        really is (below the shell's root) and returning whether the
        action may go on there.
    """

    def __new__(cls, segments, allowed):
        """
        @param segments: the path, a tuple of segments; a L{Guarded} one
            (from a wrapper further out: C{--hide-dotfiles} around a
            users file's rules) keeps its test, which must pass as well.
        @param allowed: see L{allowed}.
        """
        path = tuple.__new__(cls, segments)
        outer = getattr(segments, "allowed", None)
        path.allowed = allowed if outer is None else _both(outer, allowed)
        return path


def _both(first, second):
    """
    @return: the test passing where C{first} and C{second} both pass.
    """
    return lambda real: first(real) and second(real)



def checkedReal(path, real, segmentsOf):
    """
    What a shell's walk of C{path} for an act reached, where its rule
    allows it.

    @param path: the path, L{Guarded} or not.
    @param real: where it really is.
    @param segmentsOf: gives C{real}'s segments below the shell's root
        (or C{None} for none).
    @return: C{real}.
    @raise PermissionDenied: where C{path} is L{Guarded} and its test
        fails there.
    """
    allowed = getattr(path, "allowed", None)
    if allowed is not None and not allowed(segmentsOf(real) or ()):
        raise PermissionDenied()
    return real

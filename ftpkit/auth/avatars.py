"""
L{avatarProblem}: what is wrong with what a realm's C{requestAvatar} gave,
told in one line for the log, rather than as a C{TypeError} deep in the
login or an C{AttributeError} at each command after it.
"""

from ftpkit.interfaces import IFTPShell

_SHELL_METHODS = tuple(sorted(IFTPShell.names()))


def avatarProblem(outcome):
    """
    Check the shape of a realm's answer: C{(interface, shell, logout)},
    C{shell} with every method of L{IFTPShell} (declared or not: shells
    written without C{@implementer} keep working), C{logout} callable.

    @param outcome: what the portal gave for a successful login.
    @return: C{None} if it is usable, else a text saying what is wrong.
    """
    if not isinstance(outcome, (tuple, list)) or len(outcome) != 3:
        return "%r, not (interface, avatar, logout)" % (outcome,)
    interface, shell, logout = outcome
    if not IFTPShell.providedBy(shell):
        missing = [name for name in _SHELL_METHODS
                   if not callable(getattr(shell, name, None))]
        if missing:
            return "an avatar %r without IFTPShell's %s" % (
                shell, ", ".join(missing))
    if not callable(logout):
        return "a logout %r that cannot be called" % (logout,)
    return None

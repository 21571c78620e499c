"""
L{avatarProblem}: what is wrong with what a realm's C{requestAvatar} gave
(L{shellProblem}: with a shell, which a shell's C{forResumer} gives too),
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
    problem = shellProblem(shell)
    if problem is not None:
        return "an avatar " + problem
    if not callable(logout):
        return "a logout %r that cannot be called" % (logout,)
    return None


def shellProblem(shell):
    """
    @param shell: what a realm gave as a shell, or what a shell's
        C{forResumer} gave.
    @return: C{None} if it has every method of L{IFTPShell} (declared or
        not), else a text saying which it lacks.
    """
    if IFTPShell.providedBy(shell):
        return None
    missing = [name for name in _SHELL_METHODS
               if not callable(getattr(shell, name, None))]
    if missing:
        return "%r without IFTPShell's %s" % (shell, ", ".join(missing))
    return None

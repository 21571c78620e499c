"""
L{fired}: a shell's methods written as plain code (returning a value or
raising an L{ftpkit.errors.FTPError}) for a shell whose calls never wait,
as L{ftpkit.shells.memory.MemoryShell}'s, returning fired L{Deferred}s.
"""

from twisted.internet.defer import fail, succeed

from ftpkit.errors import FTPError


def fired(method):
    """
    Turn a method that returns a value or raises into one that returns a
    fired L{Deferred}, so that the shell's logic reads as plain code.

    @param method: the method to wrap.
    @return: the wrapped method.
    """

    def wrapper(*args, **kwargs):
        try:
            return succeed(method(*args, **kwargs))
        except FTPError as error:
            return fail(error)

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper

"""
Tests for L{ftpkit.auth.avatars}.
"""

from twisted.trial import unittest

from ftpkit.auth.avatars import avatarProblem
from ftpkit.interfaces import IFTPShell
from ftpkit.shells.memory import MemoryShell


class DuckShell:
    """
    A shell with every method of L{IFTPShell} that does not declare it.
    """

    def __getattr__(self, name):
        """
        @return: a method doing nothing, for a name of L{IFTPShell}.
        """
        if name in IFTPShell.names():
            return lambda *args: None
        raise AttributeError(name)


class AvatarProblemTests(unittest.TestCase):
    """
    L{avatarProblem} tells what is wrong with a realm's answer.
    """

    def test_usable(self):
        """
        A declared shell, or one with every method, and a callable
        logout: nothing wrong.
        """
        self.assertIsNone(avatarProblem((IFTPShell, MemoryShell(), print)))
        self.assertIsNone(avatarProblem([IFTPShell, DuckShell(), print]))

    def test_shape(self):
        """
        C{None}, a pair or a shell alone is no C{(interface, avatar,
        logout)}.
        """
        for outcome in (None, (IFTPShell, MemoryShell()), MemoryShell()):
            self.assertIn("not (interface, avatar, logout)",
                          avatarProblem(outcome))

    def test_notShell(self):
        """
        An avatar without the methods of L{IFTPShell} is named with
        those it lacks.
        """
        problem = avatarProblem((IFTPShell, object(), print))
        self.assertIn("without IFTPShell's list, makeDirectory", problem)

    def test_logout(self):
        """
        A logout that cannot be called.
        """
        self.assertIn("cannot be called",
                      avatarProblem((IFTPShell, MemoryShell(), None)))

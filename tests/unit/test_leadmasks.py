"""
Tests for L{ftpkit.protocol.leadmasks}.
"""

from twisted.internet.defer import succeed
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.interfaces import IFTPShellPermitted, IFTPShellResolve
from ftpkit.protocol.leadmasks import (
    permittedThere,
    permittedThereIn,
    rulesDiffer,
)

ALL = frozenset("acdeflmprw")
READ = frozenset("elr")


@implementer(IFTPShellPermitted, IFTPShellResolve)
class _Shell:
    """
    C{/ro} may only be read; C{/rw/link} leads to C{/ro}, C{/rw/out}
    nowhere. Counts its C{resolve} and C{linkTargets} calls.
    """

    def __init__(self, rules=True):
        self.rules = rules
        self.calls = 0

    def permitted(self, path):
        return READ if self.rules and path[:1] == ("ro",) else ALL

    def permittedIn(self, path):
        if not self.rules:
            return ALL, {}
        if path == ():
            return ALL, {"ro": READ}
        return self.permitted(path + ("x",)), {}

    def resolve(self, path):
        self.calls += 1
        if path[:2] == ("rw", "link"):
            return succeed(("ro",) + tuple(path[2:]))
        if path[:2] == ("rw", "out"):
            return succeed(None)
        return succeed(tuple(path))

    def linkTargets(self, path):
        self.calls += 1
        if path == ("rw",):
            return succeed({"link": ("ro",), "out": None})
        return succeed({})


class LeadMasksTests(unittest.TestCase):
    """
    A path's mask is narrowed by the mask where it leads, and a
    directory's entries by where the directory and each link lead.
    """

    async def test_permittedThere(self):
        """
        A link into C{/ro} has C{/ro}'s mask; other paths their own.
        """
        shell = _Shell()
        self.assertEqual(await permittedThere(shell, ("rw", "link")), READ)
        self.assertEqual(await permittedThere(shell, ("rw", "link", "f")),
                         READ)
        self.assertEqual(await permittedThere(shell, ("rw", "out")), ALL)
        self.assertEqual(await permittedThere(shell, ("rw", "f")), ALL)

    async def test_permittedThereIn(self):
        """
        The entries of C{/rw}: the link into C{/ro} is an exception; a
        listing through the link has C{/ro}'s mask.
        """
        shell = _Shell()
        self.assertEqual(await permittedThereIn(shell, ("rw",)),
                         (ALL, {"link": READ}))
        self.assertEqual(await permittedThereIn(shell, ("rw", "link")),
                         (READ, {}))

    async def test_sameEverywhere(self):
        """
        A shell whose masks are the same everywhere is asked nothing.
        """
        shell = _Shell(rules=False)
        self.assertFalse(rulesDiffer(shell))
        self.assertEqual(await permittedThere(shell, ("rw", "link")), ALL)
        self.assertEqual(await permittedThereIn(shell, ("rw",)), (ALL, {}))
        self.assertEqual(shell.calls, 0)
        self.assertTrue(rulesDiffer(_Shell()))

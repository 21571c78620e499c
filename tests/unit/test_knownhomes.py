"""
Tests for L{ftpkit.shells.nestedquotas.KnownHomes}: the homes a realm
knows ahead, their L{QuotaHomes} built where they are made (with a users
file's parse, off the reactor), which a L{SharedHomes} answers from
without adding each home again.
"""

import itertools

from twisted.trial import unittest

from ftpkit.fileinfo import StorageChange
from ftpkit.shells.nestedquotas import KnownHomes, QuotaHomes
from tests.unit.test_nestedquotas import (
    NESTED_CASES,
    SharedHomesMixin,
    _Homes,
    _Realm,
)

PATHS = [(), ("bob",), ("bob", "f"), ("bobby",), ("al", "x"), ("carol",)]
"""Paths the answers of built and layered homes are compared at."""


def answers(homes, pairs):
    """
    @param homes: a L{QuotaHomes}.
    @param pairs: the C{(home, limited)} pairs it holds.
    @return: what it answers: whether it is nested, and at each of
        L{PATHS} the quotas' homes overlapping it and, for each home,
        whether it holds another.
    """
    return (homes.nested, [sorted(homes._overlapping(path)) for path in PATHS],
            [homes.holdsOther(home, own) for home, _ in pairs
             for own in (None, home)])


class LayeredTests(unittest.TestCase):
    """
    A L{QuotaHomes} over the L{KnownHomes.built} of some homes answers as
    one that was given them all, and leaves the built one as it was.
    """

    def test_everySplit(self):
        """
        For each case of L{NESTED_CASES}, split anywhere: the first homes
        known ahead, the others added.
        """
        for pairs, nested in NESTED_CASES:
            whole = _Homes(*pairs).homes
            for cut in range(len(pairs) + 1):
                known = KnownHomes(pairs[:cut])
                before = answers(known.built, pairs[:cut])
                layered = QuotaHomes(None, known.built)
                for home, limited in pairs[cut:]:
                    layered.add(home, limited)
                self.assertEqual(answers(layered, pairs),
                                 answers(whole, pairs), (pairs, cut))
                self.assertEqual(layered.nested, nested)
                self.assertEqual(answers(known.built, pairs[:cut]), before)


class OrderTests(unittest.TestCase):
    """
    What a L{QuotaHomes} answers does not depend on the order its homes
    were added in: L{KnownHomes} adds them in its set's order (their sort
    held the interpreter lock for 0.9 s at 60,000 homes).
    """

    def test_anyOrder(self):
        """
        For each case of L{NESTED_CASES}, every order of its homes gives
        the answers of the order the case gives them in.
        """
        for pairs, nested in NESTED_CASES:
            expected = answers(_Homes(*pairs).homes, pairs)
            for order in itertools.permutations(pairs):
                homes = QuotaHomes(None)
                for home, limited in order:
                    homes.add(home, limited)
                self.assertEqual(answers(homes, pairs), expected, order)
                self.assertEqual(homes.nested, nested, order)


class SharedKnownTests(SharedHomesMixin, unittest.TestCase):
    """
    L{SharedHomes} of realms that joined with L{KnownHomes}.
    """

    def test_toldThroughKnown(self):
        """
        A change is told to the quota of a home known ahead, of the realm
        with the most homes known ahead, and of another realm's; a home
        added at login is known too, and not to the homes built ahead.
        """
        default, virtual = _Realm(), _Realm()
        known = KnownHomes([((), False), (("bob",), True), (("al",), False)])
        self.shared.join(default, self.usageOf, known)
        self.shared.join(virtual, self.usageOf,
                         KnownHomes([(("carol",), True)]))
        self.assertTrue(self.shared.nested)
        bob, carol = map(self.usages.usageOf, [("bob",), ("carol",)])
        bob.used = carol.used = 100
        bob.files = carol.files = 1
        self.shared.touched(("bob", "f"), None, StorageChange(5, 1))
        self.shared.touched(("carol", "f"), None, StorageChange(7, 1))
        self.assertEqual((bob.used, carol.used), (105, 107))
        self.shared.add(default, ("al", "dave"), True)
        self.assertTrue(self.shared.holdsOther(("al",), None))
        self.assertFalse(known.built.holdsOther(("al",), None))

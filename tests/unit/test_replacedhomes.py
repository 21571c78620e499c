"""
Tests for the homes a reload replaced in a
L{ftpkit.shells.nestedquotas.SharedHomes}, or a realm that is gone gave:
let go of a slice at a time
(L{ftpkit.auth.outofsight.releaseOnceAlone}), not at once at the
first answer after the reload (0.3 s of the reactor at 60,000 users),
or as the realm goes.
"""

import gc
import weakref

from twisted.trial import unittest

from ftpkit.auth import users
from ftpkit.auth.outofsight import SLICE, releaseOnceAlone
from ftpkit.auth.users import UsersDatabase, UsersRealm
from ftpkit.shells.nestedquotas import KnownHomes, SharedHomes
from tests.unit.test_reloadviews import usersText
from tests.usersfiles import writeText


class _Realm:
    """
    A realm of L{SharedHomes}: only its identity matters.
    """


def _usageOf(realm, home):
    """
    Never asked here.
    """
    raise AssertionError("no usage asked")


def knownHomes(count, prefix):
    """
    @param count: how many homes.
    @param prefix: the first segment of each.
    @return: a L{KnownHomes} of C{count} homes with a quota.
    """
    return KnownHomes(((prefix, "user%d" % number), True)
                      for number in range(count))


class ReplacedHomesTests(unittest.TestCase):
    """
    L{SharedHomes.join}, a realm joining again (a reload): the
    L{KnownHomes} it gave before is taken apart a slice at a time when
    nothing else holds it.
    """

    def setUp(self):
        self.steps = []
        self.shared = SharedHomes(cooperate=self.steps.append)
        self.realm = _Realm()

    def test_inSlices(self):
        """
        The replaced homes' tables outlive the join, and are gone once
        its steps ran, one slice of entries each.
        """
        old = knownHomes(SLICE + 1, "old")
        self.shared.join(self.realm, _usageOf, old)
        kinds = weakref.ref(old.built.tables()[0][("old", "user0")])
        whole = weakref.ref(old)
        del old
        self.shared.join(self.realm, _usageOf, knownHomes(3, "new"))
        self.assertIsNotNone(kinds())
        [steps] = self.steps
        self.assertGreater(len(list(steps)), 1)
        self.assertIsNone(whole())
        self.assertIsNone(kinds())
        self.assertFalse(self.shared.nested)

    def test_heldLeftWhole(self):
        """
        Homes someone else holds too (the users file's values) are left
        whole, to their last holder.
        """
        old = knownHomes(SLICE + 1, "old")
        self.shared.join(self.realm, _usageOf, old)
        self.shared.join(self.realm, _usageOf, knownHomes(3, "new"))
        [steps] = self.steps
        self.assertEqual(list(steps), [])
        self.assertEqual(len(old.built.tables()[0]), SLICE + 1)

    def test_goneInSlices(self):
        """
        The homes of a realm that is gone are let go of a slice at a time
        too, once what held them with it (its users file's values, freed
        after the realm) let go: they were freed at once as it went.
        """
        self.realm.values = knownHomes(SLICE + 1, "old")
        self.shared.join(self.realm, _usageOf, self.realm.values)
        kinds = weakref.ref(
            self.realm.values.built.tables()[0][("old", "user0")])
        del self.realm
        self.assertIsNotNone(kinds())
        [steps] = self.steps
        self.assertGreater(len(list(steps)), 1)
        self.assertIsNone(kinds())
        self.assertFalse(self.shared.nested)

    def test_goneHeldLeftWhole(self):
        """
        The homes of a realm that is gone, which someone else still
        holds, are left whole, to their last holder.
        """
        old = self.realm.values = knownHomes(SLICE + 1, "old")
        self.shared.join(self.realm, _usageOf, old)
        del self.realm
        [steps] = self.steps
        self.assertEqual(list(steps), [])
        self.assertEqual(len(old.built.tables()[0]), SLICE + 1)

    def test_smallAtOnce(self):
        """
        Homes no more than a slice are freed at once.
        """
        old = knownHomes(SLICE, "old")
        self.shared.join(self.realm, _usageOf, old)
        whole = weakref.ref(old)
        del old
        self.shared.join(self.realm, _usageOf, knownHomes(3, "new"))
        self.assertIsNone(whole())
        self.assertEqual(self.steps, [])


class RealmReloadTests(unittest.TestCase):
    """
    A users realm's reload reaches its L{SharedHomes} with nothing else
    holding the homes known before: they are let go of in slices.
    """

    def test_reloadReleased(self):
        """
        The first answer after a reload of more than a slice of users
        hands the old homes' tables over, a slice a step.
        """
        steps = []
        self.patch(users, "DISK_HOMES", SharedHomes(cooperate=steps.append))
        self.addCleanup(gc.unfreeze)
        path = self.mktemp()
        names = ["user%d" % number for number in range(SLICE + 1)]
        writeText(path, usersText(names))
        database = UsersDatabase(path)
        realm = UsersRealm(database, self.mktemp())
        writeText(path, usersText(names + ["bob"]))
        self.assertTrue(database.reload())
        self.assertEqual(steps, [])
        self.assertFalse(realm.quotaHomes().nested)
        [iterator] = steps
        self.assertGreater(len(list(iterator)), 1)


class _Holder:
    """
    What L{releaseOnceAlone} lets go of: its tables are its parts.
    """

    def __init__(self, tables):
        """
        @param tables: its parts.
        """
        self.tables = tables

    def parts(self):
        """
        @return: its tables.
        """
        return self.tables


class OnceAloneTests(unittest.TestCase):
    """
    L{releaseOnceAlone}: dicts and lists taken apart in turn.
    """

    def test_inTurn(self):
        """
        Each step takes at most a slice of one table, the tables in the
        order given.
        """
        first, second = {1: 1, 2: 2, 3: 3}, [1, 2]
        steps = []
        releaseOnceAlone(_Holder([first, second]), 2, steps.append)
        [iterator] = steps
        sizes = []
        for _ in iterator:
            sizes.append((len(first), len(second)))
        self.assertEqual(sizes, [(1, 2), (0, 2), (0, 0)])

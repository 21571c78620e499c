"""
Tests for L{ftpkit.auth.outofsight}: a large users file's tables built
with no garbage collection meanwhile, and frozen once built; and for the
users file's reload, which builds them so (the parse of 60,000 users
made the collector walk every object about nine times, holding every
session's reply).
"""

import gc
import weakref

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth import outofsight
from ftpkit.auth.outofsight import builtOutOfSight, collectionsPaused
from ftpkit.auth.users import UsersChecker, UsersDatabase, UsersRealm
from tests.unit.test_reloadviews import usersText
from tests.usersfiles import writeText


class Marker:
    """
    An object the collector tracks, to find among its objects.
    """


def tracked(thing):
    """
    @param thing: an object.
    @return: whether the collector's generations hold it (a frozen one
        is in none of them).
    """
    return any(found is thing for found in gc.get_objects())


class PausedTests(unittest.TestCase):
    """
    L{collectionsPaused}: the collector's switch is the process', so the
    holders are counted.
    """

    def setUp(self):
        self.addCleanup(gc.enable if gc.isenabled() else gc.disable)
        gc.enable()

    def test_offWhileHeld(self):
        """
        The collector is off in the block, on again after it.
        """
        with collectionsPaused():
            self.assertFalse(gc.isenabled())
        self.assertTrue(gc.isenabled())

    def test_lastHolderSwitchesOn(self):
        """
        Two holders whose blocks overlap (two files parsed at once, each
        in a thread): the collector stays off until both left, whichever
        leaves first.
        """
        first, second = collectionsPaused(), collectionsPaused()
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)
        self.assertFalse(gc.isenabled())
        second.__exit__(None, None, None)
        self.assertTrue(gc.isenabled())
        self.assertEqual(outofsight._paused["holders"], 0)

    def test_offStaysOff(self):
        """
        A collector switched off before (by an embedding program) stays
        off after the block.
        """
        gc.disable()
        with collectionsPaused():
            pass
        self.assertFalse(gc.isenabled())

    def test_onAfterError(self):
        """
        A block that raises switches the collector on again too.
        """
        def broken():
            with collectionsPaused():
                raise ValueError("a bad file")
        self.assertRaises(ValueError, broken)
        self.assertTrue(gc.isenabled())


class BuiltTests(unittest.TestCase):
    """
    L{builtOutOfSight}.
    """

    def setUp(self):
        self.addCleanup(gc.unfreeze)

    def test_frozen(self):
        """
        What is built is built with the collector off, and is then out of
        its generations (frozen), where no full collection walks it.
        """
        states = []

        def build():
            states.append(gc.isenabled())
            return Marker()

        built = builtOutOfSight(build)
        self.assertEqual(states, [False])
        self.assertFalse(tracked(built))
        gc.unfreeze()
        self.assertTrue(tracked(built))

    def test_freedWhenDropped(self):
        """
        A frozen object nobody holds any more is freed (by reference
        counting), as a users table is once the next reload replaced it.
        """
        ref = weakref.ref(builtOutOfSight(Marker))
        self.assertIsNone(ref())


class UsersReloadTests(unittest.TestCase):
    """
    A users file read again: its users and the values over them built
    out of the collector's sight, the old ones freed.
    """

    def setUp(self):
        self.addCleanup(gc.unfreeze)
        self.root = self.mktemp()
        self.path = self.mktemp()
        writeText(self.path, usersText(["alice", "bob"]))
        self.database = UsersDatabase(self.path)
        self.checker = UsersChecker(self.database)
        self.realm = UsersRealm(self.database, self.root)

    @defer.inlineCallbacks
    def test_parsedOutOfSight(self):
        """
        The reload's parse runs with the collector off (it ran about nine
        full collections for 60,000 users), and the users are frozen.
        """
        states = []
        parse = self.database._parse

        def parsing(content, path):
            states.append(gc.isenabled())
            return parse(content, path)

        self.patch(self.database, "_parse", parsing)
        writeText(self.path, usersText(["alice", "bob", "carol"]))
        replaced = yield self.database.reloadInThread()
        self.assertTrue(replaced)
        self.assertEqual(states, [False])
        self.assertTrue(gc.isenabled())
        self.assertEqual(sorted(self.database.users), ["alice", "bob", "carol"])
        self.assertFalse(tracked(self.database.users["carol"]))

    @defer.inlineCallbacks
    def test_oldUsersFreed(self):
        """
        The users a reload replaced are freed as it puts the new ones in
        force, frozen as they were: nothing in them refers back to them.
        """
        writeText(self.path, usersText(["alice", "bob", "carol"]))
        yield self.database.reloadInThread()
        old = weakref.ref(self.database.users["carol"])
        writeText(self.path, usersText(["alice", "dave"]))
        yield self.database.reloadInThread()
        self.assertIsNone(old())
        self.assertEqual(sorted(self.database.users), ["alice", "dave"])

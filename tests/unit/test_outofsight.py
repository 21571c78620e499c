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

from ftpkit.auth import outofsight, reloadingfile
from ftpkit.auth.outofsight import (
    builtOutOfSight,
    collectionsPaused,
    releaseInSlices,
)
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


    def test_oldGarbageNotFrozen(self):
        """
        Garbage cycles older than the build (in the oldest generation) are
        collected, not frozen with the table, where nothing would ever
        free them: each reload froze the garbage of its time.
        """
        cycle = Marker()
        cycle.me = cycle
        gc.collect()
        ref = weakref.ref(cycle)
        del cycle
        builtOutOfSight(Marker)
        self.assertIsNone(ref())

    def test_garbageMeanwhileNotFrozen(self):
        """
        Garbage cycles made while the table is built (by other threads,
        the collector paused) are collected, not frozen with it.
        """
        refs = []

        def build():
            cycle = Marker()
            cycle.me = cycle
            refs.append(weakref.ref(cycle))
            return Marker()

        built = builtOutOfSight(build)
        self.assertIsNone(refs[0]())
        self.assertFalse(tracked(built))


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


class Entry:
    """
    A table's entry, whose freeing a weak reference sees.
    """


class SlicesTests(unittest.TestCase):
    """
    L{releaseInSlices}: a large table that only its caller holds is taken
    apart a slice at a time, one step of the reactor each.
    """

    def setUp(self):
        self.steps = []

    def cooperate(self, iterator):
        """
        Keep the steps, to be run by the test.

        @param iterator: the steps.
        @return: C{"task"}.
        """
        self.steps.append(iterator)
        return "task"

    def release(self, count):
        """
        Make a table of C{count} entries and let go of it.

        @param count: its entries.
        @return: weak references to them, and what L{releaseInSlices}
            returned.
        """
        table = {number: Entry() for number in range(count)}
        refs = [weakref.ref(entry) for entry in table.values()]
        return refs, releaseInSlices(table, 3, self.cooperate)

    def alive(self, refs):
        """
        @param refs: weak references.
        @return: how many are alive.
        """
        return sum(ref() is not None for ref in refs)

    def test_inSlices(self):
        """
        Each step frees one slice, until the table is empty.
        """
        refs, task = self.release(7)
        self.assertEqual(task, "task")
        self.assertEqual(self.alive(refs), 7)
        [steps] = self.steps
        next(steps)
        self.assertEqual(self.alive(refs), 4)
        next(steps)
        next(steps)
        self.assertEqual(self.alive(refs), 0)
        self.assertEqual(list(steps), [])

    def test_smallAtOnce(self):
        """
        A table no larger than a slice is freed at once.
        """
        refs, task = self.release(3)
        self.assertIsNone(task)
        self.assertEqual(self.alive(refs), 0)
        self.assertEqual(self.steps, [])

    def test_heldLeftWhole(self):
        """
        A table someone else holds too (a login looking a user up in it)
        is left whole, to be freed by its last holder.
        """
        table = {number: Entry() for number in range(7)}
        holder = [table]
        self.assertIsNone(releaseInSlices(table, 3, self.cooperate))
        self.assertEqual(self.steps, [])
        self.assertEqual(len(holder[0]), 7)


class ReplacedInSlicesTests(unittest.TestCase):
    """
    The users a reload replaced are taken apart in slices
    (L{releaseInSlices}), in the reactor: freed at once, 60,000 held it
    for 0.1 s.
    """

    def test_replacedReleased(self):
        """
        A reload hands the users it replaced to L{releaseInSlices}, once
        nothing else of the file's holds them; the same users kept (the
        same bytes read again) are not.
        """
        released = []
        self.patch(reloadingfile, "releaseInSlices", released.append)
        self.addCleanup(gc.unfreeze)
        path = self.mktemp()
        writeText(path, usersText(["alice"]))
        database = UsersDatabase(path)
        old = database.users
        oldEntry = weakref.ref(old["alice"])
        writeText(path, usersText(["alice", "bob"]))
        self.assertTrue(database.reload())
        self.assertEqual(released, [old])
        self.assertTrue(database.reload())
        self.assertEqual(released, [old])
        del old, released[:]
        self.assertIsNone(oldEntry())

"""
Tests for L{ftpkit.shells.diskcap}: the most cut uploads the disk realm
keeps for one user, and C{--max-partials-per-user}, which sets it on
every realm that keeps cut uploads.
"""

import os

from twisted.trial import unittest

from ftpkit.deploy import tap
from ftpkit.shells.diskcap import PartialCap, dropPast
from ftpkit.shells.keptregistry import MAX_KEPT_PER_USER, PAST_LIMIT


class PartialCapTests(unittest.SynchronousTestCase):
    """
    L{PartialCap.kept}.
    """

    def test_oldestPast(self):
        """
        Past C{perUser} of one user's, the oldest are given, and no
        longer counted; another user's count is their own.
        """
        cap = PartialCap(2)
        self.assertEqual(cap.kept(b"/a", 1, "alice"), [])
        self.assertEqual(cap.kept(b"/x", 9, "bob"), [])
        self.assertEqual(cap.kept(b"/b", 2, "alice"), [])
        self.assertEqual(cap.kept(b"/c", 3, "alice"), [(b"/a", 1)])
        self.assertEqual(cap.kept(b"/d", 4, "alice"), [(b"/b", 2)])

    def test_keptAgain(self):
        """
        A partial upload kept again (resumed, then cut again) is the
        newest.
        """
        cap = PartialCap(2)
        cap.kept(b"/a", 1, None)
        cap.kept(b"/b", 2, None)
        self.assertEqual(cap.kept(b"/a", 3, None), [])
        self.assertEqual(cap.kept(b"/c", 4, None), [(b"/b", 2)])


class DropPastTests(unittest.TestCase):
    """
    L{dropPast} on files.
    """

    def setUp(self):
        self.root = os.fsencode(os.path.abspath(self.mktemp()))
        os.makedirs(self.root)
        self.dropped = []

    def keep(self, name, data=b"bytes"):
        """
        @return: the path and C{stat} of a new file C{name}.
        """
        path = os.path.join(self.root, name)
        with open(path, "wb") as f:
            f.write(data)
        return path, os.stat(path)

    def test_dropsOldest(self):
        """
        Keeping one past the cap removes the user's oldest, told with
        L{PAST_LIMIT}.
        """
        cap = PartialCap(1)
        first, seen = self.keep(b".ftpkit-partial.a", b"12345678")
        self.assertEqual(dropPast(cap, first, seen, "alice",
                                  lambda *told: self.dropped.append(told)), 0)
        second, seen = self.keep(b".ftpkit-partial.b")
        self.assertEqual(dropPast(cap, second, seen, "alice",
                                  lambda *told: self.dropped.append(told)), 1)
        self.assertEqual(self.dropped, [(first, "alice", 8, PAST_LIMIT)])
        self.assertFalse(os.path.exists(first))
        self.assertTrue(os.path.exists(second))

    def test_anotherFileLeft(self):
        """
        A file that replaced the oldest under its name since (another cut
        upload kept there) is left, and nothing is told.
        """
        cap = PartialCap(1)
        first, seen = self.keep(b".ftpkit-partial.a")
        dropPast(cap, first, seen, "alice")
        newer, _ = self.keep(b"newer", b"newer")
        os.replace(newer, first)
        second, seen = self.keep(b".ftpkit-partial.b")
        self.assertEqual(dropPast(cap, second, seen, "alice",
                                  lambda *told: self.dropped.append(told)), 0)
        self.assertEqual(self.dropped, [])
        with open(first, "rb") as f:
            self.assertEqual(f.read(), b"newer")


class OptionTests(unittest.TestCase):
    """
    C{--max-partials-per-user}.
    """

    def realmOf(self, *arguments):
        """
        @return: the realm C{twistd ftpkit} builds from C{arguments}.
        """
        options = tap.Options()
        options.parseOptions(["--root", self.mktemp().rsplit("/", 1)[0],
                              *arguments])
        return options["realmObject"]

    def test_disk(self):
        """
        The disk realm's cap: 10 unless given.
        """
        self.assertEqual(self.realmOf()._partialCap.perUser,
                         MAX_KEPT_PER_USER)
        self.assertEqual(self.realmOf("--max-partials-per-user", "3")
                         ._partialCap.perUser, 3)

    def test_memory(self):
        """
        C{--realm memory}'s cut uploads kept for one user.
        """
        realm = self.realmOf("--realm", "memory",
                             "--max-partials-per-user", "4")
        self.assertEqual(realm._kept._kept._perUser, 4)

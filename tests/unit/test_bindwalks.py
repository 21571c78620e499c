"""
The walks of L{ftpkit.shells.partialsweep} (the sweep at start, and
room-making's, L{ftpkit.shells.diskroom.partialsOn}) reach no directory
twice through a bind mount below their root (root only: each test binds
a directory with C{mount --bind}, and skips where it may not). Before
session 56 room-making entered a bind mount of a directory of its own
file system, and the sweep any mount: a bind mount of the root under
itself doubled either walk, a partial upload found twice.
"""

import os

from twisted.trial import unittest

from ftpkit.shells import diskroom, partialsweep
from tests.smallmounts import bindMount


class BindMountTests(unittest.TestCase):
    """
    A tree C{a/b} (holding a partial upload) and C{c}; C{c} shows another
    directory.
    """

    def setUp(self):
        self.root = os.fsencode(os.path.realpath(self.mktemp()))
        os.makedirs(os.path.join(self.root, b"a", b"b"))
        os.mkdir(os.path.join(self.root, b"c"))
        self.partial = os.path.join(self.root, b"a", b"b",
                                    b".ftpkit-partial.f")
        with open(self.partial, "wb") as f:
            f.write(b"x" * 10)

    def bound(self, source):
        """
        Show C{source} at C{c}.
        """
        bindMount(self, source, os.path.join(self.root, b"c"))

    def walked(self):
        """
        @return: the identities (C{st_dev}, C{st_ino}) of the directories
            the sweep's walk reached, one an entry.
        """
        reached = []
        for directory, _ in partialsweep._walk(self.root, lambda name: True):
            result = os.stat(directory)
            reached.append((result.st_dev, result.st_ino))
        return reached

    def test_ancestorSweep(self):
        """
        The root shown below itself: the sweep walks each directory once
        (the root, C{a} and C{a/b}: C{c} shows the root).
        """
        self.bound(self.root)
        reached = self.walked()
        self.assertEqual(len(reached), len(set(reached)))
        self.assertEqual(len(reached), 3)

    def test_ancestorRoom(self):
        """
        The root shown below itself: room-making finds its partial upload
        once.
        """
        self.bound(self.root)
        device = os.stat(self.root).st_dev
        found = [os.stat(path).st_ino for path, _, _
                 in diskroom.partialsOn([self.root], device)]
        self.assertEqual(found, [os.stat(self.partial).st_ino])

    def test_siblingSweep(self):
        """
        C{a} shown at C{c} too: walked once.
        """
        self.bound(os.path.join(self.root, b"a"))
        reached = self.walked()
        self.assertEqual(len(reached), len(set(reached)))
        self.assertEqual(len(reached), 3)

    def test_outsideEntered(self):
        """
        A directory from outside the tree (a home mounted under the
        root) is walked, by the sweep and by room-making, which finds
        the partial upload there.
        """
        outside = os.fsencode(os.path.realpath(self.mktemp()))
        os.mkdir(outside)
        kept = os.path.join(outside, b".ftpkit-partial.g")
        with open(kept, "wb") as f:
            f.write(b"y")
        self.bound(outside)
        self.assertEqual(len(self.walked()), 4)
        device = os.stat(self.root).st_dev
        found = sorted(os.stat(path).st_ino for path, _, _
                       in diskroom.partialsOn([self.root], device))
        self.assertEqual(found, sorted([os.stat(self.partial).st_ino,
                                        os.stat(kept).st_ino]))

"""
Tests for L{bench.spent}: finished uploads are moved aside, not removed,
and what creating a file costs is measured.
"""

import os

from twisted.trial import unittest

from bench.spent import createCost, setAside
from tests.scratch import scratchDirectory


class SetAsideTests(unittest.TestCase):
    """
    L{setAside} moves a directory, with what it holds, under a new name.
    """

    def setUp(self):
        self.workdir = scratchDirectory(self)
        self.spent = os.path.join(self.workdir, "spent")

    def uploads(self, name):
        """
        @return: a new directory holding one file called C{name}.
        """
        directory = os.path.join(self.workdir, "up")
        os.mkdir(directory)
        with open(os.path.join(directory, name), "wb") as f:
            f.write(b"x")
        return directory

    def test_moved(self):
        """
        The directory is gone from where it was; its files are in the
        new directory L{setAside} returns, under C{spent}.
        """
        directory = self.uploads("a.bin")
        moved = setAside(directory, self.spent)
        self.assertFalse(os.path.exists(directory))
        self.assertEqual(os.path.dirname(moved), self.spent)
        self.assertEqual(os.listdir(moved), ["a.bin"])

    def test_eachRunItsOwn(self):
        """
        Directories set aside one after the other keep their files apart,
        also when a name it would pick is taken.
        """
        os.makedirs(os.path.join(self.spent, "1"))
        first = setAside(self.uploads("a.bin"), self.spent)
        second = setAside(self.uploads("b.bin"), self.spent)
        self.assertNotEqual(first, second)
        self.assertEqual(os.listdir(first), ["a.bin"])
        self.assertEqual(os.listdir(second), ["b.bin"])
        self.assertEqual(len(os.listdir(self.spent)), 3)


class CreateCostTests(unittest.TestCase):
    """
    L{createCost} measures file creation and keeps the files it made.
    """

    def test_cost(self):
        """
        It gives CPU seconds per file, and leaves the files in a
        subdirectory (removing them would slow the creates it warns of).
        """
        directory = scratchDirectory(self)
        cost = createCost(directory, files=20)
        self.assertIsInstance(cost, float)
        self.assertGreaterEqual(cost, 0)
        self.assertEqual(os.listdir(directory), ["create-probe"])
        self.assertEqual(
            len(os.listdir(os.path.join(directory, "create-probe"))), 20)

"""
Tests for L{ftpkit.shells.answers}: what a shell's C{stat} and listings
must fire with.
"""

import datetime

from twisted.trial import unittest

from ftpkit.fileinfo import DIRECTORY, FILE, LINK, FileInfo
from ftpkit.shells.answers import (
    entriesProblem,
    infoProblem,
    isSegment,
    namesProblem,
    withoutBadNames,
)


class InfoTests(unittest.TestCase):
    """
    L{infoProblem}.
    """

    def test_good(self):
        """
        A L{FileInfo} of the default types, an C{int} time or none.
        """
        for info in (FileInfo(FILE), FileInfo(DIRECTORY, mtime=None),
                     FileInfo(FILE, size=3, mtime=5),
                     FileInfo(LINK, target="t"), FileInfo(FILE, uid=0, gid=7)):
            self.assertIsNone(infoProblem(info))

    def test_bad(self):
        """
        Each field of another type, a negative size, something else than
        a L{FileInfo}: said by name.
        """
        cases = [
            (FileInfo(FILE, mtime=datetime.datetime(2020, 1, 1)),
             "a FileInfo whose mtime is datetime.datetime(2020, 1, 1, 0, 0),"
             " not seconds since the epoch (a float) or None"),
            (FileInfo(FILE, size=None), "a FileInfo whose size is None, not"
             " a count of bytes (an int)"),
            (FileInfo(FILE, size="3"), "a FileInfo whose size is '3'"),
            (FileInfo(FILE, size=True), "a FileInfo whose size is True"),
            (FileInfo(FILE, size=-1), "a FileInfo whose size is -1, not a"
             " count of bytes"),
            (FileInfo(FILE, mode="644"), "a FileInfo whose mode is '644'"),
            (FileInfo(LINK, target=b"t"), "a FileInfo whose target is b't',"
             " not text or None"),
            (FileInfo(FILE, uid="0"), "a FileInfo whose uid is '0', not a"
             " user id (an int) or None"),
            (FileInfo(FILE, gid=1.5), "a FileInfo whose gid is 1.5"),
            (None, "None, not a FileInfo"),
        ]
        for info, said in cases:
            self.assertIn(said, infoProblem(info))


class EntriesTests(unittest.TestCase):
    """
    L{entriesProblem} and L{namesProblem}.
    """

    def test_good(self):
        """
        Pairs, from any iterable, come back as a list.
        """
        pairs = [("a", FileInfo(FILE)), ("b", FileInfo(DIRECTORY))]
        self.assertEqual(entriesProblem(iter(pairs)), (pairs, None))
        self.assertEqual(namesProblem(("a", "b")), (["a", "b"], None))

    def test_bad(self):
        """
        What is not pairs of a name and a good L{FileInfo} is said, with
        the first entry that is not.
        """
        self.assertEqual(entriesProblem(None), (
            None, "None, not a list of (name, FileInfo)"))
        self.assertEqual(entriesProblem([FileInfo(FILE)])[1][-34:],
                         "as entry 0, not a (name, FileInfo)")
        self.assertEqual(entriesProblem([("a", FileInfo(FILE)), (b"b", 1)]),
                         (None, "(b'b', 1) as entry 1, not a (name, "
                          "FileInfo)"))
        self.assertEqual(entriesProblem([("a", FileInfo(FILE, size=None))]),
                         (None, "a FileInfo whose size is None, not a count"
                          " of bytes (an int) as the entry of 'a'"))
        self.assertEqual(namesProblem(["a", 1]),
                         (None, "1 as name 1, not text"))
        self.assertEqual(namesProblem(3), (None, "3, not a list of names"))


class SegmentTests(unittest.TestCase):
    """
    L{isSegment} and L{withoutBadNames}.
    """

    def test_isSegment(self):
        """
        A path segment, not C{""}, C{"."}, C{".."}, nor one holding
        C{"/"} or NUL.
        """
        for name in ("a", "...", ".hidden", "a b", "\udcff"):
            self.assertTrue(isSegment(name), name)
        for name in ("", ".", "..", "a/b", "/", "n\x00"):
            self.assertFalse(isSegment(name), name)

    def test_withoutBadNames(self):
        """
        The others left out, and named; a listing without them is given
        back as it is.
        """
        entries = [".", "a", "b/c", "d"]
        self.assertEqual(withoutBadNames(entries, str),
                         (["a", "d"], [".", "b/c"]))
        good = ["a", "d"]
        self.assertIs(withoutBadNames(good, str)[0], good)

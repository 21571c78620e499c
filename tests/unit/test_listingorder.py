"""
Tests for L{ftpkit.protocol.listingorder}: the order of C{ls -t} and
C{ls -r}.
"""

from twisted.trial.unittest import SynchronousTestCase

from ftpkit.fileinfo import FileInfo
from ftpkit.protocol.listingorder import isOrdered, ordered


def entry(name, mtime):
    """
    @return: a C{(name, FileInfo)} pair of a file of that time.
    """
    return (name, FileInfo(kind="file", mtime=mtime))


ENTRIES = [entry("b", 20.0), entry("a", 10.0), entry("c", 20.0),
           entry("unknown", None)]


class OrderTests(SynchronousTestCase):
    """
    Tests for L{isOrdered} and L{ordered}.
    """

    def test_isOrdered(self):
        """
        C{t} or C{r} among the letters ask for another order; C{l}, C{a},
        C{R}, C{d} do not.
        """
        self.assertEqual([isOrdered(letters) for letters in
                          ["lt", "latr", "r", "", "la", "R", "ld"]],
                         [True, True, True, False, False, False, False])

    def test_newestFirst(self):
        """
        C{t}: newest first, entries of one time by name, an unknown time
        last (as the oldest).
        """
        self.assertEqual([name for name, _ in ordered(ENTRIES, "lt")],
                         ["b", "c", "a", "unknown"])

    def test_reversed(self):
        """
        C{r} reverses the order, by time (C{tr}: oldest first) or by name.
        """
        self.assertEqual([name for name, _ in ordered(ENTRIES, "ltr")],
                         ["unknown", "a", "c", "b"])
        self.assertEqual([name for name, _ in ordered(ENTRIES, "r")],
                         ["unknown", "c", "b", "a"])

    def test_newList(self):
        """
        The entries given are left as they were.
        """
        entries = list(ENTRIES)
        ordered(entries, "t")
        self.assertEqual(entries, ENTRIES)

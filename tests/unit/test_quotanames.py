"""
L{ftpkit.shells.quotanames}: a watched name is marked changed by another
change of it, or of a directory above it, and by nothing else.
"""

from twisted.trial import unittest

from ftpkit.shells.quotanames import NameChanges


class NameChangesTests(unittest.TestCase):
    """
    L{NameChanges}.
    """

    def test_sameName(self):
        """
        A change of the name marks its watches, but the one it names as
        its own.
        """
        names = NameChanges()
        mine, other = names.watch(("a", "f")), names.watch(("a", "f"))
        names.changed(("a", "f"), by=mine)
        self.assertEqual((mine.changed, other.changed), (False, True))

    def test_above(self):
        """
        A change of a directory above the name marks it; one of another
        name, or below it, does not.
        """
        names = NameChanges()
        watch = names.watch(("a", "f"))
        names.changed(("a", "g"))
        names.changed(("a", "f", "x"))
        names.changed(("af",))
        self.assertFalse(watch.changed)
        names.changed(("a",))
        self.assertTrue(watch.changed)

    def test_unwatched(self):
        """
        A change after the name is unwatched does not mark it.
        """
        names = NameChanges()
        watch = names.watch(("f",))
        names.unwatch(watch)
        names.unwatch(watch)
        names.changed(("f",))
        self.assertFalse(watch.changed)

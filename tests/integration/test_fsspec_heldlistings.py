"""
Listings of a store fsspec lists in one call (here C{memory://}) hold the
whole directory until they are closed, read or not; the entries they hold
together in one process are bounded (L{ftpkit.shells.fsspecheld}).
"""

from twisted.internet import defer
from twisted.trial import unittest

try:
    import fsspec
except ImportError:
    fsspec = None
else:
    from ftpkit.errors import NotDirectory
    from ftpkit.shells import fsspecheld
    from ftpkit.shells.fsspecshell import FsspecShell


class HeldListingsTests(unittest.TestCase):
    """
    L{FsspecShell.openListing} of a directory of 30 files, with room for
    50 entries held.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        fs = fsspec.filesystem("memory", global_store=False,
                               skip_instance_cache=True)
        for number in range(30):
            fs.pipe(f"/d/f{number:02d}", b"x")
        self.shell = FsspecShell(fs, "")
        # A counter of these tests' own: what other tests' listings hold
        # until collected, or give back in their shells' threads, is not
        # their business (test_refusedGivesBack checks this shell's).
        # Patching the process's count to 0 instead, a listing of an
        # earlier test given back meanwhile took it below 0, and the
        # count restored afterwards kept its entries held for ever.
        self.held = fsspecheld.HeldEntries(limit=50)
        self.patch(fsspecheld, "heldEntries", self.held)
        self.addCleanup(self.shell.whenIdle)

    @defer.inlineCallbacks
    def test_bounded(self):
        """
        A listing that would take the entries held past the bound is
        refused with a 451 error to try again (five clients stalling
        listings of a large directory held all of it five times); once
        the listing in progress is closed, it is given.
        """
        first = yield self.shell.openListing(("d",))
        failure = yield self.assertFailure(self.shell.openListing(("d",)),
                                           fsspecheld.ListingsHeld)
        self.assertEqual(failure.code, 451)
        yield first.close()
        yield self.shell.whenIdle()
        self.assertEqual(self.held.held, 0)
        second = yield self.shell.openListing(("d",))
        self.assertEqual(len((yield second.nextBatch())), 30)
        self.assertEqual((yield second.nextBatch()), [])
        self.assertEqual(self.held.held, 0)

    @defer.inlineCallbacks
    def test_aloneOverBound(self):
        """
        A directory larger than the bound is listed all the same when no
        other listing holds entries.
        """
        self.patch(self.held, "limit", 10)
        listing = yield self.shell.openListing(("d",))
        self.assertEqual(len((yield listing.nextBatch())), 30)
        yield listing.close()

    @defer.inlineCallbacks
    def test_refusedGivesBack(self):
        """
        A listing refused once its first page is read (the name of a
        file, which C{memory://} lists as the file alone) gives back the
        entries it held at once: it held them until its traceback was
        collected, and the next listings were refused for them.
        """
        error = yield self.assertFailure(
            self.shell.openListing(("d", "f00")), NotDirectory)
        self.assertEqual(self.held.held, 0)
        self.assertIsNotNone(error.__traceback__)

    @defer.inlineCallbacks
    def test_givesBackWhereTaken(self):
        """
        A listing gives its entries back to the count it took them from,
        though the process's count was replaced meanwhile (by a later
        test's own): it gave them to the new count, below 0, and the one
        it took them from held them for ever.
        """
        listing = yield self.shell.openListing(("d",))
        self.assertEqual(self.held.held, 30)
        other = fsspecheld.HeldEntries(limit=50)
        self.patch(fsspecheld, "heldEntries", other)
        yield listing.close()
        yield self.shell.whenIdle()
        self.assertEqual((self.held.held, other.held), (0, 0))

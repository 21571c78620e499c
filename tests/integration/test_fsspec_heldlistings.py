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
        self.patch(fsspecheld.heldEntries, "limit", 50)
        # What other tests' listings hold until collected is not these
        # tests' business (test_refusedGivesBack checks this shell's).
        self.patch(fsspecheld.heldEntries, "held", 0)
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
        self.assertEqual(fsspecheld.heldEntries.held, 0)
        second = yield self.shell.openListing(("d",))
        self.assertEqual(len((yield second.nextBatch())), 30)
        self.assertEqual((yield second.nextBatch()), [])
        self.assertEqual(fsspecheld.heldEntries.held, 0)

    @defer.inlineCallbacks
    def test_aloneOverBound(self):
        """
        A directory larger than the bound is listed all the same when no
        other listing holds entries.
        """
        self.patch(fsspecheld.heldEntries, "limit", 10)
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
        self.assertEqual(fsspecheld.heldEntries.held, 0)
        self.assertIsNotNone(error.__traceback__)

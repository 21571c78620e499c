"""
The conformance tests of listings in batches
(L{ftpkit.interfaces.IFTPShellStreamedListing}), for shells that provide
them.
"""

import time

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import SkipTest
from zope.interface.verify import verifyObject

from ftpkit.conformance.helpers import writeFile
from ftpkit.conformance.kit import ShellKit
from ftpkit.errors import NoSuchFile, NotDirectory
from ftpkit.interfaces import (
    IDirectoryListing,
    IFTPShellStreamedListing,
    INameListing,
    IStatListing,
)
from ftpkit.protocol.listing import ListFormat, NamesFormat
from ftpkit.protocol.listingfacts import FACTS, FactsFormat


class ListingTests(ShellKit):
    """
    Part of L{ftpkit.conformance.IFTPShellConformanceMixin}: listings in
    batches.
    """

    def streamed(self):
        """
        @raise SkipTest: unless the shell provides
            L{IFTPShellStreamedListing}.
        """
        if not IFTPShellStreamedListing.providedBy(self.shell):
            raise SkipTest("The shell does not provide IFTPShellStreamedListing")

    @inlineCallbacks
    def readListing(self, path):
        """
        Read a whole listing in batches, then close it.

        @param path: a tuple of segments naming a directory.
        @return: a L{Deferred} with the batches (the final empty one
            left out).
        """
        listing = yield self.shell.openListing(path)
        self.assertTrue(verifyObject(IDirectoryListing, listing))
        batches = []
        try:
            while True:
                batch = yield listing.nextBatch()
                if not batch:
                    break
                batches.append(batch)
        finally:
            listing.close()
        yield self.settle()
        return batches

    @inlineCallbacks
    def closeListing(self, listing):
        """
        Close a listing, then let the work its close started end
        (L{settle}): a test that ends or skips at once would leave it
        running (a shell's call in a thread, with its timers).

        @param listing: an L{IDirectoryListing}.
        @return: a L{Deferred} firing with C{None}.
        """
        listing.close()
        yield self.settle()

    @inlineCallbacks
    def test_streamedListing(self):
        """
        A listing in batches gives what C{list} gives, each entry once,
        described alike; every batch but the last (empty) one has entries.
        """
        self.streamed()
        yield self.shell.makeDirectory(("d",))
        for number in range(30):
            yield writeFile(self.shell, ("d", f"f{number:02d}"), b"x" * number)
        yield self.shell.makeDirectory(("d", "sub"))
        batches = yield self.readListing(("d",))
        self.assertTrue(all(batches))
        entries = [entry for batch in batches for entry in batch]
        expected = yield self.shell.list(("d",))
        self.assertEqual(
            sorted((name, info.kind, info.size) for name, info in entries),
            [(name, info.kind, info.size) for name, info in expected])
        self.assertEqual((yield self.readListing(("d", "sub"))), [])

    @inlineCallbacks
    def test_streamedListingFails(self):
        """
        Opening a listing of a file fails with L{NotDirectory}, of a
        missing path with L{NoSuchFile}.
        """
        self.streamed()
        yield writeFile(self.shell, ("f",), b"x")
        yield self.assertFailure(self.shell.openListing(("f",)), NotDirectory)
        yield self.assertFailure(self.shell.openListing(("x",)), NoSuchFile)
        yield self.assertFailure(self.shell.openListing(("x", "y")), NoSuchFile)

    @inlineCallbacks
    def test_streamedListingAbandoned(self):
        """
        A listing closed before its end (the client went away), even
        while a batch is on its way, leaves the shell working.
        """
        self.streamed()
        for number in range(5):
            yield writeFile(self.shell, (f"f{number}",), b"")
        listing = yield self.shell.openListing(())
        pending = listing.nextBatch()
        listing.close()
        yield pending
        yield self.settle()
        self.assertEqual(len((yield self.shell.list(()))), 5)

    @inlineCallbacks
    def test_namedListing(self):
        """
        A listing that names its entries (L{INameListing}) gives the names
        C{list} gives, each once; every batch but the last (empty) one has
        names.
        """
        self.streamed()
        yield self.shell.makeDirectory(("d",))
        for number in range(30):
            yield writeFile(self.shell, ("d", f"f{number:02d}"), b"")
        yield self.shell.makeDirectory(("d", "sub"))
        listing = yield self.shell.openListing(("d",))
        if not INameListing.providedBy(listing):
            yield self.closeListing(listing)
            raise SkipTest("The shell's listings do not provide "
                           "INameListing")
        try:
            self.assertTrue(verifyObject(INameListing, listing))
            batches = []
            while batch := (yield listing.nextNames()):
                batches.append(batch)
        finally:
            listing.close()
        yield self.settle()
        expected = yield self.shell.list(("d",))
        self.assertEqual(sorted(name for batch in batches for name in batch),
                         [name for name, _ in expected])

    @inlineCallbacks
    def test_formattedListing(self):
        """
        A listing that formats its own batches (L{IStatListing}) gives,
        with each format, the lines that format gives for what C{list}
        gives.
        """
        self.streamed()
        yield self.shell.makeDirectory(("d",))
        for number in range(30):
            yield writeFile(self.shell, ("d", f"f{number:02d}"), b"x" * number)
        yield self.shell.makeDirectory(("d", "sub"))
        listing = yield self.shell.openListing(("d",))
        yield self.closeListing(listing)
        if not IStatListing.providedBy(listing):
            raise SkipTest("The shell's listings do not provide IStatListing")
        expected = yield self.shell.list(("d",))
        now = time.time()
        for makeFormat in (lambda: ListFormat(now),
                           lambda: FactsFormat(FACTS, True),
                           lambda: FactsFormat(("type", "size"), False),
                           NamesFormat):
            listing = yield self.shell.openListing(("d",))
            self.assertTrue(verifyObject(IStatListing, listing))
            format, body = makeFormat(), b""
            try:
                while True:
                    data = yield listing.nextFormattedBatch(format)
                    if data is None:
                        break
                    body += data
            finally:
                listing.close()
            yield self.settle()
            self.assertEqual(sorted(body.splitlines()),
                             sorted(makeFormat().entries(expected).splitlines()))

"""
Tests for L{ftpkit.data.movers.listings.ListingReadFile}: a listing sent
batch by batch, with backpressure, on a L{StringTransport}.
"""

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.error import ConnectionLost
from twisted.internet.testing import StringTransport
from twisted.trial import unittest
from zope.interface import implementer
from zope.interface.verify import verifyObject

from ftpkit.data.movers.listings import ListingReadFile
from ftpkit.errors import LocalError
from ftpkit.interfaces import (
    IDirectoryListing,
    INameListing,
    IReadFile,
    IStatListing,
)
from ftpkit.protocol.listing import NamesFormat
from ftpkit.shells.listings import linesReader


@implementer(IDirectoryListing)
class EndlessListing:
    """
    A listing that answers at once with batches of two entries, as many
    as asked for.

    @ivar asked: how many batches were asked for.
    """

    def __init__(self, batches=None):
        """
        @param batches: how many batches to give before the end, or
            C{None} for no end.
        """
        self.asked = 0
        self.closed = False
        self._batches = batches

    def nextBatch(self):
        return succeed(self.take())

    def take(self):
        """
        @return: the next batch (counted as asked for).
        """
        self.asked += 1
        if self._batches is not None and self.asked > self._batches:
            return []
        return [(f"b{self.asked}", None), (f"a{self.asked}", None)]

    def close(self):
        self.closed = True


class Names:
    """
    Formats a batch as its names, sorted, one a line.
    """

    @staticmethod
    def entries(batch):
        return b"".join(name.encode() + b"\n" for name, _ in sorted(batch))

    @staticmethod
    def stats(batch, owner, group):
        return Names.entries(batch)


@implementer(IStatListing)
class FormattingListing(EndlessListing):
    """
    An L{EndlessListing} that formats its own batches; a batch of number
    C{empty} has only entries left out (formatted as C{b""}).

    @ivar formats: the formats it was given.
    """

    empty = 2

    def __init__(self, batches=None):
        EndlessListing.__init__(self, batches)
        self.formats = []

    def nextBatch(self):
        raise AssertionError("entries asked of a formatting listing")

    def nextFormattedBatch(self, format):
        self.formats.append(format)
        batch = self.take()
        if not batch:
            return succeed(None)
        if self.asked == self.empty:
            return succeed(b"")
        return succeed(format.stats(batch, str, str))


@implementer(INameListing)
class NamingListing(FormattingListing):
    """
    A L{FormattingListing} that also names its entries.
    """

    def nextFormattedBatch(self, format):
        raise AssertionError("a formatted batch asked of a names listing")

    def nextNames(self):
        return succeed([name for name, _ in self.take()])


names = Names()


class PausingTransport(StringTransport):
    """
    A transport whose buffer holds C{limit} bytes: a write that fills it
    pauses the producer, as a TCP transport does.
    """

    limit = 12

    def write(self, data):
        StringTransport.write(self, data)
        if len(self.value()) >= self.limit and self.streaming:
            self.producer.pauseProducing()

    def drain(self):
        """
        The peer took everything: resume the producer.
        """
        self.clear()
        self.producer.resumeProducing()


class ListingReadFileTests(unittest.TestCase):
    """
    L{ListingReadFile}.
    """

    def test_interface(self):
        """
        L{ListingReadFile} provides L{IReadFile}.
        """
        self.assertTrue(verifyObject(IReadFile, ListingReadFile(
            EndlessListing(1), names)))

    def test_sortedBatches(self):
        """
        The head, then each batch sorted by name and formatted, in the
        order the batches came; the byte count; the producer unregistered
        at the end.
        """
        transport = StringTransport()
        readFile = ListingReadFile(EndlessListing(2), names, b"head\n")
        sent = self.successResultOf(readFile.send(transport))
        self.assertEqual(transport.value(), b"head\na1\nb1\na2\nb2\n")
        self.assertEqual(sent, len(transport.value()))
        self.assertIsNone(transport.producer)
        self.assertEqual(readFile.batches, 3)

    def test_formattedBatches(self):
        """
        A listing that formats its own batches is given the format and
        asked for no entries; a batch whose entries were all left out
        (C{b""}) is not the end, C{None} is.
        """
        listing = FormattingListing(3)
        transport = StringTransport()
        sent = self.successResultOf(
            ListingReadFile(listing, names, b"head\n").send(transport))
        self.assertEqual(transport.value(), b"head\na1\nb1\na3\nb3\n")
        self.assertEqual(sent, len(transport.value()))
        self.assertEqual(listing.formats, [names] * 4)
        self.assertIsNone(transport.producer)

    def test_names(self):
        """
        Told to, L{ListingReadFile} reads a listing's names alone and has
        the format's C{names} format each batch, even of a listing that
        formats its own batches; an empty batch is the end.
        """
        listing = NamingListing(2)
        transport = StringTransport()
        sent = self.successResultOf(ListingReadFile(
            listing, NamesFormat("d/"), b"head\n", names=True).send(
                transport))
        self.assertEqual(transport.value(),
                         b"head\nd/a1\r\nd/b1\r\nd/a2\r\nd/b2\r\n")
        self.assertEqual(sent, len(transport.value()))
        self.assertIsNone(transport.producer)

    def test_formattedNothingAskedWhilePaused(self):
        """
        A listing that formats its own batches is not asked for one while
        the data connection is full either.
        """
        listing = FormattingListing()
        listing.empty = None
        transport = PausingTransport()
        sending = ListingReadFile(listing, names).send(transport)
        self.assertEqual(listing.asked, 2)
        transport.drain()
        self.assertEqual(listing.asked, 4)
        transport.producer.stopProducing()
        self.failureResultOf(sending, ConnectionLost)

    def test_nothingAskedWhilePaused(self):
        """
        While the data connection is full, no batch is asked for: the
        memory a listing holds is a batch, whatever the directory's size.
        """
        listing = EndlessListing()
        transport = PausingTransport()
        readFile = ListingReadFile(listing, names)
        sending = readFile.send(transport)
        self.assertEqual(listing.asked, 2)
        transport.drain()
        self.assertEqual(listing.asked, 4)
        self.assertNoResult(sending)
        transport.producer.stopProducing()
        self.failureResultOf(sending, ConnectionLost)
        readFile.close()
        self.assertTrue(listing.closed)

    def test_batchAskedAfterPreviousArrived(self):
        """
        A batch is asked for only once the previous one arrived.
        """
        pending = []

        @implementer(IDirectoryListing)
        class Slow:
            def nextBatch(self):
                pending.append(Deferred())
                return pending[-1]

            def close(self):
                pass

        transport = StringTransport()
        sending = ListingReadFile(Slow(), names).send(transport)
        self.assertEqual(len(pending), 1)
        pending[0].callback([("x", None)])
        self.assertEqual(transport.value(), b"x\n")
        self.assertEqual(len(pending), 2)
        pending[1].callback([])
        self.assertEqual(self.successResultOf(sending), 2)

    def test_failure(self):
        """
        A batch that cannot be read fails the send, the producer
        unregistered.
        """
        @implementer(IDirectoryListing)
        class Broken:
            def nextBatch(self):
                return fail(LocalError())

            def close(self):
                pass

        transport = StringTransport()
        self.failureResultOf(
            ListingReadFile(Broken(), names).send(transport), LocalError)
        self.assertIsNone(transport.producer)

    def test_batchNotWritten(self):
        """
        A batch the consumer will not take (text, not bytes) fails the
        send, the producer unregistered: the error was held by a
        Deferred nobody kept, and the listing's transfer waited for ever.
        """
        @implementer(IStatListing)
        class Texting(EndlessListing):
            def nextFormattedBatch(self, format):
                return succeed("text")

        transport = StringTransport()
        self.failureResultOf(
            ListingReadFile(Texting(), names, formatted=True).send(transport),
            TypeError)
        self.assertIsNone(transport.producer)
        self.assertEqual(self.flushLoggedErrors(TypeError), [])

    def test_closeOnce(self):
        """
        Closing the file closes the listing, once.
        """
        closes = []

        @implementer(IDirectoryListing)
        class Counting(EndlessListing):
            def close(self):
                closes.append(None)

        readFile = ListingReadFile(Counting(1), names)
        readFile.close()
        readFile.close()
        self.assertEqual(len(closes), 1)


class NextLinesTests(unittest.TestCase):
    """
    L{linesReader}, the one place that decides how a listing's lines are
    read.
    """

    def test_formatting(self):
        """
        A listing that formats its own batches is given the format.
        """
        listing = FormattingListing(1)
        self.assertEqual(self.successResultOf(linesReader(listing)(names)),
                         b"a1\nb1\n")
        self.assertIsNone(self.successResultOf(linesReader(listing)(names)))
        self.assertEqual(listing.formats, [names, names])

    def test_entries(self):
        """
        Any other listing's entries are formatted by the format's
        C{entries}; an empty batch is the end.
        """
        listing = EndlessListing(1)
        self.assertEqual(self.successResultOf(linesReader(listing)(names)),
                         b"a1\nb1\n")
        self.assertIsNone(self.successResultOf(linesReader(listing)(names)))

    def test_names(self):
        """
        Asked for names, even a listing that formats its batches gives
        its names, formatted by the format's C{names}.
        """
        listing = NamingListing(1)
        self.assertEqual(self.successResultOf(
            linesReader(listing, names=True)(NamesFormat())), b"a1\r\nb1\r\n")
        self.assertIsNone(self.successResultOf(
            linesReader(listing, names=True)(NamesFormat())))

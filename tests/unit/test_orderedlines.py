"""
Tests for L{ftpkit.protocol.orderedlines}: the lines of a listing sorted
by time or reversed, made from C{os.stat} results, are those of
L{ftpkit.protocol.listingorder.ordered} of the same entries described as
L{ftpkit.fileinfo.FileInfo} values; and for the sort budget's share of a
process (L{ftpkit.protocol.listingorder.processBudget}).
"""

import os
import random
import sys

from twisted.cred.portal import Portal
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from ftpkit.config import ServerConfig
from ftpkit.control.server import FTPFactory
from ftpkit.protocol.listingorder import (
    SORT_BUDGET,
    SORT_LIMIT,
    OrderedFormat,
    ordered,
    processBudget,
)
from ftpkit.protocol.orderedlines import (
    SortedLines,
    SortingFormat,
    nameKey,
    recordNames,
    sortedRecords,
    timeKey,
    timeKeys,
)
from ftpkit.shells.disklistings import describe, groupName, ownerName

NOW = 1700000000.0
"""The time the listings are formatted at."""

LETTERS = ["t", "lt", "tr", "ltr", "r", "lr"]
"""Option letters asking for another order than by name."""


class KeyTests(SynchronousTestCase):
    """
    Tests for L{timeKey} and L{nameKey}.
    """

    def test_timeKey(self):
        """
        The keys of times sort newest first, negative times, fractions
        and zero of either sign included; equal times have one key.
        """
        times = [0.0, -0.0, 1.5, -1.5, 1e9, 1e9 + 0.25, -1e9, 2.0 ** 40,
                 1700000000.123456, 1700000000.123457, 5e-324, -5e-324]
        keys = sorted(times, key=timeKey)
        self.assertEqual(keys, sorted(times, reverse=True))
        self.assertEqual(timeKey(0.0), timeKey(-0.0))
        self.assertEqual(len(set(map(timeKey, times))), len(times) - 1)

    def test_timeKeys(self):
        """
        L{timeKeys} gives each time's L{timeKey}, whether every time is
        after 1970 (the digits made at once) or not.
        """
        after = [1e9, 1700000000.25, 5e-324, 2.0 ** 40, 1e9]
        for times in [after, after + [0.0], after + [-0.0, -3.5], [], [7]]:
            self.assertEqual(timeKeys(times), list(map(timeKey, times)))

    def test_nameKey(self):
        """
        Names sort, as the UTF-8 (C{surrogateescape}) bytes of their keys
        each followed by a NUL, as they sort as text: names read from
        disk as undecodable bytes, other letters and names that begin
        others included.
        """
        names = ["a", "ab", "a b", "b", "\u00e9", "\u00e9t\u00e9", "\ud7ff",
                 "\ue000", "\U0001f600", os.fsdecode(b"\xff"),
                 os.fsdecode(b"a\x80"), os.fsdecode(b"\xed\xa0\x80"), "Z",
                 "~", "\x7f"]
        byKey = sorted(names, key=lambda name: nameKey(name).encode(
            "utf-8", "surrogateescape") + b"\0")
        self.assertEqual(byKey, sorted(names))


class SortedLinesTests(SynchronousTestCase):
    """
    Tests for L{SortingFormat}, L{sortedRecords} and L{SortedLines}
    against L{ordered} of the entries' L{FileInfo} values.
    """

    if sys.platform == "win32":
        skip = "names of any bytes are POSIX's"

    def setUp(self):
        self.directory = self.mktemp()
        os.mkdir(self.directory)
        rng = random.Random(42)
        names = [f"f{number:03d}" for number in range(60)] + [
            "\u00e9t\u00e9", os.fsdecode(b"bad\xff"), "new\nline", "sp ace",
            "a", "ab"]
        for name in names:
            path = os.path.join(self.directory, name)
            with open(path, "wb") as f:
                f.write(b"x" * rng.randrange(5000))
            # Times that tie, within a second and across years, some
            # within the last six months (dates with an hour).
            when = rng.choice([NOW - 86400 * rng.randrange(5), NOW - 1e8,
                               NOW - 3600.5, 1e9, 0.0])
            os.utime(path, (when, when))
        os.mkdir(os.path.join(self.directory, "sub"))
        os.symlink("f001", os.path.join(self.directory, "link"))
        self.pairs = [(name, os.lstat(os.path.join(self.directory, name)))
                      for name in os.listdir(self.directory)]
        rng.shuffle(self.pairs)

    def batches(self, format, size=17):
        """
        @return: the entries formatted by C{format}, in batches of
            C{size}, as a listing reads them.
        """
        return [format.stats(self.pairs[start:start + size], ownerName,
                             groupName)
                for start in range(0, len(self.pairs), size)]

    def expected(self, letters):
        """
        @return: the lines L{ordered} gives the entries' L{FileInfo}
            values, formatted as a listing read as such sends them.
        """
        described = [(name, describe(result)) for name, result in self.pairs]
        return OrderedFormat(NOW).entries(ordered(described, letters))

    def test_sameLines(self):
        """
        The lines of the records sorted, a batch at a time, are those of
        the entries sorted as L{FileInfo} values: the same order, the
        same lines, the line of a name holding LF left out.
        """
        for letters in LETTERS:
            batches = self.batches(SortingFormat(NOW))
            lines = SortedLines(sortedRecords(batches, letters), 10)
            data = []
            while (batch := lines.nextFormattedBatch(None)) is not None:
                data.append(batch)
            self.assertEqual(b"".join(data), self.expected(letters), letters)
            self.assertNotIn(b"line", b"".join(data))

    def test_names(self):
        """
        L{recordNames} gives the names of the records sorted, in the order
        of L{ordered}'s, a name that is not UTF-8 as it was read, the one
        holding LF left out (C{NLST -t}).
        """
        for letters in LETTERS:
            batches = self.batches(SortingFormat(NOW))
            described = [(name, describe(result))
                         for name, result in self.pairs if "\n" not in name]
            self.assertEqual(
                recordNames(sortedRecords(batches, letters)),
                [name for name, _ in ordered(described, letters)], letters)

    def test_counted(self):
        """
        Every entry has one record, the one whose line is left out
        included, so that a listing is counted as it is read.
        """
        batches = self.batches(SortingFormat(NOW))
        self.assertEqual(sum(batch.count(b"\r\n") for batch in batches),
                         len(self.pairs))
        self.assertEqual(len(sortedRecords(batches, "t")),
                         len(self.pairs) - 1)

    def test_empty(self):
        """
        An empty listing has no records and no lines.
        """
        self.assertEqual(sortedRecords([], "t"), [])
        self.assertEqual(sortedRecords([b""], "r"), [])
        self.assertIsNone(SortedLines([], 10).nextFormattedBatch(None))

    def test_cacheKey(self):
        """
        The records are cached under a key of their own, one for every
        order (C{-t}, C{-r}: the records begin with the time, skipped in
        name order), their lines' dates decided as C{LIST}'s.
        """
        records = SortingFormat(NOW)
        self.assertEqual(records.cacheKey(), SortingFormat(NOW + 1).cacheKey())
        self.assertNotEqual(records.cacheKey(), ("LIST",))
        self.assertEqual(records.cacheStamp(), NOW)
        self.assertTrue(records.linesKept(NOW - 10, [NOW - 1e8]))

    def test_closed(self):
        """
        The records given are let go at once (their lines kept); closed,
        the lines not sent are let go.
        """
        records = [b"k\0one", b"k\0two"]
        lines = SortedLines(records, 1)
        self.assertEqual(records, [])
        self.assertEqual(lines.nextFormattedBatch(None), b"one\r\n")
        lines.close()
        self.assertIsNone(lines.nextFormattedBatch(None))


class ProcessBudgetTests(SynchronousTestCase):
    """
    Tests for L{processBudget}.
    """

    def test_divided(self):
        """
        The server's budget is divided among its processes, each keeping
        enough for one listing of L{SORT_LIMIT} entries.
        """
        self.assertEqual(
            [processBudget(workers) for workers in (1, 2, 4, 16, 0)],
            [SORT_BUDGET, SORT_BUDGET // 2, SORT_BUDGET // 4, SORT_LIMIT,
             SORT_BUDGET])

    def test_factory(self):
        """
        The server's factory takes its process's share, by C{--workers}.
        """
        for workers in (1, 4):
            factory = FTPFactory(Portal(None), ServerConfig(workers=workers),
                                 reactor=Clock())
            self.assertEqual(factory.sortBudget.free,
                             processBudget(workers))

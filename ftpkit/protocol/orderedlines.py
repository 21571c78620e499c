"""
The C{LIST} lines of a listing sorted by time or reversed
(L{ftpkit.protocol.listingorder}) made from C{os.stat} results, as pure
functions: where the listing reads its entries (a local directory's,
L{ftpkit.interfaces.IStatListing}), each is formatted by L{SortingFormat}
into a record, its sort key before its line, and the records of the
whole listing are sorted as bytes, in C (L{sortedRecords}); the keys are
cut off as the lines are sent (L{SortedLines}).

So the listing is read as a plain C{LIST} reads it, no
L{ftpkit.fileinfo.FileInfo} made an entry, and the listings' cache
(L{ftpkit.shells.listingcache}) keeps the records under their format's
key as it keeps C{LIST}'s lines: a directory listed again is replayed,
its entries whose lines may change without an event on it (a
subdirectory, a link followed, a file of several names) described
again, their keys with them, so that no order goes stale; a directory
whose records are not cached is formatted from the entries the cache
holds of it, if any, without reading it.

The order is L{ftpkit.protocol.listingorder.ordered}'s: a key is the
entry's modification time, made to sort newest first as hex digits
(L{timeKey}, L{TIME_WIDTH} characters), which C{t} sorts by and other
orders skip (so that C{-t} and C{-r} keep one copy of the records in
the cache, not one each); then its name, in an encoding whose bytes sort as
the text's code points do (L{nameKey}), and a NUL, which no name holds
and which sorts before any character: entries of one time sort by name,
a name before the longer ones it begins. Reversed under C{r}: no two
entries have one key, so the reverse of the order is the order the
reversed key gives.
"""

import struct
import sys
from array import array
from bisect import bisect_right

from ftpkit.protocol.listing import ListFormat
from ftpkit.protocol.listinglines import byName, encodeLines

_DOUBLE = struct.Struct(">d")

_COMPLEMENT = str.maketrans("0123456789abcdef", "fedcba9876543210")
"""Each hex digit to its complement: the digits of a number's bits
complemented, which sort the other way round."""

LEFT_OUT = "\0"
"""The record of an entry whose line is left out of the listing (its name
holds CR or LF: L{encodeLines}): counted among the entries, as the
listing read as L{ftpkit.fileinfo.FileInfo} values counts it, and sorted
first, to be dropped (L{sortedRecords})."""

_LEFT_OUT = LEFT_OUT.encode()

TIME_WIDTH = 17
"""The characters of a L{timeKey}, which begins every record."""


def timeKey(mtime):
    """
    @param mtime: a modification time, seconds since the epoch.
    @return: 17 characters that sort, as text, newest first: C{"a"} and
        the hex digits of the time's bits as a double, each complemented,
        for a time from 1970 on (whose bits grow with it); C{"b"} and
        those digits as they are for an earlier one (whose bits grow
        with its distance before 1970). C{0.0} and C{-0.0} are one time,
        as C{ordered}'s C{-mtime} makes them.
    """
    mtime += 0.0
    if mtime >= 0.0:
        return "a" + _DOUBLE.pack(mtime).hex().translate(_COMPLEMENT)
    return "b" + _DOUBLE.pack(mtime).hex()


def timeKeys(mtimes):
    """
    The L{timeKey} of each of many times, the digits of all made at once
    (in C, not a time at a time) where every one is after 1970.

    @param mtimes: the times, a list.
    @return: a list of their keys, in their order.
    """
    times = array("d", mtimes)
    if not times or min(times) <= 0.0:
        return list(map(timeKey, times))
    if sys.byteorder == "little":
        times.byteswap()
    digits = times.tobytes().hex().translate(_COMPLEMENT)
    return ["a" + digits[start:start + 16]
            for start in range(0, len(digits), 16)]


def nameKey(name):
    """
    @param name: an entry's name, text; a name read from disk holds
        surrogates (U+DC80 to U+DCFF) for bytes not UTF-8.
    @return: text whose C{surrogateescape} UTF-8 encoding sorts as the
        name does: the name itself but where it holds surrogates, which
        that encoding would make single bytes, sorting among the
        characters from U+0080; those are given UTF-8's three bytes for
        their code points (C{surrogatepass}), in their place.
    """
    if name.isascii():
        return name
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogatepass").decode(
            "utf-8", "surrogateescape")
    return name


class SortingFormat:
    """
    How a listing read whole to be sorted formats its batches where it
    reads them (L{ftpkit.interfaces.IStatListing.nextFormattedBatch}):
    C{LIST}'s lines, each after its entry's sort key (its time, then its
    name) and a NUL, one record a line, for every order
    (L{sortedRecords}). Cached as C{LIST}'s lines are (C{cacheKey},
    C{cacheStamp}, C{linesKept}), under a key of its own.
    """

    def __init__(self, now):
        """
        @param now: the current time, seconds since the epoch.
        """
        self._lines = ListFormat(now)

    def cacheKey(self):
        """
        See L{ListFormat.cacheKey}.

        @return: the key of records.
        """
        return ("LIST records",)

    def cacheStamp(self):
        """
        See L{ListFormat.cacheStamp}.

        @return: the time the lines are formatted at.
        """
        return self._lines.cacheStamp()

    def linesKept(self, stamp, mtimes):
        """
        See L{ListFormat.linesKept}: the lines' dates decide.

        @param stamp: what L{cacheStamp} gave for the records kept.
        @param mtimes: their entries' sorted modification times.
        @return: whether this format gives those records too.
        """
        return self._lines.linesKept(stamp, mtimes)

    def stats(self, batch, owner, group):
        """
        Format a batch straight from C{os.stat} results.

        @param batch: as for L{ListFormat.stats}; names are path segments
            (no NUL).
        @param owner: gives the name of a user id.
        @param group: gives the name of a group id.
        @return: a record an entry, each ending in CRLF: its key, a NUL and
            the line L{ListFormat.stats} gives it; L{LEFT_OUT} for an
            entry whose line is left out.
        """
        batch = sorted(batch, key=byName)
        lines = self._lines.statLines(batch, owner, group)
        keys = timeKeys([result.st_mtime for _, result in batch])
        records = [f"{key}{nameKey(name)}\0{line}"
                   for (name, _), key, line in zip(batch, keys, lines)]
        joined = "".join(records)
        if "\r" in joined or "\n" in joined:
            records = [LEFT_OUT if "\r" in record or "\n" in record
                       else record for record in records]
        return encodeLines(records)


def sortedRecords(batches, letters):
    """
    Sort a listing's records.

    @param batches: the bytes of every batch of the listing, formatted by
        a L{SortingFormat}.
    @param letters: the listing command's option letters
        (L{ftpkit.protocol.listingorder.isOrdered}).
    @return: a list of the records, without their line ends, in the
        order of L{ftpkit.protocol.listingorder.ordered} (by their keys,
        or without C{t} by what follows their time); the records of
        lines left out (L{LEFT_OUT}) dropped.
    """
    records = b"".join(batches).split(b"\r\n")
    records.pop()
    if "t" in letters:
        records.sort()
        del records[:bisect_right(records, _LEFT_OUT)]
    else:
        records = [record for record in records if record != _LEFT_OUT]
        records.sort(key=_afterTime)
    if "r" in letters:
        records.reverse()
    return records


def _afterTime(record):
    """
    @param record: a record of a L{SortingFormat}.
    @return: what sorts it by name: the record after its time.
    """
    return record[TIME_WIDTH:]


def recordNames(records):
    """
    The names of sorted records (C{NLST -t}, C{-r}), in their order.

    @param records: what L{sortedRecords} gave.
    @return: the entries' names, text (a byte that is not UTF-8 a
        surrogate, as the name was read): each key's L{nameKey} taken
        back.
    """
    return [record[TIME_WIDTH:record.index(b"\0")].decode(
        "utf-8", "surrogatepass") for record in records]


class SortedLines:
    """
    The lines of sorted records (L{sortedRecords}), a batch at a time as
    the data connection takes them, read as a listing that formats its
    own batches is (C{nextFormattedBatch}: see
    L{ftpkit.data.movers.listings.ListingReadFile}). The keys are cut off
    at once, so that a listing its client is slow to take (or never
    takes) holds its lines alone, each batch's let go once sent: a key
    holds the name again, which is most of a line where names are long.
    """

    def __init__(self, records, batchSize):
        """
        @param records: the sorted records; this list is emptied.
        @param batchSize: the most lines a batch.
        """
        self._lines = [record.partition(b"\0")[2] for record in records]
        records.clear()
        self._batchSize = batchSize

    def nextFormattedBatch(self, format):
        """
        @param format: unused: the lines were formatted as they were read.
        @return: the next batch's lines, each ending in CRLF, or C{None}
            once every line was given.
        """
        lines = self._lines
        if not lines:
            return None
        size = self._batchSize
        data = b"\r\n".join(lines[:size])
        del lines[:size]
        return data + b"\r\n"

    def close(self):
        """
        Let the lines not sent go.
        """
        self._lines = []

"""
L{KeptStats}: the C{lstat} results of a local directory's entries, as a
listing read them, kept by the listings' cache
(L{ftpkit.shells.listingcache}) beside the lines of the format that read
them, so that a listing of the directory in another format (C{MLSD}
after C{LIST}, C{LIST} after C{MLSD}, C{NLST -R}'s names, other facts or
masks) is formatted from them instead of reading the directory again:
the C{lstat} of each entry is most of a first listing
(C{docs/benchmark-investigations.rst}, C{bench-listings-33}).

Each batch is kept as the listing read it (so that a listing formatted
from it sends the batches a listing read from the directory sends): the
names of its entries whose lines may be kept (L{keptBatch}), joined by
C{"/"}, which no name holds, and one C array per field the formats read
(L{FIELDS}): some 45 bytes an entry besides its name, where its
C{os.stat_result} and the numbers in it take some 500. The entries
described again at each use of a cached listing (a directory, a link
followed, a file of several names:
L{ftpkit.shells.cachedparts.splitParts}) are kept by name alone, and
looked up again when the batch is used (L{pairsOf}).
"""

import sys
from array import array
from collections import namedtuple
from dataclasses import dataclass
from functools import partial
from itertools import repeat
from operator import attrgetter
from stat import S_ISLNK

FIELDS = (("st_mode", 0, "I"), ("st_ino", 1, "Q"), ("st_dev", 2, "Q"),
          ("st_uid", 4, "I"), ("st_gid", 5, "I"), ("st_size", 6, "q"),
          ("st_mtime", None, "d"))
"""The fields of an C{os.stat} result kept, their index in it as a
sequence (the float C{st_mtime} has none), and their arrays' types: what
the listing formats read but C{st_nlink}, 1 for every entry kept
(L{keptBatch})."""

_SEQUENCED = tuple((index, code) for _, index, code in FIELDS[:-1])

_MTIMES = len(FIELDS) - 1
"""Where the modification times are among a batch's arrays."""

_mtime = attrgetter("st_mtime")

KeptResult = namedtuple("KeptResult", [
    "st_mode", "st_ino", "st_dev", "st_nlink", "st_uid", "st_gid",
    "st_size", "st_mtime"])
"""What L{pairsOf} gives for an entry kept: the fields of L{FIELDS} and
C{st_nlink}, named as an C{os.stat_result}'s. (Made from a tuple in C,
it costs two thirds of an C{os.stat_result}, and reads faster.)"""

_made = partial(tuple.__new__, KeptResult)

SEPARATOR = "/"
"""What the names of a batch are joined with: no name holds it."""

RECORD_OVERHEAD = 256
"""What kept stats cost besides their batches, counted in their size."""

AGAIN_COST = 96
"""What the name of an entry described again at each use costs, besides
its characters."""


@dataclass(frozen=True)
class KeptStats:
    """
    The entries of a directory as a listing read them.

    @ivar generation: its directory's generation before it was read.
    @ivar batches: a tuple of what L{keptBatch} gave, one per batch read.
    """

    generation: int
    batches: tuple

    @property
    def size(self):
        """
        @return: the bytes it is counted as.
        """
        return RECORD_OVERHEAD + sum(map(batchBytes, self.batches))


def batchBytes(batch):
    """
    @param batch: what L{keptBatch} gave.
    @return: the bytes it is counted as in L{KeptStats.size}.
    """
    names, columns, again = batch
    total = sys.getsizeof(names)
    for column in columns:
        total += sys.getsizeof(column)
    for name in again:
        total += AGAIN_COST + len(name)
    return total


def keptBatch(stable, again):
    """
    Keep a batch read from a directory.

    @param stable: the C{(name, os.stat_result)} pairs of its entries
        whose lines may be kept: files of one link (none of them a
        directory, nor a link followed), their results as C{os.lstat}
        gives them.
    @param again: the names of its other entries.
    @return: what L{KeptStats.batches} holds for it.
    """
    if not stable:
        return "", tuple(array(code) for _, _, code in FIELDS), tuple(again)
    # Read as sequences and turned into columns in C: an attribute read
    # an entry and field cost a third more.
    names, results = zip(*stable)
    columns = list(zip(*results))
    return (SEPARATOR.join(names),
            tuple(array(code, columns[index]) for index, code in _SEQUENCED)
            + (array("d", list(map(_mtime, results))),),
            tuple(again))


def mtimesOf(batch):
    """
    @param batch: what L{keptBatch} gave.
    @return: the modification times of its kept entries, an
        C{array("d")}.
    """
    return batch[1][_MTIMES]


def pairsOf(batch, lstat, follow):
    """
    A kept batch as it reads now: its kept entries as they were read,
    and its other entries looked up again.

    @param batch: what L{keptBatch} gave.
    @param lstat: looks up an entry by name
        (L{ftpkit.shells.disklistings.OpenDirectory.lstat}).
    @param follow: as for L{ftpkit.shells.disklistings.readStats},
        called with a link's name.
    @return: the batch's C{(name, result)} pairs, and the names among
        them of links followed. A kept entry's result is a
        L{KeptResult}; an entry looked up that is gone is left out.
    """
    names, columns, again = batch
    pairs = list(zip(names.split(SEPARATOR), _results(columns))) if (
        names) else []
    links = set()
    for name in again:
        try:
            result = lstat(name)
        except FileNotFoundError:
            continue
        if S_ISLNK(result.st_mode):
            links.add(name)
            result = follow(name, result)
        pairs.append((name, result))
    return pairs, links


def _results(columns):
    """
    @param columns: a kept batch's arrays, in the order of L{FIELDS}.
    @return: an iterator of the L{KeptResult} values made of them.
    """
    mode, ino, dev, uid, gid, size, mtime = columns
    return map(_made, zip(mode, ino, dev, repeat(1), uid, gid, size, mtime))

"""
The runs of lines the listings' cache keeps of a batch
(L{ftpkit.shells.listingcache.CachedListing.batches}): L{splitParts}
formats a batch and splits it into the lines kept and the entries
described again at each use; L{renderBatch} makes the batch of them as
it reads now.
"""

import stat as statModule
from operator import attrgetter, itemgetter

from ftpkit.protocol.listinglines import byName
from ftpkit.shells.disklistings import groupName, ownerName

_TYPE = statModule.S_IFMT(0o177777)
"""The bits of an C{st_mode} that give the file's type."""

_DIRECTORY = statModule.S_IFDIR
"""Their value for a directory."""


def splitParts(pairs, links, format):
    """
    Format a batch as L{ftpkit.protocol.listing.ListFormat.stats} does,
    and split it for the cache, its bytes left in parts: the runs of
    lines its segments keep (the same objects) and the lines of the
    other entries.

    An entry is described again at each use of the listing when its
    line may change without an event on its directory: a directory (its
    own size, links and time change with its contents), a file of more
    than one name (changed through another one, in another directory), a
    link followed; and a file of no link (which no file system the cache
    watches lists), so that the others all have one
    (L{ftpkit.shells.keptstats}). So a recursive listing learns a cached
    directory's subdirectories too
    (L{ftpkit.shells.treelisting.WalkFormat}).

    A batch of such entries alone (most are) is looked at in C, not an
    entry at a time in Python.

    @param pairs: C{(name, os.stat_result)} pairs, in any order.
    @param links: the names among them of links followed.
    @param format: the format.
    @return: C{(parts, segments, stable)}: the bytes of the batch in
        parts (joined, the format's bytes), its segments (see
        L{ftpkit.shells.listingcache.CachedListing.batches}) and the
        pairs of the entries whose lines are kept, sorted by name.
    """
    ordered = sorted(pairs, key=byName)
    if ordered and not links and _allKept(ordered):
        lines = format.stats(ordered, ownerName, groupName)
        return [lines], (lines,), ordered
    parts, segments, stable, run = [], [], [], []
    for pair in ordered:
        name, result = pair
        # S_ISDIR, inline: a call an entry was a visible share of a listing
        # read (commit e323f12f measured it).
        if (result.st_nlink != 1 or result.st_mode & _TYPE == _DIRECTORY
                or name in links):
            if run:
                lines = format.stats(run, ownerName, groupName)
                parts.append(lines)
                segments.append(lines)
                run = []
            parts.append(format.stats([pair], ownerName, groupName))
            segments.append((name,))
        else:
            run.append(pair)
            stable.append(pair)
    if run:
        lines = format.stats(run, ownerName, groupName)
        parts.append(lines)
        segments.append(lines)
    return parts, tuple(segments), stable


def _allKept(pairs):
    """
    @param pairs: C{(name, result)} pairs, none of them a link followed.
    @return: whether the lines of all are kept (L{splitParts}): none is a
        directory, each has one link.
    """
    results = list(map(_second, pairs))
    return (not any(map(statModule.S_ISDIR, map(_mode, results)))
            and set(map(_links, results)) == _ONE)


_second = itemgetter(1)
_mode = attrgetter("st_mode")
_links = attrgetter("st_nlink")
_ONE = {1}


def renderBatch(segments, lstat, follow, format):
    """
    A cached batch as it reads now: its lines kept, and its other
    entries described and formatted again.

    @param segments: the batch's segments
        (L{ftpkit.shells.listingcache.CachedListing.batches}).
    @param lstat: looks up an entry by name
        (L{ftpkit.shells.disklistings.OpenDirectory.lstat}).
    @param follow: as for L{ftpkit.shells.disklistings.readStats}.
    @param format: the format the batch was cached for.
    @return: the bytes of the batch.
    """
    parts = []
    for segment in segments:
        if type(segment) is bytes:
            parts.append(segment)
            continue
        name = segment[0]
        try:
            result = lstat(name)
        except FileNotFoundError:
            continue
        if statModule.S_ISLNK(result.st_mode):
            result = follow(name, result)
        parts.append(format.stats([(name, result)], ownerName, groupName))
    return b"".join(parts)

"""
Directory listings in batches (L{ftpkit.interfaces.IDirectoryListing}):
the ones shells and wrappers build, L{openListing}, which gives the
server a batched listing of any shell, and L{linesReader}, which reads
their batches' lines.
"""

from functools import partial

from twisted.internet.defer import maybeDeferred, succeed
from zope.interface import alsoProvides, implementer

from ftpkit.interfaces import (
    IDirectoryListing,
    IFTPShellStreamedListing,
    INameListing,
    IStatListing,
)

BATCH_SIZE = 1000
"""Entries per batch of the listings made here and by the built-in shells
(one S3 page): a directory up to this size lists sorted as a whole."""


def openListing(shell, path):
    """
    List a directory in batches, whatever the shell provides.

    @param shell: an L{ftpkit.interfaces.IFTPShell}.
    @param path: a tuple of segments naming a directory.
    @return: a Deferred firing with an L{IDirectoryListing}: the shell's
        own when it provides L{IFTPShellStreamedListing}, else its
        L{ftpkit.interfaces.IFTPShell.list} in batches.
    """
    if IFTPShellStreamedListing.providedBy(shell):
        return shell.openListing(path)
    return shell.list(path).addCallback(WholeListing)


def linesReader(listing, names=False):
    """
    How the lines of a listing's batches are read: the one place that
    decides how a directory's listing lines are made, for C{LIST},
    C{NLST} and C{MLSD} of a directory and for each directory of a
    recursive listing (L{ftpkit.shells.treelisting}); decided once per
    listing.

    A listing that formats its own batches (L{IStatListing}: the disk's,
    formatted where they are read, or replayed from the listings' cache,
    L{ftpkit.shells.cachedlistings}) is given the format, unless its
    names alone are asked for; any other listing's names or entries are
    read and formatted here.

    @param listing: an L{IDirectoryListing}.
    @param names: read the listing's names alone
        (L{INameListing.nextNames}, which it provides).
    @return: a function reading the next batch, called with the format:
        an L{ftpkit.protocol.listing.ListFormat}, C{FactsFormat} or
        C{NamesFormat}, or anything with their C{entries} (a batch of
        C{(name, FileInfo)} pairs to bytes) and C{stats} methods; for
        C{names}, anything with C{NamesFormat}'s C{names}. It gives a
        Deferred firing with the batch's bytes (C{b""} when every entry
        of it was left out), or C{None} once the listing has no more.
    """
    if names:
        return partial(_nextNames, listing)
    if IStatListing.providedBy(listing):
        return partial(maybeDeferred, listing.nextFormattedBatch)
    return partial(_nextEntries, listing)


def _nextNames(listing, format):
    return maybeDeferred(listing.nextNames).addCallback(_namesLines, format)


def _nextEntries(listing, format):
    return maybeDeferred(listing.nextBatch).addCallback(_entriesLines, format)


def _namesLines(names, format):
    return format.names(names) if names else None


def _entriesLines(batch, format):
    return format.entries(batch) if batch else None


async def readListing(listing, limit):
    """
    Read a listing's entries, stopping as soon as there are more than
    C{limit}, and close it.

    @param listing: an L{IDirectoryListing}.
    @param limit: the most entries wanted.
    @return: the C{(name, info)} pairs, sorted by name; C{None} when there
        are more than C{limit}, of which no more than one batch past
        C{limit} were read.
    """
    entries = []
    try:
        while batch := await listing.nextBatch():
            entries.extend(batch)
            if len(entries) > limit:
                return None
    finally:
        listing.close()
    entries.sort(key=_name)
    return entries


async def readFormatted(listing, format, limit):
    """
    Read a listing's batches formatted where they are read, one line an
    entry, stopping as soon as they hold more than C{limit} lines, and
    close it: L{readListing} for a format whose lines are sorted after
    (L{ftpkit.protocol.orderedlines.SortingFormat}).

    @param listing: an L{IDirectoryListing} providing L{IStatListing}.
    @param format: given to its C{nextFormattedBatch}: its C{stats} gives
        a line (ending in CRLF) an entry it is given.
    @param limit: the most lines wanted.
    @return: a list of the batches' bytes; C{None} when they hold more
        than C{limit} lines, of which no more than one batch past
        C{limit} were read.
    """
    batches = []
    lines = 0
    try:
        while (data := await maybeDeferred(listing.nextFormattedBatch,
                                           format)) is not None:
            batches.append(data)
            lines += data.count(b"\r\n")
            if lines > limit:
                return None
    finally:
        listing.close()
    return batches


def _name(entry):
    return entry[0]


@implementer(IDirectoryListing)
class WholeListing:
    """
    A listing of entries already in memory, given in batches.
    """

    def __init__(self, entries, batchSize=BATCH_SIZE):
        """
        @param entries: the C{(name, FileInfo)} pairs.
        @param batchSize: the most entries per batch.
        """
        self._entries = entries
        self._batchSize = batchSize
        self._position = 0

    def nextBatch(self):
        """
        See L{IDirectoryListing.nextBatch}.
        """
        start = self._position
        self._position = start + self._batchSize
        return succeed(self._entries[start:self._position])

    def close(self):
        """
        See L{IDirectoryListing.close}: the entries are let go.
        """
        self._entries = []


@implementer(IDirectoryListing)
class FilteredListing:
    """
    The entries of another listing that a test keeps (for wrappers that
    hide some names).

    A listing that formats its own batches (L{IStatListing}), or names
    its entries (L{INameListing}), keeps doing so through a filter whose
    test is pure: the test is then applied where the batch is read, maybe
    in another thread.
    """

    def __init__(self, listing, keep, pure=False):
        """
        @param listing: the L{IDirectoryListing} to filter.
        @param keep: called with each entry's name; true to keep it.
        @param pure: whether C{keep} looks at the name alone, so that it
            may be called in any thread.
        """
        self._listing = listing
        self._keep = keep
        # What the listings' cache watches stays so through a filter
        # (ftpkit.shells.cachedlistings.CachingListing.watched).
        self.watched = pure and getattr(listing, "watched", False)
        if pure and IStatListing.providedBy(listing):
            alsoProvides(self, IStatListing)
        if pure and INameListing.providedBy(listing):
            alsoProvides(self, INameListing)

    def nextBatch(self):
        """
        See L{IDirectoryListing.nextBatch}: a batch whose entries were all
        left out is skipped, so that an empty batch still means the end.
        """
        return maybeDeferred(self._listing.nextBatch).addCallback(self._filter)

    def _filter(self, batch):
        kept = [entry for entry in batch if self._keep(entry[0])]
        if batch and not kept:
            return self.nextBatch()
        return kept

    def nextNames(self):
        """
        See L{INameListing.nextNames} (provided when the filtered listing
        provides it and the test is pure).
        """
        return maybeDeferred(self._listing.nextNames).addCallback(
            self._filterNames)

    def _filterNames(self, names):
        kept = [name for name in names if self._keep(name)]
        if names and not kept:
            return self.nextNames()
        return kept

    def nextFormattedBatch(self, format):
        """
        See L{IStatListing.nextFormattedBatch} (provided when the filtered
        listing provides it and the test is pure).
        """
        return self._listing.nextFormattedBatch(
            _FilteredFormat(format, self._keep))

    def close(self):
        """
        See L{IDirectoryListing.close}.
        """
        self._listing.close()


def forwardedCacheStamp(self):
    """
    See L{ftpkit.protocol.listing.ListFormat.cacheStamp}: that of the
    format C{self._format} a format wraps and formats with; the class of
    a wrapping format names it as its C{cacheStamp}, so that it stands
    beside its C{stats} as L{cacheKeyOf} asks.
    """
    return self._format.cacheStamp()


def forwardedLinesKept(self, stamp, mtimes):
    """
    See L{ftpkit.protocol.listing.ListFormat.linesKept}: that of the
    format C{self._format} a format wraps (as L{forwardedCacheStamp}).
    """
    return self._format.linesKept(stamp, mtimes)


class _FilteredFormat:
    """
    A listing format (L{ftpkit.protocol.listing.ListFormat} and its
    kind) that formats only the entries a test keeps.
    """

    def __init__(self, format, keep):
        """
        @param format: the format.
        @param keep: called with each entry's name; true to keep it.
        """
        self._format = format
        self._keep = keep

    def cacheKey(self):
        """
        See L{ftpkit.protocol.listing.ListFormat.cacheKey}: the format's
        and the test's (its C{cacheKey} attribute, which says it is a
        pure function of the name); C{None}, not to be cached, when
        either has none.
        """
        own = cacheKeyOf(self._keep, "__call__")
        inner = cacheKeyOf(self._format, "stats")
        if own is None or inner is None:
            return None
        return ("filtered", own, inner)

    cacheStamp = forwardedCacheStamp
    linesKept = forwardedLinesKept

    def stats(self, batch, owner, group):
        """
        See L{ftpkit.protocol.listing.ListFormat.stats}.
        """
        keep = self._keep
        return self._format.stats([pair for pair in batch if keep(pair[0])],
                                  owner, group)


def cacheKeyOf(thing, method):
    """
    The key under which what a listing format or a test gives may be
    cached (L{ftpkit.shells.listingcache}), if it says: the class that
    defines its C{method} (C{stats} for a format, C{__call__} for a test)
    also defines C{cacheKey} (and, for a format, C{cacheStamp} and
    C{linesKept}). A subclass that changes what C{method} gives without
    saying what its key is (a plugin's, written before the cache) is
    never cached: its lines never come from, nor go to, the cache. A
    cached format's C{stats} may be given the results the cache kept of
    a directory's entries (L{ftpkit.shells.keptstats.KeptResult}): the
    fields the built-in formats read alone, named as an
    C{os.stat_result}'s.

    @param thing: a format or a test.
    @param method: the name of what it computes.
    @return: C{thing.cacheKey()}, or C{None} when it has no key.
    """
    needed = ("cacheKey",) if method == "__call__" else _FORMAT_CACHING
    for cls in type(thing).__mro__:
        if method in vars(cls):
            if all(name in vars(cls) for name in needed):
                return thing.cacheKey()
            return None
    return None


_FORMAT_CACHING = ("cacheKey", "cacheStamp", "linesKept")
"""What the class of a cached format defines with its C{stats}."""


def _unnamed(names):
    return [(name, None) for name in names]


class _PickedListing:
    """
    The entries picked from each batch of another listing, a batch at a
    time: a batch none of whose entries were picked is skipped, so that an
    empty batch still means the end.
    """

    def __init__(self, listing):
        """
        @param listing: the L{IDirectoryListing} picked from.
        """
        self._listing = listing

    def nextBatch(self):
        """
        See L{IDirectoryListing.nextBatch}.
        """
        return maybeDeferred(self._read).addCallback(self._picking)

    def _picking(self, batch):
        if not batch:
            return []
        return self._pick(batch).addCallback(self._picked)

    def _picked(self, entries):
        return entries or self.nextBatch()

    def close(self):
        """
        See L{IDirectoryListing.close}.
        """
        self._listing.close()


@implementer(IDirectoryListing)
class MatchedListing(_PickedListing):
    """
    The entries of a listing that names them (L{INameListing}) which a
    wildcard matches, a batch at a time: each batch of names is matched,
    and the matches alone described, so that a pattern over a large
    directory holds a batch of it, not all of it.
    """

    def __init__(self, listing, match, describe):
        """
        @param listing: the L{INameListing}.
        @param match: called with a batch of names, gives a Deferred
            firing with those the pattern matches.
        @param describe: called with matched names, gives a Deferred
            firing with their C{(name, info)} pairs
            (L{ftpkit.interfaces.IFTPShellListSome.listSome}); or
            C{None} to give C{(name, None)} pairs.
        """
        _PickedListing.__init__(self, listing)
        self._read = listing.nextNames
        self._match = match
        self._describe = describe

    def _pick(self, names):
        return self._match(names).addCallback(self._matched)

    def _matched(self, names):
        if not names:
            return []
        if self._describe is None:
            return _unnamed(names)
        return self._describe(names)


@implementer(IDirectoryListing)
class MatchedEntries(_PickedListing):
    """
    The entries of a listing whose names a wildcard matches, a batch at a
    time, for a listing that describes every entry anyway (an object
    store's pages).
    """

    def __init__(self, listing, match):
        """
        @param listing: the L{IDirectoryListing}.
        @param match: as for L{MatchedListing}.
        """
        _PickedListing.__init__(self, listing)
        self._read = listing.nextBatch
        self._match = match

    def _pick(self, batch):
        described = dict(batch)
        return self._match(list(described)).addCallback(
            lambda names: [(name, described[name]) for name in names])


@implementer(IDirectoryListing)
class StartedListing:
    """
    A listing of which a first batch was read already (to learn whether
    it had any entry), given again first: a batch of entries, or the
    bytes of a batch formatted where it was read (L{IStatListing},
    provided then), given again to the same format.
    """

    def __init__(self, first, listing):
        """
        @param first: the batch read: entries, or C{bytes} formatted.
        @param listing: the L{IDirectoryListing} it was read from.
        """
        self._first = first
        self._listing = listing
        if type(first) is bytes:
            alsoProvides(self, IStatListing)

    def nextBatch(self):
        """
        See L{IDirectoryListing.nextBatch}.
        """
        first, self._first = self._first, None
        if first is not None:
            return succeed(first)
        return self._listing.nextBatch()

    def nextFormattedBatch(self, format):
        """
        See L{IStatListing.nextFormattedBatch} (provided when the first
        batch was formatted).
        """
        first, self._first = self._first, None
        if first is not None:
            return succeed(first)
        return self._listing.nextFormattedBatch(format)

    def close(self):
        """
        See L{IDirectoryListing.close}.
        """
        self._first = None
        self._listing.close()

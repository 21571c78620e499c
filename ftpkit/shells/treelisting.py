"""
The walk of a recursive listing (C{LIST -R}, C{NLST -R}): L{TreeListing}
reads a directory and, depth first, the directories below it, through
the shell's own listings (any shell: L{ftpkit.shells.listings.openListing}),
a batch at a time as the data connection takes them, its headers and
bounds from L{ftpkit.protocol.listingtree}. Each directory's lines are
read as a plain listing of it reads them
(L{ftpkit.shells.listings.linesReader}: where the shell offers it,
formatted where they are read, or from the listings' cache), through a
L{WalkFormat} that notes its subdirectories.

What it holds is one directory's listing open and the names of the
subdirectories still to go into, never a tree: those names are entries
already sent, so they are bounded by the walk's entries
(L{ftpkit.protocol.listingtree.TreeLimits}). Every path it reads is a
path of the shell, under the user's root; it goes into no symbolic link
the shell follows (L{ftpkit.interfaces.IFTPShellResolve.linkTargets}
names them, where the shell has links), so a link to a directory above
is listed, not looped through; and a directory the shell refuses to
list shows its header alone, as C{ls -R} shows it (its complaint going
to standard error there).
"""

from collections import deque
from stat import S_ISDIR

from twisted.internet.defer import Deferred

from ftpkit.errors import FTPError
from ftpkit.interfaces import IDirectoryListing, IFTPShellResolve
from ftpkit.protocol.listingtree import (
    childText,
    descendable,
    firstLines,
    header,
    lineCount,
)
from ftpkit.shells.listings import (
    WholeListing,
    cacheKeyOf,
    forwardedCacheStamp,
    forwardedLinesKept,
    linesReader,
    openListing,
)


class WalkFormat:
    """
    The format a directory's listing is given during the walk, in place
    of the command's (C{ListFormat}, C{NamesFormat}): it gives the same
    bytes, under the same cache key, so that a directory's lines in a
    recursive listing are those of a plain listing of it, cached ones
    included; and it notes, as it formats them, the entries the walk may
    go into (L{below}), whichever way they are described: as
    L{ftpkit.fileinfo.FileInfo} values (C{entries}) or C{os.stat}
    results (C{stats}, maybe in a disk thread). Lines replayed from the
    listings' cache are not formatted again, but a directory's always
    are, as its line changes with its contents
    (L{ftpkit.shells.cachedparts.splitParts}): none is missed.

    @ivar below: the names of the subdirectories formatted so far.
    """

    def __init__(self, format):
        """
        @param format: the command's format.
        """
        self._format = format
        self.below = []

    def entries(self, batch):
        """
        See L{ftpkit.protocol.listing.ListFormat.entries}.
        """
        self.below.extend(name for name, info in batch
                          if descendable(name, info.isDirectory))
        return self._format.entries(batch)

    def stats(self, batch, owner, group):
        """
        See L{ftpkit.protocol.listing.ListFormat.stats}.
        """
        self.below.extend(name for name, result in batch
                          if descendable(name, S_ISDIR(result.st_mode)))
        return self._format.stats(batch, owner, group)

    def cacheKey(self):
        """
        @return: the command's format's cache key (C{None}, not cached,
            when it has none: L{cacheKeyOf}).
        """
        return cacheKeyOf(self._format, "stats")

    cacheStamp = forwardedCacheStamp
    linesKept = forwardedLinesKept


class _Directory:
    """
    A directory the walk reads or will go below.

    @ivar path: its path, a tuple of segments.
    @ivar text: its name in its header.
    @ivar depth: its level below the listed directory.
    @ivar listing: its L{ftpkit.interfaces.IDirectoryListing} while read.
    @ivar read: reads the lines of its listing's next batch
        (L{linesReader}).
    @ivar below: the names of its subdirectories met so far (maybe
        more than once); once it is read, those still to go into, in
        order.
    """

    def __init__(self, path, text, depth, listing):
        self.path = path
        self.text = text
        self.depth = depth
        self.listing = listing
        self.read = linesReader(listing)
        self.below = []


class TreeListing:
    """
    A recursive listing, formatted a step at a time: each call of
    L{nextFormattedBatch} gives one batch of one directory, or the header
    of the next one (what L{ftpkit.data.movers.listings.ListingReadFile}
    asks for as the data connection takes what it gave).

    @ivar truncated: whether the limits cut the listing (entries left
        unsent, or directories not gone into).
    """

    truncated = False

    def __init__(self, listing, path, text, openAt, linksIn, limits):
        """
        @param listing: the L{ftpkit.interfaces.IDirectoryListing} of the
            listed directory, opened already.
        @param path: that directory's path.
        @param text: its name in the first header
            (L{ftpkit.protocol.listingtree.topText}).
        @param openAt: called with a directory's path, gives a Deferred
            firing with its L{ftpkit.interfaces.IDirectoryListing}.
        @param linksIn: called with a directory's path, gives a Deferred
            firing with the names of the symbolic links in it (a
            container); or C{None}, for a shell without links. The
            subdirectories of a directory whose links cannot be told are
            not gone into.
        @param limits: the L{ftpkit.protocol.listingtree.TreeLimits}.
        """
        self._current = _Directory(path, text, 0, listing)
        self._waiting = deque()
        self._openAt = openAt
        self._linksIn = linksIn
        self._limits = limits
        self._sent = 0
        self._closed = False

    def first(self):
        """
        @return: the listed directory's header, sent before its entries.
        """
        return header(self._current.text, True)

    def nextFormattedBatch(self, format):
        """
        Read the next step of the walk.

        @param format: the command's format
            (L{ftpkit.protocol.listing.ListFormat}, C{NamesFormat}).
        @return: a Deferred firing with the bytes of the step (maybe
            none), or C{None} once the walk is done.
        """
        return Deferred.fromCoroutine(self._next(format))

    async def _next(self, format):
        if self._closed:
            return None
        directory = self._current
        if directory is None:
            return await self._enterNext()
        walking = WalkFormat(format)
        data = await directory.read(walking)
        if self._closed:
            return None
        if data is None:
            directory.listing.close()
            self._current = None
            await self._keepBelow(directory)
            return b""
        lines = lineCount(data)
        room = self._limits.entries - self._sent
        if lines > room:
            data, lines = firstLines(data, room), room
            self.truncated = True
            self._stop()
        self._sent += lines
        if directory.depth < self._limits.depth:
            directory.below.extend(walking.below)
        elif walking.below:
            self.truncated = True
        return data

    async def _keepBelow(self, directory):
        """
        Keep the subdirectories of a directory read whole, those that are
        not symbolic links, to go into next (depth first).
        """
        if not directory.below:
            return
        asked = self._linksIn(directory.path)
        try:
            links = None if asked is None else await asked
        except FTPError:
            return
        if self._closed:
            return
        # A listing may format an entry more than once (the cache's
        # first read formats a directory's line to keep, then to send).
        names = sorted(set(directory.below))
        if links:
            names = [name for name in names if name not in links]
        directory.below = deque(names)
        self._waiting.append(directory)

    async def _enterNext(self):
        """
        Open the next directory to list.

        @return: its header, or C{None} when none is left.
        """
        waiting = self._waiting
        while waiting and not waiting[-1].below:
            waiting.pop()
        if not waiting:
            return None
        if self._sent >= self._limits.entries:
            self.truncated = True
            self._stop()
            return None
        parent = waiting[-1]
        name = parent.below.popleft()
        text = childText(parent.text, name)
        path = parent.path + (name,)
        try:
            listing = await self._openAt(path)
        except FTPError:
            return header(text, False)
        if self._closed:
            listing.close()
            return None
        self._current = _Directory(path, text, parent.depth + 1, listing)
        return header(text, False)

    def _stop(self):
        """
        End the walk after the batch in hand.
        """
        self._closed = True
        self._waiting.clear()
        if self._current is not None:
            self._current.listing.close()
            self._current = None

    def close(self):
        """
        Release the listing open, and stop the walk (once).
        """
        if not self._closed:
            self._stop()


def walkShell(shell, turn, entries, path, text, limits):
    """
    The walk of a directory of a session's shell, each directory read in
    the session's listing turn (C{LIST -R}, C{NLST -R}, C{STAT -R}).

    @param shell: the session's L{ftpkit.interfaces.IFTPShell}.
    @param turn: the session's L{ftpkit.control.turns.Turn} for listings.
    @param entries: the listed directory's entries, read in C{turn}: an
        L{IDirectoryListing}, or the C{(name, FileInfo)} pairs.
    @param path: that directory's path.
    @param text: its name in the first header
        (L{ftpkit.protocol.listingtree.topText}).
    @param limits: the L{ftpkit.protocol.listingtree.TreeLimits}.
    @return: the L{TreeListing}.
    """
    def openAt(where):
        return turn.call(openListing, shell, where).addCallback(turn.listing)

    def linksIn(where):
        if IFTPShellResolve.providedBy(shell):
            return turn.call(shell.linkTargets, where)
        return None

    if not IDirectoryListing.providedBy(entries):
        entries = WholeListing(entries)
    return TreeListing(entries, path, text, openAt, linksIn, limits)


async def readTree(tree, format):
    """
    Read a whole walk (for C{STAT -R}, whose bounds keep it small), and
    close it.

    @param tree: the L{TreeListing}.
    @param format: as for L{TreeListing.nextFormattedBatch}.
    @return: its bytes, first header included.
    """
    parts = [tree.first()]
    try:
        while (step := await tree.nextFormattedBatch(format)) is not None:
            parts.append(step)
    finally:
        tree.close()
    return b"".join(parts)

"""
Directories of the local disk read in batches, for
L{ftpkit.shells.filesystem.FilesystemShell}: one C{os.scandir} a listing,
a batch of entries read and described at a time in a disk thread.

An entry is described by an C{os.stat} result (L{readStats}): the
server's formatter reads those directly (L{IStatListing}), and
L{describe} makes the L{FileInfo} the other ways of listing give.

A directory is read through a descriptor of its own (L{OpenDirectory}),
so that each entry's C{lstat} is an C{fstatat} of its name in that
directory: the kernel looks up one name, not every directory of the path
again (C{docs/benchmark-history.rst}).
"""

import os
import stat as statModule
from bisect import bisect_left
from itertools import chain, islice
from operator import itemgetter

from twisted.internet.defer import Deferred, succeed
from twisted.python.failure import Failure
from zope.interface import implementer

from ftpkit.fileinfo import LINK, OTHER, FileInfo, kindOf, specialOf
from ftpkit.interfaces import IDirectoryListing, INameListing, IStatListing
from ftpkit.protocol import modeaccess
from ftpkit.shells import uploads
from ftpkit.shells.cachedopen import openWithoutLinks
from ftpkit.shells.listings import BATCH_SIZE

try:
    import grp
    import pwd
except ImportError:  # pragma: no cover (not POSIX)
    grp = pwd = None

_HIDDEN_START = os.fsdecode(os.path.commonprefix(
    [uploads.TEMPORARY_PREFIX, uploads.PARTIAL_PREFIX]))
"""What the name of every upload not in place starts with."""

_HIDDEN_FIRST = _HIDDEN_START[:1]
"""Its first character."""

_owners = {}
_groups = {}
"""Caches of owner and group names: id -> name."""


def _cachedName(cache, lookup, number):
    """
    Look up (once) the name of a user or group.

    @param cache: the names found so far, by id.
    @param lookup: gives the name of an id, raising L{KeyError} when it
        has none.
    @param number: the id.
    @return: the name, or the number as text when it has none.
    """
    name = cache.get(number)
    if name is None:
        try:
            name = lookup(number)
        except (KeyError, AttributeError):
            name = str(number)
        cache[number] = name
    return name


def ownerName(uid):
    """
    @param uid: a user id.
    @return: its name, or the number as text when it has none.
    """
    return _cachedName(_owners, lambda number: pwd.getpwuid(number).pw_name,
                       uid)


def groupName(gid):
    """
    @param gid: a group id.
    @return: its name, or the number as text when it has none.
    """
    return _cachedName(_groups, lambda number: grp.getgrgid(number).gr_name,
                       gid)


def describe(result, creds=False):
    """
    Build a L{FileInfo} from an C{os.stat} result.

    @param result: an C{os.stat_result}; the C{lstat} of a symbolic link
        describes a L{ftpkit.fileinfo.LINK}, whose C{target} is the
        result's where it has one (L{ftpkit.shells.diskpaths.LinkStat}).
    @param creds: the serving process's credentials
        (L{ftpkit.protocol.modeaccess.credentials}), read now when not
        given, for the L{FileInfo.access} of the entry.
    @return: the L{FileInfo}.
    """
    if creds is False:
        creds = modeaccess.credentials()
    kind = kindOf(result.st_mode)
    return FileInfo(
        kind=kind,
        size=result.st_size,
        mtime=result.st_mtime,
        mode=statModule.S_IMODE(result.st_mode),
        nlink=result.st_nlink,
        owner=ownerName(result.st_uid),
        group=groupName(result.st_gid),
        unique=f"{result.st_dev:x}g{result.st_ino:x}",
        special=specialOf(result.st_mode) if kind == OTHER else "",
        access=modeaccess.accessBits(result.st_mode, result.st_uid,
                                     result.st_gid, creds),
        target=getattr(result, "target", None) if kind == LINK else None,
        uid=result.st_uid,
        gid=result.st_gid,
    )


def visibleNames(names):
    """
    Sort a directory's names and leave out the uploads not in place
    (L{uploads.isHidden}), which sort together: only the names around
    where they would be are looked at.

    @param names: the names, C{str}; the list is sorted in place.
    @return: the sorted names, but those.
    """
    names.sort()
    start = end = bisect_left(names, _HIDDEN_START)
    while end < len(names) and names[end].startswith(_HIDDEN_START):
        end += 1
    if start < end:
        names[start:end] = [name for name in names[start:end]
                            if not uploads.isHidden(os.fsencode(name))]
    return names


_DIRECTORY_FLAGS = (os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
                    | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
"""Flags of the descriptor a directory is read through."""


class OpenDirectory:
    """
    A directory open for reading: iterating gives the C{os.DirEntry}
    values of C{os.scandir} over a descriptor of the directory, whose
    C{stat} looks up the entry's name in it, and whose C{path} is that name
    alone; iterating again goes on where the last iteration stopped.
    Several may hold it (L{hold}): it is closed once each has closed it.

    @ivar path: the directory's path, C{str}.
    """

    def __init__(self, path, at=None):
        """
        Open the directory (blocking).

        @param path: its path, C{str}, with no symbolic link at its end.
        @param at: a descriptor of that directory to open it through
            (C{"."} in it: the path is not looked up again), or C{None}.
        @raise OSError: when it cannot be opened (C{ENOTDIR} for a file).
        """
        self.path = path
        self._fd = None
        self._holders = 1
        if at is None:
            fd = openWithoutLinks(os.fsencode(path), _DIRECTORY_FLAGS)
        else:
            fd = os.open(".", _DIRECTORY_FLAGS, dir_fd=at)
        try:
            self._entries = os.scandir(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def __iter__(self):
        return self._entries

    def fileno(self):
        """
        @return: the descriptor it is read through.
        """
        return self._fd

    def lstat(self, name):
        """
        Look up one entry (blocking).

        @param name: the entry's name, C{str}: one segment.
        @return: its C{os.lstat} result.
        @raise OSError: when it cannot be looked up (C{ENOENT} when it is
            not there).
        """
        return os.lstat(name, dir_fd=self._fd)

    def again(self):
        """
        Open the same directory once more, through its descriptor
        (blocking): read from its beginning, whatever was read of this
        one.

        @return: a new L{OpenDirectory}.
        """
        return OpenDirectory(self.path, self._fd)

    def hold(self):
        """
        Count one more holder, which closes it too (L{close}).

        @return: the directory.
        """
        self._holders += 1
        return self

    def close(self):
        """
        Close the directory once each holder has (again: nothing).
        """
        self._holders -= 1
        if self._holders <= 0:
            self._closeNow()

    def _closeNow(self):
        """
        Close the directory (again: nothing).
        """
        if self._fd is not None:
            self._entries.close()
            os.close(self._fd)
            self._fd = None

    __del__ = _closeNow
    """A directory dropped unclosed (a listing opened for a session that
    went away meanwhile) does not keep its descriptor."""

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()


def readStats(iterator, follow, limit=None):
    """
    Read the next entries of a directory with their C{lstat} (blocking),
    leaving out the uploads not in place (L{uploads.isHidden}) and entries
    that vanished meanwhile.

    @param iterator: an L{OpenDirectory}, or an C{os.scandir} iterator
        over C{str} names.
    @param follow: called with a symbolic link's C{os.DirEntry.path} (for
        an L{OpenDirectory}, its name) and C{lstat} result, gives the
        result that describes it (its target's, or its own).
    @param limit: the most entries to give, or C{None} for all.
    @return: a list of C{(name, os.stat_result)} pairs; shorter than
        C{limit} only at the end of the directory.
    """
    pairs = []
    add = pairs.append
    for entry in iterator:
        name = entry.name
        # One character compared first: str.startswith parses its
        # arguments as a tuple, which costs more than the rest of the test.
        if name[:1] == _HIDDEN_FIRST and name.startswith(_HIDDEN_START) and (
                uploads.isHidden(os.fsencode(name))):
            continue
        try:
            result = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        if entry.is_symlink():
            result = follow(entry.path, result)
        add((name, result))
        if len(pairs) == limit:
            break
    return pairs


def readAhead(directory, batchSize):
    """
    Read the first entries of a directory just opened (blocking), without
    their C{lstat}, for L{DiskListing}'s C{first}: the directory's open
    and its first batch, one disk thread call, and one entry more, which
    tells whether that batch is the whole directory.

    @param directory: an L{OpenDirectory}, closed when reading fails.
    @param batchSize: the entries in a batch.
    @return: a list of C{os.DirEntry} values, at most C{batchSize} + 1;
        no more than C{batchSize} only when they are the whole directory.
    """
    try:
        return list(islice(directory, batchSize + 1))
    except BaseException:
        directory.close()
        raise


def readNames(entries, limit):
    """
    Read the names of the next entries of a directory (blocking), without
    their C{lstat}: sorted, but for the uploads not in place
    (L{visibleNames}), as L{readStats} leaves them out; and the entry
    after them, which tells whether the directory goes on (without it, a
    directory of a whole number of batches took one more read, of
    nothing, to end).

    @param entries: as for L{readStats}, or a list of C{os.DirEntry}
        values (L{readAhead}), all read.
    @param limit: the most entries to name.
    @return: the number of entries read (the one after included), their
        names, and a list of the entry after them, empty at the end of
        the directory.
    """
    if type(entries) is not list:
        entries = list(islice(entries, limit + 1))
    count = len(entries)
    following = entries[limit:]
    if following:
        entries = entries[:limit]
    return count, visibleNames([entry.name for entry in entries]), following


def readNamedStats(directory, names, follow):
    """
    Read the C{lstat} of some entries of a directory (blocking), as
    L{readStats} would read them among the others: the uploads not in
    place (L{uploads.isHidden}) and the entries not there are left out.

    @param directory: an L{OpenDirectory}.
    @param names: the entries' names, C{str}; one that is not a single
        segment (C{"."}, C{".."}, holding C{"/"} or NUL) is left out.
    @param follow: as for L{readStats}, called with an entry's name.
    @return: a list of C{(name, os.stat_result)} pairs, in the order of
        C{names}.
    """
    pairs = []
    add = pairs.append
    for name in names:
        if (name in (".", "..") or "/" in name or "\0" in name
                or name.startswith(_HIDDEN_START) and uploads.isHidden(
                    os.fsencode(name))):
            continue
        try:
            result = directory.lstat(name)
        except (FileNotFoundError, NotADirectoryError):
            continue
        if statModule.S_ISLNK(result.st_mode):
            result = follow(name, result)
        add((name, result))
    return pairs


def readEntries(iterator, follow, limit=None):
    """
    Read and describe the next entries of a directory (blocking).

    @param iterator: as for L{readStats}.
    @param follow: as for L{readStats}.
    @param limit: as for L{readStats}.
    @return: a list of C{(name, FileInfo)} pairs.
    """
    creds = modeaccess.credentials()
    return [(name, describe(result, creds))
            for name, result in readStats(iterator, follow, limit)]


def readStatsAhead(iterator, follow, limit):
    """
    Read the next entries of a directory with their C{lstat} (blocking),
    as L{readStats} does, and the entry after them, which tells whether
    the directory goes on (without it, a directory of a whole number of
    batches took one more read, of nothing, to end).

    @param iterator: an iterator of C{os.DirEntry} values (not a list:
        what L{readStats} leaves of it is read on).
    @param follow: as for L{readStats}.
    @param limit: the most entries to give.
    @return: the C{(name, os.stat_result)} pairs, and a list of the entry
        after them (not looked up yet), empty at the end of the
        directory.
    """
    pairs = readStats(iterator, follow, limit)
    following = list(islice(iterator, 1)) if len(pairs) == limit else []
    return pairs, following


def describeStats(iterator, follow, limit):
    """
    Read and describe the next entries of a directory (blocking), and the
    entry after them (L{readStatsAhead}).

    @param iterator: as for L{readStatsAhead}.
    @param follow: as for L{readStats}.
    @param limit: the most entries to read.
    @return: the number of entries described, a list of their C{(name,
        FileInfo)} pairs, and a list of the entry after them.
    """
    pairs, following = readStatsAhead(iterator, follow, limit)
    creds = modeaccess.credentials()
    described = [(name, describe(result, creds)) for name, result in pairs]
    return len(described), described, following


def formatStats(iterator, follow, limit, format):
    """
    Read and format the next entries of a directory (blocking), and the
    entry after them (L{readStatsAhead}).

    @param iterator: as for L{readStatsAhead}.
    @param follow: as for L{readStats}.
    @param limit: the most entries to read.
    @param format: see L{IStatListing.nextFormattedBatch}.
    @return: the number of entries read, their formatted bytes, and a
        list of the entry after them.
    """
    pairs, following = readStatsAhead(iterator, follow, limit)
    return len(pairs), format.stats(pairs, ownerName, groupName), following


@implementer(IDirectoryListing, IStatListing, INameListing)
class DiskListing:
    """
    An L{IDirectoryListing} of a directory being read with C{os.scandir},
    which can also format its batches where it reads them, or name its
    entries without describing them.

    Entries read when the directory was opened (L{readAhead}) make the
    first batch: named here, without a disk thread call, so that C{NLST}
    of a directory that fits in one batch costs the one call that opened
    it; described or formatted in the disk thread with the next entries.
    Every batch is read with the entry after it, so that the last batch
    is known to be the last; the next batch begins with that entry.
    """

    def __init__(self, iterator, follow, run, batchSize=BATCH_SIZE,
                 first=None):
        """
        @param iterator: the L{OpenDirectory}, or an C{os.scandir}
            iterator over C{str} names (this listing closes it).
        @param follow: see L{readStats}.
        @param run: runs a blocking call in a disk thread:
            C{run(function, *args)} returns a Deferred with its result.
        @param batchSize: the entries per batch.
        @param first: the C{os.DirEntry} values read from C{iterator}
            already (L{readAhead}), at most C{batchSize} + 1: no more than
            C{batchSize} when they are the whole directory; or C{None}.
        """
        self._iterator = iterator
        self._follow = follow
        self._run = run
        self._batchSize = batchSize
        self._first = first
        self._rest = iterator
        self._following = []
        self._reading = False
        self._closed = False
        self._atEnd = False

    def _entries(self):
        """
        @return: what the next batch of descriptions is read from: the
            entry read after the last batch, then the entries read ahead
            (then, if they were more than a batch, the directory's next
            ones), or the directory.
        """
        first, self._first = self._first, None
        if first is not None:
            self._rest = (iter(first) if len(first) <= self._batchSize
                          else chain(first, self._iterator))
        return chain(self._following, self._rest)

    def nextBatch(self):
        """
        See L{IDirectoryListing.nextBatch}: the next entries, read in a
        disk thread.
        """
        if self._atEnd or self._closed:
            return succeed([])
        self._reading = True
        reading = self._run(describeStats, self._entries(), self._follow,
                            self._batchSize)
        return reading.addBoth(self._read).addCallback(_described)

    def nextFormattedBatch(self, format):
        """
        See L{IStatListing.nextFormattedBatch}: the next entries, read and
        formatted in a disk thread.
        """
        if self._atEnd or self._closed:
            return succeed(None)
        self._reading = True
        reading = self._run(formatStats, self._entries(), self._follow,
                            self._batchSize, format)
        return reading.addBoth(self._read).addCallback(_formatted)

    def nextNames(self):
        """
        See L{INameListing.nextNames}: the next names, read in a disk
        thread; those of the entries read ahead at once.
        """
        if self._atEnd or self._closed:
            return succeed([])
        first, self._first = self._first, None
        if first is not None:
            names = self._named(readNames(first, self._batchSize))
            return names if isinstance(names, Deferred) else succeed(names)
        self._reading = True
        reading = self._run(readNames, chain(self._following, self._iterator),
                            self._batchSize)
        return reading.addBoth(self._read).addCallback(self._named)

    def _named(self, result):
        """
        @param result: what L{readNames} gave.
        @return: its names; or, when it read only uploads not in place
            (left out) and the directory goes on, a Deferred of the next
            batch's.
        """
        _, names, self._following = result
        self._atEnd = not self._following
        if names or self._atEnd:
            return names
        return self.nextNames()

    def _read(self, result):
        """
        Keep the entry read after the batch, note the end of the directory
        (no such entry), and close it if the listing was closed while the
        batch was read.

        @param result: what the disk thread gave (L{describeStats},
            L{formatStats}, L{readNames}: the entry after the batch
            last), or a failure.
        @return: C{result}.
        """
        self._reading = False
        if isinstance(result, Failure):
            self._atEnd = True
        else:
            self._following = result[-1]
            self._atEnd = not self._following
        if self._closed:
            self._iterator.close()
        return result

    def close(self):
        """
        See L{IDirectoryListing.close}: close the directory, once no batch
        is being read from it.
        """
        self._closed = True
        if not self._reading:
            self._iterator.close()


_described = itemgetter(1)
"""Gives what L{IDirectoryListing.nextBatch} gives for what
L{describeStats} gave: the described entries."""


def _formatted(result):
    """
    @param result: what L{formatStats} gave.
    @return: what L{IStatListing.nextFormattedBatch} gives for it: C{None}
        when no entry was read (the end of the directory).
    """
    count, data, _ = result
    return data if count else None

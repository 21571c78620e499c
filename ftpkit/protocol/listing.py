"""
Directory listings from L{FileInfo} values, as pure functions: C{LIST}
(C{ls -l} style) and C{NLST} (names only); C{MLSD}/C{MLST} (RFC 3659
facts) are L{ftpkit.protocol.listingfacts}', whose names this module
gives too, as it did when it held them.

Listings are encoded UTF-8 with C{surrogateescape}, so a name read from
disk as undecodable bytes goes back as those bytes. A name holding CR or
LF cannot be sent on a line-based listing and is left out
(L{ftpkit.protocol.listinglines.encodeLines}).

A listing sent batch by batch is formatted by one L{ListFormat},
L{FactsFormat} or L{NamesFormat}: from C{(name, FileInfo)} pairs, or
(for a listing that reads C{os.stat} results,
L{ftpkit.interfaces.IStatListing}) straight from those results, the same
bytes either way.
"""

import functools
import re
from stat import S_ISLNK

from ftpkit.fileinfo import (
    BLOCK_DEVICE,
    CHARACTER_DEVICE,
    DIRECTORY,
    FIFO,
    LINK,
    SOCKET,
)
from ftpkit.protocol.listingdates import (
    DAYS,
    HOURS_MINUTES,
    dayTexts,
    listDate,
    recentBounds,
    sameForms,
    wholeSecond,
)
from ftpkit.protocol.listingfacts import (
    DEFAULT_FACTS,
    FACTS,
    FactsFormat,
    formatFacts,
    formatMLSD,
    mlstFeature,
    permissions,
)
from ftpkit.protocol.listinglines import (
    PLAIN,
    byName,
    encodeLines,
    kindOfMode,
    typeOf,
)

__all__ = [
    "formatListLine", "formatListing", "linkName", "formatNameList", "nameListPath",
    "nameListPrefix", "ListFormat", "NamesFormat",
    "FACTS", "DEFAULT_FACTS", "formatFacts", "formatMLSD", "permissions",
    "mlstFeature", "FactsFormat",
]

_KIND_CHARACTERS = {DIRECTORY: "d", LINK: "l", FIFO: "p", SOCKET: "s",
                    CHARACTER_DEVICE: "c", BLOCK_DEVICE: "b"}
"""The first character of a C{LIST} mode, by kind or, for an L{OTHER}
entry, by what it is (C{ls -l}'s letters); C{-} for the rest."""


@functools.lru_cache(maxsize=512)
def _modeString(kind, mode):
    """
    Render a kind and permission bits as C{ls -l} does, e.g. C{drwxr-xr-x}
    (remembered: a directory has few distinct modes).

    @param kind: a L{FileInfo} kind, or what an L{OTHER} entry is
        (L{typeOf}).
    @param mode: the permission bits, including setuid, setgid and sticky.
    @return: the ten-character mode string.
    """
    characters = [_KIND_CHARACTERS.get(kind, "-")]
    for shift, special, specialCharacter in (
        (6, 0o4000, "s"),
        (3, 0o2000, "s"),
        (0, 0o1000, "t"),
    ):
        bits = mode >> shift
        characters.append("r" if bits & 4 else "-")
        characters.append("w" if bits & 2 else "-")
        execute = bits & 1
        if mode & special:
            characters.append(specialCharacter if execute else specialCharacter.upper())
        else:
            characters.append("x" if execute else "-")
    return "".join(characters)


def formatListLine(name, info, now):
    """
    Format one C{LIST} line, like C{ls -l}:
    C{"-rw-r--r--   1 owner    group        1234 Nov 25 13:01 name"}.

    @param name: the entry's name.
    @param info: the entry's L{FileInfo}; where its C{mtime} is C{None}
        (not known: a directory that is only a key prefix), the line shows
        C{now}, as pyftpdlib shows a time it cannot format. A C{LIST}
        line must have a date; 1970 made lftp's C{mirror} date the
        directories it made 1970 (SFTPGo's choice for prefixes). The newest
        entry's time would cost a listing of each subdirectory (a request
        each on an object store), and the server's start differs between
        the processes of C{--workers}; C{now} is what a client that makes
        the directory sets anyway.
    @param now: the current time, seconds since the epoch, which decides
        whether the date shows a time or a year.
    @return: the line, without line ending.
    """
    return _listLine(name, info, now, {})


def _listLine(name, info, now, dates):
    """
    Format one C{LIST} line as L{formatListLine} does.

    @param dates: the date cache of
        L{ftpkit.protocol.listingdates.listDate}.
    """
    mtime = info.mtime
    if info.kind == LINK:
        name = linkName(name, info.target)
    return (
        f"{_modeString(typeOf(info.kind, info.special), info.mode)}"
        f" {info.nlink:3d} "
        f"{info.owner:<8} {info.group:<8} {info.size:8d} "
        f"{listDate(now if mtime is None else mtime, now, dates)} {name}"
    )


def linkName(name, target):
    """
    What a C{LIST} line shows of a symbolic link the shell does not
    follow, as C{ls -l}, vsftpd, ProFTPD and pyftpdlib show it: C{name ->
    target}; a client (GVfs 1.50) takes an C{l} line without the arrow
    for an entry with no name.

    Where there is no target to show, the link is shown leading to
    itself, C{name -> name}: a link leading out of the root, whose text
    would tell what is outside it (the shells give none,
    L{ftpkit.shells.diskpaths.Jail.follow}); a link whose shell gives no
    text; a target holding CR or LF, with which the line would be left
    out (L{ftpkit.protocol.listinglines.encodeLines}), and the link with
    it. A client following such a link finds the link again, as the
    server, which follows it nowhere: never another entry, which a
    made-up target could name (a user may make a file of any name). GVfs
    gives up after eight turns, sending nothing, and names the link.
    A name that holds C{" -> "} reads ambiguously, as it does in
    C{ls -l}.

    @param name: the link's name.
    @param target: its text as stored (L{FileInfo.target}), or C{None}.
    @return: the text the line ends with.
    """
    if not target or "\r" in target or "\n" in target:
        target = name
    return f"{name} -> {target}"


def formatListing(entries, now):
    """
    Format the data sent for C{LIST}.

    @param entries: C{(name, info)} pairs, in the order to send them.
    @param now: the current time, seconds since the epoch.
    @return: one L{formatListLine} line per entry, each ending in CRLF.
    """
    dates = {}
    return encodeLines([_listLine(name, info, now, dates) for name, info in entries])


def formatNameList(names):
    """
    Format the data sent for C{NLST}.

    @param names: the names, in the order to send them.
    @return: one name per line, each ending in CRLF.
    """
    return encodeLines(names)


def nameListPath(pathText):
    """
    The path an C{NLST} argument names, as the reply shows it: as the
    client wrote it, with runs of C{"/"} made one and leading C{"./"}
    dropped (as ProFTPD does).

    @param pathText: the argument's path, without C{ls} options.
    @return: the text; C{""} for the current directory.
    """
    text = re.sub("/{2,}", "/", pathText)
    while text.startswith("./"):
        text = text[2:]
    return "" if text == "." else text


def nameListPrefix(directoryText):
    """
    What C{NLST} puts before each name it sends from a directory the
    client named (C{NLST sub}, C{NLST sub/*.txt}), as vsftpd, ProFTPD and
    pyftpdlib do: C{"sub/a.txt"}, a path the client can fetch as it is
    (C{mget}, ftplib's C{nlst}); nothing for the current directory.

    @param directoryText: the directory as the client wrote it.
    @return: the prefix: C{"sub/"}, C{"/"}, or C{""}.
    """
    text = nameListPath(directoryText)
    if not text:
        return ""
    return text.rstrip("/") + "/"


class ListFormat:
    """
    How C{LIST} formats the batches of one listing: each batch sorted by
    name, as L{formatListing} does; what an entry's mode, links, owner and
    group show is formatted once per distinct four, and dates a day at a
    time.
    """

    def __init__(self, now):
        """
        @param now: the current time, seconds since the epoch.
        """
        self._now = now
        self._dates = DAYS
        self._heads = {}

    def cacheKey(self):
        """
        What the lines of L{stats} depend on besides the entries and the
        time (L{cacheStamp}), for a cache of them
        (L{ftpkit.shells.listingcache}): every C{LIST} formats alike.

        @return: a hashable key.
        """
        return ("LIST",)

    def cacheStamp(self):
        """
        @return: the time this format formats at, which L{linesKept}
            takes back.
        """
        return self._now

    def linesKept(self, stamp, mtimes):
        """
        @param stamp: what L{cacheStamp} gave for the format of some
            lines (of the same L{cacheKey}).
        @param mtimes: the sorted modification times of their entries.
        @return: whether this format gives those lines too: no date
            switches between the time of day and the year in between.
        """
        return sameForms(mtimes, stamp, self._now)

    def entries(self, batch):
        """
        @param batch: C{(name, FileInfo)} pairs, in any order.
        @return: their C{LIST} lines, sorted by name.
        """
        return self.inOrder(sorted(batch, key=byName))

    def inOrder(self, batch):
        """
        @param batch: C{(name, FileInfo)} pairs, in the order to send
            them.
        @return: their C{LIST} lines, in that order.
        """
        now, dates = self._now, self._dates
        return encodeLines([_listLine(name, info, now, dates)
                             for name, info in batch])

    def stats(self, batch, owner, group):
        """
        Format a batch straight from C{os.stat} results.

        @param batch: C{(name, result)} pairs, in any order: each
            C{result} an C{os.stat} result (C{st_mode}, C{st_nlink},
            C{st_uid}, C{st_gid}, C{st_size}, C{st_mtime}), its mode
            giving its kind (L{ftpkit.fileinfo.kindOf}); the result of a
            link may have a C{target} (L{FileInfo.target}).
        @param owner: gives the name of a user id.
        @param group: gives the name of a group id.
        @return: what L{entries} gives for the C{FileInfo} values of those
            results (with those names for their owner and group).
        """
        return encodeLines(self.statLines(sorted(batch, key=byName), owner,
                                          group))

    def statLines(self, batch, owner, group):
        """
        The lines of a batch of C{os.stat} results, in the batch's order:
        what L{stats} joins, once sorted by name (the order its dates are
        quickest to make in).

        @param batch: as for L{stats}, in the order to give the lines.
        @param owner: as for L{stats}.
        @param group: as for L{stats}.
        @return: a list of one C{LIST} line an entry, text without a line
            end (not yet left out for holding CR or LF:
            L{ftpkit.protocol.listinglines.encodeLines} does).
        """
        heads, dates = self._heads, self._dates
        low, high = recentBounds(self._now)
        lines = []
        add = lines.append
        # The date of the last second formatted, kept: entries sorted by
        # name are often made in turn, seconds apart or less.
        lastWhole = lastRecent = date = None
        for name, result in batch:
            key = (result.st_mode, result.st_nlink, result.st_uid,
                   result.st_gid)
            head = heads.get(key)
            if head is None:
                head = _statHead(key, owner, group)
                # A link's head is never kept, so that its target is
                # looked for here, at no cost to the other entries.
                if S_ISLNK(key[0]):
                    name = linkName(name, getattr(result, "target", None))
                else:
                    heads[key] = head
            # wholeSecond, inline: see listinglines.PLAIN.
            mtime = result.st_mtime
            if 0.0 <= mtime < PLAIN and mtime % 1.0 < 0.999:
                whole = int(mtime)
            else:
                whole = wholeSecond(mtime)
            recent = low <= mtime <= high
            if whole != lastWhole or recent is not lastRecent:
                lastWhole, lastRecent = whole, recent
                day = whole // 86400
                texts = dates.get(day) or dayTexts(day, dates)
                date = (texts[0] + HOURS_MINUTES[whole % 86400 // 60]
                        if recent else texts[1])
            # str.rjust: what {:8d} gives an int, without parsing a spec.
            add(f"{head}{str(result.st_size).rjust(8)} {date} {name}")
        return lines


def _statHead(key, owner, group):
    """
    @param key: an C{os.stat} result's C{(st_mode, st_nlink, st_uid,
        st_gid)}.
    @param owner: gives the name of a user id.
    @param group: gives the name of a group id.
    @return: the start of the C{LIST} lines of entries with those, up to
        the size.
    """
    mode, nlink, uid, gid = key
    return (f"{_modeString(kindOfMode(mode), mode & 0o7777)} {nlink:3d} "
            f"{owner(uid):<8} {group(gid):<8} ")


class NamesFormat:
    """
    How C{NLST} formats the batches of one listing: names sorted, each
    after a prefix, as L{formatNameList} does.
    """

    def __init__(self, prefix=""):
        """
        @param prefix: put before each name (for a pattern, its directory
            as the client wrote it).
        """
        self._prefix = prefix

    def cacheKey(self):
        """
        What the lines of L{stats} depend on besides the entries, for the
        listings' cache (C{NLST -R} reads each directory's names there:
        L{ftpkit.shells.treelisting}; C{NLST} of a directory reads names
        without describing them).

        @return: a hashable key: the prefix's.
        """
        return ("NLST", self._prefix)

    def cacheStamp(self):
        """
        @return: C{None}: the lines do not depend on the time.
        """
        return None

    def linesKept(self, stamp, mtimes):
        """
        @param stamp: what L{cacheStamp} gave.
        @param mtimes: the modification times of the lines' entries.
        @return: C{True}: the lines of the same key are always the same.
        """
        return True

    def entries(self, batch):
        """
        @param batch: C{(name, anything)} pairs, in any order.
        @return: the names, sorted, one a line.
        """
        return encodeLines(sorted(map(byName, batch)), self._prefix)

    def stats(self, batch, owner, group):
        """
        @param batch: C{(name, result)} pairs of C{os.stat} results.
        @param owner: unused.
        @param group: unused.
        @return: as L{entries}.
        """
        return self.entries(batch)

    def names(self, names):
        """
        Format a listing of names alone (L{ftpkit.interfaces.IFTPShellNames})
        in one piece.

        @param names: the names, in any order (usually sorted already).
        @return: what L{entries} gives for them as one batch.
        """
        return encodeLines(sorted(names), self._prefix)

    def namesInOrder(self, names):
        """
        Format a listing of names in the order given (C{NLST -t}: see
        L{ftpkit.protocol.listingorder}), in one piece.

        @param names: the names, in their order.
        @return: what L{names} gives for them, in that order.
        """
        return encodeLines(names, self._prefix)

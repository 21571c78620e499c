"""
Directory listings from L{FileInfo} values, as pure functions: C{LIST}
(C{ls -l} style), C{NLST} (names only) and C{MLSD}/C{MLST} (RFC 3659
facts).

Listings are encoded UTF-8 with C{surrogateescape}, so a name read from
disk as undecodable bytes goes back as those bytes. A name holding CR or
LF cannot be sent on a line-based listing and is left out.

A listing sent batch by batch is formatted by one L{ListFormat},
L{FactsFormat} or L{NamesFormat}: from C{(name, FileInfo)} pairs, or
(for a listing that reads C{os.stat} results,
L{ftpkit.interfaces.IStatListing}) straight from those results, the same
bytes either way.
"""

import functools
import re
from operator import itemgetter

from ftpkit.fileinfo import (
    BLOCK_DEVICE,
    CHARACTER_DEVICE,
    DIRECTORY,
    FIFO,
    FILE,
    LINK,
    OTHER,
    SOCKET,
    kindOf,
    specialOf,
)
from ftpkit.protocol.commands import MLST_FACTS
from ftpkit.protocol.listingdates import (
    DAYS,
    FUTURE,
    HOURS_MINUTES,
    PLAIN_SECONDS,
    RECENT,
    TIMEVAL_MINUTES,
    TIMEVAL_SECONDS,
    dayTexts,
    listDate,
    modifyFact,
    wholeSecond,
)
from ftpkit.protocol.replies import encodeText

FACTS = MLST_FACTS
"""The facts C{MLST}/C{MLSD} can give, lower-case, in canonical order."""

DEFAULT_FACTS = FACTS
"""The facts selected until the client says otherwise with C{OPTS MLST}."""

_FACT_NAMES = {"unix.mode": "UNIX.mode"}

_KIND_CHARACTERS = {DIRECTORY: "d", LINK: "l", FIFO: "p", SOCKET: "s",
                    CHARACTER_DEVICE: "c", BLOCK_DEVICE: "b"}
"""The first character of a C{LIST} mode, by kind or, for an L{OTHER}
entry, by what it is (C{ls -l}'s letters); C{-} for the rest."""

_MLST_TYPES = {FILE: "file", DIRECTORY: "dir", LINK: "OS.unix=symlink",
               FIFO: "OS.unix=fifo", SOCKET: "OS.unix=socket",
               CHARACTER_DEVICE: "OS.unix=chr", BLOCK_DEVICE: "OS.unix=blk"}
"""The C{type} fact (RFC 3659 section 7.5.1) by kind or, for an L{OTHER}
entry, by what it is: C{OS.unix=} and the names of RFC 3659's examples
(C{chr}, C{blk}) and of other servers (C{fifo}, C{socket}), which
clients recognise; C{OS.unix=other} for the rest."""


def _typeOf(kind, special):
    """
    @param kind: a L{FileInfo} kind.
    @param special: what an L{OTHER} entry is (L{FileInfo.special}).
    @return: the key of L{_KIND_CHARACTERS} and L{_MLST_TYPES}: the
        kind, or what an L{OTHER} entry is.
    """
    return special if kind == OTHER and special else kind


@functools.lru_cache(maxsize=512)
def _modeString(kind, mode):
    """
    Render a kind and permission bits as C{ls -l} does, e.g. C{drwxr-xr-x}
    (remembered: a directory has few distinct modes).

    @param kind: a L{FileInfo} kind, or what an L{OTHER} entry is
        (L{_typeOf}).
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
    return (
        f"{_modeString(_typeOf(info.kind, info.special), info.mode)}"
        f" {info.nlink:3d} "
        f"{info.owner:<8} {info.group:<8} {info.size:8d} "
        f"{listDate(now if mtime is None else mtime, now, dates)} {name}"
    )


def _encodeLines(lines, prefix=""):
    """
    Join lines into a listing body, leaving out those holding CR or LF.

    The body is joined and encoded in one piece (a listing is one write),
    the prefix joined in with the line ends rather than added to each
    line; a line holding CR or LF is looked for in the lines joined
    without them (C{in} finds one character faster than C{str.count}
    counts it); only one holding a character L{encodeText} must replace
    is encoded a line at a time.

    @param lines: an iterable of L{str} lines.
    @param prefix: put before each line.
    @return: the CRLF-terminated lines encoded by L{encodeText}; C{b""}
        for none.
    """
    lines = list(lines)
    if not lines:
        return b""
    joined = "".join(lines)
    if "\r" in joined or "\n" in joined or "\r" in prefix or "\n" in prefix:
        lines = [line for line in (prefix + line for line in lines)
                 if "\r" not in line and "\n" not in line]
        if not lines:
            return b""
        prefix = ""
    elif prefix:
        lines[0] = prefix + lines[0]
    body = ("\r\n" + prefix).join(lines)
    body += "\r\n"
    try:
        return body.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        # No line holds CR or LF any more: the body splits back into them.
        return b"".join(encodeText(line) + b"\r\n"
                        for line in body.split("\r\n")[:-1])


def formatListing(entries, now):
    """
    Format the data sent for C{LIST}.

    @param entries: C{(name, info)} pairs, in the order to send them.
    @param now: the current time, seconds since the epoch.
    @return: one L{formatListLine} line per entry, each ending in CRLF.
    """
    dates = {}
    return _encodeLines([_listLine(name, info, now, dates) for name, info in entries])


def formatNameList(names):
    """
    Format the data sent for C{NLST}.

    @param names: the names, in the order to send them.
    @return: one name per line, each ending in CRLF.
    """
    return _encodeLines(names)


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


def formatFacts(name, info, facts, perm, typeName=None):
    """
    Format one C{MLSD} line or C{MLST} entry (RFC 3659 section 7.2):
    C{"type=file;size=1234;modify=20261125130100;perm=adfrw; name"}.

    @param name: the entry's name (or path, for C{MLST}).
    @param info: the entry's L{FileInfo}.
    @param facts: the facts to give, lower-case, in the order to give them.
    @param perm: the value of the C{perm} fact, see L{permissions}.
    @param typeName: the C{type} value to give instead of the one C{info}
        implies: C{"cdir"} or C{"pdir"}.
    @return: the facts, each ending in C{";"}, a space and the name. The
        C{size} fact is left out for directories, C{unique} when the shell
        gave none, C{modify} when the time is not known (C{mtime} C{None}:
        RFC 3659 section 7 lets a server leave out a fact it cannot give
        for an entry).
    """
    return _factsLine(name, info, tuple(facts), perm, typeName, {})


def _factsLine(name, info, facts, perm, typeName, modified):
    """
    Format one line as L{formatFacts} does.

    @param facts: the facts, a L{tuple}.
    @param modified: the date cache of
        L{ftpkit.protocol.listingdates.modifyFact}.
    """
    directory = info.isDirectory
    mtime = info.mtime
    return _factsTemplate(facts, not directory, bool(info.unique),
                          mtime is not None).format(
        typeName or _MLST_TYPES.get(_typeOf(info.kind, info.special),
                                    "OS.unix=other"),
        "" if directory else str(info.size),
        "" if mtime is None else modifyFact(mtime, modified),
        perm,
        info.unique,
        f"{info.mode & 0o7777:04o}",
        name,
    )


_FACT_FIELDS = {
    "type": 0, "size": 1, "modify": 2, "perm": 3, "unique": 4, "unix.mode": 5,
}  # fmt: skip
"""Each fact's argument to a template of L{_factsTemplate}; 6 is the name."""


@functools.lru_cache(maxsize=64)
def _factsTemplate(facts, withSize, withUnique, withModify=True):
    """
    Make the L{str.format} template of the lines L{formatFacts} gives
    (remembered: a listing has few kinds of line).

    @param facts: the facts selected, a L{tuple}.
    @param withSize: whether the C{size} fact is given.
    @param withUnique: whether the C{unique} fact is given.
    @param withModify: whether the C{modify} fact is given.
    @return: the template, taking the fields of L{_FACT_FIELDS} and the
        name.
    """
    left = {"size": not withSize, "unique": not withUnique,
            "modify": not withModify}
    return "".join(
        f"{_FACT_NAMES.get(fact, fact)}={{{_FACT_FIELDS[fact]}}};"
        for fact in facts
        if fact in _FACT_FIELDS and not left.get(fact)
    ) + " {6}"


def formatMLSD(entries, facts, permFor):
    """
    Format the data sent for C{MLSD}.

    @param entries: C{(name, info)} pairs, in the order to send them.
    @param facts: the facts to give, as for L{formatFacts}.
    @param permFor: a callable taking a L{FileInfo} and returning its
        C{perm} fact.
    @return: one L{formatFacts} line per entry, each ending in CRLF.
    """
    facts = tuple(facts)
    modified = {}
    return _encodeLines([
        _factsLine(name, info, facts, permFor(info), None, modified)
        for name, info in entries
    ])


def permissions(info, writable, held=False):
    """
    Compute the C{perm} fact (RFC 3659 section 7.5.5).

    @param info: the entry's L{FileInfo}.
    @param writable: whether the user may change it.
    @param held: whether the user downloads only world-readable regular
        files (C{--hold-anonymous-uploads}, L{ftpkit.shells.held}).
    @return: for a directory C{"el"}, plus C{"cdfmp"} (create, delete,
        rename, make directory, purge) when writable; for a FIFO, socket
        or device (which cannot be read or appended to) nothing, or
        C{"dfw"} (delete, rename, store) when writable; for a symbolic
        link the shell does not follow (L{LINK}: one leading outside the
        root, or nowhere, which C{RETR} refuses) nothing, writable or not
        (what may be done to the link itself differs between shells: the
        disk realm's C{DELE} removes it, C{file://}'s refuses); for
        anything else
        C{"r"} (but for a held file: a regular file that is not
        world-readable when C{held}), plus C{"adfw"} (append, delete,
        rename, store) when writable; letters in alphabetical order.
    """
    return _permissionLetters(
        _typeOf(info.kind, info.special), writable,
        not (held and info.kind == FILE and _isHeldMode(info.mode)))


def _isHeldMode(mode):
    """
    @param mode: a regular file's mode (its permission bits will do),
        or C{None}.
    @return: whether a user who downloads only world-readable files
        (L{ftpkit.shells.held.WORLD_READABLE}) cannot download it.
    """
    return not (mode or 0) & 0o004


_SPECIAL = frozenset({FIFO, SOCKET, CHARACTER_DEVICE, BLOCK_DEVICE})


@functools.lru_cache(maxsize=32)
def _permissionLetters(kind, writable, readable=True):
    """
    @param kind: what L{_typeOf} gives.
    @param readable: whether an entry that is neither a directory nor
        special may be read.
    @return: the letters of L{permissions}, sorted (remembered: there are
        few answers).
    """
    if kind == DIRECTORY:
        letters = "el" + ("cdfmp" if writable else "")
    elif kind == LINK:
        letters = ""
    elif kind in _SPECIAL:
        letters = "dfw" if writable else ""
    else:
        letters = ("r" if readable else "") + ("adfw" if writable else "")
    return "".join(sorted(letters))


def mlstFeature(selected):
    """
    Format the C{MLST} line of the C{FEAT} reply (RFC 3659 section 7.8).

    @param selected: the facts currently selected.
    @return: e.g. C{"MLST type*;size*;modify*;perm*;unique*;UNIX.mode*;"},
        a star marking each selected fact.
    """
    return "MLST " + "".join(
        f"{_FACT_NAMES.get(fact, fact)}{'*' if fact in selected else ''};"
        for fact in FACTS
    )


_byName = itemgetter(0)

_PLAIN = float(PLAIN_SECONDS)
"""L{PLAIN_SECONDS} as a float: the batch formats compare and divide an
C{st_mtime} by floats alone (below it, C{mtime % 1.0} is the exact
fraction C{mtime - int(mtime)} is), since mixing a float with a
two-digit C{int}, as every time since 2004 is, converts the C{int}
the slow way."""


def _asFloat(number):
    """
    @param number: an L{int} or a L{float}.
    @return: C{number} as a float when that is exact (comparing a float
        with it then gives what comparing with C{number} gives), else
        C{number}.
    """
    try:
        value = float(number)
    except OverflowError:
        return number
    return value if value == number else number


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

    def entries(self, batch):
        """
        @param batch: C{(name, FileInfo)} pairs, in any order.
        @return: their C{LIST} lines, sorted by name.
        """
        now, dates = self._now, self._dates
        return _encodeLines([_listLine(name, info, now, dates)
                             for name, info in sorted(batch, key=_byName)])

    def stats(self, batch, owner, group):
        """
        Format a batch straight from C{os.stat} results.

        @param batch: C{(name, result)} pairs, in any order: each
            C{result} an C{os.stat} result (C{st_mode}, C{st_nlink},
            C{st_uid}, C{st_gid}, C{st_size}, C{st_mtime}), its mode
            giving its kind (L{ftpkit.fileinfo.kindOf}).
        @param owner: gives the name of a user id.
        @param group: gives the name of a group id.
        @return: what L{entries} gives for the C{FileInfo} values of those
            results (with those names for their owner and group).
        """
        heads, dates = self._heads, self._dates
        low, high = _asFloat(self._now - RECENT), _asFloat(self._now + FUTURE)
        lines = []
        add = lines.append
        for name, result in sorted(batch, key=_byName):
            key = (result.st_mode, result.st_nlink, result.st_uid,
                   result.st_gid)
            head = heads.get(key)
            if head is None:
                head = heads[key] = _statHead(key, owner, group)
            # wholeSecond, inline: see _PLAIN.
            mtime = result.st_mtime
            if 0.0 <= mtime < _PLAIN and mtime % 1.0 < 0.999:
                whole = int(mtime)
            else:
                whole = wholeSecond(mtime)
            day = whole // 86400
            texts = dates.get(day) or dayTexts(day, dates)
            # str.rjust: what {:8d} gives an int, without parsing a spec.
            if low <= mtime <= high:
                add(f"{head}{str(result.st_size).rjust(8)} {texts[0]}"
                    f"{HOURS_MINUTES[whole % 86400 // 60]} {name}")
            else:
                add(f"{head}{str(result.st_size).rjust(8)} {texts[1]} {name}")
        return _encodeLines(lines)


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
    return (f"{_modeString(_kindOfMode(mode), mode & 0o7777)} {nlink:3d} "
            f"{owner(uid):<8} {group(gid):<8} ")


class FactsFormat:
    """
    How C{MLSD} formats the batches of one listing: each batch sorted by
    name, as L{formatMLSD} does with L{permissions}; facts not selected
    are not computed.
    """

    def __init__(self, facts, writable, held=False):
        """
        @param facts: the facts to give, as for L{formatFacts}.
        @param writable: whether the user may change the entries (see
            L{permissions}).
        @param held: as for L{permissions}.
        """
        self._facts = tuple(facts)
        self._writable = writable
        self._held = held
        self._dates = DAYS
        self._modify = "modify" in self._facts
        self._unique = "unique" in self._facts
        self._pieces = {}
        self._devices = {}

    def entries(self, batch):
        """
        @param batch: C{(name, FileInfo)} pairs, in any order.
        @return: their C{MLSD} lines, sorted by name.
        """
        facts, writable, dates = self._facts, self._writable, self._dates
        held = self._held
        return _encodeLines([
            _factsLine(name, info, facts,
                       permissions(info, writable, held), None, dates)
            for name, info in sorted(batch, key=_byName)
        ])

    def stats(self, batch, owner, group):
        """
        Format a batch straight from C{os.stat} results.

        @param batch: C{(name, result)} pairs, in any order: each
            C{result} an C{os.stat} result (C{st_mode}, C{st_size},
            C{st_mtime}, C{st_dev}, C{st_ino}), its mode giving its kind
            (L{ftpkit.fileinfo.kindOf}).
        @param owner: gives the name of a user id (no fact shows it).
        @param group: gives the name of a group id (likewise).
        @return: what L{entries} gives for the C{FileInfo} values of those
            results, whose C{unique} is C{"DEVgINO"} (device and inode in
            hexadecimal), as the filesystem shell's are.
        """
        pieces, dates, devices = self._pieces, self._dates, self._devices
        modify, unique = self._modify, self._unique
        # The facts' parts, each put in the line as it is: "" when the
        # fact is not given.
        modifyDay = modifyMinute = modifySecond = device = inode = ""
        lines = []
        add = lines.append
        for name, result in sorted(batch, key=_byName):
            mode = result.st_mode
            around = pieces.get(mode)
            if around is None:
                around = pieces[mode] = self._around(mode)
            first, sized, second, third, last = around
            if modify:
                # wholeSecond, inline: see _PLAIN.
                mtime = result.st_mtime
                if 0.0 <= mtime < _PLAIN and mtime % 1.0 < 0.999:
                    whole = int(mtime)
                else:
                    whole = wholeSecond(mtime)
                day = whole // 86400
                seconds = whole % 86400
                modifyDay = (dates.get(day) or dayTexts(day, dates))[2]
                modifyMinute = TIMEVAL_MINUTES[seconds // 60]
                modifySecond = TIMEVAL_SECONDS[seconds % 60]
            if unique:
                device = result.st_dev
                device = devices.get(device) or _device(devices, device)
                inode = "%x" % result.st_ino
            add(f"{first}{result.st_size if sized else ''}{second}"
                f"{modifyDay}{modifyMinute}{modifySecond}{third}{device}"
                f"{inode}{last}{name}")
        return _encodeLines(lines)

    def _around(self, mode):
        """
        @param mode: an C{st_mode}.
        @return: C{(first, sized, second, third, last)}: the text of the
            lines of entries with that mode before the size, whether the
            size is given, and the texts between the size, the C{modify}
            fact, the C{unique} fact and the name (each C{""} where the
            fact around it is not given).
        """
        kind = _kindOfMode(mode)
        directory = kind == DIRECTORY
        sized = "size" in self._facts and not directory
        cut = "\0"
        texts = iter(_factsTemplate(self._facts, not directory, True).format(
            _MLST_TYPES.get(kind, "OS.unix=other"), cut, cut,
            _permissionLetters(kind, self._writable, not (
                self._held and kind == FILE and _isHeldMode(mode))), cut,
            f"{mode & 0o7777:04o}", cut).split(cut))
        first, second, third, last = (
            next(texts) if given else ""
            for given in (sized, self._modify, self._unique, True))
        return first, sized, second, third, last


def _kindOfMode(mode):
    """
    @param mode: an C{st_mode}.
    @return: what L{_typeOf} gives for the L{FileInfo} of that mode.
    """
    kind = kindOf(mode)
    return _typeOf(kind, specialOf(mode) if kind == OTHER else "")


def _device(devices, device):
    """
    @param devices: the texts of L{_device} so far, by device.
    @param device: an C{st_dev}.
    @return: the start of the C{unique} fact of its entries,
        C{"DEVg"}, remembered in C{devices}.
    """
    text = devices[device] = f"{device:x}g"
    return text


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

    def entries(self, batch):
        """
        @param batch: C{(name, anything)} pairs, in any order.
        @return: the names, sorted, one a line.
        """
        return _encodeLines(sorted(map(_byName, batch)), self._prefix)

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
        return _encodeLines(sorted(names), self._prefix)

"""
Directory listings from L{FileInfo} values, as pure functions: C{LIST}
(C{ls -l} style), C{NLST} (names only) and C{MLSD}/C{MLST} (RFC 3659
facts).

Listings are encoded UTF-8 with C{surrogateescape}, so a name read from
disk as undecodable bytes goes back as those bytes. A name holding CR or
LF cannot be sent on a line-based listing and is left out.
"""

import functools

from ftpkit.fileinfo import DIRECTORY, FILE, LINK
from ftpkit.protocol.commands import MLST_FACTS, utcDatetime, utcSecond
from ftpkit.protocol.replies import encodeText

FACTS = MLST_FACTS
"""The facts C{MLST}/C{MLSD} can give, lower-case, in canonical order."""

DEFAULT_FACTS = FACTS
"""The facts selected until the client says otherwise with C{OPTS MLST}."""

_FACT_NAMES = {"unix.mode": "UNIX.mode"}

_MONTHS = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip

_RECENT = 180 * 86400
_FUTURE = 3600

_PLAIN_SECONDS = 10**11
"""Times below this many seconds (year 5138) are precise to a microsecond
as floats, so L{_second} can take their whole seconds directly."""

_KIND_CHARACTERS = {DIRECTORY: "d", LINK: "l"}

_MLST_TYPES = {FILE: "file", DIRECTORY: "dir", LINK: "OS.unix=symlink"}


@functools.lru_cache(maxsize=512)
def _modeString(kind, mode):
    """
    Render a kind and permission bits as C{ls -l} does, e.g. C{drwxr-xr-x}
    (remembered: a directory has few distinct modes).

    @param kind: a L{FileInfo} kind.
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


_HOURS_MINUTES = tuple(f"{hour:02d}:{minute:02d}"
                       for hour in range(24) for minute in range(60))
"""C{"HH:MM"} of each minute of a day."""

_TIMEVAL_MINUTES = tuple(text.replace(":", "") for text in _HOURS_MINUTES)
"""C{"HHMM"} of each minute of a day."""

_TIMEVAL_SECONDS = tuple(f"{second:02d}" for second in range(60))
"""C{"SS"} of each second of a minute."""


def _dayTexts(day, cache):
    """
    The parts of the dates of one day, formatted once per listing.

    @param day: whole days since the epoch (UTC).
    @param cache: a L{dict} kept for one listing.
    @return: C{("Mon DD ", "Mon DD  YYYY", "YYYYMMDD")}: the start of a
        recent C{LIST} date, an older one, and the start of a C{modify}
        fact.
    """
    texts = cache.get(day)
    if texts is None:
        when = utcDatetime(day * 86400)
        prefix = f"{_MONTHS[when.month - 1]} {when.day:2d}"
        texts = cache[day] = (
            prefix + " ",
            f"{prefix}  {when.year:4d}",
            f"{when.year:04d}{when.month:02d}{when.day:02d}",
        )
    return texts


def _listDate(mtime, now, cache):
    """
    Render a modification time as C{ls -l} does, in UTC and English.

    @param mtime: the modification time, seconds since the epoch.
    @param now: the current time, seconds since the epoch.
    @param cache: the L{dict} of L{_dayTexts}, kept for one listing.
    @return: C{"Mon DD HH:MM"} for times within the last 180 days and at
        most an hour ahead, C{"Mon DD  YYYY"} otherwise.
    """
    day, second = divmod(_second(mtime), 86400)
    texts = _dayTexts(day, cache)
    if now - _RECENT <= mtime <= now + _FUTURE:
        return texts[0] + _HOURS_MINUTES[second // 60]
    return texts[1]


def _second(mtime):
    """
    @param mtime: seconds since the epoch.
    @return: C{utcSecond(mtime)}, without its rounding and clamping for
        the usual time: after the epoch, long before year 9999, and not
        within a millisecond of the next second.
    """
    if 0 <= mtime < _PLAIN_SECONDS:
        whole = int(mtime)
        if mtime - whole < 0.999:
            return whole
    return utcSecond(mtime)


def _modifyFact(mtime, cache):
    """
    Format the C{modify} fact of one listing entry.

    @param mtime: the modification time, seconds since the epoch.
    @param cache: the L{dict} of L{_dayTexts}, kept for one listing.
    @return: as C{ftpkit.protocol.commands.formatTimeval} without
        fraction.
    """
    day, second = divmod(_second(mtime), 86400)
    minute, second = divmod(second, 60)
    return (_dayTexts(day, cache)[2] + _TIMEVAL_MINUTES[minute]
            + _TIMEVAL_SECONDS[second])


def formatListLine(name, info, now):
    """
    Format one C{LIST} line, like C{ls -l}:
    C{"-rw-r--r--   1 owner    group        1234 Nov 25 13:01 name"}.

    @param name: the entry's name.
    @param info: the entry's L{FileInfo}.
    @param now: the current time, seconds since the epoch, which decides
        whether the date shows a time or a year.
    @return: the line, without line ending.
    """
    return _listLine(name, info, now, {})


def _listLine(name, info, now, dates):
    """
    Format one C{LIST} line as L{formatListLine} does.

    @param dates: the date cache of L{_listDate}.
    """
    return (
        f"{_modeString(info.kind, info.mode)} {info.nlink:3d} "
        f"{info.owner:<8} {info.group:<8} {info.size:8d} "
        f"{_listDate(info.mtime, now, dates)} {name}"
    )


def _encodeLines(lines):
    """
    Join lines into a listing body, leaving out those holding CR or LF.

    The body is joined and encoded in one piece (a listing is one write);
    only one holding a character L{encodeText} must replace is encoded a
    line at a time.

    @param lines: an iterable of L{str} lines.
    @return: the CRLF-terminated lines encoded by L{encodeText}; C{b""}
        for none.
    """
    lines = list(lines)
    if not lines:
        return b""
    body = "\r\n".join(lines)
    if body.count("\r") != len(lines) - 1 or body.count("\n") != len(lines) - 1:
        lines = [line for line in lines if "\r" not in line and "\n" not in line]
        if not lines:
            return b""
        body = "\r\n".join(lines)
    body += "\r\n"
    try:
        return body.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return b"".join(encodeText(line) + b"\r\n" for line in lines)


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
        gave none.
    """
    return _factsLine(name, info, tuple(facts), perm, typeName, {})


def _factsLine(name, info, facts, perm, typeName, modified):
    """
    Format one line as L{formatFacts} does.

    @param facts: the facts, a L{tuple}.
    @param modified: the date cache of L{_modifyFact}.
    """
    directory = info.isDirectory
    return _factsTemplate(facts, not directory, bool(info.unique)).format(
        typeName or _MLST_TYPES.get(info.kind, "OS.unix=other"),
        "" if directory else str(info.size),
        _modifyFact(info.mtime, modified),
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
def _factsTemplate(facts, withSize, withUnique):
    """
    Make the L{str.format} template of the lines L{formatFacts} gives
    (remembered: a listing has few kinds of line).

    @param facts: the facts selected, a L{tuple}.
    @param withSize: whether the C{size} fact is given.
    @param withUnique: whether the C{unique} fact is given.
    @return: the template, taking the fields of L{_FACT_FIELDS} and the
        name.
    """
    left = {"size": not withSize, "unique": not withUnique}
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


def permissions(info, writable):
    """
    Compute the C{perm} fact (RFC 3659 section 7.5.5).

    @param info: the entry's L{FileInfo}.
    @param writable: whether the user may change it.
    @return: for a directory C{"el"}, plus C{"cdfmp"} (create, delete,
        rename, make directory, purge) when writable; for anything else
        C{"r"}, plus C{"adfw"} (append, delete, rename, store) when
        writable; letters in alphabetical order.
    """
    return _permissionLetters(info.isDirectory, writable)


@functools.lru_cache(maxsize=4)
def _permissionLetters(isDirectory, writable):
    """
    @return: the letters of L{permissions}, sorted (remembered: there are
        four answers).
    """
    if isDirectory:
        letters = "el" + ("cdfmp" if writable else "")
    else:
        letters = "r" + ("adfw" if writable else "")
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

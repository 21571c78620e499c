"""
Replies read the way FileZilla and WinSCP read them, for
C{tests/integration/test_personas_*.py}: each function mirrors one parser
of FileZilla 3's engine (C{src/engine/ftp/}), of the FileZilla 2 engine
WinSCP bundles (C{source/filezilla/}) or of WinSCP's own
C{source/core/FtpFileSystem.cpp}, so that a reply these would not parse
fails the test that got it.
"""

import re

_FZ3_FEATURES = ("UTF8", "CLNT", "MLSD", "MLST", "MODE Z", "MFMT", "MDTM",
                 "SIZE", "TVFS", "REST STREAM", "EPSV")
_FZ_FACTS = frozenset(["type", "size", "modify", "perm", "unix.mode",
                       "unix.owner", "unix.ownername", "unix.group",
                       "unix.groupname", "unix.user", "unix.uid", "unix.gid",
                       "x.hidden"])
_PASV = re.compile(r"( |\()(0*[0-9]{1,3}(?:,0*[0-9]{1,3}){5})( |\)|$)")
_LIST_LINE = re.compile(
    r"([-dlbcps][-rwxsStT]{9})\s+\d+\s+\S+\s+\S+\s+(\d+)\s+"
    r"([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{4}|\d{1,2}:\d{2}) (.+)")


def filezillaFeatures(lines):
    """
    FileZilla 3's C{ParseFeat}: each line trimmed and upper-cased, a
    feature is the line or the line's start followed by a space; the
    first match in its order wins.

    @param lines: the lines of the C{211} reply.
    @return: a dict, feature to the rest of its line (C{MLST}'s facts).
    """
    found = {}
    for line in lines:
        line = line.strip()
        upper = line.upper()
        for feature in _FZ3_FEATURES:
            if upper == feature or upper.startswith(feature + " "):
                found[feature] = line[len(feature) + 1:]
                break
    return found


def engine2Features(lines):
    """
    FileZilla 2's C{DiscardLine} (WinSCP's engine): lines inside the
    multi-line reply, the C{211-} prefix cut, leading spaces only
    stripped, then compared whole (a trailing space would hide it).

    @return: the set of C{UTF8}, C{CLNT}, C{MLSD}, C{MDTM}, C{MFMT} found.
    """
    found = set()
    for line in lines[1:-1]:
        if line.startswith("211-"):
            line = line[4:]
        line = line.upper().lstrip(" ")
        if line in ("UTF8", "MLSD", "MDTM", "MFMT", "CLNT"):
            found.add(line)
        elif line.startswith("MLST"):
            found.add("MLSD")
    return found


def winscpFeatures(lines):
    """
    WinSCP's C{HandleFeatReply} and C{ProcessFeatures}: lines between the
    first and last, trimmed; the first word is a supported command, a
    C{HASH} line's rest its algorithms (lower-case, C{*} dropped).

    @return: C{(commands, hashAlgorithms)}.
    """
    commands, algorithms = set(), []
    for line in lines[1:-1]:
        command, _, rest = line.strip().partition(" ")
        commands.add(command.upper())
        if command.upper() == "HASH":
            algorithms += [a.rstrip("*").lower() for a in rest.split(";")
                           if a]
    return commands, algorithms


def filezillaOptsMlst(facts):
    """
    FileZilla's choice of C{OPTS MLST}: the facts it knows that the
    server offers, sent only when one of them is not on by default.

    @param facts: the C{MLST} feature's facts.
    @return: the argument FileZilla would send, or C{None} for no command.
    """
    wanted, unset = "", False
    for item in facts.lower().split(";"):
        if not item or item == "*":
            continue
        enabled = item.endswith("*")
        fact = item.rstrip("*")
        if fact in _FZ_FACTS:
            unset |= not enabled
            wanted += fact + ";"
    return wanted if unset else None


def filezillaPwd(line):
    """
    FileZilla 3's C{ParsePwdReply}: the text between the first and the
    last double quote, C{""} read as one.
    """
    return line[line.index('"') + 1:line.rindex('"')].replace('""', '"')


def winscpPwd(line):
    """
    WinSCP's C{ReadCurrentDirectory} and C{Unquote}: from the first quote,
    doubled quotes as one, up to the closing one.
    """
    text, out, index = line[line.index('"') + 1:], "", 0
    while index < len(text):
        if text[index] == '"':
            if text[index + 1:index + 2] != '"':
                break
            index += 1
        out += text[index]
        index += 1
    return out


def filezillaPasv(line):
    """
    FileZilla 3's C{ParsePasvResponse}: six numbers after a space or
    C{(}, followed by a space, C{)} or the end.

    @return: C{(host, port)}.
    """
    numbers = [int(n) for n in _PASV.search(line).group(2).split(",")]
    return ".".join(map(str, numbers[:4])), numbers[4] * 256 + numbers[5]


def filezillaEpsv(line):
    """
    FileZilla 3's C{ParseEpsvResponse}: the port between C{(|||} and C{|)}.
    """
    start = line.index("(|||") + 4
    return int(line[start:line.index("|)", start)])


def filezillaSize(line):
    """
    FileZilla 3 takes C{213 } and the digits that follow.
    """
    assert line.startswith("213 "), line
    return int(re.match(r"[0-9]*", line[4:]).group())


def filezillaMdtm(line):
    """
    FileZilla 3 takes a C{213 } reply longer than 16 characters as
    C{YYYYMMDDhhmmss} in UTC.
    """
    assert line.startswith("213 ") and len(line) > 16, line
    return line[4:18]


def winscpHash(line):
    """
    WinSCP's C{DoCalculateFileChecksum} for C{HASH}: past the algorithm,
    a range holding C{-}, then the digest.
    """
    words = line[4:].split(" ")
    assert "-" in words[1], line
    return words[2].lower()


def listEntries(listing):
    """
    A C{LIST} listing read as the clients' Unix parsers read it.

    @return: a dict of name to C{(mode, size, yearOrTime)}.
    """
    entries = {}
    for line in listing.decode("utf-8").split("\r\n"):
        if line:
            match = _LIST_LINE.fullmatch(line)
            assert match is not None, line
            entries[match.group(6)] = (match.group(1), int(match.group(2)),
                                       match.group(5))
    return entries


def mlsdEntries(listing):
    """
    An C{MLSD} listing read as FileZilla 2's C{parseAsMlsd} does: facts up
    to the first space, C{name=value} of at least three characters each,
    the name after that one space.

    @return: a dict of name to a dict of facts (names lower-case).
    """
    entries = {}
    for line in listing.decode("utf-8").split("\r\n"):
        if line:
            facts, name = line.split(" ", 1)
            facts = [f for f in facts.split(";") if f]
            assert all(len(f) >= 3 and f.find("=") >= 1 for f in facts), line
            entries[name] = dict(f.lower().split("=", 1) for f in facts)
    return entries


_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                "sep", "oct", "nov", "dec")


def _tokens(line):
    """
    FileZilla 3's C{CLine} tokens: runs of text between spaces and tabs.

    @return: a list of C{(start, text)}.
    """
    return [(m.start(), m.group()) for m in re.finditer(r"[^ \t]+", line)]


def _unixDate(tokens, now):
    """
    FileZilla 3's C{ParseUnixDateTime} for C{ls} dates (C{Mon DD HH:MM},
    C{Mon DD YYYY}): a time of day is in C{now}'s year, or the year
    before when that would be more than a day ahead; a year past 3000 is
    refused.

    @param tokens: the month, day and time or year tokens.
    @param now: the client's UTC C{time.struct_time}.
    @return: C{(year, month, day, hour, minute)} or C{None}.
    """
    if len(tokens) < 3 or tokens[0].lower() not in _MONTH_NAMES:
        return None
    month = _MONTH_NAMES.index(tokens[0].lower()) + 1
    if not tokens[1].isdigit() or not 1 <= int(tokens[1]) <= 31:
        return None
    day, last = int(tokens[1]), tokens[2]
    if ":" in last:
        hour, minute = (int(n) for n in last.split(":"))
        if hour > 23 or minute > 59:
            return None
        year = now.tm_year
        if now.tm_mday + 31 * (now.tm_mon - 1) + 1 < day + 31 * (month - 1):
            year -= 1
        return year, month, day, hour, minute
    if not last.isdigit() or int(last) > 3000:
        return None
    year = int(last) + (1900 if int(last) < 1000 else 0)
    return year, month, day, None, None


def filezillaUnix(line, now):
    """
    FileZilla 3's C{ParseAsUnix} (C{directorylistingparser.cpp}) for a
    C{LIST} line of the C{ls -l} form: permissions, an optional link
    count, three to no owner and group fields, the size, the date, then
    the name: the rest of the line less its trailing spaces and tabs and
    one trailing C{/}, C{|} or C{*}; a link's name is cut at C{" -> "}.

    @param line: one line of the listing, as text.
    @param now: the client's UTC C{time.struct_time}.
    @return: a dict (C{kind}, C{size}, C{date}, C{name}, C{target}), or
        C{None} for a line FileZilla would not read as Unix.
    """
    tokens = _tokens(line)
    if not tokens or tokens[0][1][0] not in "bcdlps-" \
            or len(tokens[0][1]) == 1:
        return None
    start = 2 if len(tokens) > 1 and tokens[1][1].isdigit() else 1
    for owners in (3, 2, 1, 0):
        index = start + owners
        if index >= len(tokens):
            return None
        if not tokens[index][1].isdigit():
            continue
        date = _unixDate([text for _, text in tokens[index + 1:index + 4]],
                         now)
        if date is None or len(tokens) <= index + 4:
            continue
        name = line[tokens[index + 4][0]:].rstrip(" \t")
        if name[-1] in "/|*":
            name = name[:-1]
        target = None
        if tokens[0][1][0] == "l" and " -> " in name:
            name, target = name.split(" -> ", 1)
        return {"kind": tokens[0][1][0], "size": int(tokens[index][1]),
                "date": date, "name": name, "target": target}
    return None


def _filezillaTime(value, windows):
    """
    libfilezilla's C{datetime} from an C{MLSD} time: four, two and two
    digits, then optional two-digit hours, minutes, seconds. On Windows
    the date goes through C{SystemTimeToFileTime}, which takes the years
    1601 to 30827 only.

    @return: C{(year, month, day, hour, minute, second)} or C{None}.
    """
    digits = re.match(r"(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?",
                      value)
    if digits is None:
        return None
    fields = tuple(int(d or 0) for d in digits.groups())
    if not 1 <= fields[1] <= 12 or not 1 <= fields[2] <= 31 \
            or (windows and not 1601 <= fields[0] <= 30827):
        return None
    return fields


def filezillaMlsd(line, windows=True):
    """
    FileZilla 3's C{ParseAsMlsd}, which drops a line on the slightest
    error: the facts are the text up to the first space or tab, each
    C{name=value} at least three characters; C{type} C{dir}, C{cdir},
    C{pdir}, C{OS.unix=slink} or C{OS.unix=symlink} (a link), C{size}
    digits only, C{modify} a time libfilezilla reads (see
    L{_filezillaTime}); the name is everything after that one separator.

    @param windows: read times as FileZilla on Windows does.
    @return: a dict (C{kind}: C{file}, C{dir}, C{link} or C{skip} for
        C{cdir}/C{pdir}; C{size}, C{modify}, C{perm}, C{mode}, C{name}),
        or C{None} for a line FileZilla does not take as C{MLSD}.
    """
    tokens = _tokens(line)
    if not tokens or tokens[0][0] != 0:
        return None
    facts, entry = tokens[0][1], {"kind": "file", "size": None,
                                  "modify": None, "perm": None,
                                  "mode": None}
    start = 0
    while start < len(facts):
        delim = facts.find(";", start)
        if delim == -1:
            delim = len(facts)
        elif delim < start + 3:
            return None
        equals = facts.find("=", start)
        if equals == -1 or equals < start + 1 or equals > delim:
            return None
        name, value = facts[start:equals].lower(), facts[equals + 1:delim]
        if name == "type":
            prefix = value.split(":", 1)[0].lower()
            if value.lower() == "dir":
                entry["kind"] = "dir"
            elif prefix in ("os.unix=slink", "os.unix=symlink"):
                entry["kind"] = "link"
            elif value.lower() in ("cdir", "pdir"):
                entry["kind"] = "skip"
        elif name == "size":
            if not value.isdigit() and value:
                return None
            entry["size"] = int(value or 0)
        elif name == "modify":
            entry["modify"] = _filezillaTime(value, windows)
            if entry["modify"] is None:
                return None
        elif name in ("perm", "unix.mode"):
            entry[name[-4:]] = value
        start = delim + 1
    if len(facts) + 1 >= len(line):
        return None
    entry["name"] = line[len(facts) + 1:]
    return entry


def winscpMlst(line):
    """
    WinSCP's reading of the entry line of an C{MLST} reply (FileZilla 2's
    C{parseAsMlsd} in its C{MLST} mode): leading spaces skipped, facts up
    to the next space, one space, then a path whose last segment is the
    name.

    @return: C{(name, facts)}, facts a dict with lower-case names.
    """
    facts, name = line.lstrip(" ").split(" ", 1)
    facts = [f for f in facts.split(";") if f]
    assert all(len(f) >= 3 and f.find("=") >= 1 for f in facts), line
    return (name.rstrip("/").rsplit("/", 1)[-1] or name,
            dict(f.lower().split("=", 1) for f in facts))

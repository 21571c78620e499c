"""
Replies read the way FileZilla and WinSCP read them, for
C{tests/integration/test_personas.py}: each function mirrors one parser
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

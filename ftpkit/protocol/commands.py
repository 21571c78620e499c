"""
Command lines and argument grammars, as pure functions.

L{parseLine} turns a received line into C{(verb, argument)}; the other
parsers each read one command's argument and raise an L{FTPError}
subclass (never anything else) when the client sent something invalid.
"""

import ipaddress
import math
import re
from datetime import UTC, datetime, timedelta

from ftpkit.errors import (
    BadArgument,
    ParameterNotImplemented,
    UnsupportedNetworkProtocol,
)

MLST_FACTS = ("type", "size", "modify", "perm", "unique", "unix.mode")
"""The MLST/MLSD facts this server knows, lower-case, in canonical order."""

VERBATIM_ARGUMENTS = frozenset(["PASS"])
"""The verbs whose argument L{parseLine} keeps even when it is only
whitespace: a password is whatever its owner chose."""

_IAC = 0xFF
_FIRST_COMMAND = 0xF0
_FIRST_NEGOTIATION = 0xFB

_HOST_PORT = re.compile(r"\s*([0-9]{1,3})\s*", re.ASCII)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)

MAX_OFFSET = 2**63 - 1
"""The largest file offset (a signed 64-bit C{off_t}): the largest C{REST}."""

_TIMEVAL = re.compile(
    r"([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})"
    r"(?:\.([0-9]{1,3}))?",
    re.ASCII,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MIN_EPOCH = (datetime(1, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds()
_MAX_EPOCH = (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) - _EPOCH).total_seconds()

_HASH_ALGORITHMS = {
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-512": "sha512",
    "MD5": "md5",
}


def _stripTelnet(data):
    """
    Remove Telnet commands from a command line.

    C{IAC IAC} is a literal C{0xff}; C{IAC} followed by C{WILL}, C{WONT},
    C{DO} or C{DONT} is dropped with its option byte; C{IAC} followed by
    any other command byte (C{0xf0}-C{0xfa}, e.g. C{IP} and C{DM} sent
    before C{ABOR}) is dropped with that byte. An C{IAC} followed by
    anything else, or ending the line, is kept as a data byte.

    @param data: the raw line.
    @return: the line without Telnet commands.
    """
    if _IAC not in data:
        return data
    out = bytearray()
    index = 0
    length = len(data)
    while index < length:
        byte = data[index]
        following = data[index + 1] if index + 1 < length else None
        if byte != _IAC or following is None or following < _FIRST_COMMAND:
            out.append(byte)
            index += 1
        elif following == _IAC:
            out.append(_IAC)
            index += 2
        elif following >= _FIRST_NEGOTIATION:
            index += 3
        else:
            index += 2
    return bytes(out)


def parseLine(line):
    """
    Split a command line into its verb and its argument.

    A trailing CR is removed, then Telnet commands (see RFC 854) are
    stripped. The verb is everything up to the first space, upper-cased
    when it is ASCII (a non-ASCII verb is returned as received, for the
    server to refuse). The argument is everything after that space, with
    all other whitespace kept, decoded as UTF-8 with C{surrogateescape} so
    undecodable file names survive. An argument that is only whitespace is
    none (C{"MKD  "} is C{MKD} without a name, as ProFTPD reads it), but
    for a password (L{VERBATIM_ARGUMENTS}). Never raises.

    @param line: one line from the control connection, without its LF.
    @type line: L{bytes}
    @return: C{(verb, argument)}, both L{str}; C{argument} is C{""} when
        there is none.
    """
    if line.endswith(b"\r"):
        line = line[:-1]
    if _IAC in line:
        line = _stripTelnet(line)
    verb, _, argument = line.partition(b" ")
    if verb.isascii():
        verbText = verb.decode("ascii").upper()
    else:
        verbText = verb.decode("utf-8", "surrogateescape")
    text = argument.decode("utf-8", "surrogateescape")
    if text.isspace() and verbText not in VERBATIM_ARGUMENTS:
        text = ""
    return verbText, text


_HTTP_METHODS = frozenset(["GET", "POST", "PUT", "HEAD", "OPTIONS", "DELETE",
                           "CONNECT", "PATCH", "TRACE"])
"""HTTP's methods, none of which is an FTP verb."""


def isHTTPRequest(verb, argument):
    """
    Tell an HTTP request line (C{POST /form HTTP/1.1}) from a command: a
    web page can make a visitor's browser send one, with FTP commands in
    its body, to any port a browser does not block (2121 is not), and so
    drive an FTP server inside the visitor's network (cross-protocol
    request forgery).

    @param verb: a command's verb, as L{parseLine} gives it.
    @param argument: its argument.
    @return: whether the line is an HTTP request line.
    """
    return (verb in _HTTP_METHODS
            and argument.rpartition(" ")[2].startswith("HTTP/"))


def parseHostPort(arg):
    """
    Parse the argument of C{PORT} (RFC 959): C{"h1,h2,h3,h4,p1,p2"}.

    @param arg: the argument text; whitespace around numbers is allowed.
    @return: C{(host, port)}: a dotted IPv4 address and C{p1 * 256 + p2}.
    @raise BadArgument: unless there are six numbers from 0 to 255.
    """
    fields = arg.split(",")
    if len(fields) != 6:
        raise BadArgument()
    numbers = []
    for field in fields:
        match = _HOST_PORT.fullmatch(field)
        if match is None or int(match.group(1)) > 255:
            raise BadArgument()
        numbers.append(int(match.group(1)))
    host = ".".join(str(number) for number in numbers[:4])
    return host, numbers[4] * 256 + numbers[5]


def formatHostPort(host, port):
    """
    Format an address for the C{227} reply to C{PASV}: the inverse of
    L{parseHostPort}.

    @param host: an IPv4 address, or an IPv4-mapped IPv6 address such as
        C{"::ffff:127.0.0.1"} (what a dual-stack socket reports).
    @param port: a port number from 0 to 65535.
    @return: C{"h1,h2,h3,h4,p1,p2"}.
    @raise ValueError: if C{host} has no IPv4 form or C{port} is out of
        range: a server-side mistake, not a client's.
    """
    address = ipaddress.ip_address(host)
    if address.version == 6:
        if address.ipv4_mapped is None:
            raise ValueError(f"PASV needs an IPv4 address, not {host!r}")
        address = address.ipv4_mapped
    if not 0 <= port <= 65535:
        raise ValueError(f"port out of range: {port!r}")
    return ",".join(
        [str(octet) for octet in address.packed] + [str(port >> 8), str(port & 0xFF)]
    )


def _parseFamily(text):
    """
    Read an RFC 2428 network protocol number.

    @param text: the field text.
    @return: C{1} (IPv4) or C{2} (IPv6).
    @raise UnsupportedNetworkProtocol: for any other number.
    @raise BadArgument: if C{text} is not a number.
    """
    if _DIGITS.fullmatch(text) is None or len(text) > 5:
        raise BadArgument()
    family = int(text)
    if family not in (1, 2):
        raise UnsupportedNetworkProtocol()
    return family


def parseEPRT(arg):
    """
    Parse the argument of C{EPRT} (RFC 2428): C{"|1|132.235.1.2|6275|"}.

    The delimiter is the first character, any printable ASCII character
    but space.

    @param arg: the argument text.
    @return: C{(family, address, port)}: family C{1} or C{2}, the address
        in its normal text form, and the port.
    @raise UnsupportedNetworkProtocol: for a family other than 1 or 2.
    @raise BadArgument: for any other syntax error, an address that is not
        of the family given (an IPv4-mapped IPv6 address is fine for 2;
        a zone index is not), or a port outside 1-65535.
    """
    arg = arg.strip()
    if not arg or not 33 <= ord(arg[0]) <= 126:
        raise BadArgument()
    fields = arg.split(arg[0])
    if len(fields) != 5 or fields[0] or fields[4]:
        raise BadArgument()
    family = _parseFamily(fields[1])
    addressText, portText = fields[2], fields[3]
    addressClass = ipaddress.IPv4Address if family == 1 else ipaddress.IPv6Address
    if "%" in addressText:
        raise BadArgument()
    try:
        address = addressClass(addressText)
    except ValueError:
        raise BadArgument() from None
    if _DIGITS.fullmatch(portText) is None or len(portText) > 5:
        raise BadArgument()
    port = int(portText)
    if not 1 <= port <= 65535:
        raise BadArgument()
    return family, str(address), port


def parseEPSV(arg):
    """
    Parse the argument of C{EPSV} (RFC 2428).

    @param arg: the argument text.
    @return: C{None} for no argument, C{"ALL"} for C{EPSV ALL} (any case),
        or the network protocol C{1} or C{2}.
    @raise UnsupportedNetworkProtocol: for any other protocol number.
    @raise BadArgument: for anything else.
    """
    arg = arg.strip()
    if not arg:
        return None
    if arg.upper() == "ALL":
        return "ALL"
    return _parseFamily(arg)


def parseREST(arg):
    """
    Parse the argument of C{REST} in stream mode (RFC 3659): a byte offset.

    @param arg: the argument text; surrounding whitespace is allowed.
    @return: the offset, a non-negative integer.
    @raise BadArgument: unless it is decimal digits of an offset a file can
        have (up to L{MAX_OFFSET}).
    """
    arg = arg.strip()
    if _DIGITS.fullmatch(arg) is None or len(arg) > 20:
        raise BadArgument()
    offset = int(arg)
    if offset > MAX_OFFSET:
        raise BadArgument()
    return offset


def parseALLO(arg):
    """
    Parse the argument of C{ALLO} (RFC 959): a byte count, optionally
    followed by C{R} and a record or page size.

    @param arg: the argument text; surrounding whitespace is allowed,
        C{R} in either case.
    @return: the byte count.
    @raise BadArgument: for anything else (no count, a count that is not
        decimal digits or is longer than 20 of them, a C{R} without its
        size).
    """
    words = arg.split()
    if len(words) not in (1, 3) or (len(words) == 3 and words[1].upper() != "R"):
        raise BadArgument()
    for number in words[:1] + words[2:]:
        if _DIGITS.fullmatch(number) is None or len(number) > 20:
            raise BadArgument()
    return int(words[0])


def parseTYPE(arg):
    """
    Parse the argument of C{TYPE} (RFC 959), case-insensitively.

    @param arg: the argument text.
    @return: C{"A"} for C{A} or C{A N}; C{"I"} for C{I} or C{L 8} (or
        C{L8}, as some clients write it and vsftpd takes it).
    @raise ParameterNotImplemented: for a valid type this server does not
        do (C{E}, C{A T}, C{A C}, C{L} with another byte size).
    @raise BadArgument: for anything else.
    """
    words = arg.upper().split()
    if words in (["A"], ["A", "N"]):
        return "A"
    if words in (["I"], ["L", "8"], ["L8"]):
        return "I"
    if words[:1] == ["E"] and words[1:] in ([], ["N"], ["T"], ["C"]):
        raise ParameterNotImplemented()
    if words in (["A", "T"], ["A", "C"]):
        raise ParameterNotImplemented()
    if (
        len(words) == 2
        and words[0] == "L"
        and _DIGITS.fullmatch(words[1]) is not None
        and len(words[1]) <= 3
        and int(words[1]) > 0
    ):
        raise ParameterNotImplemented()
    raise BadArgument()


def _parseChoice(arg, supported, known):
    """
    Parse a one-letter argument, case-insensitively.

    @param arg: the argument text.
    @param supported: the letter this server implements.
    @param known: the other letters the RFC defines.
    @return: C{supported}.
    @raise ParameterNotImplemented: for a letter in C{known}.
    @raise BadArgument: for anything else.
    """
    letter = arg.strip().upper()
    if letter == supported:
        return supported
    if letter and letter in known:
        raise ParameterNotImplemented()
    raise BadArgument()


def parseMODE(arg):
    """
    Parse the argument of C{MODE} (RFC 959).

    @param arg: the argument text.
    @return: C{"S"} (stream), the only mode implemented.
    @raise ParameterNotImplemented: for C{B} or C{C}.
    @raise BadArgument: for anything else.
    """
    return _parseChoice(arg, "S", ("B", "C"))


def parseSTRU(arg):
    """
    Parse the argument of C{STRU} (RFC 959).

    @param arg: the argument text.
    @return: C{"F"} (file), the only structure implemented.
    @raise ParameterNotImplemented: for C{R} or C{P}.
    @raise BadArgument: for anything else.
    """
    return _parseChoice(arg, "F", ("R", "P"))


def parseTimeval(text):
    """
    Parse an RFC 3659 time value, in UTC.

    @param text: C{"YYYYMMDDHHMMSS"}, optionally followed by C{"."} and
        one to three digits of fraction.
    @return: seconds since the epoch.
    @raise BadArgument: if C{text} is not a valid time value.
    """
    match = _TIMEVAL.fullmatch(text)
    if match is None:
        raise BadArgument()
    fields = [int(field) for field in match.groups()[:6]]
    try:
        when = datetime(*fields, tzinfo=UTC)
    except ValueError:
        raise BadArgument() from None
    seconds = (when - _EPOCH) // timedelta(seconds=1)
    fraction = match.group(7)
    if fraction:
        return seconds + int(fraction) / 10 ** len(fraction)
    return float(seconds)


def utcDatetime(epoch):
    """
    Convert a timestamp to a UTC C{datetime}, for display.

    Timestamps outside years 1 to 9999 are clamped to that range (and NaN
    taken as the epoch), so a strange file time never breaks a listing.

    @param epoch: seconds since the epoch.
    @return: an aware C{datetime} in UTC, whole milliseconds.
    """
    return _EPOCH + timedelta(milliseconds=_clampedMilliseconds(epoch))


def utcSecond(epoch):
    """
    The whole second L{utcDatetime} puts a timestamp in, so that callers
    formatting many timestamps to the second can format each second once.

    @param epoch: seconds since the epoch.
    @return: an L{int}; C{utcDatetime(utcSecond(t))} has the fields of
        C{utcDatetime(t)} down to the second.
    """
    return _clampedMilliseconds(epoch) // 1000


def _clampedMilliseconds(epoch):
    """
    @param epoch: seconds since the epoch.
    @return: whole milliseconds since the epoch, clamped to years 1 to
        9999, NaN taken as the epoch.
    """
    if math.isnan(epoch):
        epoch = 0.0
    epoch = min(max(epoch, _MIN_EPOCH), _MAX_EPOCH)
    return round(epoch * 1000)


def formatTimeval(epoch, fraction=False):
    """
    Format a timestamp as an RFC 3659 time value, in UTC.

    The timestamp is first rounded to whole milliseconds (so a value read
    by L{parseTimeval} formats back to the same text), then the fraction
    is dropped unless asked for.

    @param epoch: seconds since the epoch.
    @param fraction: add C{".sss"} milliseconds.
    @return: C{"YYYYMMDDHHMMSS"} or C{"YYYYMMDDHHMMSS.sss"}.
    """
    when = utcDatetime(epoch)
    text = (
        f"{when.year:04d}{when.month:02d}{when.day:02d}"
        f"{when.hour:02d}{when.minute:02d}{when.second:02d}"
    )
    if fraction:
        text += f".{when.microsecond // 1000:03d}"
    return text


def parseMFMT(arg):
    """
    Parse the argument of C{MFMT}: C{"YYYYMMDDHHMMSS[.sss] path"}.

    @param arg: the argument text.
    @return: C{(epoch, pathText)}; the path keeps any spaces it contains.
    @raise BadArgument: if the time is invalid or there is no path.
    """
    timeText, _, pathText = arg.partition(" ")
    if not pathText:
        raise BadArgument()
    return parseTimeval(timeText), pathText


def isTimeSetting(arg):
    """
    @param arg: the argument of an C{MDTM}.
    @return: whether it has C{MFMT}'s form (a time, a space, a path),
        which some servers (Pure-FTPd) take for setting the time.
    """
    try:
        parseMFMT(arg)
    except BadArgument:
        return False
    return True


SITE_UTIME_SYNTAX = ("Syntax: SITE UTIME YYYYMMDDhhmm[ss] <path> | SITE UTIME"
                     " <path> <atime> <mtime> <ctime> UTC")
"""The C{501} text of a C{SITE UTIME} that does not parse."""

_UTIME_STAMP = r"([0-9]{12}(?:[0-9]{2})?)"
_UTIME_THREE = re.compile(
    r"(.*?[^ ]) +%s +%s +%s +UTC *" % ((_UTIME_STAMP,) * 3),
    re.ASCII | re.IGNORECASE)
_UTIME_ONE = re.compile(_UTIME_STAMP + r" +(.*)", re.ASCII)


def parseSiteUtime(arg):
    """
    Parse the argument of C{SITE UTIME} (ProFTPD's mod_site_misc), in
    either form clients send, times in UTC:
    C{"YYYYMMDDhhmm[ss] path"}, or C{"path atime mtime ctime UTC"} (each
    time C{YYYYMMDDhhmm[ss]}). Paths keep their spaces; the second form is
    the one whose last word is C{UTC} after three times.

    @param arg: what follows C{SITE UTIME}.
    @return: C{(epoch, pathText)}: the modification time to set (the
        second form's access and creation times are not kept, as
        C{MFMT} keeps none) and the path.
    @raise BadArgument: with L{SITE_UTIME_SYNTAX}, for anything else or
        any time that does not exist.
    """
    three = _UTIME_THREE.fullmatch(arg)
    if three is not None:
        pathText, *times = three.groups()
    else:
        one = _UTIME_ONE.fullmatch(arg)
        if one is None or not one.group(2):
            raise BadArgument(SITE_UTIME_SYNTAX)
        times, pathText = [one.group(1)], one.group(2)
    try:
        epochs = [parseTimeval(text.ljust(14, "0")) for text in times]
    except BadArgument:
        raise BadArgument(SITE_UTIME_SYNTAX) from None
    return epochs[len(epochs) // 2], pathText


def splitListArgument(arg):
    """
    Separate C{ls}-style options from the path in a C{LIST}/C{NLST}
    argument, as many clients send C{LIST -la} or C{LIST -a /dir}.

    Only leading space-separated tokens of the form C{-X...} are options.
    A token C{"--"} ends the options and is dropped, so C{"-- -dir"} names
    the directory C{-dir}; a lone C{"-"} is a path. Spaces separating the
    options from the path are dropped; without options the argument is
    returned unchanged as the path.

    @param arg: the argument text.
    @return: C{(letters, pathText)}: the option letters joined (C{"la"}
        for C{"-l -a"}) and the rest of the argument.
    """
    letters = []
    rest = arg
    while True:
        candidate = rest.lstrip(" ")
        token, _, after = candidate.partition(" ")
        if token == "--":
            return "".join(letters), after.lstrip(" ")
        if len(token) < 2 or not token.startswith("-"):
            break
        letters.append(token[1:])
        rest = after
    if letters:
        rest = rest.lstrip(" ")
    return "".join(letters), rest


def parseOptsMLST(arg):
    """
    Parse the fact list of C{OPTS MLST} (RFC 3659 section 7.9).

    @param arg: facts separated by C{";"}, e.g. C{"type;size;modify;"}.
    @return: the known facts named, lower-case, in the order of
        L{MLST_FACTS}; unknown names are ignored, and an empty list selects
        no facts.
    """
    named = {fact.strip().lower() for fact in arg.split(";")}
    return tuple(fact for fact in MLST_FACTS if fact in named)


def parseHASHAlgorithm(name):
    """
    Map an algorithm name from C{OPTS HASH} or the C{HASH} feature line
    to its C{hashlib} name.

    @param name: C{"SHA-256"}, C{"SHA-1"}, C{"SHA-512"} or C{"MD5"}, in any
        case.
    @return: C{"sha256"}, C{"sha1"}, C{"sha512"} or C{"md5"}.
    @raise BadArgument: for any other name.
    """
    try:
        return _HASH_ALGORITHMS[name.strip().upper()]
    except KeyError:
        raise BadArgument("Unknown algorithm") from None


CLIENT_NAME_LIMIT = 64
"""The most characters of a C{CLNT} name kept: it is the client's text,
shown on the operators' pages."""


def cleanClientName(arg):
    """
    The name a client gives itself with C{CLNT}, fit to show to
    operators: blanks collapsed, characters that are not printable
    (controls, surrogates of bytes that were not UTF-8) replaced by
    C{"?"}, and cut to L{CLIENT_NAME_LIMIT} characters.

    @param arg: the argument of C{CLNT}.
    @return: the cleaned name.
    @raise BadArgument: if nothing is left of it.
    """
    name = "".join(char if char.isprintable() else "?"
                   for char in " ".join(arg.split())[:CLIENT_NAME_LIMIT])
    if not name:
        raise BadArgument("Syntax: CLNT <client name>")
    return name


LANGUAGE = "EN"
"""The language of every reply: the only one C{LANG} accepts."""

_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*", re.ASCII)


def parseLANG(arg):
    """
    Check the argument of C{LANG} (RFC 2640 section 4.1): none asks for
    the server's default language, a language tag (RFC 1766) for that
    language; a tag whose primary part is L{LANGUAGE} (C{EN}, C{en-US},
    C{EN-GB}...) names the one ftpkit replies in.

    @param arg: the argument text.
    @return: L{LANGUAGE}.
    @raise BadArgument: for text that is not a language tag.
    @raise ParameterNotImplemented: for any other language.
    """
    tag = arg.strip()
    if not tag:
        return LANGUAGE
    if _LANGUAGE_TAG.fullmatch(tag) is None:
        raise BadArgument("Syntax: LANG [<language tag>]")
    if tag.partition("-")[0].upper() != LANGUAGE:
        raise ParameterNotImplemented("Language %s not supported" % tag)
    return LANGUAGE

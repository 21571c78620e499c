"""
Command lines and argument grammars, as pure functions.

L{parseLine} turns a received line into C{(verb, argument)}; the other
parsers each read one command's argument and raise an L{FTPError}
subclass (never anything else) when the client sent something invalid.
The parsers of times (C{MFMT}, C{SITE UTIME}) live in
L{ftpkit.protocol.timevals} and are importable from here too.
"""

import ipaddress
import re

from ftpkit.errors import (
    BadArgument,
    ParameterNotImplemented,
    UnsupportedNetworkProtocol,
)
from ftpkit.protocol.decimaltext import readDecimal
from ftpkit.protocol.timevals import (  # noqa: F401 (importable from here)
    SITE_UTIME_SYNTAX,
    formatSetTime,
    formatTimeval,
    isTimeSetting,
    parseMFMT,
    parseSiteUtimes,
    parseTimeval,
    utcDatetime,
    utcSecond,
)

MLST_FACTS = ("type", "size", "modify", "perm", "unique", "unix.mode",
              "unix.owner", "unix.ownername", "unix.group", "unix.groupname")
"""The MLST/MLSD facts this server knows, lower-case, in canonical order."""

CUT_LINE = "\n"
"""The verb a command line is run as when a bare LF cut it (see
L{ftpkit.control.connection.FTPProtocol.lineReceived}): no client can send
it (an LF ends a line), and it is refused with C{501}, in its turn."""

VERBATIM_ARGUMENTS = frozenset(["PASS"])
"""The verbs whose argument L{parseLine} keeps even when it is only
whitespace: a password is whatever its owner chose."""

_IAC = 0xFF
_TAB = 0x09
_FIRST_COMMAND = 0xF0
_FIRST_NEGOTIATION = 0xFB
_SEPARATORS = (0x20, 0x09)
"""What ends a verb: a space (RFC 959's <SP>) or a tab (L{parseLine})."""

_VERB_ALONE = {}
"""Lines of a verb alone (C{b"EPSV\\r"}), as received, to what L{parseLine}
made of them: at most L{_VERB_ALONE_MOST} lines of at most
L{_VERB_ALONE_LENGTH} bytes, the first that came (a client sending
nonsense fills it with nonsense, and the others' lines are split again
each time: slower, never different)."""
_VERB_ALONE_MOST = 64
_VERB_ALONE_LENGTH = 8

_HOST_PORT = re.compile(r"\s*([0-9]{1,3})\s*", re.ASCII)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)

_ZONE = re.compile(r"[A-Za-z0-9._-]{1,15}", re.ASCII)
"""A zone C{EPRT} takes on a link-local address: an interface's name
(at most 15 characters on Linux) or a number, nothing that could forge a
log line."""

MAX_OFFSET = 2**63 - 1
"""The largest file offset (a signed 64-bit C{off_t}): the largest C{REST}."""

_HASH_ALGORITHMS = {
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-512": "sha512",
    "MD5": "md5",
}


def _stripTelnet(data):
    """
    Remove Telnet commands from a command line, up to its argument.

    Before the argument (the verb, and what precedes it): C{IAC IAC} is a
    literal C{0xff}; C{IAC} followed by C{WILL}, C{WONT}, C{DO} or
    C{DONT} is dropped with its option byte; C{IAC} followed by any other
    command byte (C{0xf0}-C{0xfa}, e.g. C{IP} and C{DM} sent before
    C{ABOR}) is dropped with that byte. An C{IAC} followed by anything
    else, or ending the line, is kept as a data byte.

    In the argument (after the first space or tab that is data) only
    C{IAC IAC}
    is read, as one C{0xff}; every other byte is the name's. Dropped
    there, an C{IAC} and the byte after it made a name that holds them
    (C{b"\\xff\\xf4report"}, sent back as a client listed it) name
    another file (C{report}), which the command then changed.

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
            if byte in _SEPARATORS:
                return bytes(out) + data[index:].replace(b"\xff\xff",
                                                         b"\xff")
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
    stripped. The verb is everything up to the first space or tab (RFC
    959 separates them with a space; a tab after a verb, C{"NOOP\\t"},
    got C{500 Unknown command}, naming a known verb unknown, where ProFTPD
    reads the tab as a space), upper-cased when it is ASCII (a non-ASCII
    verb is returned as received, for the server to refuse). The argument
    is everything after that space or tab, with all other whitespace
    kept, decoded as UTF-8 with C{surrogateescape} so undecodable file
    names survive. An argument that is only whitespace is
    none (C{"MKD  "} is C{MKD} without a name, as ProFTPD reads it), but
    for a password (L{VERBATIM_ARGUMENTS}). Never raises.

    A line of a verb alone (C{EPSV}, C{PASV}, C{NOOP}: half the lines of
    a session moving small files) is split once and its answer kept
    (L{_VERB_ALONE}).

    @param line: one line from the control connection, without its LF.
    @type line: L{bytes}
    @return: C{(verb, argument)}, both L{str}; C{argument} is C{""} when
        there is none.
    """
    known = _VERB_ALONE.get(line)
    if known is not None:
        return known
    received = line
    if line[-1:] == b"\r":
        line = line[:-1]
    if _IAC in line:
        line = _stripTelnet(line)
    # The first space or tab ends the verb: the first space, unless a tab
    # comes before it.
    verb, space, argument = line.partition(b" ")
    # The tab's value: b"\t" in verb first fails as an integer, an
    # exception made and cleared for every command with an argument.
    if _TAB in verb:
        verb, _, before = verb.partition(b"\t")
        argument = before + space + argument
    try:
        verbText = verb.decode("ascii").upper()
    except UnicodeDecodeError:
        verbText = verb.decode("utf-8", "surrogateescape")
    if not argument:
        parsed = (verbText, "")
        if (len(received) <= _VERB_ALONE_LENGTH
                and len(_VERB_ALONE) < _VERB_ALONE_MOST):
            _VERB_ALONE[received] = parsed
        return parsed
    # Spaces alone (ASCII whitespace: bytes.isspace) are no argument; a
    # name of other characters Unicode calls spaces (U+00A0, U+3000,
    # the separators U+001C-U+001F) is a name.
    if argument.isspace() and verbText not in VERBATIM_ARGUMENTS:
        return verbText, ""
    return verbText, argument.decode("utf-8", "surrogateescape")


def abortAmong(data):
    """
    Whether a client's C{ABOR} is among command lines it sent that the
    session has read and not run yet (those after the line running now,
    sent in the same write: C{APPE new}, then C{ABOR}).

    @param data: the bytes read and not run, lines ended by LF; the last
        piece, without its LF, is no line yet.
    @type data: L{bytes}
    @return: C{True} when a complete line among them is an C{ABOR}
        (Telnet commands before it, C{IAC IP}, taken away as
        L{parseLine} takes them).
    """
    lines = data.split(b"\n")
    del lines[-1]
    return any(parseLine(line)[0] == "ABOR" for line in lines)


HTTP_METHODS = frozenset(["GET", "POST", "PUT", "HEAD", "OPTIONS", "DELETE",
                          "CONNECT", "PATCH", "TRACE"])
"""HTTP's methods, none of which is an FTP verb: a line of any other verb
is no HTTP request (L{isHTTPRequest}), which a caller may test first."""


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
    return (verb in HTTP_METHODS
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
    @raise BadArgument: if C{text} is not a number (leading zeros are
        not counted against its digits: L{readDecimal}).
    """
    family = readDecimal(text)
    if family not in (1, 2):
        raise UnsupportedNetworkProtocol()
    return family


def parseEPRT(arg):
    """
    Parse the argument of C{EPRT} (RFC 2428): C{"|1|132.235.1.2|6275|"}.

    The delimiter is the first character, any printable ASCII character
    but space. A link-local IPv6 address may carry its zone
    (C{fe80::1%eth0}), as a client that names its own address from its
    socket may send it: the client's name for its link, kept in the
    address returned (L{ftpkit.data.hosts.connectBackHost} decides what
    it is worth).

    @param arg: the argument text.
    @return: C{(family, address, port)}: family C{1} or C{2}, the address
        in its normal text form (with its zone, if it had one), and the
        port.
    @raise UnsupportedNetworkProtocol: for a family other than 1 or 2.
    @raise BadArgument: for any other syntax error, an address that is not
        of the family given (an IPv4-mapped IPv6 address is fine for 2),
        a zone on an address that is not link-local IPv6 or that is not
        L{_ZONE}, or a port outside 1-65535.
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
    addressText, percent, zone = addressText.partition("%")
    if percent and (family != 2 or _ZONE.fullmatch(zone) is None):
        raise BadArgument()
    try:
        address = addressClass(addressText)
    except ValueError:
        raise BadArgument() from None
    if percent and not address.is_link_local:
        raise BadArgument()
    return family, str(address) + percent + zone, _parsePort(portText)


def _parsePort(portText):
    """
    @param portText: the port field of C{EPRT}.
    @return: the port.
    @raise BadArgument: unless it is decimal digits naming 1 to 65535,
        however many leading zeros it has (L{readDecimal}), as pyftpdlib
        reads it.
    """
    port = readDecimal(portText, 65535)
    if port < 1:
        raise BadArgument()
    return port


PRET_VERBS = frozenset(
    {"RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD"})
"""The verbs C{PRET} may announce: those that open a data connection."""


def parsePRET(arg):
    """
    Parse the argument of C{PRET} (drftpd's, which C{curl --ftp-pret}
    sends before C{PASV} or C{EPSV}): the command the client will send
    once the data connection is set up, with its own argument.

    @param arg: the argument text, e.g. C{"RETR some file"}.
    @return: the announced verb, upper-case.
    @raise BadArgument: when no verb is given.
    @raise ParameterNotImplemented: for a verb that opens no data
        connection (not one of L{PRET_VERBS}).
    """
    verb = arg.strip(" ").partition(" ")[0].upper()
    if not verb:
        raise BadArgument()
    if verb not in PRET_VERBS:
        raise ParameterNotImplemented(
            "PRET is for commands that open a data connection")
    return verb


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
        have (up to L{MAX_OFFSET}), leading zeros or not.
    """
    return readDecimal(arg.strip(), MAX_OFFSET)


def parseALLO(arg):
    """
    Parse the argument of C{ALLO} (RFC 959): a byte count, optionally
    followed by C{R} and a record or page size.

    @param arg: the argument text; surrounding whitespace is allowed,
        C{R} in either case.
    @return: the byte count.
    @raise BadArgument: for anything else (no count, a count or size
        L{ftpkit.protocol.decimaltext.readDecimal} refuses, a C{R}
        without its size).
    """
    words = arg.split()
    if len(words) not in (1, 3) or (len(words) == 3 and words[1].upper() != "R"):
        raise BadArgument()
    readDecimal(words[-1])  # The size after R; the count again without one.
    return readDecimal(words[0])


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
    Parse the argument of C{MODE} (RFC 959, and C{Z} of
    draft-preston-ftpext-deflate).

    @param arg: the argument text.
    @return: C{"S"} (stream) or C{"Z"} (deflate).
    @raise ParameterNotImplemented: for C{B} or C{C}.
    @raise BadArgument: for anything else.
    """
    if arg.strip().upper() == "Z":
        return "Z"
    return _parseChoice(arg, "S", ("B", "C"))


DEFAULT_DEFLATE_LEVEL = 6
"""The zlib level of C{MODE Z} until C{OPTS MODE Z LEVEL} sets another
(zlib's own default)."""


def parseOptsModeZ(arg):
    """
    Parse the argument of C{OPTS MODE} (draft-preston-ftpext-deflate):
    C{Z}, then C{LEVEL n} (0 to 9), or nothing, which sets the default
    level back, as ProFTPD's mod_deflate does.

    @param arg: the text after C{OPTS MODE}, e.g. C{"Z LEVEL 9"}.
    @return: the zlib level chosen.
    @raise BadArgument: for any other text (another mode, another option
        such as C{BLOCKSIZE} or C{ENGINE}, a level out of range).
    """
    words = arg.upper().split()
    if words == ["Z"]:
        return DEFAULT_DEFLATE_LEVEL
    if (len(words) == 3 and words[:2] == ["Z", "LEVEL"]
            and words[2] in "0123456789" and len(words[2]) == 1):
        return int(words[2])
    raise BadArgument("Only OPTS MODE Z [LEVEL 0-9] is an option of MODE")


def parseSTRU(arg):
    """
    Parse the argument of C{STRU} (RFC 959).

    @param arg: the argument text.
    @return: C{"F"} (file), the only structure implemented.
    @raise ParameterNotImplemented: for C{R} or C{P}.
    @raise BadArgument: for anything else.
    """
    return _parseChoice(arg, "F", ("R", "P"))


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


_ALONE_LETTERS = frozenset("al")


def optionsAlone(arg):
    """
    Whether a listing argument is one of the option clusters clients send
    with no path (C{-a}, C{-l}, C{-la}, C{-al}: the letters C{a} and
    C{l}, each at most once, as pyftpdlib takes them; C{NLST -R} of a
    directory named C{-R} stays that name), which stay options even where an entry
    of that name exists: wget, WinSCP and lftp send C{LIST -a} for the
    current directory, and a user who uploads a file named C{-a} must
    not change what they are shown (C{./-a} names it).

    @param arg: the argument text.
    @return: C{True} for such a cluster alone.
    """
    letters = arg[1:]
    return (arg[:1] == "-" and 0 < len(letters) == len(set(letters))
            and _ALONE_LETTERS.issuperset(letters))


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

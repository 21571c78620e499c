"""
Reply formatting, as pure functions.

Every reply leaves here as bytes that cannot hold a forged reply line: a
CR or LF inside the text given (say, a file name echoed back) starts a new
line of the same multi-line reply instead of a new reply. And as bytes of
a Telnet connection (RFC 854, which RFC 959 makes the control connection):
a C{0xff} of the text (a name that is not UTF-8) is sent doubled, as RFC
2640 asks, or a client would read it and the byte after as a Telnet
command.

No control character of the text but TAB reaches the client: a name
holding ESC, BEL, backspace, DEL or a C1 control (listed by C{STAT},
echoed by C{257}, C{MLST} or an error) could otherwise drive the
terminal of a client that prints replies as they come. Each is sent as
C{"?"} (L{printable}), as C{ls -q} shows it, and as L{encodeText} sends
a character it cannot encode; CR and LF alone split lines instead
(above). TAB goes as it is: it moves a terminal's cursor and does
nothing else, and a name may hold one, which C{MLST} and C{257} must
give back unchanged for the client to use it.
A C1 control is a character (U+0080 to U+009F) or, in a name that is not
UTF-8, its byte (C{0x80} to C{0x9f}), which an 8-bit terminal reads as
that control.

A name in a reply's text for people to read (C{250 Directory changed to
NAME}, a C{150}'s, C{550 Cannot enter NAME}, the heading of C{STAT} and
C{MLST}) shows the controls of the text's direction as C{"?"}
(L{shownName}): U+202E (RIGHT-TO-LEFT OVERRIDE) in a name otherwise
shows what follows it reversed, the rest of the server's text included
(C{"report\\u202etxt.exe"} shows as C{reportexe.txt}). Where a client
reads the name back (C{257}, C{MLST}'s entry, C{STAT}'s listing lines,
C{STOU}'s C{FILE:}, C{MFMT}'s and C{HASH}'s answers) it goes as it is, as
listings send it: changed, it would name no file.
"""

import re

REPLY_CODES = (
    150,
    200, 202, 211, 212, 213, 214, 215, 220, 221, 225, 226, 227, 229, 230,
    234, 250, 257,
    331, 350,
    421, 425, 426, 450, 451, 452,
    500, 501, 502, 503, 504, 521, 522, 530, 533, 534, 536, 550, 552, 553,
    554,
)
"""Every code ftpkit's sessions reply with (a storage backend's own
L{ftpkit.errors.FTPError} may give others): the values of the metrics'
C{code} label made at 0 at start. A test reads the handlers' replies and
the errors' codes, and fails on one missing here."""

ONE_LINE_STARTS = {code: f"{code} " for code in REPLY_CODES}
"""The start of a one-line reply of each of L{REPLY_CODES} (C{"230 "}),
made once: text made of the number at every reply was a visible share
of a C{NOOP}'s work (C{docs/benchmark-investigations.rst},
C{bench-login-55})."""

_IAC = 0xFF
"""Telnet's C{IAC} byte (RFC 854), doubled in a reply's bytes."""

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\udc80-\udc9f]")
"""A control character of a reply's line: C0 but TAB (CR and LF are split
on first), DEL, C1, and the surrogates of C1 bytes. TAB moves a
terminal's cursor and nothing else, and a name may hold one: C{MLST}'s
and C{PWD}'s names must come back as they are."""


DIRECTION_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
"""The controls of a text's direction, as the inside of a regular
expression's character class: the Arabic letter mark, the left-to-right
and right-to-left marks, embeddings, overrides and their end, and
isolates and their end (the xferlog replaces them too,
L{ftpkit.ops.xferlog})."""

_DIRECTION = re.compile(f"[{DIRECTION_CONTROLS}]")


def shownName(text):
    """
    A name (a path) as a reply's text for people shows it: each control
    of the text's direction (L{_DIRECTION}) becomes C{"?"}.

    @param text: the name.
    @return: C{text}, those controls replaced.
    """
    if text.isascii():
        return text
    return _DIRECTION.sub("?", text)


def printable(line):
    """
    Make one line of a reply safe for a terminal: each control character
    (C0 but TAB, DEL, C1, or the byte of a C1 control in a name that is
    not UTF-8) becomes C{"?"}.

    @param line: one line of a reply's text, without its line end.
    @return: C{line}, its control characters replaced.
    """
    if line.isprintable():
        return line
    return _CONTROL.sub("?", line)


def encodeText(text):
    """
    Encode text for the wire: UTF-8, with C{surrogateescape} so names read
    from disk as undecodable bytes go back as those same bytes. A surrogate
    that stands for no byte becomes C{"?"}. Never raises.

    @param text: the text to send.
    @return: the encoded bytes.
    """
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return b"".join(_encodeCharacter(character) for character in text)


def encodeReply(text):
    """
    Encode a reply's text for the control connection: as L{encodeText}
    does, with each C{0xff} doubled (an C{IAC} of the text, RFC 854). Only
    a surrogate standing for a byte can give one: UTF-8 never does.

    @param text: the reply's lines, CRLF-terminated.
    @return: the encoded bytes.
    """
    data = encodeText(text)
    # Looked for by its value: bytes' `in` first tries a bytes needle as
    # an integer, and makes and clears a TypeError (bench-login-55).
    if _IAC in data:
        return data.replace(b"\xff", b"\xff\xff")
    return data


def _encodeCharacter(character):
    """
    @param character: one character.
    @return: it encoded as L{encodeText} does, C{b"?"} if impossible.
    """
    try:
        return character.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return b"?"


def formatReply(code, text):
    """
    Format a reply (RFC 959 section 4.2).

    One line gives C{b"CODE text\\r\\n"}. Several give a multi-line reply:
    C{"CODE-first"}, the middle lines as given (except that one starting
    with three digits gets a leading space, so no client takes it for the
    last line), and C{"CODE last"}. A CR, LF or CRLF inside a line splits
    it into two lines of the reply; any other control character becomes
    C{"?"} (L{printable}).

    @param code: the three-digit reply code.
    @param text: the reply text, a L{str} or a L{list} of L{str} lines.
    @return: the reply, CRLF-terminated, encoded by L{encodeReply}: a name
        that is not UTF-8 goes back as its bytes (C{0xff} doubled), as in
        a listing, so that a client can send back the path a C{257} or an
        C{MLST} gave it (C{"?"} instead would name nothing), but for a
        byte that is a C1 control (C{0x80} to C{0x9f}), sent as C{"?"}
        as every control character is (L{printable}).
    """
    if isinstance(text, str) and "\r" not in text and "\n" not in text:
        return encodeReply(f"{code:03d} {printable(text)}\r\n")
    lines = _replyLines([text] if isinstance(text, str) else list(text))
    if len(lines) == 1:
        return encodeReply(f"{code:03d} {lines[0]}\r\n")
    middle = [
        " " + line if _startsWithCode(line) else line for line in lines[1:-1]
    ]
    return encodeReply("".join(
        [f"{code:03d}-{lines[0]}\r\n"]
        + [line + "\r\n" for line in middle]
        + [f"{code:03d} {lines[-1]}\r\n"]
    ))


def _replyLines(given):
    """
    @param given: a reply's lines as given, each perhaps holding CR, LF
        or CRLF; none is one empty line.
    @return: the lines of the reply: each given one split at its line
        breaks (only one holding CR or LF goes through the expression: a
        C{FEAT} reply's dozens of lines hold none), made L{printable}.
    """
    lines = []
    for line in given or [""]:
        if "\r" in line or "\n" in line:
            lines.extend(map(printable, _LINE_BREAK.split(line)))
        else:
            lines.append(printable(line))
    return lines


def _startsWithCode(line):
    """
    @param line: a middle line of a multi-line reply.
    @return: whether it starts with three ASCII digits, as a reply's last
        line does (string tests: cheaper than an expression's match).
    """
    start = line[:3]
    return len(start) == 3 and start.isdigit() and start.isascii()


def quotePath(text):
    """
    Quote a path for a C{257} reply (RFC 959 appendix II): wrap it in
    double quotes, doubling each double quote inside.

    @param text: the path text.
    @return: the quoted path.
    """
    return '"' + text.replace('"', '""') + '"'

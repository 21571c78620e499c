"""
What the listing formats share: the kind an entry shows (L{typeOf},
L{kindOfMode}), the order of a batch (L{byName}), the bound of the
whole-second test the batch formats make inline (L{PLAIN}), and a
listing's lines joined into its encoded body (L{encodeLines}).

L{ftpkit.protocol.listing} (C{LIST}, C{NLST}) and
L{ftpkit.protocol.listingfacts} (C{MLSD}, C{MLST}) use them.
"""

from operator import itemgetter

from ftpkit.fileinfo import OTHER, kindOf, specialOf
from ftpkit.protocol.listingdates import PLAIN_SECONDS
from ftpkit.protocol.replies import encodeText


def typeOf(kind, special):
    """
    @param kind: a L{FileInfo} kind.
    @param special: what an L{OTHER} entry is (L{FileInfo.special}).
    @return: the key of the kind tables of C{LIST}'s mode
        (L{ftpkit.protocol.listing}) and of the C{type} fact
        (L{ftpkit.protocol.listingfacts}): the kind, or what an L{OTHER}
        entry is.
    """
    return special if kind == OTHER and special else kind


def kindOfMode(mode):
    """
    @param mode: an C{st_mode}.
    @return: what L{typeOf} gives for the L{FileInfo} of that mode.
    """
    kind = kindOf(mode)
    return typeOf(kind, specialOf(mode) if kind == OTHER else "")


byName = itemgetter(0)
"""The order of a batch: the name of a C{(name, ...)} pair."""


PLAIN = float(PLAIN_SECONDS)
"""L{PLAIN_SECONDS} as a float: the batch formats compare and divide an
C{st_mtime} by floats alone (below it, C{mtime % 1.0} is the exact
fraction C{mtime - int(mtime)} is), since mixing a float with a
two-digit C{int}, as every time since 2004 is, converts the C{int}
the slow way."""


def encodeLines(lines, prefix=""):
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

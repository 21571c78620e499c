"""
The checksum commands' arguments and replies, as pure functions: C{HASH}
(draft-bryan-ftpext-hash) and the older one-algorithm verbs C{XCRC},
C{XMD5}, C{XSHA1} (and its alias C{XSHA}), C{XSHA256} and C{XSHA512}
that ProFTPD's mod_digest, Serv-U and others answer, and that WinSCP,
Total Commander and FluentFTP send when C{FEAT} lists them.

The X-verbs take C{path [start end]}: the checksum of the bytes from
C{start} up to (not including) C{end}. WinSCP puts a path holding a space
in double quotes, as it is (a quote inside it stays as it is); an
unquoted path whose last two words are numbers is read as a path and a
range, so such a name must be quoted to be checksummed whole; last two
words that are numbers but one of them signed (C{f -1 5}) are a bad range
(C{501}), not part of the name.

C{HASH} takes a path alone, and WinSCP quotes it the same way
(C{HASH "/dir/a b.txt"}); L{parseHashArgument} takes the quotes off.
"""

import functools
import re

from ftpkit.errors import BadArgument
from ftpkit.protocol.commands import MAX_OFFSET, parseHASHAlgorithm
from ftpkit.protocol.decimaltext import readDecimal

X_VERBS = {
    "XCRC": "crc32",
    "XMD5": "md5",
    "XSHA": "sha1",
    "XSHA1": "sha1",
    "XSHA256": "sha256",
    "XSHA512": "sha512",
}
"""Each X-verb's algorithm, by the name a shell's
L{ftpkit.interfaces.IFTPShellHash.hash} takes."""

X_SYNTAX = "<sp> pathname [<sp> start <sp> end]"
"""The argument of every X-verb, for C{HELP} and C{501} replies."""

_QUOTED_RANGE = re.compile(r'"(.*)" +([0-9]+) +([0-9]+) *', re.ASCII)
_UNQUOTED_RANGE = re.compile(r"(.*?[^ ]) +([0-9]+) +([0-9]+) *", re.ASCII)
_SIGNED_RANGE = re.compile(r".*?[^ ] +[+-]?[0-9]+ +[+-]?[0-9]+ *", re.ASCII)


def parseXArgument(verb, text):
    """
    Read an X-verb's argument.

    @param verb: the verb, for the syntax hint of an error.
    @param text: C{path}, C{path start end}, C{"quoted path"} or
        C{"quoted path" start end}; a quoted path runs to the last quote
        (before the range, if any), quotes inside it kept.
    @return: C{(pathText, start, end)}; C{end} is C{None} (the file's end)
        when no range was given.
    @raise BadArgument: for a quoted path followed by anything but a
        range, for no path, for a range whose end is not past its start,
        or for an unquoted path ending in two numbers one of which is
        signed (L{_signedRange}).
    """
    syntax = "Syntax: %s %s" % (verb, X_SYNTAX)
    if text.startswith('"') and '"' in text[1:]:
        match = _QUOTED_RANGE.fullmatch(text)
        if match is not None:
            return _withRange(match.group(1), match.group(2), match.group(3),
                              syntax)
        if not text.endswith('"'):
            raise BadArgument(syntax)
        pathText = text[1:-1]
    else:
        match = _UNQUOTED_RANGE.fullmatch(text)
        if match is not None:
            return _withRange(match.group(1), match.group(2), match.group(3),
                              syntax)
        _signedRange(text)
        pathText = text
    if not pathText:
        raise BadArgument(syntax)
    return pathText, 0, None


def parseHashArgument(text):
    """
    Read C{HASH}'s argument: a path, or a path in double quotes (as WinSCP
    sends one holding a space; FileZilla Server takes the quotes off too).

    @param text: the argument as the client sent it.
    @return: the path's text, without the quotes.
    """
    if len(text) > 2 and text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    return text


def _signedRange(text):
    """
    Refuse an unquoted argument whose last two words are numbers, one of
    them signed: a range that is out of bounds (C{-1 5}), which read as
    part of the name got C{550 No such file}.

    @param text: the unquoted argument, which holds no unsigned range.
    @raise BadArgument: when it ends in such a pair.
    """
    if _SIGNED_RANGE.fullmatch(text) is not None:
        raise BadArgument(
            "Range start and end must be unsigned numbers (quote a name "
            "that ends in numbers)")


def _withRange(pathText, startText, endText, syntax):
    """
    @return: C{(pathText, start, end)} from the range's digits.
    @raise BadArgument: when C{end} is not past C{start}, or past the
        largest file offset, or the path is empty, or either number has
        more digits than an offset after its leading zeros
        (L{ftpkit.protocol.decimaltext.readDecimal}: read, past Python's
        limit on decimal conversions, they would raise L{ValueError}).
    """
    try:
        start = readDecimal(startText)
        end = readDecimal(endText, MAX_OFFSET)
    except BadArgument:
        raise BadArgument(syntax)
    if not pathText:
        raise BadArgument(syntax)
    if start >= end:
        raise BadArgument("End (%d) must be greater than start (%d)"
                          % (end, start))
    return pathText, start, end


def formatXReply(digest):
    """
    The reply to an X-verb: C{250} and the digest alone, upper-case, as
    ProFTPD's mod_digest ends its reply (clients take the reply's last
    word).

    @param digest: the lowercase hex digest a shell gave.
    @return: C{(code, text)}.
    """
    return (250, digest.upper())


@functools.lru_cache(maxsize=64)
def hashFeature(names, selected):
    """
    C{FEAT}'s C{HASH} line (draft-bryan-ftpext-hash), made once for each
    configuration and choice (a C{FEAT} of a session made it again,
    every name looked up: C{bench-feat-55}).

    @param names: the algorithms offered, a C{tuple} of names as
        L{parseHASHAlgorithm} takes them (C{ServerConfig.hashAlgorithms}).
    @param selected: the C{hashlib} name of the session's algorithm.
    @return: e.g. C{"HASH SHA-256*;SHA-1;MD5"}, a star marking the
        selected one.
    """
    return "HASH " + ";".join(
        name + ("*" if parseHASHAlgorithm(name) == selected else "")
        for name in names)

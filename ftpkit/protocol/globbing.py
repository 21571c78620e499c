"""
Wildcards in C{LIST}, C{NLST} and C{STAT} arguments, as pure functions.

Command-line clients (BSD C{ftp} and tnftp, ncftp, Windows C{ftp.exe})
expand C{mget *.txt} by sending C{NLST *.txt} and fetching the names the
server sends back, so the server must expand the pattern, as vsftpd and
ProFTPD do. Only the last segment may hold wildcards (C{*}, C{?} and
C{[...]}, matched like C{fnmatch} but case-sensitively); as in a shell, a
wildcard does not match a leading C{"."} unless the pattern starts with
one. A name that exists as written is never taken for a pattern.
"""

import fnmatch
import re

_MAGIC = frozenset("*?[")


def hasMagic(text):
    """
    @param text: a path segment or path.
    @return: whether C{text} holds a wildcard character.
    """
    return not _MAGIC.isdisjoint(text)


def splitPattern(pathText):
    """
    Split a path argument whose last segment is a pattern.

    @param pathText: the path as the client sent it.
    @return: C{(directoryText, pattern)}: the text up to and including the
        last C{"/"} (C{""} for none) and the last segment, when only the
        last segment holds wildcards; C{None} otherwise (no wildcard, or
        one in a directory segment, which is not expanded).
    """
    directoryText, slash, pattern = pathText.rpartition("/")
    if not hasMagic(pattern) or hasMagic(directoryText):
        return None
    return directoryText + slash, pattern


def _tokens(pattern):
    """
    @param pattern: one segment holding wildcards.
    @return: its tokens: C{"*"}, and those matching one character each (a
        character, C{"?"}, or a whole C{[...]} set, whose end is found as
        C{fnmatch} finds it; a C{"["} without one is a character).
    """
    tokens, i, n = [], 0, len(pattern)
    while i < n:
        end = i + 1
        if pattern[i] == "[":
            j = i + 1
            if j < n and pattern[j] == "!":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            j = pattern.find("]", j)
            if j >= 0:
                end = j + 1
        tokens.append(pattern[i:end])
        i = end
    return tokens


def _body(regex):
    """
    @param regex: what L{fnmatch.translate} gave.
    @return: the expression inside its C{(?s:...)\\Z}; C{None} if it is
        not written so.
    """
    if regex.startswith("(?s:") and regex.endswith(")\\Z"):
        return regex[4:-3]
    return None


def translate(pattern):
    """
    Translate a pattern as L{fnmatch.translate} does, but for the
    characters after its last C{"*"}: those are matched only where they
    end the name, the rest matched once (atomically) up to there. Given
    C{*} and then a long tail (C{?} after C{?}), C{fnmatch}'s expression
    tried the tail from every position of the name, costing up to a
    name's length times the tail's per name; this one costs a name's
    length.

    @param pattern: one segment holding wildcards.
    @return: a regular expression matching the names C{pattern} matches.
    """
    tokens = _tokens(pattern)
    if "*" in tokens and tokens[-1] != "*":
        last = len(tokens) - tokens[::-1].index("*")
        head = _body(fnmatch.translate("".join(tokens[:last])))
        tail = _body(fnmatch.translate("".join(tokens[last:])))
        if head is not None and tail is not None:
            width = len(tokens) - last
            return f"(?s:(?>{head}(?=.{{{width}}}\\Z)){tail})\\Z"
    return fnmatch.translate(pattern)


class NameMatch:
    """
    The test of one name against a pattern, as L{matchNames} picks names:
    a pure function of the name, its L{cacheKey} saying which (the test
    of a L{ftpkit.shells.listings.FilteredListing}, whose lines the
    listings' cache then keeps under the pattern). The pattern is
    compiled at the first name, where the names are read (a thread).
    """

    def __init__(self, pattern):
        """
        @param pattern: one segment holding wildcards.
        """
        self._pattern = pattern
        self._hidden = pattern.startswith(".")
        self._match = None

    def cacheKey(self):
        """
        @return: what the test depends on: the pattern.
        """
        return ("glob", self._pattern)

    def __call__(self, name):
        """
        @param name: an entry's name.
        @return: whether the pattern matches it.
        """
        if not self._hidden and name.startswith("."):
            return False
        match = self._match
        if match is None:
            match = self._match = _compiled(self._pattern)
        return match(name) is not None


def _compiled(pattern):
    """
    @param pattern: one segment holding wildcards.
    @return: the C{match} of its compiled L{translate}: compiled here
        rather than by C{fnmatchcase}, whose cache keeps 32,768 compiled
        patterns (clients choose the patterns, so that cache would let
        one hold tens of megabytes; re's own cache keeps 512).
    """
    return re.compile(translate(pattern)).match


def matchNames(pattern, names):
    """
    Pick the names a pattern matches, as L{NameMatch} tests each (in one
    pass, without a call a name).

    @param pattern: one segment holding wildcards.
    @param names: the names in the directory, in the order to keep.
    @return: the matching names, in their order.
    """
    hidden = pattern.startswith(".")
    matches = _compiled(pattern)
    return [name for name in names
            if (hidden or not name.startswith("."))
            and matches(name)]

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


def matchNames(pattern, names):
    """
    Pick the names a pattern matches.

    @param pattern: one segment holding wildcards.
    @param names: the names in the directory, in the order to keep.
    @return: the matching names, in their order.
    """
    hidden = pattern.startswith(".")
    # Compiled here rather than by fnmatchcase, whose cache keeps 32,768
    # compiled patterns: clients choose the patterns, so that cache would
    # let one hold tens of megabytes (re's own cache keeps 512).
    matches = re.compile(fnmatch.translate(pattern)).match
    return [name for name in names
            if (hidden or not name.startswith("."))
            and matches(name)]

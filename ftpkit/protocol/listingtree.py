"""
Recursive listings (C{LIST -R}, C{NLST -R}, and the combined options
clients send: C{-lR}, C{-aR}), as C{ls -R} prints them, as pure
functions: each directory's header line (C{"path:"}), a blank line
before every header but the first, and which entries the walk goes
into (L{ftpkit.shells.treelisting} walks the shell).

A walk is bounded (L{TreeLimits}): directories deeper than a depth are
listed as entries but not gone into, and the listing ends after a number
of entries; either makes the final reply say that the listing was cut
(L{truncatedReply}), as the bytes sent cannot say it without breaking
the clients that parse them.
"""

from dataclasses import dataclass

from ftpkit.protocol.listinglines import encodeLines

DEFAULT_MAX_DEPTH = 8
"""The deepest level of subdirectories a recursive listing goes into by
default (Pure-FTPd's shipped configuration's), the listed directory
being level 0."""

DEFAULT_MAX_ENTRIES = 10000
"""The most entries a recursive listing sends by default (Pure-FTPd's
shipped configuration's)."""


@dataclass(frozen=True)
class TreeLimits:
    """
    The bounds of one recursive listing.

    @ivar depth: the deepest level of subdirectories gone into (the
        listed directory is level 0); C{0} turns C{-R} off.
    @ivar entries: the most entries sent, over every directory.
    """

    depth: int = DEFAULT_MAX_DEPTH
    entries: int = DEFAULT_MAX_ENTRIES


def isRecursive(letters, limits):
    """
    @param letters: the C{ls} option letters of a listing command
        (L{ftpkit.protocol.commands.splitListArgument}).
    @param limits: the server's L{TreeLimits}.
    @return: whether the listing is recursive: the letters hold C{R}
        and the limits allow a level below the listed directory.
    """
    return "R" in letters and limits.depth > 0


def topText(pathText):
    """
    @param pathText: the listed directory as the client wrote it, without
        C{ls} options.
    @return: its name in the first header: exactly as written, as GNU
        C{ls -R dir/} prints C{"dir/:"} (ProFTPD and Pure-FTPd print no
        first header; their subdirectories' headers differ:
        docs/protocol.rst), C{"."} for the current directory.
    """
    return pathText or "."


def childText(parentText, name):
    """
    @param parentText: a directory's name in its header.
    @param name: the name of one of its subdirectories.
    @return: the subdirectory's name in its header (C{"./sub"},
        C{"/sub"}, C{"dir/sub"}).
    """
    return parentText.rstrip("/") + "/" + name


def header(text, first):
    """
    @param text: a directory's name (L{topText}, L{childText}).
    @param first: whether it is the first directory of the listing.
    @return: its header line, after a blank line unless first.
    """
    return (b"" if first else b"\r\n") + encodeLines([text + ":"])


def descendable(name, isDirectory):
    """
    @param name: an entry's name.
    @param isDirectory: whether it is a directory (as its
        L{ftpkit.fileinfo.FileInfo} or its C{os.stat} result says).
    @return: whether the walk may go into it: a directory whose name can
        be written on a header line (one holding CR or LF is left out of
        listings, L{encodeLines}).
    """
    return isDirectory and "\r" not in name and "\n" not in name


def lineCount(data):
    """
    @param data: a formatted batch of C{LIST} or C{NLST} lines, one an
        entry (L{encodeLines}: none holds CR or LF).
    @return: how many entries it shows.
    """
    return data.count(b"\r\n")


def firstLines(data, count):
    """
    @param data: a formatted batch, as for L{lineCount}, sorted by name.
    @param count: how many of its lines to keep, fewer than it has.
    @return: its first C{count} lines: those of the C{count} entries
        first by name.
    """
    end = 0
    for _ in range(count):
        end = data.index(b"\r\n", end) + 2
    return data[:end]


def truncatedText(limits):
    """
    @param limits: the walk's L{TreeLimits}.
    @return: what the last reply line of a recursive listing cut by them
        says after its usual text.
    """
    return (f"listing truncated (at most {limits.entries} entries, "
            f"{limits.depth} levels deep)")


def truncatedReply(limits):
    """
    @param limits: the walk's L{TreeLimits}.
    @return: the final reply of a recursive listing cut by them.
    """
    return (226, "Transfer complete; " + truncatedText(limits))


def statusLimits(limits, most):
    """
    @param limits: the server's L{TreeLimits}.
    @param most: the most entries C{STAT} lists on the control connection.
    @return: the bounds of C{STAT -R}: the depth of C{limits}, and the
        lower of the two numbers of entries.
    """
    return TreeLimits(limits.depth, min(limits.entries, most))

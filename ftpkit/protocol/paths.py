"""
Virtual paths: the one place where client text becomes a path.

A path is a tuple of segments, C{()} being the root. Every segment
L{resolve} returns is non-empty, is neither C{"."} nor C{".."}, and holds
no C{"/"}, NUL, CR or LF, so a shell can join segments without checking
them again. C{".."} never climbs above the root. Nothing here touches disk.
"""

from ftpkit.errors import InvalidPath

MAX_PATH_LENGTH = 4096
"""Longest argument text, and longest resolved path text, in characters."""

MAX_SEGMENT_LENGTH = 255
"""Longest segment, in bytes once encoded UTF-8 with C{surrogateescape}."""

MAX_DEPTH = 256
"""Most segments a resolved path may have."""

_SHORT_SEGMENT = MAX_SEGMENT_LENGTH // 4
"""Characters of a segment that fits in L{MAX_SEGMENT_LENGTH} bytes
whatever they are."""


def _segmentLength(segment):
    """
    Measure a segment the way the disk will see it.

    @param segment: one path segment.
    @return: its length in bytes, encoded UTF-8 with C{surrogateescape}.
    @raise InvalidPath: if it holds a surrogate that does not stand for
        an undecodable byte (so cannot be a file name).
    """
    try:
        return len(segment.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        raise InvalidPath() from None


def _fromHome(text):
    """
    Spell the user's home (C{"~"}, C{"~/..."}) as what it is, their root.

    @param text: the path as the client sent it.
    @return: C{text} with a leading C{"~"} segment made C{"/"}, else
        C{text} itself.
    """
    if text == "~" or text.startswith("~/"):
        return "/" + text[1:]
    return text


def resolve(cwd, text):
    """
    Turn client text into a normalised path.

    Text starting with C{"/"} is absolute, and so are C{"~"} and text
    starting with C{"~/"}: the user's home, which is their C{"/"} (as
    vsftpd, ProFTPD and Pure-FTPd read C{CWD ~}, which users type and some
    clients send); anything else is relative to C{cwd} (C{"~x"} and
    C{"./~"} name a file called so). Empty and C{"."} segments are
    ignored, C{".."} removes the previous segment and stays at the root
    when there is none. A backslash is an ordinary character.

    @param cwd: the current directory, a tuple of segments.
    @param text: the path as the client sent it (may hold lone surrogates
        from C{surrogateescape} decoding).
    @return: the resolved path, a tuple of segments; C{cwd} for empty text.
    @raise InvalidPath: if C{text} holds NUL, CR or LF, is longer than
        L{MAX_PATH_LENGTH}, has a segment longer than L{MAX_SEGMENT_LENGTH}
        bytes or one that cannot be encoded, or if the result would be
        deeper than L{MAX_DEPTH} segments or longer than L{MAX_PATH_LENGTH}
        characters as text.
    """
    if len(text) > MAX_PATH_LENGTH:
        raise InvalidPath("File name too long")
    if "\x00" in text or "\r" in text or "\n" in text:
        raise InvalidPath()
    if text[:1] == "~":
        text = _fromHome(text)
    result = [] if text[:1] == "/" else list(cwd)
    segments = text.split("/")
    if (len(text) <= _SHORT_SEGMENT and text.isascii() and "" not in segments
            and "." not in segments and ".." not in segments):
        # The usual name (a relative one of short ASCII segments): what
        # the loop below would keep, each segment as it is, without it.
        result.extend(segments)
        segments = ()
    for segment in segments:
        # A character is at most four bytes: a segment this short fits
        # without being measured, but must still be encodable.
        if len(segment) > _SHORT_SEGMENT:
            if _segmentLength(segment) > MAX_SEGMENT_LENGTH:
                raise InvalidPath("File name too long")
        elif not segment.isascii():
            _segmentLength(segment)
        if segment in ("", "."):
            continue
        if segment == "..":
            if result:
                result.pop()
            continue
        result.append(segment)
    if len(result) > MAX_DEPTH:
        raise InvalidPath("Path too deep")
    resolved = tuple(result)
    # toText's length, without the call (a path is resolved per command).
    if len("/".join(resolved)) >= MAX_PATH_LENGTH:
        raise InvalidPath("File name too long")
    return resolved


def namesDirectory(text):
    """
    Tell whether client text names a directory whatever it is: it is
    empty (the current directory), or its last segment is C{""}, C{"."}
    or C{".."} (C{"/"}, C{"a/"}, C{"."}, C{"a/.."}).

    @param text: the path as the client sent it.
    @return: whether it names a directory by its spelling alone.
    """
    return text.rsplit("/", 1)[-1] in ("", ".", "..")


def toText(path):
    """
    Render a path the way the client sees it.

    @param path: a tuple of segments.
    @return: C{"/"} for the root, otherwise C{"/a/b"}.
    """
    return "/" + "/".join(path)


def parent(path):
    """
    @param path: a tuple of segments.
    @return: the directory holding C{path}; the root is its own parent.
    """
    return path[:-1]


def basename(path):
    """
    @param path: a tuple of segments.
    @return: the last segment, or C{""} for the root.
    """
    return path[-1] if path else ""


def isWithin(path, ancestor):
    """
    Tell whether C{path} is C{ancestor} or below it, segment by segment
    (so C{("ab",)} is not within C{("a",)}).

    @param path: a tuple of segments.
    @param ancestor: a tuple of segments.
    @return: C{True} if C{ancestor} is a prefix of C{path}.
    """
    return tuple(path[: len(ancestor)]) == tuple(ancestor)

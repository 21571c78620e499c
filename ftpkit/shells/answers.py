"""
What a shell's C{stat} and listings must fire with, checked for a shell
from outside ftpkit (L{ftpkit.shells.contract}): a value of another
shape (a C{datetime} for C{mtime}, a C{size} of C{None} or text, a
listing of bare L{FileInfo}s) failed deep in the formatting of a reply
or a listing, with a traceback, where the plugin's author is better told
in one line which field of what is wrong.

Pure: no reactor.
"""

import functools
import string

from ftpkit.fileinfo import FileInfo
from ftpkit.shells.digests import newDigest

_FIELDS = (
    ("size", (int,), "a count of bytes (an int)"),
    ("mtime", (int, float, type(None)),
     "seconds since the epoch (a float) or None"),
    ("mode", (int,), "permission bits (an int)"),
    ("nlink", (int,), "an int"),
    ("owner", (str,), "text"),
    ("group", (str,), "text"),
    ("unique", (str,), "text"),
    ("special", (str,), "text"),
    ("access", (int, type(None)), "permission bits (an int) or None"),
    ("target", (str, type(None)), "text or None"),
    ("uid", (int, type(None)), "a user id (an int) or None"),
    ("gid", (int, type(None)), "a group id (an int) or None"),
)
"""The fields of a L{FileInfo} checked: name, the types allowed (C{bool}
never), and what it must be, as text."""


def infoProblem(info):
    """
    @param info: what C{stat} fired with (or one entry of a listing).
    @return: C{None} for a L{FileInfo} whose fields have their types,
        else what is wrong, as text.
    """
    if not isinstance(info, FileInfo):
        return "%s, not a FileInfo" % (shortRepr(info),)
    for name, types, meant in _FIELDS:
        value = getattr(info, name)
        if isinstance(value, bool) or not isinstance(value, types):
            return "a FileInfo whose %s is %s, not %s" % (
                name, shortRepr(value), meant)
    if info.size < 0:
        return "a FileInfo whose size is %d, not a count of bytes" % (
            info.size,)
    return None


def entriesProblem(entries):
    """
    @param entries: what C{list} or C{listSome} fired with.
    @return: C{(entries, None)}, the entries as a C{list}, when they are
        C{(name, FileInfo)} pairs (L{infoProblem}) with text names; else
        C{(None, text)} saying what is wrong with the first that is not.
    """
    try:
        entries = list(entries)
    except TypeError:
        return None, "%s, not a list of (name, FileInfo)" % (shortRepr(entries),)
    for index, entry in enumerate(entries):
        if not (isinstance(entry, tuple) and len(entry) == 2
                and isinstance(entry[0], str)):
            return None, "%s as entry %d, not a (name, FileInfo)" % (
                shortRepr(entry), index)
        problem = infoProblem(entry[1])
        if problem is not None:
            return None, "%s as the entry of %r" % (problem, entry[0])
    return entries, None


def namesProblem(names):
    """
    @param names: what C{listNames} fired with.
    @return: C{(names, None)}, the names as a C{list}, when they are text;
        else C{(None, text)} saying what is wrong.
    """
    try:
        names = list(names)
    except TypeError:
        return None, "%s, not a list of names" % (shortRepr(names),)
    for index, name in enumerate(names):
        if not isinstance(name, str):
            return None, "%s as name %d, not text" % (shortRepr(name), index)
    return names, None


def digestProblem(digest, algorithm):
    """
    @param digest: what C{hash} fired with.
    @param algorithm: what it was asked for.
    @return: C{(digest, None)}, lowercase, when it is a C{str} of as many
        hex digits as C{algorithm}'s digest has; else C{(None, text)}
        saying what is wrong (a shell giving MD5 whatever it was asked
        had its digest sent as a SHA-256 one).
    """
    if not (isinstance(digest, str) and _HEX.issuperset(digest)):
        return None, "%s, not a hex digest (a str)" % (shortRepr(digest),)
    if len(digest) != _hexLength(algorithm):
        return None, "%s, %d hex digits, not a %s digest (%d)" % (
            shortRepr(digest), len(digest), algorithm, _hexLength(algorithm))
    return digest.lower(), None


_HEX = frozenset(string.hexdigits)


@functools.lru_cache(maxsize=None)
def _hexLength(algorithm):
    """
    @param algorithm: a name L{ftpkit.interfaces.IFTPShellHash.hash}
        takes.
    @return: how many hex digits its digest has.
    """
    return len(newDigest(algorithm).hexdigest())


def roomProblem(room):
    """
    @param room: what C{available} fired with.
    @return: C{(room, None)} for a count of bytes (an C{int}, not a
        C{bool}, not negative); else C{(None, text)} saying what is wrong.
    """
    if isinstance(room, bool) or not isinstance(room, int) or room < 0:
        return None, "%s, not a count of bytes (an int)" % (shortRepr(room),)
    return room, None


def keptProblem(kept):
    """
    @param kept: what C{resumableSize} fired with.
    @return: C{(kept, None)} for a count of bytes (an C{int}, or a
        C{float} of a whole number, taken as the C{int}) or C{None}; else
        C{(None, text)} saying what is wrong (text was a traceback at
        C{REST} + C{STOR}; C{2.5} was C{SIZE}'s answer).
    """
    if kept is None:
        return None, None
    count = _count(kept)
    if count is None:
        return None, "%s, not a count of bytes or None" % (shortRepr(kept),)
    return count, None


def sizeProblem(size):
    """
    @param size: an open file's C{size}.
    @return: C{None} for a count of bytes (an C{int}) or C{None}; else
        what is wrong, as text (a negative size sent nothing and answered
        C{226}; a C{float} had the file read at C{float} offsets).
    """
    if size is None or roomProblem(size)[1] is None:
        return None
    return "a file whose size is %s, not a count of bytes or None" % (
        shortRepr(size),)


def _count(value):
    """
    @param value: anything.
    @return: C{value} as an C{int} when it is a count (an C{int} but not
        a C{bool}, or a C{float} of a whole number; not negative), else
        C{None}.
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def resolvedProblem(resolved):
    """
    @param resolved: what C{resolve} fired with, or one of the values of
        what C{linkTargets} fired with.
    @return: C{(path, None)}, the path as a C{tuple}, for a tuple or list
        of names (C{str}) or C{None}; else C{(None, text)} saying what is
        wrong.
    """
    if resolved is None:
        return None, None
    if isinstance(resolved, (tuple, list)) and all(
            isinstance(name, str) for name in resolved):
        return tuple(resolved), None
    return None, "%s, not a path (a tuple of names) or None" % (
        shortRepr(resolved),)


def localPathProblem(local):
    """
    @param local: what C{localPath} gave
        (L{ftpkit.interfaces.IFTPShellLocalPath}).
    @return: C{(local, None)} for an absolute path (a C{str} starting
        with C{/}) or C{None}; else C{(None, text)} saying what is wrong.
    """
    if local is None or (isinstance(local, str) and local.startswith("/")):
        return local, None
    return None, "%s, not an absolute path (text) or None" % (
        shortRepr(local),)


def targetsProblem(targets):
    """
    @param targets: what C{linkTargets} fired with.
    @return: C{(targets, None)} for a C{dict} from names to paths
        (L{resolvedProblem}); else C{(None, text)} saying what is wrong.
    """
    if not isinstance(targets, dict):
        return None, "%s, not a dict from names to paths" % (
            shortRepr(targets),)
    checked = {}
    for name, target in targets.items():
        checked[name], problem = resolvedProblem(target)
        if problem is not None or not isinstance(name, str):
            return None, "%s as the target of %s" % (
                problem or shortRepr(target), shortRepr(name))
    return checked, None


def rateProblem(rate):
    """
    @param rate: a rate an L{ftpkit.interfaces.IFTPShellRates} shell
        carries.
    @return: C{None} for bytes a second (a number above C{0}) or C{None};
        else what is wrong, as text (text was a traceback at each
        transfer; a negative rate held every transfer past its first
        burst until the data timeout).
    """
    if rate is None or (isinstance(rate, (int, float))
                        and not isinstance(rate, bool) and rate > 0):
        return None
    return "%s, not bytes a second (a number above 0) or None" % (
        shortRepr(rate),)


def maskProblem(mask):
    """
    @param mask: what C{permitted} gave
        (L{ftpkit.interfaces.IFTPShellPermitted}).
    @return: C{(mask, None)}, the mask as a C{frozenset}, when it is a set
        of letters (each a C{str} of one character); else C{(None, text)}
        saying what is wrong.
    """
    if isinstance(mask, (set, frozenset)) and all(
            isinstance(letter, str) and len(letter) == 1 for letter in mask):
        return frozenset(mask), None
    return None, "%s, not a frozenset of letters" % (shortRepr(mask),)


def masksProblem(masks):
    """
    @param masks: what C{permittedIn} gave.
    @return: C{(masks, None)}, as C{(frozenset, dict)}, when they are a
        mask (L{maskProblem}) and a C{dict} from names (C{str}) to masks;
        else C{(None, text)} saying what is wrong.
    """
    if not (isinstance(masks, (tuple, list)) and len(masks) == 2
            and isinstance(masks[1], dict)):
        return None, "%s, not a (mask, {name: mask}) pair" % (
            shortRepr(masks),)
    mask, problem = maskProblem(masks[0])
    exceptions = {}
    for name, given in masks[1].items():
        if problem is None and not isinstance(name, str):
            problem = "%s as a name, not text" % (shortRepr(name),)
        if problem is None:
            exceptions[name], problem = maskProblem(given)
    if problem is not None:
        return None, problem + " in " + shortRepr(masks)
    return (mask, exceptions), None


def featuresProblem(features):
    """
    @param features: what C{unsupportedFeatures} gave.
    @return: C{(features, None)}, as a C{frozenset}, when they are a
        collection (a set, a list or a tuple) of keywords (C{str}), or
        text of keywords between spaces (C{"MFMT"}, which was taken as a
        collection of one, as C{in} tests text); else C{(None, text)}
        saying what is wrong.
    """
    if isinstance(features, str):
        features = features.split()
    if isinstance(features, (set, frozenset, list, tuple)) and all(
            isinstance(feature, str) for feature in features):
        return frozenset(features), None
    return None, "%s, not a frozenset of FEAT keywords" % (
        shortRepr(features),)


def offsetsProblem(writes):
    """
    @param writes: what C{writesAtOffsets} gave
        (L{ftpkit.interfaces.IFTPShellUploadOffsets}).
    @return: C{(writes, None)} for C{True} or C{False}; else
        C{(None, text)} saying what is wrong (C{None}, from a method that
        forgot its C{return}, would have refused every resume).
    """
    if isinstance(writes, bool):
        return writes, None
    return None, "%s, not True or False" % (shortRepr(writes),)


def formattedProblem(data):
    """
    @param data: what an L{ftpkit.interfaces.IStatListing}'s
        C{nextFormattedBatch} gave.
    @return: C{(data, None)} for C{bytes} or C{None}; else C{(None, text)}
        saying what is wrong.
    """
    if data is None or isinstance(data, bytes):
        return data, None
    return None, "%s, not bytes (what format.stats gives) or None" % (
        shortRepr(data),)


def isSegment(name):
    """
    @param name: a name a listing gave.
    @return: whether it can name an entry: one path segment, never
        C{""}, C{"."} or C{".."}, without C{"/"} or NUL (what
        L{ftpkit.protocol.paths} makes of a client's path).
    """
    return name not in ("", ".", "..") and "/" not in name and (
        "\x00" not in name)


def withoutBadNames(entries, nameOf):
    """
    @param entries: a listing's entries, checked for their shape.
    @param nameOf: gives an entry's name.
    @return: C{(kept, dropped)}: the entries whose name is a path segment
        (L{isSegment}), and the names of the others.
    """
    kept = [entry for entry in entries if isSegment(nameOf(entry))]
    if len(kept) == len(entries):
        return entries, []
    return kept, [nameOf(entry) for entry in entries
                  if not isSegment(nameOf(entry))]


def shortRepr(value):
    """
    @param value: anything a plugin gave.
    @return: its C{repr}, cut to 80 characters, for a log line.
    """
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

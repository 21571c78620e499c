"""
Times in command arguments, as pure functions: the RFC 3659 C{time-val}
of C{MDTM}, C{MFMT} and C{MLST}, read and written, the timestamps shown
in listings, and the argument of C{SITE UTIME}.

Each parser raises L{BadArgument} (never anything else) when the client
sent something invalid.
"""

import math
import re
from datetime import UTC, datetime, timedelta

from ftpkit.errors import BadArgument

_TIMEVAL = re.compile(
    r"([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})"
    r"(?:\.([0-9]+))?",
    re.ASCII,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MIN_EPOCH = (datetime(1, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds()
_MAX_EPOCH = (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) - _EPOCH).total_seconds()


def parseTimeval(text):
    """
    Parse an RFC 3659 time value, in UTC.

    @param text: C{"YYYYMMDDHHMMSS"}, optionally followed by C{"."} and
        digits of fraction, as many as the client gives (RFC 3659's
        C{time-val} has C{1*DIGIT}); those past the third are dropped:
        times are kept to the millisecond (L{formatTimeval}), and a
        fraction rounded up could name the next second.
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
        fraction = fraction[:3]
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


def formatSetTime(epoch):
    """
    Format the time a file was given by C{MFMT} or C{MFF}, for their
    C{213} reply (draft-somers-ftp-mfxx: the time the file then has):
    with its milliseconds where it keeps some, so that a client that set
    C{20260203040506.789} is not told C{20260203040506}; a whole second
    as C{MDTM} gives it.

    @param epoch: seconds since the epoch.
    @return: C{"YYYYMMDDHHMMSS"} or C{"YYYYMMDDHHMMSS.sss"}.
    """
    text = formatTimeval(epoch, fraction=True)
    return text[:-4] if text.endswith(".000") else text


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
_UTIME_ONE = re.compile(r" *" + _UTIME_STAMP + r" (.*)", re.ASCII)


def parseSiteUtimes(arg):
    """
    Parse the argument of C{SITE UTIME} (ProFTPD's mod_site_misc), in
    either form clients send, times in UTC:
    C{"YYYYMMDDhhmm[ss] path"}, or C{"path atime mtime ctime UTC"} (each
    time C{YYYYMMDDhhmm[ss]}; FileZilla's form). Paths keep their spaces,
    leading ones too: one space follows the time, as in C{MFMT}; the
    second form is the one whose last word is C{UTC} after three times.

    @param arg: what follows C{SITE UTIME}.
    @return: C{(accessed, modified, pathText)}: the access time to set,
        C{None} in the first form (which gives none), the modification
        time, and the path. The second form's creation time is not kept:
        no storage sets one (C{MFCT} gets C{502}).
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
    if three is None:
        return None, epochs[0], pathText
    return epochs[0], epochs[1], pathText

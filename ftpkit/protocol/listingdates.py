"""
The dates of directory listings, as pure functions: C{LIST}'s
C{"Mon DD HH:MM"} or C{"Mon DD  YYYY"} and C{MLSD}'s C{modify} fact, in
UTC and English.

A listing's dates are formatted a day at a time (L{dayTexts}, remembered
in L{DAYS}, which every listing shares: a day's texts never change) and
the time of day is looked up in tables: entries changed over the years
have a minute or a second of their own, but share days.
"""

from bisect import bisect_left, bisect_right

from ftpkit.protocol.timevals import utcDatetime, utcSecond

MONTHS = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
"""English month abbreviations, whatever the locale."""

RECENT = 180 * 86400
"""How far back a C{LIST} date shows the time rather than the year."""

FUTURE = 3600
"""How far ahead a C{LIST} date shows the time rather than the year."""

PLAIN_SECONDS = 10**11
"""Times below this many seconds (year 5138) are precise to a microsecond
as floats, so L{wholeSecond} can take their whole seconds directly."""

HOURS_MINUTES = tuple(f"{hour:02d}:{minute:02d}"
                      for hour in range(24) for minute in range(60))
"""C{"HH:MM"} of each minute of a day."""

TIMEVAL_MINUTES = tuple(text.replace(":", "") for text in HOURS_MINUTES)
"""C{"HHMM"} of each minute of a day."""

TIMEVAL_SECONDS = tuple(f"{second:02d}" for second in range(60))
"""C{"SS"} of each second of a minute."""

DAYS = {}
"""The texts of L{dayTexts} of the days listed so far, by day."""

DAYS_KEPT = 4096
"""The most days L{dayTexts} remembers in a cache before emptying it."""


def wholeSecond(mtime):
    """
    @param mtime: seconds since the epoch.
    @return: C{utcSecond(mtime)}, without its rounding and clamping for
        the usual time: after the epoch, long before year 9999, and not
        within a millisecond of the next second.
    """
    if 0 <= mtime < PLAIN_SECONDS:
        whole = int(mtime)
        if mtime - whole < 0.999:
            return whole
    return utcSecond(mtime)


def dayTexts(day, cache):
    """
    The parts of the dates of one day, formatted once per listing.

    @param day: whole days since the epoch (UTC).
    @param cache: L{DAYS}, or a L{dict} of one's own; emptied when it
        holds L{DAYS_KEPT} days.
    @return: C{("Mon DD ", "Mon DD  YYYY", "YYYYMMDD")}: the start of a
        recent C{LIST} date, an older one, and the start of a C{modify}
        fact.
    """
    texts = cache.get(day)
    if texts is None:
        if len(cache) >= DAYS_KEPT:
            cache.clear()
        when = utcDatetime(day * 86400)
        prefix = f"{MONTHS[when.month - 1]} {when.day:2d}"
        texts = cache[day] = (
            prefix + " ",
            f"{prefix}  {when.year:4d}",
            f"{when.year:04d}{when.month:02d}{when.day:02d}",
        )
    return texts


def listDate(mtime, now, cache):
    """
    Render a modification time as C{ls -l} does, in UTC and English.

    @param mtime: the modification time, seconds since the epoch.
    @param now: the current time, seconds since the epoch.
    @param cache: the cache of L{dayTexts}.
    @return: C{"Mon DD HH:MM"} for times within the last 180 days and at
        most an hour ahead, C{"Mon DD  YYYY"} otherwise.
    """
    day, second = divmod(wholeSecond(mtime), 86400)
    texts = dayTexts(day, cache)
    if now - RECENT <= mtime <= now + FUTURE:
        return texts[0] + HOURS_MINUTES[second // 60]
    return texts[1]


def modifyFact(mtime, cache):
    """
    Format the C{modify} fact of one listing entry.

    @param mtime: the modification time, seconds since the epoch.
    @param cache: the cache of L{dayTexts}.
    @return: as C{ftpkit.protocol.timevals.formatTimeval} without
        fraction.
    """
    day, second = divmod(wholeSecond(mtime), 86400)
    minute, second = divmod(second, 60)
    return (dayTexts(day, cache)[2] + TIMEVAL_MINUTES[minute]
            + TIMEVAL_SECONDS[second])


def recentBounds(now):
    """
    @param now: the current time, seconds since the epoch.
    @return: C{(low, high)}: a C{LIST} date shows the time of day when
        C{low <= mtime <= high} (as L{listDate} and the batch formats
        compare), floats where that is exact.
    """
    return _asFloat(now - RECENT), _asFloat(now + FUTURE)


def _asFloat(number):
    """
    @param number: an L{int} or a L{float}.
    @return: C{number} as a float when that is exact (comparing a float
        with it then gives what comparing with C{number} gives), else
        C{number}.
    """
    try:
        value = float(number)
    except OverflowError:
        return number
    return value if value == number else number


def sameForms(mtimes, then, now):
    """
    Whether C{LIST} dates formatted at one time read the same at another:
    no date switches between C{"HH:MM"} and the year in between.

    @param mtimes: the modification times of the dates, sorted.
    @param then: when they were formatted, seconds since the epoch.
    @param now: the time they would be formatted at now.
    @return: whether each of C{mtimes} shows the time of day at C{now}
        exactly when it does at C{then}.
    """
    lowThen, highThen = recentBounds(then)
    lowNow, highNow = recentBounds(now)
    inThen = bisect_right(mtimes, highThen) - bisect_left(mtimes, lowThen)
    inNow = bisect_right(mtimes, highNow) - bisect_left(mtimes, lowNow)
    low, high = max(lowThen, lowNow), min(highThen, highNow)
    inBoth = (bisect_right(mtimes, high) - bisect_left(mtimes, low)
              if low <= high else 0)
    return inThen == inBoth == inNow

"""
Warnings a peer can cause at will (a connection refused for want of a
PROXY header, a C{HOST} naming no virtual host, a session's refused
commands), let through at most a few an interval for each kind: a peer
repeating the event thousands of times leaves a few lines a minute, and
a count of those left out, instead of a line each.

The count is told by the kind's next line, when one comes in time; a
L{Summaries} tells it once the window ends otherwise, since a peer that
floods and stops may never cause another.
"""

INTERVAL = 60
"""Seconds a window of one kind lasts."""

_PRUNE_AT = 64
"""How many kinds a throttle keeps before it first drops those whose
window ended (see L{LogThrottle.admit})."""

OTHERS = "others"
"""The kind of every event a throttle holding its C{maxKinds} counts
together (see L{LogThrottle.admit})."""


class LogThrottle:
    """
    Decides which events of each kind get a log line: the first C{burst}
    of a window of C{interval} seconds (the window starts with the first
    event of the kind, or the first after the last window ended), none
    after those until the window ends.

    @ivar clock: an C{IReactorTime} (its C{seconds}).
    @ivar interval: seconds a window lasts.
    @ivar burst: events of one kind that get a line in a window.
    @ivar maxKinds: the most kinds it keeps a window for, or C{None}.
    """

    def __init__(self, clock, interval=INTERVAL, burst=1, maxKinds=None):
        """
        @param clock: see C{clock}.
        @param interval: see C{interval}.
        @param burst: see C{burst}.
        @param maxKinds: see C{maxKinds}: where the kinds are what a peer
            chooses (its address, of which it may have many), a bound on
            the throttle's memory and on the lines a window lets through.
        """
        self.clock = clock
        self.interval = interval
        self.burst = burst
        self.maxKinds = maxKinds
        self._windows = {}
        self._skipped = {}
        self._pruneAt = _PRUNE_AT
        self._prunedAt = float("-inf")

    def admit(self, kind):
        """
        Count one event.

        @param kind: what happened, a hashable key. A key the throttle has
            seen is kept while its window lasts or a count of events left
            out is pending: keys without end (a session's number) cost no
            more than those in use. A new key met while C{maxKinds} are
            kept is counted as L{OTHERS}, one kind for all of them.
        @return: C{None} when it gets no line (C{burst} of its kind had
            one in the current window); else how many of its kind got
            none since the last line, an C{int}.
        """
        now = self.clock.seconds()
        window = self._windows.get(kind)
        if window is not None and now - window[0] < self.interval:
            if window[1] < self.burst:
                window[1] += 1
                return 0
            self._skipped[kind] = self._skipped.get(kind, 0) + 1
            return None
        if window is None:
            full = (self.maxKinds is not None
                    and len(self._windows) >= self.maxKinds)
            # Full, it looks for ended windows at most once a second:
            # each look is a walk over every kind kept.
            if len(self._windows) >= self._pruneAt or (
                    full and now - self._prunedAt >= 1):
                self._prune(now)
                full = (self.maxKinds is not None
                        and len(self._windows) >= self.maxKinds)
            if full and kind != OTHERS:
                return self.admit(OTHERS)
        self._windows[kind] = [now, 1]
        return self._skipped.pop(kind, 0)

    def takeSkipped(self, kind):
        """
        @param kind: a key given to L{admit}.
        @return: how many events of C{kind} got no line and are not yet
            counted in a line (what the next admitted one would be told),
            which are now counted as told.
        """
        return self._skipped.pop(kind, 0)

    def takeEnded(self):
        """
        @return: C{[(kind, count)]}: the kinds whose window ended with
            events that got no line and are not yet counted in one, and
            how many; they are now counted as told (a summary line says
            them, where the kind's next event may never come).
        """
        now = self.clock.seconds()
        # The same sum as nextEnd's: a timer set for nextEnd finds it
        # ended, whatever the rounding.
        ended = [(kind, count) for kind, count in self._skipped.items()
                 if self._windows[kind][0] + self.interval <= now]
        for kind, _ in ended:
            del self._skipped[kind]
        return ended

    def takeAll(self):
        """
        @return: C{[(kind, count)]}: every kind with events that got no
            line and are not yet counted in one, its window ended or not,
            and how many; they are now counted as told (a summary at
            stop).
        """
        pending = list(self._skipped.items())
        self._skipped.clear()
        return pending

    def nextEnd(self):
        """
        @return: when the first window holding events that got no line
            ends (the clock's seconds), or C{None} when none does.
        """
        return min((self._windows[kind][0] + self.interval
                    for kind in self._skipped), default=None)

    def _prune(self, now):
        """
        Forget the kinds whose window ended with no count pending: their
        next event starts a window as a new kind's would.

        @param now: the time.
        """
        self._windows = {
            kind: window for kind, window in self._windows.items()
            if now - window[0] < self.interval or kind in self._skipped}
        self._pruneAt = max(_PRUNE_AT, 2 * len(self._windows))
        self._prunedAt = now


class Summaries:
    """
    Tells the counts a L{LogThrottle} keeps once their window ends: a
    kind's count is told by its next line when that comes first (what
    L{LogThrottle.admit} returns), and else, at the window's end, by
    C{summarize}. One timer at most is pending, for the first window to
    end with events left out; none while none is.

    @ivar throttle: the L{LogThrottle}; its C{clock} is an
        C{IReactorTime} (its C{callLater} too).
    @ivar summarize: called with C{(kind, count)} for each count told at
        a window's end (or at L{stop}).
    """

    def __init__(self, throttle, summarize):
        """
        @param throttle: see C{throttle}.
        @param summarize: see C{summarize}.
        """
        self.throttle = throttle
        self.summarize = summarize
        self._call = None

    def admit(self, kind):
        """
        L{LogThrottle.admit}, and a summary planned when the event gets no
        line.

        @param kind: see L{LogThrottle.admit}.
        @return: what L{LogThrottle.admit} returns.
        """
        skipped = self.throttle.admit(kind)
        if skipped is None and self._call is None:
            self._later()
        return skipped

    def _later(self):
        """
        Have L{_summarize} called when the first window holding events
        left out ends.
        """
        clock = self.throttle.clock
        end = self.throttle.nextEnd()
        self._call = clock.callLater(max(end - clock.seconds(), 0),
                                     self._summarize)

    def _summarize(self):
        """
        Tell the counts of the windows that ended, and wait for the next
        one to end, if any holds events left out.
        """
        self._call = None
        for kind, count in self.throttle.takeEnded():
            self.summarize(kind, count)
        if self.throttle.nextEnd() is not None:
            self._later()

    def stop(self):
        """
        Tell every count kept now, its window ended or not, and drop the
        timer: a server stopping writes what it left out, and no timer
        of its fires later. (An event left out after this plans a
        summary again.)
        """
        if self._call is not None:
            self._call.cancel()
            self._call = None
        for kind, count in self.throttle.takeAll():
            self.summarize(kind, count)


def skippedNote(skipped):
    """
    @param skipped: what L{LogThrottle.admit} returned, not C{None}.
    @return: the text ending the log line: empty, or how many like it
        were left out, e.g. C{" (and 41 more not logged)"}.
    """
    return f" (and {skipped} more not logged)" if skipped else ""

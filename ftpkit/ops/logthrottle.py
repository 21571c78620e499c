"""
Warnings a peer can cause at will (a connection refused for want of a
PROXY header, a C{HOST} naming no virtual host), let through at most once
an interval for each kind: a peer repeating the event thousands of times
leaves a line a minute, which says how many like it were left out, instead
of a line each.
"""

INTERVAL = 60
"""Seconds between two lines of one kind."""


class LogThrottle:
    """
    Decides which events of each kind get a log line.

    @ivar clock: an C{IReactorTime} (its C{seconds}).
    @ivar interval: seconds between two lines of one kind.
    """

    def __init__(self, clock, interval=INTERVAL):
        """
        @param clock: see C{clock}.
        @param interval: see C{interval}.
        """
        self.clock = clock
        self.interval = interval
        self._last = {}
        self._skipped = {}

    def admit(self, kind):
        """
        Count one event.

        @param kind: what happened, a hashable key from a fixed few (one
            entry is kept for each: not a peer's address).
        @return: C{None} when it gets no line (one of its kind had one less
            than C{interval} seconds ago); else how many of its kind got
            none since the last line, an C{int}.
        """
        now = self.clock.seconds()
        last = self._last.get(kind)
        if last is not None and now - last < self.interval:
            self._skipped[kind] = self._skipped.get(kind, 0) + 1
            return None
        self._last[kind] = now
        return self._skipped.pop(kind, 0)


def skippedNote(skipped):
    """
    @param skipped: what L{LogThrottle.admit} returned, not C{None}.
    @return: the text ending the log line: empty, or how many like it
        were left out, e.g. C{" (and 41 more not logged)"}.
    """
    return f" (and {skipped} more not logged)" if skipped else ""

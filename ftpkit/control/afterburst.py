"""
L{AfterBurst}: when the sessions of a burst have ended, release the
memory they freed (L{ftpkit.compat.malloctrim.releaseFreed}), at most
once in a while.
"""

MINIMUM_DROP = 16
"""The fewest sessions that must have ended since the peak."""

SETTLE = 5.0
"""Seconds from the drop to the release: the rest of a burst ends
meanwhile (stalled transfers reach their data timeout together)."""

INTERVAL = 60.0
"""The fewest seconds between two releases."""


class AfterBurst:
    """
    Watches the number of live sessions. Once it fell to half its peak
    (the most seen since the last release) or below, by at least
    C{minimumDrop}, C{release} is called C{settle} seconds later, and no
    sooner than C{interval} seconds after the last call.
    """

    _pending = None
    _last = None
    _stopped = False

    def __init__(self, clock, release, minimumDrop=MINIMUM_DROP,
                 settle=SETTLE, interval=INTERVAL):
        """
        @param clock: an L{IReactorTime}.
        @param release: called without arguments to release memory.
        @param minimumDrop: see L{MINIMUM_DROP}.
        @param settle: see L{SETTLE}.
        @param interval: see L{INTERVAL}.
        """
        self._clock = clock
        self._release = release
        self._minimumDrop = minimumDrop
        self._settle = settle
        self._interval = interval
        self._peak = 0
        self._live = 0

    def counted(self, sessions):
        """
        The number of live sessions changed.

        @param sessions: how many there are now.
        """
        self._live = sessions
        if sessions > self._peak:
            self._peak = sessions
            return
        if (self._pending is not None or self._stopped
                or self._peak - sessions < self._minimumDrop
                or 2 * sessions > self._peak):
            return
        now = self._clock.seconds()
        when = now + self._settle
        if self._last is not None:
            when = max(when, self._last + self._interval)
        self._pending = self._clock.callLater(when - now, self._fire)

    def _fire(self):
        """
        Release, and count the peak again from the sessions live now.
        """
        self._pending = None
        self._last = self._clock.seconds()
        self._peak = self._live
        self._release()

    def start(self):
        """
        Watch again after L{stop} (the server listens again).
        """
        self._stopped = False

    def stop(self):
        """
        Forget a release still to come, and schedule none until L{start}
        (the server stops: its sessions still end meanwhile).
        """
        self._stopped = True
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.cancel()

"""
How far a worker's long transfers got, told to the acceptor of
C{--workers} (L{ProgressTicks}), so that the line of a transfer cut by the
worker's death (L{ftpkit.deploy.inflight}) says the bytes it moved.

A transfer is told of only once it ran L{PROGRESS_PERIOD} seconds, and
then at most once a period, when it moved bytes since: one timer of the
worker, running only while a transfer does (left to run out, not
cancelled, as the stall sweep's, L{ftpkit.data.stallsweep}), writes
every such transfer's bytes in one C{write}. A transfer shorter than a
period (a 16 KiB file) is never told of: it costs two C{dict} operations.
"""

PROGRESS_PERIOD = 1.0
"""Seconds between two reports of a running transfer's bytes, and before
the first."""


class ProgressTicks:
    """
    The worker's running transfers, and the timer that reports their
    bytes.
    """

    def __init__(self, reactor, report, send, period=PROGRESS_PERIOD):
        """
        @param reactor: the reactor whose clock and timed calls are used.
        @param report: called with a session's id and the bytes its
            transfer moved, for each transfer to report at a tick.
        @param send: called once after a tick's reports (it writes them).
        @param period: see L{PROGRESS_PERIOD}.
        """
        self._reactor = reactor
        self._report = report
        self._send = send
        self._period = period
        self._running = {}
        self._timer = None

    def started(self, session, when, moved):
        """
        A session's transfer started.

        @param session: the session's id.
        @param when: when its data connection was ready (the reactor's
            seconds).
        @param moved: a callable returning the bytes it moved so far.
        """
        self._running[session] = [moved, when, 0]
        if self._timer is None:
            self._timer = self._reactor.callLater(self._period, self._tick)

    def ended(self, session):
        """
        A session's transfer ended, or the session did: no more reports.

        @param session: the session's id.
        """
        self._running.pop(session, None)

    def _tick(self):
        """
        Report each transfer that ran a period at least and moved bytes
        since its last report; look again a period later while any runs.
        """
        self._timer = None
        if not self._running:
            return
        oldest = self._reactor.seconds() - self._period
        reported = False
        for session, held in self._running.items():
            moved, when, last = held
            if when <= oldest:
                count = moved()
                if count != last:
                    held[2] = count
                    self._report(session, count)
                    reported = True
        if reported:
            self._send()
        self._timer = self._reactor.callLater(self._period, self._tick)

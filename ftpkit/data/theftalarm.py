"""
L{TheftAlarm}: when the server watches its passive listeners, against
strangers filling their queues.

A passive listener is normally not watched until the transfer command
comes (L{ftpkit.data.passive}): the client connects first and its
connection waits in the listener's queue. A stranger who fills that queue
first (many connections to the port, kept open) keeps the client's
connection out, and the client, waiting for its connect before it sends
the command, never sends it. So a listener not taken within
L{LATE_WATCH_SECONDS} is watched from then on: its strangers are refused
(which sounds the alarm) and the client's retried connect gets in. Once a
stranger has been refused, anywhere on the server, new listeners are
watched from the PASV on for a while, so that strangers are refused as
they come and the queue keeps room for the client.
"""

ALARM_SECONDS = 300.0
"""How long new listeners are watched from the PASV on after a stranger
was refused."""

LATE_WATCH_SECONDS = 1.0
"""How long a passive listener may wait unwatched for its transfer command
(a client connects and sends it within milliseconds; one kept out of a
full queue retries its connect after a second)."""


class TheftAlarm:
    """
    When a stranger was last refused on a passive port.
    """

    def __init__(self, clock, duration=ALARM_SECONDS,
                 lateWatch=LATE_WATCH_SECONDS):
        """
        @param clock: an L{twisted.internet.interfaces.IReactorTime}.
        @param duration: see L{ALARM_SECONDS}.
        @param lateWatch: see L{LATE_WATCH_SECONDS}.
        """
        self._clock = clock
        self._duration = duration
        self._until = None
        self._lateWatch = lateWatch
        self._unwatched = {}
        self._lateCall = None
        self._stopped = False

    def sound(self):
        """
        A stranger was refused: watch new listeners from now on, for
        C{duration} seconds.
        """
        self._until = self._clock.seconds() + self._duration

    @property
    def sounding(self):
        """
        @return: whether a stranger was refused in the last C{duration}
            seconds.
        """
        return self._until is not None and self._clock.seconds() < self._until

    def watchLater(self, listener):
        """
        Watch a listener left unwatched (C{startReading()}) if it is still
        listening for its session after L{LATE_WATCH_SECONDS}.

        @param listener: a L{ftpkit.data.passive.PassiveListener}.
        """
        unwatched = self._unwatched
        unwatched.pop(listener, None)
        unwatched[listener] = self._clock.seconds() + self._lateWatch
        if self._lateCall is None:
            self._lateCall = self._clock.callLater(self._lateWatch,
                                                   self._watchLate)

    def taken(self, listener):
        """
        A listener's session is done with it (its connection came, or it
        was closed or given back to the pool): forget it.

        The timer is left to run out even when no listener is left: a
        client takes its listener within milliseconds, so a session
        transferring file after file would otherwise make and cancel a
        timed call for each (and leave the cancelled ones in the reactor's
        heap until their time); this way there is one a second at most.

        @param listener: a listener given to L{watchLater}.
        """
        unwatched = self._unwatched
        if (unwatched.pop(listener, None) is not None and not unwatched
                and self._stopped):
            self._cancel()

    def start(self):
        """
        The server listens (again): see L{taken}.
        """
        self._stopped = False

    def stop(self):
        """
        The server stops listening: from now on the timer is cancelled
        once no listener waits for it (at once if none does), so that the
        reactor is left clean.
        """
        self._stopped = True
        if not self._unwatched:
            self._cancel()

    def _cancel(self):
        call, self._lateCall = self._lateCall, None
        if call is not None:
            call.cancel()

    def _watchLate(self):
        """
        Watch the listeners whose time ran out, and wait for the next.
        """
        self._lateCall = None
        now = self._clock.seconds()
        unwatched = self._unwatched
        while unwatched:
            listener, deadline = next(iter(unwatched.items()))
            if deadline > now:
                self._lateCall = self._clock.callLater(deadline - now,
                                                       self._watchLate)
                return
            del unwatched[listener]
            listener.startReading()

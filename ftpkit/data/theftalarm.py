"""
L{TheftAlarm}: whether a stranger connected to a passive port lately,
anywhere on the server.

A passive listener is normally not watched until the transfer command
comes (L{ftpkit.data.passive}): the client connects first and its
connection waits in the listener's queue. A stranger who fills that queue
first (many connections to the port, kept open) keeps the client's
connection out, and the client, waiting for its connect before it sends
the command, never sends it: the session stalls until a timeout. Once a
stranger has been refused, new listeners are watched from the PASV on for
a while, so that strangers are refused as they come and the queue keeps
room for the client.
"""

ALARM_SECONDS = 300.0
"""How long new listeners are watched from the PASV on after a stranger
was refused."""


class TheftAlarm:
    """
    When a stranger was last refused on a passive port.
    """

    def __init__(self, clock, duration=ALARM_SECONDS):
        """
        @param clock: an L{twisted.internet.interfaces.IReactorTime}.
        @param duration: see L{ALARM_SECONDS}.
        """
        self._clock = clock
        self._duration = duration
        self._until = None

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

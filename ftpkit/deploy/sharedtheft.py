"""
The passive port theft alarm (L{ftpkit.data.theftalarm}) shared by the
workers of C{--workers}: a stranger refused on one worker's passive port
makes every worker watch its new listeners from the C{PASV} on, as it
makes a single process do ("anywhere on the server"). Each worker counting
alone, a thief found out in one worker still found the others' listeners
unwatched for their first second.

A worker that sounds its alarm tells the acceptor (C{theft}), at most once
in half the alarm's duration however many strangers come (a flood of them
must not flood the acceptor's channel); the acceptor tells every worker
(L{ftpkit.deploy.workers.WorkerPool.theftSounded}).
"""

from ftpkit.data.theftalarm import ALARM_SECONDS, TheftAlarm

THEFT = b"theft"
"""The line a worker sends, and the acceptor passes on."""


class WorkerTheftAlarm(TheftAlarm):
    """
    The C{theftAlarm} of a worker's factory: its own, told to the
    acceptor, and sounded by what the acceptor tells.
    """

    def __init__(self, clock, channel, duration=ALARM_SECONDS):
        """
        @param clock: an L{twisted.internet.interfaces.IReactorTime}.
        @param channel: the L{ftpkit.deploy.channel.Channel} to the
            acceptor.
        @param duration: see L{ALARM_SECONDS}.
        """
        TheftAlarm.__init__(self, clock, duration)
        self.channel = channel
        self._halfDuration = duration / 2
        self._told = None

    def sound(self):
        """
        See L{TheftAlarm.sound}; the acceptor is told, unless it was in
        the last half duration.
        """
        TheftAlarm.sound(self)
        now = self._clock.seconds()
        if self._told is None or now - self._told >= self._halfDuration:
            self._told = now
            self.channel.sendLine(THEFT)

    def lineReceived(self, line):
        """
        Take in what the acceptor tells: another worker refused a
        stranger.

        @param line: a line from the acceptor (one of another kind is
            skipped).
        """
        if line == THEFT:
            TheftAlarm.sound(self)

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
(L{ftpkit.deploy.workers.WorkerPool.theftSounded}). A worker started in
place of one that died is told too, as it gets ready, while the alarm
may still sound (L{AcceptorTheftAlarm}): it would have watched nothing
for a thief found out before it started.
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


class AcceptorTheftAlarm:
    """
    What the acceptor knows of the alarm: when a worker last told it.
    Workers tell it at most once in half the alarm's duration while
    strangers keep coming, so the alarm may sound in a worker for up to
    one and a half durations after that.
    """

    def __init__(self, duration=ALARM_SECONDS):
        """
        @param duration: see L{ALARM_SECONDS}.
        """
        self._duration = duration
        self._told = None

    def told(self, now):
        """
        A worker sounded its alarm.

        @param now: the time, in seconds.
        """
        self._told = now

    def mayBeSounding(self, now):
        """
        @param now: the time, in seconds.
        @return: whether a worker that gets ready now is to sound its
            alarm (L{THEFT}).
        """
        return self._told is not None and (
            now - self._told < self._duration * 1.5)

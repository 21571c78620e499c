"""
L{IdleWatch}: the idle timeouts of every session that has the same
timeout, on one timed call; L{WatchedTimeout}: Twisted's C{TimeoutMixin}
for a session, on its server's watch. A watch serves another deadline
that way too: the time a session has to log in (C{--login-timeout}),
which starts at the connection and is not moved by the commands
(L{ftpkit.control.loginwatch.LoginWatch}).

A timed call per session (Twisted's C{TimeoutMixin}) costs its making, a
place in the reactor's heap, a reset at every command and a cancel at the
end, and the memory of a C{DelayedCall} for as long as the session lives.
Sessions with one timeout expire in the order they were last active, so
keeping them in that order (a dict: moving one to the end is a pop and an
insert) lets one call, at the first of their deadlines, serve them all.

While a server holds the watch (L{IdleWatch.hold}), the call is not
cancelled when the last session leaves: it runs out, finding nobody, or
serves the next session. A lone client logging in again and again would
otherwise make and cancel a timed call per session.
"""

from twisted.logger import Logger
from twisted.protocols.policies import TimeoutMixin


class IdleWatch:
    """
    Tells each watched session, through its C{timeoutConnection} (or the
    method named by C{expire}), once it has not been L{touch}ed for
    C{timeout} seconds.

    @ivar timeout: the seconds a session may stay idle.
    @ivar expire: the name of the method called on a session whose time
        is over.
    """

    log = Logger()

    def __init__(self, reactor, timeout, expire="timeoutConnection"):
        """
        @param reactor: an L{twisted.internet.interfaces.IReactorTime}.
        @param timeout: the seconds a session may stay idle.
        @param expire: see L{expire}.
        """
        self._reactor = reactor
        self.timeout = timeout
        self.expire = expire
        self._deadlines = {}
        self._call = None
        self._expiring = False
        self._holders = 0

    def __len__(self):
        """
        @return: how many sessions are watched.
        """
        return len(self._deadlines)

    def touch(self, session):
        """
        Start C{session}'s idle time again (watching it from now on, if it
        was not).

        @param session: an object with the method named by L{expire}.
        """
        deadlines = self._deadlines
        deadlines.pop(session, None)
        deadlines[session] = self._reactor.seconds() + self.timeout
        if self._call is None and not self._expiring:
            self._call = self._reactor.callLater(self.timeout, self._expire)

    def forget(self, session):
        """
        Stop watching C{session}; with no session left and no server
        holding the watch, nothing stays scheduled.

        @param session: a session given to L{touch}, or another object.
        """
        deadlines = self._deadlines
        deadlines.pop(session, None)
        if not deadlines and not self._holders:
            self._cancel()

    def hold(self):
        """
        A server started: until it calls L{release}, the timed call is
        left to run out when the last session leaves, rather than
        cancelled.
        """
        self._holders += 1

    def release(self):
        """
        A server that called L{hold} stopped: once none holds the watch,
        the timed call is cancelled when no session is left (at once if
        none is), so that the reactor is left clean.
        """
        self._holders -= 1
        if not self._holders and not self._deadlines:
            self._cancel()

    def _cancel(self):
        """
        Cancel the timed call, if any.
        """
        if self._call is not None:
            self._call.cancel()
            self._call = None

    def _expire(self):
        """
        Time out the sessions whose deadline has come, in the order they
        went idle, then wait for the next deadline.
        """
        self._call = None
        self._expiring = True
        deadlines = self._deadlines
        try:
            now = self._reactor.seconds()
            while deadlines:
                session = next(iter(deadlines))
                if deadlines[session] > now:
                    break
                del deadlines[session]
                try:
                    getattr(session, self.expire)()
                except Exception:
                    self.log.failure("{expire} of {session!r} failed",
                                     expire=self.expire, session=session)
        finally:
            self._expiring = False
        if deadlines:
            first = deadlines[next(iter(deadlines))]
            self._call = self._reactor.callLater(
                max(0.0, first - self._reactor.seconds()), self._expire)


class WatchedTimeout(TimeoutMixin):
    """
    L{TimeoutMixin} (C{setTimeout}, C{resetTimeout}, C{timeoutConnection})
    on the factory's shared L{IdleWatch} for the session's period instead
    of a timed call of its own.

    Mixed into a protocol whose C{factory} has an C{idleWatch(period)}
    method giving the L{IdleWatch} of that period (as
    L{ftpkit.control.server.FTPFactory} does).

    @ivar idleWatch: the L{IdleWatch} watching the session, or C{None}
        when it is not watched. A protocol may touch it itself, as
        L{resetTimeout} does, where a call counts.
    """

    idleWatch = None

    def setTimeout(self, period):
        """
        Watch the session's idle time.

        @param period: the seconds it may stay idle from now on, or
            C{None} to stop watching it.
        @return: the period it had before.
        """
        previous = self.timeOut
        self.timeOut = period
        if self.idleWatch is not None:
            self.idleWatch.forget(self)
            self.idleWatch = None
        if period is not None:
            self.idleWatch = self.factory.idleWatch(period)
            self.idleWatch.touch(self)
        return previous

    def resetTimeout(self):
        """
        The session did something: its idle time starts again.
        """
        watch = self.idleWatch
        if watch is not None:
            watch.touch(self)

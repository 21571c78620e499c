"""
L{IdleWatch}: the idle timeouts of every session that has the same
timeout, on one timed call.

A timed call per session (Twisted's C{TimeoutMixin}) costs its making, a
place in the reactor's heap, a reset at every command and a cancel at the
end, and the memory of a C{DelayedCall} for as long as the session lives.
Sessions with one timeout expire in the order they were last active, so
keeping them in that order (a dict: moving one to the end is a pop and an
insert) lets one call, at the first of their deadlines, serve them all.
"""

from twisted.logger import Logger


class IdleWatch:
    """
    Tells each watched session, through its C{timeoutConnection}, once it
    has not been L{touch}ed for C{timeout} seconds.

    @ivar timeout: the seconds a session may stay idle.
    """

    log = Logger()

    def __init__(self, reactor, timeout):
        """
        @param reactor: an L{twisted.internet.interfaces.IReactorTime}.
        @param timeout: the seconds a session may stay idle.
        """
        self._reactor = reactor
        self.timeout = timeout
        self._deadlines = {}
        self._call = None
        self._expiring = False

    def __len__(self):
        """
        @return: how many sessions are watched.
        """
        return len(self._deadlines)

    def touch(self, session):
        """
        Start C{session}'s idle time again (watching it from now on, if it
        was not).

        @param session: an object with a C{timeoutConnection} method.
        """
        deadlines = self._deadlines
        deadlines.pop(session, None)
        deadlines[session] = self._reactor.seconds() + self.timeout
        if self._call is None and not self._expiring:
            self._call = self._reactor.callLater(self.timeout, self._expire)

    def forget(self, session):
        """
        Stop watching C{session}; with no session left, nothing stays
        scheduled.

        @param session: a session given to L{touch}, or another object.
        """
        deadlines = self._deadlines
        deadlines.pop(session, None)
        if not deadlines and self._call is not None:
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
                    session.timeoutConnection()
                except Exception:
                    self.log.failure("idle timeout of {session!r} failed",
                                     session=session)
        finally:
            self._expiring = False
        if deadlines:
            first = deadlines[next(iter(deadlines))]
            self._call = self._reactor.callLater(
                max(0.0, first - self._reactor.seconds()), self._expire)

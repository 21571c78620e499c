"""
L{LoginWatch}: the one owner of the time a session has to log in
(C{--login-timeout}). Its deadline is set when the client connects, and
again when a user is logged out of a session that goes on (C{REIN},
C{AUTH TLS} after a login in clear); a session started afresh before any
login (C{REIN}, C{HOST}, C{AUTH TLS}) keeps it, so that sending those now
and then does not keep a client connected without logging in; a login or
the connection's end drops it.

The deadlines are an L{IdleWatch}'s: one timed call serves every session
and calls the C{loginTimedOut} of each whose time is over, whether it
sent anything or not. A command line that comes after the deadline asks
the watch too (L{LoginWatch.overdue}): one read before that call ran, or
one after the answer of a command that was running at the deadline (a
C{PASS} being checked, its failure's delay), for which the session was
given the time once more (L{LoginWatch.extend}) without a new deadline.
The commands used to count from a time kept on the session itself, on
another clock than the watch's.
"""

from ftpkit.control.idlewatch import IdleWatch


class LoginWatch(IdleWatch):
    """
    The sessions not logged in, each with the time by which it must log
    in; those whose time is over but that were given it once more for a
    command's answer are late.
    """

    def __init__(self, reactor, timeout, expire="loginTimedOut"):
        """
        @param reactor: an L{twisted.internet.interfaces.IReactorTime}.
        @param timeout: the seconds a session has to log in.
        @param expire: the name of the method called on a session whose
            time is over.
        """
        IdleWatch.__init__(self, reactor, timeout, expire)
        self._late = set()

    def start(self, session):
        """
        Give a session the whole time to log in, from now.

        @param session: an object with the method named by C{expire}.
        """
        self.touch(session)

    def extend(self, session):
        """
        A session whose time is over has a command still running: it is
        told again once the time has passed once more, and it stays late
        (L{overdue}) meanwhile.

        @param session: a session whose time is over.
        """
        self._late.add(session)
        self.touch(session)

    def stop(self, session):
        """
        The session logged in, or its connection ended: it is no longer
        watched.

        @param session: a session given to L{start}, or another object.
        """
        if self._late:
            self._late.discard(session)
        self.forget(session)

    def overdue(self, session):
        """
        @param session: a session not logged in.
        @return: whether its time to log in is over (C{False} for one not
            watched).
        """
        if session in self._late:
            return True
        deadline = self._deadlines.get(session)
        return deadline is not None and deadline <= self._reactor.seconds()

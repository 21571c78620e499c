"""
L{LeftWork}: work that outlives what started it, counted until it ends,
which a server's stop (L{ftpkit.ops.drain.Drain},
L{ftpkit.loopback.LoopbackServer.stop}) waits for within its grace
(L{ftpkit.ops.drain.finishLeft}): what the shell still does for the
sessions whose client left (L{ftpkit.control.connectionlife.ConnectionLife._leave}:
a slow C{DELE} or C{MKD}, an open cut short, an upload's commit), which
no longer count anywhere, and an observer's calls
(L{ftpkit.ops.observers.ObserverSubscription}), which no session waits
for. A stop that took the sessions' end for the end of their work let
the process end under it (an upload whose client sent every byte and
left while its file was being committed: its C{close} never made, the
upload neither logged nor, on a store that places the file at its
C{close}, stored; an observer's notice of the last upload: never sent),
and let a test end with it running.
"""

from ftpkit.blocking import CallCount
from ftpkit.deferreds import within


class LeftWork:
    """
    Work left running (see the module), counted until it ends.
    """

    def __init__(self, reactor=None):
        """
        @param reactor: provides C{IReactorTime}, for L{finish}'s bound;
            the global reactor when C{None}.
        """
        self._reactor = reactor
        self._calls = CallCount()
        self._timers = []

    def hold(self, work):
        """
        Count C{work} until it ends.

        @param work: a Deferred firing once the work ended (the shell
            answered what a session whose client left was waiting for,
            and its user was logged out; an observer's call finished).
        @return: C{work}, its result passed on.
        """
        self._calls.started()
        return work.addBoth(self._calls.ended)

    def finish(self, left):
        """
        @param left: the seconds the stop may still wait (what is left of
            its grace).
        @return: a Deferred firing once no work is left, or once C{left}
            seconds passed (a shell that never answers must not keep the
            process from ending); a shorter bound given later (a drain
            hurried by C{SIGQUIT}) ends the waits begun before as soon.
            No timer is left behind.
        """
        idle = self._calls.whenIdle()
        if idle.called:
            return idle
        if self._reactor is None:
            from twisted.internet import reactor

            self._reactor = reactor
        ends = self._reactor.seconds() + left
        for timer in self._timers:
            if timer.getTime() > ends:
                timer.reset(left)
        done, timer = within(idle, left, self._reactor)
        self._timers.append(timer)
        return done.addCallback(lambda ignored: self._timers.remove(timer))

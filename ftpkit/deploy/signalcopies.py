"""
A signal's copies (L{Copies}): one operator's signal can reach the server
twice. C{timeout -s HUP} signals its child, then the child's process
group. The kernel merges the two only while the first is still pending,
and the process the first one wakes may run before C{timeout} sends the
second, through its whole handling of the first, so the server (one
process, or the acceptor of C{--workers}) often acted twice: two
reloads, each passed on to every worker, for one C{SIGHUP}, and a
C{SIGTERM again} line for one C{SIGTERM}.

So the same signal coming within L{COPY_WINDOW} of one that was acted
on is its copy, and adds nothing; a reload begins only once that window
is over, so that it reads the files as they are after every copy (no
change is missed: a later signal asks for another reload). Under
C{--workers} a worker leaves its signals to the acceptor
(L{ftpkit.deploy.workersignals}), so the acceptor's handlers are the one
place this is decided.
"""

COPY_WINDOW = 0.2
"""
Seconds after a signal during which the same signal is its copy:
C{timeout}'s two are microseconds apart when nothing else runs, a few
milliseconds when the server it woke runs first. An operator's deliberate
second signal comes later; one that does not still gets what it asked
for (one reload after both, one stop).
"""


class Copies:
    """
    The signals whose L{COPY_WINDOW} is open.

    @ivar reactor: the reactor (the global one when C{None}).
    """

    def __init__(self, reactor=None):
        """
        @param reactor: see L{reactor}.
        """
        self.reactor = reactor
        self._open = {}

    def first(self, number, after=None):
        """
        Tell a signal from a copy, in the signal's handler.

        @param number: the signal's number.
        @param after: a callable taking no argument, called in the reactor
            thread once the signal's window is over (the reload a
            C{SIGHUP} asks for), or C{None}.
        @return: whether the signal is not a copy; if so, its window is
            open from now.
        """
        reactor = self.reactor
        if reactor is None:
            from twisted.internet import reactor
        # Measured from the signal, not from when the reactor next runs:
        # one busy for seconds (starting the workers) kept the window
        # open, and took an operator's later signals for copies.
        now = reactor.seconds()
        opened = self._open.get(number)
        if opened is not None and now - opened < COPY_WINDOW:
            return False
        self._open[number] = now
        if after is None:
            # The window closes by the clock alone: nothing is asked of
            # the reactor, which may have stopped (a signal as the
            # process ends).
            return True

        def over():
            if self._open.get(number) == now:
                del self._open[number]
            after()

        reactor.callFromThread(reactor.callLater, COPY_WINDOW, over)
        return True

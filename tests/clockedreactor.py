"""
A reactor whose timed calls run on a test's clock: what it starts (a
process, a connection) runs for real, while its time limits wait for the
test to advance the clock once what it looks for has happened, however
long a loaded machine took.
"""


class ClockedReactor:
    """
    The reactor given, but for C{callLater} and C{seconds}, which are a
    L{twisted.internet.task.Clock}'s.

    @ivar clock: the clock of the timed calls.
    """

    def __init__(self, reactor, clock):
        """
        @param reactor: the reactor everything else goes to.
        @param clock: see L{clock}.
        """
        self._reactor = reactor
        self.clock = clock

    def __getattr__(self, name):
        return getattr(self._reactor, name)

    def callLater(self, delay, function, *args, **kwargs):
        """
        @return: the clock's C{IDelayedCall} for C{function}.
        """
        return self.clock.callLater(delay, function, *args, **kwargs)

    def seconds(self):
        """
        @return: the clock's time.
        """
        return self.clock.seconds()

"""
The reactor's C{timeout()}, how long the next poll may wait, worked out
as Twisted's C{ReactorBase.timeout} does but without its calls to the
built-ins C{min} and C{max}: CPython 3.11 parses their keyword arguments
(C{key}, C{default}) at every call, and the main loop asks at every turn,
two to five turns for each command a client sends (the instructions saved
are in C{docs/benchmark-investigations.rst}, "The reactor's timeout without C{min} and
C{max}"). The new timed calls are moved into the heap only when there
are some, as Twisted's C{_insertNewDelayedCalls} itself checks first.

Private names read (each checked, with Twisted's own C{timeout} kept when
one is missing):

    - C{ReactorBase._newTimedCalls}, C{_insertNewDelayedCalls} and
      C{_pendingTimedCalls}: what C{timeout} itself uses.
"""

from twisted.internet import base

LONGEST = 2147483
"""The longest wait, in seconds, as Twisted's: C{2 ** 31} milliseconds,
what C{epoll_wait} takes as a C{int}."""


def leanTimeout(reactor):
    """
    @param reactor: a reactor based on Twisted's C{ReactorBase}.
    @return: a function of no argument giving what C{reactor.timeout()}
        gives: C{None} with no timed call pending, else the seconds until
        the first is due, at least 0 and at most L{LONGEST}.
    """
    def timeout():
        if reactor._newTimedCalls:
            reactor._insertNewDelayedCalls()
        pending = reactor._pendingTimedCalls
        if not pending:
            return None
        delay = pending[0].time - reactor.seconds()
        if delay < LONGEST:
            return delay if delay > 0 else 0
        return LONGEST
    return timeout


def timeoutLeanly(reactor):
    """
    Make C{reactor}'s main loop ask L{leanTimeout} how long to wait, if
    it is a reactor whose C{timeout} is Twisted's own and that has the
    names it reads; leave any other as it is.

    @param reactor: the reactor.
    @return: whether it now does.
    """
    if not isinstance(reactor, base.ReactorBase) or (
            type(reactor).timeout is not base.ReactorBase.timeout):
        return False
    if not all(hasattr(reactor, name)
               for name in ("_newTimedCalls", "_insertNewDelayedCalls",
                            "_pendingTimedCalls")):
        return False
    reactor.timeout = leanTimeout(reactor)
    return True

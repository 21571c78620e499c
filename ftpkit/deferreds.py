"""
Small helpers about Deferreds: L{isDeferred}, C{isinstance(value,
Deferred)} for the checks made on every login and transfer; L{within},
a wait for a Deferred bounded by a time (a server's stop waiting for
work that may never end).

Twisted's L{Deferred} is an C{Awaitable}, so its class is an
C{abc.ABCMeta}: C{isinstance} of anything else goes through
C{ABCMeta.__instancecheck__} (a Python frame, the class's caches), where
most of those checks are of a reply tuple, C{None} or a connection.
"""

from twisted.internet.defer import Deferred


def isDeferred(value):
    """
    @param value: anything.
    @return: whether C{value} is a L{Deferred} (or of a subclass), as
        C{isinstance} tells but for classes registered with
        C{Deferred.register}, which nothing does.
    """
    return Deferred in type(value).__mro__


def within(deferred, seconds, reactor):
    """
    Wait for C{deferred}, but no longer than C{seconds}.

    @param deferred: the Deferred waited for; left alone (its result, or
        its failure, goes on to its next callbacks).
    @param seconds: the longest wait.
    @param reactor: provides C{IReactorTime}.
    @return: C{(done, timer)}: C{done} a Deferred firing with C{None}
        when C{deferred} fires or C{seconds} have passed, whichever is
        first; C{timer} the L{twisted.internet.interfaces.IDelayedCall} of
        C{seconds}, which the caller may C{reset} to wait less (or more).
        Once C{done} fired, no timer is left behind.
    """
    done = Deferred()
    timer = reactor.callLater(seconds, done.callback, None)

    def fired(result):
        if timer.active():
            timer.cancel()
            done.callback(None)
        return result

    deferred.addBoth(fired)
    return done, timer

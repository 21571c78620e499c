"""
L{waitAtMost}: wait for a storage's answer no longer than a session may
stay unanswered.

A transfer that failed (cut by C{ABOR}, by the data watchdog, by the
client) aborts its upload file before it replies, so that what the abort
keeps (a partial upload for a resume) is in place when the client sends
its next command. But the upload file aborts only once its write in
flight ended, and a storage plugin whose write never ends would then
hold the session's reply, its C{ABOR}, its C{QUIT}, and its idle timeout
(held while a transfer runs) for ever.
"""

from twisted.internet.defer import Deferred


def waitAtMost(operation, reactor, seconds, late):
    """
    Wait for C{operation}, but no longer than C{seconds}; it goes on after
    that, unwatched.

    @param operation: a L{Deferred}.
    @param reactor: an L{IReactorTime}.
    @param seconds: the longest wait.
    @param late: called without arguments if C{operation} had not fired
        by then (to log it).
    @return: a L{Deferred} firing with C{operation}'s result (or failing
        with its failure) if it came in time, else with C{None} after
        C{seconds}.
    """
    if operation.called:
        return operation
    waiter = Deferred()

    def expired():
        late()
        waiter.callback(None)

    timer = reactor.callLater(seconds, expired)

    def arrived(result):
        if timer.active():
            timer.cancel()
            waiter.callback(result)
        elif not waiter.called:
            waiter.callback(None)
        return None

    operation.addBoth(arrived)
    return waiter

"""
L{start}: run a command handler's coroutine as
L{Deferred.fromCoroutine<twisted.internet.defer.Deferred.fromCoroutine>}
does, but take its result at once, without a L{Deferred}, when its first
step finishes it.

Many commands finish without waiting (a small file in the page cache is
sent whole while its C{RETR} runs); making a L{Deferred}, a cancellation
status and a context per such command, and running its callbacks, costs
more than the rest of the command's bookkeeping. A coroutine that does
wait goes on under Twisted's own driver, from where it stopped.
"""

from twisted.internet import defer


def start(coroutine):
    """
    Run the first step of C{coroutine}.

    @param coroutine: a coroutine (or generator) that waits only on what
        Twisted's driver accepts (L{defer.Deferred}s, other coroutines).
    @return: C{(result, None)} when the first step finished it; otherwise
        C{(None, deferred)}, the L{defer.Deferred} of
        L{defer.Deferred.fromCoroutine} driving the rest.
    @raise BaseException: what the coroutine raised in its first step.
    """
    try:
        waitingOn = coroutine.send(None)
    except StopIteration as finished:
        return finished.value, None
    return None, defer.Deferred.fromCoroutine(_resumed(coroutine, waitingOn))


def _resumed(coroutine, waitingOn):
    """
    The rest of a coroutine whose first step ran and stopped at
    C{waitingOn}, as a generator for Twisted's driver: what the driver
    sends or throws goes into the coroutine, what the coroutine yields or
    returns goes to the driver (C{yield from}, for a coroutine already
    started).

    @param coroutine: the coroutine.
    @param waitingOn: what its first step yielded.
    """
    yielded = waitingOn
    while True:
        try:
            sent = yield yielded
        except GeneratorExit:
            coroutine.close()
            raise
        except BaseException as e:
            step, value = coroutine.throw, e
        else:
            step, value = coroutine.send, sent
        try:
            yielded = step(value)
        except StopIteration as finished:
            return finished.value

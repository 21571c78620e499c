"""
L{start}: run a command handler's coroutine, as
L{Deferred.fromCoroutine<twisted.internet.defer.Deferred.fromCoroutine>}
does, for less.

Many commands finish without waiting (a small file in the page cache is
sent whole while its C{RETR} runs); their result is taken at once, with no
L{Deferred} at all. A command that waits (a download, for its client to
end the data connection) is resumed from the callbacks of the
L{Deferred} it waits on. Twisted's driver also gives every coroutine a
copy of the context variables and a logging context, and runs each step
through them; a command's coroutine uses neither, and paying for them on
every download cost more than the rest of its bookkeeping in the control
connection.
"""

from twisted.internet import defer
from twisted.python.failure import Failure

UNSETTLED = object()
"""What L{settled} gives for what has no success to give yet."""


def settled(awaitable):
    """
    What awaiting C{awaitable} would give at once, without awaiting it:
    a coroutine awaiting a fired L{defer.Deferred} still goes through its
    iterator and a C{StopIteration}, a visible share of a small upload's
    work.

    @param awaitable: anything a coroutine may await.
    @return: the result of a L{defer.Deferred} that fired with a success
        and is not paused; L{UNSETTLED} for anything else (a failure, a
        Deferred still waiting, a coroutine), which the caller awaits.
    """
    if (type(awaitable) is defer.Deferred and awaitable.called
            and not awaitable.paused):
        result = awaitable.result
        if not isinstance(result, Failure):
            return result
    return UNSETTLED


def start(coroutine):
    """
    Run the first step of C{coroutine}.

    @param coroutine: a coroutine (or generator) that waits only on
        L{defer.Deferred}s (directly or through other coroutines).
    @return: C{(result, None)} when the first step finished it; otherwise
        C{(None, deferred)}, a L{defer.Deferred} firing with what it
        returns, or failing with what it raises.
    @raise BaseException: what the coroutine raised in its first step.
    """
    try:
        waitingOn = coroutine.send(None)
    except StopIteration as finished:
        return finished.value, None
    driver = _Driver(coroutine)
    driver.waitOn(waitingOn)
    return None, driver.result


class _Driver:
    """
    Resumes a coroutine whenever the L{defer.Deferred} it waits on fires,
    until it ends.

    @ivar result: a L{defer.Deferred} firing with what the coroutine
        returns, or failing with what it raises; cancelling it cancels
        what the coroutine waits on.
    """

    __slots__ = ("_coroutine", "_waitingOn", "result")

    def __init__(self, coroutine):
        self._coroutine = coroutine
        self._waitingOn = None
        self.result = defer.Deferred(self._cancel)

    def _cancel(self, result):
        waitingOn = self._waitingOn
        if waitingOn is not None:
            waitingOn.cancel()

    def waitOn(self, waitingOn):
        """
        @param waitingOn: what the coroutine yielded: an unfired
            L{defer.Deferred} (awaiting a fired one does not yield), or
            anything else, sent straight back as Twisted's driver does.
        """
        if isinstance(waitingOn, defer.Deferred):
            self._waitingOn = waitingOn
            waitingOn.addCallbacks(self._sent, self._thrown)
        else:
            self._sent(waitingOn)

    def _sent(self, value):
        self._step(self._coroutine.send, value)

    def _thrown(self, failure):
        self._step(failure.throwExceptionIntoGenerator, self._coroutine)

    def _step(self, step, argument):
        """
        Resume the coroutine with C{step(argument)}, then wait on what it
        yields next, or fire L{result} with how it ended.
        """
        self._waitingOn = None
        try:
            waitingOn = step(argument)
        except StopIteration as finished:
            self.result.callback(finished.value)
        except BaseException:
            self.result.errback(Failure())
        else:
            self.waitOn(waitingOn)

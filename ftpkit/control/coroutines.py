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
connection. A caller that gives its own callbacks (a session's queued
command) has them called when the coroutine ends, without a L{Deferred}
of the driver's own: under load most downloads wait for their client to
end the data connection, and firing that Deferred was a share of each
one's resumed path.
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


def start(coroutine, onResult=None, onFailure=None, args=()):
    """
    Run the first step of C{coroutine}.

    @param coroutine: a coroutine (or generator) that waits only on
        L{defer.Deferred}s (directly or through other coroutines).
    @param onResult: C{None}, or called as C{onResult(value, *args)} with
        what the coroutine returns, if it waits first: then no
        L{defer.Deferred} is made for its outcome.
    @param onFailure: with C{onResult}: called as C{onFailure(failure,
        *args)} with a L{Failure} of what it raises after waiting.
    @param args: more arguments for C{onResult} and C{onFailure}.
    @return: C{(result, None)} when the first step finished it; otherwise
        C{(None, deferred)}, a L{defer.Deferred} firing with what it
        returns, or failing with what it raises; with C{onResult},
        C{(None, running)}, a L{Running}.
    @raise BaseException: what the coroutine raised in its first step.
    """
    try:
        waitingOn = coroutine.send(None)
    except StopIteration as finished:
        return finished.value, None
    if onResult is None:
        driver = _Driver(coroutine)
        driver.waitOn(waitingOn)
        return None, driver.result
    running = Running(coroutine, (onResult, onFailure), args)
    running.waitOn(waitingOn)
    return None, running


class _Stepping:
    """
    Resumes a coroutine whenever the L{defer.Deferred} it waits on fires,
    until it ends; how it ends is the subclass's C{_end(failed, outcome)}
    (L{_Driver._end}, L{Running._end}).
    """

    __slots__ = ("_coroutine", "_waitingOn")

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
        """
        What the coroutine waited on gave C{value}: resume it with that.

        @param value: the result.
        """
        self._step(self._coroutine.send, value)

    def _thrown(self, failure):
        """
        What the coroutine waited on failed: raise that in it.

        @param failure: the L{Failure}.
        """
        self._step(failure.throwExceptionIntoGenerator, self._coroutine)

    def _step(self, step, argument):
        """
        Resume the coroutine with C{step(argument)}, then wait on what it
        yields next, or end (the subclass's C{_end}) with how it ended.

        @param step: the coroutine's C{send}, or a failure's
            C{throwExceptionIntoGenerator}.
        @param argument: the value sent, or the coroutine to throw into.
        """
        self._waitingOn = None
        try:
            waitingOn = step(argument)
        except StopIteration as finished:
            self._end(0, finished.value)
        except BaseException:
            self._end(1, Failure())
        else:
            self.waitOn(waitingOn)


class _Driver(_Stepping):
    """
    A coroutine driven to its end, which fires L{result}.

    @ivar result: a L{defer.Deferred} firing with what the coroutine
        returns, or failing with what it raises; cancelling it cancels
        what the coroutine waits on.
    """

    __slots__ = ("result",)

    def __init__(self, coroutine):
        """
        @param coroutine: the coroutine, its first step run.
        """
        self._coroutine = coroutine
        self._waitingOn = None
        self.result = defer.Deferred(self._cancel)

    def _cancel(self, result):
        """
        L{result} was cancelled: cancel what the coroutine waits on.

        @param result: L{result}.
        """
        waitingOn = self._waitingOn
        if waitingOn is not None:
            waitingOn.cancel()

    def _end(self, failed, outcome):
        """
        The coroutine ended: fire L{result}.

        @param failed: 1 if it raised, else 0.
        @param outcome: what it returned, or a L{Failure} of what it raised.
        """
        if failed:
            self.result.errback(outcome)
        else:
            self.result.callback(outcome)


class Running(_Stepping):
    """
    A coroutine driven to its end, which calls its caller's callbacks
    directly (L{start}'s C{onResult} and C{onFailure}) rather than
    through a L{defer.Deferred}.

    @ivar called: whether it has ended (its callbacks called).
    """

    __slots__ = ("_ends", "_args", "called", "_waiters")

    def __init__(self, coroutine, ends, args):
        """
        @param coroutine: the coroutine, its first step run.
        @param ends: C{(onResult, onFailure)}.
        @param args: more arguments for them.
        """
        self._coroutine = coroutine
        self._waitingOn = None
        self._ends = ends
        self._args = args
        self.called = False
        self._waiters = None

    def _end(self, failed, outcome):
        """
        The coroutine ended: call the callback for how, then tell those
        waiting in L{whenDone}.

        @param failed: 1 if it raised, else 0.
        @param outcome: what it returned, or a L{Failure} of what it raised.
        """
        self.called = True
        try:
            self._ends[failed](outcome, *self._args)
        finally:
            waiters, self._waiters = self._waiters, None
            for waiter in waiters or ():
                waiter.callback(None)

    def whenDone(self):
        """
        @return: a Deferred firing with C{None} once the coroutine has
            ended and its callback has returned (at once if it has).
        """
        waiter = defer.Deferred()
        if self.called:
            waiter.callback(None)
        elif self._waiters is None:
            self._waiters = [waiter]
        else:
            self._waiters.append(waiter)
        return waiter

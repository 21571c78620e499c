"""
L{ftpkit.control.coroutines.start} runs a coroutine as
L{Deferred.fromCoroutine} does, giving the result at once when the first
step finishes it, and resuming it from the callbacks of what it waits on.
"""

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.control.coroutines import start


class StartTests(unittest.TestCase):
    """
    L{start} takes a coroutine's result at once, or drives the rest as
    Twisted's driver would.
    """

    def test_finishedAtOnce(self):
        """
        A coroutine that waits on nothing (or on fired Deferreds) gives its
        result and no Deferred.
        """
        async def quick():
            return await defer.succeed(1) + 1

        self.assertEqual(start(quick()), (2, None))

    def test_raisesAtOnce(self):
        """
        What the first step raises is raised.
        """
        async def failing():
            await defer.succeed(None)
            raise ValueError("no")

        self.assertRaises(ValueError, start, failing())

    def test_waits(self):
        """
        A coroutine that waits gives a Deferred firing with its result,
        through every later wait.
        """
        first, second = defer.Deferred(), defer.Deferred()

        async def slow():
            a = await first
            b = await defer.succeed(10)
            return a + b + await second

        result, waiting = start(slow())
        self.assertIsNone(result)
        self.assertNoResult(waiting)
        first.callback(1)
        self.assertNoResult(waiting)
        second.callback(100)
        self.assertEqual(self.successResultOf(waiting), 111)

    def test_failureThrownIn(self):
        """
        A Deferred it waits on that fails raises in the coroutine, where it
        can be caught.
        """
        waitingOn = defer.Deferred()

        async def catching():
            try:
                await waitingOn
            except ValueError as e:
                return "caught " + str(e)

        _, waiting = start(catching())
        waitingOn.errback(ValueError("late"))
        self.assertEqual(self.successResultOf(waiting), "caught late")

    def test_laterFailure(self):
        """
        What the coroutine raises after waiting fails the Deferred.
        """
        waitingOn = defer.Deferred()

        async def failingLater():
            await waitingOn
            raise KeyError("gone")

        _, waiting = start(failingLater())
        waitingOn.callback(None)
        self.failureResultOf(waiting, KeyError)

    def test_cancel(self):
        """
        Cancelling the Deferred cancels what the coroutine waits on, and
        the coroutine sees the L{defer.CancelledError}.
        """
        waitingOn = defer.Deferred()
        seen = []

        async def cancelled():
            try:
                await waitingOn
            except defer.CancelledError:
                seen.append("cancelled")
                raise

        _, waiting = start(cancelled())
        waiting.cancel()
        self.failureResultOf(waiting, defer.CancelledError)
        self.assertEqual(seen, ["cancelled"])

    def test_nested(self):
        """
        A wait inside an awaited coroutine stops the first step too.
        """
        waitingOn = defer.Deferred()

        async def inner():
            return await waitingOn

        async def outer():
            return [await inner()]

        _, waiting = start(outer())
        waitingOn.callback("x")
        self.assertEqual(self.successResultOf(waiting), ["x"])

    def test_notADeferred(self):
        """
        Anything else a generator yields is sent straight back, as
        Twisted's driver does.
        """
        waitingOn = defer.Deferred()

        def generator():
            echoed = yield "not a Deferred"
            return (echoed, (yield waitingOn))

        _, waiting = start(generator())
        waitingOn.callback(2)
        self.assertEqual(self.successResultOf(waiting),
                         ("not a Deferred", 2))

"""
L{ftpkit.control.coroutines.start} runs a coroutine as
L{Deferred.fromCoroutine} does, giving the result at once when the first
step finishes it, and resuming it from the callbacks of what it waits on;
L{ftpkit.control.coroutines.settled} takes a fired Deferred's result
without awaiting it. Given callbacks of its own (a session's queued
command), C{start} calls them when the coroutine ends, with no Deferred
of its own (L{ftpkit.control.coroutines.Running}).
"""

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.control.coroutines import UNSETTLED, Running, settled, start


class CallbackTests(unittest.TestCase):
    """
    L{start} with C{onResult} and C{onFailure} calls them itself.
    """

    def setUp(self):
        self.calls = []

    def _result(self, value, *args):
        self.calls.append(("result", value) + args)

    def _failure(self, failure, *args):
        self.calls.append(("failure", failure.type) + args)

    def test_atOnce(self):
        """
        A coroutine its first step finishes gives its result, as without
        callbacks, and they are not called.
        """
        async def quick():
            return 7

        self.assertEqual(start(quick(), self._result, self._failure, ("a",)),
                         (7, None))
        self.assertEqual(self.calls, [])

    def test_waits(self):
        """
        One that waits gives a L{Running}, not a Deferred; its end calls
        C{onResult} with the value and the arguments, and sets C{called}.
        """
        waitingOn = defer.Deferred()

        async def slow():
            return await waitingOn + 1

        result, running = start(slow(), self._result, self._failure,
                                ("RETR", "f"))
        self.assertIsNone(result)
        self.assertIsInstance(running, Running)
        self.assertNotIsInstance(running, defer.Deferred)
        self.assertFalse(running.called)
        waitingOn.callback(1)
        self.assertTrue(running.called)
        self.assertEqual(self.calls, [("result", 2, "RETR", "f")])

    def test_failure(self):
        """
        What it raises after waiting goes to C{onFailure} as a Failure,
        with the arguments.
        """
        waitingOn = defer.Deferred()

        async def failing():
            await waitingOn
            raise KeyError("gone")

        _, running = start(failing(), self._result, self._failure, ("x",))
        waitingOn.callback(None)
        self.assertEqual(self.calls, [("failure", KeyError, "x")])

    def test_failureThrownIn(self):
        """
        A failure of what it waits on is raised in the coroutine.
        """
        waitingOn = defer.Deferred()

        async def catching():
            try:
                await waitingOn
            except ValueError:
                return "caught"

        start(catching(), self._result, self._failure)
        waitingOn.errback(ValueError())
        self.assertEqual(self.calls, [("result", "caught")])

    def test_whenDone(self):
        """
        L{Running.whenDone} fires once the callback has returned, each
        waiter once; one asked for afterwards fires at once.
        """
        waitingOn = defer.Deferred()
        order = []

        async def slow():
            await waitingOn

        _, running = start(slow(), lambda value: order.append("replied"),
                           self._failure)
        first, second = running.whenDone(), running.whenDone()
        self.assertNoResult(first)
        first.addCallback(lambda ignored: order.append("first"))
        second.addCallback(lambda ignored: order.append("second"))
        waitingOn.callback(None)
        self.assertEqual(order, ["replied", "first", "second"])
        self.assertIsNone(self.successResultOf(running.whenDone()))

    def test_whenDoneAfterRaising(self):
        """
        A callback that raises still lets L{Running.whenDone}'s waiters
        fire; what it raised stays with the Deferred that resumed the
        coroutine.
        """
        waitingOn = defer.Deferred()

        async def slow():
            await waitingOn

        def broken(value):
            raise RuntimeError("reply failed")

        _, running = start(slow(), broken, self._failure)
        done = running.whenDone()
        waitingOn.callback(None)
        self.successResultOf(done)
        self.failureResultOf(waitingOn, RuntimeError)


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


class SettledTests(unittest.TestCase):
    """
    L{settled} gives what awaiting would give at once, for a Deferred
    fired with a success; L{UNSETTLED} for anything else.
    """

    def test_fired(self):
        """
        A Deferred fired with a success gives its result, and awaiting it
        later still gives the same.
        """
        fired = defer.succeed(7)
        self.assertEqual(settled(fired), 7)
        self.assertEqual(self.successResultOf(fired), 7)

    def test_firedWithNone(self):
        """
        C{None} is a result like any other.
        """
        self.assertIsNone(settled(defer.succeed(None)))

    def test_failed(self):
        """
        A failed Deferred is left to be awaited (which raises), its
        failure not taken.
        """
        failed = defer.fail(ValueError("no"))
        self.assertIs(settled(failed), UNSETTLED)
        self.failureResultOf(failed, ValueError)

    def test_waiting(self):
        """
        A Deferred not fired yet is unsettled.
        """
        self.assertIs(settled(defer.Deferred()), UNSETTLED)

    def test_paused(self):
        """
        A fired Deferred whose callbacks wait on another is unsettled.
        """
        inner = defer.Deferred()
        outer = defer.succeed(1)
        outer.addCallback(lambda ignored: inner)
        self.assertIs(settled(outer), UNSETTLED)
        inner.callback(2)
        self.assertEqual(settled(outer), 2)

    def test_notDeferred(self):
        """
        A coroutine, or anything else, is unsettled (and left alone).
        """
        async def quick():
            return 1

        coroutine = quick()
        self.assertIs(settled(coroutine), UNSETTLED)
        self.assertEqual(start(coroutine), (1, None))
        self.assertIs(settled(5), UNSETTLED)

"""
Tests for L{ftpkit.deploy.signalcopies}, alone and in the handlers that
use it: a signal that comes again within L{COPY_WINDOW} (as C{timeout}
sends one to its child, then one to the child's group) is part of what
the first asked for, in L{ftpkit.deploy.hangup.ReloadOnHangup} and
L{ftpkit.deploy.stopsignals.StopOnce}.
"""

import signal

from twisted.internet import task
from twisted.trial import unittest

from ftpkit.deploy.hangup import (
    NOT_RELOADING,
    RELOADING_WORKERS,
    ReloadOnHangup,
)
from ftpkit.deploy.signalcopies import COPY_WINDOW, Copies
from ftpkit.deploy.stopsignals import StopOnce
from ftpkit.deploy.workerrelay import Reloads
from tests.loglines import LoggedLines


class SignalReactor(task.Clock):
    """
    A clock that keeps what is called from a thread and the triggers
    added, for the test to run when it chooses, and counts its stops.
    """

    def __init__(self):
        task.Clock.__init__(self)
        self.fromThread = []
        self.triggers = []
        self.stops = 0

    def stop(self):
        """
        Count a stop.
        """
        self.stops += 1

    def callFromThread(self, function, *args):
        """
        Keep C{function} and C{args} for L{runCalls}.
        """
        self.fromThread.append((function, args))

    def callWhenRunning(self, function):
        """
        Nothing: the tests wrap the handlers themselves.
        """

    def addSystemEventTrigger(self, phase, event, function):
        """
        Keep the trigger for L{fire}.
        """
        self.triggers.append((phase, event, function))

    def runCalls(self):
        """
        Run what was called from a thread so far, as the reactor's next
        turn does.
        """
        calls, self.fromThread = self.fromThread, []
        for function, args in calls:
            function(*args)

    def fire(self, phase, event):
        """
        Run the triggers of C{phase} C{event}.
        """
        for each, name, function in self.triggers:
            if (each, name) == (phase, event):
                function()


class CopiesTests(unittest.SynchronousTestCase):
    """
    L{Copies} on its own.
    """

    def setUp(self):
        self.reactor = SignalReactor()
        self.copies = Copies(self.reactor)

    def test_window(self):
        """
        The same signal within L{COPY_WINDOW} of a first one is a copy,
        however the reactor runs meanwhile; after it, a first one again.
        Each signal has its own window.
        """
        self.assertTrue(self.copies.first(signal.SIGHUP))
        self.reactor.runCalls()
        self.assertTrue(self.copies.first(signal.SIGTERM))
        self.reactor.advance(COPY_WINDOW / 2)
        self.assertFalse(self.copies.first(signal.SIGHUP))
        self.reactor.advance(COPY_WINDOW / 2)
        self.assertTrue(self.copies.first(signal.SIGHUP))

    def test_after(self):
        """
        What a first signal asks to run after its window runs then, once,
        in the reactor thread: a copy coming before is part of it.
        """
        called = []
        self.copies.first(signal.SIGHUP, lambda: called.append(True))
        self.reactor.runCalls()
        self.reactor.advance(COPY_WINDOW - 0.01)
        self.copies.first(signal.SIGHUP, lambda: called.append(False))
        self.assertEqual(called, [])
        self.reactor.advance(0.01)
        self.assertEqual(called, [True])


    def test_reactorBusy(self):
        """
        A signal coming later than L{COPY_WINDOW} after the first is a
        signal of its own, also while the reactor has not run since (busy
        starting the workers of C{--workers}): the window stayed open
        until the reactor ran again, so an operator's second C{SIGHUP}
        seconds later was taken for a copy, with no line in the log.
        """
        called = []
        self.assertTrue(self.copies.first(signal.SIGHUP,
                                          lambda: called.append(1)))
        self.reactor.advance(1.0)
        self.assertTrue(self.copies.first(signal.SIGHUP,
                                          lambda: called.append(2)))
        self.assertFalse(self.copies.first(signal.SIGHUP))
        self.reactor.runCalls()
        self.reactor.advance(COPY_WINDOW)
        self.assertEqual(called, [1, 2])
        self.assertTrue(self.copies.first(signal.SIGHUP))


class HangupCopiesTests(LoggedLines, unittest.SynchronousTestCase):
    """
    L{ReloadOnHangup}'s handler.
    """

    def setUp(self):
        self.reactor = SignalReactor()
        self.reloads = []
        self.hangup = ReloadOnHangup([lambda: self.reloads.append(True)],
                                     reactor=self.reactor)
        self.captureLog()

    def startHandling(self):
        """
        Start the service: its handler replaces the test process's own
        until the test ends.
        """
        self.addCleanup(signal.signal, signal.SIGHUP,
                        signal.getsignal(signal.SIGHUP))
        self.hangup.startService()

    def test_stopWithinWindow(self):
        """
        A C{SIGHUP} whose reload has not begun when the reactor begins to
        stop (a C{SIGTERM} right after it) reloads nothing and says so,
        once: the stopping reactor dropped it without a line when the
        drain ended within the signal's moment.
        """
        self.startHandling()
        self.hangup._hangup(signal.SIGHUP, None)
        self.reactor.runCalls()
        self.reactor.fire("before", "shutdown")
        self.hangup.stopService()
        self.assertEqual(self.lines(), [NOT_RELOADING])
        self.reactor.advance(COPY_WINDOW)
        self.assertEqual(self.reloads, [])
        self.assertEqual(self.lines(), [NOT_RELOADING])

    def test_whileStopping(self):
        """
        A C{SIGHUP} once the reactor stops is one line at once, asking
        nothing of the reactor (it may run no more), its copy none; the
        handler stays until the process ends (it ignored C{SIGHUP} with
        no line).
        """
        self.startHandling()
        self.reactor.fire("before", "shutdown")
        self.hangup.stopService()
        self.assertEqual(signal.getsignal(signal.SIGHUP), self.hangup._hangup)
        self.hangup._hangup(signal.SIGHUP, None)
        self.hangup._hangup(signal.SIGHUP, None)
        self.assertEqual(self.reactor.fromThread, [])
        self.reactor.advance(COPY_WINDOW)
        self.hangup._hangup(signal.SIGHUP, None)
        self.assertEqual(self.lines(), [NOT_RELOADING] * 2)
        self.assertEqual(self.reloads, [])

    def test_workersTold(self):
        """
        The acceptor's line counts the workers its target told to reload
        now, and says how many are started again (they read the files as
        they start): it said C{reloading 2 workers} with one of them dead.
        """
        for told, line in [
                (Reloads(2, 0), RELOADING_WORKERS.format(count=2)),
                (Reloads(1, 0), "SIGHUP: reloading 1 of 2 workers now, 1 "
                                "when started again")]:
            ReloadOnHangup([lambda told=told: told], workers=2).reloadAll()
            self.assertEqual(self.lines()[-1], line)

    def test_copy(self):
        """
        A C{SIGHUP} and its copy reload once, after the copy, even when
        the reactor runs between them: the acceptor of C{--workers}
        reloaded twice (and told every worker twice) for one C{timeout -s
        HUP}.
        """
        self.hangup._hangup(signal.SIGHUP, None)
        self.reactor.runCalls()
        self.reactor.advance(COPY_WINDOW / 2)
        self.hangup._hangup(signal.SIGHUP, None)
        self.reactor.runCalls()
        self.assertEqual(self.reloads, [])
        self.reactor.advance(COPY_WINDOW / 2)
        self.assertEqual(self.reloads, [True])

    def test_afterReload(self):
        """
        A C{SIGHUP} once the reload has begun reloads again: the files
        may have changed since they were read.
        """
        for _ in range(2):
            self.hangup._hangup(signal.SIGHUP, None)
            self.reactor.runCalls()
            self.reactor.advance(COPY_WINDOW)
        self.assertEqual(self.reloads, [True, True])


class StopCopiesTests(LoggedLines, unittest.SynchronousTestCase):
    """
    L{StopOnce}'s handlers.
    """

    def setUp(self):
        self.reactor = SignalReactor()
        self.stopper = StopOnce(self.reactor)
        self.stopper.startService()
        self.stops = []
        self.handle = self.stopper.onlyOnce(
            lambda number, frame: self.stops.append(number))
        self.captureLog()

    def test_copy(self):
        """
        A copy of the C{SIGTERM} that stops the server stops nothing more
        and logs nothing, even once the reactor began stopping: it was
        logged as C{SIGTERM again}, for one C{timeout -s TERM}.
        """
        self.handle(signal.SIGTERM, None)
        self.reactor.runCalls()
        self.reactor.fire("before", "shutdown")
        self.handle(signal.SIGTERM, None)
        self.assertEqual(self.stops, [signal.SIGTERM])
        self.assertEqual(self.lines(), [])

    def test_again(self):
        """
        A C{SIGTERM} after the window of the first's copies is logged as
        coming again, each time, and stops nothing more.
        """
        self.handle(signal.SIGTERM, None)
        self.reactor.runCalls()
        self.reactor.fire("before", "shutdown")
        for _ in range(2):
            self.reactor.advance(COPY_WINDOW)
            self.handle(signal.SIGTERM, None)
            self.reactor.runCalls()
        self.assertEqual(self.stops, [signal.SIGTERM])
        self.assertEqual(self.lines(), [
            "SIGTERM again: already stopping, transfers running still "
            "finish"] * 2)

    def test_otherSignal(self):
        """
        A C{SIGINT} while a C{SIGTERM} stops the server is not a copy: it
        is logged as coming again.
        """
        self.handle(signal.SIGTERM, None)
        self.handle(signal.SIGINT, None)
        self.assertEqual(self.stops, [signal.SIGTERM])
        self.assertEqual(self.lines(), [
            "SIGINT again: already stopping, transfers running still "
            "finish"])

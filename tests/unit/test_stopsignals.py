"""
Tests for L{ftpkit.deploy.stopsignals}: C{SIGQUIT} stops the server now,
cutting the transfers running (L{StopOnce.quit}).
"""

import signal

from twisted.trial import unittest

from ftpkit.deploy.signalcopies import COPY_WINDOW
from ftpkit.deploy.stopsignals import QUITTING, StopOnce
from tests.loglines import LoggedLines
from tests.unit.test_signalcopies import SignalReactor


class QuitTests(LoggedLines, unittest.SynchronousTestCase):
    """
    L{StopOnce}'s C{SIGQUIT}.
    """

    def setUp(self):
        self.reactor = SignalReactor()
        self.hurried = []
        self.stopper = StopOnce(self.reactor,
                                hurries=[lambda: self.hurried.append(True)])
        self.stopper.startService()
        self.captureLog()

    def wrapWith(self, quitting):
        """
        Wrap the handlers (L{StopOnce.wrapHandlers}) with C{SIGQUIT}'s
        set to C{quitting} (every handler put back after the test).

        @return: C{SIGQUIT}'s handler then.
        """
        for number in (signal.SIGQUIT, signal.SIGTERM, signal.SIGINT):
            self.addCleanup(signal.signal, number, signal.getsignal(number))
        signal.signal(signal.SIGQUIT, quitting)
        self.stopper.wrapHandlers()
        return signal.getsignal(signal.SIGQUIT)

    def test_handled(self):
        """
        C{SIGQUIT} with its default action (ending the process where it
        stands) is handled.
        """
        self.assertEqual(self.wrapWith(signal.SIG_DFL),
                         self.stopper._quitSignal)

    def test_ignoredKept(self):
        """
        C{SIGQUIT} ignored when the server started (a background command
        of a shell without job control) stays ignored, as C{SIGINT} does.
        """
        self.assertEqual(self.wrapWith(signal.SIG_IGN), signal.SIG_IGN)

    def test_quit(self):
        """
        C{SIGQUIT} and its copy cut the transfers and stop the reactor
        once, in the reactor thread, saying so in one line; the server
        counts as stopping from the signal on.
        """
        self.stopper._quitSignal(signal.SIGQUIT, None)
        self.stopper._quitSignal(signal.SIGQUIT, None)
        self.assertTrue(self.stopper.stopping)
        self.assertEqual((self.hurried, self.reactor.stops), ([], 0))
        self.reactor.runCalls()
        self.assertEqual((self.hurried, self.reactor.stops), ([True], 1))
        self.assertEqual(self.lines(), [QUITTING])

    def test_quitWhileStopping(self):
        """
        C{SIGQUIT} once the server stops (a drain under way) cuts the
        transfers, and stops nothing more.
        """
        stop = self.stopper.onlyOnce(lambda number, frame: None)
        stop(signal.SIGTERM, None)
        self.reactor.fire("before", "shutdown")
        self.stopper._quitSignal(signal.SIGQUIT, None)
        self.reactor.runCalls()
        self.assertEqual((self.hurried, self.reactor.stops), ([True], 0))

    def test_quitAgain(self):
        """
        A C{SIGQUIT} once the first was acted on cuts again (what started
        since), and stops nothing more.
        """
        for _ in range(2):
            self.stopper._quitSignal(signal.SIGQUIT, None)
            self.reactor.runCalls()
            self.reactor.advance(COPY_WINDOW)
        self.assertEqual((self.hurried, self.reactor.stops),
                         ([True, True], 1))

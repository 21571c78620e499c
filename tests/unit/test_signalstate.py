"""
Tests for L{tests.signalstate}.
"""

import signal
import unittest as pyunit

from twisted.trial import unittest

from ftpkit.deploy.startsignals import holdStartSignals
from tests.signalstate import keepSignalState


class KeepSignalStateTests(unittest.SynchronousTestCase):
    """
    L{keepSignalState} undoes a test's signal changes when it ends.
    """

    def state(self):
        """
        @return: the main thread's mask and the handlers of C{SIGUSR2}
            and C{SIGTERM}.
        """
        return (signal.pthread_sigmask(signal.SIG_BLOCK, []),
                signal.getsignal(signal.SIGUSR2),
                signal.getsignal(signal.SIGTERM))

    def test_startSignalsUndone(self):
        """
        What holding the start's signals blocks and ignores, and another
        C{SIGTERM} handler, are back as they were after the test.
        """
        before = self.state()

        class Case(unittest.SynchronousTestCase):
            def test_holds(self):
                keepSignalState(self)
                holdStartSignals()
                signal.signal(signal.SIGTERM, lambda *args: None)

        result = pyunit.TestResult()
        Case("test_holds").run(result)
        self.assertTrue(result.wasSuccessful(), result.errors)
        self.assertEqual(self.state(), before)

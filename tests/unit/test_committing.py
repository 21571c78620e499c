"""
L{ftpkit.control.opening.Committing}: the wait for an upload's commit,
which C{ABOR} ends only after a grace, on a L{Clock}.
"""

from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.control.opening import COMMIT_GRACE, Committing
from ftpkit.errors import LocalError, TransferAborted


class CommittingTests(unittest.TestCase):
    """
    L{Committing.abortOnArrival} waits L{COMMIT_GRACE} seconds;
    L{Committing.abort} does not.
    """

    def setUp(self):
        self.clock = Clock()
        self.closing = Deferred()
        self.released = []
        self.committing = Committing(self.closing, self.released.append,
                                     self.clock)

    def test_storedWithinGrace(self):
        """
        The commit ends within the grace: the wait gives what it gave,
        and no timer is left.
        """
        self.committing.abortOnArrival()
        self.clock.advance(COMMIT_GRACE / 2)
        self.closing.callback("stored")
        self.assertEqual(self.successResultOf(self.committing.result),
                         "stored")
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.assertEqual(self.released, [])

    def test_failedWithinGrace(self):
        """
        The commit fails within the grace: the wait fails with its
        failure, not L{TransferAborted}.
        """
        self.committing.abortOnArrival()
        self.closing.errback(LocalError("gone"))
        self.failureResultOf(self.committing.result, LocalError)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_graceOver(self):
        """
        The grace runs out: the wait fails with L{TransferAborted}; the
        commit ending later is released.
        """
        self.committing.abortOnArrival()
        self.committing.abortOnArrival()
        self.clock.advance(COMMIT_GRACE)
        self.failureResultOf(self.committing.result, TransferAborted)
        self.closing.callback("stored")
        self.assertEqual(self.released, ["stored"])
        self.successResultOf(self.committing.settled)

    def test_abortNow(self):
        """
        L{Committing.abort} (the session going away) ends the wait at
        once.
        """
        self.committing.abort()
        self.failureResultOf(self.committing.result, TransferAborted)
        self.assertEqual(self.clock.getDelayedCalls(), [])


class CommittingFreedTests(unittest.TestCase):
    """
    A commit's wait is freed once the commit ended, without the cyclic
    garbage collector.
    """

    def test_releaseReferringBack(self):
        """
        A release that refers back to the wait (as the upload's does, to
        read L{Committing.cutByAbor}) is let go of once the commit ended:
        kept, the wait, the release and what the release held (the
        upload's file, the session's shell) waited for the cyclic garbage
        collector (the thirty-fifth attack sweep).
        """
        import gc
        import weakref

        gc.collect()
        gc.disable()
        self.addCleanup(gc.enable)

        def commit():
            closing = Deferred()
            committing = Committing(
                closing, lambda stored: committing.cutByAbor, Clock())
            closing.callback("stored")
            self.assertEqual(self.successResultOf(committing.result),
                             "stored")
            return weakref.ref(committing)

        self.assertIsNone(commit()())

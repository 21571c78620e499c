"""
L{ftpkit.control.opening.storedLate}: the line saying that an upload's
file was stored after its command was answered C{426} says what cut it:
an C{ABOR}'s grace, or the session going away (a drain's grace over).
Before session 32 it said "after its ABOR was answered" of a drain's cut
too, when no C{ABOR} had been sent.
"""

from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.control.opening import COMMIT_GRACE, Committing, storedLate
from ftpkit.errors import TransferAborted
from tests.logevents import captureLogs

BY_ABOR = "after its ABOR was answered (426)"
"""What the line says of a commit an C{ABOR} cut."""


class StoredLateTests(unittest.TestCase):
    """
    A commit cut, then stored.
    """

    def cutThenStored(self, cut):
        """
        @param cut: called with the L{Committing}, to end its wait.
        @return: the text of the warnings logged once it is stored.
        """
        events = captureLogs(self)
        clock = Clock()
        closing = Deferred()
        committing = Committing(
            closing, storedLate("STOR f",
                                lambda: committing.cutByAbor), clock)
        cut(committing, clock)
        self.failureResultOf(committing.result, TransferAborted)
        closing.callback(None)
        return [event["log_format"].format(**event) for event in events
                if "stored" in event.get("log_format", "")]

    def test_cutByAbor(self):
        """
        An C{ABOR}'s grace over: the line says the C{ABOR} was answered.
        """
        def cut(committing, clock):
            committing.abortOnArrival()
            clock.advance(COMMIT_GRACE)
        lines = self.cutThenStored(cut)
        self.assertEqual(len(lines), 1)
        self.assertIn(BY_ABOR, lines[0])

    def test_cutBySessionGoing(self):
        """
        The session going away (L{Committing.abort}, a drain's grace over),
        even while an C{ABOR}'s grace runs: the line says so, not that an
        C{ABOR} was answered.
        """
        def cut(committing, clock):
            committing.abortOnArrival()
            committing.abort()
            clock.advance(COMMIT_GRACE)
        lines = self.cutThenStored(cut)
        self.assertEqual(len(lines), 1)
        self.assertNotIn("ABOR", lines[0])
        self.assertIn("a shutdown's grace over", lines[0])
        self.assertIn("'STOR f' was stored", lines[0])
        self.assertIn("the file is in place", lines[0])

    def test_clientLeft(self):
        """
        The client leaving (L{Committing.clientLeft}) does not end the
        wait, even once an C{ABOR}'s grace would have: the commit's end
        is the upload's, and nothing says it was stored late.
        """
        events = captureLogs(self)
        clock = Clock()
        closing = Deferred()
        committing = Committing(
            closing, storedLate("STOR f", lambda: committing.cutByAbor),
            clock)
        committing.clientLeft()
        clock.advance(COMMIT_GRACE)
        self.assertNoResult(committing.result)
        closing.callback(None)
        self.successResultOf(committing.result)
        self.assertEqual([event for event in events
                          if "stored" in event.get("log_format", "")], [])

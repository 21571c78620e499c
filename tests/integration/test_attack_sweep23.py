"""
The twenty-third attack sweep: what a client's text and numbers reach on
the operator's side (the text and JSON logs, the transfer log,
C{--on-upload}, C{/metrics}, C{/sessions}).

A transfer command that failed before its data connection opened (a
C{RETR} of an existing file with no C{PASV} or C{PORT} before it: C{425})
was logged as a transfer, a warning line each, never bounded ("each
stands for work done"), though it did no work: 2,000 pipelined
C{RETR /pub.txt} from an anonymous session (30 KB sent) wrote 2,000 lines
(234 KB) to the log of C{python -m ftpkit}, as fast as the server
answered, and a path as long as a deep directory allows made each line
longer still. Such a transfer now shares the session's refusal lines
(L{ftpkit.ops.eventlog.REFUSAL_LINES} a minute, then one count of those
left out); the transfer log and the metrics still get each of them.
"""

from twisted.internet.testing import MemoryReactorClock
from twisted.logger import formatEvent
from twisted.trial import unittest

from ftpkit.ops import events
from ftpkit.ops.eventlog import REFUSAL_LINES
from tests.protocol.test_server import captureLogs, connect, makeFactory, replyCodes


class TransferBeforeDataLinesTests(unittest.TestCase):
    """
    Transfers that fail before their data connection opens get the
    session's refusal lines, not a line each.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()
        self.factory = makeFactory(self.clock, loginFailureDelay=0.0)
        self.published = []
        self.factory.events.subscribe(self.published.append)

    def test_noDataConnectionBounded(self):
        """
        C{REFUSAL_LINES + 50} pipelined C{RETR} of an existing file with
        no data connection: each gets C{425} and is published as a failed
        transfer, but the log has C{REFUSAL_LINES} of their lines and one
        counting the 50 others, before the logout line (it had a line
        for each).
        """
        logged = captureLogs(self)
        protocol, transport = connect(self.factory)
        protocol.dataReceived(b"USER anonymous\r\nPASS x\r\n"
                              + b"RETR /d/f.txt\r\n" * (REFUSAL_LINES + 50))
        self.clock.advance(0)
        protocol.dataReceived(b"QUIT\r\n")
        protocol.connectionLost(None)
        self.assertEqual(replyCodes(transport).count("425"),
                         REFUSAL_LINES + 50)
        self.assertEqual(
            len([event for event in self.published
                 if event.kind == events.TRANSFER and event.beforeData]),
            REFUSAL_LINES + 50)
        lines = [formatEvent(event) for event in logged
                 if event.get("ftpkit_event") in (
                     "transfer", "refusals-not-logged", "logout")]
        failed = ("RETR from 10.0.0.1 user 'anonymous' path '/d/f.txt': "
                  "425, 0 bytes in 0.000 s")
        self.assertEqual(lines[:-1], [failed] * REFUSAL_LINES + [
            "50 more refused commands from 10.0.0.1 user 'anonymous' "
            "not logged"])
        self.assertTrue(lines[-1].startswith("logout from 10.0.0.1"))

"""
How the control connection turns reads into command lines: reads of a
line, of less, of more and of nothing give the same commands in the same
order.
"""

from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.control.readingcontrol import LINES_PER_TURN
from tests.memorysessions import connect, makeFactory, replyCodes


class LineReadTests(unittest.TestCase):
    """
    Reads of a line, of less, of more and of nothing.
    """

    def setUp(self):
        self.protocol, self.transport = connect(
            makeFactory(MemoryReactorClock(), maxLineLength=100))

    def test_lineByLine(self):
        """
        One line per read: each command runs as it comes.
        """
        self.protocol.dataReceived(b"USER alice\r\n")
        self.assertEqual(replyCodes(self.transport), ["220", "331"])
        self.protocol.dataReceived(b"PASS secret\r\n")
        self.assertEqual(replyCodes(self.transport), ["220", "331", "230"])

    def test_lineSplitOverReads(self):
        """
        A line cut between reads runs once its end comes, also when the
        end comes with a whole line of its own.
        """
        self.protocol.dataReceived(b"USER al")
        self.assertEqual(replyCodes(self.transport), ["220"])
        self.protocol.dataReceived(b"ice\r\nPA")
        self.protocol.dataReceived(b"SS secret\r\n")
        self.protocol.dataReceived(b"NOOP\r\n")
        self.assertEqual(replyCodes(self.transport),
                         ["220", "331", "230", "200"])

    def test_emptyRead(self):
        """
        A read of nothing (what resuming a paused connection passes) runs
        no command.
        """
        self.protocol.dataReceived(b"")
        self.assertEqual(replyCodes(self.transport), ["220"])

    def test_pausedLineWaits(self):
        """
        A whole line read while reading is paused waits, and runs once it
        resumes.
        """
        self.protocol.pauseProducing()
        self.protocol.dataReceived(b"NOOP\r\n")
        self.assertEqual(replyCodes(self.transport), ["220"])
        self.protocol.resumeProducing()
        self.assertEqual(replyCodes(self.transport), ["220", "200"])

    def test_readDuringCommand(self):
        """
        Bytes handed over while a line's command runs (a reentrant call)
        run after it, in order.
        """
        protocol = self.protocol
        original = protocol.lineReceived

        def feeding(line):
            if line.startswith(b"USER"):
                protocol.dataReceived(b"PASS secret\r\nNOOP\r\n")
            return original(line)

        protocol.lineReceived = feeding
        protocol.dataReceived(b"USER alice\r\n")
        self.assertEqual(replyCodes(self.transport),
                         ["220", "331", "230", "200"])

    def test_tooLongAlone(self):
        """
        A whole line over the limit, read alone, is refused as one that
        came in pieces is.
        """
        self.protocol.dataReceived(b"NOOP " + b"x" * 200 + b"\r\n")
        self.assertEqual(replyCodes(self.transport), ["220", "500"])
        self.assertTrue(self.transport.disconnecting)


class TurnTests(unittest.TestCase):
    """
    A session runs at most L{LINES_PER_TURN} of the lines it read before
    the reactor serves the others: one 64 KiB read of empty lines was
    32,768 commands run in one go, so a few clients flooding commands
    before logging in held every other session for seconds.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()
        self.protocol, self.transport = connect(makeFactory(self.clock))

    def nextTurn(self):
        """
        Run the calls due now, as the reactor's next turn does: not those
        they schedule in turn (which L{MemoryReactorClock.advance} would
        run too).
        """
        due = [(call, call.func, call.args, call.kw)
               for call in self.clock.getDelayedCalls()
               if call.getTime() <= self.clock.seconds()]
        for call, _, _, _ in due:
            call.cancel()
        for _, function, args, kwargs in due:
            function(*args, **kwargs)

    def test_floodRunsATurnAtATime(self):
        """
        Of many lines read at once, a turn's worth run; reading pauses
        until the reactor's next turn, which runs the next ones, and
        resumes once all have run.
        """
        count = 3 * LINES_PER_TURN + 5
        self.protocol.dataReceived(b"NOOP\r\n" * count)
        self.assertEqual(len(replyCodes(self.transport)), 1 + LINES_PER_TURN)
        self.assertEqual(self.transport.producerState, "paused")
        self.nextTurn()
        self.assertEqual(len(replyCodes(self.transport)),
                         1 + 2 * LINES_PER_TURN)
        self.nextTurn()
        self.nextTurn()
        self.assertEqual(replyCodes(self.transport), ["220"] + ["200"] * count)
        self.assertEqual(self.transport.producerState, "producing")

    def test_otherPauseKept(self):
        """
        The next turn does not resume reading that unread replies paused.
        """
        self.protocol.dataReceived(b"NOOP\r\n" * (LINES_PER_TURN + 1))
        self.protocol.pauseProducing()
        self.nextTurn()
        self.assertEqual(len(replyCodes(self.transport)), 1 + LINES_PER_TURN)
        self.assertEqual(self.transport.producerState, "paused")
        self.protocol.resumeProducing()
        self.assertEqual(len(replyCodes(self.transport)),
                         2 + LINES_PER_TURN)
        self.assertEqual(self.transport.producerState, "producing")

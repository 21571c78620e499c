"""
What the first line of a drain counts, on real sessions: a session with a
transfer command running (waiting for its data connection) finishes its
transfer; one whose failed login is still being answered (the delay
after a wrong password) runs another command. Both counted as finishing
their transfers.
"""

from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.ops.drain import Drain, countRunning
from tests.loglines import LoggedLines
from tests.memorysessions import connect, makeFactory, replyCodes


class DrainCountTests(LoggedLines, unittest.TestCase):
    """
    L{countRunning} and the drain's first line, on sessions of an
    L{ftpkit.control.server.FTPFactory} on in-memory transports.
    """

    def test_counts(self):
        """
        An idle session, one waiting for the data connection of its
        C{RETR}, one waiting for the answer to its wrong password: one
        idle, one transfer, one other command.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, loginFailureDelay=5.0)
        idle, idleTransport = connect(factory)
        idle.dataReceived(b"USER alice\r\nPASS secret\r\n")
        transferring, transferTransport = connect(factory, "10.0.0.2")
        transferring.dataReceived(b"USER alice\r\nPASS secret\r\nPASV\r\n"
                                  b"RETR /top.bin\r\n")
        loggingIn, loginTransport = connect(factory, "10.0.0.3")
        loggingIn.dataReceived(b"USER alice\r\nPASS wrong\r\n")
        self.assertEqual(replyCodes(idleTransport)[-1], "230")
        self.assertEqual(replyCodes(transferTransport)[-1], "227")
        self.assertEqual(replyCodes(loginTransport)[-1], "331")
        sessions = [idle, transferring, loggingIn]
        self.assertEqual(countRunning(sessions), (1, 1, 1))
        self.captureLog()
        Drain(factory, 30, clock).stopService()
        self.assertEqual(self.lines()[0],
                         "stopping: closing 1 idle sessions, 1 finishing "
                         "their transfers and 1 other commands (grace 30 s)")
        clock.advance(60)

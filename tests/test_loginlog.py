"""
Tests for L{ftpkit.loginlog}.
"""

from twisted.internet.task import Clock
from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial import unittest

from ftpkit.loginlog import LoginLog


class LoginLogTests(unittest.TestCase):
    """
    Logins are logged at the end of the reactor turn, one event for all
    of that turn's logins.
    """

    def setUp(self):
        self.events = []
        globalLogPublisher.addObserver(self.events.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.events.append)
        self.clock = Clock()
        self.loginLog = LoginLog(self.clock)

    def logged(self):
        return [event for event in self.events if "logins" in event]

    def test_oneTurnOneEvent(self):
        """
        Logins of one turn make one event, a line each, at the end of the
        turn; the next turn's make another.
        """
        self.loginLog.add("alice", "10.0.0.1")
        self.loginLog.add("bob", "10.0.0.2")
        self.assertEqual(self.logged(), [])
        self.clock.advance(0)
        [event] = self.logged()
        self.assertEqual(event["logins"], [("alice", "10.0.0.1"),
                                           ("bob", "10.0.0.2")])
        self.assertEqual(formatEvent(event),
                         "login alice from 10.0.0.1\nlogin bob from 10.0.0.2")
        self.loginLog.add("carol", "10.0.0.3")
        self.clock.advance(0)
        self.assertEqual(formatEvent(self.logged()[-1]),
                         "login carol from 10.0.0.3")
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_flushNow(self):
        """
        L{LoginLog.flush} logs what is pending at once (the server is
        stopping); with nothing pending it logs nothing.
        """
        self.loginLog.flush()
        self.assertEqual(self.logged(), [])
        self.loginLog.add("alice", "10.0.0.1")
        self.loginLog.flush()
        self.assertEqual(len(self.logged()), 1)
        self.clock.advance(0)
        self.assertEqual(len(self.logged()), 1)

    def test_userTextNotFormatted(self):
        """
        Braces in a user name are text, not format fields.
        """
        self.loginLog.add("{evil}", "10.0.0.1")
        self.loginLog.flush()
        self.assertEqual(formatEvent(self.logged()[0]),
                         "login {evil} from 10.0.0.1")

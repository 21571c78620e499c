"""
The delay after a failed C{PASS} follows the client address's recent
failures, not only the connection's.
"""

from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.control.handlers.login import MAX_LOGIN_DELAY
from ftpkit.control.loginfailures import FORGET_AFTER
from tests.protocol.test_server import connect, makeFactory, replyCodes


class ReconnectingGuesserTests(unittest.TestCase):
    """
    A client that reconnects after being closed for too many failed
    logins does not start again from the first delay.
    """

    def fail(self, clock, transport, protocol, delay):
        """
        Fail a login and check its C{530} comes after C{delay} seconds
        exactly.
        """
        protocol.dataReceived(b"USER alice\r\nPASS wrong\r\n")
        before = replyCodes(transport).count("530")
        clock.advance(delay - 0.01)
        self.assertEqual(replyCodes(transport).count("530"), before)
        clock.advance(0.01)
        self.assertEqual(replyCodes(transport).count("530"), before + 1)

    def test_delayKeptAcrossConnections(self):
        """
        After three failures and a close, the next connection's first
        failure waits 8 times the delay; another address still waits
        once the delay, and a correct password is answered at once.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, loginFailureDelay=1.0,
                              maxLoginAttempts=3)
        protocol, transport = connect(factory)
        for delay in (1.0, 2.0, 4.0):
            self.fail(clock, transport, protocol, delay)
        self.assertTrue(transport.disconnecting)
        protocol, transport = connect(factory)
        self.fail(clock, transport, protocol, 8.0)
        other, otherTransport = connect(factory, host="10.0.0.2")
        self.fail(clock, otherTransport, other, 1.0)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        self.assertEqual(replyCodes(transport)[-1], "230")

    def test_addressDelayStaysShort(self):
        """
        However many connections from one address failed, a failure waits
        at most L{MAX_LOGIN_DELAY} (ten seconds): a test suite or a user
        mistyping on many connections from one address is slowed, not
        stalled past its client's timeouts.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, loginFailureDelay=1.0,
                              maxLoginAttempts=1)
        for delay in (1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0):
            protocol, transport = connect(factory)
            self.fail(clock, transport, protocol, delay)
        self.assertEqual(MAX_LOGIN_DELAY, 10.0)

    def test_quietMinuteStartsAgain(self):
        """
        An address without a failure for a minute (L{FORGET_AFTER}) starts
        again from the first delay.
        """
        self.assertEqual(FORGET_AFTER, 60.0)
        clock = MemoryReactorClock()
        factory = makeFactory(clock, loginFailureDelay=1.0,
                              maxLoginAttempts=1)
        for delay in (1.0, 2.0):
            protocol, transport = connect(factory)
            self.fail(clock, transport, protocol, delay)
        clock.advance(61)
        protocol, transport = connect(factory)
        self.fail(clock, transport, protocol, 1.0)

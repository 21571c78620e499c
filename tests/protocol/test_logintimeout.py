"""
C{--login-timeout}: a client that has not logged in within that many
seconds gets C{421} and is disconnected, however busy it keeps the
connection (C{NOOP}s reset the idle timeout, not this one), or however
silent.
"""

from twisted.trial import unittest

from ftpkit.deploy.tap import Options
from tests.barerealm import bareFactory, loggedIn
from tests.memorysessions import connect, replyCodes
from tests.protocol.test_authmechanisms import ContextFactory, StartTLSTransport


def assertCutInOneSecond(case, clock, transport, codes):
    """
    Assert that a session has had the replies C{codes} and is still
    connected, and that one second more ends it with C{421}.

    @param case: the L{unittest.TestCase} asserting.
    @param clock: the factory's clock, at one second before the deadline.
    @param transport: the session's L{StringTransport}.
    @param codes: the reply codes it has had so far.
    """
    case.assertEqual(replyCodes(transport), codes)
    case.assertFalse(transport.disconnecting)
    clock.advance(1)
    case.assertEqual(replyCodes(transport), codes + ["421"])
    case.assertTrue(transport.disconnecting)


class LoginTimeoutTests(unittest.TestCase):
    """
    The protocol on a L{StringTransport}, the time moved on by the
    factory's clock (the one the login watch reads) instead of waited for.
    """

    def setUp(self):
        self.factory = bareFactory(loginTimeout=60)
        self.clock = self.factory.reactor

    def test_notLoggedIn(self):
        """
        Past the timeout, a client still not logged in gets 421 (before
        its next command, even the PASS that would log it in) and the
        connection closes.
        """
        protocol, transport = connect(self.factory)
        protocol.dataReceived(b"NOOP\r\nUSER alice\r\n")
        self.assertEqual(replyCodes(transport), ["220", "200", "331"])
        self.clock.advance(61)
        protocol.dataReceived(b"PASS secret\r\n")
        self.assertEqual(replyCodes(transport), ["220", "200", "331", "421"])
        self.assertTrue(transport.disconnecting)

    def test_loggedInStays(self):
        """
        A logged-in session is not touched by it.
        """
        protocol, transport = loggedIn(self.factory)
        self.clock.advance(61)
        protocol.dataReceived(b"NOOP\r\n")
        self.assertEqual(replyCodes(transport), ["200"])

    def test_reinStartsAgain(self):
        """
        C{REIN} starts the time to log in again.
        """
        protocol, transport = loggedIn(self.factory)
        self.clock.advance(61)
        protocol.dataReceived(b"REIN\r\nNOOP\r\n")
        self.assertEqual(replyCodes(transport), ["220", "200"])

    def assertKeepsCounting(self, line):
        """
        Assert that a command sent before a login, answered with 220,
        leaves the time to log in where the connection set it.

        @param line: the command line.
        """
        protocol, transport = connect(self.factory)
        self.clock.advance(50)
        protocol.dataReceived(line)
        self.clock.advance(9)
        protocol.dataReceived(b"NOOP\r\n")
        assertCutInOneSecond(self, self.clock, transport, ["220", "220", "200"])

    def test_notLoggedInReinKeepsCounting(self):
        """
        C{REIN} from a client that never logged in does not start the time
        again: sending it now and then does not keep a client connected
        without logging in.
        """
        self.assertKeepsCounting(b"REIN\r\n")

    def test_hostKeepsCounting(self):
        """
        Nor does C{HOST} (which comes before C{USER}).
        """
        self.assertKeepsCounting(b"HOST ftp.example.com\r\n")

    def test_option(self):
        """
        C{--login-timeout} sets it (300 by default); a bad value is a
        one-line usage error.
        """
        from twisted.python import usage

        options = Options()
        options.parseOptions(["--root", "."])
        self.assertEqual(options["config"].loginTimeout, 300)
        options = Options()
        options.parseOptions(["--root", ".", "--login-timeout", "20"])
        self.assertEqual(options["config"].loginTimeout, 20)
        error = self.assertRaises(usage.UsageError, Options().parseOptions,
                                  ["--root", ".", "--login-timeout", "x"])
        self.assertTrue(str(error).startswith("--login-timeout: "))


class LoginDeadlineTests(unittest.TestCase):
    """
    The time to log in runs out on the factory's clock, whether the client
    sends a command then or not: a client that never completes a line
    (silent, a command line or a TLS handshake a byte at a time) was held
    only to the idle timeout, however short the login timeout.
    """

    def setUp(self):
        self.factory = bareFactory(loginTimeout=60, idleTimeout=600)
        self.clock = self.factory.reactor

    def test_silent(self):
        """
        A client that sends nothing gets C{421} at the login timeout and
        is disconnected.
        """
        protocol, transport = connect(self.factory)
        self.clock.advance(59)
        assertCutInOneSecond(self, self.clock, transport, ["220"])
        self.assertIn(b"Login timeout", transport.value())

    def test_partialLine(self):
        """
        So does one sending a command line it never ends.
        """
        protocol, transport = connect(self.factory)
        protocol.dataReceived(b"USER al")
        self.clock.advance(30)
        protocol.dataReceived(b"i")
        self.clock.advance(30)
        self.assertEqual(replyCodes(transport), ["220", "421"])
        self.assertTrue(transport.disconnecting)

    def test_loggedIn(self):
        """
        A session logged in in time is left alone.
        """
        protocol, transport = loggedIn(self.factory)
        self.clock.advance(120)
        self.assertEqual(transport.value(), b"")
        self.assertFalse(transport.disconnecting)

    def test_reinStartsAgain(self):
        """
        A user logged out by C{REIN} has the whole time again from then.
        """
        protocol, transport = loggedIn(self.factory)
        self.clock.advance(50)
        protocol.dataReceived(b"REIN\r\n")
        self.clock.advance(59)
        assertCutInOneSecond(self, self.clock, transport, ["220"])

    def test_failedLoginAnsweredFirst(self):
        """
        A failed C{PASS} whose answer the server still holds back when
        the time is over gets its answer; the client then has the time
        once more (its next command would be refused anyway).
        """
        protocol, transport = connect(self.factory)
        self.clock.advance(59.5)
        protocol.dataReceived(b"USER alice\r\nPASS wrong\r\n")
        self.clock.advance(1)
        self.assertEqual(replyCodes(transport), ["220", "331", "530"])
        self.assertFalse(transport.disconnecting)
        self.clock.advance(60)
        self.assertEqual(replyCodes(transport), ["220", "331", "530", "421"])
        self.assertTrue(transport.disconnecting)

    def test_lostForgotten(self):
        """
        A session whose connection is lost is no longer watched.
        """
        protocol, transport = connect(self.factory)
        watch = self.factory.loginWatch
        self.assertEqual(len(watch), 1)
        protocol.connectionLost(None)
        self.assertEqual(len(watch), 0)

    def test_lateCommandRefused(self):
        """
        The command that follows that answer is refused with C{421}: the
        time given once more was for the answer, not for another login.
        """
        protocol, transport = connect(self.factory)
        self.clock.advance(59.5)
        protocol.dataReceived(b"USER alice\r\nPASS wrong\r\n")
        self.clock.advance(1)
        protocol.dataReceived(b"USER alice\r\n")
        self.assertEqual(replyCodes(transport), ["220", "331", "530", "421"])
        self.assertTrue(transport.disconnecting)

    def test_lineBeforeTheCall(self):
        """
        A command read once the time is over, before the watch's timed
        call ran, is refused too.
        """
        protocol, transport = connect(self.factory)
        self.clock.rightNow += 60
        protocol.dataReceived(b"USER alice\r\n")
        self.assertEqual(replyCodes(transport), ["220", "421"])
        self.assertTrue(transport.disconnecting)


class AuthTLSDeadlineTests(unittest.TestCase):
    """
    C{AUTH TLS} keeps the time to log in of a session not logged in, and
    starts it again for a user logged in in clear, whom it logs out.
    """

    def setUp(self):
        self.factory = bareFactory(loginTimeout=60, idleTimeout=600,
                                   tlsContextFactory=ContextFactory())
        self.clock = self.factory.reactor

    def connect(self):
        """
        @return: C{(protocol, transport)} of a session whose C{startTLS}
            is recorded, not done (its replies stay readable).
        """
        protocol = self.factory.buildProtocol(None)
        transport = StartTLSTransport()
        protocol.makeConnection(transport)
        return protocol, transport

    def test_notLoggedInKeepsCounting(self):
        """
        Before a login the deadline stays where the connection set it.
        """
        protocol, transport = self.connect()
        self.clock.advance(50)
        protocol.dataReceived(b"AUTH TLS\r\n")
        self.clock.advance(9)
        assertCutInOneSecond(self, self.clock, transport, ["220", "234"])

    def test_loggedInStartsAgain(self):
        """
        After a login in clear the user logged out has the whole time
        again from then.
        """
        protocol, transport = self.connect()
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        self.clock.advance(50)
        protocol.dataReceived(b"AUTH TLS\r\n")
        self.clock.advance(59)
        assertCutInOneSecond(self, self.clock, transport,
                             ["220", "331", "230", "234"])

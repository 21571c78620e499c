"""
C{--login-timeout}: a client that has not logged in within that many
seconds gets C{421} at its next command and is disconnected, however busy
it keeps the connection (C{NOOP}s reset the idle timeout, not this one).
"""

from twisted.trial import unittest

from ftpkit.deploy.tap import Options
from tests.barerealm import bareFactory, loggedIn
from tests.memorysessions import connect, replyCodes


class LoginTimeoutTests(unittest.TestCase):
    """
    The protocol on a L{StringTransport}, with the session's start moved
    back instead of waiting.
    """

    def test_notLoggedIn(self):
        """
        Past the timeout, a client still not logged in gets 421 for its
        next command (a NOOP, or even the PASS that would log it in) and
        the connection closes.
        """
        protocol, transport = connect(bareFactory(loginTimeout=60))
        protocol.dataReceived(b"NOOP\r\nUSER alice\r\n")
        self.assertEqual(replyCodes(transport), ["220", "200", "331"])
        protocol.session.startedAt -= 61
        protocol.dataReceived(b"PASS secret\r\n")
        self.assertEqual(replyCodes(transport), ["220", "200", "331", "421"])
        self.assertTrue(transport.disconnecting)

    def test_loggedInStays(self):
        """
        A logged-in session is not touched by it.
        """
        protocol, transport = loggedIn(bareFactory(loginTimeout=60))
        protocol.session.startedAt -= 61
        protocol.dataReceived(b"NOOP\r\n")
        self.assertEqual(replyCodes(transport), ["200"])

    def test_reinStartsAgain(self):
        """
        C{REIN} starts the time to log in again.
        """
        protocol, transport = loggedIn(bareFactory(loginTimeout=60))
        protocol.session.startedAt -= 61
        protocol.dataReceived(b"REIN\r\nNOOP\r\n")
        self.assertEqual(replyCodes(transport), ["220", "200"])

    def test_notLoggedInReinKeepsCounting(self):
        """
        C{REIN} from a client that never logged in does not start the time
        again: sending it now and then does not keep a client connected
        without logging in.
        """
        protocol, transport = connect(bareFactory(loginTimeout=60))
        protocol.session.startedAt -= 50
        protocol.dataReceived(b"REIN\r\n")
        protocol.session.startedAt -= 11
        protocol.dataReceived(b"NOOP\r\n")
        self.assertEqual(replyCodes(transport), ["220", "220", "421"])
        self.assertTrue(transport.disconnecting)

    def test_hostKeepsCounting(self):
        """
        Nor does C{HOST} (which comes before C{USER}).
        """
        protocol, transport = connect(bareFactory(loginTimeout=60))
        protocol.session.startedAt -= 50
        protocol.dataReceived(b"HOST ftp.example.com\r\n")
        protocol.session.startedAt -= 11
        protocol.dataReceived(b"NOOP\r\n")
        self.assertEqual(replyCodes(transport), ["220", "220", "421"])
        self.assertTrue(transport.disconnecting)

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

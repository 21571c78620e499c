"""
Tests for the commands that need no login and that other servers refuse
before one: C{ABOR} and C{REIN}, which RFC 959 (section 5.4) gives no
C{530}, answer as they would after a login (vsftpd, ProFTPD, Pure-FTPd
and pyftpdlib answer C{530} or C{502}); and the order of C{USER} and
C{PASS} around a login.
"""

from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.trial import unittest

from tests.memorysessions import connect, makeFactory, replyCodes


def send(lines):
    """
    Send C{lines} on a fresh session, before any login.

    @param lines: the command lines, as bytes, each ending in CRLF.
    @return: the codes of the replies to them.
    """
    protocol = makeFactory(MemoryReactorClock()).buildProtocol(None)
    transport = StringTransport()
    protocol.makeConnection(transport)
    transport.clear()
    protocol.dataReceived(lines)
    return replyCodes(transport)


class BeforeLoginTests(unittest.TestCase):
    """
    C{ABOR} and C{REIN} before a login, and after C{USER} alone.
    """

    def test_abort(self):
        """
        C{ABOR} with nothing running answers C{225} whether or not the
        user logged in.
        """
        self.assertEqual(send(b"ABOR\r\n"), ["225"])
        self.assertEqual(send(b"USER alice\r\nABOR\r\n"), ["331", "225"])

    def test_reinitialize(self):
        """
        C{REIN} answers C{220}; after C{USER} it drops the pending user, so
        a C{PASS} then gets C{503}.
        """
        self.assertEqual(send(b"REIN\r\n"), ["220"])
        self.assertEqual(send(b"USER alice\r\nREIN\r\nPASS secret\r\n"),
                         ["331", "220", "503"])


class LoginOrderTests(unittest.TestCase):
    """
    C{PASS} checks the name the last C{USER} gave, once; a logged-in
    session's C{USER} or C{PASS} changes nothing.
    """

    def session(self):
        """
        @return: C{(protocol, transport)} of a session whose failed logins
            are answered at once.
        """
        factory = makeFactory(MemoryReactorClock(), loginFailureDelay=0)
        protocol, transport = connect(factory)
        transport.clear()
        return protocol, transport

    def test_passAfterFailure(self):
        """
        A failed C{PASS} forgets the name: the next C{PASS}, even with the
        right password, gets C{503} and logs nobody in.
        """
        protocol, transport = self.session()
        protocol.dataReceived(b"USER alice\r\nPASS wrong\r\n"
                              b"PASS secret\r\n")
        self.assertEqual(replyCodes(transport), ["331", "530", "503"])
        self.assertIsNone(protocol.session.shell)

    def test_userAfterLogin(self):
        """
        C{USER} after a login gets C{530}, and the session stays the
        logged-in user's: its name, not anonymous.
        """
        protocol, transport = self.session()
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n"
                              b"USER anonymous\r\n")
        self.assertEqual(replyCodes(transport), ["331", "230", "530"])
        self.assertEqual(protocol.session.username, "alice")
        self.assertFalse(protocol.session.anonymous)

    def test_passAfterLogin(self):
        """
        C{PASS} after a login gets C{503}: the session's shell stays the
        one its login gave.
        """
        protocol, transport = self.session()
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        shell = protocol.session.shell
        protocol.dataReceived(b"PASS secret\r\n")
        self.assertEqual(replyCodes(transport), ["331", "230", "503"])
        self.assertIs(protocol.session.shell, shell)

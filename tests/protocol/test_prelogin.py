"""
Tests for the commands that need no login and that other servers refuse
before one: C{ABOR} and C{REIN}, which RFC 959 (section 5.4) gives no
C{530}, answer as they would after a login (vsftpd, ProFTPD, Pure-FTPd
and pyftpdlib answer C{530} or C{502}).
"""

from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.trial import unittest

from tests.memorysessions import makeFactory, replyCodes


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

"""
L{ftpkit.ops.listeninglog}: the start-up line saying where the server
listens.
"""

from twisted.internet.address import IPv6Address, UNIXAddress
from twisted.logger import Logger, formatEvent
from twisted.trial import unittest

from ftpkit.ops.listeninglog import logPortListening


class _Port:
    """
    A listening port of a given address.
    """

    def __init__(self, address):
        self.address = address

    def getHost(self):
        return self.address


class LogPortListeningTests(unittest.SynchronousTestCase):
    """
    L{logPortListening} logs an IP port's address and number, and gives
    the port back.
    """

    def setUp(self):
        self.events = []
        self.log = Logger(namespace="ftpkit", observer=self.events.append)

    def test_ip(self):
        """
        An IPv6 address is named without brackets.
        """
        port = _Port(IPv6Address("TCP", "::1", 2121))
        self.assertIs(logPortListening(port, self.log), port)
        [event] = self.events
        self.assertEqual(formatEvent(event),
                         "ftpkit listening on ::1 port 2121")
        self.assertEqual(
            (event["ftpkit_event"], event["interface"], event["port"]),
            ("listening", "::1", 2121))

    def test_unix(self):
        """
        A Unix socket has no port: nothing is logged.
        """
        port = _Port(UNIXAddress(b"/run/ftp.sock"))
        self.assertIs(logPortListening(port, self.log), port)
        self.assertEqual(self.events, [])

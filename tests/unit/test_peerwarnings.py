"""
L{ftpkit.control.peerwarnings}: the warnings a client causes at will,
throttled per client address.
"""

from twisted.internet.task import Clock
from twisted.logger import Logger, LogLevel, formatEvent
from twisted.trial import unittest

from ftpkit.control.peerwarnings import LINES, PeerWarnings


class PeerWarningsTests(unittest.TestCase):
    """
    L{PeerWarnings.emit}.
    """

    def setUp(self):
        self.clock = Clock()
        self.warnings = PeerWarnings(self.clock)
        self.lines = []
        self.log = Logger(
            observer=lambda event: self.lines.append(formatEvent(event)))

    def warn(self, peer, kind="http"):
        self.warnings.emit(self.log, LogLevel.warn, kind, peer,
                           "{what} from {peer}", what=kind, peer=peer)

    def test_perAddress(self):
        """
        An address gets L{LINES} lines of a kind a minute; another kind,
        and another address, have their own; the first line after the
        minute says how many were left out.
        """
        for _ in range(LINES + 5):
            self.warn("192.0.2.1")
        self.warn("192.0.2.1", "long")
        self.warn("192.0.2.2")
        self.assertEqual(self.lines, ["http from 192.0.2.1"] * LINES
                         + ["long from 192.0.2.1", "http from 192.0.2.2"])
        # The next one comes as the minute ends, before its summary.
        self.clock.rightNow += 60
        self.warn("192.0.2.1")
        self.assertEqual(self.lines[-1],
                         "http from 192.0.2.1 (and 5 more not logged)")

    def test_ipv6Network(self):
        """
        The addresses of one IPv6 /64 are one client.
        """
        for n in range(LINES + 1):
            self.warn("2001:db8::%x" % (n + 1))
        self.assertEqual(len(self.lines), LINES)

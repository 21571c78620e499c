"""
The C{--metrics} endpoint on every network: L{servesEveryNetwork} and the
start-up warning (L{warnEveryNetwork}).
"""

from twisted.logger import LogLevel, capturedLogs
from twisted.trial import unittest

from ftpkit.deploy.endpoints import servesEveryNetwork
from ftpkit.deploy.opsservice import warnEveryNetwork


class ServesEveryNetworkTests(unittest.TestCase):
    """
    L{servesEveryNetwork} reads an endpoint string.
    """

    def test_everyAddress(self):
        """
        C{tcp:}, C{tcp6:} and C{ssl:} endpoints naming no interface, or
        the wildcard addresses, listen on every address.
        """
        for description in ["tcp:9102", "TCP:9102:backlog=5", "tcp6:9102",
                            "ssl:9102:privateKey=k.pem",
                            "tcp:9102:interface=0.0.0.0",
                            "tcp6:9102:interface=\\:\\:",
                            "tcp:9102:interface="]:
            self.assertTrue(servesEveryNetwork(description), description)

    def test_oneAddress(self):
        """
        An endpoint naming an address, and one on a UNIX socket, does not.
        """
        for description in ["tcp:9102:interface=127.0.0.1",
                            "tcp6:9102:interface=\\:\\:1",
                            "tcp:9102:interface=mon.example.com",
                            "unix:/run/ftpkit-metrics.sock"]:
            self.assertFalse(servesEveryNetwork(description), description)


class WarningTests(unittest.TestCase):
    """
    L{warnEveryNetwork} logs one warning for an endpoint on every network,
    none for one on an address.
    """

    def test_warns(self):
        """
        The warning names the endpoint and how to keep it on one address.
        """
        with capturedLogs() as events:
            warnEveryNetwork("tcp:9102")
        warnings = [e for e in events if e["log_level"] == LogLevel.warn]
        self.assertEqual(len(warnings), 1)
        self.assertEqual(warnings[0]["endpoint"], "tcp:9102")
        self.assertIn("interface=127.0.0.1", warnings[0]["log_format"])

    def test_quiet(self):
        """
        An endpoint on one address starts quietly.
        """
        with capturedLogs() as events:
            warnEveryNetwork("tcp:9102:interface=127.0.0.1")
        self.assertEqual(events, [])

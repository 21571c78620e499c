"""
L{tests.serverprocess.ServerProcess} started again on other ports when one
it picked was taken before the server listened: its metrics port too, so
that tests with C{--metrics} do not fail when another process took that
port between L{freePort} and the server's start (a CI flake: the server
ended with "Address already in use" and was started again on the same
metrics port, which a test had passed among its options).
"""

import socket
import urllib.request

from twisted.trial import unittest

from tests import serverprocess
from tests.serverprocess import startServer


class MetricsPortTakenTests(unittest.TestCase):
    """
    A metrics port taken at the server's first start.
    """

    timeout = 120

    def setUp(self):
        try:
            import prometheus_client  # noqa: F401
        except ImportError:
            raise unittest.SkipTest("prometheus-client not installed")

    def test_startedAgain(self):
        """
        The server ends at its first start, the metrics port being in
        use, and serves once started again on other ports: its metrics
        too, on the port it then says.
        """
        taken = socket.socket()
        self.addCleanup(taken.close)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        takenPort = taken.getsockname()[1]
        picked = []
        free = serverprocess.freePort

        def freePort():
            # The second port picked is the metrics port of the first
            # start: hand out the one taken.
            picked.append(takenPort if len(picked) == 1 else free())
            return picked[-1]

        self.patch(serverprocess, "freePort", freePort)
        server, _ = startServer(self, metrics=True)
        self.assertEqual(len(picked), 4)
        self.assertNotEqual(server.metricsPort, takenPort)
        with urllib.request.urlopen(server.metricsURL(),
                                    timeout=30) as response:
            self.assertIn(b"ftpkit_sessions", response.read())

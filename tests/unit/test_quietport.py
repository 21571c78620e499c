"""
Tests for L{ftpkit.loopback.quietPort}, the free port below the
ephemeral range that the benchmark's and the tests' servers are started
on.
"""

import random
import socket

from twisted.trial import unittest

from ftpkit.data.passive import EPHEMERAL_PORTS
from ftpkit.loopback import quietPort


class QuietPortTests(unittest.TestCase):
    """
    L{quietPort}.
    """

    def test_belowEphemeral(self):
        """
        The port is below the ephemeral range, and free: it can be bound.
        """
        port = quietPort(rng=random.Random(5))
        self.assertLess(port, min(EPHEMERAL_PORTS[0], 32768))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))

    def test_skipsTaken(self):
        """
        A port taken is skipped; with every port tried taken, C{None}.
        """
        taken = socket.socket()
        self.addCleanup(taken.close)
        taken.bind(("127.0.0.1", quietPort()))
        port = taken.getsockname()[1]

        class Only:
            @staticmethod
            def sample(population, count):
                return [port]

        self.assertIsNone(quietPort(tries=1, rng=Only))

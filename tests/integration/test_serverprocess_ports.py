"""
L{tests.serverprocess.ServerProcess} started again on other ports when one
it picked was taken before the server listened: its metrics port too, so
that tests with C{--metrics} do not fail when another process took that
port between L{freePort} and the server's start (a CI flake: the server
ended with "Address already in use" and was started again on the same
metrics port, which a test had passed among its options).

L{freePort} itself: a port taken is drawn again, on the address asked,
and ports are drawn below the kernel's ephemeral range.
"""

import socket
import threading
import urllib.request

from twisted.trial import unittest

from tests import serverprocess
from tests.ipv6 import hasIPv6
from tests.serverprocess import PICKED_PORTS, freePort, startServer


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


class ListeningPortTakenTests(unittest.TestCase):
    """
    The listening port taken, before the server started, by a program that
    greets as a server does.
    """

    timeout = 120

    def test_notGreetedByAnother(self):
        """
        L{startServer} waits for its own server's greeting: another
        program's 220 on the port picked is not taken for it (its login,
        and a listing of the new directory, would have gone to that
        program: a CI flake got C{550} for a directory the test had just
        made); the server, its port taken, is started again on another.
        """
        other = socket.socket()
        self.addCleanup(other.close)
        other.bind(("127.0.0.1", 0))
        other.listen(50)
        otherPort = other.getsockname()[1]
        stop = threading.Event()

        def greet():
            other.settimeout(0.1)
            while not stop.is_set():
                try:
                    client, _ = other.accept()
                except OSError:
                    continue
                with client:
                    client.sendall(b"220 another program\r\n")

        greeter = threading.Thread(target=greet, daemon=True)
        greeter.start()
        self.addCleanup(greeter.join)
        self.addCleanup(stop.set)
        picked = []
        free = serverprocess.freePort

        def freePort():
            picked.append(otherPort if not picked else free())
            return picked[-1]

        self.patch(serverprocess, "freePort", freePort)
        server, _ = startServer(self)
        self.assertEqual(len(picked), 2)
        self.assertNotEqual(server.port, otherPort)
        self.assertTrue(server.greeting().startswith(b"220 "))
        self.assertNotIn(b"another program", server.greeting())


class _Drawn:
    """
    Stands for C{random}: gives the ports it was made with, in order.

    @ivar asked: the ranges it was asked to draw from.
    """

    def __init__(self, *ports):
        self._ports = list(ports)
        self.asked = []

    def randrange(self, low, high):
        """
        @return: the next port.
        """
        self.asked.append((low, high))
        return self._ports.pop(0)


class FreePortTests(unittest.TestCase):
    """
    L{freePort} draws ports until one is free on the address asked.
    """

    def taken(self, host, family):
        """
        @return: a port bound on C{host} until the test ends.
        """
        sock = socket.socket(family)
        self.addCleanup(sock.close)
        sock.bind((host, 0))
        return sock.getsockname()[1]

    def test_takenDrawnAgain(self):
        """
        A port taken is not given: the next one drawn is.
        """
        free = freePort()
        drawn = _Drawn(self.taken("127.0.0.1", socket.AF_INET), free)
        self.assertEqual(freePort(rng=drawn), free)
        self.assertEqual(drawn.asked, [PICKED_PORTS] * 2)

    def test_takenOnIPv6(self):
        """
        A port taken on C{::1} is drawn again when asked for C{::1}.
        """
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        free = freePort("::1", socket.AF_INET6)
        drawn = _Drawn(self.taken("::1", socket.AF_INET6), free)
        self.assertEqual(freePort("::1", socket.AF_INET6, rng=drawn), free)

    def test_belowEphemeral(self):
        """
        The ports drawn are below the kernel's ephemeral range, and below
        L{serverprocess.freeRange}'s passive ranges (from 20000).
        """
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            ephemeral = int(f.read().split()[0])
        self.assertLessEqual(PICKED_PORTS[1], min(ephemeral, 20000))

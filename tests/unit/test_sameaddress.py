"""
Tests for L{ftpkit.deploy.sameaddress}: two listeners that would take
one address (C{--listen} twice, C{--metrics} on a C{--listen} port) are a
one-line usage error before anything listens, where the second failed to
listen once the first did and the server stopped; so is a
C{--passive-ports} range of listeners' ports alone.
"""

import os
import socket
import subprocess
import sys

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.deploy.sameaddress import (
    boundAddress,
    clashes,
    dualStack,
    firstClash,
    passiveClash,
)
from tests.tapoptions import parse
from tests.twistdrun import SOURCE, TWISTD


def clash(first, second, dual=True):
    """
    @return: whether the listeners C{first} and C{second} describe would
        take one address.
    """
    return clashes(boundAddress(first), boundAddress(second), dual)


class ClashTests(unittest.TestCase):
    """
    L{clashes} of two endpoint descriptions.
    """

    def test_sameAddress(self):
        """
        The same port of the same address, however spelled.
        """
        for first, second in [
                ("tcp:2121:interface=127.0.0.1", "tcp:2121:interface=127.0.0.1"),
                ("tcp:2121:interface=127.0.0.1", "tcp:port=2121:interface=127.0.0.1"),
                ("tcp6:2121:interface=\\:\\:1", "tcp6:2121:interface=0\\:0\\:\\:1"),
                ("tcp:990", "ssl:990:privateKey=k.pem"),
                ("tcp:2121", "haproxy:tcp:2121"),
                ("tcp:21:interface=127.0.0.1",
                 "tcp6:21:interface=\\:\\:ffff\\:127.0.0.1"),
                ("unix:ftp.sock", "unix:" + os.path.abspath("ftp.sock")),
                ("tcp:21:interface=localhost", "tcp:21:interface=LOCALHOST")]:
            self.assertTrue(clash(first, second), (first, second))
            self.assertTrue(clash(second, first), (second, first))

    def test_everyAddress(self):
        """
        A listener on every address of a family takes its port on each
        address of that family, and C{::} on every IPv4 address too on a
        dual-stack system.
        """
        self.assertTrue(clash("tcp:21", "tcp:21:interface=10.0.0.1"))
        self.assertTrue(clash("tcp:21:interface=10.0.0.1", "tcp:21"))
        self.assertTrue(clash("tcp6:21", "tcp6:21:interface=\\:\\:1"))
        self.assertTrue(clash("tcp6:21", "tcp:21:interface=10.0.0.1"))
        self.assertTrue(clash("tcp6:21", "tcp:21"))
        self.assertFalse(clash("tcp6:21", "tcp:21", dual=False))
        self.assertFalse(clash("tcp:21", "tcp6:21:interface=\\:\\:1"))

    def test_apart(self):
        """
        Other ports, other addresses, port 0 (the system picks one each),
        other sockets, and what cannot be read are no clash.
        """
        for first, second in [
                ("tcp:21", "tcp:22"),
                ("tcp:21:interface=127.0.0.1", "tcp:21:interface=127.0.0.2"),
                ("tcp:0:interface=127.0.0.1", "tcp:0:interface=127.0.0.1"),
                ("unix:/run/a.sock", "unix:/run/b.sock"),
                ("unix:/run/a.sock", "tcp:21"),
                ("systemd:domain=INET:index=0", "systemd:domain=INET:index=0"),
                ("tcp:21:interface=localhost", "tcp:21:interface=127.0.0.1"),
                ("nosuch:21", "nosuch:21")]:
            self.assertFalse(clash(first, second), (first, second))

    def test_dualStack(self):
        """
        L{dualStack} reads Linux's C{bindv6only}: C{0} is dual-stack, C{1}
        is not; unreadable, Linux's default (dual-stack).
        """
        path = self.mktemp()
        for text, expected in [("0\n", True), ("1\n", False)]:
            with open(path, "w") as f:
                f.write(text)
            self.assertEqual(dualStack(path), expected)
        self.assertTrue(dualStack(self.mktemp()))


class FirstClashTests(unittest.TestCase):
    """
    L{firstClash} names the option and both listeners.
    """

    def test_listenTwice(self):
        self.assertEqual(firstClash(["tcp:21", "tcp:22", "tcp:21"]),
                         "--listen: 'tcp:21' given twice")

    def test_listenOverlapping(self):
        self.assertEqual(
            firstClash(["tcp:21", "tcp:21:interface=10.0.0.1"]),
            "--listen: 'tcp:21:interface=10.0.0.1' would listen on port 21 "
            "of 10.0.0.1, where --listen 'tcp:21' listens")

    def test_metrics(self):
        self.assertEqual(
            firstClash(["tcp:21:interface=10.0.0.1"], "tcp:21"),
            "--metrics: 'tcp:21' would listen on port 21 of 10.0.0.1, "
            "where --listen 'tcp:21:interface=10.0.0.1' listens")
        self.assertEqual(
            firstClash(["tcp:21"], "tcp:21"),
            "--metrics: 'tcp:21' would listen on port 21 of every address, "
            "where --listen 'tcp:21' listens")

    def test_none(self):
        self.assertIsNone(firstClash(["tcp:21", "tcp6:21:interface=\\:\\:1"],
                                     "tcp:9102:interface=127.0.0.1"))
        self.assertIsNone(firstClash(["tcp:21"], None))


class PassiveClashTests(unittest.TestCase):
    """
    L{passiveClash}: a C{--passive-ports} range holding the port of a
    listener where the sessions' passive listeners bind.
    """

    def test_listenPort(self):
        """
        The port of a C{--listen}, its sessions' passive listeners binding
        the same address (every address: each of them), alone in the
        range.
        """
        for listen in (["tcp:2121"], ["tcp:2121:interface=127.0.0.1"],
                       ["haproxy:tcp:2121"], ["ssl:2121:privateKey=k.pem"]):
            self.assertEqual(
                passiveClash(listen, None, (2121, 2121)),
                f"--passive-ports: 2121-2121 holds port 2121, where --listen "
                f"{listen[0]!r} listens: no passive connection could use it "
                "(leave it out of the range)")

    def test_everyPortTaken(self):
        """
        Listeners taking every port of the range between them: the first
        port's is named.
        """
        self.assertEqual(
            passiveClash(["tcp:2122", "tcp:2121:interface=127.0.0.1"],
                         "tcp:2123", (2121, 2123)),
            "--passive-ports: 2121-2123 holds port 2121, where --listen "
            "'tcp:2121:interface=127.0.0.1' listens: no passive connection "
            "could use it (leave it out of the range)")

    def test_otherPortsLeft(self):
        """
        A range holding a listener's port with other ports left is no
        clash: C{PASV} uses the others (C{1024-65535} beside the control
        port, or a range a test harness drew at random).
        """
        for listen, metrics, ports in [
                (["tcp:2121"], None, (1024, 65535)),
                (["tcp:2121"], None, (2121, 2122)),
                (["tcp:2121", "tcp:2122"], "tcp:2124", (2121, 2124))]:
            self.assertIsNone(passiveClash(listen, metrics, ports),
                              (listen, metrics, ports))

    def test_metricsPort(self):
        """
        The port of C{--metrics}, on an address some C{--listen}'s passive
        listeners bind: the same, or every address (of either side), or,
        for a C{unix:} listener, whose connections have no address,
        C{127.0.0.1}.
        """
        for listen, metrics in [
                (["tcp:21"], "tcp:9102:interface=127.0.0.1"),
                (["tcp:21:interface=127.0.0.1"], "tcp:9102"),
                (["tcp:21:interface=10.0.0.1", "tcp:22:interface=127.0.0.1"],
                 "tcp:9102:interface=127.0.0.1"),
                (["tcp6:21"], "tcp:9102:interface=127.0.0.1"),
                (["unix:/run/ftp.sock"], "tcp:9102:interface=127.0.0.1")]:
            self.assertEqual(
                passiveClash(listen, metrics, (9102, 9102)),
                f"--passive-ports: 9102-9102 holds port 9102, where --metrics "
                f"{metrics!r} listens: no passive connection could use it "
                "(leave it out of the range)", (listen, metrics))

    def test_apart(self):
        """
        No range, ports outside it, other addresses, port 0, and what
        cannot be read are no clash.
        """
        for listen, metrics, ports, dual in [
                (["tcp:2121"], "tcp:9102", None, True),
                (["tcp:2121"], "tcp:9102", (9103, 9200), True),
                (["tcp:21:interface=127.0.0.1"], "tcp:9102:interface=10.0.0.1",
                 (9000, 9200), True),
                (["tcp6:21"], "tcp:9102:interface=127.0.0.1", (9000, 9200),
                 False),
                (["tcp6:21:interface=\\:\\:1"], "tcp:9102", (9000, 9200),
                 True),
                (["unix:/run/ftp.sock"], "tcp:9102:interface=10.0.0.1",
                 (9000, 9200), True),
                (["tcp:0:interface=127.0.0.1"], None, (1024, 65535), True),
                (["systemd:domain=INET:index=0"], "tcp:9102", (9000, 9200),
                 True),
                (["tcp:21:interface=localhost"], "tcp:9102:interface=127.0.0.1",
                 (9000, 9200), True)]:
            self.assertIsNone(passiveClash(listen, metrics, ports, dual),
                              (listen, metrics, ports, dual))

    def test_firstClash(self):
        """
        L{firstClash} names two listeners on one address first, then a
        listener the range holds.
        """
        self.assertEqual(
            firstClash(["tcp:21", "tcp:21"], None, True, (21, 21)),
            "--listen: 'tcp:21' given twice")
        self.assertTrue(firstClash(["tcp:2121"], None, True, (2121, 2121))
                        .startswith("--passive-ports: "))


class OptionsTests(unittest.TestCase):
    """
    The options refuse listeners that would take one address.
    """

    def test_refused(self):
        for args, option in [
                (["--listen", "tcp:2121", "--listen", "tcp:2121"], "--listen"),
                (["--listen", "unix:ftp.sock", "--listen", "unix:ftp.sock"],
                 "--listen"),
                (["--listen", "tcp:2121:interface=127.0.0.1", "--metrics",
                  "tcp:2121:interface=127.0.0.1"], "--metrics"),
                (["--metrics", "tcp:2121"], "--metrics"),
                (["--listen", "tcp:2121", "--listen", "tcp:2121",
                  "--workers", "2"], "--listen"),
                (["--passive-ports", "2121-2121"], "--passive-ports"),
                (["--listen", "tcp:21:interface=127.0.0.1", "--metrics",
                  "tcp:9102", "--passive-ports", "9102-9102"],
                 "--passive-ports")]:
            try:
                import prometheus_client  # noqa: F401
            except ImportError:
                if "--metrics" in args:
                    continue
            e = self.assertRaises(usage.UsageError, parse, *args)
            self.assertTrue(str(e).startswith(option + ": "), str(e))

    def test_taken(self):
        """
        Listeners apart are taken.
        """
        options = parse("--listen", "tcp:0:interface=127.0.0.1", "--listen",
                        "tcp:0:interface=127.0.0.1", "--listen", "tcp:2121")
        self.assertEqual(len(options["listen"]), 3)


def freePort():
    """
    @return: a port of 127.0.0.1 free a moment ago.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ProcessTests(unittest.TestCase):
    """
    C{python -m ftpkit} and C{twistd ftpkit}, one process or C{--workers
    2}: one line, exit status 1, nothing listened on. Each listened on
    the first and stopped with C{cannot listen} at the second.
    """

    def check(self, command, expectedName):
        port = freePort()
        listen = f"tcp:{port}:interface=127.0.0.1"
        for extra in ([], ["--workers", "2"]):
            done = subprocess.run(
                [*command, "--listen", listen, "--listen", listen,
                 "--root", os.getcwd(), "--auth", "anonymous", *extra],
                capture_output=True, text=True, timeout=60,
                env=dict(os.environ, PYTHONPATH=SOURCE),
                stdin=subprocess.DEVNULL)
            self.assertEqual(
                (done.returncode, done.stderr, done.stdout),
                (1, f"{expectedName}: --listen: {listen!r} given twice "
                 "(see --help)\n", ""))

    def test_pythonM(self):
        self.check([sys.executable, "-m", "ftpkit"], "ftpkit")

    def test_twistd(self):
        self.check([sys.executable, "-c", TWISTD, "-n", "--pidfile=",
                  "ftpkit"], "twistd ftpkit")

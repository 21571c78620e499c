"""
A smoke test of C{python -m bench.scaleout}: one tiny round through
HAProxy with one node and with two checks that both figures are made and
reported (no number is judged: the benchmark is run on purpose, not here).
"""

import io
import os
import socket
import sys

from twisted.trial import unittest

from bench import scaleout
from bench.balancer import (
    freeRange,
    haproxyConfig,
    haproxyInstalled,
    portsTaken,
    startHaproxy,
)
from bench.servers import freePort, waitForListening
from tests.scratch import scratchDirectory


class ScaleOutBenchTests(unittest.TestCase):
    """
    L{bench.scaleout} runs end to end.
    """

    timeout = 180

    def test_quick(self):
        """
        In quick mode, one round measures logins and small files through
        each balancer, and the report has a line for each with both
        clusters and their ratio, then the CPU lines.
        """
        if not haproxyInstalled():
            raise unittest.SkipTest("haproxy is not installed")
        workdir = scratchDirectory(self)
        args = scaleout.parseArguments(["--quick", "--files", "8",
                                        "--logins", "8", "--clients", "2"])
        figures = scaleout.run(args, workdir)
        self.assertEqual(list(figures), list(scaleout.FIGURES))
        for values in figures.values():
            self.assertEqual(sorted(values), ["1 node", "2 nodes"])
            self.assertTrue(all(len(samples) == 1 and samples[0] >= 0
                                for samples in values.values()))
        for figure in ("logins/s", "16 KiB files/s"):
            self.assertTrue(all(samples[0] > 0
                                for samples in figures[figure].values()))
        heading, logins, files, *cpu = scaleout.report(figures)
        self.assertIn("2 nodes / 1 node", heading)
        self.assertEqual(logins.split()[0], "logins/s")
        self.assertEqual(files.split()[:3], ["16", "KiB", "files/s"])
        self.assertRegex(files, r"\d+\.\d\dx \(")
        self.assertEqual(len(cpu), 6)

    def test_noHaproxy(self):
        """
        Without HAProxy it says so and measures nothing.
        """
        self.patch(scaleout, "haproxyInstalled", lambda: False)
        self.patch(sys, "stderr", io.StringIO())
        self.assertEqual(scaleout.main(["--quick"]), 0)
        self.assertEqual(sys.stderr.getvalue(),
                         "haproxy is not installed (apt-get install haproxy):"
                         " nothing measured\n")


class SharedPortsTests(unittest.TestCase):
    """
    Two balancers started at once on overlapping ports (tests, other
    runs) must not share them: one would take the other's passive data
    connections to a node that does not expect them.
    """

    def test_secondFails(self):
        """
        The second HAProxy on a port the first holds exits at start,
        saying so in a way L{portsTaken} recognizes (the layout is then
        started again on other ports).
        """
        if not haproxyInstalled():
            raise unittest.SkipTest("haproxy is not installed")
        frontend = freePort()
        passive = freeRange(2, ("127.0.0.1", "127.0.0.2"))
        config = haproxyConfig(frontend, [("127.0.0.2", freePort())],
                               [passive])
        path = os.path.abspath(self.mktemp())
        with open(path, "w") as f:
            f.write(config)
        balancers = []
        for _ in range(2):
            log = open(self.mktemp(), "w+b")
            self.addCleanup(log.close)
            process = startHaproxy(path, log)
            self.addCleanup(process.wait, 30)
            self.addCleanup(process.terminate)
            balancers.append((process, log))
            if len(balancers) == 1:
                waitForListening("127.0.0.1", frontend, process, "haproxy")
        first, second = balancers
        self.assertEqual(second[0].wait(30), 1)
        second[1].seek(0)
        self.assertTrue(portsTaken(second[1].read().decode()))
        self.assertIsNone(first[0].poll())


class FreeRangeTests(unittest.TestCase):
    """
    L{freeRange} finds ports for a layout's passive ranges however many
    other runs hold.
    """

    def test_skipsTaken(self):
        """
        A port held (listening) is never in the range found: of three
        ports that were free, with the middle one taken, a range of one is
        either of the others, and there is no range of two.
        """
        hosts = ("127.0.0.1",)
        first = self.holdMiddle(hosts)
        self.assertIn(freeRange(1, hosts, first, first + 3),
                      [(first, first), (first + 2, first + 2)])
        self.assertRaises(RuntimeError, freeRange, 2, hosts, first,
                          first + 3)

    def holdMiddle(self, hosts, attempts=20):
        """
        Find three free ports and listen on the middle one. Another test
        (the other trial worker's scale-out runs) may take a port found
        free before it is bound here: then look again.

        @param hosts: the addresses the ports must be free on.
        @param attempts: how many ranges to try.
        @return: the first of the three ports.
        """
        for _ in range(attempts):
            first, _ = freeRange(3, hosts)
            held = socket.socket()
            try:
                held.bind(("127.0.0.1", first + 1))
            except OSError:
                held.close()
                continue
            self.addCleanup(held.close)
            held.listen(1)
            return first
        self.fail("no free range of three ports in %d attempts" % attempts)

    def test_timeWaitIsFree(self):
        """
        A port whose only connection is in C{TIME_WAIT} (closed first by
        this side, as after a transfer) is free: the nodes and HAProxy
        bind with C{SO_REUSEADDR}. On a machine busy with other runs'
        transfers, most ports can be in that state.
        """
        listening = socket.socket()
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(("127.0.0.1", 0))
        listening.listen(1)
        port = listening.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = listening.accept()
        accepted.close()
        listening.close()
        self.assertEqual(client.recv(1), b"")
        client.close()
        self.assertEqual(freeRange(1, ("127.0.0.1",), port, port + 1),
                         (port, port))

"""
Two ftpkit nodes behind a real HAProxy speaking the PROXY protocol, with
clients on several loopback addresses: the nodes see each client's own
address (limits, logs, the theft check), passive data connections go
through the balancer too, and a node's death leaves the other serving.
"""

import ftplib
import io
import os
import socket
import subprocess
import time

from twisted.trial import unittest

from bench.balancer import (
    ATTEMPTS,
    freeRange,
    haproxyConfig,
    haproxyInstalled,
    portsTaken,
    startHaproxy,
    waitForGreeting,
)
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess, freePort
from tests.sockreads import readToEnd

NODES = ("127.0.0.2", "127.0.0.3")
"""The nodes' addresses; the balancer listens on 127.0.0.1."""


class BalancerMixin:
    """
    Starts two C{python -m ftpkit} nodes (each greeting C{220 nodeI}) and
    HAProxy 2.x in front of them; L{nodeOptions} says what they serve.

    @ivar nodes: the nodes' L{ServerProcess}es.
    @ivar backends: C{(host, port)} of each node's C{haproxy:} listener.
    @ivar frontend: the balancer's control port on 127.0.0.1.
    """

    def nodeOptions(self):
        """
        @return: the options, storage and logins, every node gets.
        """
        raise NotImplementedError()

    def setUp(self):
        if not haproxyInstalled():
            raise unittest.SkipTest("haproxy is not installed")
        options = self.nodeOptions()
        for _ in range(ATTEMPTS):
            if self.startLayout(options):
                return
            for node in self.nodes:
                node.stop()
        self.fail(f"haproxy's ports were taken {ATTEMPTS} times")

    def startLayout(self, options):
        """
        Start the nodes on ports that were free, then the balancer, and
        wait until it greets through both nodes.

        @param options: from L{nodeOptions}.
        @return: C{False} when the balancer could not bind its ports
            (taken meanwhile: start again on others).
        """
        self.nodes, backends, ranges = [], [], []
        for i, host in enumerate(NODES):
            port = freePort()
            low, high = freeRange(8, ("127.0.0.1", host))
            ranges.append((low, high))
            node = ServerProcess(self, [
                "--listen", f"haproxy:tcp:{port}:interface={host}",
                "--trusted-proxy", "127.0.0.1", "--banner", f"node{i}",
                "--passive-ports", f"{low}-{high}", *options])
            node.waitForGreeting()
            self.nodes.append(node)
            backends.append((host, port))
        self.backends = backends
        self.frontend = freePort()
        config = os.path.join(os.path.abspath(self.mktemp()))
        with open(config, "w") as f:
            f.write(haproxyConfig(self.frontend, backends, ranges))
        self.haproxyLog = open(self.mktemp(), "w+b")
        self.addCleanup(self.haproxyLog.close)
        self.haproxy = startHaproxy(config, self.haproxyLog)
        self.addCleanup(self.haproxy.wait, 30)
        self.addCleanup(self.haproxy.terminate)
        if waitForGreeting(self.frontend, self.haproxy,
                           probes=len(self.nodes)):
            return True
        self.haproxyLog.seek(0)
        log = self.haproxyLog.read().decode("utf-8", "replace")
        if portsTaken(log):
            return False
        self.fail("haproxy did not start:\n" + log)

    def client(self, source):
        """
        @param source: the client's loopback address.
        @return: an C{ftplib.FTP} connected through the balancer.
        """
        ftp = ftplib.FTP(source_address=(source, 0), timeout=30)
        ftp.connect("127.0.0.1", self.frontend)
        return ftp

    def clientOn(self, node, source="127.0.0.5"):
        """
        @param node: the index of a node.
        @param source: the client's loopback address.
        @return: an C{ftplib.FTP} connected through the balancer to that
            node: round robin gets there within a few connections, unless
            a health check late on a loaded machine had the balancer take
            the node out for a moment; so this tries until a deadline.
        """
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ftp = self.client(source)
            if ftp.getwelcome() == f"220 node{node}":
                return ftp
            ftp.quit()
        self.haproxyLog.seek(0)
        self.fail(f"no session reached node{node}:\n"
                  + self.haproxyLog.read().decode("utf-8", "replace"))

    def logs(self):
        """
        @return: the nodes' logs, one after the other.
        """
        return "".join(node.log() for node in self.nodes)

    def waitForLogs(self, text):
        """
        Wait until a node logged C{text} (under C{--workers} a worker's
        line reaches the log through the acceptor, a moment later).

        @return: the nodes' logs.
        """
        deadline = time.monotonic() + 30
        while text not in self.logs():
            if time.monotonic() > deadline:
                self.fail(f"no node logged {text!r}:\n{self.logs()}")
            time.sleep(0.05)
        return self.logs()


class BalancedNodesTests(BalancerMixin, unittest.TestCase):
    """
    The real parts: HAProxy 2.x, two C{python -m ftpkit} nodes on one
    shared root, C{ftplib} and curl clients.
    """

    def nodeOptions(self):
        self.root = scratchDirectory(self)
        return ["--root", self.root, "--auth", "anonymous",
                "--auth", "memory:alice:secret", "--anonymous-write",
                "--max-connections-per-ip", "2", "--max-login-attempts", "1"]

    def test_clientAddresses(self):
        """
        A failed login is logged with the client's address, never the
        balancer's.
        """
        bad = self.client("127.0.0.7")
        self.assertRaises(ftplib.error_perm, bad.login, "alice", "wrong")
        bad.close()
        log = self.waitForLogs("failed login from 127.0.0.7")
        self.assertNotIn("from 127.0.0.1", log)

    def test_perAddressLimit(self):
        """
        With a limit of two sessions per address, six clients from three
        addresses (two each) all log in: the limit counts clients, not
        the balancer (which every connection comes from).
        """
        sessions = [self.client(f"127.0.0.{n}") for n in (5, 5, 6, 6, 8, 8)]
        for ftp in sessions:
            ftp.login("anonymous", "a@b")
        for ftp in sessions:
            ftp.quit()

    def test_transfersThroughBalancer(self):
        """
        Uploads and downloads over passive connections that come through
        the balancer (with their own PROXY header) work, PASV with ftplib
        and EPSV with curl, and a file stored through one node is served
        by the other. Each ftplib session is sent to its node with
        L{clientOn}: round robin alone puts consecutive sessions on both
        only while no late health check takes a node out for a moment.
        """
        content = os.urandom(300_000)
        up = self.clientOn(0, "127.0.0.5")
        up.login("anonymous", "a@b")
        up.storbinary("STOR shared.bin", io.BytesIO(content))
        up.quit()
        for node, source in ((1, "127.0.0.6"), (0, "127.0.0.7")):
            down = self.clientOn(node, source)
            down.login("anonymous", "a@b")
            got = io.BytesIO()
            down.retrbinary("RETR shared.bin", got.write)
            down.quit()
            self.assertEqual(got.getvalue(), content)
        curl = subprocess.run(
            ["curl", "-sS", "--interface", "127.0.0.8", "--max-time", "30",
             f"ftp://127.0.0.1:{self.frontend}/shared.bin"],
            capture_output=True, check=True)
        self.assertEqual(curl.stdout, content)
        self.nodes[1].waitForLog("RETR from 127.0.0.6")
        self.nodes[0].waitForLog("RETR from 127.0.0.7")
        self.assertIn("STOR from 127.0.0.5", self.nodes[0].log())
        self.assertNotIn("STOR from 127.0.0.5", self.nodes[1].log())

    def test_thiefThroughBalancer(self):
        """
        A stranger racing for a passive port through the balancer, ahead
        of the client, is refused (its header names its own address), and
        the real client's transfer goes on.
        """
        with open(os.path.join(self.root, "f.txt"), "wb") as f:
            f.write(b"mine")
        ftp = self.client("127.0.0.5")
        ftp.login("anonymous", "a@b")
        reply = ftp.sendcmd("PASV")
        numbers = reply[reply.index("(") + 1:reply.index(")")].split(",")
        port = int(numbers[4]) * 256 + int(numbers[5])
        thief = socket.create_connection(("127.0.0.1", port), timeout=10,
                                         source_address=("127.0.0.9", 0))
        # The stranger is refused (its header read) before the client
        # connects: waited for, not slept on.
        self.waitForLogs("refused passive data connection from 127.0.0.9")
        data = socket.create_connection(("127.0.0.1", port), timeout=10,
                                        source_address=("127.0.0.5", 0))
        ftp.sendcmd("TYPE I")
        ftp.putcmd("RETR f.txt")
        self.assertTrue(ftp.getresp().startswith("150"))
        self.assertEqual(thief.recv(100), b"")
        thief.close()
        received = readToEnd(data)
        data.close()
        self.assertTrue(ftp.getresp().startswith("226"))
        self.assertEqual(received, b"mine")
        ftp.quit()

    def test_nodeDies(self):
        """
        With one node killed, new sessions go to the other, and what was
        answered 226 before is still there.
        """
        ftp = self.client("127.0.0.5")
        ftp.login("anonymous", "a@b")
        ftp.storbinary("STOR kept.txt", io.BytesIO(b"kept"))
        ftp.quit()
        self.nodes[0].process.kill()
        self.nodes[0].process.wait()
        for _ in range(4):
            ftp = self.client("127.0.0.6")
            ftp.login("anonymous", "a@b")
            got = io.BytesIO()
            ftp.retrbinary("RETR kept.txt", got.write)
            self.assertEqual(got.getvalue(), b"kept")
            ftp.quit()

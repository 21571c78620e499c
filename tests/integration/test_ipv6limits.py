"""
C{--ipv6-prefix-length} end to end: a server process listening on C{::1}
behind the PROXY protocol (the one way a test on one machine can come
from many IPv6 addresses), in one process and under C{--workers}.
"""

import socket

from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess

FIRST = "2001:db8:0:1::a"
SECOND = "2001:db8:0:1:ffff::b"
ELSEWHERE = "2001:db8:0:2::a"


def _ipv6Loopback():
    """
    @return: a port on C{::1} that was free a moment ago, or C{None}
        when this machine has no IPv6 loopback.
    """
    try:
        with socket.create_server(("::1", 0), family=socket.AF_INET6) as s:
            return s.getsockname()[1]
    except OSError:
        return None


class PrefixLengthTests(unittest.TestCase):
    """
    Two addresses of one C{/64} are one client for
    C{--max-connections-per-ip}; with C{--ipv6-prefix-length 128} they are
    two.
    """

    options = ()

    def startServer(self, *options):
        """
        Start a server allowing one session per client, with a
        C{haproxy:tcp6:} listener on C{::1}.

        @return: the L{ServerProcess}.
        """
        port = _ipv6Loopback()
        if port is None:
            raise unittest.SkipTest("no IPv6 loopback (::1) on this machine")
        root = scratchDirectory(self)
        server = ServerProcess(self, [
            "--root", root, "--auth", "anonymous",
            "--max-connections-per-ip", "1",
            "--listen", f"haproxy:tcp6:{port}:interface=\\:\\:1",
            *self.options, *options])
        server.waitForGreeting()
        server.port6 = port
        return server

    def greeting(self, server, source):
        """
        Connect to C{::1} as the client C{source} (a PROXY header names
        it) and keep the connection open until the test ends.

        @return: the first reply line.
        """
        client = socket.create_connection(("::1", server.port6), timeout=30)
        self.addCleanup(client.close)
        client.sendall(f"PROXY TCP6 {source} ::1 40000 21\r\n".encode())
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = client.recv(200)
            if not chunk:
                break
            reply += chunk
        return reply

    def test_slash64IsOneClient(self):
        """
        By default the second address of a C{/64} gets C{421}; an address
        of another C{/64} is served.
        """
        server = self.startServer()
        self.assertTrue(self.greeting(server, FIRST).startswith(b"220"))
        refused = self.greeting(server, SECOND)
        self.assertTrue(refused.startswith(b"421"), refused)
        self.assertTrue(
            self.greeting(server, ELSEWHERE).startswith(b"220"))

    def test_exactAddresses(self):
        """
        With C{--ipv6-prefix-length 128} each address is its own client.
        """
        server = self.startServer("--ipv6-prefix-length", "128")
        self.assertTrue(self.greeting(server, FIRST).startswith(b"220"))
        self.assertTrue(self.greeting(server, SECOND).startswith(b"220"))
        refused = self.greeting(server, FIRST)
        self.assertTrue(refused.startswith(b"421"), refused)


class WorkersPrefixLengthTests(PrefixLengthTests):
    """
    The same under C{--workers}, where the acceptor counts the clients.
    """

    options = ("--workers", "2")

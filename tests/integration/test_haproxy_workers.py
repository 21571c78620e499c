"""
Nodes behind a real HAProxy each running C{--workers 2}: the acceptor
reads each connection's PROXY header before it counts the client and
hands the connection to a worker, which starts the session with the
client's address. Every test of the single-process nodes runs again.
"""

import socket

from tests.integration import test_haproxy


def firstAnswer(address, data, source=None):
    """
    Connect, send some bytes, and read what comes back.

    @param address: C{(host, port)} to connect to.
    @param data: the bytes to send.
    @param source: the C{(host, port)} to connect from, or C{None}.
    @return: the first bytes the other side sent, C{b""} when it closed
        (or reset) the connection without a word.
    """
    with socket.create_connection(address, timeout=30,
                                  source_address=source) as s:
        s.sendall(data)
        try:
            return s.recv(100)
        except ConnectionResetError:
            return b""


class BalancedWorkersTests(test_haproxy.BalancedNodesTests):
    """
    L{test_haproxy.BalancedNodesTests} with two worker processes a node.
    """

    def nodeOptions(self):
        return [*super().nodeOptions(), "--workers", "2"]

    def test_untrustedRefused(self):
        """
        A connection to a node's C{haproxy:} listener from an address
        that is no C{--trusted-proxy} is closed unanswered, by the
        acceptor.
        """
        answer = firstAnswer(self.backends[0],
                             b"PROXY TCP4 127.0.0.7 127.0.0.1 5555 21\r\n",
                             ("127.0.0.5", 0))
        self.assertEqual(answer, b"")
        self.nodes[0].waitForLog(
            "refused connection from 127.0.0.5: not a --trusted-proxy")

    def test_badHeaderRefused(self):
        """
        A trusted balancer's connection that starts with something else
        than a PROXY header is closed unanswered, and logged.
        """
        answer = firstAnswer(self.backends[1], b"USER anonymous\r\n")
        self.assertEqual(answer, b"")
        self.nodes[1].waitForLog("refused connection from 127.0.0.1 on a"
                                 " PROXY-protocol listener")


del test_haproxy

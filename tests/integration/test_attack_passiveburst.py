"""
Passive commands pipelined by the thousand, against a server with
C{--passive-ports} and few descriptors, in a process of its own.

Each C{PASV} or C{EPSV} closes the session's last listener and opens
another; a closed socket's descriptor number stays taken until the
reactor's next turn (L{ftpkit.data.descriptors}), and every command of
one read ran in that one turn. So a client sending 5,000 C{EPSV}s at
once held a number for each: the process ran out of descriptors (1,009
listeners, then C{425 Too many open files} for the rest), and while it
was out, other clients were refused or dropped (four such sessions kept
a server of 1,024 descriptors from serving anyone). A session now opens
at most one listener a turn: the next passive command waits for the
turn after.
"""

from twisted.internet import defer, threads
from twisted.trial import unittest

from tests.integration.test_fdlimit import limitDescriptors
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess, freeRange

LIMIT = 256
"""The server's descriptors."""

BURST = 2 * LIMIT
"""Passive commands of each pattern, sent at once."""


class PassiveBurstTests(unittest.TestCase):
    """
    A server of L{LIMIT} descriptors with a passive port range.
    """

    timeout = 120

    def setUp(self):
        # Below the kernel's ephemeral range, where the server's own port
        # is (a range holding it is refused).
        low, high = freeRange(100)
        self.server = ServerProcess(
            self, ["--root", scratchDirectory(self),
                   "--auth", "memory:alice:secret",
                   "--passive-ports", f"{low}-{high}"],
            preexec=limitDescriptors(LIMIT, LIMIT))
        self.server.waitForGreeting()

    def burst(self, pattern, replies):
        """
        Log in, send C{pattern} L{BURST} times at once, and read every
        reply (blocking).

        @param pattern: command lines, each ending with CRLF.
        @param replies: how many replies one C{pattern} gets.
        @return: the codes of the replies to its first commands.
        """
        client = RawClient(self.server.port, timeout=60)
        try:
            client.login("alice", "secret")
            client.sock.sendall(pattern * BURST)
            codes = [client.reply()[:3] for _ in range(BURST * replies)]
            return codes[::replies]
        finally:
            client.close()

    @defer.inlineCallbacks
    def test_epsvBurst(self):
        """
        Every C{EPSV} of the burst gets C{229}.
        """
        codes = yield threads.deferToThread(self.burst, b"EPSV\r\n", 1)
        self.assertEqual(set(codes), {b"229"})

    @defer.inlineCallbacks
    def test_pasvAborBurst(self):
        """
        So does every C{PASV} between C{ABOR}s (each closing the listener
        the C{PASV} opened).
        """
        codes = yield threads.deferToThread(self.burst,
                                            b"PASV\r\nABOR\r\n", 2)
        self.assertEqual(set(codes), {b"227"})

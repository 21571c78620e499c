"""
C{STAT} of a path while a transfer command waits for its data connection
(or for its open), on L{StringTransport}: it is a listing, and waits in
the queue like any other command. It ran at once, outside the queue, so
one client sending C{EPSV}, C{RETR} and thousands of C{STAT dir} in one
write had thousands of listings run side by side, each reply held in
memory (a server on a directory of 2,000 long names grew by 1.2 GB for
1,000 of them).
"""

from twisted.trial import unittest

from ftpkit.shells.memory import MemoryShell
from tests.memorysessions import loggedIn, replyCodes


class CountingShell(MemoryShell):
    """
    A L{MemoryShell} counting its listings.

    @ivar listings: how many times L{list} was called.
    """

    listings = 0

    def list(self, path):
        """
        Count the call, then list as L{MemoryShell} does.
        """
        self.listings += 1
        return MemoryShell.list(self, path)


class StatWhileWaitingTests(unittest.TestCase):
    """
    C{EPSV}, C{RETR} (whose data connection never comes) and C{STAT}s in
    one write.
    """

    def waiting(self, lines):
        """
        Send C{EPSV}, C{RETR f.txt} and C{lines} at once.

        @return: the shell, the protocol and its transport.
        """
        shell = CountingShell({"/f.txt": b"x" * 100, "/d/g.txt": b"y"})
        protocol, transport = loggedIn(shell, maxPendingCommands=8)
        self.addCleanup(protocol.connectionLost, None)
        protocol.dataReceived(b"EPSV\r\nRETR f.txt\r\n" + lines)
        return shell, protocol, transport

    def test_listingsQueued(self):
        """
        C{STAT d} a thousand times: none is listed while the C{RETR}
        waits, at most C{maxPendingCommands} are queued, and reading
        pauses.
        """
        shell, protocol, transport = self.waiting(b"STAT d\r\n" * 1000)
        self.assertEqual(replyCodes(transport), ["229"])
        self.assertEqual(shell.listings, 0)
        self.assertLessEqual(len(protocol._queue), 8)
        self.assertEqual(transport.producerState, "paused")

    def test_statusAtOnce(self):
        """
        C{STAT} without a path is still answered at once, with the
        session's status.
        """
        shell, protocol, transport = self.waiting(b"STAT\r\n")
        self.assertEqual(replyCodes(transport), ["229", "211"])

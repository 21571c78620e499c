"""
A session's queued command that waits is driven by
L{ftpkit.control.coroutines.Running}: its reply, and the next command's
turn, come from the driver itself, and C{whenIdle} fires after the reply.
"""

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.control.coroutines import Running
from ftpkit.shells.memory import MemoryShell
from tests.memorysessions import loggedIn, replyCodes


class QueuedWaitTests(unittest.TestCase):
    """
    A command that waits holds the session's turn as a L{Running}.
    """

    def setUp(self):
        self.protocol, self.transport = loggedIn(MemoryShell({}))
        self.gate = defer.Deferred()

        async def waiting(argument):
            await self.gate
            return (200, "waited")

        self.protocol.ftp_NOOP = waiting

    def test_turnHeld(self):
        """
        While it waits, the turn is a L{Running} (no Deferred), and the
        command sent after it waits; once it ends, both reply in order.
        """
        self.protocol.dataReceived(b"NOOP\r\nPWD\r\n")
        self.assertIsInstance(self.protocol._busy, Running)
        self.assertNotIsInstance(self.protocol._busy, defer.Deferred)
        self.assertEqual(replyCodes(self.transport), [])
        self.gate.callback(None)
        self.assertEqual(replyCodes(self.transport), ["200", "257"])
        self.assertIsNone(self.protocol._busy)

    def test_whenIdle(self):
        """
        C{whenIdle} fires once the waiting command has replied.
        """
        self.protocol.dataReceived(b"NOOP\r\n")
        idle = self.protocol.whenIdle()
        self.assertNoResult(idle)
        seen = []
        idle.addCallback(lambda ignored: seen.append(
            replyCodes(self.transport)))
        self.gate.callback(None)
        self.assertEqual(seen, [["200"]])

    def test_failure(self):
        """
        What it raises after waiting is its reply (C{451} for an error
        that is not an L{FTPError}, logged), and the next command runs.
        """
        self.protocol.dataReceived(b"NOOP\r\nPWD\r\n")
        self.gate.errback(PermissionError("no"))
        self.assertEqual(replyCodes(self.transport), ["451", "257"])
        self.assertEqual(len(self.flushLoggedErrors(PermissionError)), 1)

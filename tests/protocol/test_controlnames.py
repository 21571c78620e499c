"""
Names holding control characters in the memory realm: every reply that
names them (C{STAT}, C{MLST}, C{257}, C{213}, C{250}) sends each such
character as C{"?"}, never raw on the control connection.
"""

from twisted.trial import unittest

from ftpkit.shells.memory import MemoryShell
from tests.controlnames import COMMANDS, PATH, controlsIn
from tests.memorysessions import loggedIn, repliesTo


class ControlNameTests(unittest.TestCase):
    """
    A memory tree holding L{PATH}.
    """

    def test_replies(self):
        """
        Each command's reply names the entries with C{"?"} for their
        control characters, and holds none.
        """
        protocol, transport = loggedIn(MemoryShell({PATH: b"x"}))
        self.addCleanup(protocol.connectionLost, None)
        replies = repliesTo(protocol, transport, *[
            command.encode() for command, _ in COMMANDS])
        for (command, part), reply in zip(COMMANDS, replies):
            text = reply.decode("utf-8", "surrogateescape")
            self.assertEqual(controlsIn(text), [], (command, text))
            self.assertIn(part, text.replace("\r\n", "\n"), command)

"""
An argument that is only whitespace is no argument, for every verb: the
verbs that need one refuse it with C{501}, the others act as without one.
"""

from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.protocol import commandtable
from tests.memorysessions import connect, makeFactory, replyCodes


class BlankArgumentTests(unittest.TestCase):
    """
    Whitespace after a verb, on a logged-in session.
    """

    def login(self):
        """
        @return: C{(protocol, transport)} of a session logged in as alice.
        """
        protocol, transport = connect(makeFactory(MemoryReactorClock()))
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        transport.clear()
        return protocol, transport

    def test_required(self):
        """
        Every verb that needs an argument refuses one that is only
        whitespace with C{501}, as it refuses none: C{MKD} followed by
        two spaces made a directory called C{" "}.
        """
        protocol, transport = self.login()
        for verb, command in sorted(commandtable.COMMANDS.items()):
            if command.argument != commandtable.REQUIRED:
                continue
            transport.clear()
            protocol.dataReceived(verb.encode() + b"  \t \r\n")
            self.assertEqual(replyCodes(transport), ["501"], verb)
        transport.clear()
        protocol.dataReceived(b"MKD  \r\nCWD  \r\nPWD\r\n")
        self.assertEqual(replyCodes(transport), ["501", "501", "257"])
        self.assertIn(b'257 "/" is the current directory', transport.value())

    def test_optional(self):
        """
        A verb whose argument is optional acts on whitespace alone as
        without an argument: C{MLST} shows the current directory, C{STAT}
        the session's status.
        """
        protocol, transport = self.login()
        protocol.dataReceived(b"MLST  \r\nSTAT  \r\n")
        self.assertEqual(replyCodes(transport), ["250", "211"])
        self.assertIn(b"250-Listing /\r\n", transport.value())

    def test_nameWithSpacesAround(self):
        """
        A name with spaces around it, not only of spaces, is a name.
        """
        protocol, transport = self.login()
        protocol.dataReceived(b"MKD  x \r\nCWD  x \r\nPWD\r\n")
        self.assertEqual(replyCodes(transport), ["257", "250", "257"])
        self.assertIn(b'257 "/ x " is the current directory',
                      transport.value())

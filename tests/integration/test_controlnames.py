"""
Names holding control characters in the disk realm: every reply that
names them (C{STAT}, C{MLST}, C{257}, C{213}, C{250}) sends each such
character as C{"?"}, never raw on the control connection; so does
C{STAT} of a name that is not UTF-8 holding a C1 control's byte.
"""

import os

from twisted.trial import unittest

from tests.attackhelpers import ServedRootMixin
from tests.controlnames import COMMANDS, PATH, controlsIn


class ControlNameTests(ServedRootMixin, unittest.TestCase):
    """
    A disk tree holding L{PATH}, and C{b"r\\x9b"}.
    """

    def setUp(self):
        ServedRootMixin.setUp(self)
        os.mkdir(os.path.join(self.root, os.path.dirname(PATH)[1:]))
        with open(os.path.join(self.root, PATH[1:]), "wb") as f:
            f.write(b"x")
        with open(os.path.join(self.root.encode(), b"r\x9b"), "wb"):
            pass

    async def test_replies(self):
        """
        Each command's reply names the entries with C{"?"} for their
        control characters, and holds none; C{STAT /} shows C{r?}.
        """
        commands = [command for command, _ in COMMANDS] + ["STAT /"]
        parts = [part for _, part in COMMANDS] + [" r?\n"]
        replies = await self.session(*commands)
        for command, part, reply in zip(commands, parts, replies):
            text = reply.decode("utf-8", "surrogateescape")
            self.assertEqual(controlsIn(text.replace("\n", "\r\n")), [],
                             (command, text))
            self.assertIn(part, text, command)

"""
Names holding control characters in the disk realm: every reply that
names them (C{STAT}, C{MLST}, C{257}, C{213}, C{250}) sends each such
character as C{"?"}, never raw on the control connection; so does
C{STAT} of a name that is not UTF-8 holding a C1 control's byte.
"""

import os

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.controlnames import COMMANDS, PATH, controlsIn
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory


class ControlNameTests(LoopbackServerMixin, unittest.TestCase):
    """
    A disk tree holding L{PATH}, and C{b"r\\x9b"}.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        os.mkdir(os.path.join(self.root, os.path.dirname(PATH)[1:]))
        with open(os.path.join(self.root, PATH[1:]), "wb") as f:
            f.write(b"x")
        with open(os.path.join(self.root.encode(), b"r\x9b"), "wb"):
            pass
        self.server = self.startServer(
            FilesystemRealm(self.root), ServerConfig(),
            users={"alice": "secret"}, anonymous=False)

    def replies(self, commands):
        """
        @param commands: command lines, text.
        @return: a Deferred firing with the replies of a logged-in raw
            client to them, each its lines joined by LF.
        """
        def run():
            client = RawClient(self.server.port)
            try:
                client.login()
                return [client.command(command) for command in commands]
            finally:
                client.close()
        return self.inThread(run)

    async def test_replies(self):
        """
        Each command's reply names the entries with C{"?"} for their
        control characters, and holds none; C{STAT /} shows C{r?}.
        """
        commands = [command for command, _ in COMMANDS] + ["STAT /"]
        parts = [part for _, part in COMMANDS] + [" r?\n"]
        replies = await self.replies(commands)
        for command, part, reply in zip(commands, parts, replies):
            text = reply.decode("utf-8", "surrogateescape")
            self.assertEqual(controlsIn(text.replace("\n", "\r\n")), [],
                             (command, text))
            self.assertIn(part, text, command)

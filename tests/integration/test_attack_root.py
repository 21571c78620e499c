"""
Attacks on the root every user of a realm shares: a user who may change
files cannot rename, remove or change the modes of the root itself (a
C{SITE CHMOD 000 /} locked every user of a server not running as root
out of it).
"""

import os
import stat

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.rawclient import RawClient


class RootTests(LoopbackServerMixin, unittest.TestCase):
    """
    A user who may change everything under the root.
    """

    timeout = 60

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(os.path.join(self.root, "sub"))
        os.chmod(self.root, 0o755)
        self.server = self.startServer(
            FilesystemRealm(self.root), ServerConfig(loginFailureDelay=0))

    @defer.inlineCallbacks
    def test_rootModesKept(self):
        """
        C{SITE CHMOD} of the root, however named, answers C{550} and
        leaves its modes; below it, C{SITE CHMOD} still works.
        """
        def attack():
            client = RawClient(self.server.port)
            try:
                client.login()
                answers = [client.command(line)[:3] for line in (
                    "SITE CHMOD 000 /", "SITE CHMOD 0 .", "SITE CHMOD 0 ..",
                    "SITE CHMOD 0 //", "SITE CHMOD 0 sub/..")]
                client.command("CWD sub")
                answers.append(client.command("SITE CHMOD 0 ..")[:3])
                answers.append(client.command("SITE CHMOD 700 .")[:3])
                return answers
            finally:
                client.close()

        answers = yield self.inThread(attack)
        self.assertEqual(answers, [b"550"] * 6 + [b"200"])
        self.assertEqual(stat.S_IMODE(os.stat(self.root).st_mode), 0o755)
        self.assertEqual(
            stat.S_IMODE(os.stat(os.path.join(self.root, "sub")).st_mode),
            0o700)

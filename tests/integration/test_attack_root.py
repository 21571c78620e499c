"""
Attacks on the root every user of a realm shares: a user who may change
files cannot rename, remove or change the modes or the modification time
of the root itself (a C{SITE CHMOD 000 /} locked every user of a server
not running as root out of it).
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

    @defer.inlineCallbacks
    def test_rootTimeKept(self):
        """
        C{MFMT} and C{SITE UTIME} of the root, however named, answer
        C{550}, as C{SITE CHMOD} does, and leave its time (they set it);
        below it, they still work.
        """
        before = os.stat(self.root).st_mtime

        def attack():
            client = RawClient(self.server.port)
            try:
                client.login()
                return [client.command(line)[:3] for line in (
                    "MFMT 19800101000000 /", "MFMT 19800101000000 sub/..",
                    "SITE UTIME 198001010000 /", "SITE UTIME 198001010000 .",
                    "MFMT 19800101000000 sub")]
            finally:
                client.close()

        answers = yield self.inThread(attack)
        self.assertEqual(answers, [b"550"] * 4 + [b"213"])
        self.assertEqual(os.stat(self.root).st_mtime, before)
        self.assertEqual(os.stat(os.path.join(self.root, "sub")).st_mtime,
                         315532800)

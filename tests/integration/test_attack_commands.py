"""
Commands an attacker sends to make the server work much more than the
command is worth.
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.control.handlers.files import ASCII_SIZE_LIMIT
from ftpkit.loopback import LoopbackServerMixin
from tests.integration.test_attack_jail import RawClient


class AmplificationTests(LoopbackServerMixin, unittest.TestCase):
    """
    A server on a directory with a small text file and a large file.
    """

    timeout = 60

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        with open(os.path.join(self.root, "small.txt"), "wb") as f:
            f.write(b"a\nb\n")
        with open(os.path.join(self.root, "large.bin"), "wb") as f:
            f.truncate(ASCII_SIZE_LIMIT + 1)
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))

    @defer.inlineCallbacks
    def test_asciiSizeOfLargeFile(self):
        """
        C{SIZE} in TYPE A counts a small file's line ends, and refuses a
        large file (C{550}) instead of reading all of it: one short
        command made the server read gigabytes, as often as it was sent.
        TYPE I still gives its size.
        """
        def client():
            raw = RawClient(self.server.port)
            try:
                raw.login()
                raw.command("TYPE A")
                replies = [raw.command("SIZE small.txt"),
                           raw.command("SIZE large.bin")]
                raw.command("TYPE I")
                replies.append(raw.command("SIZE large.bin"))
                return replies
            finally:
                raw.close()

        small, large, binary = yield self.inThread(client)
        self.assertEqual(small, b"213 6")
        self.assertTrue(large.startswith(b"550 "), large)
        self.assertEqual(binary, b"213 %d" % (ASCII_SIZE_LIMIT + 1))

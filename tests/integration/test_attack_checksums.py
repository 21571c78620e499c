"""
Checksums (C{HASH}) of huge files asked for by clients that then go
away: the work stops with its session, instead of reading the whole file
for nobody while the client address's next checksums wait behind it.
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.integration.test_attack_jail import RawClient
from tests.integration.test_hardening import waitFor
from tests.scratch import scratchDirectory

HUGE = 1 << 40
"""Size of the (sparse) file whose checksum the client walks away from:
far more than a test could wait for."""


class AbandonedChecksumTests(LoopbackServerMixin, unittest.TestCase):
    """
    A server on a directory with a huge sparse file and a small one.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "small.txt"), "wb") as f:
            f.write(b"abc")
        try:
            with open(os.path.join(self.root, "huge.bin"), "wb") as f:
                f.truncate(HUGE)
        except OSError as e:
            raise unittest.SkipTest(f"no sparse file of {HUGE} bytes: {e}")
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))
        self.turns = self.server.factory.hashTurns

    def running(self):
        """
        @return: how many checksums of the test's client address run.
        """
        return self.turns.running("127.0.0.1")

    @defer.inlineCallbacks
    def test_disconnectStopsChecksum(self):
        """
        A client that sends C{HASH} of a huge file and closes its
        connection stops the checksum (it read the whole file before,
        holding the address's turn: a new session's C{HASH} of a small
        file waited for all of it). No error is logged.
        """
        raw = yield self.inThread(RawClient, self.server.port)
        yield self.inThread(raw.login, "anonymous", "x")
        raw.sock.sendall(b"HASH huge.bin\r\n")
        self.assertTrue((yield waitFor(lambda: self.running() == 1)))
        raw.close()
        self.assertTrue((yield waitFor(lambda: self.running() == 0, 30)),
                        "the checksum went on for nobody")

        def other():
            client = RawClient(self.server.port)
            try:
                client.login("anonymous", "x")
                return client.command("HASH small.txt")
            finally:
                client.close()

        reply = yield self.inThread(other)
        self.assertTrue(reply.startswith(b"213 SHA-256 0-3 "), reply)

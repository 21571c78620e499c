"""
Attacks on checksums (C{HASH} and the X-verbs C{XCRC}, C{XMD5},
C{XSHA*}).

Checksums of huge files asked for by clients that then go away: the work
stops with its session, instead of reading the whole file for nobody
while the client address's next checksums wait behind it. Ranges of
numbers past Python's digit limit, and files that change while they are
read.
"""

import ftplib
import hashlib
import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells import diskhash
from ftpkit.shells.filesystem import FilesystemShell
from tests.attackhelpers import ServedRootMixin
from tests.ftpclient import ftplibLogin
from tests.polling import waitFor
from tests.rawclient import RawClient
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


class HugeRangeTests(ServedRootMixin, unittest.TestCase):
    """
    X-verbs whose range holds numbers past Python's digit limit.
    """

    async def test_hugeNumbers(self):
        """
        A start or an end of 5,000 digits is C{501}, as a range past the
        largest offset is; 4,999 leading zeros before a 1 are the number 1
        (as pyftpdlib, ProFTPD and Pure-FTPd read C{REST}'s); the session
        goes on.
        """
        huge = "9" * 5000
        replies = await self.session(
            "XCRC f.txt 1 " + huge, "XMD5 f.txt " + huge + " 1",
            "XSHA1 f.txt 0 " + "0" * 4999 + "1", "XCRC f.txt 0 3")
        self.assertEqual([reply[:4] for reply in replies],
                         [b"501 ", b"501 ", b"250 ", b"250 "])


SIZE = 1000
"""Bytes of the file checksummed."""


class ChangingFileChecksumTests(LoopbackServerMixin, unittest.TestCase):
    """
    Checksums of a file that changes under them, on the disk realm.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        self.path = os.path.join(self.root, "log")
        self.data = (bytes(range(256)) * 4)[:SIZE]
        with open(self.path, "wb") as f:
            f.write(self.data)
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))

    def _replies(self, commands):
        """
        Log in and send each command, the file whole before each
        (blocking: in a thread).

        @return: a Deferred with the replies, and the C{NOOP}'s after.
        """
        def client():
            with ftplibLogin(self, self.server.port, timeout=20) as ftp:
                replies = []
                for command in commands:
                    with open(self.path, "wb") as f:
                        f.write(self.data)
                    try:
                        replies.append(ftp.sendcmd(command))
                    except ftplib.Error as e:
                        replies.append(str(e))
                return replies, ftp.sendcmd("NOOP")

        return self.inThread(client)

    @defer.inlineCallbacks
    def test_shrankWhileRead(self):
        """
        A file cut to 10 bytes once its checksum began gets C{451} for
        C{HASH}, C{XCRC} and C{XMD5}, not the digest of those 10 bytes
        for the 1000 the file had (C{HASH} named the range C{0-1000});
        the session goes on.
        """
        original = diskhash.hashStep

        def truncating(digest, fd, position, stop):
            os.truncate(self.path, 10)
            return original(digest, fd, position, stop)

        self.patch(diskhash, "hashStep", truncating)
        replies, noop = yield self._replies(
            ["HASH log", "XCRC log", "XMD5 log"])
        self.assertEqual(
            replies,
            ["451 File shrank during the checksum: read to byte 10 of %d"
             % (SIZE,)] * 3)
        self.assertEqual(noop, "200 NOOP ok")

    @defer.inlineCallbacks
    def test_grewBeforeOpened(self):
        """
        A file that grew by 500 bytes between C{HASH}'s look at its size
        and its opening gets the digest of the range the reply names,
        C{0-1000}, not of the 1500 bytes there are by then.
        """
        original = FilesystemShell._openForHash
        grown = []

        def growing(shell, path, algorithm, end):
            if not grown:
                grown.append(True)
                with open(self.path, "ab") as f:
                    f.write(b"x" * 500)
            return original(shell, path, algorithm, end)

        self.patch(FilesystemShell, "_openForHash", growing)
        replies, noop = yield self._replies(["HASH log"])
        self.assertEqual(replies, ["213 SHA-256 0-%d %s /log" % (
            SIZE, hashlib.sha256(self.data).hexdigest())])
        self.assertEqual(noop, "200 NOOP ok")

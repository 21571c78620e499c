"""
Upload names spelled as directories (C{STOR a/}, C{APPE a/.}), from
ftplib over loopback: refused with C{553}, no file made. The path they
resolve to is C{a}, and C{STOR a/} used to store a file named C{a}
where the client had named a directory (found by the seventeenth
client sweep).
"""

import ftplib
import io
import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm, MemoryRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.scratch import scratchDirectory

DIRECTORY_SPELLINGS = ["new/", "new//", "new/.", "sub/new/", "sub/.",
                       "sub/new/..", "/"]
"""Upload arguments whose last segment names a directory."""


def uploadEach(port, commands):
    """
    Log in with ftplib and try each upload (blocking).

    @param port: the server's port.
    @param commands: upload command lines (C{"STOR new/"}).
    @return: for each, the final reply's text, or the error's text;
        then the root's names (C{NLST}).
    """
    client = ftplib.FTP()
    client.connect("127.0.0.1", port, timeout=20)
    try:
        client.login("alice", "secret")
        replies = []
        for command in commands:
            try:
                replies.append(client.storbinary(command, io.BytesIO(b"x")))
            except ftplib.all_errors as e:
                replies.append(str(e))
        return replies, sorted(client.nlst())
    finally:
        client.close()


class DirectorySpellingTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{STOR} and C{APPE} of a name spelled as a directory.
    """

    timeout = 60

    def commands(self):
        """
        @return: every upload command line tried.
        """
        return [verb + " " + name for verb in ("STOR", "APPE")
                for name in DIRECTORY_SPELLINGS]

    def assertRefused(self, replies):
        """
        @param replies: what L{uploadEach} gave for L{commands}.
        """
        for command, reply in zip(self.commands(), replies):
            self.assertTrue(reply.startswith("553 "), (command, reply))

    @defer.inlineCallbacks
    def test_disk(self):
        """
        On the disk, nothing is made and the directory stays one.
        """
        root = scratchDirectory(self)
        os.mkdir(os.path.join(root, "sub"))
        server = self.startServer(FilesystemRealm(root),
                                  ServerConfig(loginFailureDelay=0))
        replies, names = yield self.inThread(
            uploadEach, server.port, self.commands())
        self.assertRefused(replies)
        self.assertEqual(names, ["sub"])
        self.assertEqual(os.listdir(os.path.join(root, "sub")), [])

    @defer.inlineCallbacks
    def test_memory(self):
        """
        In memory likewise; a plain name is still stored.
        """
        server = self.startServer(MemoryRealm(),
                                  ServerConfig(loginFailureDelay=0))
        replies, names = yield self.inThread(
            uploadEach, server.port, self.commands() + ["STOR plain"])
        self.assertRefused(replies[:-1])
        self.assertEqual(replies[-1], "226 Transfer complete")
        self.assertEqual(names, ["plain"])

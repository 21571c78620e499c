"""
C{MFMT} and C{SITE UTIME} with times the storage cannot keep (year 1,
year 9999: ext4 and most file systems keep 1901 to 2446): the reply
tells the time the file now has, never one it does not have.
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory


class UnkeptTimeTests(LoopbackServerMixin, unittest.TestCase):
    """
    A server on a directory with one file, and a user who may change it.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "f.txt"), "wb") as f:
            f.write(b"abc")
        self.server = self.startServer(
            FilesystemRealm(self.root), ServerConfig(loginFailureDelay=0),
            users={"alice": "secret"}, anonymous=False)

    def _setTimes(self, command, first):
        """
        Set the file's time to C{first}, then year 9999 and 2020, each
        followed by C{MDTM}.

        @param command: the command, with C{{}} for the time.
        @param first: the first time, C{YYYYMMDDhhmmss}.
        @return: a Deferred firing with each command's reply and the
            C{MDTM}'s.
        """
        def client():
            raw = RawClient(self.server.port)
            try:
                raw.login()
                replies = []
                for when in (first, "99991231235959", "20200102030405"):
                    replies.append((raw.command(command.format(when)),
                                    raw.command("MDTM f.txt")))
                return replies
            finally:
                raw.close()
        return self.inThread(client)

    @defer.inlineCallbacks
    def test_replyIsTheTimeKept(self):
        """
        Each C{MFMT}'s 213 gives the modification time C{MDTM} then reads
        (it echoed the time asked for, which the file system had clamped
        or wrapped); a time the storage keeps is echoed as asked.
        """
        replies = yield self._setTimes("MFMT {} f.txt", "00010101000000")
        for mfmt, mdtm in replies:
            self.assertTrue(mdtm.startswith(b"213 "), mdtm)
            self.assertEqual(mfmt, b"213 Modify=%s; /f.txt" % mdtm[4:])
        self.assertEqual(replies[-1][1], b"213 20200102030405")

    @defer.inlineCallbacks
    def test_siteUtimeSaysTheTimeKept(self):
        """
        C{SITE UTIME}'s 200 gives the modification time C{MDTM} then
        reads, as C{MFMT}'s 213 does: it said only C{successful}, ext4
        having kept 1901-12-13 of 1900 and 2446-05-10 of 9999.
        """
        replies = yield self._setTimes("SITE UTIME {} f.txt",
                                        "19000101000000")
        for utime, mdtm in replies:
            self.assertTrue(mdtm.startswith(b"213 "), mdtm)
            self.assertEqual(
                utime,
                b"200 SITE UTIME command successful; Modify=%s" % mdtm[4:])
        self.assertEqual(replies[-1][1], b"213 20200102030405")

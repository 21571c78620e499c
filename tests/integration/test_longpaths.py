"""
An upload into a directory whose path is near the 4,096-byte limit, with
a name that takes the file's path past it: C{STOR} and C{STOU} were told
C{553 File name not allowed}, as if the name held something forbidden,
where C{MKD} of a name too long says C{File name too long}. And C{MKD}
and C{RNTO} of a short name there, which made an entry past the limit
that no command could reach (session 39).
"""

import ftplib
import io
import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.protocol.paths import MAX_PATH_LENGTH
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory

SYSTEM_LIMIT = 4095
"""The longest path the system takes, in bytes (C{PATH_MAX} less its
NUL)."""


def deepDirectory(root, length):
    """
    Make a directory under C{root} whose path, as a client names it, is
    C{length} characters long (blocking).

    @return: that path.
    """
    segments = []
    while len("/".join(segments)) + 1 < length - 201:
        segments.append("d" * 200)
    segments.append("e" * (length - len("/" + "/".join(segments)) - 1))
    path = "/" + "/".join(segments)
    os.makedirs(root + path)
    return path


class LongPathUploadTests(LoopbackServerMixin, unittest.TestCase):
    """
    Uploads into a directory whose path on the disk (the root's, then
    the client's) is 30 bytes short of the system's limit (4,095 and its
    NUL): a 60-character name takes the file's path past it.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        self.deep = deepDirectory(self.root, SYSTEM_LIMIT - len(self.root)
                                  - 30)
        self.server = self.startServer(
            FilesystemRealm(self.root), ServerConfig(loginFailureDelay=0),
            users={"alice": "secret"}, anonymous=False)

    def replies(self, commands):
        """
        Run each upload (or C{MKD}) in the deep directory (blocking, in a
        thread).

        @return: a Deferred firing with their final replies.
        """
        def client():
            ftp = ftplibLogin(self, self.server.port)
            ftp.cwd(self.deep)
            replies = []
            for command in commands:
                try:
                    if command.startswith("MKD"):
                        replies.append(ftp.sendcmd(command))
                    else:
                        replies.append(ftp.storbinary(command,
                                                      io.BytesIO(b"x")))
                except ftplib.Error as e:
                    replies.append(str(e))
            ftp.quit()
            return replies

        return self.inThread(client)

    @defer.inlineCallbacks
    def test_uploadPastLimit(self):
        """
        C{STOR} of a 60-character name, and C{STOU}, get C{553 File name
        too long}, the text C{MKD} of a name too long for the client's
        path gets (with C{550}, its one refusal), and nothing is left; a
        short name is stored.
        """
        replies = yield self.replies(
            ["STOR " + "n" * 60, "STOU",
             "MKD " + "m" * (MAX_PATH_LENGTH - len(self.deep)), "STOR s"])
        self.assertEqual(replies[:3], ["553 File name too long"] * 2
                         + ["550 File name too long"])
        self.assertTrue(replies[3].startswith("226"), replies[3])
        self.assertEqual(os.listdir(self.root + self.deep), ["s"])

    @defer.inlineCallbacks
    def test_entryPastLimit(self):
        """
        C{MKD} of a 60-character name, and C{RNTO} of a file to one, are
        refused with C{File name too long} and make nothing: each was
        made through its directory's descriptor, past the system's limit,
        and then no command could reach it (C{CWD}, C{MLST} and C{RNFR}
        of it answered C{550 File name too long}; only C{RMD} and
        C{DELE} did not).
        """
        def client():
            ftp = ftplibLogin(self, self.server.port)
            ftp.cwd(self.deep)
            ftp.storbinary("STOR s", io.BytesIO(b"x"))
            replies = []
            for command in ("MKD " + "m" * 60, "RNFR s", "RNTO " + "r" * 60,
                            "MKD m", "RNFR s", "RNTO r"):
                try:
                    replies.append(ftp.sendcmd(command))
                except ftplib.Error as e:
                    replies.append(str(e))
            ftp.quit()
            return replies

        replies = yield self.inThread(client)
        self.assertEqual(replies[:3], ["550 File name too long",
                                       "350 Ready for RNTO",
                                       "553 File name too long"])
        self.assertTrue(replies[3].startswith("257"), replies[3])
        self.assertEqual(replies[5], "250 Rename successful")
        self.assertEqual(sorted(os.listdir(self.root + self.deep)),
                         ["m", "r"])

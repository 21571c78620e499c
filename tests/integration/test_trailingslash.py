"""
A file's name with a trailing slash (C{f/}, C{f/.}) names a directory: on
every realm, the commands that read, describe, remove, rename or change a
file answer C{550 Not a directory} for it, as a kernel answers C{ENOTDIR}
for C{open("f/")}, and leave the file as it was; uploads to it get C{553}
(which they got already).

Resolved, C{f/} names C{f}: C{SIZE}, C{MDTM}, C{MLST} and C{RETR} answered
for the file, C{RNFR} took it and C{DELE} removed it, on every realm.
"""

import ftplib
import io
import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.loopback import LoopbackServerMixin
from tests.everyrealm import EveryRealmMixin
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory

COMMANDS = ("SIZE {}", "MDTM {}", "MLST {}", "RNFR {}", "DELE {}",
            "MFMT 20200101000000 {}", "MFF modify=20200101000000; {}")
"""Commands on the control connection naming a file."""


def _reply(ftp, command):
    """
    @param ftp: a logged-in C{ftplib.FTP}.
    @param command: a command line.
    @return: its reply's code, an error's included.
    """
    try:
        return ftp.sendcmd(command)[:3]
    except ftplib.all_errors as e:
        return str(e)[:3]


def _transfer(ftp, command):
    """
    @param ftp: a logged-in C{ftplib.FTP}.
    @param command: C{RETR}, C{STOR} or C{APPE} with its argument.
    @return: its last reply's code, an error's included.
    """
    try:
        if command.startswith("RETR"):
            return ftp.retrbinary(command, lambda data: None)[:3]
        return ftp.storbinary(command, io.BytesIO(b"planted"))[:3]
    except ftplib.all_errors as e:
        return str(e)[:3]


class TrailingSlashTests(EveryRealmMixin, LoopbackServerMixin,
                          unittest.TestCase):
    """
    A real server on each realm, and C{ftplib}.
    """

    @defer.inlineCallbacks
    def check(self, realm):
        """
        Upload C{f} and make C{d}; every command naming C{f/} or C{f/.}
        gets C{550} (C{553} for uploads) and C{f} keeps its bytes, while
        C{d/} is still described and renamed as a directory.

        @param realm: the realm served.
        """
        server = self.startServer(realm, users={"alice": "pw"},
                                  anonymous=False)

        def client():
            ftp = ftplibLogin(self, server.port, "alice", "pw")
            ftp.storbinary("STOR f", io.BytesIO(b"kept"))
            ftp.mkd("d")
            replies = {}
            for name in ("f/", "f/."):
                for command in COMMANDS:
                    replies[command.format(name)] = _reply(
                        ftp, command.format(name))
                for command in ("RETR {}", "STOR {}", "APPE {}"):
                    replies[command.format(name)] = _transfer(
                        ftp, command.format(name))
            kept = []
            ftp.retrbinary("RETR f", kept.append)
            directory = [_reply(ftp, "MLST d/"), _reply(ftp, "RNFR d/"),
                         _reply(ftp, "RNTO e")]
            ftp.quit()
            return replies, b"".join(kept), directory

        replies, kept, directory = yield self.inThread(client)
        self.assertEqual(replies, {
            command: "553" if command[:4] in ("STOR", "APPE") else "550"
            for command in replies})
        self.assertEqual(kept, b"kept")
        self.assertEqual(directory, ["250", "350", "250"])


class TrailingSlashExtraTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{SITE CHMOD}, C{HASH} and the X-checksums of C{f/} on the disk realm
    (which has both): C{550}, the file's mode left as it was (they
    changed its mode, or answered its digest, before).
    """

    @defer.inlineCallbacks
    def test_disk(self):
        """
        Each gets C{550}.
        """
        root = scratchDirectory(self)
        with open(os.path.join(root, "f"), "wb") as f:
            f.write(b"kept")
        os.chmod(os.path.join(root, "f"), 0o600)
        server = self.startServer(FilesystemRealm(root),
                                  users={"alice": "pw"}, anonymous=False)

        def client():
            ftp = ftplibLogin(self, server.port, "alice", "pw")
            replies = {command: _reply(ftp, command)
                       for command in ("SITE CHMOD 644 f/", "HASH f/",
                                       "XMD5 f/", "XCRC f/")}
            ftp.quit()
            return replies

        replies = yield self.inThread(client)
        self.assertEqual(replies, dict.fromkeys(replies, "550"))
        self.assertEqual(os.stat(os.path.join(root, "f")).st_mode & 0o777,
                         0o600)

"""
C{MKD} and C{RMD} naming a symbolic link, on the disk realm and
C{fsspec:file://} alike: C{MKD} gets C{550 File exists} (the name is
taken, whatever the link leads to), C{RMD} C{550 Not a directory} (a link
is no directory, even one leading to a directory inside the root), and
nothing they lead to changes. On C{fsspec:file://} both followed the link:
one leading out of the root or in a loop got C{550 Permission denied},
one leading nowhere C{RMD}'s C{550 No such file or directory}.
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.fsspecrealms import LocalMixin, SFTPMixin
from tests.ftpclient import inLoggedInClient
from tests.scratch import scratchDirectory

LINKS = ("far", "farDir", "gone", "loop", "inside")
"""The links of the root."""


def replies(ftp, commands):
    """
    @param ftp: a logged-in C{ftplib.FTP}.
    @param commands: command lines.
    @return: each one's reply line.
    """
    answers = []
    for line in commands:
        try:
            answers.append(ftp.sendcmd(line))
        except Exception as e:  # noqa: BLE001 (the reply is the result)
            answers.append(str(e))
    return answers


class DiskLinkDirectoryTests(LoopbackServerMixin, unittest.TestCase):
    """
    The disk realm: a root holding the directory C{d} and the links
    C{far} (to a file outside the root), C{farDir} (to a directory
    outside), C{gone -> nowhere}, C{loop -> loop} and C{inside -> d}.
    """

    def setUp(self):
        base = scratchDirectory(self)
        self.root = os.path.join(base, "root")
        self.outside = os.path.join(base, "outside")
        os.makedirs(os.path.join(self.root, "d"))
        os.makedirs(os.path.join(self.outside, "sub"))
        with open(os.path.join(self.outside, "secret"), "wb") as f:
            f.write(b"s")
        for name, text in (("far", os.path.join(self.outside, "secret")),
                           ("farDir", os.path.join(self.outside, "sub")),
                           ("gone", "nowhere"), ("loop", "loop"),
                           ("inside", "d")):
            os.symlink(text, os.path.join(self.root, name))

    def makeRealm(self):
        """
        @return: the realm serving C{self.root}.
        """
        return FilesystemRealm(self.root)

    @defer.inlineCallbacks
    def test_mkdRmd(self):
        """
        C{MKD} of each link gets C{550 File exists}, C{RMD}
        C{550 Not a directory}; the links and what they lead to stay.
        """
        self.server = self.startServer(
            self.makeRealm(), ServerConfig(), users={"alice": "pw"},
            anonymous=False)
        answers = yield inLoggedInClient(
            self, lambda ftp: replies(ftp, [
                verb + " " + name for verb in ("MKD", "RMD")
                for name in LINKS]),
            user="alice", password="pw")
        self.assertEqual(answers, ["550 File exists"] * len(LINKS)
                         + ["550 Not a directory"] * len(LINKS))
        self.assertEqual(sorted(os.listdir(self.root)), sorted(["d", *LINKS]))
        self.assertEqual(os.listdir(os.path.join(self.root, "d")), [])
        self.assertEqual(sorted(os.listdir(self.outside)), ["secret", "sub"])


class FsspecLinkDirectoryTests(LocalMixin, DiskLinkDirectoryTests):
    """
    The same on C{--realm fsspec:file://ROOT}.
    """


class SFTPLinkDirectoryTests(SFTPMixin, DiskLinkDirectoryTests):
    """
    The same on C{--realm fsspec:sftp://USER@HOST:PORT/ROOT}, the root
    seen through OpenSSH's SFTP server: links told from what they lead
    to, as on the disk realm.
    """

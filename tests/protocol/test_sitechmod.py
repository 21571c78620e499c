"""
C{SITE CHMOD} and C{MFF}'s C{UNIX.mode} on the filesystem shell, on
L{StringTransport}s: their replies give the mode the file then has, which
the disk shell makes differ from the one asked for on a directory.
"""

import os

from twisted.internet.defer import maybeDeferred
from twisted.trial import unittest

from ftpkit.shells.filesystem import FilesystemShell
from tests.memorysessions import loggedIn, repliesTo


class ModeKeptTests(unittest.TestCase):
    """
    On a root holding the file C{f.txt} and the directory C{d}.
    """

    def setUp(self):
        self.root = self.mktemp()
        os.makedirs(os.path.join(self.root, "d"))
        with open(os.path.join(self.root, "f.txt"), "wb") as f:
            f.write(b"x")
        self.protocol, self.transport = loggedIn(FilesystemShell(
            os.fsencode(self.root), runner=maybeDeferred))
        self.addCleanup(os.chmod, os.path.join(self.root, "d"), 0o755)

    def mode(self, name):
        """
        @return: the permission bits of C{name} in the root, on disk.
        """
        return os.stat(os.path.join(self.root, name)).st_mode & 0o777

    def test_directory(self):
        """
        C{SITE CHMOD 000} of a directory answers the C{0500} it keeps (it
        answered C{200} alone, as if the mode were C{000}), and C{MFF}
        likewise (it answered C{UNIX.mode=0000}).
        """
        site, mff = repliesTo(self.protocol, self.transport,
                              b"SITE CHMOD 000 d", b"MFF UNIX.mode=0070; d")
        self.assertEqual(
            site, b"200 SITE CHMOD command successful; UNIX.mode=0500\r\n")
        self.assertEqual(mff, b"213 UNIX.mode=0570; /d\r\n")
        self.assertEqual(self.mode("d"), 0o570)

    def test_file(self):
        """
        A file keeps the mode asked for, which the replies give.
        """
        site, mff = repliesTo(self.protocol, self.transport,
                              b"SITE CHMOD 000 f.txt",
                              b"MFF UNIX.mode=640; f.txt")
        self.assertEqual(
            site, b"200 SITE CHMOD command successful; UNIX.mode=0000\r\n")
        self.assertEqual(mff, b"213 UNIX.mode=0640; /f.txt\r\n")
        self.assertEqual(self.mode("f.txt"), 0o640)

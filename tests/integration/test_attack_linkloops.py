"""
Symbolic links of the root that lead nowhere, in a loop (C{loop -> loop},
or two links to each other), on the disk realm: handled as a link leading
out of the root is, never followed, and removable with C{DELE}.

C{os.path.realpath} gives up on a loop and returns a link of it, which is
inside the root: the loop was taken for a resolved path. Its C{DELE} then
failed (C{550 Permission denied}, from the C{ELOOP} of looking for a cut
upload of its target), so a user could not remove it; C{SITE CHMOD} of it
got C{451} (Linux cannot change a link's mode) with a warning logged; and
C{MFMT} changed the link's own time and answered C{213}.
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin, replyText
from tests.scratch import scratchDirectory

LOOPS = ("loop", "ping", "pong")
"""The links of the tree: C{loop} leads to itself, C{ping} and C{pong} to
each other."""

CHANGES = ("SITE CHMOD 644 {}", "MFMT 20200101000000 {}")
"""Commands that would change what a link leads to."""


def loopedTree(testCase):
    """
    @param testCase: the running test.
    @return: a root holding the links of L{LOOPS} and a file C{f}.
    """
    root = scratchDirectory(testCase)
    os.symlink("loop", os.path.join(root, "loop"))
    os.symlink("pong", os.path.join(root, "ping"))
    os.symlink("ping", os.path.join(root, "pong"))
    with open(os.path.join(root, "f"), "wb") as f:
        f.write(b"kept")
    return root


def deleteLoops(testCase, port):
    """
    Log in as alice (password C{pw}) and send C{DELE} of each link of
    L{LOOPS} (blocking).

    @param testCase: the running test.
    @param port: the server's port.
    @return: the replies' codes.
    """
    ftp = ftplibLogin(testCase, port, "alice", "pw")
    codes = [replyText(ftp, "DELE " + name)[:3] for name in LOOPS]
    ftp.quit()
    return codes


class LinkLoopTests(LoopbackServerMixin, unittest.TestCase):
    """
    A real server on the local disk and C{ftplib}.
    """

    @defer.inlineCallbacks
    def test_changesRefused(self):
        """
        C{SITE CHMOD} and C{MFMT} of a looping link get C{550}, as for a
        link leading out, and the link is left as it was.
        """
        root = loopedTree(self)
        server = self.startServer(FilesystemRealm(root),
                                  users={"alice": "pw"}, anonymous=False)
        before = {name: os.lstat(os.path.join(root, name)).st_mtime
                  for name in LOOPS}

        def client():
            ftp = ftplibLogin(self, server.port, "alice", "pw")
            replies = {(command, name): replyText(ftp, command.format(name))
                       for command in CHANGES for name in LOOPS}
            ftp.quit()
            return replies

        replies = yield self.inThread(client)
        self.assertEqual({key: reply[:3] for key, reply in replies.items()},
                         {key: "550" for key in replies})
        self.assertEqual(
            {name: os.lstat(os.path.join(root, name)).st_mtime
             for name in LOOPS}, before)

    @defer.inlineCallbacks
    def test_removed(self):
        """
        C{DELE} of a looping link removes it (C{250}), and nothing else.
        """
        root = loopedTree(self)
        server = self.startServer(FilesystemRealm(root),
                                  users={"alice": "pw"}, anonymous=False)
        codes = yield self.inThread(deleteLoops, self, server.port)
        self.assertEqual(codes, ["250"] * 3)
        self.assertEqual(os.listdir(root), ["f"])

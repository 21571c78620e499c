"""
What C{LIST}, C{LIST -R} and C{STAT} of a directory show of the symbolic
links a realm does not follow, seen by a real client (ftplib): for one
leading nowhere inside the root, or in a loop, C{name -> target}, the
link's text as stored, as C{ls -l}, vsftpd, ProFTPD and pyftpdlib show
it (GVfs takes a link line without the arrow for a nameless entry); for
one leading out of the root, C{name -> name}, leading to itself (the
jail reveals nothing outside: C{tests.integration.test_attack_jail});
on the disk realm, through the listings' cache too, and on fsspec's
C{file://}.
"""

import os

from twisted.internet.defer import inlineCallbacks
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.filesystem import FilesystemShell
from tests.barerealm import BareRealm
from tests.fsspecrealms import LocalMixin, SFTPMixin
from tests.ftpclient import inLoggedInClient
from tests.scratch import scratchDirectory

FILES = 10
"""Regular files beside the links: enough for the listings' cache to keep
the directory (L{ftpkit.shells.sharedreads.MIN_ENTRIES})."""


def makeRoot(testCase):
    """
    @return: the path of a root under a scratch directory, holding
        C{sub/} with L{FILES} files, C{sub/dangling -> ../missing},
        C{sub/loop -> loop}, C{sub/out -> } the scratch directory (out of
        the root) and C{sub/inside -> f0} (followed).
    """
    base = scratchDirectory(testCase)
    root = os.path.join(base, "root")
    sub = os.path.join(root, "sub")
    os.makedirs(sub)
    for number in range(FILES):
        with open(os.path.join(sub, f"f{number}"), "wb") as f:
            f.write(b"x")
    os.symlink("../missing", os.path.join(sub, "dangling"))
    os.symlink("loop", os.path.join(sub, "loop"))
    os.symlink(base, os.path.join(sub, "out"))
    os.symlink("f0", os.path.join(sub, "inside"))
    return root


class DiskLinkTargetsTests(LoopbackServerMixin, unittest.TestCase):
    """
    The disk realm.
    """

    def setUp(self):
        self.root = makeRoot(self)
        self.server = self.startServer(self.makeRealm(), ServerConfig())

    def makeRealm(self):
        """
        @return: the realm serving C{self.root}.
        """
        realm = BareRealm()
        realm.shell = FilesystemShell(self.root)
        return realm

    def client(self, session):
        """
        Run C{session(ftp)} in a thread with a logged-in ftplib client.

        @return: a Deferred firing with what it returns.
        """
        return inLoggedInClient(self, session)

    def checkLines(self, lines):
        """
        Check the link lines of a listing of C{sub}.

        @param lines: the listing's lines.
        """
        ends = {line.split(None, 8)[-1]: line[:1] for line in lines
                if line[:1] in ("l", "-")}
        self.assertEqual(ends["dangling -> ../missing"], "l")
        self.assertEqual(ends["loop -> loop"], "l")
        self.assertEqual(ends["out -> out"], "l")
        self.assertEqual(ends["inside"], "-")
        self.assertNotIn(os.path.dirname(self.root), "\n".join(lines))

    @inlineCallbacks
    def test_list(self):
        """
        C{LIST}, twice (the second from the listings' cache), C{LIST -R}
        and C{STAT} of the directory end a link's line with its target.
        """
        def session(ftp):
            listings = []
            for command in ("LIST sub", "LIST sub", "LIST -R"):
                lines = []
                ftp.retrlines(command, lines.append)
                listings.append(lines)
            listings.append(ftp.sendcmd("STAT sub").splitlines()[1:-1])
            return listings

        listings = yield self.client(session)
        for lines in listings:
            self.checkLines([line.strip() for line in lines])


class FsspecLinkTargetsTests(LocalMixin, DiskLinkTargetsTests):
    """
    fsspec's C{file://}.
    """


class SFTPLinkTargetsTests(SFTPMixin, DiskLinkTargetsTests):
    """
    The same on C{--realm fsspec:sftp://USER@HOST:PORT/ROOT}, the root
    seen through OpenSSH's SFTP server: links told from what they lead
    to, as on the disk realm.
    """

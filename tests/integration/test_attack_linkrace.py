"""
A local user racing the filesystem jail, over real loopback sockets: the
shell resolves a path and checks it stays in the root, then uses it; a
local user who swaps a directory on that path for a symbolic link out of
the root in between must not lead the download, upload or listing out.

The swap is made in the shell's own thread, right after its check
(L{RacingShell}), so that the race is won every time instead of now and
then.
"""

import os

from twisted.cred.portal import IRealm
from twisted.internet import defer
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.interfaces import IFTPShell
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.filesystem import FilesystemShell
from tests.integration.test_attack_jail import RawClient, snapshot
from tests.scratch import scratchDirectory

SECRET = b"TOPSECRET outside the root"


class RacingJail:
    """
    A shell's L{ftpkit.shells.diskpaths.Jail} whose every path walk (the
    check of every command, an upload's open included) is followed at once
    by what its shell does after a check (L{RacingShell.checked}).
    """

    def __init__(self, jail, shell):
        """
        @param jail: the jail to check with.
        @param shell: the L{RacingShell} to tell.
        """
        self._jail = jail
        self._shell = shell

    def __getattr__(self, name):
        return getattr(self._jail, name)

    def walk(self, path, followLast=True):
        result = self._jail.walk(path, followLast)
        self._shell.checked(path)
        return result


class RacingShell(FilesystemShell):
    """
    A filesystem shell whose every path check is followed at once by a
    local user's swap of C{real}, a directory in the root, for a link to
    the directory next to the root (when armed).

    @ivar armed: whether the next check is followed by the swap.
    @ivar swappedAt: the paths whose checks were followed by the swap.
    """

    armed = False

    def __init__(self, base):
        """
        @param base: the directory holding C{root} and C{outside}.
        """
        self.base = base
        self.swappedAt = []
        FilesystemShell.__init__(self, os.path.join(base, "root"))
        self._jail = RacingJail(self._jail, self)

    def checked(self, path):
        """
        A path was checked: swap C{real} for the link, when armed.

        @param path: the path checked, a tuple of segments.
        """
        if self.armed:
            self.armed = False
            self.swappedAt.append(path)
            real = os.path.join(self.base, "root", "real")
            os.rename(real, real + "-moved")
            os.symlink("../outside", real)

    def restore(self):
        """
        Put C{real} back, and arm the next swap.
        """
        real = os.path.join(self.base, "root", "real")
        if os.path.islink(real):
            os.unlink(real)
            os.rename(real + "-moved", real)
        self.armed = True


@implementer(IRealm)
class RacingRealm:
    """
    Every user gets the one L{RacingShell}.
    """

    def __init__(self, shell):
        self.shell = shell

    def requestAvatar(self, avatarId, mind, *interfaces):
        return IFTPShell, self.shell, lambda: None


class LinkRaceTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{root/race} is a link to C{root/real} (a link that stays in the root,
    so that every open takes the checked way); C{outside} is next to the
    root.
    """

    timeout = 60

    def setUp(self):
        self.base = scratchDirectory(self)
        root = os.path.join(self.base, "root")
        outside = os.path.join(self.base, "outside")
        os.makedirs(os.path.join(root, "real"))
        os.makedirs(os.path.join(outside, "empty"))
        with open(os.path.join(outside, "secret.txt"), "wb") as f:
            f.write(SECRET)
        with open(os.path.join(root, "real", "secret.txt"), "wb") as f:
            f.write(b"public")
        os.symlink("real", os.path.join(root, "race"))
        self.outside = outside
        self.outsideBefore = self.outsideState()
        self.shell = RacingShell(self.base)
        self.server = self.startServer(RacingRealm(self.shell),
                                       ServerConfig(loginFailureDelay=0))

    def outsideState(self):
        """
        @return: what is outside the root: paths, contents, and the
            secret's mode and modification time (C{None} when it is gone).
        """
        secret = os.path.join(self.outside, "secret.txt")
        if not os.path.exists(secret):
            return snapshot(self.outside), None, None
        info = os.stat(secret)
        return snapshot(self.outside), info.st_mode, info.st_mtime

    @defer.inlineCallbacks
    def test_swappedDirectoryNotFollowed(self):
        """
        Downloads, listings and uploads through the swapped directory fail
        or stay in the root: the secret is never sent, and nothing is
        written outside.
        """
        def attack():
            client = RawClient(self.server.port)
            seen = []
            try:
                client.login()
                for line, upload in [(b"RETR race/secret.txt", None),
                                     (b"LIST race", None),
                                     (b"NLST race", None),
                                     (b"MLSD race", None),
                                     (b"STOR race/dropped.txt", b"x"),
                                     (b"HASH race/secret.txt", None)]:
                    self.shell.restore()
                    if line.startswith(b"HASH"):
                        seen.append(client.command(line))
                    else:
                        seen.append(b"%r" % (client.transfer(line, upload),))
                self.shell.restore()
                self.shell.armed = False
                return b"\n".join(seen)
            finally:
                client.close()

        seen = yield self.inThread(attack)
        self.assertNotIn(SECRET, seen)
        self.assertNotIn(b"TOPSECRET", seen)
        self.assertEqual(self.outsideState(), self.outsideBefore)
        # The upload's open was raced too: it walks its path itself, and
        # the swap, hooked on FilesystemShell._walk, missed it.
        self.assertIn(("race", "dropped.txt"), self.shell.swappedAt)

    @defer.inlineCallbacks
    def test_swappedDirectoryNotChanged(self):
        """
        Nor do the commands that change entries act through it: the
        secret outside is neither removed, renamed nor changed, and no
        directory is made or removed there.
        """
        def attack():
            client = RawClient(self.server.port)
            seen = []
            try:
                client.login()
                for line in [b"DELE race/secret.txt", b"MKD race/made",
                             b"RMD race/empty",
                             b"SITE CHMOD 777 race/secret.txt",
                             b"MFMT 20000101000000 race/secret.txt"]:
                    self.shell.restore()
                    seen.append(client.command(line))
                self.shell.restore()
                self.shell.armed = False
                seen.append(client.command(b"RNFR race/secret.txt"))
                self.shell.restore()
                seen.append(client.command(b"RNTO stolen.txt"))
                self.shell.restore()
                self.shell.armed = False
                return seen
            finally:
                client.close()

        seen = yield self.inThread(attack)
        self.assertEqual(self.outsideState(), self.outsideBefore)
        self.assertFalse(os.path.exists(
            os.path.join(self.base, "root", "stolen.txt")), seen)

    @defer.inlineCallbacks
    def test_swappedDirectoryNotDescribed(self):
        """
        Nor do the commands that describe an entry look through it:
        C{SIZE}, C{MDTM}, C{MLST} and C{STAT} never give the size or the
        time of the secret outside, and C{NLST} never names what is
        there.
        """
        secret = os.path.join(self.outside, "secret.txt")
        os.utime(secret, (978307200, 978307200))  # 2001-01-01
        self.outsideBefore = self.outsideState()

        def attack():
            client = RawClient(self.server.port)
            seen = []
            try:
                client.login()
                for line in [b"SIZE race/secret.txt",
                             b"MDTM race/secret.txt",
                             b"MLST race/secret.txt",
                             b"STAT race/secret.txt",
                             b"MLST race/empty", b"STAT race/empty"]:
                    self.shell.restore()
                    seen.append(client.command(line))
                self.shell.restore()
                seen.append(b"%r" % (client.transfer(b"NLST race"),))
                self.shell.restore()
                self.shell.armed = False
                return b"\n".join(seen)
            finally:
                client.close()

        seen = yield self.inThread(attack)
        size = b"%d" % (len(SECRET),)
        for told in [b"213 " + size, b"size=" + size, b" " + size + b" "]:
            self.assertNotIn(told, seen)
        self.assertNotIn(b"2001", seen)
        self.assertNotIn(b"empty", seen.replace(b"race/empty", b""))
        self.assertEqual(self.outsideState(), self.outsideBefore)

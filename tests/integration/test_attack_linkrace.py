"""
A local user racing the filesystem jail, over real loopback sockets: the
shell resolves a path and checks it stays in the root, then uses it; a
local user who swaps a directory on that path for a symbolic link out of
the root in between must not lead the download, upload or listing out.

The swap is made in the shell's own thread, right after its check
(L{RacingShell}), so that the race is won every time instead of now and
then. L{MoreLinkRaceTests} races the verbs L{LinkRaceTests} does not;
L{RuleRaceTests} and L{DotfilesRaceTests} race a user's directory rules
and C{--hide-dotfiles} the same way (L{RuleRacingShell}).
"""

import hashlib
import os
import zlib

from fsspec.implementations.local import LocalFileSystem
from twisted.cred.portal import IRealm
from twisted.internet import defer
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.interfaces import IFTPShell
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.dotfiles import HideDotfilesShell
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.fsspecshell import FsspecShell
from ftpkit.shells.permissions import PermissionShell
from ftpkit.shells.permissiontable import PERMISSIONS, PermissionTable
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.treestate import snapshot, state

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

    def race(self, lines, armed=True):
        """
        Send each line with the swap armed, logged in and in C{TYPE I}.

        @param lines: command lines (C{bytes}), transfers (a C{(line,)}
            or C{(line, upload)} tuple, L{RawClient.transfer}'s
            arguments), and C{None}, which disarms the next line's swap.
        @param armed: whether to arm the swaps at all.
        @return: a L{Deferred} firing with everything the client got, the
            replies and transfers one a line.
        """
        def attack():
            client = RawClient(self.server.port)
            seen = []
            try:
                client.login()
                # TYPE I: there SIZE asks the shell, as the others do.
                client.command("TYPE I")
                disarm = False
                for line in lines:
                    if line is None:
                        disarm = True
                        continue
                    self.shell.restore()
                    if disarm or not armed:
                        self.shell.armed = disarm = False
                    if isinstance(line, tuple):
                        seen.append(b"%r" % (client.transfer(*line),))
                    else:
                        seen.append(client.command(line))
                self.shell.restore()
                self.shell.armed = False
                return b"\n".join(seen)
            finally:
                client.close()

        return self.inThread(attack)

    @defer.inlineCallbacks
    def test_swappedDirectoryNotFollowed(self):
        """
        Downloads, listings and uploads through the swapped directory fail
        or stay in the root: the secret is never sent, and nothing is
        written outside.
        """
        seen = yield self.race([(b"RETR race/secret.txt", None),
                                (b"LIST race", None), (b"NLST race", None),
                                (b"MLSD race", None),
                                (b"STOR race/dropped.txt", b"x"),
                                b"HASH race/secret.txt"])
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
        # RNFR unarmed: its RNTO, into the root, is the one raced.
        seen = yield self.race([b"DELE race/secret.txt", b"MKD race/made",
                                b"RMD race/empty",
                                b"SITE CHMOD 777 race/secret.txt",
                                b"MFMT 20000101000000 race/secret.txt",
                                None, b"RNFR race/secret.txt",
                                b"RNTO stolen.txt"])
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

        seen = yield self.race([b"SIZE race/secret.txt",
                                b"MDTM race/secret.txt",
                                b"MLST race/secret.txt",
                                b"STAT race/secret.txt",
                                b"MLST race/empty", b"STAT race/empty",
                                (b"NLST race",)])
        size = b"%d" % (len(SECRET),)
        for told in [b"213 " + size, b"size=" + size, b" " + size + b" "]:
            self.assertNotIn(told, seen)
        self.assertNotIn(b"2001", seen)
        self.assertNotIn(b"empty", seen.replace(b"race/empty", b""))
        self.assertEqual(self.outsideState(), self.outsideBefore)


class MoreLinkRaceTests(LoopbackServerMixin, unittest.TestCase):
    """
    The verbs L{LinkRaceTests} does not race, in its setting: checksums
    other than C{HASH}, C{SITE UTIME}, C{MFF}, C{APPE}, C{STOU} in the
    swapped directory, a rename into it, and C{AVBL}.
    """

    timeout = 60
    setUp = LinkRaceTests.setUp
    outsideState = LinkRaceTests.outsideState
    race = LinkRaceTests.race

    async def test_described(self):
        """
        Checksums of the secret through the swapped directory are never
        its checksums, and nothing outside changes.
        """
        secret = os.path.join(self.outside, "secret.txt")
        os.utime(secret, (978307200, 978307200))  # 2001-01-01
        self.outsideBefore = self.outsideState()
        seen = await self.race([
            b"XMD5 race/secret.txt", b"XSHA1 race/secret.txt",
            b"XSHA256 race/secret.txt", b"XSHA512 race/secret.txt",
            b"XCRC race/secret.txt", b"MDTM race/secret.txt",
            b"AVBL race", b"SIZE race/secret.txt"])
        assertUnrevealed(self, seen)
        self.assertEqual(len(self.shell.swappedAt), 8)
        self.assertEqual(self.outsideState(), self.outsideBefore)

    async def test_changed(self):
        """
        Times, appends, unique uploads and a rename into the swapped
        directory change nothing outside.
        """
        seen = await self.race([
            b"SITE UTIME 20000101000000 race/secret.txt",
            b"SITE UTIME race/secret.txt 20000101000000 20000101000000 "
            b"20000101000000 UTC",
            b"MFF modify=20000101000000; race/secret.txt",
            (b"APPE race/secret.txt", b"appended"),
            b"CWD /",
            (b"STOU race/unique", b"unique"),
            None, b"RNFR real/secret.txt", b"RNTO race/moved.txt"])
        self.assertEqual(self.outsideState(), self.outsideBefore, seen)
        self.assertEqual(len(self.shell.swappedAt), 7, seen)
        self.assertIn(b"350", seen)


def assertUnrevealed(case, seen):
    """
    Fail C{case} if C{seen} holds a digest of the secret outside the
    root, its size or its time.
    """
    for name in ("md5", "sha1", "sha256", "sha512"):
        digest = hashlib.new(name, SECRET).hexdigest().encode()
        case.assertNotIn(digest, seen.lower())
    case.assertNotIn(b"%08x" % (zlib.crc32(SECRET),), seen.lower())
    case.assertNotIn(b"213 %d" % (len(SECRET),), seen)
    case.assertNotIn(b"2001", seen)


KEPT = b"KEPT in the read-only directory"


READS_THROUGH_LINK = (
    (b"RETR rw/x/kept.txt", b""),
    (b"LIST rw/x", b""),
    (b"NLST rw/x", b""),
    (b"MLSD rw/x", b""),
    (b"SIZE rw/x/kept.txt", None),
)
"""Reads through the swapped link C{rw/x}: C{(line, data)} for
L{RuleRaceTests.attack}."""

CHANGES_THROUGH_LINK = (
    (b"STOR rw/x/kept.txt", b"replaced"),
    (b"APPE rw/x/kept.txt", b"appended"),
    (b"MKD rw/x/made", None),
    (b"RMD rw/x/sub", None),
    (b"SITE CHMOD 777 rw/x/kept.txt", None),
    (b"MFMT 20000101000000 rw/x/kept.txt", None),
    (b"RNFR rw/x/kept.txt", None),
    (b"RNTO rw/moved.txt", None),
)
"""Changes through the swapped link C{rw/x}, likewise."""


class RuleRacingShell(FilesystemShell):
    """
    A filesystem shell whose check of where a path leads
    (L{FilesystemShell.resolve}, what L{PermissionShell} asks before it
    acts) is followed at once, when armed, by a local user's swap of the
    link C{rw/x} (to C{ok}) for one to C{../ro} (or another C{target}).
    Its copies for each session (L{FilesystemShell.forResumer}) share its
    L{race}.

    @ivar race: C{armed}, whether the next check is followed by the
        swap, and C{swaps}, how many were made.
    """

    def __init__(self, root, target="../ro"):
        """
        @param root: the home, holding C{rw/ok}, C{rw/x} and C{target}.
        @param target: where the swapped link leads.
        """
        FilesystemShell.__init__(self, root)
        self.root = root
        self.target = target
        self.race = {"armed": False, "swaps": 0}
        self._shortCalls = None

    @property
    def swaps(self):
        return self.race["swaps"]

    def _resolveUnder(self, path):
        resolved = FilesystemShell._resolveUnder(self, path)
        if self.race["armed"]:
            self.race["armed"] = False
            self.race["swaps"] += 1
            self._point(self.target)
        return resolved

    def _point(self, target):
        """
        Make C{rw/x} lead to C{target} in one rename, as a local user
        would.
        """
        link = os.path.join(self.root, "rw", "x")
        os.symlink(target, link + ".new")
        os.rename(link + ".new", link)

    def restore(self, arm=True):
        """
        Make C{rw/x} lead to C{ok} again, and arm the next swap.
        """
        self._point("ok")
        self.race["armed"] = arm


@implementer(IRealm)
class _RulesRealm:
    """
    Every user gets the one shell, under the rules of L{RuleRaceTests}.
    """

    def __init__(self, shell):
        self.shell = shell

    def requestAvatar(self, avatarId, mind, *interfaces):
        return IFTPShell, self.shell, lambda: None


def _raceHome(home, guarded):
    """
    Make a raced home: C{guarded/kept.txt} (L{KEPT}) and C{guarded/sub},
    which the attacks must not reach, and the user's C{rw/ok/kept.txt}
    and C{rw/ok/sub}.

    @return: the guarded directory's path.
    """
    for directory in [guarded + "/sub", "rw/ok/sub"]:
        os.makedirs(os.path.join(home, directory))
    with open(os.path.join(home, guarded, "kept.txt"), "wb") as f:
        f.write(KEPT)
    with open(os.path.join(home, "rw", "ok", "kept.txt"), "wb") as f:
        f.write(b"mine")
    return os.path.join(home, guarded)


class RuleRaceTests(LoopbackServerMixin, unittest.TestCase):
    """
    A home whose C{/ro} the user may do nothing with (a rule), and whose
    C{/rw} the user may change: C{rw/x} is a link to C{rw/ok}, swapped for one to
    C{../ro} right after each check (L{RuleRacingShell}).
    """

    timeout = 60
    raced = 9
    """Commands of each attack raced (each but the C{RNTO}'s C{RNFR})."""

    def setUp(self):
        home = scratchDirectory(self)
        self.ro = _raceHome(home, "ro")
        self.shell = self.racingShell(home)
        self.shell.restore(arm=False)
        table = PermissionTable(PERMISSIONS, {("ro",): []})
        self.server = self.startServer(
            _RulesRealm(PermissionShell(self.shell, table)),
            ServerConfig(loginFailureDelay=0))

    def racingShell(self, home):
        """
        @return: the L{RuleRacingShell} of C{home}.
        """
        return RuleRacingShell(home)

    def attack(self, steps):
        """
        Run commands, each raced (C{(line, None)}, or a transfer:
        C{(line, b"")} a download, C{(line, bytes)} an upload).

        @return: a Deferred firing with the replies and bytes received,
            C{bytes}.
        """
        def run():
            client = RawClient(self.server.port)
            seen = []
            try:
                client.login()
                # TYPE I: there SIZE asks the shell, as the others do.
                client.command("TYPE I")
                for line, data in steps:
                    self.shell.restore(arm=not line.startswith(b"RNFR"))
                    if data is None:
                        seen.append(client.command(line))
                    else:
                        seen.append(b"%r" % (client.transfer(
                            line, data or None),))
                self.shell.restore(arm=False)
                return b"\n".join(seen)
            finally:
                client.close()

        return self.inThread(run)

    @defer.inlineCallbacks
    def test_changesRefused(self):
        """
        No changing verb through the swapped link changes anything in
        C{/ro}: each is refused (C{550}, or C{553} for an upload).
        """
        before = state(self.ro)
        seen = yield self.attack([
            (b"DELE rw/x/kept.txt", None),
            (b"STOR rw/x/new.txt", b"dropped"),
            *CHANGES_THROUGH_LINK,
        ])
        self.assertEqual(state(self.ro), before, seen)
        self.assertGreaterEqual(self.shell.swaps, self.raced, seen)
        self.assertNotIn(b"226", seen)

    @defer.inlineCallbacks
    def test_readRefused(self):
        """
        Nor is anything there downloaded, listed or described.
        """
        seen = yield self.attack([
            *READS_THROUGH_LINK,
            (b"MDTM rw/x/kept.txt", None),
            (b"HASH rw/x/kept.txt", None),
            (b"MLST rw/x/kept.txt", None),
            (b"CWD rw/x/sub", None),
        ])
        self.assertNotIn(KEPT, seen)
        self.assertNotIn(b"kept", seen.replace(b"rw/x/kept", b""))
        self.assertNotIn(b"sub", seen.replace(b"rw/x/sub", b""))
        for reply in seen.split(b"\n"):
            self.assertFalse(reply.startswith((b"213", b"250")), seen)
        self.assertEqual(self.shell.swaps, self.raced, seen)

    @defer.inlineCallbacks
    def test_unracedStillWorks(self):
        """
        Left alone, the link leads into C{rw/ok}, where the same verbs
        work.
        """
        def run():
            client = RawClient(self.server.port)
            try:
                client.login()
                # TYPE I: there SIZE asks the shell, as the others do.
                client.command("TYPE I")
                return [client.command(b"DELE rw/x/kept.txt"),
                        client.transfer(b"STOR rw/x/new.txt", b"new")[2],
                        client.command(b"MKD rw/x/made")]
            finally:
                client.close()

        seen = yield self.inThread(run)
        self.assertEqual([line[:3] for line in seen], [b"250", b"226",
                                                       b"257"])
        self.assertEqual(sorted(os.listdir(os.path.join(
            self.shell.root, "rw", "ok"))), ["made", "new.txt", "sub"])


class FsspecRacingShell(FsspecShell):
    """
    L{RuleRacingShell}'s race on C{fsspec:file://}: the swap follows the
    check of where a path leads (L{FsspecShell.resolve}).
    """

    def __init__(self, root, target="../ro"):
        FsspecShell.__init__(self, LocalFileSystem(skip_instance_cache=True),
                             root)
        self.root = root
        self.target = target
        self.race = {"armed": False, "swaps": 0}

    swaps = RuleRacingShell.swaps
    _point = RuleRacingShell._point
    restore = RuleRacingShell.restore

    def _resolve(self, path):
        resolved = FsspecShell._resolve(self, path)
        if self.race["armed"]:
            self.race["armed"] = False
            self.race["swaps"] += 1
            self._point(self.target)
        return resolved


class FsspecRuleRaceTests(RuleRaceTests):
    """
    L{RuleRaceTests} on C{fsspec:file://}, whose shell walks a path for
    an act too (L{FsspecShell.fsPath}).
    """

    raced = 8
    """One fewer: C{SITE CHMOD} (changes) and C{HASH} (looks) are not
    available here (C{502})."""

    def racingShell(self, home):
        shell = FsspecRacingShell(home)
        self.addCleanup(shell.whenIdle)
        return shell


class DotfilesRaceTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{--hide-dotfiles} over a home whose C{rw/x} leads to C{rw/ok}, swapped
    for a link to C{../.hidden} right after each check.
    """

    timeout = 60

    def setUp(self):
        home = scratchDirectory(self)
        self.hidden = _raceHome(home, ".hidden")
        self.shell = RuleRacingShell(home, "../.hidden")
        self.shell.restore(arm=False)
        self.server = self.startServer(
            _RulesRealm(HideDotfilesShell(self.shell)),
            ServerConfig(loginFailureDelay=0))

    attack = RuleRaceTests.attack

    @defer.inlineCallbacks
    def test_nothingShownOrChanged(self):
        """
        Nothing of C{/.hidden} is sent, listed, changed or removed through
        the swapped link.
        """
        before = state(self.hidden)
        seen = yield self.attack([
            *READS_THROUGH_LINK,
            (b"DELE rw/x/kept.txt", None),
            *CHANGES_THROUGH_LINK,
        ])
        self.assertEqual(state(self.hidden), before, seen)
        self.assertNotIn(KEPT, seen)
        self.assertNotIn(b"kept.txt\\r\\n", seen)
        self.assertNotIn(b"sub", seen)
        self.assertNotIn(b"213 31", seen)
        self.assertGreaterEqual(self.shell.swaps, 13, seen)

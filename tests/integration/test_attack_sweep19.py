"""
The nineteenth attack sweep, over real loopback sockets.

A user's per-directory rules (a users file's C{directories}) were
checked where a path leads, then the shell walked the path again to act
on it: a local user who could write in a directory the FTP user may
change swapped a symbolic link there in between, from one leading into
that directory to one leading into a directory the rules make read-only
(or unreadable), and the act followed the new link past the rule. With
C{rw/x -> ok} at the check and C{rw/x -> ../ro} at the act, C{DELE
rw/x/kept.txt} removed C{/ro/kept.txt}, which the rules keep from being
deleted; so did every changing verb and C{RETR} (the jail's own race,
L{tests.integration.test_attack_linkrace}, is about the root, and held).
The shell's walk for the act now checks the rule where it reached
(L{ftpkit.shells.guardedpaths.Guarded}), on the path it then acts on
without following links again (L{RuleRaceTests}).

C{--hide-dotfiles} had the same race: a link C{rw/x} leading to C{ok}
when checked and to C{../.hidden} when used gave C{RETR rw/x/kept.txt}
the bytes of C{/.hidden/kept.txt}, C{LIST rw/x} its names, and C{DELE}
removed it; its wrapper now hands the shell guarded paths too
(L{DotfilesRaceTests}). So did C{fsspec:file://} with a users file's
rules (C{?users=PATH}), whose shell now checks the rule where its path
for the act leads (L{FsspecRuleRaceTests}).

A virtual host whose realm has users of its own (C{--vhost
x.test=users:B.toml} beside C{--auth users:A.toml --realm users:A.toml},
which the guide gives as the way to keep the hosts' users apart) checked
its logins against the server's users file: on C{x.test}, C{alice} of
C{B.toml} was logged in with the password of C{alice} of C{A.toml} (and
read B's alice's files with it), her own password was refused, and a
user only C{B.toml} names could not log in. The host's users checker now
checks the host's users (L{ftpkit.auth.hostcheckers}, L{HostUsersTests}),
and C{--max-sessions-per-user} counts them apart from the server's users
of the same names (one C{alice} kept the other out).

Tried and held (C{python -m ftpkit}, the C{users:} realm with a quota, a
nested home, a read-only and an empty-permissions directory rule, an
C{anonymous} entry, explicit TLS with C{--tls-allow-ccc}, C{tcp6:} on
C{::1}; the same run as C{nobody} by C{twistd --uid}; C{--passive-ports}
with C{--max-passive-per-ip 1}; C{--vhost}s):
    - TLS 1.0, 1.1, and 1.3 without C{--tls-allow-1.3}: C{protocol_version};
      NULL, aNULL, AES-CBC with RSA key exchange, DHE, ECDHE-CBC: no
      shared cipher; C{PROT P}/C{S}/C{E}/C{C} before C{PBSZ} (before and
      after login): C{503}; C{PBSZ} of 20 digits: C{501}; C{AUTH TLS}
      under TLS: C{503};
    - C{LIST -R}, C{LIST -aR}, C{NLST -R} and C{STAT -R} of a home holding
      a directory whose rule gives no permission: its entry listed (as its
      parent shows it), nothing of what it holds; C{LIST}, C{NLST -R},
      C{MLSD} of it: C{550}; dangling links in a writable directory
      leading into a read-only one (a file, a directory) and a link to
      it: C{STOR}, C{APPE}, C{STOU}, C{MKD} through them and C{RNFR} of
      them C{550}, nothing made;
    - three parallel 80,000-byte C{STOR}s against a 100,000-byte quota:
      one C{226}, two C{552}; C{SITE CHMOD 000} and C{300} of a full
      directory by a server running as C{nobody}, whose quota walk
      cannot count what it cannot read: the mode kept C{u+rx} (C{0500}),
      and after a restart the walk still counted it (C{552}); mode C{300}
      made by hand: its uploads C{550};
    - C{TYPE A} uploads with CR and LF in separate segments: C{ab\\r},
      C{\\ncd\\r\\n} stored C{ab\\ncd\\n}, a last lone CR kept, CR CR LF
      stored CR LF; C{REST 2} then C{STOR} in C{TYPE A}: the bytes from
      the offset replaced; C{TYPE A} C{REST} at, past and far past the
      end: C{226} with nothing, C{554}; C{REST} then C{APPE}: C{503};
    - C{HOST} between failed logins: still counted (closed after the
      third, the delays doubling);
    - C{CPSV} of a second session, and C{PASV}/C{EPSV} after C{SSCN ON},
      past C{--max-passive-per-ip 1}: C{425}.
"""

import os

from fsspec.implementations.local import LocalFileSystem
from twisted.cred.portal import IRealm
from twisted.internet import defer
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.auth.passwordhash import hashPassword
from ftpkit.config import ServerConfig
from ftpkit.interfaces import IFTPShell
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.dotfiles import HideDotfilesShell
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.fsspecshell import FsspecShell
from ftpkit.shells.permissions import PermissionShell
from ftpkit.shells.permissiontable import PERMISSIONS, PermissionTable
from tests.integration.test_attack_jail import RawClient
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess

KEPT = b"KEPT in the read-only directory"


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


def _state(top):
    """
    @return: every path under C{top}, with its mode, modification time and
        (for a file) bytes.
    """
    found = {}
    for directory, names, files in os.walk(top):
        for name in names + files:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            content = None
            if name in files:
                with open(path, "rb") as f:
                    content = f.read()
            found[os.path.relpath(path, top)] = (
                info.st_mode, info.st_mtime_ns, content)
    return found


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
        before = _state(self.ro)
        seen = yield self.attack([
            (b"DELE rw/x/kept.txt", None),
            (b"STOR rw/x/new.txt", b"dropped"),
            (b"STOR rw/x/kept.txt", b"replaced"),
            (b"APPE rw/x/kept.txt", b"appended"),
            (b"MKD rw/x/made", None),
            (b"RMD rw/x/sub", None),
            (b"SITE CHMOD 777 rw/x/kept.txt", None),
            (b"MFMT 20000101000000 rw/x/kept.txt", None),
            (b"RNFR rw/x/kept.txt", None),
            (b"RNTO rw/moved.txt", None),
        ])
        self.assertEqual(_state(self.ro), before, seen)
        self.assertGreaterEqual(self.shell.swaps, self.raced, seen)
        self.assertNotIn(b"226", seen)

    @defer.inlineCallbacks
    def test_readRefused(self):
        """
        Nor is anything there downloaded, listed or described.
        """
        seen = yield self.attack([
            (b"RETR rw/x/kept.txt", b""),
            (b"LIST rw/x", b""),
            (b"NLST rw/x", b""),
            (b"MLSD rw/x", b""),
            (b"SIZE rw/x/kept.txt", None),
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
        before = _state(self.hidden)
        seen = yield self.attack([
            (b"RETR rw/x/kept.txt", b""),
            (b"LIST rw/x", b""),
            (b"NLST rw/x", b""),
            (b"MLSD rw/x", b""),
            (b"SIZE rw/x/kept.txt", None),
            (b"DELE rw/x/kept.txt", None),
            (b"STOR rw/x/kept.txt", b"replaced"),
            (b"APPE rw/x/kept.txt", b"appended"),
            (b"MKD rw/x/made", None),
            (b"RMD rw/x/sub", None),
            (b"SITE CHMOD 777 rw/x/kept.txt", None),
            (b"MFMT 20000101000000 rw/x/kept.txt", None),
            (b"RNFR rw/x/kept.txt", None),
            (b"RNTO rw/moved.txt", None),
        ])
        self.assertEqual(_state(self.hidden), before, seen)
        self.assertNotIn(KEPT, seen)
        self.assertNotIn(b"kept.txt\\r\\n", seen)
        self.assertNotIn(b"sub", seen)
        self.assertNotIn(b"213 31", seen)
        self.assertGreaterEqual(self.shell.swaps, 13, seen)


def _usersFile(path, home, users):
    """
    Write a users file.

    @param path: the file.
    @param home: every user's home.
    @param users: C{{name: password}}.
    @return: C{path}.
    """
    with open(path, "w") as f:
        for name, password in users.items():
            f.write(f'[users.{name}]\npassword = "{hashPassword(password)}"'
                    f'\nhome = "{home}"\npermissions = ["list", "read"]\n')
    return path


class HostUsersTests(unittest.TestCase):
    """
    The default host's users in C{A.toml} (C{alice}, password C{passA}),
    the virtual host C{x.test}'s in C{B.toml} (C{alice}, C{passB};
    C{bonly}, C{passB2}), each home holding a file of its own.
    """

    timeout = 120

    def serve(self, *auth):
        """
        Start the server, with C{--auth users:A.toml} and C{auth}.

        @return: the L{ServerProcess}.
        """
        root = scratchDirectory(self)
        for home in "ab":
            os.makedirs(os.path.join(root, home))
            with open(os.path.join(root, home, f"{home}.txt"), "wb") as f:
                f.write(home.encode())
        self.a = _usersFile(os.path.join(root, "A.toml"), "a",
                            {"alice": "passA"})
        self.b = _usersFile(os.path.join(root, "B.toml"), "b",
                            {"alice": "passB", "bonly": "passB2"})
        server = ServerProcess(self, [
            "--root", root, "--auth", f"users:{self.a}",
            *[option.format(b=self.b) for option in auth],
            "--realm", f"users:{self.a}",
            "--vhost", f"x.test=users:{self.b}",
            "--max-login-attempts", "9"])
        server.waitForGreeting()
        return server

    def logins(self, server, host, attempts):
        """
        @param host: the C{HOST} sent first, or C{None}.
        @param attempts: C{(user, password)} pairs, each on a connection
            of its own.
        @return: for each, the reply to its C{PASS}, and to C{SIZE} of
            each home's file (C{550}, or C{213} where the file is).
        """
        replies = []
        for user, password in attempts:
            client = RawClient(server.port)
            try:
                if host is not None:
                    self.assertTrue(client.command("HOST " + host)
                                    .startswith(b"220"))
                replies.append((client.login(user, password)[:3],
                                client.command("SIZE a.txt")[:3],
                                client.command("SIZE b.txt")[:3]))
            finally:
                client.close()
        return replies

    def assertApart(self, server):
        """
        On C{x.test}, B's passwords log B's users in to B's homes, and A's
        do not; on the default host, the other way round.
        """
        self.assertEqual(
            self.logins(server, "x.test", [("alice", "passA"),
                                           ("alice", "passB"),
                                           ("bonly", "passB2")]),
            [(b"530", b"530", b"530"), (b"230", b"550", b"213"),
             (b"230", b"550", b"213")])
        self.assertEqual(
            self.logins(server, None, [("alice", "passA"),
                                       ("alice", "passB")]),
            [(b"230", b"213", b"550"), (b"530", b"530", b"530")])

    def test_ownUsersFile(self):
        """
        C{--auth users:A.toml} alone: on C{x.test}, C{B.toml} decides.
        """
        self.assertApart(self.serve())

    def test_bothUsersFiles(self):
        """
        With C{--auth users:B.toml} as well, C{x.test} still takes no
        password of C{A.toml}.
        """
        server = self.serve("--auth", "users:{b}")
        self.assertEqual(
            self.logins(server, "x.test", [("alice", "passA"),
                                           ("alice", "passB")]),
            [(b"530", b"530", b"530"), (b"230", b"550", b"213")])

    def test_sessionsCountedApart(self):
        """
        Under C{--max-sessions-per-user 1}, B's C{alice} is not kept out by
        A's C{alice}'s session (another user of the same name), and is
        held to one session of her own.
        """
        server = self.serve("--max-sessions-per-user", "1")
        replies = []
        for host, password in [(None, "passA"), ("x.test", "passB"),
                               ("x.test", "passB")]:
            client = RawClient(server.port)
            self.addCleanup(client.close)
            if host is not None:
                client.command("HOST " + host)
            replies.append(client.login("alice", password)[:3])
        self.assertEqual(replies, [b"230", b"230", b"421"])

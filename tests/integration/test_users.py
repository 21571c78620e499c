"""
Tests for L{ftpkit.auth.users}, the C{users} realm and checker plugins, and
C{SIGHUP} reloading (L{ftpkit.auth.realms.ReloadOnHangup}).
"""

import ftplib
import io
import os
import signal
import subprocess
import sys
import time

from twisted.cred import checkers, credentials, error
from twisted.internet import defer
from twisted.logger import capturedLogs
from twisted.python import usage
from twisted.trial import unittest

from ftpkit.auth.realms import ReloadOnHangup, TextCredentialsChecker, reloadTargets
from ftpkit.auth.users import (
    UsersChecker,
    UsersDatabase,
    UsersFileError,
    UsersRealm,
    hashPassword,
    parseHash,
    parseUsers,
    verifyPassword,
)
from ftpkit.deploy import tap
from ftpkit.errors import PermissionDenied
from ftpkit.interfaces import IFTPShell
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.testing import readFile, writeFile
from tests.integration.test_plugin import _SOURCE, _TWISTD, freePort

FAST = {"n": 16, "r": 1, "p": 1}
"""Cheap scrypt parameters for tests."""

ALICE_HASH = hashPassword("secret", **FAST)

GOOD = f"""
[users.alice]
password = "{ALICE_HASH}"
home = "alice"
permissions = ["list", "read", "write", "mkdir"]
quota = 1000
read-only = false

[users.alice.directories."/incoming"]
permissions = ["list", "write"]

[users.alice.directories."/incoming/private"]
permissions = []

[users.bob]
password = "clear-text"

[users.carol]
home = "/absolute/carol"
read-only = true
"""


def writeText(path, text):
    """
    Write C{text} to C{path}, UTF-8.
    """
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def syncRun(function, *args):
    """
    A C{run} for checkers: call now.
    """
    return defer.maybeDeferred(function, *args)


class HashTests(unittest.TestCase):
    """
    L{hashPassword}, L{verifyPassword} and L{parseHash}.
    """

    def test_roundTrip(self):
        """
        A hash verifies its password and no other; two hashes of one
        password differ (random salt).
        """
        stored = hashPassword("pässword", **FAST)
        self.assertTrue(stored.startswith("scrypt$16$1$1$"))
        self.assertTrue(verifyPassword("pässword", stored))
        self.assertTrue(verifyPassword("pässword".encode(), stored))
        self.assertFalse(verifyPassword("password", stored))
        self.assertNotEqual(stored, hashPassword("pässword", **FAST))

    def test_dummy(self):
        """
        The dummy check runs a real scrypt hash of the default cost and
        matches nothing.
        """
        from ftpkit.auth import users

        self.assertFalse(users._verifyOrDummy("", None))
        self.assertEqual(parseHash(users._dummyHash())[:3], (2**14, 8, 1))

    def test_defaultCost(self):
        """
        The default parameters are 2**14, 8, 1.
        """
        self.assertEqual(parseHash(hashPassword("x"))[:3], (2**14, 8, 1))

    def test_badHashes(self):
        """
        Malformed hashes and out-of-bound costs are C{ValueError}s.
        """
        salt = "c2FsdHNhbHQ="
        digest = "aGFzaGhhc2hoYXNoaGFzaA=="
        for bad in ["plain", "scrypt$16$1$1$" + salt,
                    f"scrypt$x$1$1${salt}${digest}",
                    f"scrypt$15$1$1${salt}${digest}",
                    f"scrypt$16$99$1${salt}${digest}",
                    f"scrypt$16$1$1$!!${digest}",
                    f"md5$16$1$1${salt}${digest}"]:
            self.assertRaises(ValueError, parseHash, bad)
        parseHash(f"scrypt$16$1$1${salt}${digest}")


class ParseTests(unittest.TestCase):
    """
    L{parseUsers}: good files, and bad ones with clear errors.
    """

    def test_good(self):
        """
        Every field is read; defaults fill the rest.
        """
        users = parseUsers(GOOD)
        alice = users["alice"]
        self.assertEqual(alice.password, ALICE_HASH)
        self.assertEqual(alice.home, "alice")
        self.assertEqual(alice.quota, 1000)
        self.assertFalse(alice.readOnly)
        self.assertEqual(alice.permissions.permissionsAt(("x",)),
                         {"list", "read", "write", "mkdir"})
        self.assertEqual(alice.permissions.permissionsAt(("incoming", "a")),
                         {"list", "write"})
        self.assertEqual(
            alice.permissions.permissionsAt(("incoming", "private")), set())
        bob = users["bob"]
        self.assertEqual((bob.home, bob.quota, bob.readOnly),
                         ("bob", None, False))
        self.assertEqual(bob.permissions.default, {"list", "read"})
        self.assertEqual(users["carol"].home, "/absolute/carol")
        self.assertIsNone(users["carol"].password)
        self.assertTrue(users["carol"].readOnly)

    def test_empty(self):
        """
        An empty file has no users.
        """
        self.assertEqual(parseUsers(""), {})

    def assertBad(self, text, *fragments):
        """
        Parsing C{text} fails with a message naming the source and
        holding each of C{fragments}.
        """
        e = self.assertRaises(UsersFileError, parseUsers, text, "u.toml")
        self.assertTrue(str(e).startswith("u.toml: "), str(e))
        for fragment in fragments:
            self.assertIn(fragment, str(e))

    def test_bad(self):
        """
        Each kind of mistake is reported with the key at fault.
        """
        self.assertBad("[users.alice\n", "not valid TOML")
        self.assertBad("[groups.x]\n", "unknown top-level key 'groups'")
        self.assertBad("users = 1\n", "users must be a table")
        self.assertBad("[users.alice]\nquota = -1\n", "users.alice.quota")
        self.assertBad("[users.alice]\nquota = true\n", "users.alice.quota")
        self.assertBad("[users.alice]\nquota = 1.5\n", "users.alice.quota")
        self.assertBad("[users.alice]\nhome = 3\n", "users.alice.home")
        self.assertBad("[users.alice]\nread-only = 1\n", "users.alice.read-only")
        self.assertBad("[users.alice]\npassword = 1\n", "users.alice.password")
        self.assertBad('[users.alice]\npassword = "scrypt$1$2"\n',
                       "users.alice.password", "not a scrypt")
        self.assertBad("[users.alice]\nhomedir = 'x'\n", "unknown key 'homedir'")
        self.assertBad("[users.alice]\npermissions = ['fly']\n",
                       "users.alice.permissions", "unknown permission 'fly'")
        self.assertBad("[users.alice]\npermissions = 'list'\n",
                       "must be a list")
        self.assertBad('[users.alice.directories."incoming"]\n'
                       'permissions = []\n', "absolute path")
        self.assertBad('[users.alice.directories."/in"]\nperms = []\n',
                       'users.alice.directories."/in"')
        self.assertBad('[users."../etc"]\n', "not a usable user name")

    def test_fileErrors(self):
        """
        A missing file, or one that is not UTF-8, is a clear error
        naming it.
        """
        path = self.mktemp()
        e = self.assertRaises(UsersFileError, UsersDatabase, path)
        self.assertIn("cannot read users file", str(e))
        with open(path, "wb") as f:
            f.write(b"\xff\xfe")
        e = self.assertRaises(UsersFileError, UsersDatabase, path)
        self.assertIn("not UTF-8", str(e))


class DatabaseTests(unittest.TestCase):
    """
    L{UsersDatabase} reloading.
    """

    def setUp(self):
        self.path = self.mktemp()
        writeText(self.path, GOOD)
        self.database = UsersDatabase(self.path)

    def test_reloadOnChange(self):
        """
        A changed file is read again at the next look-up.
        """
        self.assertFalse(self.database.reloadIfChanged())
        writeText(self.path, GOOD + "\n[users.dave]\n")
        self.assertIsNotNone(self.database.get("dave"))
        self.assertEqual(self.database.generation, 1)

    def test_badReloadKeepsUsers(self):
        """
        A file that became invalid is logged, and the old users stay.
        """
        writeText(self.path, "[users.alice]\nquota = 'lots'\n")
        with capturedLogs() as events:
            self.assertFalse(self.database.reload())
        self.assertIn("alice", self.database.users)
        self.assertTrue(any("quota" in e.get("why", "") for e in events))
        self.assertIsNotNone(self.database.get("bob"))


class CheckerTests(unittest.TestCase):
    """
    L{UsersChecker}.
    """

    def setUp(self):
        path = self.mktemp()
        writeText(path, GOOD)
        self.calls = []

        def run(function, *args):
            self.calls.append(args)
            return syncRun(function, *args)

        self.checker = UsersChecker(UsersDatabase(path), run)

    def login(self, name, password):
        """
        @return: the checker's Deferred for C{name}/C{password} as bytes.
        """
        return self.checker.requestAvatarId(
            credentials.UsernamePassword(name.encode(), password.encode()))

    def test_right(self):
        """
        The right password gives the user name as C{str}, checked in
        the C{run} function.
        """
        self.assertEqual(self.successResultOf(self.login("alice", "secret")),
                         "alice")
        self.assertEqual(self.calls, [("secret", ALICE_HASH)])

    def test_strCredentials(self):
        """
        Credentials as C{str} work too, and so does the checker behind
        L{TextCredentialsChecker}.
        """
        wrapped = TextCredentialsChecker(self.checker)
        d = wrapped.requestAvatarId(
            credentials.UsernamePassword("alice", "secret"))
        self.assertEqual(self.successResultOf(d), "alice")

    def test_wrong(self):
        """
        A wrong password is refused.
        """
        self.failureResultOf(self.login("alice", "secreT"),
                             error.UnauthorizedLogin)

    def test_unknownCostsAHash(self):
        """
        An unknown user, and a user with no password, are refused after
        a check against a dummy hash, like a wrong password.
        """
        for name in ["nobody", "carol"]:
            self.calls = []
            self.failureResultOf(self.login(name, "secret"),
                                 error.UnauthorizedLogin)
            self.assertEqual(self.calls, [("secret", None)])

    def test_clearTextRefused(self):
        """
        A clear-text entry is refused, even with that text as password,
        and an error is logged.
        """
        with capturedLogs() as events:
            self.failureResultOf(self.login("bob", "clear-text"),
                                 error.UnauthorizedLogin)
        self.assertEqual(self.calls, [("clear-text", None)])
        self.assertTrue(any("clear-text" in e["log_format"] for e in events))

    def test_notUTF8(self):
        """
        Credentials that are not UTF-8 are refused.
        """
        d = self.checker.requestAvatarId(
            credentials.UsernamePassword(b"\xff", b"x"))
        self.failureResultOf(d, error.UnauthorizedLogin)


class RealmTests(unittest.TestCase):
    """
    L{UsersRealm}.
    """

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.mkdir(self.root)
        self.path = os.path.join(self.root, "users.toml")
        self.carol = os.path.abspath(self.mktemp())
        writeText(self.path, GOOD.replace("/absolute/carol", self.carol)
                  + '\n[users.anonymous]\nhome = "pub"\n'
                  'permissions = ["list", "read", "write"]\n')
        self.realm = UsersRealm(UsersDatabase(self.path), self.root)

    def shell(self, avatarId):
        """
        @return: the shell the realm gives C{avatarId}.
        """
        interface, shell, logout = self.realm.requestAvatar(
            avatarId, None, IFTPShell)
        self.assertIs(interface, IFTPShell)
        logout()
        return shell

    @defer.inlineCallbacks
    def test_homes(self):
        """
        A relative home is made under the root, an absolute one where
        it says; bytes avatar ids work.
        """
        yield writeFile(self.shell(b"alice"), ("a.txt",), b"A")
        with open(os.path.join(self.root, "alice", "a.txt"), "rb") as f:
            self.assertEqual(f.read(), b"A")
        names = yield self.shell("carol").list(())
        self.assertEqual(names, [])
        self.assertTrue(os.path.isdir(self.carol))

    @defer.inlineCallbacks
    def test_subdirectoryPermissions(self):
        """
        The permissions of a subdirectory apply in it and below.
        """
        shell = self.shell("alice")
        os.makedirs(os.path.join(self.root, "alice", "incoming", "private"))
        yield writeFile(shell, ("incoming", "drop.txt"), b"x")
        yield self.assertFailure(readFile(shell, ("incoming", "drop.txt")),
                                 PermissionDenied)
        yield self.assertFailure(shell.makeDirectory(("incoming", "sub")),
                                 PermissionDenied)
        yield self.assertFailure(shell.list(("incoming", "private")),
                                 PermissionDenied)
        yield self.assertFailure(shell.removeFile(("incoming", "drop.txt")),
                                 PermissionDenied)

    @defer.inlineCallbacks
    def test_readOnly(self):
        """
        A read-only user can list but not write, whatever the
        permissions; so can everybody with the realm's C{readOnly}.
        """
        yield self.assertFailure(self.shell("carol").makeDirectory(("d",)),
                                 PermissionDenied)
        realm = UsersRealm(self.realm.database, self.root, readOnly=True)
        interface, shell, logout = realm.requestAvatar("alice", None,
                                                       IFTPShell)
        yield shell.list(())
        yield self.assertFailure(shell.makeDirectory(("d",)),
                                 PermissionDenied)

    @defer.inlineCallbacks
    def test_anonymous(self):
        """
        Anonymous users get the C{anonymous} entry, read-only unless
        C{anonymousWrite}; without such an entry they are refused.
        """
        shell = self.shell(checkers.ANONYMOUS)
        yield shell.list(())
        yield self.assertFailure(writeFile(shell, ("x",), b"x"),
                                 PermissionDenied)
        self.assertTrue(os.path.isdir(os.path.join(self.root, "pub")))
        writeText(self.path, GOOD)
        self.assertRaises(error.UnauthorizedLogin, self.realm.requestAvatar,
                          checkers.ANONYMOUS, None, IFTPShell)

    def test_unknownUser(self):
        """
        A user missing from the file is refused.
        """
        self.assertRaises(error.UnauthorizedLogin, self.realm.requestAvatar,
                          "zed", None, IFTPShell)

    @defer.inlineCallbacks
    def test_reloadOnMtimeChange(self):
        """
        A change of the file applies at the next login; a shell already
        given keeps the rules of its login.
        """
        before = self.shell("alice")
        writeText(self.path, GOOD.replace('"mkdir"]', '"mkdir", "delete"]'))
        after = self.shell("alice")
        yield after.makeDirectory(("d",))
        yield self.assertFailure(before.removeDirectory(("d",)),
                                 PermissionDenied)
        yield after.removeDirectory(("d",))

    def test_quotaUsageShared(self):
        """
        Sessions of one home share one usage, measured again after a
        reload.
        """
        home = os.path.join(self.root, "alice")
        usage = self.realm.usageOf(home)
        self.assertIs(self.realm.usageOf(home), usage)
        usage.stale = False
        self.realm.database.reload()
        self.assertIs(self.realm.usageOf(home), usage)
        self.assertTrue(usage.stale)


class QuotaServerTests(LoopbackServerMixin, unittest.TestCase):
    """
    The quota through a real server and C{ftplib}.
    """

    @defer.inlineCallbacks
    def test_overQuota(self):
        """
        An upload past the quota gets 552 and leaves no trace; a replacing
        one leaves the old file as it was; one that fits works.
        """
        root = os.path.abspath(self.mktemp())
        os.makedirs(os.path.join(root, "alice"))
        with open(os.path.join(root, "alice", "old.txt"), "wb") as f:
            f.write(b"o" * 600)
        path = os.path.join(root, "users.toml")
        writeText(path, '[users.alice]\npermissions = ["list", "read",'
                  ' "write"]\nquota = 1000\n')
        server = self.startServer(UsersRealm(UsersDatabase(path), root),
                                  users={"alice": "pw"}, anonymous=False)

        def client():
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", server.port, timeout=30)
            ftp.login("alice", "pw")
            replies = []
            for name, size in [("new.txt", 500), ("old.txt", 1100),
                               ("old.txt", 900)]:
                try:
                    replies.append(ftp.storbinary(
                        "STOR " + name, io.BytesIO(b"n" * size)))
                except ftplib.error_perm as e:
                    replies.append(str(e))
            ftp.quit()
            return replies

        replies = yield self.inThread(client)
        self.assertTrue(replies[0].startswith("552"), replies)
        self.assertTrue(replies[1].startswith("552"), replies)
        self.assertTrue(replies[2].startswith("226"), replies)
        home = os.path.join(root, "alice")
        self.assertEqual(sorted(os.listdir(home)), ["old.txt"])
        with open(os.path.join(home, "old.txt"), "rb") as f:
            self.assertEqual(f.read(), b"n" * 900)


class SiteChmodServerTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{SITE CHMOD} through the users realm, a real server and C{ftplib}.
    """

    @defer.inlineCallbacks
    def test_chmodPermission(self):
        """
        A user with the C{chmod} permission changes a file's mode
        (C{200}); one without it gets C{550}, not C{502}: the permission
        shell passes the filesystem shell's chmod capability on.
        """
        root = os.path.abspath(self.mktemp())
        for name in ("alice", "bob"):
            os.makedirs(os.path.join(root, name))
            with open(os.path.join(root, name, "f.txt"), "wb") as f:
                f.write(b"f")
            os.chmod(os.path.join(root, name, "f.txt"), 0o644)
        path = os.path.join(root, "users.toml")
        writeText(path, '[users.alice]\npermissions = ["list", "chmod"]\n'
                  '[users.bob]\npermissions = ["list", "read", "write"]\n')
        server = self.startServer(UsersRealm(UsersDatabase(path), root),
                                  users={"alice": "pw", "bob": "pw"},
                                  anonymous=False)

        def client(user):
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", server.port, timeout=30)
            ftp.login(user, "pw")
            try:
                return ftp.sendcmd("SITE CHMOD 600 f.txt")[:3]
            except ftplib.Error as e:
                return str(e)[:3]
            finally:
                ftp.quit()

        self.assertEqual((yield self.inThread(client, "alice")), "200")
        self.assertEqual((yield self.inThread(client, "bob")), "550")
        modes = [os.stat(os.path.join(root, name, "f.txt")).st_mode & 0o777
                 for name in ("alice", "bob")]
        self.assertEqual(modes, [0o600, 0o644])


class HangupTests(unittest.TestCase):
    """
    L{ReloadOnHangup} and L{reloadTargets}.
    """

    def test_targets(self):
        """
        The realm and a (wrapped) checker of one database reload it; a
        realm without C{reload} adds nothing; each callable comes once.
        """
        path = self.mktemp()
        writeText(path, GOOD)
        database = UsersDatabase(path)
        realm = UsersRealm(database, ".")
        checker = TextCredentialsChecker(UsersChecker(database))
        targets = reloadTargets([realm, checker, object()])
        self.assertEqual(targets, [database.reload])

    def test_sighup(self):
        """
        C{SIGHUP} calls the targets in the reactor thread, and stopping
        the service puts the old handler back.
        """
        if not hasattr(signal, "SIGHUP"):
            raise unittest.SkipTest("no SIGHUP here")
        called = defer.Deferred()

        def broken():
            raise RuntimeError("reload failed")

        hangup = ReloadOnHangup([broken, lambda: called.callback(True)])
        previous = signal.getsignal(signal.SIGHUP)
        hangup.startService()
        self.addCleanup(hangup.stopService)
        os.kill(os.getpid(), signal.SIGHUP)

        def check(result):
            self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)
            hangup.stopService()
            self.assertEqual(signal.getsignal(signal.SIGHUP), previous)

        return called.addCallback(check)


class OptionsTests(unittest.TestCase):
    """
    C{--realm users:PATH} and C{--auth users:PATH} on the command line.
    """

    def parse(self, *args):
        """
        @return: the parsed L{tap.Options}.
        """
        options = tap.Options()
        options.parseOptions(list(args))
        return options

    def test_helpRealms(self):
        """
        C{--help-realms} lists C{users} with its argument help.
        """
        options = tap.Options()
        options.realmOutput = io.StringIO()
        self.assertRaises(SystemExit, options.parseOptions, ["--help-realms"])
        text = options.realmOutput.getvalue()
        self.assertIn("  users\n", text)
        self.assertIn("ARGS: PATH of the users file", text)

    def test_badRealmFile(self):
        """
        A missing, invalid or absent file is one usage error line.
        """
        missing = self.mktemp()
        bad = self.mktemp()
        writeText(bad, "[users.x]\nquota = -2\n")
        for spec, fragment in [(f"users:{missing}", "cannot read users file"),
                               (f"users:{bad}", "users.x.quota"),
                               ("users", "needs a file")]:
            e = self.assertRaises(usage.UsageError, self.parse, "--realm", spec)
            self.assertTrue(str(e).startswith("--realm: "), str(e))
            self.assertIn(fragment, str(e))
            self.assertNotIn("\n", str(e))

    def test_badAuthFile(self):
        """
        Likewise for C{--auth users:PATH}.
        """
        missing = self.mktemp()
        bad = self.mktemp()
        writeText(bad, "[users.x]\nquota = -2\n")
        e = self.assertRaises(usage.UsageError, self.parse,
                              "--auth", f"users:{missing}")
        self.assertIn("--auth: no such file", str(e))
        e = self.assertRaises(usage.UsageError, self.parse,
                              "--auth", f"users:{bad}")
        self.assertEqual(str(e).split(": ")[0], "--auth")
        self.assertIn("users.x.quota", str(e))

    def test_serviceReloads(self):
        """
        With the users realm and checker, the service reloads the file on
        C{SIGHUP}.
        """
        path = self.mktemp()
        writeText(path, GOOD)
        options = self.parse("--realm", f"users:{path}", "--auth",
                             f"users:{path}", "--listen", "tcp:0")
        checker = options["credCheckers"][0].checker
        self.assertIsInstance(checker, UsersChecker)
        server = tap.makeService(options)
        hangups = [s for s in server if isinstance(s, ReloadOnHangup)]
        self.assertEqual(len(hangups), 1)
        self.assertEqual(len(hangups[0].targets), 2)


class TwistdTests(unittest.TestCase):
    """
    C{twistd ftpkit --realm users:PATH --auth users:PATH} in a child
    process, with C{ftplib}.
    """

    def test_login(self):
        """
        A user of the file logs in with their password, lands in their
        home and may upload; a wrong password gets 530.
        """
        root = os.path.abspath(self.mktemp())
        os.mkdir(root)
        path = os.path.join(root, "users.toml")
        writeText(path, f'[users.alice]\npassword = "{ALICE_HASH}"\n'
                  'permissions = ["list", "read", "write"]\n')
        port = freePort()
        log = open(self.mktemp(), "w+b")
        self.addCleanup(log.close)
        server = subprocess.Popen(
            [sys.executable, "-c", _TWISTD, "-n", "--pidfile=", "ftpkit",
             "--listen", f"tcp:{port}:interface=127.0.0.1", "--root", root,
             "--realm", f"users:{path}", "--auth", f"users:{path}"],
            cwd=root, env=dict(os.environ, PYTHONPATH=_SOURCE),
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(server.wait, 60)
        self.addCleanup(server.terminate)
        ftp = self.connect(port, server, log)
        self.addCleanup(ftp.close)
        self.assertRaises(ftplib.error_perm, ftp.login, "alice", "wrong")
        ftp.close()
        ftp = self.connect(port, server, log)
        ftp.login("alice", "secret")
        self.assertEqual(ftp.pwd(), "/")
        ftp.storbinary("STOR hello.txt", io.BytesIO(b"hello"))
        self.assertEqual(ftp.nlst(), ["hello.txt"])
        ftp.quit()
        with open(os.path.join(root, "alice", "hello.txt"), "rb") as f:
            self.assertEqual(f.read(), b"hello")

    def connect(self, port, server, log):
        """
        @return: an C{ftplib.FTP} connected to the child server, waiting
            up to a minute for it to listen.
        """
        deadline = time.monotonic() + 60
        while True:
            ftp = ftplib.FTP()
            try:
                ftp.connect("127.0.0.1", port, timeout=30)
                return ftp
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    self.fail("server did not start:\n"
                              + log.read().decode("utf-8", "replace"))
                time.sleep(0.1)

"""
Tests for L{ftpkit.auth.users}, the C{users} realm and checker plugins, and
C{SIGHUP} reloading (L{ftpkit.auth.realms.ReloadOnHangup}).
"""

import os

from twisted.cred import checkers, credentials, error
from twisted.internet import defer
from twisted.internet.task import Clock
from twisted.logger import LogLevel, capturedLogs, formatEvent
from twisted.trial import unittest

from ftpkit.auth.realms import TextCredentialsChecker
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
from ftpkit.errors import PermissionDenied, QuotaExceeded, ServiceUnavailable
from ftpkit.interfaces import IFTPShell
from ftpkit.protocol.access import OFFERED_PERMISSIONS
from ftpkit.testing import readFile, writeFile
from tests.scratch import scratchDirectory
from tests.syncrun import syncRun
from tests.usersfiles import ALICE_HASH, FAST, writeText

GOOD = f"""
[users.alice]
password = "{ALICE_HASH}"
home = "alice"
permissions = ["list", "read", "write", "mkdir"]
quota = 1000
quota-files = 50
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
        from ftpkit.auth import passwordhash, users

        self.assertFalse(users._verifyOrDummy("", None))
        self.assertEqual(parseHash(passwordhash.dummyHash())[:3], (2**14, 8, 1))

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
                    f"md5$16$1$1${salt}${digest}",
                    # Not ASCII digits (int() took them): a sign, spaces,
                    # ARABIC-INDIC ONE.
                    f"scrypt$+16$1$1${salt}${digest}",
                    f"scrypt$16$ 1$1${salt}${digest}",
                    f"scrypt$16$1$\u0661${salt}${digest}"]:
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
        self.assertEqual((alice.quota, alice.fileQuota), (1000, 50))
        self.assertFalse(alice.readOnly)
        self.assertEqual(alice.permissions.permissionsAt(("x",)),
                         {"list", "read", "write", "mkdir"})
        self.assertEqual(alice.permissions.permissionsAt(("incoming", "a")),
                         {"list", "write"})
        self.assertEqual(
            alice.permissions.permissionsAt(("incoming", "private")), set())
        bob = users["bob"]
        self.assertEqual((bob.home, bob.quota, bob.fileQuota, bob.readOnly),
                         ("bob", None, None, False))
        self.assertEqual(bob.permissions.default, {"list", "read"})
        self.assertEqual(users["carol"].home, "/absolute/carol")
        self.assertIsNone(users["carol"].password)
        self.assertTrue(users["carol"].readOnly)

    def test_sizesAsText(self):
        """
        A C{quota} is read as the server's size options and the file's
        rates are: a number of bytes, or text with a K, M or G suffix.
        """
        users = parseUsers('[users.alice]\nquota = "10M"\n'
                           '[users.bob]\nquota = "0"\n')
        self.assertEqual(users["alice"].quota, 10 << 20)
        self.assertEqual(users["bob"].quota, 0)

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
        self.assertBad("[users.alice]\nquota = 'lots'\n",
                       "users.alice.quota: must be a number of bytes")
        self.assertBad(f"[users.alice]\nquota = {1 << 63}\n",
                       "users.alice.quota: must be at most")
        self.assertBad(f"[users.alice]\nquota-files = {1 << 63}\n",
                       "users.alice.quota-files: must be a positive")
        for value in ("0", "-1", "true", "1.5", "'9'"):
            self.assertBad(f"[users.alice]\nquota-files = {value}\n",
                           "users.alice.quota-files: must be a positive"
                           " integer")
        self.assertBad("[users.alice]\nhome = 3\n", "users.alice.home")
        for home in ("/", "//", "/.", "/../", "/./"):
            # The machine's root: the operator meant the served one, '.'.
            self.assertBad(f"[users.alice]\nhome = '{home}'\n",
                           f"users.alice.home: '{home}' is this machine's "
                           "root directory", "write '.' for --root itself")
        for home in ("..", "../../..", "a/../../b", "../srv"):
            # Climbing out of --root, where a relative home is: '../../..'
            # was the machine's root under any --root three deep.
            self.assertBad(f"[users.alice]\nhome = '{home}'\n",
                           f"users.alice.home: '{home}' climbs out of --root",
                           "write the absolute path")
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

    def test_climbingHomeRefused(self):
        """
        A relative home climbing out of the root (C{../../..}, the
        machine's root under C{/tmp/x/srv}) stops the start and is
        refused at a reload, as C{/} is: the sweep of crashed uploads
        never walks the machine's root.
        """
        climbing = "[users.esc]\nhome = '../../..'\n"
        writeText(self.path, climbing)
        self.assertFalse(self.database.reload())
        self.assertIsNone(self.database.get("esc"))
        roots = UsersRealm(self.database, "/tmp/x/srv").sweptRoots()
        self.assertNotIn("/", roots)
        e = self.assertRaises(UsersFileError, UsersDatabase, self.path)
        self.assertIn("users.esc.home: '../../..' climbs out of --root", str(e))

    def test_reloadCountsUsers(self):
        """
        The reload's line counts the users it read: C{reloaded 1 user
        from PATH} for one (it said C{1 users}), C{reloaded N users from
        PATH} for more, its format as stable as its fields.
        """
        lines = []
        for text in ("[users.dave]\n", GOOD):
            writeText(self.path, text)
            with capturedLogs() as events:
                self.assertTrue(self.database.reload())
            [event] = [e for e in events if "reloaded" in e["log_format"]]
            lines.append((event["log_format"], formatEvent(event)))
        path = os.path.abspath(self.path)
        self.assertEqual(lines, [
            ("reloaded {count} user from {path}",
             f"reloaded 1 user from {path}"),
            ("reloaded {count} users from {path}",
             f"reloaded {len(self.database.users)} users from {path}")])

    def test_emptyReloadWarns(self):
        """
        A file reloaded with no users (every login now refused) is a
        warning, not an info line an operator would skim past.
        """
        writeText(self.path, "")
        with capturedLogs() as events:
            self.assertTrue(self.database.reload())
        self.assertEqual(self.database.users, {})
        [event] = [e for e in events if "reloaded" in e["log_format"]]
        self.assertEqual(event["log_level"], LogLevel.warn)
        self.assertEqual(event["count"], 0)


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
        a check against a dummy hash of the cost the file's hashes have,
        like a wrong password.
        """
        for name in ["nobody", "carol"]:
            self.calls = []
            self.failureResultOf(self.login(name, "secret"),
                                 error.UnauthorizedLogin)
            self.assertEqual(self.calls, [("secret", None, (16, 1, 1))])

    def test_clearTextRefused(self):
        """
        A clear-text entry is refused, even with that text as password,
        and an error is logged.
        """
        with capturedLogs() as events:
            self.failureResultOf(self.login("bob", "clear-text"),
                                 error.UnauthorizedLogin)
        self.assertEqual(self.calls, [("clear-text", None, (16, 1, 1))])
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
        self.root = scratchDirectory(self)
        self.path = os.path.join(self.root, "users.toml")
        self.carol = os.path.abspath(self.mktemp())
        writeText(self.path, GOOD.replace("/absolute/carol", self.carol)
                  + '\n[users.anonymous]\nhome = "pub"\n'
                  'permissions = ["list", "read", "write"]\n')
        self.realm = UsersRealm(UsersDatabase(self.path), self.root)
        # No time passes on it: a login waits for all of a reading.
        self.realm.database.clock = Clock()

    def shell(self, avatarId):
        """
        @return: the shell the realm gives C{avatarId}.
        """
        interface, shell, logout = self.realm.requestAvatar(
            avatarId, None, IFTPShell)
        self.assertIs(interface, IFTPShell)
        logout()
        return shell

    def shellOnceRead(self, avatarId):
        """
        @return: a Deferred firing with L{shell}'s, once the realm read
            again, in a thread, the file that changed.
        """
        return defer.maybeDeferred(self.realm.requestAvatar, avatarId,
                                   None, IFTPShell).addCallback(
            lambda answer: answer[1])

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

    def test_grantedPermissions(self):
        """
        The realm grants, for what C{FEAT} offers before login, the
        C{set-time}, C{chmod}, C{append} and C{mkdir} some named user that
        is not read-only has somewhere: alice's C{mkdir} here (the
        C{anonymous} entry's C{write} aside), C{set-time} too once a
        reload adds such a user in a directory; under C{--read-only}, it
        tells nothing of its own.
        """
        self.assertEqual(self.realm.grantedPermissions, frozenset(["mkdir"]))
        with open(self.path, "a", encoding="utf-8") as f:
            f.write('\n[users.dave]\n[users.dave.directories."/d"]\n'
                    'permissions = ["set-time"]\n'
                    '[users.erin]\nread-only = true\n'
                    'permissions = ["chmod"]\n')
        self.realm.database.reload()
        self.assertEqual(self.realm.grantedPermissions,
                         frozenset(["set-time", "mkdir"]))
        readOnly = UsersRealm(UsersDatabase(self.path), self.root,
                              readOnly=True)
        self.assertEqual(readOnly.grantedPermissions, OFFERED_PERMISSIONS)

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
        yield self.assertFailure(self.shellOnceRead(checkers.ANONYMOUS),
                                 error.UnauthorizedLogin)

    def test_homeUnavailable(self):
        """
        A home that cannot be made (a file in its place) ends the login
        with L{ServiceUnavailable}, not as a wrong password would.
        """
        writeText(os.path.join(self.root, "alice"), "")
        self.assertRaises(ServiceUnavailable, self.realm.requestAvatar,
                          "alice", None, IFTPShell)

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
        after = yield self.shellOnceRead("alice")
        yield after.makeDirectory(("d",))
        yield self.assertFailure(before.removeDirectory(("d",)),
                                 PermissionDenied)
        yield after.removeDirectory(("d",))

    @defer.inlineCallbacks
    def test_fileQuota(self):
        """
        A user's C{quota-files} holds in their shell: counted from what
        their home holds (its files and directories), a new file past it
        is refused with C{552}, a directory with C{550}.
        """
        writeText(self.path, '[users.dora]\npermissions = ["write",'
                  ' "mkdir"]\nquota-files = 2\n')
        os.makedirs(os.path.join(self.root, "dora", "sub"))
        shell = yield self.shellOnceRead("dora")
        yield writeFile(shell, ("a",), b"a")
        failure = yield self.assertFailure(writeFile(shell, ("b",), b"b"),
                                           QuotaExceeded)
        self.assertEqual(failure.code, 552)
        failure = yield self.assertFailure(shell.makeDirectory(("d",)),
                                           QuotaExceeded)
        self.assertEqual(failure.code, 550)
        self.assertEqual(sorted(os.listdir(os.path.join(self.root, "dora"))),
                         ["a", "sub"])

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

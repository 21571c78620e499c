"""
Tests for L{ftpkit.auth.fsspecrealm} and the C{--realm fsspec:...} plugin.
"""

import os

from twisted.cred import checkers, error
from twisted.internet import defer
from twisted.logger import capturedLogs
from twisted.python import usage
from twisted.trial import unittest

from ftpkit.deploy import tap
from ftpkit.errors import ServiceUnavailable
from ftpkit.interfaces import IFTPShell

try:
    import fsspec
except ImportError:
    fsspec = None
else:
    from ftpkit.auth.fsspecrealm import FsspecRealm


def memoryFilesystem():
    """
    @return: a new, private fsspec memory filesystem.
    """
    return fsspec.filesystem("memory", global_store=False, skip_instance_cache=True)


class PluginTests(unittest.TestCase):
    """
    C{--realm fsspec:...} through the command line options.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def parse(self, *arguments):
        options = tap.Options()
        options.parseOptions(list(arguments))
        return options

    def test_listed(self):
        """
        The realm is installed.
        """
        self.assertIn("fsspec", tap.realmPlugins())

    def test_badArguments(self):
        """
        A missing URL, an unknown protocol or a secret in the query is a
        one-line usage error.
        """
        for argument, words in (("fsspec", "needs a URL"),
                                ("fsspec:nope://x", "unknown storage protocol"),
                                ("fsspec:s3://b?secret=x", "cannot be given"),
                                ("fsspec:memory://?users=/no/such/file",
                                 "cannot read users file")):
            e = self.assertRaises(usage.UsageError, self.parse, "--realm", argument)
            self.assertIn(words, str(e))
            self.assertNotIn("\n", str(e))

    def test_options(self):
        """
        C{--home-per-user} and C{--read-only} reach the realm.
        """
        realm = self.parse("--realm", "fsspec:memory://", "--home-per-user",
                           "--read-only")["realmObject"]
        self.assertEqual((realm._homePerUser, realm._readOnly), (True, True))


class RealmTests(unittest.TestCase):
    """
    L{FsspecRealm} on fsspec's memory filesystem.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        self.fs = memoryFilesystem()

    def login(self, realm, avatarId):
        return realm.requestAvatar(avatarId, None, IFTPShell)

    @defer.inlineCallbacks
    def test_homePerUser(self):
        """
        A named user's home is a directory under the root, made at the
        first login; anonymous users see the root.
        """
        realm = FsspecRealm(lambda: self.fs, "/srv", homePerUser=True)
        interface, shell, logout = yield self.login(realm, b"alice")
        self.assertIs(interface, IFTPShell)
        self.assertTrue(self.fs.isdir("/srv/alice"))
        interface, anonymous, logout = yield self.login(realm, checkers.ANONYMOUS)
        self.assertEqual([name for name, info in (yield anonymous.list(()))],
                         ["alice"])

    def test_unsafeName(self):
        """
        A user name that cannot be one directory is refused.
        """
        realm = FsspecRealm(lambda: self.fs, "", homePerUser=True)
        for name in ("..", "a/b", ".hidden", b"\xff"):
            self.assertRaises(error.UnauthorizedLogin, realm.homeOf, name)

    @defer.inlineCallbacks
    def test_storageUnavailable(self):
        """
        A store that cannot be opened ends the login with
        L{ServiceUnavailable} (C{421}: the server's failure, not a wrong
        password counted against the client) and a log line that gives no
        option away; the next login tries again.
        """
        attempts = []

        def makeFilesystem():
            attempts.append(1)
            if len(attempts) == 1:
                raise ConnectionRefusedError(111, "Connection refused")
            return self.fs

        realm = FsspecRealm(makeFilesystem, "")
        with capturedLogs() as events:
            yield self.assertFailure(self.login(realm, "alice"),
                                     ServiceUnavailable)
        self.assertTrue(any("cannot open the storage" in e.get("log_format", "")
                            for e in events))
        yield self.login(realm, "alice")
        self.assertEqual(len(attempts), 2)

    @defer.inlineCallbacks
    def test_usersFile(self):
        """
        With a users file, a user's home is under the root (never above
        it), with their permissions; an unknown user is refused.
        """
        from ftpkit.auth.users import UsersDatabase
        from ftpkit.errors import PermissionDenied

        path = os.path.abspath(self.mktemp())
        with open(path, "w") as f:
            f.write('[users.alice]\nhome = "../../a"\npermissions = ["list"]\n')
        realm = FsspecRealm(lambda: self.fs, "/srv",
                            database=UsersDatabase(path))
        interface, shell, logout = yield self.login(realm, "alice")
        self.assertTrue(self.fs.isdir("/srv/a"))
        yield self.assertFailure(shell.makeDirectory(("x",)), PermissionDenied)
        yield self.assertFailure(self.login(realm, "bob"), error.UnauthorizedLogin)
        self.assertIs(realm.reload.__self__, realm.database)

    @defer.inlineCallbacks
    def test_fileQuota(self):
        """
        A users file's C{quota-files} holds on the store: what the home
        holds (files and directories) is counted, and a new file past the
        quota is refused with C{552}, a directory with C{550}.
        """
        from ftpkit.auth.users import UsersDatabase
        from ftpkit.errors import QuotaExceeded
        from ftpkit.testing import writeFile

        path = os.path.abspath(self.mktemp())
        with open(path, "w") as f:
            f.write('[users.alice]\npermissions = ["write", "mkdir"]\n'
                    'quota-files = 3\n')
        self.fs.makedirs("/srv/alice/sub")
        self.fs.pipe("/srv/alice/sub/a", b"a")
        realm = FsspecRealm(lambda: self.fs, "/srv",
                            database=UsersDatabase(path))
        interface, shell, logout = yield self.login(realm, "alice")
        yield writeFile(shell, ("b",), b"b")
        failure = yield self.assertFailure(writeFile(shell, ("c",), b"c"),
                                           QuotaExceeded)
        self.assertEqual(failure.code, 552)
        failure = yield self.assertFailure(shell.makeDirectory(("d",)),
                                           QuotaExceeded)
        self.assertEqual(failure.code, 550)
        self.assertEqual(sorted(self.fs.ls("/srv/alice", detail=False)),
                         ["/srv/alice/b", "/srv/alice/sub"])

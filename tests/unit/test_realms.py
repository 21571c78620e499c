"""
Tests for L{ftpkit.auth.realms}.
"""

import os

from twisted.cred import checkers, error
from twisted.cred.credentials import UsernamePassword
from twisted.cred.portal import IRealm
from twisted.internet import defer
from twisted.logger import Logger
from twisted.trial import unittest
from zope.interface import Interface
from zope.interface.verify import verifyObject

from ftpkit.auth.realms import (
    AnyOfCheckers,
    FilesystemRealm,
    MemoryRealm,
    SharedShellRealm,
    TextCredentialsChecker,
    isSafeUserName,
    shareUsage,
    wrapForUser,
)
from ftpkit.errors import (
    PermissionDenied,
    ServiceUnavailable,
    UnsupportedAvatarInterface,
)
from ftpkit.fileinfo import DIRECTORY
from ftpkit.interfaces import IFTPShell
from ftpkit.shells import sharedquota
from ftpkit.shells.memory import MemoryShell
from tests.scratch import scratchDirectory

ANONYMOUS = checkers.ANONYMOUS

_BAD_NAMES = ["", ".", "..", ".hidden", "a/b", "../etc", "a\\b", "a\0b",
              "a\nb"]


def avatar(realm, avatarId):
    """
    @return: the shell C{realm} gives C{avatarId}, after checking the
        C{(interface, avatar, logout)} triple.
    """
    interface, shell, logout = realm.requestAvatar(avatarId, None, IFTPShell)
    assert interface is IFTPShell
    assert callable(logout)
    return shell


class WriteRulesMixin:
    """
    The write rules every realm applies; a test case using it defines
    C{makeRealm(**kw)}, which builds one.
    """

    def test_provides(self):
        """
        The realm provides L{IRealm} and gives L{IFTPShell}s.
        """
        realm = self.makeRealm()
        verifyObject(IRealm, realm)
        verifyObject(IFTPShell, avatar(realm, "alice"))
        verifyObject(IFTPShell, avatar(realm, ANONYMOUS))

    def test_otherInterface(self):
        """
        Asking for anything but L{IFTPShell} is refused with
        L{UnsupportedAvatarInterface} (a C{NotImplementedError}, as
        L{twisted.cred} expects).
        """
        self.assertRaises(
            UnsupportedAvatarInterface,
            self.makeRealm().requestAvatar, "alice", None, Interface,
        )

    def test_userWrites(self):
        """
        A named user may create and delete.
        """
        shell = avatar(self.makeRealm(), "alice")
        d = shell.makeDirectory(("new",))
        d.addCallback(lambda _: shell.removeDirectory(("new",)))
        return d

    def test_anonymousReadOnly(self):
        """
        Anonymous users may list but not make a directory.
        """
        shell = avatar(self.makeRealm(), ANONYMOUS)
        d = shell.list(())
        d.addCallback(lambda _: self.assertFailure(
            shell.makeDirectory(("new",)), PermissionDenied
        ))
        return d

    def test_anonymousWrite(self):
        """
        With C{anonymousWrite} anonymous users may make a directory and
        upload a new file, but not delete.
        """
        shell = avatar(self.makeRealm(anonymousWrite=True), ANONYMOUS)
        d = shell.makeDirectory(("up",))
        d.addCallback(lambda _: shell.openForWriting(("up", "f.txt")))
        d.addCallback(lambda f: f.abort())
        d.addCallback(lambda _: self.assertFailure(
            shell.removeDirectory(("up",)), PermissionDenied
        ))
        return d

    def test_anonymousNoOverwrite(self):
        """
        With C{anonymousWrite} anonymous users still may not replace a file
        a named user uploaded.
        """
        realm = self.makeRealm(anonymousWrite=True)
        shell = avatar(realm, "alice")
        d = shell.openForWriting(("f.txt",))

        def upload(f):
            consumer = f.receive()
            consumer.addCallback(lambda c: c.write(b"data"))
            consumer.addCallback(lambda _: f.close())
            return consumer

        d.addCallback(upload)
        d.addCallback(lambda _: self.assertFailure(
            avatar(realm, ANONYMOUS).openForWriting(("f.txt",)),
            PermissionDenied,
        ))
        return d

    def test_readOnly(self):
        """
        C{readOnly} makes named users read-only.
        """
        shell = avatar(self.makeRealm(readOnly=True), "alice")
        return self.assertFailure(shell.makeDirectory(("new",)), PermissionDenied)

    def test_readOnlyBeatsAnonymousWrite(self):
        """
        C{readOnly} wins over C{anonymousWrite}.
        """
        shell = avatar(
            self.makeRealm(readOnly=True, anonymousWrite=True), ANONYMOUS
        )
        return self.assertFailure(shell.makeDirectory(("new",)), PermissionDenied)


class MemoryRealmTests(WriteRulesMixin, unittest.TestCase):
    """
    L{MemoryRealm}.
    """

    def makeRealm(self, **kwargs):
        return MemoryRealm(**kwargs)

    def test_shared(self):
        """
        Every user sees the same tree.
        """
        realm = MemoryRealm()
        d = avatar(realm, "alice").makeDirectory(("shared",))
        d.addCallback(lambda _: avatar(realm, "bob").stat(("shared",)))
        d.addCallback(lambda info: self.assertEqual(info.kind, DIRECTORY))
        return d


class SharedShellRealmTests(unittest.TestCase):
    """
    L{SharedShellRealm}.
    """

    def test_sameShell(self):
        """
        Every user, anonymous too, gets the given shell itself; only shell
        avatars are given.
        """
        shell = MemoryShell()
        realm = SharedShellRealm(shell)
        self.assertTrue(verifyObject(IRealm, realm))
        self.assertIs(avatar(realm, "alice"), shell)
        self.assertIs(avatar(realm, ANONYMOUS), shell)
        self.assertRaises(UnsupportedAvatarInterface, realm.requestAvatar,
                          "alice", None, Interface)


class FilesystemRealmTests(WriteRulesMixin, unittest.TestCase):
    """
    L{FilesystemRealm}.
    """

    def setUp(self):
        self.root = scratchDirectory(self)

    def makeRealm(self, **kwargs):
        return FilesystemRealm(self.root, **kwargs)

    def test_sharedRoot(self):
        """
        Without C{homePerUser} a named user works in the root itself.
        """
        shell = avatar(self.makeRealm(), "alice")
        d = shell.makeDirectory(("made",))
        d.addCallback(lambda _: self.assertTrue(
            os.path.isdir(os.path.join(self.root, "made"))
        ))
        return d

    def test_homeCreated(self):
        """
        With C{homePerUser} a user's C{/} is C{ROOT/USERNAME}, made at the
        first login and reused afterwards.
        """
        realm = self.makeRealm(homePerUser=True)
        shell = avatar(realm, "alice")
        home = os.path.join(self.root, "alice")
        self.assertTrue(os.path.isdir(home))
        d = shell.makeDirectory(("x",))
        d.addCallback(lambda _: avatar(realm, "alice").stat(("x",)))
        d.addCallback(lambda _: self.assertTrue(
            os.path.isdir(os.path.join(home, "x"))
        ))
        return d

    def test_homeBytesAvatarId(self):
        """
        A C{bytes} avatar id from a checker names the same home.
        """
        avatar(self.makeRealm(homePerUser=True), b"bob")
        self.assertTrue(os.path.isdir(os.path.join(self.root, "bob")))

    def test_anonymousGetsRoot(self):
        """
        With C{homePerUser}, anonymous users still see the root.
        """
        with open(os.path.join(self.root, "pub.txt"), "wb") as f:
            f.write(b"hi")
        shell = avatar(self.makeRealm(homePerUser=True), ANONYMOUS)
        d = shell.list(())
        d.addCallback(lambda entries: self.assertEqual(
            [name for name, info in entries], ["pub.txt"]
        ))
        return d

    def test_badUserNames(self):
        """
        User names that are not one safe directory name cannot log in, and
        nothing is created for them.
        """
        realm = self.makeRealm(homePerUser=True)
        for name in _BAD_NAMES:
            self.assertRaises(
                error.UnauthorizedLogin, realm.requestAvatar,
                name, None, IFTPShell,
            )
        self.assertEqual(os.listdir(self.root), [])

    def test_homeIsFile(self):
        """
        A file where the home should be ends the login with
        L{ServiceUnavailable}: the server's failure, not a wrong password.
        """
        with open(os.path.join(self.root, "alice"), "wb"):
            pass
        self.assertRaises(
            ServiceUnavailable,
            self.makeRealm(homePerUser=True).requestAvatar,
            "alice", None, IFTPShell,
        )


class WrapForUserTests(unittest.TestCase):
    """
    L{wrapForUser} alone.
    """

    def test_namedUserUnwrapped(self):
        """
        A named user on a writable server gets the shell itself.
        """
        shell = MemoryShell()
        self.assertIs(wrapForUser(shell, False, False, False), shell)
        self.assertIs(wrapForUser(shell, False, False, True), shell)

    def test_wrapped(self):
        """
        Every other case wraps the shell.
        """
        shell = MemoryShell()
        for args in [(True, False, False), (True, False, True),
                     (False, True, False), (True, True, True)]:
            self.assertIsNot(wrapForUser(shell, *args), shell, args)


class SafeUserNameTests(unittest.TestCase):
    """
    L{isSafeUserName}.
    """

    def test_safe(self):
        """
        Ordinary names, with dots, dashes and non-ASCII letters, are safe.
        """
        for name in ["alice", "bob.smith", "a-b_c", "zo\u00eb", "x.."]:
            self.assertTrue(isSafeUserName(name), name)

    def test_unsafe(self):
        """
        Empty names, dot names, separators and control characters are not.
        """
        for name in _BAD_NAMES:
            self.assertFalse(isSafeUserName(name), repr(name))


class _Unanswering:
    """
    A password checker whose user database is down.
    """

    credentialInterfaces = (checkers.IUsernamePassword,)

    def requestAvatarId(self, creds):
        return defer.fail(ServiceUnavailable("database down"))


class CheckerCannotAnswerTests(unittest.TestCase):
    """
    A checker that cannot answer (an L{FTPError} such as
    L{ServiceUnavailable}) is not a wrong password: the server says so.
    """

    def setUp(self):
        self.creds = UsernamePassword(b"alice", b"pw")
        self.memory = checkers.InMemoryUsernamePasswordDatabaseDontUse(
            alice=b"pw")

    def test_passesThroughTextChecker(self):
        """
        L{TextCredentialsChecker} hands the error on instead of turning it
        into L{error.UnauthorizedLogin}.
        """
        checker = TextCredentialsChecker(_Unanswering())
        self.failureResultOf(checker.requestAvatarId(self.creds),
                             ServiceUnavailable)

    def test_otherCheckersFirst(self):
        """
        L{AnyOfCheckers} still asks the other checkers, and fails with the
        error only when none of them accepts the credentials.
        """
        both = AnyOfCheckers([TextCredentialsChecker(_Unanswering()),
                              TextCredentialsChecker(self.memory)])
        self.assertEqual(self.successResultOf(both.requestAvatarId(
            self.creds)), "alice")
        wrong = UsernamePassword(b"alice", b"wrong")
        self.failureResultOf(both.requestAvatarId(wrong), ServiceUnavailable)


class _NulIntolerant:
    """
    A password checker that fails as C{--auth unix}'s does at a NUL
    (C{pwd.getpwnam} and C{crypt.crypt} raise C{ValueError}).

    @ivar asked: the credentials it was asked about.
    """

    credentialInterfaces = (checkers.IUsernamePassword,)

    def __init__(self):
        self.asked = []

    def requestAvatarId(self, creds):
        self.asked.append(creds)
        for value in (creds.username, creds.password):
            if (b"\0" if isinstance(value, bytes) else "\0") in value:
                raise ValueError("embedded null byte")
        return defer.fail(error.UnauthorizedLogin())


class NulCredentialsTests(unittest.TestCase):
    """
    A user name or password holding a NUL is refused before any checker
    sees it: C{--auth unix} raised C{ValueError} at it, which
    L{TextCredentialsChecker} logged as a critical failure with a
    traceback, for anyone who sent C{USER root\\0}.
    """

    def test_refusedUnasked(self):
        """
        L{error.UnauthorizedLogin}, the checker not asked, nothing logged.
        """
        wrapped = _NulIntolerant()
        checker = TextCredentialsChecker(wrapped)
        for creds in (UsernamePassword(b"root\0", b"pw"),
                      UsernamePassword(b"root", b"p\0w"),
                      UsernamePassword("root", "p\0w")):
            self.failureResultOf(checker.requestAvatarId(creds),
                                 error.UnauthorizedLogin)
        self.assertEqual(wrapped.asked, [])
        self.assertEqual(self.flushLoggedErrors(), [])


class FilesystemShellSharingTests(unittest.TestCase):
    """
    L{FilesystemRealm} gives the sessions of one home one shell.
    """

    def test_oneShellPerHome(self):
        """
        Two logins of one user get the same shell; another user with a
        home of its own gets another, and the anonymous user the root's.
        """
        root = scratchDirectory(self)
        realm = FilesystemRealm(root, homePerUser=True)
        self.assertIs(avatar(realm, "alice"), avatar(realm, "alice"))
        self.assertIsNot(avatar(realm, "alice"), avatar(realm, "bob"))
        anonymous = avatar(realm, ANONYMOUS)
        self.assertIs(anonymous._shell, avatar(realm, ANONYMOUS)._shell)
        self.assertIsNot(anonymous._shell, avatar(realm, "alice"))


class ShareUsageTests(unittest.TestCase):
    """
    L{shareUsage}: the quota usage a home's sessions share, made and kept
    by the users realms and the fsspec realms alike.
    """

    def setUp(self):
        self.usages = sharedquota.HomeUsages(lambda: 0)
        self.made = []

        def quotaUsage(name, measure, **kwargs):
            self.made.append((name, measure, kwargs))
            if name == "full":
                raise OSError(28, "No space left on device")
            return object()

        self.patch(sharedquota, "quotaUsage", quotaUsage)

    def test_kept(self):
        """
        The usage made is kept under the home's key; C{run} is given on
        only when there is one.
        """
        usage = shareUsage(self.usages, ("a",), "/a", len, Logger(), "/a")
        self.assertIs(self.usages.find(("a",)), usage)
        other = shareUsage(self.usages, ("b",), "s3 b", len, Logger(), "b",
                           run=id)
        self.assertIs(self.usages.find(("b",)), other)
        self.assertEqual(self.made, [("/a", len, {}),
                                     ("s3 b", len, {"run": id})])

    def test_unavailable(self):
        """
        A usage that cannot be shared (its ledger cannot be opened) fails
        the login with L{ServiceUnavailable}, after one line in the log of
        the realm's module naming the home as shown; nothing is kept.
        """
        events = []
        log = Logger(namespace="ftpkit.auth.users", observer=events.append)
        self.assertRaises(ServiceUnavailable, shareUsage, self.usages,
                          ("f",), "full", len, log, "/srv/full")
        self.assertIsNone(self.usages.find(("f",)))
        [event] = events
        self.assertEqual((event["log_namespace"], event["home"],
                          event["why"]),
                         ("ftpkit.auth.users", "/srv/full",
                          "No space left on device"))

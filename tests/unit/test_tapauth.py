"""
The command line's logins: C{--realm} lookup, C{--auth} checkers and
the credentials each accepts (the options themselves are in
L{tests.unit.test_tap}).
"""

import io

from twisted.cred import checkers, credentials, error, portal
from twisted.python import usage
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.auth.realms import (
    AnyOfCheckers,
    TextCredentialsChecker,
)
from ftpkit.deploy import realmplugins
from ftpkit.deploy.realmplugins import findRealm, realmPlugins
from ftpkit.deploy.tap import Options, makePortal
from ftpkit.interfaces import IFTPShell
from tests.tapoptions import parse


class _UnreadableRealmPlugin:
    """
    A realm plugin whose C{makeRealm} opens the file its argument names,
    as a third-party plugin may.
    """

    name = "unreadable"

    def makeRealm(self, argument, options):
        """
        @raise OSError: the argument names no file.
        """
        with open(argument, "rb"):
            pass


class RealmFileErrorTests(unittest.TestCase):
    """
    A realm plugin whose C{makeRealm} raises C{OSError} (a file it was
    given that is not there) is a usage error naming the option, as its
    C{ValueError} is: it escaped the options' parse, and C{twistd} said
    "cannot write to standard output: No such file or directory".
    """

    def setUp(self):
        plugins = dict(realmPlugins(), unreadable=_UnreadableRealmPlugin())
        self.patch(realmplugins, "realmPlugins",
                   lambda *_: plugins)
        self.missing = self.mktemp()

    def test_realm(self):
        """
        C{--realm unreadable:MISSING}: a usage error naming C{--realm} and
        the file.
        """
        e = self.assertRaises(usage.UsageError, parse, "--realm",
                              "unreadable:" + self.missing)
        self.assertTrue(str(e).startswith("--realm: [Errno 2] No such file"),
                        str(e))
        self.assertIn(self.missing, str(e))

    def test_vhost(self):
        """
        The same realm behind C{--vhost}: the usage error names the host's
        option.
        """
        e = self.assertRaises(
            usage.UsageError, parse, "--vhost",
            "a.example=unreadable:" + self.missing)
        self.assertTrue(str(e).startswith(
            f"--vhost: unreadable:{self.missing}: [Errno 2]"), str(e))


class RealmLookupTests(unittest.TestCase):
    """
    Realm plugins are found with L{twisted.plugin.getPlugins}.
    """

    def test_builtIn(self):
        """
        Both built-in realms are installed.
        """
        plugins = realmPlugins()
        self.assertEqual(plugins["filesystem"].name, "filesystem")
        self.assertEqual(plugins["memory"].name, "memory")

    def test_argument(self):
        """
        Text after the first colon is the plugin's argument.
        """
        plugin, argument = findRealm("filesystem:a:b")
        self.assertEqual((plugin.name, argument), ("filesystem", "a:b"))

    def test_helpRealms(self):
        """
        C{--help-realms} lists each realm with its description and
        argument help, then exits with status 0.
        """
        options = Options()
        options.realmOutput = io.StringIO()
        e = self.assertRaises(
            SystemExit, options.parseOptions, ["--help-realms"]
        )
        self.assertEqual(e.code, 0)
        output = options.realmOutput.getvalue()
        for plugin in realmPlugins().values():
            self.assertIn(plugin.name, output)
            self.assertIn(plugin.description, output)
            self.assertIn(plugin.argumentHelp, output)


@implementer(portal.IRealm)
class RecordingRealm:
    """
    A realm recording the avatar ids it is asked for.

    @ivar avatarIds: those ids, in order.
    """

    def __init__(self):
        self.avatarIds = []

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        Record C{avatarId}.

        @return: an avatar that is only a placeholder.
        """
        self.avatarIds.append(avatarId)
        return IFTPShell, object(), lambda: None


class CredentialsTests(unittest.TestCase):
    """
    Users log in through the checkers from C{--auth} with the credentials
    the server builds: C{UsernamePassword(bytes, bytes)} and
    C{Anonymous()}; avatar ids reach the realm as C{str}.
    """

    def login(self, authArgs, creds):
        """
        Log in through a Portal built from C{--auth} options.

        @param authArgs: the C{--auth} values.
        @param creds: the credentials.
        @return: a Deferred firing with the avatar id the realm got.
        """
        args = []
        for value in authArgs:
            args += ["--auth", value]
        realm = RecordingRealm()
        p = makePortal(realm, parse(*args)["credCheckers"])
        d = p.login(creds, None, IFTPShell)
        d.addCallback(lambda _: realm.avatarIds[-1])
        return d

    def test_severalCheckers(self):
        """
        With several C{--auth} checkers, a user any of them accepts logs
        in, whichever comes first.
        """
        path = self.writePasswords(b"alice:secret\n")
        auth = ["memory:bob:pw", "file:" + path, "anonymous"]
        d = self.login(auth, credentials.UsernamePassword(b"bob", b"pw"))
        d.addCallback(self.assertEqual, "bob")
        d.addCallback(lambda _: self.login(
            auth, credentials.UsernamePassword(b"alice", b"secret")
        ))
        d.addCallback(self.assertEqual, "alice")
        d.addCallback(lambda _: self.login(auth, credentials.Anonymous()))
        d.addCallback(self.assertEqual, checkers.ANONYMOUS)
        d.addCallback(lambda _: self.assertFailure(
            self.login(auth, credentials.UsernamePassword(b"bob", b"secret")),
            error.UnauthorizedLogin,
        ))
        return d

    def test_portalCheckers(self):
        """
        The portal gets the checkers themselves when each handles its own
        credentials interfaces, and one L{AnyOfCheckers} when two share one.
        """
        separate = parse("--auth", "anonymous", "--auth", "memory:a:b")[
            "credCheckers"]
        portal = makePortal(RecordingRealm(), separate)
        self.assertEqual(set(portal.checkers.values()), set(separate))
        shared = parse("--auth", "memory:a:b", "--auth", "memory:c:d")[
            "credCheckers"]
        portal = makePortal(RecordingRealm(), shared)
        [checker] = set(portal.checkers.values())
        self.assertIsInstance(checker, AnyOfCheckers)
        self.assertEqual(checker.checkers, shared)

    def test_checkersWrapped(self):
        """
        Each checker from C{--auth} is wrapped.
        """
        checkerList = parse("--auth", "anonymous", "--auth", "memory:a:b")[
            "credCheckers"
        ]
        self.assertEqual(len(checkerList), 2)
        for checker in checkerList:
            self.assertIsInstance(checker, TextCredentialsChecker)

    def test_memory(self):
        """
        C{memory:} stores text, and bytes credentials log in.
        """
        d = self.login(
            ["memory:alice:secret"],
            credentials.UsernamePassword(b"alice", b"secret"),
        )
        d.addCallback(self.assertEqual, "alice")
        return d

    def test_memoryNonASCII(self):
        """
        UTF-8 user names and passwords match C{memory:} entries.
        """
        d = self.login(
            ["memory:zo\u00eb:p\u00e4ss"],
            credentials.UsernamePassword(
                "zo\u00eb".encode(), "p\u00e4ss".encode()
            ),
        )
        d.addCallback(self.assertEqual, "zo\u00eb")
        return d

    def test_memoryWrongPassword(self):
        """
        A wrong password fails.
        """
        d = self.login(
            ["memory:alice:secret"],
            credentials.UsernamePassword(b"alice", b"nope"),
        )
        return self.assertFailure(d, error.UnauthorizedLogin)

    def test_memoryNotUTF8(self):
        """
        Credentials that are not UTF-8 fail to log in, without a crash.
        """
        d = self.login(
            ["memory:alice:secret"],
            credentials.UsernamePassword(b"\xff", b"secret"),
        )
        return self.assertFailure(d, error.UnauthorizedLogin)

    def writePasswords(self, text):
        """
        @param text: the content of a password file.
        @return: its path.
        """
        path = self.mktemp()
        with open(path, "wb") as f:
            f.write(text)
        return path

    def test_file(self):
        """
        C{file:} stores bytes; the avatar id still arrives as C{str}.
        """
        path = self.writePasswords(b"alice:secret\n")
        d = self.login(
            ["file:" + path],
            credentials.UsernamePassword(b"alice", b"secret"),
        )
        d.addCallback(self.assertEqual, "alice")
        return d

    def test_fileWrongPassword(self):
        """
        A wrong password against C{file:} fails.
        """
        path = self.writePasswords(b"alice:secret\n")
        d = self.login(
            ["file:" + path],
            credentials.UsernamePassword(b"alice", b"wrong"),
        )
        return self.assertFailure(d, error.UnauthorizedLogin)

    def test_anonymous(self):
        """
        C{anonymous} gives the C{ANONYMOUS} avatar id.
        """
        d = self.login(["anonymous"], credentials.Anonymous())
        d.addCallback(self.assertEqual, checkers.ANONYMOUS)
        return d

    def test_anonymousNotAllowed(self):
        """
        Without C{--auth anonymous}, anonymous logins fail.
        """
        d = self.login(["memory:alice:secret"], credentials.Anonymous())
        return self.assertFailure(d, error.UnhandledCredentials)


@implementer(checkers.ICredentialsChecker)
class TypeRecordingChecker:
    """
    A checker like C{unix}: no C{users} mapping, accepts anything.

    @ivar seen: the credentials it was given.
    """

    credentialInterfaces = (credentials.IUsernamePassword,)

    def __init__(self):
        self.seen = []

    def requestAvatarId(self, creds):
        """
        Accept C{creds}, answering with its user name.
        """
        self.seen.append(creds)
        return creds.username


class TextCredentialsCheckerTests(unittest.TestCase):
    """
    L{TextCredentialsChecker} with checkers other than Twisted's.
    """

    def test_passesBytesThrough(self):
        """
        A checker without a C{users} mapping gets the server's
        credentials unchanged; its C{bytes} avatar id becomes C{str}.
        """
        inner = TypeRecordingChecker()
        creds = credentials.UsernamePassword(b"bob", b"pw")
        d = TextCredentialsChecker(inner).requestAvatarId(creds)
        d.addCallback(self.assertEqual, "bob")
        d.addCallback(lambda _: self.assertIs(inner.seen[0], creds))
        return d

    def test_unixNotUTF8(self):
        """
        C{unix} cannot decode non-UTF-8 names: the login is refused.
        """
        checker = parse("--auth", "unix")["credCheckers"][0]
        d = checker.requestAvatarId(
            credentials.UsernamePassword(b"\xff", b"pw")
        )
        return self.assertFailure(d, error.UnauthorizedLogin)

    def test_checkerBroken(self):
        """
        An unexpected error in a checker is logged and refuses the login.
        """
        inner = TypeRecordingChecker()
        inner.requestAvatarId = lambda creds: 1 / 0
        d = TextCredentialsChecker(inner).requestAvatarId(
            credentials.UsernamePassword(b"bob", b"pw")
        )
        d = self.assertFailure(d, error.UnauthorizedLogin)
        d.addCallback(lambda _: self.assertEqual(
            len(self.flushLoggedErrors(ZeroDivisionError)), 1
        ))
        return d

    def test_manyBytesUsers(self):
        """
        A checker with a C{users} mapping of C{bytes} names gets the
        credentials as given, found out from its first name alone: a login
        does not go through every user.
        """
        class CountingUsers(dict):
            iterated = 0

            def __iter__(self):
                for name in dict.__iter__(self):
                    CountingUsers.iterated += 1
                    yield name

        inner = TypeRecordingChecker()
        inner.users = CountingUsers((b"user%d" % i, b"pw") for i in range(50))
        creds = credentials.UsernamePassword(b"user7", b"pw")
        d = TextCredentialsChecker(inner).requestAvatarId(creds)
        d.addCallback(self.assertEqual, "user7")
        d.addCallback(lambda _: self.assertIs(inner.seen[0], creds))
        d.addCallback(lambda _: self.assertEqual(CountingUsers.iterated, 1))
        return d

    def test_interfaces(self):
        """
        The wrapper claims the wrapped checker's credential interfaces.
        """
        wrapper = TextCredentialsChecker(TypeRecordingChecker())
        self.assertEqual(
            wrapper.credentialInterfaces, (credentials.IUsernamePassword,)
        )

"""
Tests for L{ftpkit.deploy.tap}: the C{twistd ftpkit} options and service.
"""

import io
import os
import sys

from twisted.application.internet import StreamServerEndpointService
from twisted.cred import checkers, credentials, error, portal
from twisted.logger import globalLogPublisher
from twisted.python import usage
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.auth.realms import (
    AnyOfCheckers,
    FilesystemRealm,
    MemoryRealm,
    TextCredentialsChecker,
)
from ftpkit.config import ServerConfig
from ftpkit.deploy.service import StartupWork
from ftpkit.deploy.tap import (
    Options,
    findRealm,
    makePortal,
    makeService,
    realmPlugins,
)
from ftpkit.errors import PermissionDenied
from ftpkit.interfaces import IFTPShell


def parse(*args):
    """
    @param args: command-line arguments.
    @return: the parsed L{Options}.
    """
    options = Options()
    options.parseOptions(list(args))
    return options


class DefaultsTests(unittest.TestCase):
    """
    With no option, the documented defaults apply.
    """

    def test_config(self):
        """
        The config is L{ServerConfig}'s defaults.
        """
        self.assertEqual(parse()["config"], ServerConfig())

    def test_listen(self):
        """
        The server listens on C{tcp:2121}.
        """
        self.assertEqual(parse()["listen"], ["tcp:2121"])

    def test_root(self):
        """
        The root is the current directory, with the filesystem realm.
        """
        options = parse()
        self.assertEqual(options["root"], os.getcwd())
        self.assertIsInstance(options["realmObject"], FilesystemRealm)
        self.assertEqual(options["realmObject"].root, os.getcwd())

    def test_noCheckers(self):
        """
        Without C{--auth} there is no checker.
        """
        self.assertEqual(parse().get("credCheckers", []), [])


class OptionTests(unittest.TestCase):
    """
    Each option reaches the L{ServerConfig} or the realm.
    """

    def test_listenRepeatable(self):
        """
        C{--listen} may be given several times, in order.
        """
        options = parse(
            "--listen", "tcp:2121:interface=127.0.0.1",
            "--listen", "tcp6:2121:interface=\\:\\:1",
        )
        self.assertEqual(
            options["listen"],
            ["tcp:2121:interface=127.0.0.1", "tcp6:2121:interface=\\:\\:1"],
        )

    def test_root(self):
        """
        C{--root} is made absolute and handed to the realm.
        """
        root = self.mktemp()
        os.mkdir(root)
        options = parse("--root", root)
        self.assertEqual(options["root"], os.path.abspath(root))
        self.assertEqual(options["realmObject"].root, os.path.abspath(root))

    def test_flags(self):
        """
        C{--read-only} and C{--anonymous-write} reach the config.
        """
        config = parse("--read-only", "--anonymous-write")["config"]
        self.assertTrue(config.readOnly)
        self.assertTrue(config.anonymousWrite)

    def test_homePerUser(self):
        """
        C{--home-per-user} reaches the filesystem realm.
        """
        root = self.mktemp()
        os.mkdir(root)
        realm = parse("--root", root, "--home-per-user")["realmObject"]
        self.assertEqual(realm.homeFor("alice"), os.path.join(realm.root, "alice"))

    def test_numbers(self):
        """
        Numeric options are converted.
        """
        config = parse(
            "--max-connections", "10",
            "--max-connections-per-ip", "2",
            "--idle-timeout", "2.5",
            "--max-login-attempts", "5",
        )["config"]
        self.assertEqual(
            (config.maxConnections, config.maxConnectionsPerIP,
             config.idleTimeout, config.maxLoginAttempts),
            (10, 2, 2.5, 5),
        )

    def test_passive(self):
        """
        C{--passive-ports} becomes a pair and C{--passive-address} a
        normalised address.
        """
        config = parse(
            "--passive-ports", "60000-60010",
            "--passive-address", "203.0.113.7",
        )["config"]
        self.assertEqual(config.passivePorts, (60000, 60010))
        self.assertEqual(config.passiveAddress, "203.0.113.7")

    def test_singlePassivePort(self):
        """
        A range may hold one port.
        """
        config = parse("--passive-ports", "1024-1024")["config"]
        self.assertEqual(config.passivePorts, (1024, 1024))

    def test_banner(self):
        """
        C{--banner} sets the greeting.
        """
        self.assertEqual(parse("--banner", "hello")["config"].banner, "hello")

    def test_realm(self):
        """
        C{--realm} picks the plugin by name.
        """
        options = parse("--realm", "memory")
        self.assertEqual(options["realmPlugin"].name, "memory")
        self.assertIsInstance(options["realmObject"], MemoryRealm)

    def test_readOnlyReachesRealm(self):
        """
        C{--read-only} makes the realm's shells read-only.
        """
        realm = parse("--realm", "memory", "--read-only")["realmObject"]
        _, shell, _ = realm.requestAvatar("alice", None, IFTPShell)
        return self.assertFailure(shell.makeDirectory(("d",)), PermissionDenied)

    def test_anonymousWriteReachesRealm(self):
        """
        C{--anonymous-write} lets the realm's anonymous shells upload.
        """
        realm = parse("--realm", "memory", "--anonymous-write")["realmObject"]
        _, shell, _ = realm.requestAvatar(checkers.ANONYMOUS, None, IFTPShell)
        return shell.makeDirectory(("d",))


class BadValueTests(unittest.TestCase):
    """
    A bad value is a one-line L{usage.UsageError} naming the option.
    """

    def assertRejected(self, option, *args):
        """
        Parsing C{args} fails with a one-line message starting with
        C{option}.

        @param option: e.g. C{"--root"}.
        @param args: the arguments to parse.
        @return: the message.
        """
        e = self.assertRaises(usage.UsageError, parse, *args)
        message = str(e)
        self.assertTrue(
            message.startswith(option + ":"), f"{message!r} names no {option}"
        )
        self.assertNotIn("\n", message)
        return message

    def test_listen(self):
        """
        An endpoint string Twisted cannot parse.
        """
        self.assertRejected("--listen", "--listen", "nosuchtype:21")
        self.assertRejected("--listen", "--listen", "tcp:notaport")

    def test_listenPortOutOfRange(self):
        """
        A port number no socket can have is a usage error, not the
        C{OverflowError} traceback C{bind} gave once the server started.
        """
        for description in ["tcp:99999", "tcp6:-1", "haproxy:tcp:65536",
                            "ssl:70000"]:
            self.assertRejected("--listen", "--listen", description)

    def test_root(self):
        """
        A root that is missing or not a directory.
        """
        self.assertRejected("--root", "--root", self.mktemp())
        path = self.mktemp()
        with open(path, "w"):
            pass
        self.assertRejected("--root", "--root", path)

    def test_realmUnknown(self):
        """
        An unknown realm name; the message lists the installed ones.
        """
        message = self.assertRejected("--realm", "--realm", "nosuch")
        self.assertIn("filesystem", message)
        self.assertIn("memory", message)

    def test_realmArgument(self):
        """
        The realm's C{ValueError} becomes the usage error.
        """
        message = self.assertRejected("--realm", "--realm", "memory:x")
        self.assertIn("no argument", message)
        message = self.assertRejected("--realm", "--realm", "filesystem:/no/x")
        self.assertIn("not an existing directory", message)

    def test_passivePorts(self):
        """
        Ranges that are malformed, reversed or outside 1024-65535.
        """
        for value in ["abc", "60000", "1000-2000", "60010-60000",
                      "60000-70000", "a-b", "-"]:
            self.assertRejected("--passive-ports", "--passive-ports", value)

    def test_passiveAddress(self):
        """
        Anything but an IPv4 address.
        """
        for value in ["example.com", "::1", "300.1.1.1", ""]:
            self.assertRejected("--passive-address", "--passive-address", value)

    def test_positiveIntegers(self):
        """
        Counts must be positive integers.
        """
        for option in ["--max-connections", "--max-connections-per-ip",
                       "--max-login-attempts"]:
            for value in ["x", "0", "-1", "1.5", ""]:
                message = self.assertRejected(option, option, value)
                self.assertIn("positive integer", message)

    def test_idleTimeout(self):
        """
        The idle timeout must be a positive, finite number.
        """
        for value in ["x", "0", "-3", "nan", "inf"]:
            self.assertRejected("--idle-timeout", "--idle-timeout", value)

    def test_banner(self):
        """
        A banner with CR or LF could forge reply lines.
        """
        self.assertRejected("--banner", "--banner", "hi\r\n230 fake")

    def test_auth(self):
        """
        Unknown checkers, missing password files and bad arguments.
        """
        self.assertRejected("--auth", "--auth", "nosuch")
        self.assertRejected("--auth", "--auth", "file:" + self.mktemp())
        self.assertRejected("--auth", "--auth", "memory:alice")


class UnderTwistdTests(unittest.TestCase):
    """
    As C{twistd}'s subcommand, a bad option is one line and exit status 1.
    """

    def test_oneLine(self):
        from twisted.scripts.twistd import ServerOptions

        errors = io.StringIO()
        self.patch(Options, "errorOutput", errors)
        self.patch(sys, "argv", ["/usr/bin/twistd"])
        exit = self.assertRaises(
            SystemExit, ServerOptions().parseOptions,
            ["ftpkit", "--max-login-attempts", "0"])
        self.assertEqual(exit.code, 1)
        self.assertEqual(
            errors.getvalue(),
            "twistd ftpkit: --max-login-attempts: must be a positive integer,"
            " not '0' (see --help)\n")

    def test_directlyRaises(self):
        """
        Parsed directly (tests, the workers), the error is raised.
        """
        self.assertRaises(usage.UsageError, parse, "--workers", "x")

    def test_lineFormat(self):
        from ftpkit.deploy.tap import usageErrorLine

        error = usage.UsageError("--x: bad")
        self.assertEqual(usageErrorLine("ftpkit", error),
                         "ftpkit: --x: bad (see --help)\n")
        self.assertEqual(usageErrorLine("/usr/bin/twistd", error),
                         "twistd ftpkit: --x: bad (see --help)\n")


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


class MakeServiceTests(unittest.TestCase):
    """
    L{makeService} builds one listening service per C{--listen}.
    """

    def setUp(self):
        self.events = []
        globalLogPublisher.addObserver(self.events.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.events.append)

    def warnings(self):
        """
        @return: the texts of the warnings logged so far.
        """
        from twisted.logger import LogLevel, formatEvent

        return [formatEvent(e) for e in self.events
                if e.get("log_level") == LogLevel.warn]

    def test_children(self):
        """
        Each C{--listen} gives a child service sharing one factory, built
        with the options' config.
        """
        from ftpkit.control.server import FTPFactory

        options = parse(
            "--listen", "tcp:0:interface=127.0.0.1",
            "--listen", "tcp:0:interface=127.0.0.2",
            "--auth", "anonymous", "--banner", "hi",
        )
        from ftpkit.deploy.service import Listeners

        server = makeService(options)
        [listeners] = [child for child in server
                       if isinstance(child, Listeners)]
        children = list(listeners)
        self.assertEqual(len(children), 2)
        factories = set()
        for child in children:
            self.assertIsInstance(child, StreamServerEndpointService)
            factories.add(child.factory)
        self.assertEqual(len(factories), 1)
        factory = factories.pop()
        self.assertIsInstance(factory, FTPFactory)
        self.assertIs(factory.config, options["config"])
        self.assertIs(factory.portal.realm, options["realmObject"])

    def test_freezesStartupObjects(self):
        """
        Starting the service takes what start-up made out of the garbage
        collector's sight (C{gc.freeze}).
        """
        import gc

        self.addCleanup(gc.unfreeze)
        gc.unfreeze()
        server = makeService(parse("--auth", "anonymous"))
        [freezer] = [child for child in server
                     if isinstance(child, StartupWork)]
        freezer.startService()
        self.addCleanup(freezer.stopService)
        self.assertGreater(gc.get_freeze_count(), 0)

    def test_noAuthWarning(self):
        """
        Without C{--auth} the service is built and a warning says that
        nobody can log in.
        """
        makeService(parse())
        self.assertTrue(
            any("nobody can log in" in text for text in self.warnings()),
            self.warnings(),
        )

    def test_noWarningWithAuth(self):
        """
        With C{--auth} there is no such warning.
        """
        makeService(parse("--auth", "anonymous"))
        self.assertFalse(
            any("nobody can log in" in text for text in self.warnings())
        )

    def test_anonymousSeesHomesWarning(self):
        """
        With C{--home-per-user} and anonymous logins, a warning says that
        anonymous users can read every user's home (they see the root
        holding them all); without anonymous logins there is none.
        """
        root = self.mktemp()
        os.makedirs(root)
        makeService(parse("--root", root, "--home-per-user",
                          "--auth", "memory:bob:pw"))
        self.assertFalse(
            any("every user's home" in text for text in self.warnings()))
        makeService(parse("--root", root, "--home-per-user",
                          "--auth", "anonymous"))
        self.assertTrue(
            any("every user's home" in text for text in self.warnings()),
            self.warnings(),
        )

    def test_untrustedProxyWarning(self):
        """
        A C{haproxy:} listener without C{--trusted-proxy} believes anyone's
        PROXY header: a warning says so; with it there is none.
        """
        makeService(parse("--listen", "haproxy:tcp:0:interface=127.0.0.1",
                          "--trusted-proxy", "10.0.0.1"))
        self.assertFalse(
            any("--trusted-proxy" in text for text in self.warnings()))
        makeService(parse("--listen", "haproxy:tcp:0:interface=127.0.0.1"))
        self.assertTrue(
            any("--trusted-proxy" in text for text in self.warnings()),
            self.warnings(),
        )

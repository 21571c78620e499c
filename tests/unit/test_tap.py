"""
Tests for L{ftpkit.deploy.tap}: the C{twistd ftpkit} options and service.
"""

import io
import os
import shutil
import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from twisted.application.internet import StreamServerEndpointService
from twisted.cred import checkers
from twisted.internet.epollreactor import EPollReactor
from twisted.logger import globalLogPublisher
from twisted.python import usage
from twisted.trial import unittest

from ftpkit.auth.realms import (
    FilesystemRealm,
    MemoryRealm,
)
from ftpkit.compat.dispatch import LazyDispatch
from ftpkit.config import ServerConfig
from ftpkit.deploy.service import StartupWork
from ftpkit.deploy.tap import (
    Options,
    makeService,
)
from ftpkit.errors import PermissionDenied
from ftpkit.interfaces import IFTPShell
from tests.scratch import scratchDirectory
from tests.tlssupport import makeCertificate


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
        root = scratchDirectory(self)
        options = parse("--root", root)
        self.assertEqual(options["root"], os.path.abspath(root))
        self.assertEqual(options["realmObject"].root, os.path.abspath(root))

    def test_flags(self):
        """
        C{--read-only} and C{--anonymous-write} reach the config.
        """
        self.assertTrue(parse("--read-only")["config"].readOnly)
        self.assertTrue(parse("--anonymous-write")["config"].anonymousWrite)

    def test_homePerUser(self):
        """
        C{--home-per-user} reaches the filesystem realm.
        """
        root = scratchDirectory(self)
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
            "--ipv6-prefix-length", "48",
        )["config"]
        self.assertEqual(
            (config.maxConnections, config.maxConnectionsPerIP,
             config.idleTimeout, config.maxLoginAttempts,
             config.ipv6PrefixLength),
            (10, 2, 2.5, 5, 48),
        )

    def test_dataTimeout(self):
        """
        C{--data-timeout} sets the seconds a data connection may stall
        (vsftpd's C{data_connection_timeout}, ProFTPD's
        C{TimeoutStalled}); 60 by default.
        """
        self.assertEqual(parse()["config"].dataTimeout, 60)
        self.assertEqual(
            parse("--data-timeout", "7.5")["config"].dataTimeout, 7.5)

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

    def test_memoryRealmSize(self):
        """
        C{--realm memory} holds 256 MiB by default, C{memory:SIZE} that
        size.
        """
        realm = parse("--realm", "memory")["realmObject"]
        self.assertEqual(realm.shell.maxBytes, 256 << 20)
        realm = parse("--realm", "memory:1.5M")["realmObject"]
        self.assertEqual(realm.shell.maxBytes, 1536 << 10)

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

    def test_strayArgument(self):
        """
        An argument that is no option's value (the second half of an
        unquoted value) is named in the usage error, with why.
        """
        e = self.assertRaises(usage.UsageError, parse, "--banner", "Hello",
                              "world")
        self.assertEqual(str(e), "unexpected argument 'world' (each option "
                         "takes one value: quote a value holding spaces)")

    def test_readOnlyAnonymousWrite(self):
        """
        C{--anonymous-write} with C{--read-only}, which forbids every
        change: a usage error. It was accepted, and anonymous users could
        not upload.
        """
        message = self.assertRejected("--anonymous-write", "--read-only",
                                      "--anonymous-write")
        self.assertIn("--read-only", message)

    def test_root(self):
        """
        A root that is missing or not a directory.
        """
        self.assertRejected("--root", "--root", self.mktemp())
        path = self.mktemp()
        with open(path, "w"):
            pass
        self.assertRejected("--root", "--root", path)

    def test_authNotAFile(self):
        """
        C{--auth file:} and C{users:} naming a directory or a FIFO say
        what it is (a directory was C{no such file}; opening a FIFO to
        check it would wait for a writer forever).
        """
        directory = scratchDirectory(self)
        fifo = os.path.join(directory, "fifo")
        os.mkfifo(fifo)
        for kind in ["file", "users"]:
            message = self.assertRejected("--auth", "--auth",
                                          f"{kind}:{directory}")
            self.assertIn("is a directory, not a file", message)
            message = self.assertRejected("--auth", "--auth", f"{kind}:{fifo}")
            self.assertIn("is not a regular file", message)

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
        self.assertIn("number of bytes", message)
        message = self.assertRejected("--realm", "--realm", "memory:0")
        self.assertIn("at least 1 byte", message)
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

    def test_ipv6PrefixLength(self):
        """
        An IPv6 prefix length is from 1 to 128.
        """
        for value in ["x", "0", "129", "-1", "1.5", ""]:
            message = self.assertRejected("--ipv6-prefix-length",
                                          "--ipv6-prefix-length", value)
            self.assertIn("from 1 to 128", message)

    def test_idleTimeout(self):
        """
        The idle timeout must be a positive, finite number.
        """
        for value in ["x", "0", "-3", "nan", "inf"]:
            self.assertRejected("--idle-timeout", "--idle-timeout", value)
            self.assertRejected("--data-timeout", "--data-timeout", value)

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

    def test_authTakesNoArgument(self):
        """
        C{anonymous} and C{unix} take no argument: one given (a path meant
        for another checker, say) is a usage error, not silently dropped.
        """
        for kind in ("anonymous", "unix"):
            message = self.assertRejected("--auth", "--auth", f"{kind}:x")
            self.assertIn(f"{kind} takes no argument", message)

    def test_anonymousWritesHomesRefused(self):
        """
        C{--anonymous-write} with C{--home-per-user} and anonymous logins
        is a usage error: anonymous users get the root holding every
        home, so they could plant files in any home, even one made before
        its user's first login (the client sweep did, with curl
        C{--ftp-create-dirs}).
        """
        root = scratchDirectory(self)
        message = self.assertRejected(
            "--anonymous-write", "--root", root, "--home-per-user",
            "--auth", "anonymous", "--anonymous-write")
        self.assertIn("--home-per-user", message)
        parse("--root", root, "--home-per-user", "--anonymous-write",
              "--auth", "memory:bob:pw")

    def test_unknownChecker(self):
        """
        A checker name that is not installed (a typo) is named with the
        installed ones, as an unknown C{--realm} is: Twisted's "Auth plugin
        not recognized" did not say which there are.
        """
        message = self.assertRejected("--auth", "--auth", "anonymus")
        self.assertIn("no checker 'anonymus' for FTP logins (installed: ",
                      message)
        self.assertIn("anonymous, file, memory", message)
        message = self.assertRejected("--help-auth-type", "--help-auth-type",
                                      "anonymus")
        self.assertIn("no checker 'anonymus' for FTP logins (installed: ",
                      message)


class ImplicitListenerTests(unittest.TestCase):
    """
    C{--listen ssl:...} (implicit FTPS): ftpkit listens on its C{tcp:}
    endpoint, in its own TLS, with the key of C{--tls-cert} or else the
    endpoint's own (docs/tls.rst), run from a directory holding no
    C{server.pem}, Twisted's default key.
    """

    def setUp(self):
        self.directory = scratchDirectory(self)
        self.cert = makeCertificate(self.directory, "given")[2]
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(self.directory)

    def chain(self, *args):
        """
        @return: the PEM of the certificate the server would present.
        """
        factory = parse(*args)["config"].tlsContextFactory
        return factory.chain[0].public_bytes(serialization.Encoding.PEM)

    def pem(self, path):
        """
        @return: the certificate's PEM in the file at C{path}.
        """
        with open(path, "rb") as f:
            return x509.load_pem_x509_certificate(f.read()).public_bytes(
                serialization.Encoding.PEM)

    def test_tlsCert(self):
        """
        With C{--tls-cert}, an C{ssl:} listener naming no key serves its
        certificate: the option was refused, Twisted's C{ssl:} parser
        looking for C{server.pem} ('--listen: bad endpoint ...: No such
        file'), though the key it names is never used.
        """
        self.assertEqual(
            self.chain("--tls-cert", self.cert, "--listen", "ssl:990",
                       "--tls-require-session-reuse"),
            self.pem(self.cert))

    def test_defaultKey(self):
        """
        Without C{--tls-cert}, an C{ssl:} listener naming no key is served
        in ftpkit's TLS with C{server.pem}, the key Twisted's C{ssl:}
        endpoint reads by default: it was left to Twisted's endpoint,
        whose context ignored ftpkit's TLS options (TLS 1.3 offered
        whatever they said, no session reuse to require).
        """
        shutil.copy(self.cert, "server.pem")
        self.assertEqual(self.chain("--listen", "ssl:990"),
                         self.pem(self.cert))

    def test_noKey(self):
        """
        Without C{--tls-cert} nor C{server.pem}, the C{ssl:} listener is
        refused, naming the file it lacks.
        """
        error = self.assertRaises(usage.UsageError, parse, "--listen",
                                  "ssl:990")
        self.assertTrue(str(error).startswith("--listen: "), str(error))
        self.assertIn("server.pem", str(error))


class OneProcessRealmTests(unittest.TestCase):
    """
    A realm that lives in one process (C{memory}: its tree is in the
    process' memory) cannot serve C{--workers}: each worker would build a
    tree of its own, and a client would find its upload or not depending
    on the worker its next session landed on.
    """

    assertRejected = BadValueTests.assertRejected

    def test_defaultRealm(self):
        """
        C{--realm memory} with C{--workers} is refused, naming both.
        """
        message = self.assertRejected(
            "--workers", "--workers", "2", "--realm", "memory:1M")
        self.assertIn("memory", message)

    def test_virtualHost(self):
        """
        So is a C{--vhost} whose realm is C{memory}.
        """
        message = self.assertRejected(
            "--workers", "--workers", "2",
            "--vhost", "a.example=memory")
        self.assertIn("a.example", message)

    def test_fsspecMemory(self):
        """
        So is C{--realm fsspec:memory://}: fsspec's memory filesystem
        lives in the process too.
        """
        self.assertRejected("--workers", "--workers", "2",
                            "--realm", "fsspec:memory://served")

    def test_oneWorker(self):
        """
        One process may serve it, and with C{--workers} a realm on disk.
        """
        parse("--workers", "1", "--realm", "memory")
        parse("--workers", "2", "--realm", "filesystem")


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

    def test_tooManyWorkers(self):
        """
        C{twistd ftpkit --workers 100000} (as C{python -m ftpkit}, which
        runs it) is a usage error, not a fork of workers until memory
        runs out.
        """
        from twisted.scripts.twistd import ServerOptions

        errors = io.StringIO()
        self.patch(Options, "errorOutput", errors)
        self.patch(sys, "argv", ["/usr/bin/twistd"])
        exit = self.assertRaises(
            SystemExit, ServerOptions().parseOptions,
            ["ftpkit", "--workers", "100000"])
        self.assertEqual(exit.code, 1)
        self.assertTrue(errors.getvalue().startswith(
            "twistd ftpkit: --workers: at most "), errors.getvalue())

    def test_synopsis(self):
        """
        C{--help}'s usage line names the command that was run.
        """
        from twisted.scripts.twistd import ServerOptions

        for argv0, expected in [
                ("ftpkit", "Usage: python -m ftpkit [options]"),
                ("/usr/bin/twistd", "Usage: twistd [options] ftpkit "
                 "[options]")]:
            self.patch(sys, "argv", [argv0])
            server = ServerOptions()
            server.parseOptions(["ftpkit", "--listen", "tcp:0"])
            self.assertEqual(server.subOptions.getSynopsis(), expected)

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
        collector's sight (C{gc.freeze}), and has the reactor handle its
        descriptors with L{ftpkit.compat.dispatch.LazyDispatch}.
        """
        import gc

        self.addCleanup(gc.unfreeze)
        gc.unfreeze()
        server = makeService(parse("--auth", "anonymous"))
        [freezer] = [child for child in server
                     if isinstance(child, StartupWork)]
        freezer.reactor = EPollReactor()
        self.addCleanup(freezer.reactor._poller.close)
        self.addCleanup(freezer.reactor.removeAll)
        freezer.startService()
        self.addCleanup(freezer.stopService)
        self.assertGreater(gc.get_freeze_count(), 0)
        self.assertIsInstance(freezer.reactor.doIteration, LazyDispatch)

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
        root = scratchDirectory(self)
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

    def test_anonymousWithoutEntryWarning(self):
        """
        With C{--auth anonymous} and a users file without an C{anonymous}
        entry, a warning says that anonymous logins are refused (each was
        only a failed login in the log, as for a wrong password); with the
        entry, or without anonymous logins, there is none.
        """
        root = scratchDirectory(self)
        path = os.path.join(root, "users.toml")
        with open(path, "w") as f:
            f.write('[users.alice]\nhome = "alice"\n')
        warned = "no entry named anonymous"
        makeService(parse("--root", root, "--realm", f"users:{path}",
                          "--auth", f"users:{path}"))
        self.assertFalse(any(warned in text for text in self.warnings()))
        makeService(parse("--root", root, "--realm", f"users:{path}",
                          "--auth", f"users:{path}", "--auth", "anonymous"))
        self.assertTrue(any(warned in text and path in text
                            for text in self.warnings()), self.warnings())
        with open(path, "a") as f:
            f.write('[users.anonymous]\nhome = "pub"\n')
        before = len(self.warnings())
        makeService(parse("--root", root, "--realm", f"users:{path}",
                          "--auth", "anonymous"))
        self.assertFalse(any(warned in text
                             for text in self.warnings()[before:]),
                         self.warnings()[before:])

    def test_noUntrustedProxyWarning(self):
        """
        A C{haproxy:} listener without C{--trusted-proxy} trusts only the
        loopback networks, so there is nothing to warn about.
        """
        makeService(parse("--listen", "haproxy:tcp:0:interface=127.0.0.1"))
        self.assertFalse(
            any("--trusted-proxy" in text for text in self.warnings()),
            self.warnings(),
        )


class HangupAtStartTests(unittest.TestCase):
    """
    A server that starts ignores C{SIGHUP} until its service handles it
    (L{ftpkit.auth.realms.ReloadOnHangup}): its default action ended a
    server that got it in its first half second (a C{systemctl reload}
    right after the start).
    """

    def setUp(self):
        import signal

        self.addCleanup(signal.signal, signal.SIGHUP,
                        signal.signal(signal.SIGHUP, signal.SIG_DFL))

    def test_twistd(self):
        """
        Parsed as C{twistd}'s subcommand, the options ignore C{SIGHUP}.
        """
        import signal

        from ftpkit.deploy.tap import Options

        options = Options()
        options.parent = object()
        options.parseOptions(["--auth", "anonymous"])
        self.assertEqual(signal.getsignal(signal.SIGHUP), signal.SIG_IGN)

    def test_notTwistd(self):
        """
        Parsed elsewhere (a test, a worker, which sees to it itself), they
        leave C{SIGHUP} alone.
        """
        import signal

        parse("--auth", "anonymous")
        self.assertEqual(signal.getsignal(signal.SIGHUP), signal.SIG_DFL)

    def test_main(self):
        """
        C{python -m ftpkit} ignores C{SIGHUP} before it even imports
        C{twistd}.
        """
        import signal

        from twisted.scripts import twistd

        from ftpkit import __main__

        seen = []

        def run():
            seen.append(signal.getsignal(signal.SIGHUP))

        self.patch(twistd, "run", run)
        self.patch(sys, "argv", list(sys.argv))
        __main__.main(["--auth", "anonymous"])
        self.assertEqual(seen, [signal.SIG_IGN])

    def test_plugin(self):
        """
        C{twistd}'s C{ftpkit} subcommand ignores C{SIGHUP} as soon as it
        is chosen, when C{twistd} asks the plugin for its options, before
        they are even loaded (loading them took longer than the rest of
        ftpkit's start-up).
        """
        import signal

        from ftpkit.deploy.tap import Options
        from twisted.plugins.ftpkit_plugin import ftpkit

        self.assertIs(ftpkit.options, Options)
        self.assertEqual(signal.getsignal(signal.SIGHUP), signal.SIG_IGN)

    def test_worker(self):
        """
        The acceptor starts each worker with C{SIGHUP} blocked (the
        worker ignores it before it loads the server), and its own
        C{SIGHUP} blocked only while it does.
        """
        import signal

        from twisted.internet.testing import MemoryReactorClock

        from ftpkit.config import ServerConfig
        from ftpkit.deploy.workers import WorkerPool

        pool = WorkerPool(1, [], [], ServerConfig(),
                          reactor=MemoryReactorClock())
        blocked = []

        def spawnProcess(worker, executable, args, env, childFDs):
            blocked.append(signal.SIGHUP in signal.pthread_sigmask(
                signal.SIG_BLOCK, []))
            worker.channel.close()

        pool.reactor.spawnProcess = spawnProcess
        pool._startWorker()
        self.assertEqual(blocked, [True])
        self.assertNotIn(signal.SIGHUP,
                         signal.pthread_sigmask(signal.SIG_BLOCK, []))


class HelpTests(unittest.TestCase):
    """
    What C{--help} and C{--version} say.
    """

    def test_passwordFileExample(self):
        """
        The C{file:} checker's example names the password file the docs
        use, C{/etc/ftpkit.passwd}: the package-layout rename made it
        C{/etc/ftpkit.auth.passwd}.
        """
        self.assertIn("file:/etc/ftpkit.passwd (USER:PASSWORD lines)",
                      Options().getUsage(width=200))

    def test_version(self):
        """
        C{--version} prints ftpkit's version, then Twisted's, and exits
        with status 0: it printed Twisted's only, which did not tell an
        operator which ftpkit runs.
        """
        import ftpkit
        from twisted import copyright

        out = io.StringIO()
        self.patch(sys, "stdout", out)
        exit = self.assertRaises(SystemExit, parse, "--version")
        self.assertIn(exit.code, (None, 0))
        self.assertEqual(out.getvalue(),
                         f"ftpkit {ftpkit.__version__} "
                         f"(Twisted {copyright.version})\n")

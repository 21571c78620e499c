"""
Tests for L{ftpkit.deploy.tap}: bad option values are one-line usage
errors naming the option, parsed directly or under C{twistd}, and realms
that live in one process are refused with C{--workers}.
"""

import io
import os
import subprocess
import sys

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.deploy.optionvalues import MOST_REPLY_TEXT
from ftpkit.deploy.tap import (
    Options,
)
from tests.scratch import scratchDirectory
from tests.signalstate import keepSignalState
from tests.tapoptions import parse
from tests.twistdrun import SOURCE


class GivenTwiceTests(unittest.TestCase):
    """
    An option that takes one value, given twice, is a usage error naming
    it: the last one replaced the first without a word (C{--metrics}
    served one endpoint of two). Options that gather their values do
    not.
    """

    def test_everyParameter(self):
        """
        Every parameter, C{--root}, C{--tls-cert} and C{--tls-key} (by its
        long name, with C{=} or not), and no other option.
        """
        names = Options().onceOnly
        self.assertTrue({"metrics", "root", "tls-cert", "tls-key", "umask",
                         "realm", "workers", "xferlog"} <= set(names))
        self.assertFalse({"listen", "auth", "allow-from", "deny-from",
                          "trusted-proxy", "vhost", "vhost-banner",
                          "vhost-root"} & set(names))
        for name in names:
            e = self.assertRaises(usage.UsageError, Options().parseOptions,
                                  [f"--{name}=.", f"--{name}", "."])
            self.assertEqual(str(e), f"--{name}: given twice (it takes one "
                             "value; the last one would have replaced the "
                             "first)")

    def test_repeatable(self):
        """
        C{--listen} and C{--auth} still gather every value.
        """
        options = parse("--listen", "tcp:0", "--listen", "tcp:1",
                        "--auth", "anonymous", "--auth", "memory:a:b")
        self.assertEqual(options["listen"], ["tcp:0", "tcp:1"])
        self.assertEqual(len(options["credCheckers"]), 2)

    def test_process(self):
        """
        C{python -m ftpkit --metrics A --metrics B}: one line, exit status
        1, nothing served.
        """
        done = subprocess.run(
            [sys.executable, "-m", "ftpkit", "--listen",
             "tcp:0:interface=127.0.0.1", "--metrics", "tcp:0",
             "--metrics", "tcp:1"], capture_output=True, text=True,
            timeout=60, env=dict(os.environ, PYTHONPATH=SOURCE))
        self.assertEqual(
            (done.returncode, done.stderr, done.stdout),
            (1, "ftpkit: --metrics: given twice (it takes one value; the "
             "last one would have replaced the first) (see --help)\n", ""))


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

    def test_rootEmpty(self):
        """
        An empty C{--root} (a variable left unset in a unit) is a usage
        error saying a directory is needed: it served the working
        directory.
        """
        message = self.assertRejected("--root", "--root", "")
        self.assertIn("needs a directory", message)

    def test_tlsFilesEmpty(self):
        """
        An empty C{--tls-cert} or C{--tls-key} (a variable left unset) is
        a usage error naming it: an empty C{--tls-cert} started the server
        without TLS, and an empty C{--tls-key} blamed C{--tls-cert}.
        """
        directory = scratchDirectory(self)
        cert = os.path.join(directory, "cert.pem")
        with open(cert, "w"):
            pass
        for option, args in [("--tls-cert", ["--tls-cert", ""]),
                             ("--tls-key", ["--tls-cert", cert,
                                            "--tls-key", ""])]:
            message = self.assertRejected(option, *args)
            self.assertIn("needs a PEM file", message)

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

    def test_realmPluginFailedImport(self):
        """
        A realm plugin module that fails to import: the unknown realm's
        message names the module and its error, where it only listed the
        realms that loaded.
        """
        import twisted.plugins

        plugins = os.path.join(scratchDirectory(self), "plugins")
        os.mkdir(plugins)
        with open(os.path.join(plugins, "tenants_plugin.py"), "w") as f:
            f.write("import no_such_module_for_tenants\n")
        self.patch(twisted.plugins, "__path__",
                   list(twisted.plugins.__path__) + [plugins])
        self.addCleanup(self.flushLoggedErrors, ModuleNotFoundError)
        message = self.assertRejected("--realm", "--realm", "tenants")
        self.assertIn("tenants_plugin.py (ModuleNotFoundError: No module "
                      "named 'no_such_module_for_tenants')", message)

    def test_fsspecLocalRoot(self):
        """
        C{--realm fsspec:file://} of a directory that is missing (by an
        absolute or a relative path) or of a file is refused as
        C{--realm filesystem:} of it is: the server started and served
        an empty tree, every upload refused.
        """
        path = os.path.abspath(self.mktemp())
        for url in ["file://" + path, "file://nosuch-relative",
                    "file:///etc/passwd"]:
            message = self.assertRejected("--realm", "--realm",
                                          "fsspec:" + url)
            self.assertIn("not an existing directory", message)
        os.mkdir(path)
        parse("--realm", "fsspec:file://" + path)

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

    def test_passiveAddressUnreachable(self):
        """
        An address no client can connect to: every passive transfer
        failed (C{0.0.0.0} sent each client to itself). A private or
        loopback address is taken.
        """
        for value in ["0.0.0.0", "255.255.255.255", "224.0.0.1",
                      "240.1.2.3"]:
            message = self.assertRejected("--passive-address",
                                          "--passive-address", value)
            self.assertIn("must be an address clients can connect to",
                          message)
        for value in ["10.0.0.1", "127.0.0.1", "203.0.113.7"]:
            self.assertEqual(
                parse("--passive-address", value)["config"].passiveAddress,
                value)

    def test_allowFromAllDenied(self):
        """
        C{--deny-from} denying every address C{--allow-from} allows: the
        server started and refused every client. Denying part of them is
        taken.
        """
        message = self.assertRejected(
            "--deny-from", "--allow-from", "10.0.0.0/8", "--deny-from",
            "10.0.0.0/9", "--deny-from", "10.128.0.0/9")
        self.assertEqual(message, "--deny-from: denies every address "
                         "--allow-from allows (10.0.0.0/8): no client could "
                         "connect")
        config = parse("--allow-from", "10.0.0.0/8", "--deny-from",
                       "10.1.0.0/16")["config"]
        self.assertEqual((config.allowFrom, config.denyFrom),
                         (("10.0.0.0/8",), ("10.1.0.0/16",)))

    def test_hostBitsTakenAsNetwork(self):
        """
        A network written with host bits set (C{127.0.0.1/8}) is taken as
        its network, as it always was: a deployment written so must keep
        starting after an upgrade (a usage error for it was tried, and
        reverted).
        """
        config = parse("--allow-from", "127.0.0.1/8", "--deny-from",
                       "10.0.0.1/8", "--listen", "haproxy:tcp:0",
                       "--trusted-proxy", "192.0.2.1/24")["config"]
        self.assertEqual((config.allowFrom, config.denyFrom),
                         (("127.0.0.0/8",), ("10.0.0.0/8",)))
        self.assertEqual([str(network) for network in config.trustedProxies],
                         ["192.0.2.0/24"])

    def test_everyAddressDenied(self):
        """
        C{--deny-from} denying every address, IPv4 and IPv6, with no
        C{--allow-from}: refused where every listener's clients have an
        address (the server started and refused every client); taken
        with a C{unix:} listener, whose clients have none.
        """
        deny = ["--deny-from", "0.0.0.0/0", "--deny-from", "::/0"]
        for listen in ([], ["--listen", "tcp:0"],
                       ["--listen", "tcp:0", "--listen", "haproxy:unix:s"]):
            message = self.assertRejected("--deny-from", *listen, *deny)
            self.assertIn("denies every address (0.0.0.0/0 and ::/0)",
                          message)
        config = parse("--listen", "tcp:0", "--listen", "unix:s",
                       *deny)["config"]
        self.assertEqual(config.denyFrom, ("0.0.0.0/0", "::/0"))
        self.assertEqual(parse("--deny-from", "0.0.0.0/0")["config"].denyFrom,
                         ("0.0.0.0/0",))

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

    def test_timeoutsUnderASecond(self):
        """
        A timeout under a second (C{0.001}, C{0.000000001}) is refused: the
        server started and cut every session, login or transfer before its
        client could answer. A second is taken. (C{1e-9} is no number
        since session 26: no exponents.)
        """
        for option in ("--idle-timeout", "--login-timeout",
                       "--data-timeout"):
            for value in ["0.001", "0.000000001", "0.99"]:
                message = self.assertRejected(option, option, value)
                self.assertIn(f"must be at least 1 second, not {value!r}",
                              message)
        config = parse("--idle-timeout", "1", "--login-timeout", "1",
                       "--data-timeout", "1")["config"]
        self.assertEqual(
            (config.idleTimeout, config.loginTimeout, config.dataTimeout),
            (1, 1, 1))

    def test_shutdownGrace(self):
        """
        The shutdown grace is a finite number of seconds, 0 or more; a
        negative one is told so: it was told it must be a number of
        seconds, which C{-1} is.
        """
        for value in ["x", "", "nan", "inf", "1e999"]:
            message = self.assertRejected("--shutdown-grace",
                                          "--shutdown-grace", value)
            self.assertIn("must be a number of seconds, like 30 or 2.5, "
                          f"not {value!r}", message)
        for value in ["-1", "-0.5"]:
            message = self.assertRejected("--shutdown-grace",
                                          "--shutdown-grace", value)
            self.assertIn(f"must be 0 or more seconds, not {value!r}",
                          message)

    def test_secondsOverAYear(self):
        """
        Every option in seconds refuses more than a year, naming the
        option; C{1e12} is told how seconds are written: it was told it
        must be a positive number.
        """
        for option in ("--idle-timeout", "--login-timeout", "--data-timeout",
                       "--shutdown-grace"):
            message = self.assertRejected(option, option, "99999999999")
            self.assertIn(f"{option}: must be at most 31536000 seconds",
                          message)
            message = self.assertRejected(option, option, "1e12")
            self.assertIn(f"{option}: must be a number of seconds, like 30 "
                          "or 2.5, not '1e12'", message)
        config = parse("--idle-timeout", "31536000",
                       "--shutdown-grace", "31536000")["config"]
        self.assertEqual((config.idleTimeout, config.shutdownGrace),
                         (31536000, 31536000))

    def test_banner(self):
        """
        A banner with CR or LF could forge reply lines.
        """
        self.assertRejected("--banner", "--banner", "hi\r\n230 fake")

    def test_bannerEmpty(self):
        """
        An empty banner, or one of spaces only (a variable left unset), is
        a usage error, as an empty C{--root} is: clients were greeted with
        C{"220 "}.
        """
        for value in ["", "   "]:
            message = self.assertRejected("--banner", "--banner", value)
            self.assertIn(f"needs the text of the reply, not {value!r}",
                          message)

    def test_bannerNotUTF8(self):
        """
        A banner holding bytes that are not UTF-8 (Python's command line
        gives them as lone surrogates) is refused as such: it was refused
        for holding control characters.
        """
        message = self.assertRejected("--banner", "--banner", "caf\udce9")
        self.assertEqual(message,
                         "--banner: must be UTF-8 text, not b'caf\\xe9'")

    def test_bannerTooLong(self):
        """
        A banner whose reply line does not fit in the longest line Python's
        ftplib reads is refused (its client raised an error, and had no
        session), for C{--vhost-banner} too; one that fits is taken.
        """
        fits = "\u00e9" * (MOST_REPLY_TEXT // 2)
        self.assertEqual(len(("220 " + fits + "\r\n").encode()), 8192)
        self.assertEqual(parse("--banner", fits)["config"].banner, fits)
        message = self.assertRejected("--banner", "--banner", fits + "x")
        self.assertIn(f"at most {MOST_REPLY_TEXT} bytes of UTF-8, not "
                      f"{MOST_REPLY_TEXT + 1}", message)
        self.assertRejected("--vhost-banner", "--vhost", "a.example=memory",
                            "--vhost-banner", "a.example=" + fits + "x")

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

    def test_anonymousWritesOwnHome(self):
        """
        With a realm that gives anonymous users a home of their own (a
        users file's C{anonymous} entry), C{--home-per-user} does nothing
        and C{--anonymous-write} is allowed: the error told the operator
        to use C{--realm users:PATH}, and refused it. A C{--vhost} that
        serves its directory with C{--home-per-user} is still refused.
        """
        root = scratchDirectory(self)
        users = os.path.join(root, "users.toml")
        with open(users, "w") as f:
            f.write('[users.anonymous]\nhome = "pub"\n')
        parse("--root", root, "--home-per-user", "--anonymous-write",
              "--auth", "anonymous", "--realm", "users:" + users)
        message = self.assertRejected(
            "--anonymous-write", "--root", root, "--home-per-user",
            "--anonymous-write", "--auth", "anonymous",
            "--realm", "users:" + users,
            "--vhost", "ftp.example.com=filesystem:" + root)
        self.assertIn("--home-per-user", message)

    def test_xferlogEmpty(self):
        """
        An empty C{--xferlog} (a variable left unset in a unit) is a usage
        error saying a path is needed: it named the working directory,
        C{cannot append to '/srv': Is a directory}.
        """
        message = self.assertRejected("--xferlog", "--xferlog", "")
        self.assertIn("needs a file", message)

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

    def setUp(self):
        # Parsed as twistd's, the options ignore some signals and block
        # others (SIGUSR1, SIGQUIT) until the service starts, and take
        # SIGINT and SIGTERM (it kept SIGTERM's): the processes later
        # tests of this one start would inherit that.
        keepSignalState(self)

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

    def test_lineNamesPythonDashM(self):
        """
        Run as C{python -m twisted ftpkit}, whose C{sys.argv[0]} is
        Twisted's C{__main__.py}, the line names that command, as its
        C{--help} does, not C{__main__.py ftpkit}.
        """
        from ftpkit.deploy.tap import usageErrorLine

        error = usage.UsageError("--x: bad")
        self.assertEqual(
            usageErrorLine("/usr/lib/python3/twisted/__main__.py", error),
            "python -m twisted ftpkit: --x: bad (see --help)\n")

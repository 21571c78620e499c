"""
Tests for L{ftpkit.deploy.startdirectory}: every option naming a path
takes a relative one from the directory the server started in, once, as
it parses its options; a worker of C{--workers} from its acceptor's, even
once that directory was removed (each of these options failed such a
worker at start, a C{FileNotFoundError} from C{os.path.abspath}, and the
acceptor started it again and again).
"""

import os

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.deploy import commandline, keptfiles, startdirectory
from ftpkit.deploy.startdirectory import START, fromStart, takeStart, workerArgv
from tests.tapoptions import parse
from tests.tlssupport import makeCertificate


def _notHelp(why=""):
    """
    In place of L{commandline.helpNotRead}, which ends the process: an unexpected
    C{OSError} from parsing the options (C{FileNotFoundError}) came to it.
    """
    raise AssertionError(f"the options' parse failed with an OSError: {why}")


def _write(path, data, mode=0o644):
    with open(path, "w") as f:
        f.write(data)
    os.chmod(path, mode)


class _Removed(unittest.TestCase):
    """
    A base whose C{etc} holds a users file, a password file, an upload
    command and a certificate, C{srv} and C{vh} directories to serve, and
    whose C{run}, the current directory, was removed.

    @ivar removed: the path of C{run} (not C{self.run}: that replaced
        the test's C{run} method, and a second run of the test, trial's
        C{--until-failure}, crashed the whole trial process).
    """

    def setUp(self):
        self.patch(commandline, "helpNotRead", _notHelp)
        here = os.getcwd()
        self.addCleanup(os.chdir, here)
        self.base = os.path.abspath(self.mktemp())
        for name in ("etc", "srv", "vh", "run"):
            os.makedirs(os.path.join(self.base, name))
        self.etc = os.path.join(self.base, "etc")
        _write(os.path.join(self.etc, "users.toml"), "[users]\n")
        _write(os.path.join(self.etc, "passwd"), "bob:pw\n")
        _write(os.path.join(self.etc, "hook.sh"), "#!/bin/sh\n", 0o755)
        self.cert, self.key, _ = makeCertificate(self.etc)
        self.removed = os.path.join(self.base, "run")
        os.chdir(self.removed)
        os.rmdir(self.removed)

    def under(self, *segments):
        """
        @return: the absolute path of C{segments} under the base.
        """
        return os.path.join(self.base, *segments)


class WorkerTests(_Removed):
    """
    A worker, told the directory its acceptor started in (removed since),
    resolves each option's relative path against it, as the acceptor did.
    """

    def setUp(self):
        _Removed.setUp(self)
        self.patch(startdirectory, "_given", [])
        self.assertEqual(takeStart([START + self.removed, "--read-only"]),
                         ["--read-only"])
        self.patch(keptfiles, "_received", [True])

    def test_root(self):
        """
        C{--root}, given or not (the acceptor's directory).
        """
        self.assertEqual(parse("--root", "../srv")["root"], self.under("srv"))
        self.assertEqual(parse()["root"], self.removed)

    def test_authFiles(self):
        """
        C{--auth file:PATH} and C{--auth users:PATH}.
        """
        options = parse("--auth", "file:../etc/passwd",
                        "--auth", "users:../etc/users.toml")
        password, users = [each.checker for each in options["credCheckers"]]
        self.assertEqual(password.filename, self.under("etc", "passwd"))
        self.assertEqual(users.database.path, self.under("etc", "users.toml"))

    def test_realms(self):
        """
        C{--realm users:PATH}, C{--realm filesystem:DIR}, and a C{--vhost}
        of each with a C{--vhost-root}.
        """
        options = parse("--realm", "users:../etc/users.toml",
                        "--vhost", "a.example=filesystem:../vh",
                        "--vhost", "b.example=users:../etc/users.toml",
                        "--vhost-root", "b.example=../vh")
        self.assertEqual(options["realmObject"].database.path,
                         self.under("etc", "users.toml"))
        first, second = options["config"].virtualHosts
        self.assertEqual(first.realm.root, self.under("vh"))
        self.assertEqual(second.realm.root, self.under("vh"))

    def test_fsspec(self):
        """
        C{--realm fsspec:} of a local path, with C{users=}.
        """
        try:
            import fsspec  # noqa: F401
        except ImportError:
            raise unittest.SkipTest("fsspec is not installed")
        options = parse(
            "--realm", "fsspec:file://../vh?users=../etc/users.toml")
        realm = options["realmObject"]
        self.assertEqual(realm.database.path, self.under("etc", "users.toml"))
        self.assertEqual(realm.root, self.under("vh"))

    def test_xferlog(self):
        """
        C{--xferlog}, which a worker does not open at start.
        """
        self.assertEqual(parse("--xferlog", "../etc/x.log")["config"].xferlog,
                         self.under("etc", "x.log"))

    def test_onUpload(self):
        """
        C{--on-upload}'s program, there or gone since.
        """
        config = parse("--on-upload", "../etc/hook.sh a")["config"]
        self.assertEqual(config.onUpload,
                         (self.under("etc", "hook.sh"), "a"))
        config = parse("--on-upload", "../etc/gone.sh")["config"]
        self.assertEqual(config.onUpload, (self.under("etc", "gone.sh"),))

    def test_tls(self):
        """
        C{--tls-cert} and C{--tls-key}, read again by the same paths.
        """
        config = parse("--tls-cert", os.path.relpath(self.cert, self.removed),
                       "--tls-key", "../etc/" + os.path.basename(self.key),
                       )["config"]
        files = config.tlsContextFactory.files
        self.assertEqual(sorted(files.keptFiles()),
                         sorted([self.cert, self.key]))
        files.reload()

    def test_unixListener(self):
        """
        A C{unix:} listener's path (its directory checked, and compared
        with the others').
        """
        parse("--listen", "unix:../etc/ftp.sock")


class OneProcessTests(_Removed):
    """
    One process started from a directory that no longer exists: a
    relative path in any option is a usage error naming the option; an
    absolute one serves.
    """

    def test_relative(self):
        """
        Each option with a relative path says so; several were a
        C{FileNotFoundError} traceback.
        """
        for args in [("--root", "../srv"),
                     ("--auth", "file:../etc/passwd"),
                     ("--realm", "users:../etc/users.toml"),
                     ("--xferlog", "../etc/x.log"),
                     ("--on-upload", "../etc/hook.sh"),
                     ("--tls-cert", "../etc/server.pem"),
                     ("--listen", "unix:../etc/ftp.sock")]:
            root = () if args[0] == "--root" else ("--root", self.under("srv"))
            error = self.assertRaises(usage.UsageError, parse, *root, *args)
            self.assertTrue(str(error).startswith(args[0] + ":"), error)
            self.assertIn("relative to the current directory", str(error))

    def test_absolute(self):
        """
        Absolute paths do not need the current directory.
        """
        options = parse("--root", self.under("srv"),
                        "--auth", "users:" + self.under("etc", "users.toml"),
                        "--xferlog", self.under("etc", "x.log"))
        self.assertEqual(options["config"].xferlog, self.under("etc", "x.log"))


class ArgumentsTests(unittest.SynchronousTestCase):
    """
    How a worker learns its acceptor's directory.
    """

    def test_roundTrip(self):
        """
        L{workerArgv} puts the directory before the options, which
        L{takeStart} gives back; L{fromStart} then resolves against it.
        """
        self.patch(startdirectory, "_given", [])
        argv = workerArgv(["--root", "srv"])
        self.assertEqual(argv, [START + os.getcwd(), "--root", "srv"])
        self.assertEqual(takeStart(["--root", "srv"]), ["--root", "srv"])
        self.assertEqual(startdirectory._given, [])
        self.assertEqual(takeStart(["--start-directory=/a/b", "-x"]), ["-x"])
        self.assertEqual(fromStart("../c/./d"), "/a/c/d")
        self.assertEqual(fromStart("/e//f"), "/e/f")

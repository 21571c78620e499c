"""
Tests for L{ftpkit.auth.passwd}, the C{python -m ftpkit.passwd} command.
"""

import io
import os
import shlex
import stat
import subprocess
import sys
import tomllib

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth import passwd
from ftpkit.auth.users import UsersDatabase, verifyPassword
from tests.twistdrun import SOURCE

EXISTING = """
# a comment, lost on rewrite
[users.alice]
password = "scrypt$16$1$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA=="
home = "/srv/alice"
permissions = ["list", "read", "write"]
quota = 5000
quota-files = 300
read-only = true
max-download-rate = "500K"
max-upload-rate = 1048576

[users.alice.directories."/in \\"box\\""]
permissions = ["write"]

[users."bob smith"]
home = "bob"
"""


def runCommand(*args, stdin=b""):
    """
    Run C{python -m ftpkit.passwd ARGS} in a child process.

    @return: C{(exitCode, stdout, stderr)} as text.
    """
    env = dict(os.environ, PYTHONPATH=SOURCE)
    done = subprocess.run(
        [sys.executable, "-m", "ftpkit.passwd", *args], input=stdin,
        capture_output=True, env=env, timeout=120, check=False)
    return (done.returncode, done.stdout.decode("utf-8"),
            done.stderr.decode("utf-8"))


def readTables(path):
    """
    @return: the user tables of the TOML file at C{path}.
    """
    with open(path, "rb") as f:
        return tomllib.load(f).get("users", {})


class CommandTests(unittest.TestCase):
    """
    The command, run as users run it.
    """

    def setUp(self):
        self.path = os.path.join(os.path.abspath(self.mktemp()), "users.toml")
        os.makedirs(os.path.dirname(self.path))

    def test_addResetDelete(self):
        """
        Add a user to a new file (mode 0600), reset their password, then
        delete them.
        """
        code, out, err = runCommand(
            self.path, "carol", "--password-stdin", "--home", "c",
            "--permissions", "list,read,write", "--quota", "100",
            "--quota-files", "7", stdin=b"first\n")
        self.assertEqual(code, 0, err)
        self.assertIn("added carol", out)
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o600)
        carol = readTables(self.path)["carol"]
        self.assertTrue(verifyPassword("first", carol["password"]))
        self.assertEqual(
            (carol["home"], carol["permissions"], carol["quota"],
             carol["quota-files"]),
            ("c", ["list", "read", "write"], 100, 7))
        code, out, err = runCommand(self.path, "carol", "--password-stdin",
                                    stdin=b"second\n")
        self.assertEqual(code, 0, err)
        self.assertIn("reset the password of carol", out)
        carol = readTables(self.path)["carol"]
        self.assertTrue(verifyPassword("second", carol["password"]))
        self.assertEqual(carol["quota"], 100)
        code, out, err = runCommand(self.path, "--delete", "carol")
        self.assertEqual(code, 0, err)
        self.assertEqual(readTables(self.path), {})
        UsersDatabase(self.path)

    def test_preservesOthers(self):
        """
        Resetting one password keeps every other field and user (the
        rates and the file quota too: the rates were dropped).
        """
        with open(self.path, "w") as f:
            f.write(EXISTING)
        before = readTables(self.path)
        code, out, err = runCommand(self.path, "bob smith", "--password-stdin",
                                    stdin=b"pw\n")
        self.assertEqual(code, 0, err)
        after = readTables(self.path)
        self.assertEqual(after["alice"], before["alice"])
        self.assertTrue(verifyPassword("pw", after["bob smith"].pop("password")))
        self.assertEqual(after["bob smith"], before["bob smith"])

    def test_keepsRates(self):
        """
        A user's rates stay when their password is reset (they were
        dropped: the file was written back without them).
        """
        with open(self.path, "w") as f:
            f.write('[users.x]\nmax-download-rate = "500K"\n'
                    'max-upload-rate = 2048\n')
        code, out, err = runCommand(self.path, "x", "--password-stdin",
                                    stdin=b"pw\n")
        self.assertEqual(code, 0, err)
        x = readTables(self.path)["x"]
        self.assertEqual((x["max-download-rate"], x["max-upload-rate"]),
                         ("500K", 2048))

    def test_errors(self):
        """
        Mistakes exit with a status and a message, changing nothing.
        """
        with open(self.path, "w") as f:
            f.write(EXISTING)
        code, out, err = runCommand(self.path, "--delete", "nobody")
        self.assertEqual(code, 1)
        self.assertIn("no user 'nobody'", err)
        code, out, err = runCommand(self.path, "x", "--permissions", "fly")
        self.assertEqual(code, 2)
        self.assertIn("unknown permission 'fly'", err)
        code, out, err = runCommand(self.path)
        self.assertEqual(code, 2)
        for bad in ("0", "-3", "many"):
            code, out, err = runCommand(self.path, "x", "--quota-files", bad)
            self.assertEqual(code, 2)
            self.assertIn("--quota-files: must be a positive integer", err)
            self.assertNotIn("Traceback", err)
        code, out, err = runCommand(self.path, "x", "--password-stdin",
                                    stdin=b"\n")
        self.assertEqual(code, 1)
        self.assertIn("empty password", err)
        code, out, err = runCommand(self.path, "esc", "--password-stdin",
                                    "--home", "../../..", stdin=b"pw\n")
        self.assertEqual(code, 1)
        self.assertIn("users.esc.home: '../../..' climbs out of --root", err)
        with open(self.path) as f:
            self.assertEqual(f.read(), EXISTING)
        with open(self.path, "w") as f:
            f.write("[users.x]\nquota = -1\n")
        code, out, err = runCommand(self.path, "x", "--password-stdin",
                                    stdin=b"pw\n")
        self.assertEqual(code, 1)
        self.assertIn("users.x.quota", err)
        self.assertNotIn("Traceback", err)


    def test_quotaSizes(self):
        """
        C{--quota} takes the server's sizes, K, M and G suffixes and all
        (L{ftpkit.deploy.limitoptions.parseByteCount}), and writes bytes;
        C{--quota 10M} was refused (C{must be a number of bytes}) though
        C{--max-upload-size 10M} was not. A bad size is a one-line usage
        error.
        """
        code, out, err = runCommand(self.path, "x", "--password-stdin",
                                    "--quota", "10M", stdin=b"pw\n")
        self.assertEqual(code, 0, err)
        self.assertEqual(readTables(self.path)["x"]["quota"], 10 << 20)
        code, out, err = runCommand(self.path, "x", "--password-stdin",
                                    "--quota", "0", stdin=b"pw\n")
        self.assertEqual(code, 0, err)
        self.assertEqual(readTables(self.path)["x"]["quota"], 0)
        for bad in ("10X", "-1", "9" * 400):
            code, out, err = runCommand(self.path, "x", "--quota", bad)
            self.assertEqual(code, 2)
            self.assertIn("error: argument --quota: must be", err)
            self.assertEqual(err.count("error"), 1)
            self.assertNotIn("Traceback", err)

    def test_readmeExample(self):
        """
        The user README's example adds may upload into the quota it is
        given: it gave only C{--quota} and C{--quota-files}, so the user
        had the default permissions, C{list} and C{read}, and every upload
        got C{550}.
        """
        with open(os.path.join(SOURCE, "README.md"), encoding="utf-8") as f:
            lines = f.read().replace("\\\n", " ").splitlines()
        line, = [line for line in lines
                 if line.startswith("python -m ftpkit.passwd ")]
        args = shlex.split(line)[3:]
        args[0] = self.path
        code, out, err = runCommand(*args, "--password-stdin", stdin=b"pw\n")
        self.assertEqual(code, 0, err)
        user, = readTables(self.path).values()
        self.assertIn("quota", user)
        permissions = user.get("permissions", [])
        self.assertIn("write", permissions)
        self.assertIn("mkdir", permissions)


class OwnerTests(unittest.TestCase):
    """
    Rewriting keeps the file's owner, group and mode, so a server running
    under C{--uid} can still read it, and a deleted user cannot log in.
    """

    def setUp(self):
        self.path = os.path.join(os.path.abspath(self.mktemp()), "users.toml")
        os.makedirs(os.path.dirname(self.path))
        with open(self.path, "w") as f:
            f.write(EXISTING)

    def test_modeKept(self):
        os.chmod(self.path, 0o640)
        code, out, err = runCommand(self.path, "--delete", "bob smith")
        self.assertEqual(code, 0, err)
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o640)

    def test_ownerKept(self):
        """
        Run as root on a file of the service account, the file stays that
        account's, and that account can read it.
        """
        if os.getuid() != 0:
            raise unittest.SkipTest("needs root to give the file away")
        os.chmod(os.path.dirname(os.path.dirname(self.path)), 0o755)
        os.chown(os.path.dirname(self.path), 65534, 65534)
        os.chown(self.path, 65534, 65534)
        os.chmod(self.path, 0o600)
        code, out, err = runCommand(self.path, "--delete", "bob smith")
        self.assertEqual(code, 0, err)
        info = os.stat(self.path)
        self.assertEqual((info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)),
                         (65534, 65534, 0o600))
        read = subprocess.run(["cat", self.path], user=65534, group=65534,
                              extra_groups=[], capture_output=True,
                              check=False)
        self.assertEqual(read.returncode, 0, read.stderr)
        self.assertNotIn(b"bob smith", read.stdout)

    @defer.inlineCallbacks
    def test_deletedUserRefused(self):
        """
        A checker on the file refuses a user deleted while it runs, once
        it read the file again (in a thread).
        """
        from twisted.cred.credentials import UsernamePassword
        from twisted.cred.error import UnauthorizedLogin

        from ftpkit.auth.users import UsersChecker, hashPassword

        with open(self.path, "w") as f:
            f.write(f'[users.carol]\npassword = "{hashPassword("pw")}"\n')
        checker = UsersChecker(UsersDatabase(self.path),
                               run=lambda f, *a: defer.maybeDeferred(f, *a))
        self.assertEqual(self.successResultOf(checker.requestAvatarId(
            UsernamePassword(b"carol", b"pw"))), "carol")
        self.assertEqual(passwd.main([self.path, "--delete", "carol"],
                                     stdout=io.StringIO()), 0)
        yield self.assertFailure(checker.requestAvatarId(
            UsernamePassword(b"carol", b"pw")), UnauthorizedLogin)


class MainTests(unittest.TestCase):
    """
    L{passwd.main} in-process, and the TOML writer.
    """

    def test_prompt(self):
        """
        Without C{--password-stdin} the password is asked twice; two
        different answers change nothing.
        """
        path = self.mktemp()
        answers = iter(["one", "two"])
        errors = io.StringIO()
        status = passwd.main([path, "dave"], stdout=io.StringIO(),
                             stderr=errors, prompt=lambda text: next(answers))
        self.assertEqual(status, 1)
        self.assertIn("the passwords differ", errors.getvalue())
        self.assertFalse(os.path.exists(path))
        status = passwd.main([path, "dave"], stdout=io.StringIO(),
                             prompt=lambda text: "same")
        self.assertEqual(status, 0)
        self.assertTrue(verifyPassword("same",
                                       readTables(path)["dave"]["password"]))

    def test_badNameNotPrompted(self):
        """
        A user name the server cannot use (empty, starting with C{.},
        holding C{/}) is an error before the password is asked for, as is
        a field of the user's table the server would refuse: the password
        was asked twice first, then the name refused.
        """
        path = self.mktemp()

        def prompt(text):
            self.fail(f"asked {text!r}")

        for name in ("", ".hidden", "a/b", "tab\there"):
            errors = io.StringIO()
            status = passwd.main([path, name], stdout=io.StringIO(),
                                 stderr=errors, prompt=prompt)
            self.assertEqual(status, 1)
            self.assertEqual(
                errors.getvalue(),
                f"python -m ftpkit.passwd: error: {name!r} is not a usable "
                "user name (it must not be empty, start with '.', or hold "
                "'/', '\\' or a control character)\n")
        with open(path, "w") as f:
            f.write("[users.x]\nquota = -1\n")
        errors = io.StringIO()
        status = passwd.main([path, "x"], stdout=io.StringIO(),
                             stderr=errors, prompt=prompt)
        self.assertEqual(status, 1)
        self.assertIn("users.x.quota", errors.getvalue())
        self.assertFalse(os.path.exists(path + ".tmp"))

    def test_badNameCommand(self):
        """
        Run as users run it, with no terminal: the name is refused; it
        was the input's end at the password prompt.
        """
        code, out, err = runCommand(self.mktemp(), "../x")
        self.assertEqual((code, out), (1, ""))
        self.assertIn("'../x' is not a usable user name", err)
        self.assertNotIn("password", err.lower())

    def test_promptEndOfInput(self):
        """
        Input that ends at the prompt (no terminal, as in a script that
        forgot C{--password-stdin}; C{getpass} raises C{EOFError}) is an
        error message and status 1, not a traceback; the file is kept.
        """
        path = self.mktemp()
        errors = io.StringIO()

        def ended(text):
            raise EOFError()
        status = passwd.main([path, "dave"], stdout=io.StringIO(),
                             stderr=errors, prompt=ended)
        self.assertEqual(status, 1)
        self.assertIn("no password: the input ended (use --password-stdin)",
                      errors.getvalue())
        self.assertFalse(os.path.exists(path))

    def test_unwritableNamesGivenPath(self):
        """
        A users file that cannot be written (its directory missing) is
        an error naming that file, not the temporary file the command
        writes first.
        """
        path = os.path.join(os.path.abspath(self.mktemp()), "u.toml")
        errors = io.StringIO()
        status = passwd.main([path, "bob", "--password-stdin"],
                             stdin=io.StringIO("pw\n"), stdout=io.StringIO(),
                             stderr=errors)
        self.assertEqual(status, 1)
        self.assertEqual(
            errors.getvalue(),
            f"python -m ftpkit.passwd: error: cannot write {path}: "
            "No such file or directory\n")

    def test_roundTrip(self):
        """
        L{passwd.formatUsers} writes what C{tomllib} reads back the same,
        awkward names and paths included.
        """
        users = {
            "alice": {"password": "scrypt$x", "quota": 0, "read-only": False,
                      "permissions": [], "directories": {
                          '/a "b"\\c': {"permissions": ["list"]},
                          "/ünï\x7f\t": {"permissions": []}}},
            "bob.smith": {"home": "/x\ny"},
            "émile": {},
        }
        text = passwd.formatUsers(users)
        self.assertEqual(tomllib.loads(text)["users"], users)

"""
The users file in a running server: quotas, C{SITE CHMOD}, reloading
on C{SIGHUP}, and the options that name it (the file's parsing and
the realm are in L{tests.integration.test_users}).
"""

import ftplib
import io
import os
import re
import signal

from twisted.internet import defer
from twisted.python import usage
from twisted.trial import unittest

from ftpkit.auth.realms import ReloadOnHangup, TextCredentialsChecker, reloadTargets
from ftpkit.auth.users import (
    UsersChecker,
    UsersDatabase,
    UsersRealm,
)
from ftpkit.deploy import tap
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.integration.test_users import GOOD
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.twistdrun import SOURCE
from tests.usersfiles import ALICE_HASH, startUsersServer, writeText


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
        server = startUsersServer(
            self, root, '[users.alice]\npermissions = ["list", "read",'
            ' "write"]\nquota = 1000\n', {"alice": "pw"})

        def client():
            ftp = ftplibLogin(self, server.port, "alice", "pw")
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


class FileQuotaServerTests(LoopbackServerMixin, unittest.TestCase):
    """
    The file quota (C{quota-files}) through a real server and C{ftplib}.
    """

    @defer.inlineCallbacks
    def test_fileQuota(self):
        """
        With C{quota-files = 3}: three files fit, the fourth gets 552 and
        leaves no file; replacing a file works at the quota; C{MKD} gets
        550; after C{DELE}, one more file fits.
        """
        root = os.path.abspath(self.mktemp())
        os.makedirs(root)
        server = startUsersServer(
            self, root, '[users.alice]\npermissions = ["list", "read",'
            ' "write", "delete", "mkdir"]\nquota-files = 3\n',
            {"alice": "pw"})

        def client():
            ftp = ftplibLogin(self, server.port, "alice", "pw")
            replies = []

            def attempt(command, *args):
                try:
                    replies.append(command(*args)[:3])
                except ftplib.error_perm as e:
                    replies.append(str(e))

            for name in ("1", "2", "3", "4"):
                attempt(ftp.storbinary, "STOR " + name, io.BytesIO(b"x"))
            attempt(ftp.storbinary, "STOR 2", io.BytesIO(b"replaced"))
            attempt(ftp.mkd, "dir")
            attempt(ftp.delete, "1")
            attempt(ftp.storbinary, "STOR 5", io.BytesIO(b"y"))
            attempt(ftp.storbinary, "STOR 6", io.BytesIO(b"z"))
            ftp.quit()
            return replies

        replies = yield self.inThread(client)
        self.assertEqual([reply[:3] for reply in replies],
                         ["226", "226", "226", "552", "226", "550", "250",
                          "226", "552"])
        self.assertIn("too many files", replies[3])
        home = os.path.join(root, "alice")
        self.assertEqual(sorted(os.listdir(home)), ["2", "3", "5"])
        with open(os.path.join(home, "2"), "rb") as f:
            self.assertEqual(f.read(), b"replaced")


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
        server = startUsersServer(
            self, root, '[users.alice]\npermissions = ["list", "chmod"]\n'
            '[users.bob]\npermissions = ["list", "read", "write"]\n',
            {"alice": "pw", "bob": "pw"})

        def client(user):
            ftp = ftplibLogin(self, server.port, user, "pw")
            try:
                code = ftp.sendcmd("SITE CHMOD 600 f.txt")[:3]
            except ftplib.Error as e:
                code = str(e)[:3]
            ftp.quit()
            return code

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
        The realm and a (wrapped) checker of one database reload it, in a
        thread (C{reloadInThread}); a realm without C{reload} adds
        nothing; each callable comes once; an outside plugin's realm with
        a C{reload} alone reloads with it.
        """
        path = self.mktemp()
        writeText(path, GOOD)
        database = UsersDatabase(path)
        realm = UsersRealm(database, ".")
        checker = TextCredentialsChecker(UsersChecker(database))
        targets = reloadTargets([realm, checker, object()])
        self.assertEqual(targets, [database.reloadInThread])

        class Outside:
            def reload(self):
                return True

        outside = Outside()
        self.assertEqual(reloadTargets([outside]), [outside.reload])

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

        def previous(number, frame):
            pass

        self.addCleanup(signal.signal, signal.SIGHUP,
                        signal.signal(signal.SIGHUP, previous))
        hangup = ReloadOnHangup([broken, lambda: called.callback(True)])
        hangup.startService()
        self.addCleanup(hangup.stopService)
        os.kill(os.getpid(), signal.SIGHUP)

        def check(result):
            self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)
            hangup.stopService()
            self.assertEqual(signal.getsignal(signal.SIGHUP), previous)

        return called.addCallback(check)

    def test_stoppedIgnores(self):
        """
        Where C{SIGHUP}'s handler was its default action (ending the
        process), a stopped service leaves it ignored: the process is
        draining, and a C{SIGHUP} then must not end it.
        """
        if not hasattr(signal, "SIGHUP"):
            raise unittest.SkipTest("no SIGHUP here")
        self.addCleanup(signal.signal, signal.SIGHUP,
                        signal.signal(signal.SIGHUP, signal.SIG_DFL))
        hangup = ReloadOnHangup([])
        hangup.startService()
        hangup.stopService()
        self.assertEqual(signal.getsignal(signal.SIGHUP), signal.SIG_IGN)


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

    def test_documentedError(self):
        """
        A mistake in the file given to both options, in the order the
        docs give them, is the usage error C{virtual-users.rst} shows: it
        said C{--realm:}, where C{--auth}, which reads the file while the
        options are parsed, reports it.
        """
        with open(os.path.join(SOURCE, "docs", "virtual-users.rst"),
                  encoding="utf-8") as f:
            text = " ".join(f.read().split())
        shown = re.search(r"``(--\w+: /etc/ftpkit/users.toml: [^`]*)``",
                          text).group(1)
        bad = os.path.abspath(self.mktemp())
        writeText(bad, "[users.alice]\nquota = -1\n")
        e = self.assertRaises(usage.UsageError, self.parse, "--realm",
                              f"users:{bad}", "--auth", f"users:{bad}")
        self.assertEqual(str(e), shown.replace("/etc/ftpkit/users.toml", bad))

    def test_serviceReloads(self):
        """
        With the users realm and checker, the service reloads the file on
        C{SIGHUP}, once: both use one L{UsersDatabase} (each read the file
        and logged "reloaded N users" at every C{SIGHUP}).
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
        self.assertIs(options["realmObject"].database, checker.database)
        self.assertEqual(hangups[0].targets,
                         [checker.database.reloadInThread])


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
        root = scratchDirectory(self)
        path = os.path.join(root, "users.toml")
        writeText(path, f'[users.alice]\npassword = "{ALICE_HASH}"\n'
                  'permissions = ["list", "read", "write"]\n')
        server = ServerProcess(self, [
            "--root", root, "--realm", f"users:{path}",
            "--auth", f"users:{path}"], twistd=True, cwd=root)
        server.waitForGreeting()
        refused = ftplib.FTP()
        refused.connect("127.0.0.1", server.port, timeout=30)
        self.addCleanup(refused.close)
        self.assertRaises(ftplib.error_perm, refused.login, "alice", "wrong")
        ftp = server.login("alice", "secret")
        self.assertEqual(ftp.pwd(), "/")
        ftp.storbinary("STOR hello.txt", io.BytesIO(b"hello"))
        self.assertEqual(ftp.nlst(), ["hello.txt"])
        ftp.quit()
        with open(os.path.join(root, "alice", "hello.txt"), "rb") as f:
            self.assertEqual(f.read(), b"hello")

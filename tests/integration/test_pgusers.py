"""
Users in PostgreSQL: L{ftpkit.auth.pgusers}, C{python -m ftpkit.pgadmin}, and
C{--auth pg:DSN --realm pg:DSN} servers against a real PostgreSQL started
by the tests.
"""

import atexit
import ftplib
import io
import json
import os
import sys

from twisted.internet import defer
from twisted.logger import capturedLogs
from twisted.python import usage
from twisted.trial import unittest

from ftpkit.auth import pgadmin
from ftpkit.auth.pgusers import COLUMN_NAMES, PostgresUsers, entryFromRow
from ftpkit.auth.users import UsersFileError, hashPassword
from ftpkit.deploy.tap import Options
from tests.ftpclient import ftplibLogin
from tests.pgserver import PostgresServer, binaries
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess, freePort

try:
    import psycopg
except ImportError:
    psycopg = None

ROW = ("alice", hashPassword("pw", n=2), "alice",
       ["list", "read"], None, False, {})


class EntryFromRowTests(unittest.TestCase):
    """
    L{entryFromRow} applies the users file's rules to a row.
    """

    def test_row(self):
        """
        Columns become the L{ftpkit.auth.users.UserEntry} fields; directory
        rules (as JSON text or already decoded) become permission overrides.
        """
        row = ROW[:4] + (1000, True, '{"/in": ["list", "write"]}')
        entry = entryFromRow(row)
        self.assertEqual((entry.name, entry.home, entry.quota,
                          entry.readOnly), ("alice", "alice", 1000, True))
        self.assertEqual(dict(entry.permissions.overrides),
                         {("in",): frozenset({"list", "write"})})

    def test_fileQuota(self):
        """
        C{quota_files} becomes the file quota, from a row as a C{dict}
        (what the server selects) or as values in L{COLUMN_NAMES} order; a
        row without it (a table not brought up to date) has none; zero is
        refused, as in a file.
        """
        columns = dict(zip(COLUMN_NAMES, ROW), quota_files=3)
        self.assertEqual(entryFromRow(columns).fileQuota, 3)
        self.assertEqual(entryFromRow(ROW + (3,)).fileQuota, 3)
        del columns["quota_files"]
        self.assertIsNone(entryFromRow(columns).fileQuota)
        self.assertIsNone(entryFromRow(ROW).fileQuota)
        self.assertRaises(UsersFileError, entryFromRow, ROW + (0,))

    def test_badRow(self):
        """
        An unknown permission or an unsafe name is refused, as in a file.
        """
        self.assertRaises(UsersFileError, entryFromRow,
                          ROW[:3] + (["fly"],) + ROW[4:])
        self.assertRaises(UsersFileError, entryFromRow, ("../x",) + ROW[1:])


_shared = []


def sharedServer():
    """
    @return: the L{PostgresServer} the tests of this module share, started
        at first use (with the table made) and stopped when the test
        process exits.
    @raise unittest.SkipTest: when psycopg or PostgreSQL is missing.
    """
    if psycopg is None:
        raise unittest.SkipTest("psycopg is not installed")
    if binaries() is None:
        raise unittest.SkipTest("PostgreSQL is not installed")
    if not _shared:
        server = PostgresServer()
        atexit.register(server.stop)
        _shared.append(server)
        status = pgadmin.main(["--dsn", server.dsn, "init"],
                              stdout=io.StringIO())
        if status != 0:
            raise RuntimeError("pgadmin init failed:\n" + server.log())
    return _shared[0]


class ConnectionStringTests(unittest.TestCase):
    """
    C{--auth pg:DSN} and C{--realm pg:DSN} with a connection string libpq
    cannot parse: a usage error at start, where the server started and
    then failed every login with the parse error.
    """

    def setUp(self):
        if psycopg is None:
            raise unittest.SkipTest("psycopg not installed")

    def test_badSyntax(self):
        for option in ["--auth", "--realm"]:
            for dsn, why in [("nodb", 'missing "=" after "nodb"'),
                             ("host=x colour=red",
                              'invalid connection option "colour"')]:
                error = self.assertRaises(
                    usage.UsageError, Options().parseOptions,
                    [option, "pg:" + dsn])
                message = str(error)
                self.assertTrue(message.startswith(
                    f"{option}: pg: bad connection string: "), message)
                self.assertIn(why, message)
                self.assertNotIn("\n", message)


class PostgresTestCase(unittest.TestCase):
    """
    Tests on the module's shared PostgreSQL server.

    @ivar dsn: its connection string.
    """

    def setUp(self):
        self.dsn = sharedServer().dsn

    def admin(self, *args, password=None, dsn=None):
        """
        Run C{python -m ftpkit.pgadmin} in this process.

        @return: C{(status, stdout, stderr)}.
        """
        out, err = io.StringIO(), io.StringIO()
        argv = ["--dsn", dsn or self.dsn, *args]
        if password is not None:
            argv.append("--password-stdin")
        status = pgadmin.main(argv, stdin=io.StringIO(f"{password}\n"),
                              stdout=out, stderr=err)
        return status, out.getvalue(), err.getvalue()

    def addUser(self, name, password, *options):
        """
        Add a user (removed again after the test).
        """
        status, _, err = self.admin("add", name, *options, password=password)
        self.assertEqual((status, err), (0, ""))
        self.addCleanup(self.admin, "remove", name)


class AdminOptionsTests(unittest.SynchronousTestCase):
    """
    C{python -m ftpkit.pgadmin}'s options, read without a database.
    """

    def test_quotaSizes(self):
        """
        C{--quota} of C{add} and C{set} takes the server's sizes, K, M and
        G suffixes and all, as bytes (C{--quota 10M} was refused); a bad
        size is a usage error naming the option.
        """
        parser = pgadmin.makeParser()
        for command in ("add", "set"):
            options = parser.parse_args([command, "bob", "--quota", "1.5G"])
            self.assertEqual(options.quota, 3 << 29)
        stderr = io.StringIO()
        self.patch(sys, "stderr", stderr)
        error = self.assertRaises(SystemExit, parser.parse_args,
                                  ["set", "bob", "--quota", "10X"])
        self.assertEqual(error.code, 2)
        self.assertIn("argument --quota: must be a number of bytes",
                      stderr.getvalue())


class NulNameTests(PostgresTestCase):
    """
    A user name holding a NUL, which no PostgreSQL text can hold.
    """

    @defer.inlineCallbacks
    def test_unknownUser(self):
        """
        It is an unknown user, as any name not in the table: the query
        failed, and a client sending C{USER} with a NUL got C{421} and
        logged C{PostgreSQL user database unavailable}, not a failed login.
        """
        users = PostgresUsers(self.dsn)
        self.addCleanup(users.close)
        entry = yield users.get("frank\x00")
        self.assertIsNone(entry)


class NotUTF8NameTests(PostgresTestCase):
    """
    A user name holding bytes that are not UTF-8.
    """

    @defer.inlineCallbacks
    def test_unknownUser(self):
        """
        It is an unknown user, and nothing is logged: psycopg could not
        encode it, so a client sending C{USER} with such bytes got C{421}
        and an error line said the user database was unavailable.
        """
        users = PostgresUsers(self.dsn)
        self.addCleanup(users.close)
        with capturedLogs() as logged:
            entry = yield users.get("\udcc3( frank")
        self.assertIsNone(entry)
        self.assertEqual(logged, [])


class AdminTests(PostgresTestCase):
    """
    C{python -m ftpkit.pgadmin} manages the table.
    """

    def listed(self):
        status, out, _ = self.admin("list")
        self.assertEqual(status, 0)
        return {e["name"]: e for e in map(json.loads, out.splitlines())}

    def test_addSetRemove(self):
        """
        C{add} stores a user with defaults, C{set} changes fields, C{list}
        shows them without the password hash, C{remove} removes.
        """
        self.addUser("bob", "pw")
        self.assertEqual(self.listed()["bob"], {
            "name": "bob", "home": "bob", "permissions": ["list", "read"],
            "quota": None, "read_only": False, "directories": {},
            "quota_files": None})
        status, out, _ = self.admin(
            "set", "bob", "--quota", "5000", "--read-only",
            "--directory", "/in=list,write", "--quota-files", "20")
        self.assertEqual((status, out), (0, "changed bob\n"))
        bob = self.listed()["bob"]
        self.assertEqual((bob["quota"], bob["read_only"], bob["directories"],
                          bob["quota_files"]),
                         (5000, True, {"/in": ["list", "write"]}, 20))
        self.assertEqual(self.admin("set", "bob", "--no-quota-files")[0], 0)
        self.assertIsNone(self.listed()["bob"]["quota_files"])
        self.assertEqual(self.admin("remove", "bob")[:2], (0, "removed bob\n"))
        self.assertNotIn("bob", self.listed())

    def test_errors(self):
        """
        Adding a user twice, changing or removing a missing one, and an
        unreachable database are one-line errors with status 1.
        """
        self.addUser("carol", "pw")
        status, _, err = self.admin("add", "carol", password="pw")
        self.assertEqual((status, err),
                         (1, "pgadmin: user 'carol' exists: use set\n"))
        self.assertEqual(self.admin("set", "nobody-here", "--quota", "1")[0],
                         1)
        self.assertEqual(self.admin("remove", "nobody-here")[0], 1)
        status, _, err = self.admin(
            "list", dsn=f"host=127.0.0.1 port={freePort()} connect_timeout=2")
        self.assertEqual(status, 1)
        self.assertEqual(err.count("\n"), 1)
        self.assertTrue(err.startswith("pgadmin: "), err)


    def test_badEntryNotPrompted(self):
        """
        C{add} with a user name the server cannot use (empty, starting
        with C{.}, holding C{/}) or a field it would refuse, and C{set
        --password} with such a field, are errors before the password is
        asked for, as in C{python -m ftpkit.passwd}: it was asked twice
        first, then the name or the field refused.
        """
        def prompt(text):
            self.fail(f"asked {text!r}")

        def admin(*args):
            errors = io.StringIO()
            status = pgadmin.main(["--dsn", self.dsn, *args],
                                  stdin=io.StringIO(), stdout=io.StringIO(),
                                  stderr=errors, prompt=prompt)
            return status, errors.getvalue()

        for name in ("", ".hidden", "a/b", "tab\there"):
            self.assertEqual(admin("add", name), (
                1, f"pgadmin: {name!r} is not a usable user name (it must "
                "not be empty, start with '.', or hold '/', '\\' or a "
                "control character)\n"))
        status, errors = admin("add", "frank", "--home", "")
        self.assertEqual(status, 1)
        self.assertIn("users.frank.home", errors)
        self.addUser("erin", "pw")
        status, errors = admin("set", "erin", "--password", "--home", "")
        self.assertEqual(status, 1)
        self.assertIn("users.erin.home", errors)
        listed = self.listed()
        self.assertEqual(listed["erin"]["home"], "erin")
        for name in ("", ".hidden", "a/b", "tab\there", "frank"):
            self.assertNotIn(name, listed)


class ServerTests(PostgresTestCase):
    """
    C{python -m ftpkit --auth pg:DSN --realm pg:DSN}: users as in a users
    file, read at each login, shared by several servers.
    """

    def startServer(self, root, dsn=None):
        dsn = dsn or self.dsn
        server = ServerProcess(self, ["--root", root, "--auth", f"pg:{dsn}",
                                      "--realm", f"pg:{dsn}"])
        server.waitForGreeting()
        return server

    def test_twoServers(self):
        """
        Two servers on one database and one root: a user added while they
        run logs in on both; a file uploaded through one is listed and
        downloaded through the other; a removed user is refused at once.
        """
        root = scratchDirectory(self)
        first, second = self.startServer(root), self.startServer(root)
        self.addUser("dave", "secret", "--permissions", "list,read,write")
        ftp = ftplibLogin(self, first.port, "dave", "secret")
        ftp.storbinary("STOR shared.txt", io.BytesIO(b"from one"))
        ftp.quit()
        ftp = ftplibLogin(self, second.port, "dave", "secret")
        self.assertEqual(ftp.nlst(), ["shared.txt"])
        got = io.BytesIO()
        ftp.retrbinary("RETR shared.txt", got.write)
        self.assertEqual(got.getvalue(), b"from one")
        ftp.quit()
        self.assertRaises(ftplib.error_perm, ftplibLogin, self,
                          second.port, "dave", "wrong")
        self.admin("remove", "dave")
        self.assertRaises(ftplib.error_perm, ftplibLogin, self,
                          first.port, "dave", "secret")

    def test_quotaAndReadOnly(self):
        """
        The quota and read-only flag of the row hold: 552 past the quota,
        550 for a read-only user's upload.
        """
        root = scratchDirectory(self)
        server = self.startServer(root)
        self.addUser("erin", "pw", "--permissions", "list,read,write",
                     "--quota", "100")
        ftp = ftplibLogin(self, server.port, "erin", "pw")
        ftp.storbinary("STOR a", io.BytesIO(b"x" * 60))
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.storbinary("STOR b", io.BytesIO(b"x" * 60))
        self.assertTrue(str(caught.exception).startswith("552"))
        ftp.quit()
        self.admin("set", "erin", "--read-only")
        ftp = ftplibLogin(self, server.port, "erin", "pw")
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.storbinary("STOR c", io.BytesIO(b"x"))
        self.assertTrue(str(caught.exception).startswith("550"))
        ftp.quit()

    def test_vhostRoot(self):
        """
        With C{--vhost NAME=pg:DSN --vhost-root NAME=DIR}, a user of the
        one table has a home under DIR on that host, under C{--root}
        elsewhere.
        """
        roots = []
        for _ in range(2):
            roots.append(os.path.abspath(self.mktemp()))
            os.mkdir(roots[-1])
        server = ServerProcess(self, [
            "--root", roots[0], "--auth", f"pg:{self.dsn}",
            "--realm", f"pg:{self.dsn}",
            "--vhost", f"a.example=pg:{self.dsn}",
            "--vhost-root", f"a.example={roots[1]}"])
        server.waitForGreeting()
        self.addUser("finn", "pw", "--permissions", "list,read,write")
        for host, root in ((None, roots[0]), ("a.example", roots[1])):
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", server.port, timeout=30)
            if host is not None:
                ftp.sendcmd("HOST " + host)
            ftp.login("finn", "pw")
            ftp.storbinary("STOR up.txt", io.BytesIO(root.encode()))
            ftp.quit()
            with open(os.path.join(root, "finn", "up.txt"), "rb") as f:
                self.assertEqual(f.read(), root.encode())


OLD_SCHEMA = """\
CREATE TABLE ftpkit_users (
    name text PRIMARY KEY,
    password text,
    home text NOT NULL,
    permissions text[] NOT NULL DEFAULT '{list,read}',
    quota bigint CHECK (quota >= 0),
    read_only boolean NOT NULL DEFAULT false,
    directories jsonb NOT NULL DEFAULT '{}'
)
"""
"""The table as ftpkit made it before C{quota_files}."""


class OlderTableTests(PostgresTestCase):
    """
    A table made by an older ftpkit, without C{quota_files}.
    """

    def olderDatabase(self):
        """
        @return: the connection string of a new database holding the older
            table, with user C{gus} (password C{pw}, may write).
        """
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            connection.execute("CREATE DATABASE older")
        self.addCleanup(self.dropOlder)
        dsn = self.dsn.replace("dbname=postgres", "dbname=older")
        with psycopg.connect(dsn) as connection:
            connection.execute(OLD_SCHEMA)
            connection.execute(
                "INSERT INTO ftpkit_users (name, password, home, permissions)"
                " VALUES ('gus', %s, 'gus', '{list,read,write}')",
                (hashPassword("pw", n=2),))
        return dsn

    def dropOlder(self):
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            connection.execute("DROP DATABASE older WITH (FORCE)")

    def test_olderTable(self):
        """
        Its users log in, without a file quota; C{pgadmin set
        --quota-files} says, in one line, to run C{init}; C{init} adds the
        column keeping the users, and the file quota then holds (552 for
        the file past it).
        """
        dsn = self.olderDatabase()
        root = scratchDirectory(self)
        server = ServerProcess(self, ["--root", root, "--auth", f"pg:{dsn}",
                                      "--realm", f"pg:{dsn}"])
        server.waitForGreeting()
        ftp = ftplibLogin(self, server.port, "gus", "pw")
        for name in "abc":
            ftp.storbinary("STOR " + name, io.BytesIO(b"x"))
        ftp.quit()
        status, _, err = self.admin("set", "gus", "--quota-files", "3",
                                    dsn=dsn)
        self.assertEqual((status, err.count("\n")), (1, 1))
        self.assertIn("python -m ftpkit.pgadmin init", err)
        self.assertEqual(self.admin("init", dsn=dsn)[:2],
                         (0, "ftpkit_users is ready\n"))
        self.assertEqual(self.admin("init", dsn=dsn)[0], 0)
        self.assertEqual(self.admin("set", "gus", "--quota-files", "3",
                                    dsn=dsn)[:2], (0, "changed gus\n"))
        ftp = ftplibLogin(self, server.port, "gus", "pw")
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.storbinary("STOR d", io.BytesIO(b"x"))
        self.assertTrue(str(caught.exception).startswith("552"))
        ftp.storbinary("STOR a", io.BytesIO(b"replaced"))
        ftp.quit()
        self.assertEqual(sorted(os.listdir(os.path.join(root, "gus"))),
                         ["a", "b", "c"])


class DatabaseDownTests(unittest.TestCase):
    """
    With the database down, logins get C{421} and a log line; sessions
    already logged in go on.
    """

    def setUp(self):
        if psycopg is None:
            raise unittest.SkipTest("psycopg is not installed")
        if binaries() is None:
            raise unittest.SkipTest("PostgreSQL is not installed")

    def test_databaseStops(self):
        postgres = PostgresServer()
        stopped = []
        self.addCleanup(lambda: stopped or postgres.stop())
        status = pgadmin.main(["--dsn", postgres.dsn, "init"],
                              stdout=io.StringIO())
        self.assertEqual(status, 0)
        status = pgadmin.main(
            ["--dsn", postgres.dsn, "add", "frank", "--password-stdin"],
            stdin=io.StringIO("pw\n"), stdout=io.StringIO())
        self.assertEqual(status, 0)
        root = os.path.abspath(self.mktemp())
        os.makedirs(os.path.join(root, "frank"))
        with open(os.path.join(root, "frank", "f.txt"), "wb") as f:
            f.write(b"still here")
        server = ServerProcess(self, [
            "--root", root, "--auth", f"pg:{postgres.dsn}",
            "--realm", f"pg:{postgres.dsn}"])
        server.waitForGreeting()
        ftp = ftplibLogin(self, server.port, "frank", "pw")
        postgres.stop()
        stopped.append(True)
        got = io.BytesIO()
        ftp.retrbinary("RETR f.txt", got.write)
        self.assertEqual(got.getvalue(), b"still here")
        late = ftplib.FTP()
        late.connect("127.0.0.1", server.port, timeout=30)
        late.sendcmd("USER frank")
        with self.assertRaises(ftplib.error_temp) as caught:
            late.sendcmd("PASS pw")
        self.assertTrue(str(caught.exception).startswith("421"))
        self.assertEqual(late.sock.recv(100), b"")
        late.close()
        server.waitForLog("PostgreSQL user database unavailable")
        self.assertEqual(ftp.nlst(), ["f.txt"])
        ftp.quit()

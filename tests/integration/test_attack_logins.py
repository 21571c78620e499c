"""
Attacks on logging in, over real loopback sockets: password guessing by
a client that does not wait for its answers (a correct password is
answered at once and a wrong one only after the failed-login delay, so a
guesser hanging up as soon as an answer is late learns as much as one
that waits, on as many connections as it may open); and a client staying
connected without logging in past C{--login-timeout}.

A name the users file or database does not have costs the check a known
name's does (L{UnknownUserCostTests}, L{DatabaseDummyCostTests}); a users
file or storage config nested past the TOML parser's depth is said to be
a file that cannot be used; logins go on after the PostgreSQL of
C{--auth pg:} restarts; and C{REIN} cannot buy a connection more than ten
logins.
"""

import ftplib
import io
import os
import socket
import time

from twisted.cred import checkers, credentials, error, portal
from twisted.cred.credentials import UsernamePassword
from twisted.cred.error import UnauthorizedLogin
from twisted.internet import defer, task
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.auth import pgadmin, users
from ftpkit.auth.checkers import TextCredentialsChecker
from ftpkit.auth.passwordhash import (
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    hashPassword,
    parseHash,
)
from ftpkit.auth.realms import FilesystemRealm
from ftpkit.auth.users import UserEntry, UsersChecker, UsersDatabase
from ftpkit.auth.usersfile import UsersFileError, parseUsersData
from ftpkit.config import ServerConfig
from ftpkit.control.loginfailures import HOLD_AFTER
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.realms import SharedShellRealm
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.storageconfig import readConfig
from tests.loglines import LoggedLines
from tests.pgserver import PostgresServer, binaries
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.usersfiles import writeText

try:
    import psycopg
except ImportError:
    psycopg = None


GUESSERS = 16
"""Connections guessing at once from one address."""


@implementer(checkers.ICredentialsChecker)
class CountingChecker:
    """
    An in-memory password checker that counts the passwords it checks.
    """

    credentialInterfaces = (
        checkers.InMemoryUsernamePasswordDatabaseDontUse
        .credentialInterfaces)

    def __init__(self, users):
        self.checked = 0
        self._checker = checkers.InMemoryUsernamePasswordDatabaseDontUse(
            **users)

    def requestAvatarId(self, credentials):
        self.checked += 1
        return self._checker.requestAvatarId(credentials)


class HangingUpGuesserTests(LoopbackServerMixin, unittest.TestCase):
    """
    Guessers that send their password and hang up at once.
    """

    timeout = 60

    def setUp(self):
        self.checker = CountingChecker({"alice": b"secret"})
        self.server = self.startServer(
            FilesystemRealm(scratchDirectory(self)),
            ServerConfig(loginFailureDelay=10.0))
        self.server.factory.portal = portal.Portal(
            self.server.factory.portal.realm, [self.checker])

    @defer.inlineCallbacks
    def waitForNoSession(self):
        """
        @return: a Deferred firing once every session ended.
        """
        for _ in range(1000):
            if self.server.factory.sessions == 0:
                return
            yield task.deferLater(self.server.reactor, 0.01, lambda: None)
        self.fail("sessions left: %d" % (self.server.factory.sessions,))

    @defer.inlineCallbacks
    def test_guessesWaitTheirTurn(self):
        """
        Of many passwords sent at once from one address by connections
        that hang up, L{HOLD_AFTER} are checked: the others waited for
        the last failure's answer, and went with their connections.
        Another address logs in at once meanwhile.
        """
        def guess():
            clients = [RawClient(self.server.port) for _ in range(GUESSERS)]
            for index, client in enumerate(clients):
                client.sock.sendall(b"USER alice\r\nPASS wrong%d\r\n"
                                    % (index,))
            for client in clients:
                client.close()
            other = RawClient(self.server.port, source="127.0.0.2")
            try:
                return other.login()
            finally:
                other.close()

        answer = yield self.inThread(guess)
        self.assertTrue(answer.startswith(b"230"), answer)
        yield self.waitForNoSession()
        # Guesses and alice's login from 127.0.0.2.
        self.assertEqual(self.checker.checked, HOLD_AFTER + 1)


class StayingWithoutLoginTests(LoopbackServerMixin, unittest.TestCase):
    """
    A client that never logs in, sending commands that start a session
    afresh (C{HOST}, C{REIN}) more often than the login timeout.
    """

    timeout = 60

    def setUp(self):
        self.server = self.startServer(
            FilesystemRealm(scratchDirectory(self)),
            ServerConfig(loginTimeout=1.0))

    def stay(self, line):
        """
        Send C{line} every 0.2 seconds, for up to 40 times the login
        timeout, until an answer is not C{220}.

        @return: a Deferred firing with that answer, or C{None}.
        """
        def run():
            client = RawClient(self.server.port)
            try:
                for _ in range(200):
                    answer = client.command(line)
                    if not answer.startswith(b"220"):
                        return answer
                    time.sleep(0.2)
                return None
            finally:
                client.close()

        return self.inThread(run)

    @defer.inlineCallbacks
    def test_host(self):
        """
        C{HOST} does not keep it connected: it gets C{421}.
        """
        answer = yield self.stay(b"HOST ftp.example.com")
        self.assertEqual((answer or b"")[:3], b"421", answer)

    @defer.inlineCallbacks
    def test_rein(self):
        """
        Nor does C{REIN}.
        """
        answer = yield self.stay(b"REIN")
        self.assertEqual((answer or b"")[:3], b"421", answer)


def login(port, user, password):
    """
    Log in with ftplib from a connection of its own.

    @return: the reply to C{PASS} (an error's text when refused).
    """
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", port, timeout=30)
    try:
        ftp.sendcmd(f"USER {user}")
        return ftp.sendcmd(f"PASS {password}")
    except ftplib.error_temp as e:
        return str(e)
    finally:
        ftp.close()


class DatabaseRestartTests(unittest.TestCase):
    """
    Logins after the PostgreSQL of C{--auth pg:DSN} restarted are served,
    without tracebacks in the log.
    """

    def setUp(self):
        if psycopg is None:
            raise unittest.SkipTest("psycopg is not installed")
        if binaries() is None:
            raise unittest.SkipTest("PostgreSQL is not installed")
        self.postgres = PostgresServer()
        self.addCleanup(self.postgres.stop)
        dsn = self.postgres.dsn
        out = io.StringIO()
        self.assertEqual(pgadmin.main(["--dsn", dsn, "init"], stdout=out), 0)
        self.assertEqual(pgadmin.main(
            ["--dsn", dsn, "add", "frank", "--password-stdin"],
            stdin=io.StringIO("pw\n"), stdout=out), 0)
        root = scratchDirectory(self)
        os.makedirs(os.path.join(root, "frank"))
        self.server = ServerProcess(self, [
            "--root", root, "--auth", f"pg:{dsn}", "--realm", f"pg:{dsn}"])
        self.server.waitForGreeting()

    def test_loginsAfterRestart(self):
        """
        Once the database restarted, the next logins are answered C{230}
        (they were C{421}, one for each connection the pool kept), and
        nothing logs a traceback or the database as unavailable.
        """
        port = self.server.port
        self.assertEqual(login(port, "frank", "pw"), "230 Login successful")
        self.postgres.restart()
        replies = [login(port, "frank", "pw") for _ in range(3)]
        self.assertEqual(replies, ["230 Login successful"] * 3)
        log = self.server.log()
        self.assertNotIn("Traceback", log)
        self.assertNotIn("Rollback failed", log)
        self.assertNotIn("database unavailable", log)


class UnknownUserCostTests(unittest.TestCase):
    """
    A failed login for a name a users file does not have costs the check
    a known name's does, whatever cost the file's hashes were made at.
    """

    def checkedCosts(self, text, names):
        """
        @param text: a users file's text.
        @param names: user names to log in as with a wrong password.
        @return: the scrypt C{(n, r, p)} of each hash checked.
        """
        path = self.mktemp()
        writeText(path, text)
        checked = []

        def verify(password, stored):
            checked.append(parseHash(stored)[:3])
            return False

        self.patch(users, "verifyPassword", verify)
        checker = users.UsersChecker(users.UsersDatabase(path),
                                     lambda call, *args: defer.execute(
                                         call, *args))
        for name in names:
            self.failureResultOf(checker.requestAvatarId(
                credentials.UsernamePassword(name.encode(), b"wrong")),
                error.UnauthorizedLogin)
        return checked

    def test_dummyOfTheFilesCost(self):
        """
        In a file whose hashes were made at C{N=32} (an operator's tool
        of its own; C{N=2**17} in the real case), an unknown name and a
        user without a password are checked against a hash of that cost
        as alice is: they were checked at the default cost, C{2**14},
        so that an unknown name was answered in a tenth of a known one's
        time.
        """
        hashed = hashPassword("secret", n=32, r=1, p=1)
        text = (f'[users.alice]\npassword = "{hashed}"\n'
                f'[users.bob]\npassword = "{hashed}"\n'
                '[users.carol]\n')
        self.assertEqual(self.checkedCosts(text, ["alice", "nobody", "carol"]),
                         [(32, 1, 1)] * 3)

    def test_commonCost(self):
        """
        The dummy has the cost most of the hashes have; the default when
        no user has one.
        """
        rare = hashPassword("x", n=16, r=1, p=1)
        common = hashPassword("x", n=32, r=1, p=1)
        self.assertEqual(
            users.commonCost([UserEntry("a", rare, "a", None),
                              UserEntry("b", common, "b", None),
                              UserEntry("c", common, "c", None),
                              UserEntry("d", None, "d", None)]),
            (32, 1, 1))
        self.assertEqual(users.commonCost([]),
                         (SCRYPT_N, SCRYPT_R, SCRYPT_P))


NESTED = b"[" * 500 + b"]" * 500
"""A TOML array nested 500 deep: past the parser's recursion."""


class NestedFileTests(LoggedLines, unittest.TestCase):
    """
    A users file or storage config nested deeper than the TOML parser
    can go is a file that cannot be used, said as such.
    """

    def write(self, path, data):
        """
        Replace C{path} with C{data} (a new inode: a change always seen).
        """
        with open(path + ".new", "wb") as f:
            f.write(data)
        os.replace(path + ".new", path)

    def test_parse(self):
        """
        L{parseUsersData} raises L{UsersFileError} naming the file.
        """
        error = self.assertRaises(
            UsersFileError, parseUsersData,
            b"[users.alice]\nhome = " + NESTED + b"\n", "users.toml")
        self.assertEqual(str(error),
                         "users.toml: not valid TOML: nested too deeply")

    def test_reloadKeepsUsers(self):
        """
        A reload of such a file keeps the old users, with one line.
        """
        path = os.path.abspath(self.mktemp())
        self.write(path, b'[users.alice]\nhome = "alice"\n')
        database = UsersDatabase(path)
        self.captureLog()
        self.write(path, b"[users.bob]\nhome = " + NESTED + b"\n")
        self.assertFalse(database.reload())
        self.assertEqual(list(database.users), ["alice"])
        self.assertEqual(self.lines(), [
            "users file not reloaded, keeping the old users: "
            f"{path}: not valid TOML: nested too deeply"])

    def test_storageConfig(self):
        """
        A storage config likewise: L{ValueError} naming it.
        """
        path = os.path.abspath(self.mktemp())
        self.write(path, b"[options]\nkey = " + NESTED + b"\n")
        error = self.assertRaises(ValueError, readConfig, path)
        self.assertEqual(str(error), f"{path}: not a valid TOML file")


class _Rows:
    """
    A user database read at each login, as PostgreSQL's is
    (L{ftpkit.auth.pgusers.PostgresUsers}): no C{users} to look through.
    """

    path = "PostgreSQL"

    def __init__(self, entries):
        self.entries = entries

    def get(self, name):
        """
        @return: a Deferred firing with the entry named C{name}, or C{None}.
        """
        return defer.succeed(self.entries.get(name))

    def reload(self):
        """
        Nothing to read again.
        """
        return False


class DatabaseDummyCostTests(LoggedLines, unittest.TestCase):
    """
    The dummy hash an unknown name is checked against costs what the
    hashes of a database read at each login cost.
    """

    def test_learnedFromLogins(self):
        """
        Once a login has found a hash of another cost than the default,
        an unknown name's check has that cost; before any, the default.
        """
        stored = "scrypt$4096$1$1$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "="
        checks = []

        def run(function, password, hashed, cost=None):
            checks.append(cost)
            return defer.succeed(False)

        checker = UsersChecker(_Rows({"alice": UserEntry(
            "alice", stored, "alice", None)}), run=run)

        def login(name):
            self.failureResultOf(checker.requestAvatarId(
                UsernamePassword(name.encode(), b"guess")))

        login("nobody")
        login("alice")
        login("nobody")
        self.assertEqual(checks, [(SCRYPT_N, SCRYPT_R, SCRYPT_P), None,
                                  (4096, 1, 1)])

    def test_unknownNameChecked(self):
        """
        Through the wrapper the server puts around every checker, an
        unknown name is refused after a check against the dummy (the
        one it was given), and nothing is logged; the check raised
        C{TypeError}, logged as the checker failing.
        """
        checked = []

        def run(function, *args):
            checked.append(args)
            return defer.maybeDeferred(function, *args)

        checker = TextCredentialsChecker(UsersChecker(_Rows({}), run=run))
        self.captureLog()
        self.failureResultOf(checker.requestAvatarId(
            UsernamePassword(b"nobody", b"guess")), UnauthorizedLogin)
        self.assertEqual(checked,
                         [("guess", None, (SCRYPT_N, SCRYPT_R, SCRYPT_P))])
        self.assertEqual(self.logged, [])


class ReinLoginFloodTests(LoopbackServerMixin, unittest.TestCase):
    """
    A connection logs in at most ten times
    (L{ftpkit.control.handlers.login.MAX_LOGINS}): C{REIN} after that
    many is C{421}, and the connection is closed.
    """

    def replies(self, lines, count):
        """
        Send C{lines} on a new connection and read replies (blocking).

        @param lines: the bytes to send.
        @param count: the replies to read at most.
        @return: the codes read, up to the connection's end.
        """
        server = self.startServer(SharedShellRealm(MemoryShell()))
        connection = socket.create_connection(("127.0.0.1", server.port),
                                              timeout=10)
        self.addCleanup(connection.close)
        reader = connection.makefile("rb")
        reader.readline()
        connection.sendall(lines)
        codes = []
        for _ in range(count):
            line = reader.readline()
            if not line:
                break
            codes.append(line[:3].decode())
        return codes

    def test_reinPastLogins(self):
        """
        Anonymous logins, each followed by C{REIN}: the C{REIN} after the
        tenth login gets C{421}, and nothing comes after.
        """
        cycle = b"USER anonymous\r\nPASS x\r\nREIN\r\n"
        logins = 10

        def check(codes):
            self.assertEqual(codes, ["331", "230", "220"] * (logins - 1)
                             + ["331", "230", "421"])

        return self.inThread(self.replies, cycle * (logins + 1),
                             3 * logins + 3).addCallback(check)

    def test_reinWithoutLogin(self):
        """
        C{REIN} of a client not logged in counts no login.
        """
        def check(codes):
            self.assertEqual(codes, ["220"] * 20 + ["331", "230"])

        return self.inThread(
            self.replies, b"REIN\r\n" * 20 + b"USER anonymous\r\nPASS x\r\n",
            22).addCallback(check)

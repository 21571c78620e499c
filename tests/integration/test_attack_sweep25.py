"""
The twenty-fifth attack sweep: the surfaces around the FTP commands
(logging in, the users file, C{--on-upload}, the PROXY protocol, the
C{--metrics} endpoint).

C{--on-upload} ran the uploads' commands first come, first served: one
client that uploaded many small files (as any user may, or anonymous
clients with C{--anonymous-write}) put every other client's upload
behind all of its own. With a command that takes a second (a virus
scan) and C{onUploadConcurrency} 4, a client's 10,000 empty files held
another user's upload unscanned for 40 minutes. Uploads now wait their
turn by client (L{ftpkit.control.fairqueue}): each client address (an
IPv6 client's network) has its next upload's command run in turn with
the others', so another client's upload waits for at most one command of
each client ahead of it (L{HookTurnsTests}). The bound on uploads
waiting (L{ftpkit.control.uploadhook.QUEUED_UPLOADS}) is still one for
all clients.

A users file (C{--auth users:PATH}) holding an array nested 500 deep (a
few KB) made the TOML parser raise C{RecursionError}, which nothing
took for a file that cannot be used: the start's usage error said only
"--auth: maximum recursion depth exceeded", naming no file; a reload
(C{SIGHUP}, or a login finding the file changed) raised it out of
C{reload}, so that the first login after the edit failed with it and the
failed reload was never logged (the old users stayed in force without
the one line saying so); and C{python -m ftpkit.passwd} on the file
ended in a traceback.
It is now the file's error like any other
(L{ftpkit.auth.usersfile.parseUsers}; L{NestedFileTests}), as is such a
storage config of C{--realm fsspec:...?config=PATH}
(L{ftpkit.shells.storageconfig.readConfig}).

With C{--auth pg:DSN}, an unknown name's failed login cost no check at
all: the dummy hash's cost (the twenty-third sweep's
L{ftpkit.auth.users.commonCost}, of a users file's hashes) was C{None}
for a database without C{users}, so the check raised C{TypeError} at
once, and each unknown name was answered without the scrypt's time a
known name's wrong password took (the time told which names exist, which
the docs promise it does not), with a critical line and a traceback
logged for it ("credentials checker failed"), for any client sending
names. The dummy now has the cost most of the hashes logins found in the
database have, the default before any, so that hashes made at another
cost (by another tool, or by a C{pgadmin} whose default differed) keep
the times alike too (L{ftpkit.auth.users.UsersChecker};
L{DatabaseDummyCostTests}).

The other weaknesses found have tests beside the modules they concern:
L{tests.unit.test_httpguard.GuardTests.test_perIPv6Network} (the
C{--metrics} endpoint's bound per address, which one IPv6 host passed
with addresses of its own C{/64}) and L{tests.unit.test_usersfilemodes}
(a users file every local user may write, read without a word).

Tried and held (C{python -m ftpkit}, a users file realm, C{memory:},
C{haproxy:tcp:} and C{haproxy:tcp6:} listeners):
    - an unknown name, a known one with a wrong password, one with no
      password: C{331} then C{530 Login incorrect} alike, in 1.14, 1.07
      and 1.05 s (the first failure's delay of 1 s included); NUL, CR
      or Latin-1 bytes in C{USER} or C{PASS}, an 8,180-byte C{USER} or
      C{PASS}: C{530} after the delay, no traceback; C{PASS} first
      C{503}; two C{USER}s: the last one logs in; C{ACCT} C{202};
    - failed logins from seven addresses of one C{/64} (PROXY headers):
      answered after 1, 2, 4, 8, 10, 10, 10 s; another C{/64} at once;
    - PROXY headers: on a plain listener the line is C{500} and the
      session goes on; split over two packets, version 2: served; a byte
      every 0.8 s: cut at 10 s; a version 2 length of 65,535, an
      address of 999, C{TCP6} with an IPv4 address, 200 bytes with no
      CRLF: reset; an address of C{--deny-from}: C{421}; a second header
      after the first: C{500};
    - C{--on-upload}: a name with a newline and a byte that is not UTF-8
      reaches the command as its bytes, in C{FTPKIT_PATH} (never in its
      arguments, never through a shell).
"""

import os

from twisted.cred.credentials import UsernamePassword
from twisted.cred.error import UnauthorizedLogin
from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.checkers import TextCredentialsChecker
from ftpkit.auth.passwordhash import SCRYPT_N, SCRYPT_P, SCRYPT_R
from ftpkit.auth.users import UserEntry, UsersChecker, UsersDatabase
from ftpkit.auth.usersfile import UsersFileError, parseUsersData
from ftpkit.shells.storageconfig import readConfig
from tests.loglines import LoggedLines

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

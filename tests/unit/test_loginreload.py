"""
A login that finds a users or password file changed waits for it to be
read again in a thread (L{ftpkit.auth.reloadingfile.ReloadingFile.whenCurrent}),
instead of parsing it in the reactor: a 60,002-user file held every
session 20-25 s at such a login; and it waits for that reading
L{ftpkit.auth.reloadingfile.FRESH_WAIT} at most, answered from the users
read before past it: each login waited for the whole parse (9.4 s).
"""

import os
import threading

from twisted.cred import credentials, error
from twisted.internet import defer, reactor
from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.auth import reloadingfile
from ftpkit.auth.passwordfile import PasswordFileChecker
from ftpkit.auth.reloadingfile import FRESH_WAIT
from ftpkit.auth.users import UsersChecker, UsersDatabase, UsersRealm
from ftpkit.interfaces import IFTPShell
from ftpkit.ops.workerechoes import USERS_NOT_RELOADED, USERS_RELOADED
from tests.loglines import LoggedLines
from tests.usersfiles import ALICE_HASH, writeText

try:
    import fsspec
except ImportError:
    fsspec = None
else:
    from ftpkit.auth.fsspecrealm import FsspecRealm
    from tests.fsspecrealms import memoryFilesystem

DEADLOCK = 30
"""Seconds a held parse waits for the reactor before it gives up: not a
bound the tests assert, only what ends a test whose parse holds the
reactor (it then fails)."""


def entry(name, password=ALICE_HASH):
    """
    @param name: a user name.
    @param password: its hash (alice's password, C{secret}).
    @return: the users file's entry of that user, TOML.
    """
    return f'[users.{name}]\npassword = "{password}"\nhome = "{name}"\n'


class HeldReadings:
    """
    A test case mixin: the readings L{ReloadingFile} would make in a
    thread are held (L{holdReadings}), each made once the test says
    (L{finish}), in the reactor thread.

    @ivar readings: the readings asked, not finished yet.
    """

    def holdReadings(self):
        """
        Hold every reading asked from now on.
        """
        self.readings = []

        def inThread(function, *args):
            self.readings.append((function, args, defer.Deferred()))
            return self.readings[-1][2]

        self.patch(reloadingfile, "inThread", inThread)

    def finish(self):
        """
        Make the oldest reading held now (the file as it is now), and
        hand its result back.
        """
        function, args, done = self.readings.pop(0)
        defer.maybeDeferred(function, *args).chainDeferred(done)


class UsersFileTests(HeldReadings, LoggedLines, unittest.TestCase):
    """
    C{--auth users:PATH} and C{--realm users:PATH}: L{UsersChecker} and
    L{UsersRealm} of one L{UsersDatabase}.
    """

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        self.path = os.path.join(self.root, "users.toml")
        writeText(self.path, entry("alice"))
        self.database = UsersDatabase(self.path)
        self.checker = UsersChecker(
            self.database, lambda call, *args: defer.execute(call, *args))
        self.realm = UsersRealm(self.database, self.root)
        self.captureLog()

    def login(self, name):
        """
        @param name: a user name, whose password is C{secret}.
        @return: the checker's answer.
        """
        return self.checker.requestAvatarId(
            credentials.UsernamePassword(name.encode(), b"secret"))

    def formats(self):
        """
        @return: the C{log_format} of each reload line logged.
        """
        return [event["log_format"] for event in self.logged
                if event.get("log_format") in (USERS_RELOADED,
                                               USERS_NOT_RELOADED)]

    def test_loginWaitsForThread(self):
        """
        A user just added logs in once the file was read again, in a
        thread: the checker waits for it.
        """
        self.holdReadings()
        writeText(self.path, entry("alice") + entry("bob"))
        checking = self.login("bob")
        self.assertNoResult(checking)
        self.assertEqual(len(self.readings), 1)
        self.finish()
        self.assertEqual(self.successResultOf(checking), "bob")

    def test_oneReadingShared(self):
        """
        Logins coming while one reading runs wait for that one: one
        thread, one line; each then sees the new file, the realm too. The
        synchronous C{get}, for callers that cannot wait, still answers
        at once.
        """
        self.holdReadings()
        writeText(self.path, entry("alice") + entry("bob"))
        answers = [self.login("bob"), self.login("alice"),
                   self.realm.requestAvatar("bob", None, IFTPShell)]
        for answer in answers:
            self.assertNoResult(answer)
        self.assertEqual(len(self.readings), 1)
        self.finish()
        self.assertEqual(self.readings, [])
        bob, alice, (interface, shell, logout) = map(self.successResultOf,
                                                     answers)
        self.assertEqual((bob, alice, interface), ("bob", "alice", IFTPShell))
        self.assertEqual(self.formats(), [USERS_RELOADED])
        writeText(self.path, entry("dave"))
        self.assertIsNotNone(self.database.get("dave"))
        self.assertEqual(self.readings, [])

    def test_removedUserRefused(self):
        """
        A user just removed is refused once the file was read again.
        """
        self.holdReadings()
        writeText(self.path, entry("bob"))
        checking = self.login("alice")
        self.assertNoResult(checking)
        self.finish()
        self.failureResultOf(checking, error.UnauthorizedLogin)

    def test_unusableFileLoggedOnce(self):
        """
        A file that cannot be used keeps the old users for the logins
        waiting for it, with one line; the logins after it read nothing.
        """
        self.holdReadings()
        writeText(self.path, "[users.alice\n")
        answers = [self.login("alice"), self.login("alice")]
        self.assertNoResult(answers[0])
        self.finish()
        self.assertEqual(list(map(self.successResultOf, answers)),
                         ["alice", "alice"])
        self.assertEqual(self.successResultOf(self.login("alice")), "alice")
        self.assertEqual(self.readings, [])
        self.assertEqual(self.formats(), [USERS_NOT_RELOADED])

    def test_afterOlderReading(self):
        """
        A login finding the file changed again while C{SIGHUP}'s reading
        of it runs waits for that reading, then for its own, and sees the
        newer file: the older never replaces the newer.
        """
        calls = []

        def inThread(function, *args):
            calls.append((defer.Deferred(), function(*args)))
            return calls[-1][0]

        self.patch(reloadingfile, "inThread", inThread)
        writeText(self.path, entry("alice") + entry("bob"))
        reloading = self.database.reloadInThread()
        writeText(self.path, entry("carol"))
        answer = self.realm.requestAvatar("carol", None, IFTPShell)
        self.assertNoResult(answer)
        done, result = calls.pop(0)
        done.callback(result)
        self.assertTrue(self.successResultOf(reloading))
        self.assertNoResult(answer)
        done, result = calls.pop(0)
        done.callback(result)
        self.assertEqual(self.successResultOf(answer)[0], IFTPShell)
        self.assertEqual(sorted(self.database.users), ["carol"])

    @defer.inlineCallbacks
    def test_reactorRunsDuringParse(self):
        """
        While the parse runs (in its real thread), the reactor runs: the
        parse waits for a call of the reactor's, which a parse in the
        reactor thread held back until it gave up.
        """
        # No time passes on this clock: the login waits for all the parse.
        self.database.clock = Clock()
        ran = threading.Event()
        seen = []
        parse = self.database._parse

        def heldParse(content, source):
            seen.append(ran.wait(DEADLOCK))
            return parse(content, source)

        self.database._parse = heldParse
        writeText(self.path, entry("alice") + entry("bob"))
        reactor.callLater(0, ran.set)
        self.assertEqual((yield self.login("bob")), "bob")
        self.assertEqual(seen, [True])


class FreshWaitTests(HeldReadings, unittest.TestCase):
    """
    The logins coming while a reading runs wait for it
    L{FRESH_WAIT} after its start at most, then are answered from the
    users read before, until the new ones are in force.
    """

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        self.path = os.path.join(self.root, "users.toml")
        writeText(self.path, entry("alice"))
        self.database = UsersDatabase(self.path)
        self.clock = self.database.clock = Clock()
        self.checker = UsersChecker(
            self.database, lambda call, *args: defer.execute(call, *args))
        self.realm = UsersRealm(self.database, self.root)
        self.holdReadings()

    def login(self, name):
        """
        @param name: a user name, whose password is C{secret}.
        @return: the checker's answer.
        """
        return self.checker.requestAvatarId(
            credentials.UsernamePassword(name.encode(), b"secret"))

    def test_oldUsersWhileHeld(self):
        """
        While the reading a login started is held, that login is answered
        from the users read before once L{FRESH_WAIT} passed (alice, just
        removed, logs in), and the logins after it at once (bob, just
        added, is refused; alice gets her shell); once the reading is
        done, the new users answer.
        """
        writeText(self.path, entry("bob"))
        first = self.login("alice")
        self.assertNoResult(first)
        self.clock.advance(FRESH_WAIT)
        self.assertEqual(self.successResultOf(first), "alice")
        self.failureResultOf(self.login("bob"), error.UnauthorizedLogin)
        interface, shell, logout = self.successResultOf(
            defer.maybeDeferred(self.realm.requestAvatar, "alice", None,
                                IFTPShell))
        self.assertIs(interface, IFTPShell)
        self.assertEqual(len(self.readings), 1)
        self.finish()
        self.assertEqual(self.successResultOf(self.login("bob")), "bob")
        self.failureResultOf(self.login("alice"), error.UnauthorizedLogin)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_fromReadingStart(self):
        """
        The wait is counted from the reading's start (a C{SIGHUP}'s, here):
        a login coming half way through waits the other half; a reading
        begun after it waits anew; a login whose reading is done before
        the wait ends leaves no timer behind.
        """
        writeText(self.path, entry("alice") + entry("bob"))
        reloading = self.database.reloadInThread()
        self.clock.advance(FRESH_WAIT / 2)
        late = self.login("bob")
        self.assertNoResult(late)
        self.clock.advance(FRESH_WAIT / 2)
        self.failureResultOf(late, error.UnauthorizedLogin)
        self.finish()
        self.assertTrue(self.successResultOf(reloading))
        writeText(self.path, entry("carol"))
        fresh = self.login("carol")
        self.clock.advance(FRESH_WAIT / 2)
        self.assertNoResult(fresh)
        self.finish()
        self.assertEqual(self.successResultOf(fresh), "carol")
        self.assertEqual(self.clock.getDelayedCalls(), [])


class PasswordFileTests(HeldReadings, unittest.TestCase):
    """
    C{--auth file:PATH}: L{PasswordFileChecker}.
    """

    def test_loginWaitsForThread(self):
        """
        A user just added logs in once the file was read again, in a
        thread: the checker waits for it.
        """
        path = self.mktemp()
        with open(path, "wb") as f:
            f.write(b"alice:secret\n")
        checker = PasswordFileChecker(path)
        self.holdReadings()
        with open(path, "wb") as f:
            f.write(b"alice:secret\nbob:pw\n")
        checking = checker.requestAvatarId(
            credentials.UsernamePassword(b"bob", b"pw"))
        self.assertNoResult(checking)
        self.finish()
        self.assertEqual(self.successResultOf(checking), b"bob")


class FsspecRealmTests(HeldReadings, unittest.TestCase):
    """
    C{--realm fsspec:URL} with C{users=PATH}: L{FsspecRealm}.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    @defer.inlineCallbacks
    def test_loginWaitsForThread(self):
        """
        A user just added gets their shell once the file was read again,
        in a thread: the realm waits for it (it parsed the file at once).
        """
        path = os.path.abspath(self.mktemp())
        writeText(path, entry("alice"))
        fs = memoryFilesystem()
        realm = FsspecRealm(lambda: fs, "/srv", database=UsersDatabase(path))
        yield realm.requestAvatar("alice", None, IFTPShell)
        self.holdReadings()
        writeText(path, entry("alice") + entry("bob"))
        answer = realm.requestAvatar("bob", None, IFTPShell)
        self.assertNoResult(answer)
        self.assertEqual(len(self.readings), 1)
        self.finish()
        interface, shell, logout = yield answer
        self.assertTrue(fs.isdir("/srv/bob"))
        yield realm.whenIdle()

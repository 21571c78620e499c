"""
A login of a user database shared by several servers (PostgreSQL) keeps
its home's quota usage while the quota is unchanged
(L{ftpkit.shells.sharedquota.LoginMeasures}): every login marked it
stale, so a client logging in again and again had the server walk the
home each time (38 logins in 10 s on a home of 100,000 files, against
252 with a users file).
"""

from twisted.internet import defer
from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.auth import users as usersModule
from ftpkit.auth.pgusers import PostgresUsers
from ftpkit.auth.users import UsersRealm, parseUser
from ftpkit.interfaces import IFTPShell
from ftpkit.shells.quotas import Footprint
from ftpkit.shells.sharedquota import LOGIN_MEASURE_AGE, LoginMeasures
from tests.integration.test_pgusers import PostgresTestCase
from tests.scratch import scratchDirectory


class LoginMeasuresTests(unittest.SynchronousTestCase):
    """
    L{LoginMeasures} says a home is due when first logged in to, when the
    quota changed, and L{LOGIN_MEASURE_AGE} after the last.
    """

    def test_due(self):
        clock = Clock()
        measures = LoginMeasures(clock.seconds)
        self.assertTrue(measures.due("/h", (100, None)))
        self.assertFalse(measures.due("/h", (100, None)))
        self.assertTrue(measures.due("/other", (100, None)))
        self.assertTrue(measures.due("/h", (100, 5)))
        clock.advance(LOGIN_MEASURE_AGE - 1)
        self.assertFalse(measures.due("/h", (100, 5)))
        clock.advance(1)
        self.assertTrue(measures.due("/h", (100, 5)))
        self.assertFalse(measures.due("/h", (100, 5)))


class _SharedUsers:
    """
    A user database that several servers share, of one user, C{bob}.
    """

    shared = True
    generation = 0
    path = "a shared database"

    def __init__(self, quota):
        self.setQuota(quota)

    def setQuota(self, quota):
        self.entry = parseUser("bob", {
            "password": "x", "home": "bob", "quota": quota,
            "permissions": ["list", "read", "write"]})

    def get(self, name):
        return defer.succeed(self.entry if name == "bob" else None)

    def reload(self):
        return False


class RealmMeasuresTests(unittest.TestCase):
    """
    L{UsersRealm} on a shared database measures a home again at a login
    only when its quota changed.
    """

    def setUp(self):
        self.walks = 0

        def footprint(home):
            self.walks += 1
            return Footprint(10, 1)

        self.patch(usersModule, "diskFootprint", footprint)
        self.root = scratchDirectory(self)

    @defer.inlineCallbacks
    def logIn(self, realm):
        """
        Log C{bob} in, and have his quota checked as an upload does.

        @return: a Deferred firing with his shell.
        """
        _, shell, _ = yield realm.requestAvatar("bob", None, IFTPShell)
        usage = realm.usageOf(realm.homeOf(realm.database.entry))
        yield usage.current()
        return shell

    @defer.inlineCallbacks
    def loginsWalk(self, database, change):
        """
        Log in three times, calling C{change} before the third.

        @return: a Deferred firing with the walks after each login.
        """
        realm = UsersRealm(database, self.root)
        walks = []
        shells = []
        for number in range(3):
            if number == 2:
                yield change()
            shells.append((yield self.logIn(realm)))
            walks.append(self.walks)
        return walks

    @defer.inlineCallbacks
    def test_quotaKept(self):
        """
        A second login with the same quota walks nothing; one after the
        quota changed walks the home again. Each login walked it before.
        """
        database = _SharedUsers(1000)
        walks = yield self.loginsWalk(
            database, lambda: database.setQuota(2000))
        self.assertEqual(walks, [1, 1, 2])


class PostgresMeasuresTests(PostgresTestCase, RealmMeasuresTests):
    """
    The same with users in a real PostgreSQL.
    """

    def setUp(self):
        PostgresTestCase.setUp(self)
        RealmMeasuresTests.setUp(self)

    @defer.inlineCallbacks
    def logIn(self, realm):
        _, shell, _ = yield realm.requestAvatar("gwen", None, IFTPShell)
        entry = yield realm.database.get("gwen")
        yield realm.usageOf(realm.homeOf(entry)).current()
        return shell

    @defer.inlineCallbacks
    def test_quotaKept(self):
        """
        A login with the quota of the row unchanged walks nothing; one
        after C{pgadmin set --quota} walks the home again.
        """
        self.addUser("gwen", "pw", "--permissions", "list,read,write",
                     "--quota", "1000")
        database = PostgresUsers(self.dsn)
        self.addCleanup(database.close)
        walks = yield self.loginsWalk(
            database,
            lambda: defer.succeed(self.admin("set", "gwen", "--quota",
                                             "2000")))
        self.assertEqual(walks, [1, 1, 2])

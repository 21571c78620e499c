"""
Tests for L{ftpkit.auth.pgusers.PostgresUsers.granted}: which of the
permissions C{FEAT} offers before login some user of the database is
granted, read in the background and answered from what was last read.
"""

from twisted.internet.task import Clock
from twisted.logger import capturedLogs
from twisted.trial import unittest

from ftpkit.auth.pgusers import GRANTED_FRESH, PostgresUsers
from ftpkit.auth.users import UsersRealm
from ftpkit.protocol.access import OFFERED_PERMISSIONS
from tests.unit.test_pgtimeout import StalledPool


class GrantedTests(unittest.TestCase):
    """
    L{PostgresUsers.granted} over a pool whose answers the test gives.
    """

    def setUp(self):
        self.clock = Clock()
        self.pool = StalledPool()
        self.users = PostgresUsers("", pool=self.pool, clock=self.clock)

    def test_readInBackground(self):
        """
        Until the database answers, every permission is offered, and one
        query is sent however often it is asked; its answer is what is
        granted then.
        """
        self.assertEqual(self.users.granted(), OFFERED_PERMISSIONS)
        self.assertEqual(self.users.granted(), OFFERED_PERMISSIONS)
        self.assertEqual(len(self.pool.queries), 1)
        self.pool.queries[0].callback([("append",)])
        self.assertEqual(self.users.granted(), frozenset(["append"]))
        self.assertEqual(len(self.pool.queries), 1)
        self.assertEqual(self.users.waiting, 0)

    def test_readAgain(self):
        """
        After L{GRANTED_FRESH} seconds the next question reads the table
        again, answered meanwhile with what was read before.
        """
        self.users.granted()
        self.pool.queries[0].callback([])
        self.clock.advance(GRANTED_FRESH - 1)
        self.assertEqual(self.users.granted(), frozenset())
        self.assertEqual(len(self.pool.queries), 1)
        self.clock.advance(1)
        self.assertEqual(self.users.granted(), frozenset())
        self.assertEqual(len(self.pool.queries), 2)
        self.pool.queries[1].callback([("set-time",), ("chmod",)])
        self.assertEqual(self.users.granted(),
                         frozenset(["set-time", "chmod"]))

    def test_failed(self):
        """
        A query that fails keeps what was known (every permission, before
        any answer), is logged, and is tried again no sooner than
        L{GRANTED_FRESH} seconds after.
        """
        self.users.granted()
        with capturedLogs() as events:
            self.pool.queries[0].errback(RuntimeError("gone"))
        self.assertEqual([event["why"] for event in events], ["gone"])
        self.assertEqual(self.users.granted(), OFFERED_PERMISSIONS)
        self.assertEqual(len(self.pool.queries), 1)
        self.clock.advance(GRANTED_FRESH)
        self.users.granted()
        self.assertEqual(len(self.pool.queries), 2)

    def test_realm(self):
        """
        A L{UsersRealm} over the database offers what it grants, except
        under C{--read-only}, where nothing is asked.
        """
        realm = UsersRealm(self.users, "/nonexistent")
        self.assertEqual(realm.grantedPermissions, OFFERED_PERMISSIONS)
        self.pool.queries[0].callback([("append",)])
        self.assertEqual(realm.grantedPermissions, frozenset(["append"]))
        readOnly = PostgresUsers("", pool=StalledPool(), clock=self.clock)
        self.assertEqual(
            UsersRealm(readOnly, "/nonexistent",
                       readOnly=True).grantedPermissions,
            OFFERED_PERMISSIONS)
        self.assertEqual(readOnly.pool.queries, [])

"""
Tests for L{ftpkit.auth.pgusers.PostgresUsers.granted}: which of the
permissions C{FEAT} offers before login some user of the database is
granted, read in the background and answered from what was last read;
and C{FEAT} before login waiting for the first answer.
"""

from twisted.cred.portal import Portal
from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.logger import capturedLogs
from twisted.trial import unittest

from ftpkit.auth.pgusers import GRANTED_FRESH, PostgresUsers
from ftpkit.auth.users import UsersRealm
from ftpkit.control.grantswait import GRANTS_WAIT
from ftpkit.protocol.access import OFFERED_PERMISSIONS
from ftpkit.server import FTPFactory
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


class GrantedKnownTests(unittest.TestCase):
    """
    L{PostgresUsers.grantedKnown} and L{UsersRealm.grantsKnown}: waiting
    for the database's first answer, which C{FEAT} before login does.
    """

    def setUp(self):
        self.clock = Clock()
        self.pool = StalledPool()
        self.users = PostgresUsers("", pool=self.pool, clock=self.clock)

    def test_firstAnswer(self):
        """
        Each waiter fires once the first query is answered (which the
        first wait sends); then nothing is waited for, even while the
        table is read again.
        """
        first, second = self.users.grantedKnown(), self.users.grantedKnown()
        self.assertEqual(len(self.pool.queries), 1)
        self.assertFalse(first.called or second.called)
        self.pool.queries[0].callback([])
        self.assertTrue(first.called and second.called)
        self.clock.advance(GRANTED_FRESH)
        self.users.granted()
        self.assertIsNone(self.users.grantedKnown())

    def test_failedAnswer(self):
        """
        A first query that fails ends the wait too (what is known stands:
        everything).
        """
        waiter = self.users.grantedKnown()
        with capturedLogs():
            self.pool.queries[0].errback(RuntimeError("gone"))
        self.assertTrue(waiter.called)
        self.assertIsNone(self.users.grantedKnown())

    def test_cancelled(self):
        """
        A waiter cancelled (its caller's bound passed) ends every wait:
        the others fire, and nothing is waited for any longer, nor is the
        cancelled one fired again when the answer comes.
        """
        first, second = self.users.grantedKnown(), self.users.grantedKnown()
        first.cancel()
        self.failureResultOf(first)
        self.assertIsNone(self.successResultOf(second))
        self.assertIsNone(self.users.grantedKnown())
        self.pool.queries[0].callback([])
        self.assertEqual(self.users.granted(), frozenset())

    def test_realm(self):
        """
        The realm waits for its database, except under C{--read-only}
        (nothing is asked) and over a users file (nothing to wait for).
        """
        self.assertFalse(UsersRealm(self.users, "/nonexistent")
                         .grantsKnown().called)
        self.assertIsNone(UsersRealm(self.users, "/nonexistent",
                                     readOnly=True).grantsKnown())

        class UsersFile:
            generation = 0
            users = {}

            def reload(self):
                pass

        self.assertIsNone(UsersRealm(UsersFile(), "/nonexistent")
                          .grantsKnown())


class FeatWaitTests(unittest.TestCase):
    """
    C{FEAT} before login on a server whose realm does not know yet what
    it grants waits for it, at most L{GRANTS_WAIT} seconds.
    """

    def setUp(self):
        self.connect()

    def connect(self):
        """
        Start a session of a new server, whose database has not answered
        yet, on a L{StringTransport}.
        """
        self.clock = Clock()
        self.pool = StalledPool()
        users = PostgresUsers("", pool=self.pool, clock=self.clock)
        factory = FTPFactory(Portal(UsersRealm(users, "/nonexistent")),
                             reactor=self.clock)
        address = IPv4Address("TCP", "192.0.2.1", 40000)
        self.protocol = factory.buildProtocol(address)
        self.transport = StringTransport(
            hostAddress=IPv4Address("TCP", "127.0.0.1", 2121),
            peerAddress=address)
        self.protocol.makeConnection(self.transport)
        self.addCleanup(self.protocol.connectionLost, None)
        self.transport.clear()

    def features(self):
        """
        @return: what the server sent since the last call.
        """
        sent = self.transport.value().decode("ascii")
        self.transport.clear()
        return sent

    def test_answered(self):
        """
        The reply comes once the database answered, from its answer.
        """
        self.protocol.dataReceived(b"FEAT\r\n")
        self.assertEqual(self.features(), "")
        self.pool.queries[0].callback([])
        features = self.features()
        self.assertIn("211 End", features)
        self.assertNotIn("MFMT", features)
        self.protocol.dataReceived(b"FEAT\r\n")
        self.assertNotIn("MFMT", self.features())

    def test_bounded(self):
        """
        A database that does not answer holds C{FEAT} L{GRANTS_WAIT}
        seconds, then it offers what is known (everything); the next
        C{FEAT} does not wait, and says what the database says once it
        answered.
        """
        self.protocol.dataReceived(b"FEAT\r\n")
        self.clock.advance(GRANTS_WAIT - 1)
        self.assertEqual(self.features(), "")
        self.clock.advance(1)
        self.assertIn("MFMT", self.features())
        self.protocol.dataReceived(b"FEAT\r\n")
        self.assertIn("MFMT", self.features())
        self.pool.queries[0].callback([])
        self.protocol.dataReceived(b"FEAT\r\n")
        self.assertNotIn("MFMT", self.features())

    def test_otherOffers(self):
        """
        C{HELP}, C{HELP SITE} and C{OPTS REST STOR} before login wait for
        it too, and answer from it, as C{FEAT} does: they answered at
        once, offering everything (C{MFMT}, C{SITE CHMOD}, resumed
        uploads) while C{FEAT} waited.
        """
        for command, offered in ((b"HELP", "MFMT"),
                                 (b"HELP SITE", "CHMOD"),
                                 (b"OPTS REST STOR", "200 ")):
            self.connect()
            self.protocol.dataReceived(command + b"\r\n")
            self.assertEqual(self.features(), "", command)
            self.pool.queries[0].callback([])
            reply = self.features()
            self.assertTrue(reply, command)
            self.assertNotIn(offered, reply, command)

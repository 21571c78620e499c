"""
Tests for L{ftpkit.auth.pgusers.PostgresUsers}' time limit on a login's
query, with a connection pool that never answers (a stalled database).
"""

from twisted.internet import defer
from twisted.internet.task import Clock
from twisted.logger import LogLevel, capturedLogs
from twisted.trial import unittest

from ftpkit.auth.pgusers import QUERY_TIMEOUT, PostgresUsers
from ftpkit.errors import ServiceUnavailable


class StalledPool:
    """
    An C{adbapi.ConnectionPool} whose queries never come back.

    @ivar queries: the Deferreds handed out.
    """

    def __init__(self):
        self.queries = []

    def runQuery(self, *args):
        """
        @return: a Deferred that does not fire.
        """
        query = defer.Deferred()
        self.queries.append(query)
        return query


class StalledDatabaseTests(unittest.TestCase):
    """
    A database that took the query and then stalled kept the login
    waiting as long as it stalled (a client sent PASS and got nothing, and
    nothing was logged); now it fails after L{QUERY_TIMEOUT} seconds, as a
    database that cannot be reached does (C{421}).
    """

    def test_stalled(self):
        clock = Clock()
        pool = StalledPool()
        users = PostgresUsers("", pool=pool, clock=clock)
        with capturedLogs() as events:
            found = users.get("frank")
            clock.advance(QUERY_TIMEOUT - 1)
            self.assertNoResult(found)
            clock.advance(1)
            self.failureResultOf(found, ServiceUnavailable)
        errors = [event for event in events
                  if event.get("log_level") == LogLevel.error]
        self.assertEqual(len(errors), 1)
        self.assertEqual(errors[0]["why"], f"no answer in {QUERY_TIMEOUT} s")
        self.assertEqual(clock.getDelayedCalls(), [])
        pool.queries[0].callback([])

    def test_answered(self):
        """
        An answer within the time leaves no timer behind.
        """
        clock = Clock()
        pool = StalledPool()
        users = PostgresUsers("", pool=pool, clock=clock)
        found = users.get("nobody")
        pool.queries[0].callback([])
        self.assertIsNone(self.successResultOf(found))
        self.assertEqual(clock.getDelayedCalls(), [])


class LoginBurstTests(unittest.TestCase):
    """
    A burst of logins while the database stalls.
    """

    def test_boundedQueries(self):
        """
        A query whose login timed out stays queued in the pool until the
        database answers it: 20,000 logins queued 20,000 queries, which
        the database then answered, stale, before any new login's (new
        logins failed for 5.6 s after it recovered). Past
        L{PostgresUsers.maxWaiting} unanswered queries a login gets
        C{421} without sending one, and is logged.
        """
        clock = Clock()
        pool = StalledPool()
        users = PostgresUsers("", pool=pool, clock=clock)
        users.maxWaiting = 3
        logins = [users.get("frank") for _ in range(3)]
        clock.advance(QUERY_TIMEOUT)
        for login in logins:
            self.failureResultOf(login, ServiceUnavailable)
        with capturedLogs() as events:
            refused = users.get("frank")
        self.failureResultOf(refused, ServiceUnavailable)
        self.assertEqual(len(pool.queries), 3)
        self.assertEqual([event["why"] for event in events],
                         ["3 queries unanswered"])
        pool.queries[0].callback([])
        pool.queries[1].errback(RuntimeError("gone"))
        answered = users.get("frank")
        self.assertEqual(len(pool.queries), 4)
        pool.queries[3].callback([])
        self.assertIsNone(self.successResultOf(answered))
        self.assertEqual(users.waiting, 1)

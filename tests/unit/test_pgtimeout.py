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

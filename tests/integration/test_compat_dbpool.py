"""
Tests for L{ftpkit.compat.dbpool}: the private names of
L{twisted.enterprise.adbapi.ConnectionPool} that L{ReconnectingPool}
overrides are still there, and without them Twisted's own pool is made.
"""

from twisted.enterprise import adbapi
from twisted.trial import unittest

import twisted
from ftpkit.compat import dbpool
from ftpkit.compat.dbpool import ReconnectingPool, connectionPool


class PoolNamesTests(unittest.TestCase):
    """
    The names L{ReconnectingPool} overrides, and its fallback.
    """

    def test_overriddenNames(self):
        """
        C{ConnectionPool} still runs its interactions through
        C{_runInteraction} and closes its connections with C{_close}.
        """
        for name in ("_runInteraction", "_close"):
            self.assertTrue(
                callable(getattr(adbapi.ConnectionPool, name, None)),
                f"adbapi.ConnectionPool.{name} changed in Twisted "
                f"{twisted.__version__}: update ftpkit.compat.dbpool")
        self.assertTrue(dbpool._usable)

    def test_reconnecting(self):
        """
        Where the names are there, L{connectionPool} makes a
        L{ReconnectingPool}.
        """
        pool = connectionPool("sqlite3", ":memory:", cp_noisy=False)
        self.addCleanup(pool.close)
        self.assertIsInstance(pool, ReconnectingPool)

    def test_fallback(self):
        """
        Where they are not, Twisted's own pool.
        """
        self.patch(dbpool, "_usable", False)
        pool = connectionPool("sqlite3", ":memory:", cp_noisy=False)
        self.addCleanup(pool.close)
        self.assertIs(type(pool), adbapi.ConnectionPool)

"""
The connection pool of the PostgreSQL users (L{ftpkit.auth.pgusers}):
L{twisted.enterprise.adbapi}'s, but a pooled connection that the
database closed while it waited (a restart, a fail-over, an idle
connection ended by the server or a firewall) is replaced at the next
query instead of failing it.

Each of the pool's threads keeps its connection between logins, and
C{adbapi} finds out that one is gone only by a query failing on it:
once the database had restarted, the next login on each thread was
refused (C{421}, "user database unavailable") although the database
answered again, and each logged two tracebacks of C{adbapi}'s
("Rollback failed"). L{ReconnectingPool} runs such a query again, once,
on a new connection (a login's query only reads), and drops a broken
connection without a traceback; a database that is down still fails the
query, with the one error line of the caller.

The private names it overrides: C{adbapi.ConnectionPool._runInteraction}
and C{_close}. Fallback: where either is missing, L{connectionPool}
makes Twisted's pool as it is (a restart costs each thread one refused
login again).
"""

from twisted.enterprise import adbapi

_usable = all(callable(getattr(adbapi.ConnectionPool, name, None))
              for name in ("_runInteraction", "_close"))


def isBroken(connection):
    """
    @param connection: a DB-API connection.
    @return: whether it can no longer be used: closed, or marked broken
        (psycopg's C{broken}: the server went away).
    """
    return bool(getattr(connection, "broken", False)
                or getattr(connection, "closed", False))


class ReconnectingPool(adbapi.ConnectionPool):
    """
    An L{adbapi.ConnectionPool} whose interactions run again, once, on a
    new connection when the thread's kept connection turned out to be
    broken (L{isBroken}), and which drops a broken connection quietly.
    Its interactions must be safe to run twice (the users' C{SELECT}).
    """

    def _runInteraction(self, interaction, *args, **kw):
        """
        Run C{interaction} in a transaction (in a pool thread), as
        L{adbapi.ConnectionPool} does, but see the class's docstring.

        @return: its result.
        """
        kept = self.connections.get(self.threadID()) is not None
        try:
            return self._once(interaction, args, kw)
        except Exception:
            if not (kept and self.threadID() not in self.connections):
                raise
        return self._once(interaction, args, kw)

    def _once(self, interaction, args, kw):
        """
        Run C{interaction} once; when it fails, roll back, or drop the
        connection when it is broken (or cannot roll back), and raise
        its error.

        @return: its result.
        """
        conn = self.connectionFactory(self)
        trans = self.transactionFactory(self, conn)
        try:
            result = interaction(trans, *args, **kw)
            trans.close()
            conn.commit()
            return result
        except Exception:
            self._rollBackOrDrop(conn._connection)
            raise

    def _rollBackOrDrop(self, connection):
        """
        After a failed interaction: roll C{connection} back, or drop it
        from the pool (closed; this thread connects again next time) when
        it is broken or cannot roll back.

        @param connection: this thread's DB-API connection.
        """
        if not isBroken(connection):
            try:
                connection.rollback()
                return
            except Exception:  # noqa: BLE001 (then it is dropped)
                pass
        self.disconnect(connection)

    def _close(self, conn):
        """
        Close a connection, quietly: one the server closed may fail to.

        @param conn: a DB-API connection.
        """
        try:
            conn.close()
        except Exception:  # noqa: BLE001 (it is gone either way)
            pass


def connectionPool(*args, **kwargs):
    """
    @param args: L{adbapi.ConnectionPool}'s.
    @param kwargs: L{adbapi.ConnectionPool}'s.
    @return: a L{ReconnectingPool}, or Twisted's own pool where it no
        longer has the names that one overrides.
    """
    if _usable:
        return ReconnectingPool(*args, **kwargs)
    return adbapi.ConnectionPool(*args, **kwargs)

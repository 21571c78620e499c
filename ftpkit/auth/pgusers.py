"""
Virtual users in PostgreSQL, for several servers that share one user list.

The table holds what a users file holds (L{ftpkit.auth.users}): an scrypt
password hash, a home under C{--root}, permissions, per-directory
permissions, quotas and a read-only flag. L{PostgresUsers} reads a user
each time one logs in, through L{twisted.enterprise.adbapi} and psycopg,
so a user added, changed or removed with C{python -m ftpkit.pgadmin} counts
on every node at the next login, without a reload. The checker and the
realm are L{ftpkit.auth.users.UsersChecker} and L{ftpkit.auth.users.UsersRealm}
over a L{PostgresUsers}: the rules are the users file's.

When the database cannot be reached, or does not answer within
L{QUERY_TIMEOUT} seconds (stalled, or blocked by locks), logins are
answered C{421} and logged; sessions already logged in go on. A query
that timed out still holds its place in the connection pool's queue
until the database answers it, so at most L{QUERIES_WAITING} may be
unanswered: later logins get C{421} at once.

What C{FEAT} offers before login (the commands of C{set-time}, C{chmod},
C{append} and C{mkdir} only where some user is granted them somewhere,
L{ftpkit.protocol.access.grantedBy}) is read from the table too, by one
query that stops at the first row granting each
(L{PostgresUsers.granted}), answered from what it last read and read
again in the background when that is older than L{GRANTED_FRESH}
seconds; a C{FEAT} before the first answer waits for it, a moment
(L{PostgresUsers.grantedKnown}).
"""

import hashlib
import json

from twisted.internet import defer
from twisted.logger import Logger
from twisted.python.failure import Failure

from ftpkit.auth.usersfile import UsersFileError, parseUser
from ftpkit.compat.dbpool import connectionPool
from ftpkit.errors import ServiceUnavailable
from ftpkit.protocol.access import OFFERED_PERMISSIONS

_log = Logger()

QUERY_TIMEOUT = 10
"""Seconds a login waits for the database's answer before it gets
C{421}: a database that accepted the query and then stalled kept every
login waiting, without a reply or a log line, for as long as it stalled."""

QUERIES_WAITING = 100
"""Queries sent to the database and not yet answered (including those
whose login already timed out) past which a login gets C{421} without
one: while the database stalled, each login queued a query for good, so
that a burst of 20,000 logins held 20,000 queries, which the database
then had to answer, stale, before any new login's (logins failed for
5.6 s after it recovered)."""

GRANTED_FRESH = 60
"""Seconds what L{PostgresUsers.granted} read answers for before the
next question reads the table again: a user added or changed with
C{python -m ftpkit.pgadmin} (on any node) counts for C{FEAT} before
login within that much (and at once after login, where the user's own
permissions count), and a flood of C{FEAT} costs the database one query
a minute."""

GRANTED_QUERY = (
    "SELECT offered FROM unnest(%s::text[]) AS offered WHERE EXISTS ("
    "SELECT 1 FROM ftpkit_users"
    " WHERE NOT read_only AND name <> 'anonymous'"
    " AND (offered = ANY(permissions) OR EXISTS ("
    "SELECT 1 FROM jsonb_each(directories) AS rule"
    " WHERE jsonb_typeof(rule.value) = 'array' AND rule.value ? offered)))")
"""Which of the permissions given some named user (not C{anonymous},
whom the server's anonymous rules hold) that is not read-only is granted
by default or in some directory: L{ftpkit.auth.users.grantedTo}'s rule,
each permission's search ending at the first row that grants it."""

SCHEMA = """\
CREATE TABLE IF NOT EXISTS ftpkit_users (
    name text PRIMARY KEY,
    password text,
    home text NOT NULL,
    permissions text[] NOT NULL DEFAULT '{list,read}',
    quota bigint CHECK (quota >= 0),
    read_only boolean NOT NULL DEFAULT false,
    directories jsonb NOT NULL DEFAULT '{}'
);
-- Columns added since, to tables made before them:
ALTER TABLE ftpkit_users
    ADD COLUMN IF NOT EXISTS quota_files bigint CHECK (quota_files > 0);
"""
"""The table, as C{python -m ftpkit.pgadmin DSN init} creates it, or
brings a table made by an older ftpkit up to date (keeping its users)."""

COLUMN_NAMES = ("name", "password", "home", "permissions", "quota",
                "read_only", "directories", "quota_files")
"""The columns of the table, in the order L{entryFromRow} takes them."""

ROW = "to_jsonb(ftpkit_users)"
"""A whole row as one JSON object, for a C{SELECT}: what the table has,
so that a table not yet brought up to date (without C{quota_files}) is
still read, its users having no file quota."""


def entryFromRow(row):
    """
    Turn a row of C{ftpkit_users} into a user, checked by the users file's
    own rules.

    @param row: the values of L{COLUMN_NAMES}, in order (a row of a table
        without the last ones may leave them out), or a C{dict} of column
        to value (a row as L{ROW} selects it; a missing column is
        C{NULL}).
    @return: a L{ftpkit.auth.users.UserEntry}.
    @raise UsersFileError: when the row breaks those rules (an unknown
        permission, a bad home, a clear-text password is allowed through
        and refused at login as in a file).
    """
    if not isinstance(row, dict):
        row = dict(zip(COLUMN_NAMES, row))
    directories = row.get("directories")
    if isinstance(directories, str):
        directories = json.loads(directories)
    table = {"home": row["home"], "permissions": list(row["permissions"]),
             "read-only": bool(row.get("read_only")),
             "directories": {path: {"permissions": list(names)}
                             for path, names in (directories or {}).items()}}
    if row.get("password") is not None:
        table["password"] = row["password"]
    for column, key in (("quota", "quota"), ("quota_files", "quota-files")):
        if row.get(column) is not None:
            table[key] = int(row[column])
    return parseUser(row["name"], table)


class PostgresUsers:
    """
    The users of a PostgreSQL database, read at each login.

    It stands where a L{ftpkit.auth.users.UsersDatabase} does: L{get} returns
    a Deferred instead of a user.

    @ivar path: where the users come from, for messages.
    @ivar identity: what tells them from another database's
        (L{ftpkit.auth.hostcheckers.usersIdentity}): a digest of the
        connection string, which may hold a password.
    @ivar generation: always C{0}: every login reads the database anew.
    @ivar shared: C{True}: other servers change the same homes, so a
        login measures its home's usage again for the quota when the
        quota changed, or a minute after the last
        (L{ftpkit.shells.sharedquota.LoginMeasures}).
    @ivar waiting: queries sent and not yet answered.
    @ivar maxWaiting: how many may be, at most: L{QUERIES_WAITING}.
    @ivar grantedRead: what L{granted} last read (C{None} before the
        database first answered), and when its query was sent.
    """

    generation = 0
    maxWaiting = QUERIES_WAITING
    shared = True

    def __init__(self, dsn, pool=None, clock=None, timeout=QUERY_TIMEOUT):
        """
        @param dsn: a libpq connection string (C{"host=... dbname=..."} or
            C{"postgresql://..."}); libpq's environment (C{PGPASSWORD},
            C{PGPASSFILE}, C{PGSERVICE}) fills in what it leaves out.
        @param pool: an L{twisted.enterprise.adbapi.ConnectionPool}; a
            L{ftpkit.compat.dbpool.ReconnectingPool} on C{psycopg} is made
            when C{None}. It starts when the reactor runs.
        @param clock: the L{IReactorTime} timing queries; the reactor when
            C{None}.
        @param timeout: seconds a query may take, L{QUERY_TIMEOUT}.
        """
        if clock is None:
            from twisted.internet import reactor as clock
        self.clock = clock
        self.timeout = timeout
        self.waiting = 0
        self.path = "PostgreSQL"
        self.identity = "PostgreSQL " + hashlib.sha256(
            dsn.encode("utf-8", "surrogateescape")).hexdigest()
        self.pool = pool if pool is not None else connectionPool(
            "psycopg", dsn, cp_min=1, cp_max=4, cp_reconnect=True,
            cp_noisy=False)
        self.grantedRead = (None, None)
        self._readingGranted = False
        self._firstGranted = []

    def grantedKnown(self):
        """
        Wait for the database's first answer to L{granted}'s query (asked
        now if it never was): until then L{granted} offers everything.

        @return: C{None} once it answered, or failed, or a caller gave
            up waiting; otherwise a Deferred of the caller's own firing
            with C{None} then. Cancelling it (the caller's bound on its
            wait passed) ends every wait: the database is slow, and a
            C{FEAT} before login waited that bound each time while its
            query went unanswered.
        """
        if self._firstGranted is None:
            return None
        self.granted()
        if self._firstGranted is None:
            return None

        def cancel(waiter):
            if self._firstGranted is not None:
                self._firstGranted.remove(waiter)
                self._firstAnswer()

        waiter = defer.Deferred(cancel)
        self._firstGranted.append(waiter)
        return waiter

    def _firstAnswer(self):
        """
        The query of L{granted} was answered or failed, or a caller gave
        up waiting for it: tell L{grantedKnown}'s waiters, the first time.
        """
        waiters, self._firstGranted = self._firstGranted, None
        for waiter in waiters or ():
            waiter.callback(None)

    def granted(self):
        """
        Which of L{OFFERED_PERMISSIONS} some named user that is not
        read-only is granted somewhere (L{GRANTED_QUERY}), as last read;
        read again in the background (L{GRANTED_FRESH}) when that is
        older, or never was, and no such read is under way.

        @return: a C{frozenset}: L{OFFERED_PERMISSIONS} until the
            database first answered (or while it cannot).
        """
        granted, sent = self.grantedRead
        now = self.clock.seconds()
        if (not self._readingGranted and self.waiting < self.maxWaiting
                and (sent is None or now - sent >= GRANTED_FRESH)):
            self._readingGranted = True
            self.grantedRead = (granted, now)
            self.waiting += 1
            query = self.pool.runQuery(GRANTED_QUERY,
                                       (sorted(OFFERED_PERMISSIONS),))
            query.addBoth(self._answered)
            query.addCallbacks(self._grantedFound, self._grantedFailed)
        return OFFERED_PERMISSIONS if granted is None else granted

    def _grantedFound(self, rows):
        self._readingGranted = False
        self.grantedRead = (OFFERED_PERMISSIONS & frozenset(
            row[0] for row in rows), self.grantedRead[1])
        self._firstAnswer()

    def _grantedFailed(self, failure):
        self._readingGranted = False
        why = " ".join(failure.getErrorMessage().split())
        _log.warn("PostgreSQL permissions granted not read: {why}",
                  why=why or failure.type.__name__)
        self._firstAnswer()

    def get(self, name):
        """
        @param name: a user name.
        @return: a Deferred firing with the L{ftpkit.auth.users.UserEntry}, or
            C{None} for an unknown user (or one whose row breaks the rules,
            which is logged); failing with
            L{ftpkit.errors.ServiceUnavailable} when the database cannot
            answer.
        """
        if "\x00" in name:
            # No user has it (PostgreSQL text holds no NUL), and the
            # query would fail as if the database were down: 421 and an
            # error line for anyone who sent USER with a NUL, instead of
            # a failed login.
            return defer.succeed(None)
        if not isUTF8(name):
            # Bytes that are not UTF-8 (kept as surrogates): psycopg cannot
            # send them, and the query failed as the NUL's did.
            return defer.succeed(None)
        if self.waiting >= self.maxWaiting:
            return defer.fail(TimeoutError(
                f"{self.waiting} queries unanswered")).addErrback(
                    self._failed)
        self.waiting += 1
        query = self.pool.runQuery(
            f"SELECT {ROW} FROM ftpkit_users WHERE name = %s", (name,))
        query.addBoth(self._answered)
        login = detached(query)
        login.addTimeout(self.timeout, self.clock,
                         onTimeoutCancel=self._late)
        return login.addCallbacks(self._found, self._failed,
                                  callbackArgs=(name,))

    def _answered(self, result):
        """
        The database answered a query (or failed it): one fewer waits.

        @param result: its result, passed on.
        """
        self.waiting -= 1
        return result

    def _found(self, rows, name):
        if not rows:
            return None
        try:
            return entryFromRow(rows[0][0])
        except UsersFileError as e:
            _log.error("PostgreSQL user {user} refused: {why}", user=name,
                       why=str(e))
            return None

    def _late(self, result, timeout):
        """
        Turn a query cancelled for taking too long into a failure that
        says so (L{_failed} logs it). The query's thread still waits for
        the database; its answer, when it comes, is dropped.

        @param result: the L{defer.CancelledError} failure.
        @param timeout: the seconds it had.
        @return: a failure naming the time.
        """
        return Failure(TimeoutError(f"no answer in {timeout} s"))

    def _failed(self, failure):
        why = " ".join(failure.getErrorMessage().split())
        _log.error("PostgreSQL user database unavailable: {why}",
                   why=why or failure.type.__name__)
        raise ServiceUnavailable(
            "User database unavailable, try again later")

    def reload(self):
        """
        Nothing to do: every login reads the database (C{SIGHUP} calls
        this as it does for a users file).

        @return: C{None}: nothing was replaced, and nothing failed (a
            C{False} counts as a failed reload in C{--metrics}).
        """
        return None

    def close(self):
        """
        Close the database connections.
        """
        self.pool.close()


def isUTF8(name):
    """
    @param name: a user name, bytes that are not UTF-8 kept as surrogates
        (C{surrogateescape}).
    @return: whether it is text that can be sent to PostgreSQL as UTF-8.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def detached(query):
    """
    @param query: a Deferred.
    @return: a Deferred firing with C{query}'s result, whose cancelling
        (a login's time running out) leaves C{query} waiting for its
        answer, which is then dropped.
    """
    login = defer.Deferred()

    def settle(result):
        if not login.called:
            if isinstance(result, Failure):
                login.errback(result)
            else:
                login.callback(result)

    query.addBoth(settle)
    return login


_databases = {}


def databaseFor(dsn):
    """
    One L{PostgresUsers} per connection string, so that C{--auth pg:DSN}
    and C{--realm pg:DSN} share their connections.

    @param dsn: the connection string.
    @return: the L{PostgresUsers}.
    """
    if dsn not in _databases:
        _databases[dsn] = PostgresUsers(dsn)
    return _databases[dsn]

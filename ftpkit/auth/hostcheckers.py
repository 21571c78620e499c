"""
L{checkerForHost}: the checker a virtual host's logins go through (no
reactor here).

Every virtual host shares the server's checkers (C{--auth}): a user name
means the same user on every host. But a host whose realm has users of
its own, with their passwords (C{--vhost NAME=users:PATH} with another
file than the server's C{--auth users:PATH}, or another C{pg:DSN}), is
how the guide keeps the hosts' users apart, and the server's users
checker still checked the passwords of its own file there: the host's
C{alice} was logged in with the default host's C{alice}'s password (and
her own refused), and a user only the host's file names could not log
in at all. On such a host, a users checker of another database checks
the host's database instead; the other checkers (C{unix}, C{file:},
C{anonymous}...) are shared as before.
"""

from ftpkit.auth.checkers import AnyOfCheckers, TextCredentialsChecker


def realmUsers(realm):
    """
    @param realm: a realm.
    @return: the database of users, with their passwords, that C{realm}
        gives homes to (what a L{ftpkit.auth.users.UsersChecker} checks:
        its C{get}, C{reload}, C{path}, C{generation} and C{shared}), or
        C{None} for a realm without one.
    """
    database = getattr(realm, "database", None)
    needed = ("get", "reload", "path", "generation", "shared")
    if database is None or not all(hasattr(database, n) for n in needed):
        return None
    return database


def usersIdentity(database):
    """
    @param database: a realm's database of users (L{realmUsers}).
    @return: what tells its users from those of another database, C{str}:
        its C{identity} where it has one (a database whose C{path}, for
        messages, names no file: every PostgreSQL database's is
        C{"PostgreSQL"}), else its C{path}. The same in every process
        serving it and across restarts: partial uploads record it
        (L{ftpkit.control.handlers.login.resumerOf}).
    """
    identity = getattr(database, "identity", None)
    return identity if identity is not None else str(database.path)


def checkerForHost(checker, database):
    """
    @param checker: one of the server's checkers (for one credentials
        interface).
    @param database: the users of a virtual host's realm
        (L{realmUsers}), or C{None}.
    @return: the checker the host's logins go through: C{checker}, but a
        users checker of another database than C{database} checks
        C{database} instead (inside an L{AnyOfCheckers} or a
        L{TextCredentialsChecker} too).
    """
    if database is None:
        return checker
    if isinstance(checker, AnyOfCheckers):
        replaced = []
        for each in checker.checkers:
            each = checkerForHost(each, database)
            if not any(each is kept or _sameUsers(each, kept)
                       for kept in replaced):
                replaced.append(each)
        return AnyOfCheckers(replaced)
    if isinstance(checker, TextCredentialsChecker):
        inner = checkerForHost(checker.checker, database)
        return checker if inner is checker.checker else (
            TextCredentialsChecker(inner))
    known = getattr(checker, "database", None)
    if known is None or known is database:
        return checker
    return type(checker)(database)


def _usersOf(checker):
    """
    @return: the database of users a checker checks, or C{None}.
    """
    return getattr(getattr(checker, "checker", checker), "database", None)


def _sameUsers(one, other):
    """
    @return: whether two checkers check the same database of users (a
        second one would check each wrong password twice).
    """
    database = _usersOf(one)
    return database is not None and database is _usersOf(other)

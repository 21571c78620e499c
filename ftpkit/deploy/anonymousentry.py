"""
The start-up warning for C{--auth anonymous} beside a users file that has
no entry for anonymous users: every anonymous login is then refused, and
logged as a failed login (C{530}), which reads like a wrong password;
and whether anonymous users see every home (L{anonymousSeesHomes}).
"""

from twisted.cred.credentials import IAnonymous
from twisted.logger import Logger

_log = Logger(namespace="ftpkit.deploy.service")


def acceptsAnonymous(checkers):
    """
    @param checkers: the C{twisted.cred} checkers C{--auth} gave.
    @return: whether one of them logs anonymous users in.
    """
    return any(IAnonymous in getattr(checker, "credentialInterfaces", ())
               for checker in checkers)


def anonymousSeesHomes(options):
    """
    @param options: parsed L{ftpkit.deploy.tap.Options}, its realm and
        C{config} built.
    @return: whether C{--auth} lets anonymous users in and a realm (the
        default one or a C{--vhost}'s) shows them the directory holding
        every named user's home (its C{anonymousSeesHomes}: the
        C{filesystem} and C{fsspec} realms under C{--home-per-user}; a
        users file gives anonymous users its C{anonymous} entry's home).
    """
    if not acceptsAnonymous(options.get("credCheckers", [])):
        return False
    realms = [options.get("realmObject")]
    config = options.get("config")
    if config is not None:
        realms += [host.realm for host in config.virtualHosts]
    return any(getattr(realm, "anonymousSeesHomes", False)
               for realm in realms)


def anonymousWithoutEntry(options):
    """
    @param options: parsed L{ftpkit.deploy.tap.Options}.
    @return: the users file's path when C{--auth} lets anonymous users in
        and the default realm is a users file (C{--realm users:PATH})
        with no C{anonymous} entry; else C{None}.
    """
    database = getattr(options.get("realmObject"), "database", None)
    if database is None or not acceptsAnonymous(
            options.get("credCheckers", [])):
        return None
    # Only a users file can lack the entry: a realm without a database
    # does not load the users file's modules (and tomllib) for this check.
    from ftpkit.auth.users import UsersDatabase

    if (not isinstance(database, UsersDatabase)
            or database.get("anonymous") is not None):
        return None
    return database.path


def warnAnonymousWithoutEntry(options):
    """
    Log a warning when L{anonymousWithoutEntry} finds the users file.

    @param options: parsed L{ftpkit.deploy.tap.Options}.
    """
    path = anonymousWithoutEntry(options)
    if path is not None:
        _log.warn(
            "--auth anonymous with --realm users:{path}: the file has no "
            "entry named anonymous, so every anonymous login is refused "
            "(530). Add a [users.anonymous] entry with its home (see "
            "docs/virtual-users.rst).", path=path)

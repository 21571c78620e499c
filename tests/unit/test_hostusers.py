"""
What tells a virtual host's own users from another's
(L{ftpkit.auth.hostcheckers.usersIdentity},
L{ftpkit.control.server.FTPFactory.usersOf}): two hosts each with a
PostgreSQL database of its own (C{--vhost a.test=pg:DSN1},
C{--vhost b.test=pg:DSN2}) were told apart by the databases' C{path},
which is C{"PostgreSQL"} for every one: A's C{alice} and B's counted as
one user for C{--max-sessions-per-user}, and each resumed the other's
partial uploads.
"""

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.credentials import IUsernamePassword
from twisted.cred.portal import IRealm, Portal
from twisted.internet.task import Clock
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.auth.hostcheckers import usersIdentity
from ftpkit.auth.pgusers import PostgresUsers
from ftpkit.config import ServerConfig
from ftpkit.control.server import FTPFactory
from ftpkit.control.vhosts import VirtualHost


class _Database:
    """
    A database of users as L{ftpkit.auth.hostcheckers.realmUsers} finds
    one.
    """

    generation = 0
    shared = True

    def __init__(self, path, identity=None):
        self.path = path
        if identity is not None:
            self.identity = identity

    def get(self, name):
        return None

    def reload(self):
        pass


@implementer(ICredentialsChecker)
class _Checker:
    """
    A users checker: it checks C{database}.
    """

    credentialInterfaces = (IUsernamePassword,)

    def __init__(self, database):
        self.database = database

    def requestAvatarId(self, credentials):
        raise NotImplementedError()


@implementer(IRealm)
class _Realm:
    """
    A realm whose users are C{database}'s.
    """

    def __init__(self, database):
        self.database = database

    def requestAvatar(self, avatarId, mind, *interfaces):
        raise NotImplementedError()


class UsersIdentityTests(unittest.TestCase):
    """
    L{usersIdentity}.
    """

    def test_path(self):
        """
        A users file's: its path.
        """
        self.assertEqual(usersIdentity(_Database("/etc/B.toml")),
                         "/etc/B.toml")

    def test_postgres(self):
        """
        A PostgreSQL database's: its own for each connection string, the
        same for the same one, and no password in it.
        """
        def users(dsn):
            return PostgresUsers(dsn, pool=object(), clock=Clock())

        one = usersIdentity(users("host=db dbname=a password=hunter2"))
        self.assertEqual(
            one, usersIdentity(users("host=db dbname=a password=hunter2")))
        self.assertNotEqual(
            one, usersIdentity(users("host=db dbname=b password=hunter2")))
        self.assertNotIn("hunter2", one)


class HostsApartTests(unittest.TestCase):
    """
    L{FTPFactory.usersOf} for hosts whose realms have users of their own.
    """

    def test_databasesOfOnePath(self):
        """
        Two hosts whose databases have the same C{path} (as every
        PostgreSQL one has) and are not the same get two identities.
        """
        server = Portal(_Realm(None), [_Checker(_Database("/etc/A.toml"))])
        hosts = [VirtualHost((name,), "pg",
                             _Realm(_Database("PostgreSQL", name)))
                 for name in ("a.test", "b.test")]
        factory = FTPFactory(server, ServerConfig(virtualHosts=hosts),
                             reactor=Clock())
        identities = [factory.usersOf(factory.pickHost(name, ())[0])
                      for name in ("a.test", "b.test")]
        self.assertEqual(identities, ["a.test", "b.test"])

"""
What is worked out from every user of a users file (the dummy hash's
cost, the permissions C{FEAT} offers, the quotas' homes) is worked out
with the file's parse, in its thread, and put in force with the users
(L{ftpkit.auth.reloadingfile.ReloadingFile.derived},
L{ftpkit.auth.usersviews}): the first logins, C{FEAT} and change after
a reload worked them out in the reactor, holding every session.
"""

import os
import threading

from twisted.cred import credentials, error
from twisted.internet import defer
from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.auth import usersfile
from ftpkit.auth.passwordhash import (
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    hashPassword,
    parseHash,
)
from ftpkit.auth.users import UsersChecker, UsersDatabase, UsersRealm
from ftpkit.auth.usersviews import UsersView, fileCost
from ftpkit.interfaces import IFTPShell
from ftpkit.shells import nestedquotas
from tests.usersfiles import ALICE_HASH, writeText

try:
    import fsspec
except ImportError:
    fsspec = None
else:
    from ftpkit.auth.fsspecrealm import FsspecRealm
    from tests.fsspecrealms import memoryFilesystem

OTHERS = 30
"""Users besides alice in the files of the tests."""


def usersText(names, permissions=("list", "read"), password=ALICE_HASH):
    """
    @param names: user names.
    @param permissions: what each may do.
    @param password: each one's hash (alice's password, C{secret}).
    @return: a users file's TOML naming them, each with a quota.
    """
    granted = ", ".join(f'"{name}"' for name in permissions)
    return "".join(
        f'[users.{name}]\npassword = "{password}"\nhome = "{name}"\n'
        f"permissions = [{granted}]\nquota = 1000000\n" for name in names)


def others(prefix):
    """
    @param prefix: what the names start with.
    @return: L{OTHERS} user names.
    """
    return [f"{prefix}{number}" for number in range(OTHERS)]


class ReactorReads:
    """
    A test case mixin: which users' entries the reactor's thread reads an
    attribute of (L{touched}), for the entries parsed from now on, and
    which homes it adds to what quotas know (L{added}).

    @ivar touched: the names of the users whose entries were read in the
        reactor's (the main) thread.
    @ivar added: the homes added to a L{nestedquotas.QuotaHomes} in the
        reactor's thread, each a tuple of segments.
    """

    def recordReads(self):
        """
        Parse every users file from now on into entries that record it,
        and record the homes added to quotas.
        """
        touched = self.touched = set()
        added = self.added = set()
        add = nestedquotas.QuotaHomes.add

        def recordedAdd(homes, home, limited):
            if threading.current_thread() is threading.main_thread():
                added.add(home)
            return add(homes, home, limited)

        self.patch(nestedquotas.QuotaHomes, "add", recordedAdd)

        class RecordedEntry(usersfile.UserEntry):
            def __getattribute__(self, name):
                if (name in usersfile.UserEntry.__dataclass_fields__
                        and threading.current_thread()
                        is threading.main_thread()):
                    touched.add(object.__getattribute__(self, "name"))
                return object.__getattribute__(self, name)

        self.patch(usersfile, "UserEntry", RecordedEntry)


class DiskRealmTests(ReactorReads, unittest.TestCase):
    """
    C{--auth users:PATH} with C{--realm users:PATH}: L{UsersChecker} and
    L{UsersRealm} of one L{UsersDatabase}, reading it again in a thread.
    """

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        self.path = os.path.join(self.root, "users.toml")
        writeText(self.path, usersText(["alice"] + others("a")))
        self.database = UsersDatabase(self.path)
        # No time passes on it: a login waits for all of a reading.
        self.database.clock = Clock()
        self.checker = UsersChecker(self.database)
        self.realm = UsersRealm(self.database, self.root)

    def login(self, name):
        """
        @param name: a user name, whose password is C{secret}.
        @return: the checker's answer.
        """
        return self.checker.requestAvatarId(
            credentials.UsernamePassword(name.encode(), b"secret"))

    @defer.inlineCallbacks
    def test_firstLoginsReadOneEntry(self):
        """
        After the file was replaced, the first login of a known name, its
        shell, the first login of an unknown one, the permissions C{FEAT}
        offers and the first change read no entry in the reactor but the
        user's own, and add no home of the file to what quotas know
        (where they are nested is asked at each change): the dummy hash's
        cost, the quotas' homes and the permissions granted were worked
        out in the parse's thread. (Other tests' realms, of other roots,
        may be known too.)
        """
        self.recordReads()
        writeText(self.path, usersText(["alice"] + others("b"),
                                       ("list", "read", "mkdir")))
        self.assertEqual((yield self.login("alice")), "alice")
        yield self.realm.requestAvatar("alice", None, IFTPShell)
        yield self.assertFailure(self.login("nobody"),
                                 error.UnauthorizedLogin)
        self.assertIn("mkdir", self.realm.grantedPermissions)
        self.assertIsInstance(self.realm.quotaHomes().nested, bool)
        self.assertEqual(self.touched, {"alice"})
        root = tuple(os.path.realpath(self.root).strip("/").split("/"))
        self.assertEqual([home for home in self.added
                          if home[:len(root)] == root], [])

    @defer.inlineCallbacks
    def test_valuesOfNewUsers(self):
        """
        The values are those of the users read again: a file whose hashes
        all have another cost gives the dummy hash that cost, read in a
        thread or by the synchronous C{get} (here and now).
        """
        cost = parseHash(ALICE_HASH)[:3]
        other = (cost[0] * 2,) + cost[1:]
        writeText(self.path, usersText(
            ["alice"] + others("c"), password=hashPassword(
                "x", n=other[0], r=other[1], p=other[2])))
        yield self.database.whenCurrent()
        self.assertEqual(self.checker._dummyCost(), other)
        writeText(self.path, usersText(["alice", "bob"]))
        self.assertIsNotNone(self.database.get("bob"))
        self.assertEqual(self.checker._dummyCost(), cost)


class DerivedTests(unittest.TestCase):
    """
    L{ftpkit.auth.reloadingfile.ReloadingFile.derived}, and
    L{UsersView} of a database without it.
    """

    def setUp(self):
        self.path = os.path.abspath(self.mktemp())
        writeText(self.path, usersText(["alice"]))
        self.database = UsersDatabase(self.path)
        # No time passes on it: whenCurrent waits for all of a reading.
        self.database.clock = Clock()
        self.threads = []

    def names(self, users, suffix):
        """
        What the tests derive: the users' names, each with C{suffix};
        where it ran is kept in C{threads}.
        """
        self.threads.append(threading.current_thread())
        return sorted(name + suffix for name in users)

    @defer.inlineCallbacks
    def test_workedOutWithParse(self):
        """
        Asked once, here, a value is worked out again in the parse's
        thread, and is in force with the users it is of; another value
        (other arguments) is one of its own.
        """
        self.assertEqual(self.database.derived(self.names, "!"), ["alice!"])
        self.assertEqual(self.database.derived(self.names, "?"), ["alice?"])
        writeText(self.path, usersText(["alice", "bob"]))
        yield self.database.whenCurrent()
        main = threading.main_thread()
        self.assertEqual([thread is main for thread in self.threads],
                         [True, True, False, False])
        self.assertEqual(self.database.derived(self.names, "!"),
                         ["alice!", "bob!"])
        self.assertEqual(len(self.threads), 4)

    def test_usersPutInPlace(self):
        """
        Users put in place by hand (not read from the file) are worked
        out from here and now, once.
        """
        self.database.derived(self.names, "")
        self.database.users = {"carol": None}
        self.assertEqual(self.database.derived(self.names, ""), ["carol"])
        self.assertEqual(self.database.derived(self.names, ""), ["carol"])
        self.assertEqual(len(self.threads), 2)

    def test_databaseWithoutDerived(self):
        """
        For a database without C{derived}, a L{UsersView} works the value
        out itself, again when its C{users} is another object.
        """
        class Bare:
            users = {"dave": None}

        view = UsersView(self.names, "")
        self.assertEqual(view.of(Bare), ["dave"])
        self.assertEqual(view.of(Bare), ["dave"])
        Bare.users = {"erin": None}
        self.assertEqual(view.of(Bare), ["erin"])
        self.assertEqual(len(self.threads), 2)
        Bare.users = {}
        self.assertEqual(UsersView(fileCost).of(Bare),
                         (SCRYPT_N, SCRYPT_R, SCRYPT_P))


class FsspecRealmTests(ReactorReads, unittest.TestCase):
    """
    C{--realm fsspec:URL} with C{users=PATH}: L{FsspecRealm}.
    """

    if fsspec is None:
        skip = "fsspec is not installed"

    @defer.inlineCallbacks
    def test_firstLoginReadsOneEntry(self):
        """
        The first login after the file was replaced reads no entry in the
        reactor but the user's own: the quotas' homes were worked out in
        the parse's thread.
        """
        path = os.path.abspath(self.mktemp())
        writeText(path, usersText(["alice"] + others("a")))
        fs = memoryFilesystem()
        realm = FsspecRealm(lambda: fs, "/srv", database=UsersDatabase(path))
        yield realm.requestAvatar("alice", None, IFTPShell)
        self.recordReads()
        writeText(path, usersText(["alice"] + others("bb")))
        yield realm.requestAvatar("alice", None, IFTPShell)
        self.assertEqual(realm.quotaHomes().nested, False)
        self.assertEqual(self.touched, {"alice"})
        self.assertEqual(self.added, set())
        yield realm.whenIdle()

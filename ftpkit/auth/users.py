"""
Virtual users from a TOML file: the C{twisted.cred} side.

L{UsersDatabase} reads the file (L{ftpkit.auth.usersfile}), again when its
modification time changes, or on C{SIGHUP} through
L{ftpkit.deploy.hangup.ReloadOnHangup}; L{UsersChecker} is the checker of
C{--auth users:PATH}, against the scrypt hashes of
L{ftpkit.auth.passwordhash} (C{python -m ftpkit.passwd} writes them), and
L{UsersRealm} the realm of C{--realm users:PATH}. The names of those two
modules are importable from here too, as they were before the split.
"""

import os
import weakref
from collections import Counter

from twisted.cred import checkers, credentials, error
from twisted.cred.portal import IRealm
from twisted.internet import defer, threads
from twisted.logger import Logger
from zope.interface import alsoProvides, implementer

from ftpkit.auth.dummycosts import (  # noqa: F401 (importable from here, as before)
    SEEN_COSTS,
    commonCost,
    mostCommonCost,
)
from ftpkit.auth.passwordhash import (
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    dummyHash,
    hashPassword,
    isPasswordHash,
    parseHash,
    verifyPassword,
)
from ftpkit.auth.realms import (
    checkAvatarInterfaces,
    homeUnavailable,
    isAnonymous,
    noLogout,
    shareUsage,
    wrapForUser,
)
from ftpkit.auth.reloadingfile import ReloadingFile
from ftpkit.auth.usersfile import (
    DEFAULT_PERMISSIONS,
    UserEntry,
    UsersFileError,
    parseUser,
    parseUsers,
    parseUsersData,
    readUsersData,
    readUsersFile,
)
from ftpkit.auth.usersviews import (  # noqa: F401 (grantedTo: importable from here, as before)
    UsersView,
    diskHomes,
    fileCost,
    grantedTo,
    limited,
    segments,
)
from ftpkit.deploy.startdirectory import fromStart
from ftpkit.deploy.startvalues import atStart
from ftpkit.fileinfo import StorageChange
from ftpkit.interfaces import IFTPShell, IFTPShellRates
from ftpkit.protocol.access import OFFERED_PERMISSIONS
from ftpkit.shells.diskcap import PartialCap
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.keptregistry import MAX_KEPT_PER_USER
from ftpkit.shells.nestedquotas import DISK_HOMES, Neighbours
from ftpkit.shells.permissions import (  # noqa: F401 (QuotaUsage: importable from here, as before)
    PermissionShell,
    QuotaUsage,
)
from ftpkit.shells.quotas import diskFootprint
from ftpkit.shells.sharedquota import HomeUsages, LoginMeasures

__all__ = [
    "UsersDatabase", "openUsersDatabase", "UsersChecker", "UsersRealm",
    "SCRYPT_N", "SCRYPT_R", "SCRYPT_P", "hashPassword", "parseHash",
    "isPasswordHash", "verifyPassword",
    "DEFAULT_PERMISSIONS", "UserEntry", "UsersFileError", "parseUser",
    "parseUsers", "readUsersFile",
]

_log = Logger()


class UsersDatabase(ReloadingFile):
    """
    The users of one file, read again when it changes
    (L{ReloadingFile}).

    @ivar users: a C{dict} of user name to L{UserEntry}.
    @ivar generation: bumped at each successful (re)load.
    @ivar shared: C{False}: this server alone changes the homes, so quota
        usage is measured once and then kept up to date.
    """

    shared = False

    def __init__(self, path):
        """
        Read the file.

        @param path: the users file.
        @raise UsersFileError: when it cannot be read or is not valid.
        """
        ReloadingFile.__init__(self, path, readUsersData, parseUsersData,
                               _log)
        self.generation = 0

    def reloaded(self):
        """
        Count a reload that replaced the users.
        """
        self.generation += 1

    def get(self, name):
        """
        @param name: a user name.
        @return: the L{UserEntry}, or C{None} for an unknown user (after
            a L{reloadIfChanged}: a file that changed is parsed here and
            now, holding the reactor; a login asks L{lookup}).
        """
        self.reloadIfChanged()
        return self.users.get(name)

    def lookup(self, name):
        """
        L{get}, a file that changed read again in a thread
        (L{whenCurrent}): what a login asks.

        @param name: a user name.
        @return: the L{UserEntry}, or C{None} for an unknown user; or,
            while the file is read again, a Deferred firing with it once
            the users read are in force, or from the users in force
            before when that takes longer than
            L{ftpkit.auth.reloadingfile.FRESH_WAIT}.
        """
        waiting = self.whenCurrent()
        if waiting is None:
            return self.users.get(name)
        return waiting.addCallback(lambda _: self.users.get(name))


_open = weakref.WeakValueDictionary()
"""The L{UsersDatabase}s in use, by absolute path."""


def openUsersDatabase(path):
    """
    @param path: a users file.
    @return: the L{UsersDatabase} of C{path} already in use in this
        process (C{--realm users:PATH} and C{--auth users:PATH} name the
        same file: one database reads it, and logs its reload on
        C{SIGHUP}, once), or a new one.
    @raise UsersFileError: see L{UsersDatabase.__init__}.
    @raise ValueError: for a relative path whose directory cannot be read
        (L{ftpkit.deploy.startdirectory.fromStart}, which resolves it).
    """
    path = fromStart(path)
    database = _open.get(path)
    if database is None:
        database = _open[path] = UsersDatabase(path)
    return database


@implementer(checkers.ICredentialsChecker)
class UsersChecker:
    """
    The C{--auth users:PATH} checker: user names and passwords checked
    against the hashes of a L{UsersDatabase}.

    The scrypt check runs in a thread. An unknown user, a user without a
    password and a clear-text entry (refused, with an error logged) all
    cost a check against a dummy hash, so that they take the time a
    wrong password takes: a dummy of the cost most of the file's hashes
    have (L{commonCost}), worked out with each parse of the file, in its
    thread (L{ftpkit.auth.usersviews}). A dummy of the default cost
    answered an unknown name ten times as fast as a known one in a file
    whose hashes an operator made at C{N=2**17} (what OWASP advises), so
    the time of a failed login told which names exist.

    @ivar database: the L{UsersDatabase}.
    @ivar reload: the database's C{reload}, called on C{SIGHUP}.
    """

    credentialInterfaces = (credentials.IUsernamePassword,)

    def __init__(self, database, run=threads.deferToThread):
        """
        @param database: a L{UsersDatabase}, or anything with its C{get},
            C{reload} and C{path} whose C{get} may return a Deferred
            (L{ftpkit.auth.pgusers.PostgresUsers}); its C{lookup}, where
            it has one, is asked instead.
        @param run: runs a blocking callable off the reactor thread,
            returning a L{Deferred}.
        """
        self.database = database
        self._lookup = getattr(database, "lookup", None)
        self.reload = database.reload
        self.reloadInThread = getattr(database, "reloadInThread",
                                      database.reload)
        self._run = run
        self._cost = UsersView(fileCost)
        self._cost.start(database)
        self._seenCosts = Counter()

    def _storedHash(self, entry, name):
        """
        @param entry: the user's L{UserEntry}, or C{None}.
        @param name: the user name, C{str}.
        @return: C{(hash, real)}: the hash to check against (C{None} for
            the dummy one) and whether it is the user's own.
        """
        if entry is None or entry.password is None:
            return None, False
        if not isPasswordHash(entry.password):
            _log.error(
                "users file {path}: user {user} has a clear-text password;"
                " refused (set a hash with python -m ftpkit.passwd)",
                path=self.database.path, user=name)
            return None, False
        return entry.password, True

    def requestAvatarId(self, creds):
        """
        Check a user name and password.

        @param creds: L{credentials.IUsernamePassword} (C{bytes} or C{str}).
        @return: a Deferred firing with the user name (C{str}); fails with
            L{error.UnauthorizedLogin}, or with what the database's C{get}
            failed with.
        """
        try:
            name = _text(creds.username)
            password = _text(creds.password)
        except UnicodeDecodeError:
            return _refused()
        entry = (self._lookup or self.database.get)(name)
        if isinstance(entry, defer.Deferred):
            return entry.addCallback(self._check, name, password)
        return self._check(entry, name, password)

    def _check(self, entry, name, password):
        """
        @param entry: the user's L{UserEntry}, or C{None}.
        @param name: the user name.
        @param password: the password given.
        @return: a Deferred firing with C{name} when the password matches.
        """
        stored, real = self._storedHash(entry, name)
        if stored is None:
            checking = self._run(_verifyOrDummy, password, None,
                                 self._dummyCost())
        else:
            self._found(stored)
            checking = self._run(_verifyOrDummy, password, stored)

        def checked(match):
            if match and real:
                return name
            raise error.UnauthorizedLogin("wrong user name or password")

        return checking.addCallback(checked)

    def _found(self, stored):
        """
        A login found a user's hash in a database read at each login
        (one without C{users}, PostgreSQL's): count its cost, which the
        dummy's follows (L{_dummyCost}).

        @param stored: the hash.
        """
        if getattr(self.database, "users", None) is not None:
            return
        cost = parseHash(stored)[:3]
        if cost in self._seenCosts or len(self._seenCosts) < SEEN_COSTS:
            self._seenCosts[cost] += 1

    def _dummyCost(self):
        """
        @return: the C{(n, r, p)} of the dummy hash: L{commonCost} of the
            database's users, worked out again as they are reloaded; for
            a database without C{users} (PostgreSQL's), the cost most of
            the hashes logins found had, the default before any. (It was
            C{None} there, which failed every unknown name's check at
            once, with a C{TypeError}, where a known name's took the
            scrypt's time.)
        """
        users = getattr(self.database, "users", None)
        if users is None:
            return mostCommonCost(self._seenCosts)
        return self._cost.of(self.database)


def _verifyOrDummy(password, stored, cost=(SCRYPT_N, SCRYPT_R, SCRYPT_P)):
    """
    L{verifyPassword}, against a dummy hash of C{cost} (C{(n, r, p)})
    when C{stored} is C{None} (blocking: the dummy is made here the first
    time, off the reactor).
    """
    return verifyPassword(
        password, dummyHash(*cost) if stored is None else stored)


def _refused():
    """
    @return: a failed Deferred with L{error.UnauthorizedLogin}.
    """
    return defer.fail(error.UnauthorizedLogin("credentials are not UTF-8"))


def _text(value):
    """
    @param value: C{str} or UTF-8 C{bytes}.
    @return: C{value} as C{str}.
    @raise UnicodeDecodeError: for bytes that are not UTF-8.
    """
    return value.decode("utf-8") if isinstance(value, bytes) else value


@implementer(IRealm)
class UsersRealm:
    """
    The C{--realm users:PATH} realm: each user of a L{UsersDatabase} sees
    their home on disk, with their permissions, quota and read-only flag.

    Anonymous users (C{--auth anonymous}) get the entry named
    C{anonymous}, when there is one; otherwise they are refused. A user
    keeps the rules in force when they logged in until they log in again.

    @ivar database: the L{UsersDatabase}.
    @ivar root: where relative homes are, an absolute path.
    @ivar reload: the database's C{reload}, called on C{SIGHUP}.
    @cvar knownPermissions: what L{grantedPermissions} speaks for
        (L{ftpkit.protocol.access.grantedBy}): every permission offered.
    """

    knownPermissions = OFFERED_PERMISSIONS

    def __init__(self, database, root, readOnly=False, anonymousWrite=False,
                 reactor=None, partialsPerUser=MAX_KEPT_PER_USER):
        """
        @param database: a L{UsersDatabase}, or anything with its C{get},
            C{reload}, C{path}, C{generation} and C{shared} whose C{get}
            may return a Deferred (L{ftpkit.auth.pgusers.PostgresUsers});
            its C{lookup}, where it has one, is asked instead.
        @param root: the directory relative homes are in.
        @param readOnly: nobody may change anything (C{--read-only}).
        @param anonymousWrite: the C{anonymous} entry may upload new
            files (C{--anonymous-write}); it is read-only otherwise.
        @param reactor: handed to each
            L{ftpkit.shells.filesystem.FilesystemShell}.
        @param partialsPerUser: the most cut uploads kept for one user
            (C{--max-partials-per-user}, L{ftpkit.shells.diskcap}).
        """
        self.database = database
        self._lookup = getattr(database, "lookup", None)
        self.reload = database.reload
        self.reloadInThread = getattr(database, "reloadInThread",
                                      database.reload)
        self.root = os.path.abspath(root)
        self._readOnly = readOnly
        self._anonymousWrite = anonymousWrite
        self._reactor = reactor
        self._partialCap = PartialCap(partialsPerUser)
        self._granted = UsersView(grantedTo)
        self._homesOf = UsersView(diskHomes, self.root)
        if not readOnly:
            self._granted.start(database)
        self._usages = HomeUsages(lambda: self.database.generation)
        self._measures = LoginMeasures(self._seconds)
        self._homes = None
        # Known from the start: a session of another realm of the process
        # (a --vhost's) may change a home of this one's before any login
        # here, as in a worker of --workers that has none yet.
        atStart(self.quotaHomes)

    @property
    def grantedPermissions(self):
        """
        Which of L{ftpkit.protocol.access.OFFERED_PERMISSIONS} some named
        user of a users file may use somewhere (L{grantedTo}), for what
        C{FEAT} offers before login (L{ftpkit.protocol.access.grantedBy});
        a database that does not hold its users asked (its C{granted}: a
        PostgreSQL one's, L{ftpkit.auth.pgusers.PostgresUsers.granted}),
        or all of them if it cannot tell; all of them under
        C{--read-only}.
        """
        if self._readOnly:
            return OFFERED_PERMISSIONS
        users = getattr(self.database, "users", None)
        if users is None:
            granted = getattr(self.database, "granted", None)
            return OFFERED_PERMISSIONS if granted is None else granted()
        return self._granted.of(self.database)

    def grantsKnown(self):
        """
        Wait until L{grantedPermissions} says what the database says: a
        database that does not hold its users asked (a PostgreSQL one)
        offers everything until it first answered.

        @return: C{None} when it says so now; otherwise a Deferred of the
            caller's own (see
            L{ftpkit.auth.pgusers.PostgresUsers.grantedKnown}).
        """
        known = getattr(self.database, "grantedKnown", None)
        if self._readOnly or known is None:
            return None
        return known()

    def _seconds(self):
        if self._reactor is None:
            from twisted.internet import reactor
            return reactor.seconds()
        return self._reactor.seconds()

    def sweptRoots(self):
        """
        @return: the directories its users' uploads are under, whose
            crashed uploads the sweep at start takes
            (L{ftpkit.deploy.sweepservice.sweptRoots}): C{root}, and the
            home of each user of a users file (one outside C{root}, an
            absolute C{home}, is not under it); a database read at each
            login (PostgreSQL) names no user ahead.
        """
        users = getattr(self.database, "users", {})
        return [self.root] + [os.path.normpath(os.path.join(
            self.root, entry.home)) for entry in users.values()]

    def homeOf(self, entry):
        """
        Find, and create if needed, a user's home directory.

        @param entry: a L{UserEntry}.
        @return: its absolute path.
        @raise ftpkit.errors.ServiceUnavailable: when it cannot be made
            (L{homeUnavailable}).
        """
        home = os.path.normpath(os.path.join(self.root, entry.home))
        try:
            os.makedirs(home, exist_ok=True)
        except OSError as e:
            _log.error("cannot create home {home} of {user}: {why}",
                       home=home, user=entry.name, why=e.strerror)
            raise homeUnavailable() from None
        return home

    def usageOf(self, home):
        """
        @param home: an absolute home directory.
        @return: the L{QuotaUsage} every session of that home shares
            (with the other workers of C{--workers}: see
            L{ftpkit.shells.sharedquota}); after a reload of the database
            each is measured again.
        @raise ftpkit.errors.ServiceUnavailable: when the workers' ledger
            of the home cannot be opened.
        """
        usage = self._usages.find(home)
        if usage is None:
            usage = shareUsage(self._usages, home, home,
                               lambda: diskFootprint(home), _log, home)
        return usage

    def quotaHomes(self):
        """
        @return: the L{ftpkit.shells.nestedquotas.SharedHomes} of the
            homes of every disk realm of the process (C{DISK_HOMES}, as
            tuples of segments of their real paths), holding this
            realm's: every user of a users file, given
            again when it is reloaded (L{diskHomes}, worked out with the
            parse, in its thread), and the users who logged in (the only
            ones a database read at each login names; under the real path
            of their home).
            C{DISK_HOMES} asks it again before each answer, so that a
            reload reaches the sessions opened before it at once.
        """
        generation = self.database.generation
        if self._homes is None or self._homesGeneration != generation:
            self._homes = DISK_HOMES
            self._homesGeneration = generation
            known = ()
            if getattr(self.database, "users", None) is not None:
                known = self._homesOf.of(self.database)
            DISK_HOMES.join(self, _usageAt, known, UsersRealm.quotaHomes)
        return self._homes

    def _partialDropped(self, partial, size):
        """
        A partial upload was dropped of the server's accord (to make room
        on a full disk, past its user's cap): the quotas whose homes held
        it count it gone (L{ftpkit.shells.nestedquotas.SharedHomes.dropped}).
        Until session 55 they counted it until they measured the home
        again.

        @param partial: its real path, C{bytes}.
        @param size: its bytes.
        """
        self.quotaHomes().dropped(segments(os.fsdecode(partial)),
                                  StorageChange(-size, -1))

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        Build the shell of a user who logged in.

        @param avatarId: a user name or C{checkers.ANONYMOUS}.
        @param mind: unused.
        @param interfaces: must include L{IFTPShell}.
        @return: C{(IFTPShell, shell, logout)}.
        @raise UnsupportedAvatarInterface: when L{IFTPShell} is not asked
            for.
        @raise error.UnauthorizedLogin: for a user not in the file.
        """
        checkAvatarInterfaces(interfaces)
        anonymous = isAnonymous(avatarId)
        name = "anonymous" if anonymous else _text(avatarId)
        entry = (self._lookup or self.database.get)(name)
        if isinstance(entry, defer.Deferred):
            return entry.addCallback(self._avatarFor, name, anonymous)
        return self._avatarFor(entry, name, anonymous)

    def _avatarFor(self, entry, name, anonymous):
        """
        @param entry: the user's L{UserEntry}, or C{None}.
        @param name: the user name.
        @param anonymous: whether it is the anonymous login.
        @return: C{(IFTPShell, shell, logout)}.
        @raise error.UnauthorizedLogin: when C{entry} is C{None}.
        """
        if entry is None:
            raise error.UnauthorizedLogin(
                f"no user {name!r} in {self.database.path}")
        home = self.homeOf(entry)
        # One usage per directory, however its realm names it (a
        # --vhost-root may be a link into a home of the default realm).
        real = os.path.realpath(home)
        usage = None
        isLimited = limited(entry)
        if isLimited:
            usage = self.usageOf(real)
            if self.database.shared and self._measures.due(
                    real, (entry.quota, entry.fileQuota)):
                usage.invalidate()
        homes = self.quotaHomes()
        where = segments(real)
        homes.add(self, where, isLimited)
        shell = PermissionShell(
            FilesystemShell(home, reactor=self._reactor,
                            partialRoots=(self.root,),
                            partialCap=self._partialCap,
                            onPartialDropped=self._partialDropped),
            entry.permissions, entry.quota, usage, entry.fileQuota,
            neighbours=Neighbours(homes, where, isLimited))
        shell = wrapForUser(shell, anonymous, self._readOnly or entry.readOnly,
                            self._anonymousWrite)
        if entry.downloadRate is not None or entry.uploadRate is not None:
            alsoProvides(shell, IFTPShellRates)
            shell.downloadRate = entry.downloadRate
            shell.uploadRate = entry.uploadRate
        return IFTPShell, shell, noLogout


def _usageAt(realm, home):
    """
    @param realm: a L{UsersRealm}.
    @param home: the segments of the real path of a home.
    @return: L{UsersRealm.usageOf} that home.
    """
    return realm.usageOf("/" + "/".join(home))

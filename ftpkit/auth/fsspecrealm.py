"""
L{FsspecRealm}: the realm of C{--realm fsspec:URL}, whose users see an
fsspec filesystem (L{ftpkit.shells.fsspecshell.FsspecShell}).

The filesystem is made at the first login, in a thread (an SFTP
connection is opened then, after C{twistd} has forked into the
background, and a store that cannot be reached refuses logins with a log
line instead of stopping the server), and shared by every session.

Homes are prefixes under the URL: C{--home-per-user} gives each named
user C{URL/USERNAME}; a users file (C{users=PATH}) gives each user their
C{home} under the URL (never above it), their permissions and quotas
(measured with C{fs.find}), through L{ftpkit.shells.permissions}.
Anonymous users see the URL itself (or, with a users file, the home of
its C{anonymous} entry); the server applies C{--read-only} and the
anonymous rules to every session.

fsspec's C{memory://} keeps its tree in the server's memory: the realm
holds it to a size (C{size=}, L{ftpkit.auth.realms.MEMORY_REALM_BYTES}
unless given) as a quota over the whole root, in bytes and in files and
directories (one per KiB), so that uploaders cannot fill the server's
memory: past it, uploads get C{552} and C{MKD} C{550}. The bytes count
each entry's key as well as its content
(L{ftpkit.shells.fsspecfootprint.keyBytes}): the store keeps each
file's and directory's full path, up to 4096 bytes, and long names held
4 times the bound in keys alone.

Cut uploads kept for a resume (L{ftpkit.shells.keptuploads}, where the
store writes in place) give way, oldest first, before that bound or a
users file's quota refuses anything for want of room: its
L{ftpkit.shells.permissions.PermissionShell} waits for the store to
remove one (L{FsspecRealm._reclaimer}), and the realm counts what went in
every quota that counted it (L{FsspecRealm._keptRemoved}).
"""

from twisted.cred import error
from twisted.cred.portal import IRealm
from twisted.internet import defer
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from ftpkit.auth.realms import (
    checkAvatarInterfaces,
    homeUnavailable,
    isAnonymous,
    isSafeUserName,
    noLogout,
    shareUsage,
    storageFailed,
    storageUnavailable,
    wrapForUser,
)
from ftpkit.auth.usersviews import UsersView, storeHomes
from ftpkit.compat.fsspecnames import stripProtocol
from ftpkit.errors import FTPError, StorageTimedOut, StorageUnavailable
from ftpkit.interfaces import IFTPShell, IFTPShellAvailable
from ftpkit.protocol import paths
from ftpkit.shells.fsspecbackends import backendFor
from ftpkit.shells.fsspeccalls import defaultPool
from ftpkit.shells.fsspecfootprint import footprint, keyBytes
from ftpkit.shells.fsspecshell import FsspecShell
from ftpkit.shells.keptregistry import MAX_KEPT_PER_USER, KeptPartials
from ftpkit.shells.keptrunning import RunningUploads
from ftpkit.shells.keptuploads import KeptUploadsShell

_log = Logger()


@implementer(IRealm)
class FsspecRealm:
    """
    Users see a path of an fsspec filesystem.

    @ivar root: the path on the filesystem served as C{/}.
    @ivar database: the L{ftpkit.auth.users.UsersDatabase}, or C{None}.
    @ivar fs: the filesystem once made, or C{None}.
    @ivar name: what names the store in every process of the server.
    @ivar oneProcess: the filesystem lives in this process (fsspec's
        C{memory://}): the workers of C{--workers} cannot share it.
    @ivar anonymousSeesHomes: whether anonymous users see the root holding
        the named users' homes (C{homePerUser} without a users file).
    """

    oneProcess = False

    def __init__(self, makeFilesystem, root, homePerUser=False, readOnly=False,
                 anonymousWrite=False, database=None, pool=None,
                 maxBytes=None, name="", callDeadline=None,
                 partialsPerUser=MAX_KEPT_PER_USER):
        """
        @param makeFilesystem: makes the fsspec filesystem (blocking;
            called once, in a thread, at the first login that finds none).
        @param root: the path on it served as C{/}.
        @param homePerUser: each named user gets C{ROOT/USERNAME}.
        @param readOnly: nobody may change anything.
        @param anonymousWrite: anonymous users may upload new files.
        @param database: a L{ftpkit.auth.users.UsersDatabase} giving homes,
            permissions and quotas, or C{None}.
        @param pool: the L{ftpkit.blocking.BlockingPool} for the
            filesystem's calls.
        @param maxBytes: the most bytes stored under the root, files and
            uploads in progress together, for every user (with one file
            or directory per L{ftpkit.shells.memorytree.BYTES_PER_ENTRY}
            bytes of it), or C{None} for no bound: a store held in the
            server's memory needs one.
        @param name: what names the store in every process of the server
            (its C{--realm} argument): the workers of C{--workers} share
            the quota usage of the homes of one name.
        @param callDeadline: the seconds each call on an SFTP store may
            wait for its answer (L{ftpkit.shells.fsspecposix.SFTPBackend}),
            or C{None} for the default.
        @param partialsPerUser: the most cut uploads kept for one user
            (C{--max-partials-per-user}).
        """
        self._makeFilesystem = makeFilesystem
        self.root = root.rstrip("/")
        self._homePerUser = homePerUser
        self.anonymousSeesHomes = bool(homePerUser) and database is None
        self._readOnly = readOnly
        self._anonymousWrite = anonymousWrite
        self.database = database
        if database is not None:
            self.reload = database.reload
            self.reloadInThread = database.reloadInThread
            UsersView(storeHomes).start(database)
        self._pool = pool if pool is not None else defaultPool()
        self.fs = None
        self._backend = None
        self._waiters = []
        self._sweeping = None
        self._homes = set()
        # Shared by every session's KeptUploadsShell (see there).
        self._running = RunningUploads()
        # Cut uploads kept for a resume give way, oldest first, before a
        # quota refuses anything for want of room (as on --realm memory).
        self._kept = KeptPartials(partialsPerUser, self._keptRemoved)
        self._usages = None
        self._quotaHomes = None
        self._homesGeneration = None
        self.maxBytes = maxBytes
        self._storeUsage = None
        self.name = name
        self._callDeadline = callDeadline

    def _filesystem(self):
        """
        @return: a Deferred firing with the filesystem, made on first use
            (concurrent logins wait for the same attempt; after a failed
            one, the next login tries again).
        """
        if self.fs is not None:
            return defer.succeed(self.fs)
        waiter = defer.Deferred()
        self._waiters.append(waiter)
        if len(self._waiters) == 1:
            self._pool.run(self._makeFilesystem).addBoth(self._made)
        return waiter

    def _made(self, result):
        """
        Keep the filesystem just made, or log why it could not be, and
        tell the logins waiting for it.

        @param result: the filesystem or a L{Failure}.
        """
        waiters, self._waiters = self._waiters, []
        if isinstance(result, Failure):
            _log.error("cannot open the storage: {kind}: {why}",
                       kind=result.type.__name__,
                       why=_oneLine(result.getErrorMessage()))
            for waiter in waiters:
                waiter.errback(storageUnavailable())
            return
        self.fs = result
        self._backend = backendFor(result, self._callDeadline)
        if self._backend.writesInPlace:
            # Swept once the logins waiting are told (L{whenSwept}).
            self._sweeping = []
        for waiter in waiters:
            waiter.callback(result)
        if self._backend.writesInPlace:
            self._sweep()

    def _sweep(self):
        """
        Deal with the hidden files of uploads a server that died left in
        the store (L{ftpkit.shells.keptsweep.sweepTree}), meanwhile the
        realm serves; what it did, or why it could not, is logged.
        """
        def swept(count):
            if count:
                _log.info("removed or gave back {count} hidden upload files"
                          " a stopped server left", count=count)

        def failed(reason):
            _log.error("cannot sweep the hidden upload files: {kind}: {why}",
                       kind=reason.type.__name__,
                       why=_oneLine(reason.getErrorMessage()))

        keeper = KeptUploadsShell(self.shellAt(()), running=self._running,
                                  kept=self._kept)
        keeper.sweepTree().addCallbacks(swept, failed).addBoth(self._swept)

    def _swept(self, ignored):
        """
        The sweep is over: tell L{whenSwept}'s waiters.
        """
        waiters, self._sweeping = self._sweeping, None
        for waiter in waiters:
            waiter.callback(None)

    def whenSwept(self):
        """
        @return: a Deferred firing once the sweep of hidden upload files
            the first login started (L{_sweep}) is over, at once when
            none runs: whoever closes the filesystem (a test, at its end)
            waits for it, or the sweep's next call finds the connection
            gone and opens another.
        """
        if self._sweeping is None:
            return defer.succeed(None)
        waiter = defer.Deferred()
        self._sweeping.append(waiter)
        return waiter

    def whenIdle(self):
        """
        @return: a Deferred firing once the sweep (L{whenSwept}) is over
            and no call runs or waits in the realm's pool: whoever closes
            the filesystem's connection (a test, at its end, once its
            server stopped) waits for it, or a call made as a session
            ended (a listing's close) finds the connection gone and opens
            another.
        """
        return self.whenSwept().addCallback(lambda _: self._pool.whenIdle())

    def _keptRemoved(self, key, size):
        """
        A cut upload dropped for room, or past its user's
        L{ftpkit.shells.keptregistry.MAX_KEPT_PER_USER}, was removed:
        the quotas that count it (L{maxBytes}, the users file's homes
        holding it) count what it freed, its entry and its bytes (and, for
        L{maxBytes}, its key's), so that an upload waiting for that room
        fits at once.

        @param key: its path from the root, a tuple of segments.
        @param size: its bytes.
        """
        if self._storeUsage is not None:
            self._storeUsage.adjust(-size - keyBytes(self._storeKey(key)),
                                    files=-1)
        if self._usages is not None:
            for depth in range(len(key)):
                usage = self._usages.find(key[:depth])
                if usage is not None:
                    usage.adjust(-size, files=-1)

    def _storeKey(self, path):
        """
        @param path: a tuple of segments under the root.
        @return: the store's key for C{path} (what L{keyBytes} counts),
            from the root's path as the realm names it: called in the
            reactor's thread, it asks the store nothing.
        """
        top = self.shellAt(())
        prefix = stripProtocol(top.fs, top.root or top.fs.root_marker)
        return prefix.rstrip("/") + "/" + "/".join(path)

    def _reclaimer(self, home):
        """
        @param home: a quota's home, a tuple of segments under the root.
        @return: what its L{ftpkit.shells.permissions.PermissionShell}
            calls where room lacks: drops the oldest cut upload kept in
            C{home} (L{ftpkit.shells.keptregistry.KeptPartials.dropOldestWithin}),
            or C{None} where the store keeps none.
        """
        if not self._backend.writesInPlace:
            return None
        return lambda: self._kept.dropOldestWithin(home)

    def homeOf(self, avatarId, entries=None):
        """
        @param avatarId: a user name or C{checkers.ANONYMOUS}.
        @param entries: the users file's users to find the user in, by
            name (L{requestAvatar}'s, once a file that changed was read
            again in a thread); the database is asked when C{None} (its
            C{get}: a changed file parsed here and now).
        @return: C{(home, entry)}: the home as a tuple of segments under
            the root, and the user's L{ftpkit.auth.users.UserEntry} (C{None}
            without a users file).
        @raise error.UnauthorizedLogin: for a user without a usable home.
        """
        anonymous = isAnonymous(avatarId)
        if isinstance(avatarId, bytes):
            try:
                avatarId = avatarId.decode("utf-8")
            except UnicodeDecodeError:
                raise error.UnauthorizedLogin("user name is not UTF-8") from None
        if self.database is not None:
            name = "anonymous" if anonymous else avatarId
            entry = (self.database.get(name) if entries is None
                     else entries.get(name))
            if entry is None:
                raise error.UnauthorizedLogin(f"no user {name!r} in the users file")
            try:
                return paths.resolve((), "/" + entry.home), entry
            except FTPError:
                raise error.UnauthorizedLogin(
                    f"user {name!r} has no usable home") from None
        if anonymous or not self._homePerUser:
            return (), None
        if not isSafeUserName(avatarId):
            raise error.UnauthorizedLogin(
                f"user name {avatarId!r} cannot name a home directory")
        return (avatarId,), None

    def shellAt(self, home):
        """
        @param home: a tuple of segments under the root.
        @return: an L{FsspecShell} showing C{ROOT/home} as C{/}.
        """
        root = "/".join((self.root,) + home) if home else self.root
        return FsspecShell(self.fs, root, pool=self._pool, backend=self._backend)

    @defer.inlineCallbacks
    def _makeHome(self, home):
        """
        Make a home's directories, once per realm.

        @param home: a tuple of segments under the root.
        """
        if not home or home in self._homes:
            return
        top = self.shellAt(())
        for depth in range(1, len(home) + 1):
            try:
                yield top.makeDirectory(home[:depth])
            except StorageTimedOut:
                # Asking whether it is there would wait a deadline again.
                raise
            except FTPError:
                info = yield top.stat(home[:depth])
                if not info.isDirectory:
                    raise
        self._homes.add(home)
        if self._storeUsage is not None:
            # Made past the bound's count: measured again when next needed.
            self._storeUsage.invalidate()

    def _bounded(self, shell, home):
        """
        Hold a shell of this realm to L{maxBytes}.

        @param shell: an L{FsspecShell} of this realm.
        @param home: the tuple of segments C{shell} shows as C{/}.
        @return: C{shell} in a L{ftpkit.shells.permissions.PermissionShell}
            allowing everything within quotas that every session of the
            realm shares: L{maxBytes}, counting each entry's key
            (L{ftpkit.shells.fsspecfootprint.keyBytes}) as well as the
            bytes of the files, and one file or directory per
            L{ftpkit.shells.memorytree.BYTES_PER_ENTRY} bytes of it (at
            least L{ftpkit.shells.memorytree.MIN_ENTRIES});
            its room, for C{AVBL} and C{ALLO}, is what L{maxBytes} leaves
            (L{ftpkit.shells.boundroom.BoundRoom}).
        """
        from ftpkit.shells.boundroom import BoundRoom
        from ftpkit.shells.memorytree import BYTES_PER_ENTRY, MIN_ENTRIES
        from ftpkit.shells.permissions import PermissionShell, QuotaUsage
        from ftpkit.shells.permissiontable import PERMISSIONS, PermissionTable

        top = self.shellAt(())
        fs = top.fs
        if self._storeUsage is None:
            # The root's path asked of the store in the pool, as every
            # call on it (L{usageOf}).
            self._storeUsage = QuotaUsage(
                lambda: footprint(fs, top.fsPath(()), withKeys=True),
                run=top.call)
        key = self._storeKey
        return PermissionShell(
            BoundRoom(shell, self.maxBytes), PermissionTable(PERMISSIONS),
            self.maxBytes,
            self._storeUsage,
            max(MIN_ENTRIES, self.maxBytes // BYTES_PER_ENTRY), where=home,
            entryBytes=lambda path: keyBytes(key(path)),
            entriesBelow=lambda path: top.call(
                lambda: 1 + footprint(fs, key(path)).files),
            reclaim=self._reclaimer(()))

    def usageOf(self, home, shell):
        """
        @param home: a tuple of segments under the root.
        @param shell: the L{FsspecShell} of that home.
        @return: the L{ftpkit.shells.permissions.QuotaUsage} every session
            of that home shares, with the other workers of C{--workers}
            (L{ftpkit.shells.sharedquota}); measured again after the users
            file is reloaded.
        @raise ftpkit.errors.ServiceUnavailable: when the workers' ledger
            of the home cannot be opened.
        """
        from ftpkit.shells.sharedquota import HomeUsages

        if self._usages is None:
            self._usages = HomeUsages(lambda: self.database.generation)
        usage = self._usages.find(home)
        if usage is None:
            # Named by the home's path, not its real path: a store with
            # links gives that only when asked (an SFTP server's
            # C{REALPATH}), which is made in the pool, with the store's
            # deadline, as the measurement's first step (asked here, in
            # the reactor's thread, a server that stopped answering held
            # every session).
            where = shell.root or "/"
            usage = shareUsage(
                self._usages, home, f"fsspec:{self.name} {where}",
                lambda: footprint(shell.fs, shell.fsPath(())), _log, where,
                run=shell.call)
        return usage

    def quotaHomes(self):
        """
        @return: the L{ftpkit.shells.nestedquotas.SharedHomes} of the
            users file's homes (tuples of segments under the root), this
            realm's alone, learned again once it is reloaded: it asks
            again before each answer, so that a reload reaches the
            sessions opened before it at once (a new set of homes, made
            at the next login, was not theirs: a quota the reload gave
            was exceeded). The homes are worked out with the parse, in
            its thread (L{ftpkit.auth.usersviews.storeHomes}).
        """
        from ftpkit.shells.nestedquotas import SharedHomes

        generation = self.database.generation
        if self._quotaHomes is None:
            self._quotaHomes = SharedHomes()
        if self._homesGeneration != generation:
            self._homesGeneration = generation
            homes = ()
            if getattr(self.database, "users", None) is not None:
                homes = UsersView(storeHomes).of(self.database)
            self._quotaHomes.join(self, _usageAt, homes,
                                  FsspecRealm.quotaHomes)
        return self._quotaHomes

    @defer.inlineCallbacks
    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        Build the shell of a user who logged in.

        @param avatarId: a user name or C{checkers.ANONYMOUS}.
        @param mind: unused.
        @param interfaces: must include L{IFTPShell}.
        @return: a Deferred firing with C{(IFTPShell, shell, logout)};
            failing with L{error.UnauthorizedLogin} for an unknown user,
            with L{ftpkit.errors.ServiceUnavailable} for a home that
            cannot be made (L{homeUnavailable}), or a store that cannot
            be reached or does not answer in time
            (L{storageUnavailable}).
        """
        checkAvatarInterfaces(interfaces)
        entries = None
        current = getattr(self.database, "whenCurrent", None)
        if current is not None:
            # A users file that changed is read again in a thread first.
            yield current()
            entries = self.database.users
        home, entry = self.homeOf(avatarId, entries)
        yield self._filesystem()
        if not self._backend.connected(self.fs):
            # Gone since (an SSH server down): opened again before a call;
            # where it cannot be, 421 as at the first login (it was 230,
            # then 451 at each command).
            yield self.shellAt(()).call(len, ()).addErrback(storageFailed)
        try:
            yield self._makeHome(home)
        except FTPError as e:
            _log.error("cannot make the home /{home} of {user}: {why}",
                       home="/".join(home), user=str(avatarId), why=e.message)
            if isinstance(e, (StorageTimedOut, StorageUnavailable)):
                # The store failed, not the home: as when it cannot be
                # opened (L{_made}).
                raise storageUnavailable() from None
            raise homeUnavailable() from None
        storage = shell = self.shellAt(home)
        if self._backend.writesInPlace:
            # Cut uploads kept for a resume, where the store can continue
            # one (an object store refuses resumes: 502).
            shell = KeptUploadsShell(shell, running=self._running,
                                     where=home, kept=self._kept)
        if self.maxBytes is not None:
            shell = self._bounded(shell, home)
        readOnly = self._readOnly
        if entry is not None:
            from ftpkit.shells.boundroom import BoundRoom
            from ftpkit.shells.nestedquotas import Neighbours
            from ftpkit.shells.permissions import PermissionShell

            limited = entry.quota is not None or entry.fileQuota is not None
            usage = self.usageOf(home, storage) if limited else None
            if entry.quota is not None and not (
                    IFTPShellAvailable.providedBy(shell)):
                # The store cannot tell its room (S3, SFTP): the user's
                # is what the quota leaves, for AVBL and ALLO, as on
                # the disk and under size=.
                shell = BoundRoom(shell, entry.quota)
            homes = self.quotaHomes()
            homes.add(self, home, limited)
            shell = PermissionShell(shell, entry.permissions, entry.quota,
                                    usage, entry.fileQuota,
                                    neighbours=Neighbours(homes, home,
                                                          limited),
                                    reclaim=self._reclaimer(home))
            readOnly = readOnly or entry.readOnly
        shell = wrapForUser(shell, isAnonymous(avatarId), readOnly,
                            self._anonymousWrite)
        return IFTPShell, shell, noLogout


def _usageAt(realm, home):
    """
    @param realm: an L{FsspecRealm}.
    @param home: a quota's home, a tuple of segments under its root.
    @return: L{FsspecRealm.usageOf} that home.
    """
    return realm.usageOf(home, realm.shellAt(home))


def _oneLine(text):
    """
    @return: C{text} on one line, at most 200 characters.
    """
    return " ".join(str(text).split())[:200]


def makeFsspecRealm(argument, options):
    """
    Build the realm of C{--realm fsspec:ARGUMENT}.

    @param argument: the text after C{fsspec:} (see
        L{ftpkit.shells.storageconfig.parseArgument}).
    @param options: the parsed L{ftpkit.deploy.tap.Options}.
    @return: an L{FsspecRealm}.
    @raise ValueError: for an argument, config file or users file that is
        not valid, a backend that is not installed, or a C{file://} URL
        naming no directory the server can serve
        (L{ftpkit.deploy.workerroots.servedURLAtStart}).
    """
    from ftpkit.compat.memorystores import privateMemory, serves
    from ftpkit.deploy.limitoptions import partialsPerUser
    from ftpkit.shells.storageconfig import parseArgument, resolve

    config = parseArgument(argument)
    cls, root, fsOptions = resolve(config)
    # Both asked of the class (L{serves}): the local check went by the
    # URL's protocol name, the memory bound by the class, so an alias
    # fsspec knows for one of them got one and not the other.
    if serves(cls, "file"):
        from ftpkit.deploy.workerroots import servedURLAtStart

        servedURLAtStart(config.url, root)
    database = None
    if config.users is not None:
        from ftpkit.auth.users import openUsersDatabase

        database = openUsersDatabase(config.users)

    inMemory = serves(cls, "memory")

    def makeFilesystem():
        if inMemory:
            return privateMemory(cls, fsOptions)
        return cls(skip_instance_cache=True, **fsOptions)

    maxBytes = None
    if inMemory:
        from ftpkit.auth.realms import MEMORY_REALM_BYTES

        maxBytes = config.maxBytes or MEMORY_REALM_BYTES
    realm = FsspecRealm(
        makeFilesystem, root,
        homePerUser=bool(options.get("home-per-user")),
        readOnly=bool(options.get("read-only")),
        anonymousWrite=bool(options.get("anonymous-write")),
        database=database,
        maxBytes=maxBytes,
        name=argument,
        callDeadline=config.callDeadline,
        partialsPerUser=partialsPerUser(options),
    )
    realm.oneProcess = inMemory
    return realm

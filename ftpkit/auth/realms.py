"""
The built-in realms. A realm turns an avatar id (what a checker returned)
into an L{IFTPShell}. The server holds every shell to its access rules
itself (L{ftpkit.protocol.access}); the realms here also apply the rules
they were given through L{wrapForUser}, for programs that build them with
their own settings: anonymous users are read-only unless anonymous
uploads are allowed, and C{readOnly} makes every user read-only.

What sits between C{twisted.cred}'s checkers and a realm
(L{TextCredentialsChecker}, L{AnyOfCheckers}, L{isAnonymous}) is
L{ftpkit.auth.checkers}'s, and the C{SIGHUP} reload (L{ReloadOnHangup},
L{reloadTargets}) L{ftpkit.deploy.hangup}'s; both are importable from
here too, as plugins written against this module import them.
"""

import os

from twisted.cred import error
from twisted.cred.portal import IRealm
from twisted.logger import Logger
from zope.interface import implementer

from ftpkit.auth.checkers import (
    AnyOfCheckers,
    TextCredentialsChecker,
    isAnonymous,
    textAvatarId,
)
from ftpkit.auth.dirprobe import isDirectory
from ftpkit.deploy.hangup import ReloadOnHangup, reloadTargets
from ftpkit.errors import (
    ServiceUnavailable,
    StorageTimedOut,
    StorageUnavailable,
    UnsupportedAvatarInterface,
)
from ftpkit.interfaces import IFTPShell
from ftpkit.protocol.access import AccessPolicy
from ftpkit.shells.diskcap import PartialCap
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.keptregistry import MAX_KEPT_PER_USER

_log = Logger()

__all__ = [
    "KEPT_SHELLS",
    "MEMORY_REALM_BYTES",
    "AnyOfCheckers",
    "FilesystemRealm",
    "MemoryRealm",
    "ReloadOnHangup",
    "SharedShellRealm",
    "TextCredentialsChecker",
    "checkAvatarInterfaces",
    "homeUnavailable",
    "isAnonymous",
    "isSafeUserName",
    "noLogout",
    "reloadTargets",
    "storageUnavailable",
    "wrapForUser",
]

_UNSAFE_CHARACTERS = ("/", "\\", "\0")


def wrapForUser(shell, anonymous, readOnly, anonymousWrite):
    """
    Apply write rules to the shell a user gets.

    The server applies its own rules (C{--read-only}, the anonymous rules)
    to whatever shell a realm returns (L{ftpkit.protocol.access.AccessPolicy.guard}),
    so a realm needs this only for rules of its own (a user read-only in
    the users file, say). Guarding a shell twice is harmless.

    @param shell: the user's L{IFTPShell}.
    @param anonymous: whether the user logged in anonymously.
    @param readOnly: whether nobody may change anything.
    @param anonymousWrite: whether anonymous users may upload new files
        and make directories.
    @return: C{shell}, or a L{ftpkit.shells.wrappers.ReadOnlyShell} or
        L{ftpkit.shells.wrappers.UploadOnlyShell} around it.
    """
    return AccessPolicy.of(bool(readOnly), bool(anonymous),
                           bool(anonymousWrite)).guard(shell)


def isSafeUserName(name):
    """
    Whether C{name} can be used as one directory name under a root.

    @param name: a user name (C{str}).
    @return: C{False} for C{""}, names starting with C{"."} (so C{"."}
        and C{".."} too), and names holding C{"/"}, C{"\\"}, NUL or
        another control character.
    """
    if not name or name.startswith("."):
        return False
    if any(c in name for c in _UNSAFE_CHARACTERS):
        return False
    return all(c.isprintable() for c in name)


def noLogout():
    """
    The logout callable of shells that hold nothing to release.
    """


def checkAvatarInterfaces(interfaces):
    """
    Refuse an avatar request for anything but a shell, the way
    L{twisted.cred.portal.IRealm.requestAvatar} asks a realm to.

    @param interfaces: the interfaces asked of a realm.
    @raise UnsupportedAvatarInterface: unless L{IFTPShell} is among them.
    """
    if IFTPShell not in interfaces:
        raise UnsupportedAvatarInterface(
            "this realm only provides IFTPShell avatars"
        )


def homeUnavailable():
    """
    What a realm raises when the home of a user whose password was right
    cannot be made or used (the served directory gone, a file in its
    place, a store that does not answer): the server's failure, not the
    user's. Refusing the login instead told the user the password was
    wrong, counted a failed login (the delay, the closing after
    C{--max-login-attempts}) and logged a C{failed login} line, on which
    fail2ban bans the address.

    @return: a L{ServiceUnavailable} (C{421}, and the connection closed).
    """
    return ServiceUnavailable("Home directory unavailable, try again later")


def storageUnavailable():
    """
    What a realm on a store across the network raises when a login of a
    user whose password was right finds the store itself failing: it
    cannot be opened, or does not answer in time (C{deadline=} of
    C{--realm fsspec:...}) while the user's home is made. A store that
    answers that the home cannot be made is L{homeUnavailable}'s.

    @return: a L{ServiceUnavailable} (C{421}, and the connection closed).
    """
    return ServiceUnavailable("Storage unavailable, try again later")


def storageFailed(failure):
    """
    An errback for a storage call made as a user logs in.

    @param failure: why the call failed.
    @raise ftpkit.errors.ServiceUnavailable: L{storageUnavailable}, for a
        store that cannot be reached or did not answer in time
        (L{ftpkit.errors.StorageUnavailable},
        L{ftpkit.errors.StorageTimedOut}: the call logged why); else the
        failure.
    """
    failure.trap(StorageUnavailable, StorageTimedOut)
    raise storageUnavailable()


def shareUsage(usages, key, name, measure, log, shown, run=None):
    """
    Make the quota usage every session of a home shares, with the other
    workers of C{--workers} (L{ftpkit.shells.sharedquota}), for a home
    C{usages} keeps none for; and keep it there.

    @param usages: the realm's L{ftpkit.shells.sharedquota.HomeUsages}.
    @param key: the home's key in C{usages}.
    @param name: what the quota counts, the same in every process (see
        L{ftpkit.shells.sharedquota.quotaUsage}).
    @param measure: measures the home's bytes (see
        L{ftpkit.shells.quotas.QuotaUsage}).
    @param log: the realm's L{Logger}, for the line saying why the usage
        could not be shared.
    @param shown: the home as that line names it.
    @param run: what runs C{measure} (see
        L{ftpkit.shells.quotas.QuotaUsage}); C{None} for a thread.
    @return: the usage.
    @raise ServiceUnavailable: (L{homeUnavailable}) when the workers'
        ledger of the home cannot be opened.
    """
    from ftpkit.shells.sharedquota import quotaUsage

    try:
        usage = (quotaUsage(name, measure) if run is None
                 else quotaUsage(name, measure, run=run))
    except OSError as e:
        log.error("cannot share the quota usage of {home}: {why}",
                  home=shown, why=e.strerror)
        raise homeUnavailable() from None
    return usages.keep(key, usage)


KEPT_SHELLS = 1024
"""Most shells a L{FilesystemRealm} keeps (one per home directory)."""


@implementer(IRealm)
class FilesystemRealm:
    """
    Users see a local directory.

    Anonymous users always see C{root}. With C{homePerUser}, a named user
    sees C{root/USERNAME}, created on first login; otherwise C{root}.

    A L{FilesystemShell} holds nothing of a session, so the sessions of
    one home share one (at most L{KEPT_SHELLS} are kept), rather than a
    shell being made at every login.

    @ivar root: the absolute path of the directory served.
    @ivar anonymousSeesHomes: whether anonymous users see the directory
        holding the named users' homes (C{homePerUser}).
    """

    def __init__(
        self, root, homePerUser=False, readOnly=False, anonymousWrite=False,
        reactor=None, partialsPerUser=MAX_KEPT_PER_USER,
    ):
        """
        @param root: the directory served (it must exist).
        @param homePerUser: give each named user their own directory.
        @param readOnly: nobody may change anything.
        @param anonymousWrite: anonymous users may upload new files.
        @param reactor: handed to each
            L{ftpkit.shells.filesystem.FilesystemShell}.
        @param partialsPerUser: the most cut uploads kept for one user
            (C{--max-partials-per-user}, L{ftpkit.shells.diskcap}).
        """
        self.root = os.path.abspath(root)
        self._homePerUser = self.anonymousSeesHomes = homePerUser
        self._readOnly = readOnly
        self._anonymousWrite = anonymousWrite
        self._reactor = reactor
        self._shells = {}
        self._partialCap = PartialCap(partialsPerUser)

    def homeFor(self, avatarId):
        """
        Find, and create if needed, the directory a user sees as C{/}.

        @param avatarId: a C{str} user name or C{checkers.ANONYMOUS}.
        @return: an absolute path.
        @raise error.UnauthorizedLogin: for a user name that is not a safe
            directory name.
        @raise ServiceUnavailable: for a home that cannot be made, or a
            root that is gone (see L{homeUnavailable}).
        """
        if isAnonymous(avatarId) or not self._homePerUser:
            if not isDirectory(self.root):
                _log.error("the served directory {root} is missing",
                           root=self.root)
                raise homeUnavailable()
            return self.root
        name = textAvatarId(avatarId)
        if not isSafeUserName(name):
            raise error.UnauthorizedLogin(
                f"user name {name!r} cannot name a home directory"
            )
        home = os.path.join(self.root, name)
        try:
            os.mkdir(home)
        except FileExistsError:
            pass
        except OSError as e:
            _log.error(
                "cannot create home {home} for {user}: {why}",
                home=home, user=name, why=e.strerror,
            )
            raise homeUnavailable()
        if not isDirectory(home):
            _log.error("home {home} of {user} is not a directory",
                       home=home, user=name)
            raise homeUnavailable()
        return home

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        Build the shell of a user who logged in.

        @param avatarId: a user name or C{checkers.ANONYMOUS}.
        @param mind: unused.
        @param interfaces: must include L{IFTPShell}.
        @return: C{(IFTPShell, shell, logout)}.
        @raise UnsupportedAvatarInterface: when L{IFTPShell} is not asked
            for.
        @raise error.UnauthorizedLogin: see L{homeFor}.
        """
        checkAvatarInterfaces(interfaces)
        home = self.homeFor(avatarId)
        shell = self._shells.get(home)
        if shell is None:
            if len(self._shells) >= KEPT_SHELLS:
                self._shells.clear()
            shell = self._shells[home] = FilesystemShell(
                home, reactor=self._reactor, partialRoots=(self.root,),
                partialCap=self._partialCap)
        shell = wrapForUser(
            shell, isAnonymous(avatarId), self._readOnly, self._anonymousWrite
        )
        return IFTPShell, shell, noLogout


@implementer(IRealm)
class SharedShellRealm:
    """
    Every user who logs in sees the same shell: the realm of a storage
    backend with nothing per user. The server holds each session to
    C{--read-only} and the anonymous rules itself (L{ftpkit.protocol.access}).

    @ivar shell: the shared L{IFTPShell}.
    """

    def __init__(self, shell):
        """
        @param shell: the L{IFTPShell} every user gets.
        """
        self.shell = shell

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        Give a user who logged in the shared shell.

        @param avatarId: a user name or C{checkers.ANONYMOUS}.
        @param mind: unused.
        @param interfaces: must include L{IFTPShell}.
        @return: C{(IFTPShell, shell, logout)}.
        @raise UnsupportedAvatarInterface: when L{IFTPShell} is not asked
            for.
        """
        checkAvatarInterfaces(interfaces)
        return IFTPShell, self.shell, noLogout


MEMORY_REALM_BYTES = 256 << 20
"""The most bytes a L{MemoryRealm}'s tree holds unless told otherwise
(C{--realm memory:SIZE}): without a limit, uploaders could fill the
server's memory."""


class MemoryRealm(SharedShellRealm):
    """
    Every user sees one shared in-memory tree, held to the write rules
    given here as well as to the server's, whose cut uploads are kept
    for a resume (L{ftpkit.shells.keptuploads.KeptUploadsShell}).

    @ivar shell: the shared L{ftpkit.shells.memory.MemoryShell}.
    @cvar oneProcess: its tree lives in this process: the workers of
        C{--workers} cannot share it (C{--workers} refuses it).
    """

    oneProcess = True

    def __init__(self, readOnly=False, anonymousWrite=False,
                 maxBytes=MEMORY_REALM_BYTES,
                 partialsPerUser=MAX_KEPT_PER_USER):
        """
        @param readOnly: nobody may change anything.
        @param anonymousWrite: anonymous users may upload new files.
        @param maxBytes: the most bytes the tree holds, files and uploads
            in progress together (past it, uploads get C{552}), or
            C{None} for no limit: see L{MEMORY_REALM_BYTES}.
        @param partialsPerUser: the most cut uploads kept for one user
            (C{--max-partials-per-user}).
        """
        from ftpkit.shells.keptnames import isPlacing
        from ftpkit.shells.keptregistry import KeptPartials
        from ftpkit.shells.keptrunning import RunningUploads
        from ftpkit.shells.keptuploads import KeptUploadsShell
        from ftpkit.shells.memory import MemoryShell

        # An upload replacing a file needs no room for a new entry, nor
        # for the bytes of the file it replaces (targetOf).
        # Cut uploads kept for a resume give way before anyone gets 552.
        kept = KeptPartials(partialsPerUser)
        running = RunningUploads()
        SharedShellRealm.__init__(
            self, MemoryShell(maxBytes=maxBytes, onTheirWay=isPlacing,
                              reclaim=kept.dropOldest,
                              targetOf=running.targetOf))
        self._kept = KeptUploadsShell(self.shell, running=running,
                                      kept=kept)
        self._readOnly = readOnly
        self._anonymousWrite = anonymousWrite

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        Give a user who logged in the shared tree, under this realm's
        write rules (see L{SharedShellRealm.requestAvatar}).

        @param avatarId: a user name or C{checkers.ANONYMOUS}.
        @param mind: unused.
        @param interfaces: must include L{IFTPShell}.
        @return: C{(IFTPShell, shell, logout)}.
        """
        checkAvatarInterfaces(interfaces)
        shell = wrapForUser(self._kept, isAnonymous(avatarId),
                            self._readOnly, self._anonymousWrite)
        return IFTPShell, shell, noLogout

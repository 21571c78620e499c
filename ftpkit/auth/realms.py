"""
The built-in realms, and what sits between C{twisted.cred} and a shell.

A realm turns an avatar id (what a checker returned) into an
L{IFTPShell}. The server holds every shell to its access rules itself
(L{ftpkit.protocol.access}); the realms here also apply the rules they were given
through L{wrapForUser}, for programs that build them with their own
settings: anonymous users are read-only unless anonymous uploads are
allowed, and C{readOnly} makes every user read-only.

L{TextCredentialsChecker} wraps any C{twisted.cred} checker so that the
server's C{UsernamePassword(bytes, bytes)} credentials reach it in the
type it stores, and so that avatar ids reaching a realm are C{str};
L{AnyOfCheckers} lets several checkers share one credentials interface.

A realm or checker with a C{reload} callable (L{ftpkit.auth.users} has them)
is reloaded on C{SIGHUP} by L{ReloadOnHangup}.
"""

import os
import signal

from twisted.application import service
from twisted.cred import checkers, error
from twisted.cred.credentials import IUsernamePassword, UsernamePassword
from twisted.cred.portal import IRealm
from twisted.internet import defer
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from ftpkit.auth import quicklogin
from ftpkit.errors import (
    FTPError,
    ServiceUnavailable,
    UnsupportedAvatarInterface,
)
from ftpkit.interfaces import IFTPShell
from ftpkit.protocol.access import AccessPolicy
from ftpkit.shells.filesystem import FilesystemShell

_log = Logger()

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


def isAnonymous(avatarId):
    """
    @param avatarId: an avatar id from a checker.
    @return: whether it is C{twisted.cred.checkers.ANONYMOUS}.
    """
    return avatarId == checkers.ANONYMOUS


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


def _holdsNul(value):
    """
    @param value: a user name or password, C{bytes} or C{str}.
    @return: whether it holds a NUL.
    """
    return (b"\x00" if isinstance(value, bytes) else "\x00") in value


@implementer(checkers.ICredentialsChecker)
class TextCredentialsChecker:
    """
    Present credentials to a checker in the type it compares with, and
    hand avatar ids on as C{str}.

    The server logs users in with C{UsernamePassword(bytes, bytes)}.
    Twisted's C{memory:} checker stores C{str} (twisted#10209) while
    C{file:} stores C{bytes} and C{unix} takes either: a checker with a
    C{users} mapping whose keys are C{str} gets C{str} credentials, any
    other checker gets them as given.

    @ivar checker: the wrapped checker.
    @ivar credentialInterfaces: those of C{checker}.
    """

    def __init__(self, checker):
        """
        @param checker: an L{checkers.ICredentialsChecker}.
        """
        self.checker = checker
        self.credentialInterfaces = tuple(checker.credentialInterfaces)

    def _wantsText(self):
        """
        @return: whether the wrapped checker stores user names as C{str}
            (its first one tells: they are all of one type), found without
            going through every user at each login.
        """
        users = getattr(self.checker, "users", None)
        if not isinstance(users, dict):
            return False
        return isinstance(next(iter(users), None), str)

    def _present(self, creds):
        """
        @param creds: the credentials the server built.
        @return: C{creds}, or a C{str} copy for a checker that wants one.
        @raise error.UnauthorizedLogin: when they are not valid UTF-8, or
            hold a NUL: no user name or password of a checker has one, and
            C{unix}'s (C{getpwnam}, C{crypt}) raised C{ValueError} at it,
            a critical log line with a traceback for anyone who sent one.
        """
        if not IUsernamePassword.providedBy(creds):
            return creds
        if _holdsNul(creds.username) or _holdsNul(creds.password):
            raise error.UnauthorizedLogin("credentials hold a NUL")
        if not self._wantsText():
            return creds
        try:
            return UsernamePassword(
                _asText(creds.username), _asText(creds.password)
            )
        except UnicodeDecodeError:
            raise error.UnauthorizedLogin("credentials are not UTF-8")

    def requestAvatarId(self, creds):
        """
        Check C{creds} with the wrapped checker.

        @param creds: credentials from the server.
        @return: a Deferred firing with the avatar id as C{str} (or
            C{checkers.ANONYMOUS}); fails with L{error.UnauthorizedLogin}
            (or another L{error.LoginFailed} from the wrapped checker).
            When the wrapped checker has answered at once, the Deferred
            is one already fired with the id, and no callback runs.
        """
        try:
            answer = self.checker.requestAvatarId(self._present(creds))
        except Exception:
            answer = Failure()
        avatarId = quicklogin.settled(answer)
        if avatarId is quicklogin.UNSETTLED:
            d = defer.maybeDeferred(lambda: answer)
            d.addCallbacks(_textAvatarId, self._refuse)
            return d
        try:
            return defer.succeed(_textAvatarId(avatarId))
        except error.UnauthorizedLogin:
            return defer.fail()

    def _refuse(self, reason):
        """
        Turn any failure of the wrapped checker into a refused login.

        @param reason: the L{Failure}.
        @raise error.UnauthorizedLogin: for a L{UnicodeError} (credentials
            a checker could not decode) or any unexpected error, which is
            logged; other L{error.LoginFailed} and L{FTPError}s (a checker
            that cannot answer now, such as
            L{ftpkit.errors.ServiceUnavailable}) pass unchanged.
        """
        if reason.check(error.LoginFailed, FTPError):
            return reason
        if not reason.check(UnicodeError):
            _log.failure("credentials checker failed", reason)
        raise error.UnauthorizedLogin("login refused")


@implementer(checkers.ICredentialsChecker)
class AnyOfCheckers:
    """
    Accept credentials that any of several checkers accepts.

    A L{twisted.cred.portal.Portal} keeps one checker per credentials
    interface, so several C{--auth} checkers for passwords would replace
    each other; this one asks each in turn, in order.

    @ivar checkers: the checkers, in order.
    @ivar credentialInterfaces: every interface any of them handles.
    """

    def __init__(self, checkerList):
        """
        @param checkerList: L{checkers.ICredentialsChecker} providers.
        """
        self.checkers = list(checkerList)
        interfaces = []
        for checker in self.checkers:
            for interface in checker.credentialInterfaces:
                if interface not in interfaces:
                    interfaces.append(interface)
        self.credentialInterfaces = tuple(interfaces)

    @defer.inlineCallbacks
    def requestAvatarId(self, creds):
        """
        Ask each checker that handles C{creds}, until one accepts them.

        @param creds: the credentials.
        @return: a Deferred firing with the first avatar id given; fails
            with L{error.UnauthorizedLogin} when none accepts them, or with
            the L{FTPError} of the first checker that could not answer
            (its user database down, say) when none of the others accepts
            them either.
        """
        unanswered = None
        for checker in self.checkers:
            if not any(i.providedBy(creds) for i in checker.credentialInterfaces):
                continue
            try:
                avatarId = yield defer.maybeDeferred(
                    checker.requestAvatarId, creds
                )
            except error.LoginFailed:
                continue
            except FTPError as e:
                unanswered = unanswered or e
                continue
            return avatarId
        if unanswered is not None:
            raise unanswered
        raise error.UnauthorizedLogin("no checker accepted the credentials")


def _asText(value):
    """
    @param value: C{str} or UTF-8 C{bytes}.
    @return: C{value} as C{str}.
    @raise UnicodeDecodeError: for bytes that are not UTF-8.
    """
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def _textAvatarId(avatarId):
    """
    @param avatarId: what a checker returned.
    @return: C{avatarId} as C{str}, C{ANONYMOUS} unchanged.
    @raise error.UnauthorizedLogin: for bytes that are not UTF-8.
    """
    if isAnonymous(avatarId):
        return avatarId
    try:
        return _asText(avatarId)
    except UnicodeDecodeError:
        raise error.UnauthorizedLogin("user name is not UTF-8")


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
    """

    def __init__(
        self, root, homePerUser=False, readOnly=False, anonymousWrite=False,
        reactor=None,
    ):
        """
        @param root: the directory served (it must exist).
        @param homePerUser: give each named user their own directory.
        @param readOnly: nobody may change anything.
        @param anonymousWrite: anonymous users may upload new files.
        @param reactor: handed to each
            L{ftpkit.shells.filesystem.FilesystemShell}.
        """
        self.root = os.path.abspath(root)
        self._homePerUser = homePerUser
        self._readOnly = readOnly
        self._anonymousWrite = anonymousWrite
        self._reactor = reactor
        self._shells = {}

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
            if not os.path.isdir(self.root):
                _log.error("the served directory {root} is missing",
                           root=self.root)
                raise homeUnavailable()
            return self.root
        name = _textAvatarId(avatarId)
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
        if not os.path.isdir(home):
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
                home, reactor=self._reactor)
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
    given here as well as to the server's.

    @ivar shell: the shared L{ftpkit.shells.memory.MemoryShell}.
    @cvar oneProcess: its tree lives in this process: the workers of
        C{--workers} cannot share it (C{--workers} refuses it).
    """

    oneProcess = True

    def __init__(self, readOnly=False, anonymousWrite=False,
                 maxBytes=MEMORY_REALM_BYTES):
        """
        @param readOnly: nobody may change anything.
        @param anonymousWrite: anonymous users may upload new files.
        @param maxBytes: the most bytes the tree holds, files and uploads
            in progress together (past it, uploads get C{552}), or
            C{None} for no limit: see L{MEMORY_REALM_BYTES}.
        """
        from ftpkit.shells.memory import MemoryShell

        SharedShellRealm.__init__(self, MemoryShell(maxBytes=maxBytes))
        self._readOnly = readOnly
        self._anonymousWrite = anonymousWrite

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        Give a user who logged in the shared tree, under this realm's
        write rules (see L{SharedShellRealm.requestAvatar}).
        """
        interface, shell, logout = SharedShellRealm.requestAvatar(
            self, avatarId, mind, *interfaces)
        shell = wrapForUser(shell, isAnonymous(avatarId), self._readOnly,
                            self._anonymousWrite)
        return interface, shell, logout


def reloadTargets(objects):
    """
    Find what to reload on C{SIGHUP}: the C{reload} callables of a realm
    and checkers (unwrapping L{TextCredentialsChecker}s), each once.

    @param objects: realms and checkers.
    @return: a list of callables taking no argument.
    """
    targets = []
    for thing in objects:
        if isinstance(thing, TextCredentialsChecker):
            thing = thing.checker
        reload = getattr(thing, "reload", None)
        if callable(reload) and reload not in targets:
            targets.append(reload)
    return targets


class ReloadOnHangup(service.Service):
    """
    A service calling some callables (see L{reloadTargets}) when the
    process gets C{SIGHUP}, in the reactor thread. Installed even with
    no callable: C{SIGHUP}'s default action would end the process. Where
    there is no C{SIGHUP} (Windows) it does nothing.

    @ivar targets: the callables.
    """

    def __init__(self, targets, reactor=None):
        """
        @param targets: callables taking no argument.
        @param reactor: the reactor to call them in.
        """
        self.targets = list(targets)
        self._reactor = reactor
        self._previous = None

    def startService(self):
        """
        Install the C{SIGHUP} handler.
        """
        service.Service.startService(self)
        if hasattr(signal, "SIGHUP"):
            self._previous = signal.signal(signal.SIGHUP, self._hangup)

    def stopService(self):
        """
        Put the previous C{SIGHUP} handler back; where that was the
        default action (ending the process), ignore C{SIGHUP} instead: the
        server stops on its own, draining its sessions meanwhile, and a
        C{SIGHUP} then must not cut them.
        """
        service.Service.stopService(self)
        if hasattr(signal, "SIGHUP") and self._previous is not None:
            previous = self._previous
            if previous == signal.SIG_DFL:
                previous = signal.SIG_IGN
            signal.signal(signal.SIGHUP, previous)
            self._previous = None

    def _hangup(self, signum, frame):
        """
        The signal handler: schedule L{reloadAll} in the reactor thread.
        """
        reactor = self._reactor
        if reactor is None:
            from twisted.internet import reactor
        reactor.callFromThread(self.reloadAll)

    def reloadAll(self):
        """
        Call every target; one that fails is logged and the others still
        run.
        """
        _log.info("SIGHUP: reloading ({count} to reload)",
                  count=len(self.targets))
        for reload in self.targets:
            try:
                reload()
            except Exception:  # noqa: BLE001 (a bad reload must not stop the others)
                _log.failure("reload on SIGHUP failed")

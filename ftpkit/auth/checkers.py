"""
What sits between C{twisted.cred}'s checkers and the server: avatar ids
as the realms get them.

L{TextCredentialsChecker} wraps any C{twisted.cred} checker so that the
server's C{UsernamePassword(bytes, bytes)} credentials reach it in the
type it stores, and so that avatar ids reaching a realm are C{str}
(L{textAvatarId}); L{AnyOfCheckers} lets several checkers share one
credentials interface; L{isAnonymous} tells an anonymous login's id,
L{portalAcceptsAnonymous} whether a portal has anonymous logins at all,
and L{portalAcceptsOnlyAnonymous} whether it has no others. The first
four are importable from L{ftpkit.auth.realms} too, where they were
first.
"""

from twisted.cred import checkers, error
from twisted.cred.credentials import (
    IAnonymous,
    IUsernamePassword,
    UsernamePassword,
)
from twisted.cred.portal import Portal
from twisted.internet import defer
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from ftpkit.auth import quicklogin
from ftpkit.auth.credtext import (
    asText,
    presentedTo,
    textCredentials,
    wantsText,
)
from ftpkit.errors import FTPError

# The name its log lines carried when this lived in ftpkit.auth.realms.
_log = Logger(namespace="ftpkit.auth.realms")


def isAnonymous(avatarId):
    """
    @param avatarId: an avatar id from a checker.
    @return: whether it is C{twisted.cred.checkers.ANONYMOUS}.
    """
    return avatarId == checkers.ANONYMOUS


def portalAcceptsAnonymous(portal):
    """
    @param portal: the portal a session logs in through.
    @return: whether it has a checker for anonymous credentials
        (C{--auth anonymous}); C{True} for a portal that does not show
        its checkers as a L{twisted.cred.portal.Portal} does (any object
        with a C{login}), or whose C{login} is its own (a subclass may
        take anonymous credentials itself), which alone can tell.
    """
    found = _shownInterfaces(portal)
    return found is None or any(
        IAnonymous.isOrExtends(interface) for interface in found)


def portalAcceptsOnlyAnonymous(portal):
    """
    @param portal: the portal a session logs in through.
    @return: whether every checker it has is for anonymous credentials
        (C{--auth anonymous} alone), so that whoever logs in is
        anonymous; C{False} for a portal that does not show its
        checkers (L{portalAcceptsAnonymous}) or has none.
    """
    found = _shownInterfaces(portal)
    return bool(found) and all(
        IAnonymous.isOrExtends(interface) for interface in found)


def _shownInterfaces(portal):
    """
    @param portal: the portal a session logs in through.
    @return: the credentials interfaces of its checkers, as a
        L{twisted.cred.portal.Portal} shows them; C{None} for a portal
        that does not show them, or whose C{login} is its own (a subclass
        may take credentials itself).
    """
    found = getattr(portal, "checkers", None)
    if not isinstance(found, dict) or getattr(
            type(portal), "login", None) is not Portal.login:
        return None
    return list(found)


_InMemory = checkers.InMemoryUsernamePasswordDatabaseDontUse
"""Twisted's checker of C{--auth memory:}."""


def _inMemoryAnswer(users, creds):
    """
    What L{_InMemory.requestAvatarId} answers, without the Deferreds it
    makes for it (C{maybeDeferred} of the password's check, and a
    callback) and this wrapper then takes apart again: L{UsernamePassword}
    checks a password by comparing it.

    @param users: the checker's C{users}.
    @param creds: L{UsernamePassword} credentials.
    @return: the user name, or a L{Failure} of L{error.UnauthorizedLogin}.
    """
    username = creds.username
    if username in users and creds.checkPassword(users[username]):
        return username
    return Failure(error.UnauthorizedLogin())


def _holdsNul(value):
    """
    @param value: a user name or password, C{bytes} or C{str}.
    @return: whether it holds a NUL.
    """
    # For bytes, the byte's value: b"\x00" in value first fails as an
    # integer, an exception made and cleared at every login.
    return (0 if isinstance(value, bytes) else "\x00") in value


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

    def _present(self, creds):
        """
        @param creds: the credentials the server built.
        @return: C{creds}, or a C{str} copy for a checker that wants one.
        @raise error.UnauthorizedLogin: when they are not valid UTF-8, or
            hold a NUL: no user name or password of a checker has one, and
            C{unix}'s (C{getpwnam}, C{crypt}) raised C{ValueError} at it,
            a critical log line with a traceback for anyone who sent one.
        """
        if (type(creds) is not UsernamePassword
                and not IUsernamePassword.providedBy(creds)):
            # (The server's own credentials are told by their class: zope's
            # providedBy costs an AttributeError raised and cleared.)
            return creds
        if _holdsNul(creds.username) or _holdsNul(creds.password):
            raise error.UnauthorizedLogin("credentials hold a NUL")
        if not wantsText(self.checker):
            return creds
        try:
            return textCredentials(creds)
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
            presented = self._present(creds)
            if (type(self.checker) is _InMemory
                    and type(presented) is UsernamePassword):
                answer = _inMemoryAnswer(self.checker.users, presented)
            else:
                answer = self.checker.requestAvatarId(presented)
        except Exception:
            answer = Failure()
        avatarId = quicklogin.settled(answer)
        if avatarId is quicklogin.UNSETTLED:
            d = defer.maybeDeferred(lambda: answer)
            d.addCallbacks(textAvatarId, self._refuse)
            return d
        try:
            return defer.succeed(textAvatarId(avatarId))
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
    each other; this one asks each in turn, in order, each given the
    credentials in the type it stores (L{presentedTo}).

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
                    checker.requestAvatarId, presentedTo(checker, creds)
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


def textAvatarId(avatarId):
    """
    @param avatarId: what a checker returned.
    @return: C{avatarId} as C{str}, C{ANONYMOUS} unchanged.
    @raise error.UnauthorizedLogin: for bytes that are not UTF-8.
    """
    if isAnonymous(avatarId):
        return avatarId
    try:
        return asText(avatarId)
    except UnicodeDecodeError:
        raise error.UnauthorizedLogin("user name is not UTF-8")

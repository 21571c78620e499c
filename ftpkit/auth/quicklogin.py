"""
L{login}: what L{twisted.cred.portal.Portal.login} does, without a
L{Deferred} when the checker and the realm have answered at once.

Most checkers and realms answer at once (a user database in memory or in
a file, a realm that builds a shell), most of them with a L{Deferred}
already fired. C{Portal.login} wraps each answer in Deferreds of its own
and runs their callbacks, and its caller then waits on the last of them:
several Deferreds made and run for every login, where one look at each
answer gives the same outcome. The checker is the one C{Portal.login}
would pick (the first whose credentials interface the credentials
provide) and the realm is asked the same thing, in the same order; a
portal whose class changes C{login}, an answer still to come and a
failure go through C{Portal.login}'s own path (or the same Deferred it
would give), so that the outcome is the same whatever answers. The
checker is given the credentials in the type it stores
(L{ftpkit.auth.credtext.presentedTo}): a checker of C{str} user names put
in the portal by a program embedding the server accepts its users, as
under C{twistd ftpkit}, which wraps each checker in a
L{ftpkit.auth.checkers.TextCredentialsChecker}.
"""

from types import CoroutineType

from twisted.cred.portal import Portal
from twisted.internet.defer import maybeDeferred
from twisted.python.failure import Failure

from ftpkit.auth.credtext import presentedTo
from ftpkit.deferreds import isDeferred

UNSETTLED = object()
"""What L{settled} returns for an answer that is not a value yet."""


def settled(answer):
    """
    @param answer: what a checker or a realm returned.
    @return: the value C{answer} stands for now: C{answer} itself, or the
        result of a L{Deferred} that has fired with a value and waits on
        nothing; L{UNSETTLED} for a L{Deferred} still to fire or that
        failed, a L{Failure} and a coroutine (L{maybeDeferred} takes
        those).
    """
    if isDeferred(answer):
        if answer.called and not answer.paused:
            result = answer.result
            if not isinstance(result, Failure):
                return result
        return UNSETTLED
    if isinstance(answer, (Failure, CoroutineType)):
        return UNSETTLED
    return answer


def _pending(answer):
    """
    @param answer: an answer L{settled} gave L{UNSETTLED} for.
    @return: a L{Deferred} of it, as L{maybeDeferred} makes one.
    """
    return maybeDeferred(lambda: answer)


def login(portal, credentials, mind, *interfaces):
    """
    Log in through C{portal}, as C{portal.login(credentials, mind,
    *interfaces)} does.

    @param portal: a L{Portal} (or any object with its C{login}).
    @param credentials: the credentials.
    @param mind: the mind, handed to the realm.
    @param interfaces: the avatar interfaces asked for.
    @return: the realm's C{(interface, avatar, logout)} when both the
        checker and the realm answered at once; a L{Failure} when one of
        them raised; otherwise a L{Deferred} firing with what
        C{portal.login} would give.
    """
    if type(portal).login is not Portal.login:
        return portal.login(credentials, mind, *interfaces)
    for interface in portal.checkers:
        if interface.providedBy(credentials):
            checker = portal.checkers[interface]
            break
    else:
        # No checker: the portal's own failure.
        return portal.login(credentials, mind, *interfaces)
    try:
        answer = checker.requestAvatarId(presentedTo(checker, credentials))
    except Exception:
        return Failure()
    avatarId = settled(answer)
    if avatarId is UNSETTLED:
        return _pending(answer).addCallback(portal.realm.requestAvatar, mind,
                                            *interfaces)
    try:
        answer = portal.realm.requestAvatar(avatarId, mind, *interfaces)
    except Exception:
        return Failure()
    avatar = settled(answer)
    if avatar is UNSETTLED:
        return _pending(answer)
    return avatar

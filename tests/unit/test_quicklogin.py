"""
Tests for L{ftpkit.auth.quicklogin}: the same outcome as
L{twisted.cred.portal.Portal.login}, whatever the checker and the realm
answer.
"""

from twisted.cred import checkers, error
from twisted.cred.credentials import Anonymous, UsernamePassword
from twisted.cred.portal import IRealm, Portal
from twisted.internet import defer
from twisted.python.failure import Failure
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.auth import quicklogin
from ftpkit.auth.realms import TextCredentialsChecker
from ftpkit.interfaces import IFTPShell

LOGOUT = object()


@implementer(checkers.ICredentialsChecker)
class AnsweringChecker:
    """
    Answers every password check with C{answer()}.
    """

    credentialInterfaces = (checkers.IUsernamePassword,)

    def __init__(self, answer):
        self.answer = answer
        self.asked = []

    def requestAvatarId(self, credentials):
        self.asked.append(credentials.username)
        return self.answer()


@implementer(IRealm)
class AnsweringRealm:
    """
    Answers every avatar request with C{answer(avatarId)}.
    """

    def __init__(self, answer=None):
        self.answer = answer or (lambda avatarId: (IFTPShell, avatarId,
                                                   LOGOUT))
        self.asked = []

    def requestAvatar(self, avatarId, mind, *interfaces):
        self.asked.append((avatarId, mind, interfaces))
        return self.answer(avatarId)


def _raise(exception):
    raise exception


class SettledTests(unittest.SynchronousTestCase):
    """
    L{quicklogin.settled} takes the value of an answer given at once.
    """

    def test_values(self):
        """
        A plain value, and the value of a fired L{defer.Deferred}, are
        settled.
        """
        self.assertEqual(quicklogin.settled("alice"), "alice")
        self.assertEqual(quicklogin.settled(defer.succeed("alice")), "alice")

    def test_unsettled(self):
        """
        A L{defer.Deferred} still to fire, one that failed, one paused on
        another, a L{Failure} and a coroutine are not.
        """
        waiting = defer.Deferred()
        paused = defer.succeed(None)
        paused.addCallback(lambda _: waiting)
        failed = defer.fail(error.UnauthorizedLogin())

        async def later():
            return "alice"

        coroutine = later()
        for answer in (waiting, paused, failed,
                       Failure(error.UnauthorizedLogin()), coroutine):
            self.assertIs(quicklogin.settled(answer), quicklogin.UNSETTLED)
        coroutine.close()
        self.failureResultOf(failed, error.UnauthorizedLogin)


class LoginTests(unittest.SynchronousTestCase):
    """
    L{quicklogin.login} gives what C{Portal.login} gives, without a
    Deferred when the checker and the realm answered at once.
    """

    def setUp(self):
        self.creds = UsernamePassword(b"alice", b"pw")

    def login(self, checkerAnswer, realmAnswer=None):
        """
        @return: what L{quicklogin.login} and C{Portal.login} give for
            the same answers (a Deferred's outcome for C{Portal.login}).
        """
        outcomes = []
        for quick in (True, False):
            realm = AnsweringRealm(realmAnswer)
            portal = Portal(realm, [AnsweringChecker(checkerAnswer)])
            if quick:
                outcomes.append(quicklogin.login(portal, self.creds, None,
                                                 IFTPShell))
            else:
                outcomes.append(portal.login(self.creds, None, IFTPShell))
        return outcomes

    def test_atOnce(self):
        """
        A checker and a realm that answered give the realm's triple
        itself, the realm asked for the checker's avatar id.
        """
        realm = AnsweringRealm()
        portal = Portal(realm, [AnsweringChecker(
            lambda: defer.succeed("alice"))])
        self.assertEqual(
            quicklogin.login(portal, self.creds, "mind", IFTPShell),
            (IFTPShell, "alice", LOGOUT))
        self.assertEqual(realm.asked, [("alice", "mind", (IFTPShell,))])

    def test_plainValues(self):
        """
        A checker returning the id itself (no Deferred) is taken as
        C{Portal.login} takes it.
        """
        quick, portal = self.login(lambda: "alice")
        self.assertEqual(quick, self.successResultOf(portal))

    def test_checkerWaits(self):
        """
        A checker still to answer gives a Deferred firing with the
        realm's triple once it does.
        """
        waiting = defer.Deferred()
        realm = AnsweringRealm()
        portal = Portal(realm, [AnsweringChecker(lambda: waiting)])
        outcome = quicklogin.login(portal, self.creds, None, IFTPShell)
        self.assertNoResult(outcome)
        waiting.callback("alice")
        self.assertEqual(self.successResultOf(outcome),
                         (IFTPShell, "alice", LOGOUT))

    def test_realmWaits(self):
        """
        A realm still to answer gives a Deferred of its answer.
        """
        waiting = defer.Deferred()
        realm = AnsweringRealm(lambda avatarId: waiting)
        portal = Portal(realm, [AnsweringChecker(lambda: "alice")])
        outcome = quicklogin.login(portal, self.creds, None, IFTPShell)
        self.assertNoResult(outcome)
        waiting.callback((IFTPShell, "shell", LOGOUT))
        self.assertEqual(self.successResultOf(outcome),
                         (IFTPShell, "shell", LOGOUT))

    def test_checkerRefuses(self):
        """
        A refusal, given as a failed Deferred, gives the same failure,
        and the realm is not asked.
        """
        realm = AnsweringRealm()
        portal = Portal(realm, [AnsweringChecker(
            lambda: defer.fail(error.UnauthorizedLogin()))])
        outcome = quicklogin.login(portal, self.creds, None, IFTPShell)
        self.failureResultOf(outcome, error.UnauthorizedLogin)
        self.assertEqual(realm.asked, [])

    def test_checkerRaises(self):
        """
        A checker that raises gives the L{Failure} of what it raised.
        """
        quick, portal = self.login(
            lambda: _raise(error.UnauthorizedLogin()))
        self.assertIsInstance(quick, Failure)
        self.assertTrue(quick.check(error.UnauthorizedLogin))
        self.failureResultOf(portal, error.UnauthorizedLogin)

    def test_realmRaises(self):
        """
        A realm that raises gives the L{Failure} of what it raised.
        """
        quick, portal = self.login(
            lambda: "alice", lambda avatarId: _raise(NotImplementedError()))
        self.assertIsInstance(quick, Failure)
        self.assertTrue(quick.check(NotImplementedError))
        self.failureResultOf(portal, NotImplementedError)

    def test_realmFails(self):
        """
        A realm returning a failed Deferred gives that failure.
        """
        quick, portal = self.login(
            lambda: "alice",
            lambda avatarId: defer.fail(error.UnauthorizedLogin()))
        self.failureResultOf(quick, error.UnauthorizedLogin)
        self.failureResultOf(portal, error.UnauthorizedLogin)

    def test_noChecker(self):
        """
        Credentials no checker takes fail as C{Portal.login} fails them.
        """
        portal = Portal(AnsweringRealm(), [AnsweringChecker(lambda: "x")])
        outcome = quicklogin.login(portal, Anonymous(), None, IFTPShell)
        self.failureResultOf(outcome, error.UnhandledCredentials)

    def test_portalOfItsOwn(self):
        """
        A portal whose class changes C{login} is asked through it.
        """

        class Counting(Portal):
            logins = 0

            def login(self, credentials, mind, *interfaces):
                self.logins += 1
                return Portal.login(self, credentials, mind, *interfaces)

        portal = Counting(AnsweringRealm(), [AnsweringChecker(
            lambda: "alice")])
        outcome = quicklogin.login(portal, self.creds, None, IFTPShell)
        self.assertEqual(self.successResultOf(outcome),
                         (IFTPShell, "alice", LOGOUT))
        self.assertEqual(portal.logins, 1)


class TextCheckerTests(unittest.SynchronousTestCase):
    """
    L{TextCredentialsChecker} answers at once when its checker did, with
    the same outcomes as when it waits.
    """

    def check(self, answer):
        """
        @return: the Deferred L{TextCredentialsChecker} gives for a
            checker answering C{answer()}.
        """
        checker = TextCredentialsChecker(AnsweringChecker(answer))
        return checker.requestAvatarId(UsernamePassword(b"alice", b"pw"))

    def test_textId(self):
        """
        An id given as UTF-8 bytes, at once or later, becomes C{str}.
        """
        self.assertEqual(self.successResultOf(self.check(
            lambda: defer.succeed(b"al\xc3\xafce"))), "al\xefce")
        waiting = defer.Deferred()
        later = self.check(lambda: waiting)
        waiting.callback(b"alice")
        self.assertEqual(self.successResultOf(later), "alice")

    def test_anonymous(self):
        """
        C{ANONYMOUS} is handed on as it is.
        """
        self.assertIs(self.successResultOf(self.check(
            lambda: checkers.ANONYMOUS)), checkers.ANONYMOUS)

    def test_badId(self):
        """
        An id that is not UTF-8 refuses the login.
        """
        self.failureResultOf(self.check(lambda: defer.succeed(b"\xff")),
                             error.UnauthorizedLogin)

    def test_raises(self):
        """
        A checker that raises something unexpected refuses the login (and
        the error is logged).
        """
        self.failureResultOf(self.check(lambda: _raise(KeyError("x"))),
                             error.UnauthorizedLogin)
        self.assertEqual(len(self.flushLoggedErrors(KeyError)), 1)

    def test_refuses(self):
        """
        A refusal is handed on.
        """
        self.failureResultOf(self.check(
            lambda: defer.fail(error.UnauthorizedLogin())),
            error.UnauthorizedLogin)

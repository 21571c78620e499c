"""
Tests for L{ftpkit.auth.credtext}: a checker is given the server's
credentials in the type it stores, through a bare portal
(L{ftpkit.auth.quicklogin.login}, what every login goes through) and
through L{ftpkit.auth.checkers.AnyOfCheckers}.
"""

from twisted.cred import checkers, error
from twisted.cred.credentials import UsernamePassword
from twisted.cred.portal import IRealm, Portal
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.auth import quicklogin
from ftpkit.auth.checkers import AnyOfCheckers
from ftpkit.auth.credtext import presentedTo
from ftpkit.interfaces import IFTPShell

SERVERS = UsernamePassword(b"alice", b"secret")
"""Credentials as the server builds them."""


def textChecker():
    """
    @return: Twisted's in-memory checker in its usual form, C{str}.
    """
    checker = checkers.InMemoryUsernamePasswordDatabaseDontUse()
    checker.addUser("alice", "secret")
    return checker


def bytesChecker(name=b"alice"):
    """
    @param name: the user it knows, with the password C{b"secret"}.
    @return: Twisted's in-memory checker in its examples' form, C{bytes}.
    """
    checker = checkers.InMemoryUsernamePasswordDatabaseDontUse()
    checker.addUser(name, b"secret")
    return checker


@implementer(IRealm)
class IdRealm:
    """
    Gives the avatar id as the avatar.
    """

    def requestAvatar(self, avatarId, mind, *interfaces):
        return IFTPShell, avatarId, lambda: None


class PresentedToTests(unittest.SynchronousTestCase):
    """
    L{presentedTo}.
    """

    def test_textChecker(self):
        """
        Twisted's in-memory checker storing C{str} gets C{str}
        credentials.
        """
        presented = presentedTo(textChecker(), SERVERS)
        self.assertEqual((presented.username, presented.password),
                         ("alice", "secret"))

    def test_asTheyAre(self):
        """
        A checker storing C{bytes}, a checker of another class (which may
        decode what it is given itself, though it has C{str} users), and
        credentials that are not UTF-8 are given as they are.
        """

        class OwnChecker(checkers.InMemoryUsernamePasswordDatabaseDontUse):
            def requestAvatarId(self, creds):
                return creds.username.decode("utf-8")

        own = OwnChecker()
        own.addUser("alice", "secret")
        notUTF8 = UsernamePassword(b"\xff", b"secret")
        for checker, creds in [(bytesChecker(), SERVERS), (own, SERVERS),
                               (textChecker(), notUTF8)]:
            self.assertIs(presentedTo(checker, creds), creds)


class BarePortalTests(unittest.SynchronousTestCase):
    """
    A portal as a program embedding the server builds it, its checkers
    not wrapped as C{twistd ftpkit} wraps them.
    """

    def login(self, checker):
        """
        @return: what L{quicklogin.login} through a portal of C{checker}
            gives for alice.
        """
        return quicklogin.login(Portal(IdRealm(), [checker]), SERVERS, None,
                                IFTPShell)

    def test_textChecker(self):
        """
        A user of Twisted's in-memory checker in its usual form (C{str})
        logs in, the realm given C{str}: the server's C{bytes} were never
        one of its users, and every login was refused.
        """
        self.assertEqual(self.login(textChecker())[1], "alice")

    def test_bytesChecker(self):
        """
        A user of the checker in its C{bytes} form logs in as before, the
        realm given what the checker gives.
        """
        self.assertEqual(self.login(bytesChecker())[1], b"alice")

    def test_refused(self):
        """
        A wrong password is still refused.
        """
        checker = textChecker()
        checker.users["alice"] = "other"
        self.failureResultOf(self.login(checker), error.UnauthorizedLogin)


class AnyOfTests(unittest.SynchronousTestCase):
    """
    L{AnyOfCheckers} of checkers not wrapped.
    """

    def test_eachInItsType(self):
        """
        Each checker is given the credentials in its type: the users of
        a C{str} and of a C{bytes} in-memory checker both log in.
        """
        checker = AnyOfCheckers([bytesChecker(b"bob"), textChecker()])
        self.assertEqual(
            self.successResultOf(checker.requestAvatarId(SERVERS)), "alice")
        bob = UsernamePassword(b"bob", b"secret")
        self.assertEqual(
            self.successResultOf(checker.requestAvatarId(bob)), b"bob")

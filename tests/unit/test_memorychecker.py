"""
Tests for L{ftpkit.auth.checkers.TextCredentialsChecker} around Twisted's
in-memory checker (C{--auth memory:}), which it answers for without the
Deferreds that checker makes: the same avatar ids and the same refusals
as the checker's own C{requestAvatarId}.
"""

from twisted.cred import error
from twisted.cred.checkers import InMemoryUsernamePasswordDatabaseDontUse
from twisted.cred.credentials import UsernamePassword
from twisted.cred.strcred import makeChecker
from twisted.trial import unittest

from ftpkit.auth.checkers import TextCredentialsChecker


class _Refusing(InMemoryUsernamePasswordDatabaseDontUse):
    """
    An in-memory checker of a class of its own, which refuses everyone.
    """

    def requestAvatarId(self, credentials):
        """
        Refuse.

        @param credentials: ignored.
        @raise error.UnauthorizedLogin: always.
        """
        raise error.UnauthorizedLogin("not this one")


class InMemoryTests(unittest.TestCase):
    """
    The wrapped C{memory:} checker answers as Twisted's own does.
    """

    def setUp(self):
        self.memory = makeChecker("memory:alice:secret:bob:pw")
        self.checker = TextCredentialsChecker(self.memory)

    def asked(self, username, password):
        """
        @return: the wrapper's answer to the server's credentials (bytes),
            and the in-memory checker's own to the same ones as text.
        """
        wrapped = self.checker.requestAvatarId(
            UsernamePassword(username, password))
        own = self.memory.requestAvatarId(UsernamePassword(
            username.decode("utf-8"), password.decode("utf-8")))
        return wrapped, own

    def test_accepted(self):
        """
        The right password gives the user's name as text, fired at once.
        """
        wrapped, own = self.asked(b"alice", b"secret")
        self.assertEqual(self.successResultOf(wrapped), "alice")
        self.assertEqual(self.successResultOf(own), "alice")

    def test_wrongPassword(self):
        """
        A wrong password is refused as the checker refuses it.
        """
        wrapped, own = self.asked(b"alice", b"pw")
        self.failureResultOf(wrapped, error.UnauthorizedLogin)
        self.failureResultOf(own, error.UnauthorizedLogin)

    def test_unknownUser(self):
        """
        A user the checker does not have is refused.
        """
        wrapped, own = self.asked(b"carol", b"secret")
        self.failureResultOf(wrapped, error.UnauthorizedLogin)
        self.failureResultOf(own, error.UnauthorizedLogin)

    def test_otherUsersPassword(self):
        """
        Another user's password is refused.
        """
        wrapped, own = self.asked(b"bob", b"secret")
        self.failureResultOf(wrapped, error.UnauthorizedLogin)
        self.failureResultOf(own, error.UnauthorizedLogin)

    def test_notUTF8(self):
        """
        Credentials that are not UTF-8 are refused before any look-up.
        """
        self.failureResultOf(
            self.checker.requestAvatarId(
                UsernamePassword(b"alice", b"\xff")),
            error.UnauthorizedLogin)

    def test_bytesUsers(self):
        """
        A checker whose users are bytes (made in code) gets the
        credentials as bytes, and gives the name as text.
        """
        checker = TextCredentialsChecker(
            InMemoryUsernamePasswordDatabaseDontUse(alice=b"secret"))
        self.assertEqual(self.successResultOf(checker.requestAvatarId(
            UsernamePassword(b"alice", b"secret"))), "alice")
        self.failureResultOf(checker.requestAvatarId(
            UsernamePassword(b"alice", b"other")), error.UnauthorizedLogin)

    def test_subclassAsked(self):
        """
        A checker of a subclass is asked itself: it may check otherwise.
        """
        memory = _Refusing()
        memory.addUser("alice", "secret")
        checker = TextCredentialsChecker(memory)
        self.failureResultOf(checker.requestAvatarId(
            UsernamePassword(b"alice", b"secret")), error.UnauthorizedLogin)

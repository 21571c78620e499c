"""
Password guessing over real loopback sockets by a client that does not
wait for its answers: a correct password is answered at once and a wrong
one only after the failed-login delay, so a guesser hanging up as soon
as an answer is late learns as much as one that waits, on as many
connections as it may open.
"""

from twisted.cred import checkers, portal
from twisted.internet import defer, task
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.integration.test_attack_jail import RawClient
from tests.scratch import scratchDirectory

GUESSERS = 16
"""Connections guessing at once from one address."""


@implementer(checkers.ICredentialsChecker)
class CountingChecker:
    """
    An in-memory password checker that counts the passwords it checks.
    """

    credentialInterfaces = (
        checkers.InMemoryUsernamePasswordDatabaseDontUse
        .credentialInterfaces)

    def __init__(self, users):
        self.checked = 0
        self._checker = checkers.InMemoryUsernamePasswordDatabaseDontUse(
            **users)

    def requestAvatarId(self, credentials):
        self.checked += 1
        return self._checker.requestAvatarId(credentials)


class HangingUpGuesserTests(LoopbackServerMixin, unittest.TestCase):
    """
    Guessers that send their password and hang up at once.
    """

    timeout = 60

    def setUp(self):
        self.checker = CountingChecker({"alice": b"secret"})
        self.server = self.startServer(
            FilesystemRealm(scratchDirectory(self)),
            ServerConfig(loginFailureDelay=5.0))
        self.server.factory.portal = portal.Portal(
            self.server.factory.portal.realm, [self.checker])

    @defer.inlineCallbacks
    def waitForNoSession(self):
        """
        @return: a Deferred firing once every session ended.
        """
        for _ in range(1000):
            if self.server.factory.sessions == 0:
                return
            yield task.deferLater(self.server.reactor, 0.01, lambda: None)
        self.fail("sessions left: %d" % (self.server.factory.sessions,))

    @defer.inlineCallbacks
    def test_guessesWaitTheirTurn(self):
        """
        Of many passwords sent at once from one address by connections
        that hang up, one is checked: the others waited for the first
        failure's answer, and went with their connections. Another address
        logs in at once meanwhile.
        """
        def guess():
            clients = [RawClient(self.server.port) for _ in range(GUESSERS)]
            for index, client in enumerate(clients):
                client.sock.sendall(b"USER alice\r\nPASS wrong%d\r\n"
                                    % (index,))
            for client in clients:
                client.close()
            other = RawClient(self.server.port, source="127.0.0.2")
            try:
                return other.login()
            finally:
                other.close()

        answer = yield self.inThread(guess)
        self.assertTrue(answer.startswith(b"230"), answer)
        yield self.waitForNoSession()
        # Guesses and alice's login from 127.0.0.2.
        self.assertEqual(self.checker.checked, 2)

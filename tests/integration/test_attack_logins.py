"""
Attacks on logging in, over real loopback sockets: password guessing by
a client that does not wait for its answers (a correct password is
answered at once and a wrong one only after the failed-login delay, so a
guesser hanging up as soon as an answer is late learns as much as one
that waits, on as many connections as it may open); and a client staying
connected without logging in past C{--login-timeout}.
"""

import time

from twisted.cred import checkers, portal
from twisted.internet import defer, task
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.control.loginfailures import HOLD_AFTER
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
            ServerConfig(loginFailureDelay=10.0))
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
        that hang up, L{HOLD_AFTER} are checked: the others waited for
        the last failure's answer, and went with their connections.
        Another address logs in at once meanwhile.
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
        self.assertEqual(self.checker.checked, HOLD_AFTER + 1)


class StayingWithoutLoginTests(LoopbackServerMixin, unittest.TestCase):
    """
    A client that never logs in, sending commands that start a session
    afresh (C{HOST}, C{REIN}) more often than the login timeout.
    """

    timeout = 60

    def setUp(self):
        self.server = self.startServer(
            FilesystemRealm(scratchDirectory(self)),
            ServerConfig(loginTimeout=1.0))

    def stay(self, line):
        """
        Send C{line} every 0.2 seconds, for up to 40 times the login
        timeout, until an answer is not C{220}.

        @return: a Deferred firing with that answer, or C{None}.
        """
        def run():
            client = RawClient(self.server.port)
            try:
                for _ in range(200):
                    answer = client.command(line)
                    if not answer.startswith(b"220"):
                        return answer
                    time.sleep(0.2)
                return None
            finally:
                client.close()

        return self.inThread(run)

    @defer.inlineCallbacks
    def test_host(self):
        """
        C{HOST} does not keep it connected: it gets C{421}.
        """
        answer = yield self.stay(b"HOST ftp.example.com")
        self.assertEqual((answer or b"")[:3], b"421", answer)

    @defer.inlineCallbacks
    def test_rein(self):
        """
        Nor does C{REIN}.
        """
        answer = yield self.stay(b"REIN")
        self.assertEqual((answer or b"")[:3], b"421", answer)

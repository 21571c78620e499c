"""
The delay after a failed C{PASS} follows the client address's recent
failures, not only the connection's.
"""

import os

from twisted.cred import checkers, credentials, error, portal
from twisted.internet import defer
from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.control.handlers.login import MAX_LOGIN_DELAY
from ftpkit.control.loginfailures import FORGET_AFTER, HOLD_AFTER
from ftpkit.ops import events
from ftpkit.server import FTPFactory
from tests.logevents import captureLogs
from tests.memorysessions import ShellRealm, connect, makeFactory, replyCodes
from tests.scratch import scratchDirectory


class ReconnectingGuesserTests(unittest.TestCase):
    """
    A client that reconnects after being closed for too many failed
    logins does not start again from the first delay.
    """

    def fail(self, clock, transport, protocol, delay):
        """
        Fail a login and check its C{530} comes after C{delay} seconds
        exactly.
        """
        protocol.dataReceived(b"USER alice\r\nPASS wrong\r\n")
        before = replyCodes(transport).count("530")
        clock.advance(delay - 0.01)
        self.assertEqual(replyCodes(transport).count("530"), before)
        clock.advance(0.01)
        self.assertEqual(replyCodes(transport).count("530"), before + 1)

    def test_delayKeptAcrossConnections(self):
        """
        After three failures and a close, the next connection's first
        failure waits 8 times the delay; another address still waits
        once the delay, and a correct password is answered at once.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, loginFailureDelay=1.0,
                              maxLoginAttempts=3)
        protocol, transport = connect(factory)
        for delay in (1.0, 2.0, 4.0):
            self.fail(clock, transport, protocol, delay)
        self.assertTrue(transport.disconnecting)
        protocol, transport = connect(factory)
        self.fail(clock, transport, protocol, 8.0)
        other, otherTransport = connect(factory, host="10.0.0.2")
        self.fail(clock, otherTransport, other, 1.0)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        self.assertEqual(replyCodes(transport)[-1], "230")

    def test_addressDelayStaysShort(self):
        """
        However many connections from one address failed, a failure waits
        at most L{MAX_LOGIN_DELAY} (ten seconds): a test suite or a user
        mistyping on many connections from one address is slowed, not
        stalled past its client's timeouts.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, loginFailureDelay=1.0,
                              maxLoginAttempts=1)
        for delay in (1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0):
            protocol, transport = connect(factory)
            self.fail(clock, transport, protocol, delay)
        self.assertEqual(MAX_LOGIN_DELAY, 10.0)

    def test_quietMinuteStartsAgain(self):
        """
        An address without a failure for a minute (L{FORGET_AFTER}) starts
        again from the first delay.
        """
        self.assertEqual(FORGET_AFTER, 60.0)
        clock = MemoryReactorClock()
        factory = makeFactory(clock, loginFailureDelay=1.0,
                              maxLoginAttempts=1)
        for delay in (1.0, 2.0):
            protocol, transport = connect(factory)
            self.fail(clock, transport, protocol, delay)
        clock.advance(61)
        protocol, transport = connect(factory)
        self.fail(clock, transport, protocol, 1.0)


class HangingUpGuesserTests(unittest.TestCase):
    """
    A guesser that hangs up instead of waiting for a failure's answer
    (a correct password would have been answered at once) gets no more
    passwords checked than one that waits.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()
        self.factory = makeFactory(self.clock, loginFailureDelay=1.0,
                                   maxLoginAttempts=3)
        # Held from the first failure, so that each delay is the first's
        # doubled (the default, HOLD_AFTER failures: FewFailuresTests).
        self.factory.loginFailures.holdAfter = 1

    def guess(self, password, host="10.0.0.1"):
        """
        Send a password on a new connection.

        @return: C{(protocol, transport)}.
        """
        protocol, transport = connect(self.factory, host=host)
        protocol.dataReceived(b"USER alice\r\nPASS %s\r\n" % (password,))
        return protocol, transport

    def test_correctPasswordWaitsItsTurn(self):
        """
        While a failure from the address is unanswered, a correct password
        from another connection of that address is not answered either:
        it is checked once the failure is, so its answer tells a guesser
        nothing sooner.
        """
        protocol, transport = self.guess(b"wrong")
        protocol.connectionLost(None)
        protocol, transport = self.guess(b"secret")
        self.assertNotIn("230", replyCodes(transport))
        self.clock.advance(0.99)
        self.assertNotIn("230", replyCodes(transport))
        self.clock.advance(0.01)
        self.assertEqual(replyCodes(transport)[-1], "230")

    def test_oneCheckPerDelay(self):
        """
        Fifty connections guessing at once and hanging up get one password
        checked: the others were still waiting their turn.
        """
        for index in range(50):
            protocol, transport = self.guess(b"wrong%d" % (index,))
            protocol.connectionLost(None)
        self.assertEqual(self.factory.loginFailures.record("10.0.0.1", 0), 2)

    def test_abandonedLogged(self):
        """
        Each connection that hung up with its password still held is a
        C{login-abandoned} event, naming its user: fifty guessers hanging
        up had one C{login-failed} line (the one password checked), and
        nothing for the other 49.
        """
        published = []
        self.factory.events.subscribe(published.append, [
            events.LOGIN_FAILED, events.LOGIN_ABANDONED])
        for index in range(50):
            protocol, transport = self.guess(b"wrong%d" % (index,))
            protocol.connectionLost(None)
        self.assertEqual(
            [(event.kind, event.user) for event in published],
            [(events.LOGIN_FAILED, "alice")]
            + [(events.LOGIN_ABANDONED, "alice")] * 49)

    def test_waitersTakeTurns(self):
        """
        Connections waiting at once are checked one a delay, the delay
        doubling with each failure, not all together when the first wait
        ends.
        """
        guessers = [self.guess(b"wrong%d" % (index,)) for index in range(3)]

        def failed():
            return sum(replyCodes(transport).count("530")
                       for _, transport in guessers)

        self.clock.pump([1.0] * 2)
        self.assertEqual(failed(), 1)
        self.clock.pump([1.0] * 2)
        self.assertEqual(failed(), 2)

    def test_otherAddressAtOnce(self):
        """
        Another address's correct password is answered at once.
        """
        self.guess(b"wrong")
        protocol, transport = self.guess(b"secret", host="10.0.0.2")
        self.assertEqual(replyCodes(transport)[-1], "230")


class FewFailuresTests(unittest.TestCase):
    """
    An address with fewer than L{HOLD_AFTER} recent failures is not held:
    a user who mistyped a password does not hold up the logins of the
    others sharing the address, nor a transfer client's parallel
    connections.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()
        self.factory = makeFactory(self.clock, loginFailureDelay=1.0,
                                   maxLoginAttempts=1)

    def failOnce(self):
        """
        Fail a login from C{10.0.0.1} and wait for its answer.
        """
        protocol, transport = connect(self.factory)
        protocol.dataReceived(b"USER alice\r\nPASS wrong\r\n")
        self.clock.advance(MAX_LOGIN_DELAY)
        self.assertIn("530", replyCodes(transport))

    def login(self):
        """
        Log in from C{10.0.0.1} on five connections at once.

        @return: the last reply code of each.
        """
        sessions = [connect(self.factory) for _ in range(5)]
        for protocol, _ in sessions:
            protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        return [replyCodes(transport)[-1] for _, transport in sessions]

    def test_mistypedOnce(self):
        """
        After one failure, five connections of the address log in at
        once.
        """
        self.failOnce()
        self.assertEqual(self.login(), ["230"] * 5)

    def test_heldAfterEnough(self):
        """
        After L{HOLD_AFTER} failures, the address's logins wait their
        turn.
        """
        self.assertEqual(HOLD_AFTER, 5)
        for _ in range(HOLD_AFTER):
            self.failOnce()
        self.assertEqual(self.login().count("230"), 1)


@implementer(checkers.ICredentialsChecker)
class SlowChecker:
    """
    A checker answering when the test says: each check is a Deferred in
    L{checks}, failed by the test.

    @ivar checks: the Deferreds of the checks started, oldest first.
    """

    credentialInterfaces = (credentials.IUsernamePassword,)

    def __init__(self):
        self.checks = []

    def requestAvatarId(self, creds):
        """
        @param creds: the credentials (not looked at).
        @return: a Deferred the test fires.
        """
        self.checks.append(defer.Deferred())
        return self.checks[-1]


class ChecksInFlightTests(unittest.TestCase):
    """
    Checks still running count against L{HOLD_AFTER}: a guesser that sent
    its passwords on many connections at once, before any was answered,
    had every one checked (a slow checker, such as scrypt's, finding no
    failure of the address yet), 32 guesses at a time with the default
    C{--max-connections-per-ip}, not L{HOLD_AFTER}.
    """

    def test_burstHeld(self):
        """
        Of twenty passwords sent at once from one address, L{HOLD_AFTER}
        are checked at once; another address's is checked too.
        """
        clock = MemoryReactorClock()
        checker = SlowChecker()
        factory = FTPFactory(portal.Portal(ShellRealm(), [checker]),
                             ServerConfig(loginFailureDelay=1.0,
                                          maxLoginAttempts=1), clock)
        for index in range(20):
            protocol, _ = connect(factory)
            protocol.dataReceived(b"USER alice\r\nPASS w%d\r\n" % (index,))
        self.assertEqual(len(checker.checks), HOLD_AFTER)
        protocol, _ = connect(factory, host="10.0.0.2")
        protocol.dataReceived(b"USER alice\r\nPASS w\r\n")
        self.assertEqual(len(checker.checks), HOLD_AFTER + 1)
        for check in checker.checks[:HOLD_AFTER]:
            check.errback(error.UnauthorizedLogin())
        clock.advance(MAX_LOGIN_DELAY)
        self.assertEqual(len(checker.checks), HOLD_AFTER + 2)


class DelayNotIdleTests(unittest.TestCase):
    """
    The server's own delay before answering a failed C{PASS} is not the
    client's idle time.
    """

    def test_delayLongerThanIdleTimeout(self):
        """
        A failed login whose answer is held longer than the idle timeout
        gets its C{530}, not C{421}, and the idle time starts again from
        that answer.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, loginFailureDelay=4.0,
                              maxLoginAttempts=3, idleTimeout=3)
        protocol, transport = connect(factory)
        protocol.dataReceived(b"USER alice\r\nPASS wrong\r\n")
        for _ in range(8):
            clock.advance(0.5)
        self.assertEqual(replyCodes(transport)[-1], "530")
        self.assertNotIn("421", replyCodes(transport))
        self.assertFalse(transport.disconnecting)
        clock.advance(2.5)
        self.assertNotIn("421", replyCodes(transport))
        for _ in range(4):
            clock.advance(0.5)
        self.assertEqual(replyCodes(transport)[-1], "421")


class HomeUnavailableTests(unittest.TestCase):
    """
    A right password whose home the realm cannot make (the served
    directory gone) is the server's failure, not a failed login.
    """

    def login(self, homePerUser):
        """
        Log C{alice} in, with the right password, to a realm whose root
        was removed.

        @param homePerUser: whether the realm gives her a home of her own.
        @return: C{(transport, logged)}: the session's transport and the
            log events since the login began.
        """
        root = scratchDirectory(self)
        realm = FilesystemRealm(root, homePerUser=homePerUser)
        os.rmdir(root)
        passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
        passwords.addUser(b"alice", b"secret")
        self.clock = MemoryReactorClock()
        self.factory = FTPFactory(portal.Portal(realm, [passwords]),
                                  ServerConfig(loginFailureDelay=1.0),
                                  self.clock)
        logged = captureLogs(self)
        protocol, transport = connect(self.factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        return transport, logged

    def assertNotFailed(self, transport, logged, why):
        """
        The client got C{421} at once and is closed; no C{login-failed}
        event was published (its log line is what fail2ban bans on), the
        error C{why} was logged, and nothing was counted against the
        address: another client from it waits only the first delay.
        """
        self.assertEqual(replyCodes(transport), ["220", "331", "421"])
        self.assertTrue(transport.disconnecting)
        self.assertEqual(
            [event.get("ftpkit_event") for event in logged
             if event.get("ftpkit_event") is not None], [])
        self.assertTrue(any(why in event.get("log_format", "")
                            for event in logged))
        other, otherTransport = connect(self.factory)
        other.dataReceived(b"USER bob\r\nPASS wrong\r\n")
        self.clock.advance(1.0)
        self.assertEqual(replyCodes(otherTransport), ["220", "331", "530"])

    def test_notAFailedLogin(self):
        """
        A home of her own that cannot be made. It was C{530 Login
        incorrect}, after the failure delay.
        """
        self.assertNotFailed(*self.login(homePerUser=True),
                             "cannot create home")

    def test_rootGone(self):
        """
        The shared root itself gone: the log says so. The login succeeded
        and every command got C{550}, each logged as if the client erred.
        """
        self.assertNotFailed(*self.login(homePerUser=False),
                             "served directory {root} is missing")

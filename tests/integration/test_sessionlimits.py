"""
Tests for L{ftpkit.control.sessionlimits}: C{--allow-from}, C{--deny-from} and
C{--max-sessions-per-user}.
"""

import ftplib
import socket

from twisted.internet.testing import MemoryReactorClock
from twisted.logger import LogLevel, formatEvent
from twisted.trial import unittest

from ftpkit.auth.sharedusers import (
    AcceptorUserSessions,
    WorkerUserSessions,
    encodeUser,
)
from ftpkit.control.sessionlimits import (
    TOO_MANY_FOR_USER,
    AddressRules,
    UserSessions,
    allowsNobody,
    familiesDenied,
    parseNetwork,
    userKey,
)
from ftpkit.deploy.channel import Channel
from ftpkit.ops import events
from tests.logevents import captureLogs
from tests.memorysessions import connect, makeFactory, replyCodes
from tests.serverprocess import startServer


class AddressRulesTests(unittest.TestCase):
    """
    L{AddressRules.allows}.
    """

    def test_noRules(self):
        self.assertTrue(AddressRules().allows("10.0.0.1"))
        self.assertTrue(AddressRules().allows("/run/ftp.sock"))

    def test_allow(self):
        rules = AddressRules(allow=["10.0.0.0/8", "2001:db8::/32"])
        self.assertTrue(rules.allows("10.2.3.4"))
        self.assertTrue(rules.allows("2001:db8::1"))
        self.assertTrue(rules.allows("::ffff:10.2.3.4"))
        self.assertFalse(rules.allows("192.168.0.1"))
        self.assertFalse(rules.allows("::1"))
        self.assertFalse(rules.allows("/run/ftp.sock"))

    def test_denyWins(self):
        rules = AddressRules(allow=["10.0.0.0/8"], deny=["10.9.0.0/16"])
        self.assertFalse(rules.allows("10.9.8.7"))
        self.assertTrue(rules.allows("10.8.0.1"))
        rules = AddressRules(deny=["10.9.8.7/32"])
        self.assertFalse(rules.allows("10.9.8.7"))
        self.assertTrue(rules.allows("10.9.8.6"))
        self.assertTrue(rules.allows("/run/ftp.sock"))

    def test_mappedNetworks(self):
        """
        A network written as IPv4-mapped matches the IPv4 clients of a
        dual-stack listener, which are matched as their IPv4 address: a
        deny rule so written refuses them, an allow rule lets them in.
        """
        deny = AddressRules(deny=[parseNetwork("::ffff:127.0.0.4/128")])
        self.assertFalse(deny.allows("::ffff:127.0.0.4"))
        self.assertFalse(deny.allows("127.0.0.4"))
        self.assertTrue(deny.allows("127.0.0.5"))
        allow = AddressRules(allow=[parseNetwork("::ffff:127.0.0.0/104")])
        self.assertTrue(allow.allows("::ffff:127.0.0.1"))
        self.assertTrue(allow.allows("127.0.0.1"))
        self.assertFalse(allow.allows("::1"))
        everyIPv4 = [parseNetwork("::ffff:0:0/96")]
        self.assertFalse(AddressRules(deny=everyIPv4).allows("10.1.1.1"))
        self.assertTrue(allowsNobody([], everyIPv4 + [parseNetwork("::/0")]))

    def test_translated(self):
        """
        An IPv4 client shown through RFC 6052's well-known prefix
        (C{64:ff9b::a.b.c.d}, a SIIT-DC translator in front of the
        server) is matched by the networks written in IPv4 as its IPv4
        address, as the per-address limits count it, and still by those
        written in IPv6.
        """
        rules = AddressRules(deny=["10.0.0.0/8"])
        self.assertFalse(rules.allows("64:ff9b::10.1.2.3"))
        self.assertFalse(rules.allows("64:ff9b::a01:203"))
        self.assertTrue(rules.allows("64:ff9b::192.0.2.7"))
        self.assertTrue(rules.allows("64:ff9b:0:0:1::a01:203"))
        rules = AddressRules(allow=["10.0.0.0/8"])
        self.assertTrue(rules.allows("64:ff9b::10.1.2.3"))
        self.assertFalse(rules.allows("64:ff9b::192.0.2.7"))
        rules = AddressRules(deny=["64:ff9b::/96"])
        self.assertFalse(rules.allows("64:ff9b::10.1.2.3"))
        self.assertTrue(rules.allows("10.1.2.3"))

    def test_mappedIsIPv4(self):
        """
        An IPv4-mapped address is its IPv4 address only: a network
        written in IPv6 does not match it.
        """
        rules = AddressRules(deny=["::/0"])
        self.assertTrue(rules.allows("::ffff:10.1.2.3"))
        self.assertFalse(rules.allows("2001:db8::1"))
        self.assertFalse(AddressRules(deny=["10.0.0.0/8"]).allows(
            "::ffff:10.1.2.3"))

    def test_allowsNobody(self):
        """
        Allow rules whose every address a deny rule holds, or several
        deny rules together, let nobody in; a deny rule holding only part
        of them or of another version lets some. Without allow rules,
        deny rules holding every address of both versions let nobody in.
        """
        self.assertTrue(allowsNobody(["10.0.0.0/8"], ["10.0.0.0/8"]))
        self.assertTrue(allowsNobody(["10.1.0.0/16"], ["10.0.0.0/8"]))
        self.assertTrue(allowsNobody(["10.0.0.0/8"],
                                     ["10.0.0.0/9", "10.128.0.0/9"]))
        self.assertTrue(allowsNobody(["10.0.0.0/8", "::1/128"],
                                     ["10.0.0.0/8", "::/0"]))
        self.assertFalse(allowsNobody(["10.0.0.0/8"], ["10.1.0.0/16"]))
        self.assertFalse(allowsNobody(["10.0.0.0/8", "::1/128"],
                                      ["10.0.0.0/8"]))
        self.assertFalse(allowsNobody(["64:ff9b::/96"], ["0.0.0.0/0"]))
        self.assertTrue(allowsNobody([], ["0.0.0.0/0", "::/0"]))
        self.assertTrue(allowsNobody([], ["0.0.0.0/1", "128.0.0.0/1",
                                          "::/0"]))
        self.assertFalse(allowsNobody([], ["0.0.0.0/0"]))
        self.assertFalse(allowsNobody([], []))

    def test_familiesDenied(self):
        """
        The IP versions whose every address deny rules hold, alone or
        together, 4 before 6; none for rules holding part of each.
        """
        self.assertEqual(familiesDenied(["::/0", "0.0.0.0/0"]), (4, 6))
        self.assertEqual(familiesDenied(["0.0.0.0/1", "128.0.0.0/1",
                                         "::/1"]), (4,))
        self.assertEqual(familiesDenied(["10.0.0.0/8", "::/0"]), (6,))
        self.assertEqual(familiesDenied(["0.0.0.0/1", "8000::/1"]), ())
        self.assertEqual(familiesDenied([]), ())

    def test_parse(self):
        self.assertEqual(parseNetwork("10.1.2.3/8"), "10.0.0.0/8")
        self.assertEqual(parseNetwork("::1"), "::1/128")
        self.assertEqual(parseNetwork("::ffff:10.1.2.3/104"), "10.0.0.0/8")
        self.assertRaises(ValueError, parseNetwork, "10.0.0.0/33")
        self.assertRaises(ValueError, parseNetwork, "example.com")


class UserSessionsTests(unittest.TestCase):
    """
    L{UserSessions} counts logins per user.
    """

    def test_limit(self):
        sessions = UserSessions(2)
        self.assertTrue(sessions.admit("alice"))
        self.assertTrue(sessions.admit("alice"))
        self.assertFalse(sessions.admit("alice"))
        self.assertTrue(sessions.admit("bob"))
        sessions.release("alice")
        self.assertTrue(sessions.admit("alice"))
        sessions.release("bob")
        self.assertNotIn("bob", sessions.counts)

    def test_noLimit(self):
        sessions = UserSessions()
        for _ in range(100):
            self.assertTrue(sessions.admit("alice"))

    def test_anonymousIsOne(self):
        self.assertEqual(userKey("ftp", True), userKey("anonymous", True))
        self.assertEqual(userKey("alice", False), "alice")


class SessionTests(unittest.TestCase):
    """
    The rules applied to sessions.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()

    def test_notAllowed(self):
        """
        A client outside the rules gets 421 before any greeting, and is
        not counted.
        """
        factory = makeFactory(self.clock, allowFrom=("10.9.0.0/16",))
        _, transport = connect(factory, "10.0.0.1")
        self.assertEqual(replyCodes(transport), ["421"])
        self.assertIn(b"Not allowed from your address", transport.value())
        self.assertEqual(factory.sessions, 0)
        _, transport = connect(factory, "10.9.1.1")
        self.assertEqual(replyCodes(transport), ["220"])

    def test_maxSessionsPerUser(self):
        """
        A login of a user with the most sessions gets 421 and is closed;
        once one of them ends, the user may log in again.
        """
        factory = makeFactory(self.clock, maxSessionsPerUser=1)
        first, _ = connect(factory)
        first.dataReceived(b"USER alice\r\nPASS secret\r\n")
        second, transport = connect(factory, "10.0.0.2")
        second.dataReceived(b"USER alice\r\nPASS secret\r\n")
        self.assertEqual(replyCodes(transport)[-1], "421")
        self.assertTrue(transport.disconnecting)
        self.assertIsNone(second.session.shell)
        anonymous, transport = connect(factory, "10.0.0.3")
        anonymous.dataReceived(b"USER anonymous\r\nPASS x\r\n")
        self.assertEqual(replyCodes(transport)[-1], "230")
        first.connectionLost(None)
        third, transport = connect(factory, "10.0.0.4")
        third.dataReceived(b"USER alice\r\nPASS secret\r\n")
        self.assertEqual(replyCodes(transport)[-1], "230")

    def test_refusedLoginEvent(self):
        """
        The refusal is one C{login-refused} event (a warning naming the
        peer, the user and why), counted in C{ftpkit_logins_total} as
        C{refused}. It was a log line of its own, outside the events: no
        C{ftpkit_event} for JSON log readers, nothing in the metrics.
        """
        factory = makeFactory(self.clock, maxSessionsPerUser=1)
        published = []
        factory.events.subscribe(published.append)
        first, _ = connect(factory)
        first.dataReceived(b"USER alice\r\nPASS secret\r\n")
        logged = captureLogs(self)
        second, transport = connect(factory, "10.0.0.2")
        second.dataReceived(b"USER alice\r\nPASS secret\r\n")
        self.assertEqual(replyCodes(transport)[-1], "421")
        refused = [event for event in published
                   if event.kind == events.LOGIN_REFUSED]
        self.assertEqual([(event.peer, event.user, event.reason)
                          for event in refused],
                         [("10.0.0.2", "alice", TOO_MANY_FOR_USER)])
        lines = [event for event in logged if "ftpkit_event" in event]
        self.assertEqual([event["ftpkit_event"] for event in lines],
                         ["login-refused"])
        self.assertEqual(lines[0]["log_level"], LogLevel.warn)
        self.assertEqual(
            formatEvent(lines[0]), "refused login from 10.0.0.2 user "
            "'alice': Too many sessions for this user; closing")

    def test_reinReleases(self):
        """
        C{REIN} ends the login, so it no longer counts.
        """
        factory = makeFactory(self.clock, maxSessionsPerUser=1)
        first, _ = connect(factory)
        first.dataReceived(b"USER alice\r\nPASS secret\r\nREIN\r\n")
        second, transport = connect(factory, "10.0.0.2")
        second.dataReceived(b"USER alice\r\nPASS secret\r\n")
        self.assertEqual(replyCodes(transport)[-1], "230")


class WorkersTests(unittest.TestCase):
    """
    Under C{--workers}, a client the rules refuse is released from the
    acceptor's counts: refused again and again, it is still refused for
    its address, never for too many connections.
    """

    timeout = 60

    def greeting(self, port, source):
        with socket.create_connection(("127.0.0.1", port), timeout=10,
                                      source_address=(source, 0)) as conn:
            return conn.recv(200)

    def test_deniedReleased(self):
        server, _ = startServer(self, "--workers", "2", "--deny-from",
                                "127.0.0.2", "--max-connections-per-ip", "2")
        for _ in range(4):
            self.assertEqual(self.greeting(server.port, "127.0.0.2"),
                             b"421 Not allowed from your address\r\n")
        self.assertTrue(self.greeting(server.port, "127.0.0.1")
                        .startswith(b"220"))

    def test_maxSessionsPerUser(self):
        """
        The limit holds across workers: the acceptor counts every
        worker's logins, and a session ending in one worker frees a place
        for a login in any.
        """
        server, _ = startServer(self, "--workers", "2",
                                "--max-sessions-per-user", "2")
        first = server.login("alice", "secret")
        second = server.login("alice", "secret")
        self.addCleanup(first.close)
        self.addCleanup(second.close)
        third = ftplib.FTP()
        third.connect("127.0.0.1", server.port, timeout=10)
        error = self.assertRaises(ftplib.error_temp, third.login, "alice",
                                  "secret")
        self.assertEqual(str(error),
                         "421 Too many sessions for this user; closing")
        third.close()
        other = server.login("anonymous", "x")
        other.quit()
        first.quit()

        def loginAgain():
            try:
                again = server.login("alice", "secret")
            except ftplib.error_temp:
                return False
            again.quit()
            return True

        server.waitFor(loginAgain, "a login once a session ended")


class SharedUsersTests(unittest.TestCase):
    """
    L{ftpkit.auth.sharedusers}: the worker's questions and the acceptor's
    answers.
    """

    def test_acceptor(self):
        acceptor = AcceptorUserSessions(1)
        user = encodeUser("al ice\n")
        self.assertNotIn(b" ", user)
        self.assertEqual(acceptor.handle("w1", b"login", b"1 " + user),
                         b"login-ok 1")
        self.assertEqual(acceptor.handle("w2", b"login", b"7 " + user),
                         b"login-no 7")
        self.assertIsNone(acceptor.handle("w2", b"logout", user))
        self.assertEqual(acceptor.handle("w2", b"login", b"8 " + user),
                         b"login-no 8")
        acceptor.forgetWorker("w1")
        self.assertEqual(acceptor.handle("w2", b"login", b"9 " + user),
                         b"login-ok 9")

    def test_worker(self):
        ours, theirs = socket.socketpair()
        self.addCleanup(ours.close)
        self.addCleanup(theirs.close)
        sessions = WorkerUserSessions(Channel(ours, MemoryReactorClock()))
        answers = []
        sessions.admit("alice").addCallback(answers.append)
        sessions.admit("alice").addCallback(answers.append)
        self.assertEqual(theirs.recv(100), b"login 1 616c696365\n"
                         b"login 2 616c696365\n")
        for line in (b"10.0.0.1", b"login-no 2", b"login-ok 1"):
            sessions.lineReceived(line)
        self.assertEqual(answers, [False, True])
        sessions.release("alice")
        self.assertEqual(theirs.recv(100), b"logout 616c696365\n")

    def test_acceptorUnreachable(self):
        """
        A login the worker's channel cannot take (the acceptor left too
        many lines unread) is refused at once, not left waiting for an
        answer that cannot come; the worker logs that once.
        """
        from twisted.logger import Logger

        from ftpkit.deploy.worker import ConnectionReceiver

        ours, theirs = socket.socketpair()
        self.addCleanup(ours.close)
        self.addCleanup(theirs.close)
        ours.setblocking(False)
        clock = MemoryReactorClock()
        channel = Channel(ours, clock, limit=4096)
        channel.receiver = ConnectionReceiver(clock, channel, None)
        logged = []
        channel.receiver.log = Logger(observer=logged.append)
        sessions = WorkerUserSessions(channel)
        answers = []
        for _ in range(10000):
            sessions.admit("alice").addCallback(answers.append)
            if answers:
                break
        sessions.admit("alice").addCallback(answers.append)
        self.assertEqual(answers, [False, False])
        self.assertEqual(len(logged), 1)
        self.assertIn("the acceptor reads nothing", logged[0]["log_format"])

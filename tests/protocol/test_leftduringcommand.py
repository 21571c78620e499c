"""
A client that leaves while the shell works on its command (a slow C{MKD}
or C{DELE} on an object store, say): the shell stays the user's until it
answers (it never works for a user already logged out), and its logout
is published then, but the session is gone at once from every count an
operator and the limits see.
"""

from twisted.cred import checkers, portal
from twisted.internet import defer, error
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.control.server import FTPFactory
from ftpkit.control.sessionlimits import TOO_MANY_LEFT
from ftpkit.interfaces import IFTPShell
from ftpkit.ops import events, who
from ftpkit.ops.drain import Drain
from ftpkit.shells.memory import MemoryShell
from tests.loglines import LoggedLines
from tests.memorysessions import connect


class GatedShell(MemoryShell):
    """
    A L{MemoryShell} whose C{makeDirectory} and C{removeFile} wait for
    the test to answer them.

    @ivar waiting: the Deferreds of the calls waiting.
    """

    def __init__(self):
        MemoryShell.__init__(self, {"/f.txt": b"x"})
        self.waiting = []

    def _gated(self, *args):
        waiting = defer.Deferred()
        self.waiting.append(waiting)
        return waiting

    makeDirectory = removeFile = _gated


@implementer(portal.IRealm)
class GatedRealm:
    """
    Gives every user a L{GatedShell}; counts the realm's logouts.
    """

    def __init__(self):
        self.shells = []
        self.loggedOut = 0

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: C{(IFTPShell, shell, logout)}.
        """
        shell = GatedShell()
        self.shells.append(shell)

        def logout():
            self.loggedOut += 1
        return IFTPShell, shell, logout


class LeftDuringCommandTests(LoggedLines, unittest.TestCase):
    """
    What a session whose client left holds while its command waits for
    the shell.
    """

    def setUp(self):
        passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
        passwords.addUser(b"alice", b"secret")
        self.realm = GatedRealm()
        self.factory = FTPFactory(
            portal.Portal(self.realm, [passwords]),
            ServerConfig(maxSessionsPerUser=1), MemoryReactorClock())
        self.published = []
        self.factory.events.subscribe(
            self.published.append,
            [kind for kind in events.KINDS if kind != events.REPLY])

    def leave(self, command):
        """
        Log in as alice, send C{command}, which waits for the shell, and
        close the connection.

        @return: the shell's Deferred the command waits on.
        """
        protocol, _ = connect(self.factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n" + command)
        protocol.connectionLost(Failure(error.ConnectionDone()))
        [shell] = self.realm.shells
        [waiting] = shell.waiting
        return waiting

    def test_userMayComeBack(self):
        """
        The user may log in again at once under C{--max-sessions-per-user
        1}: the session the shell still works for no longer counts. It
        did until the shell answered, which, for a shell that never
        answers, locked the user out for good while C{/sessions} showed
        nobody.
        """
        waiting = self.leave(b"MKD new\r\n")
        self.assertEqual(who.sessionRecords(self.factory), [])
        _, transport = connect(self.factory)
        transport.clear()
        _.dataReceived(b"USER alice\r\nPASS secret\r\n")
        self.assertEqual(transport.value().splitlines()[-1],
                         b"230 Login successful")
        self.assertEqual(self.realm.loggedOut, 0)
        waiting.callback(None)
        self.assertEqual(self.realm.loggedOut, 1)

    def test_logoutOnceAnswered(self):
        """
        The user's C{logout} event comes once the shell answered, after
        what the command published (here C{DELE}'s C{change}): the
        session's events end with it.
        """
        waiting = self.leave(b"DELE f.txt\r\n")
        kinds = [event.kind for event in self.published]
        self.assertEqual(kinds[-1], events.SESSION_ENDED)
        waiting.callback(None)
        self.assertEqual([event.kind for event in self.published][-2:],
                         [events.CHANGE, events.LOGOUT])
        self.assertEqual(self.realm.loggedOut, 1)


    def test_leftDuringDrainNotCut(self):
        """
        A drain whose session's client leaves during the grace, its
        command waiting for the shell, does not cut it at the grace's end
        (the drain reads the factory's C{openSessions}): nothing of it is
        said to be closed, nor is it told C{421}; the shell still answers
        its command for the user, logged out then.
        """
        protocol, transport = connect(self.factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\nDELE f.txt\r\n")
        [shell] = self.realm.shells
        [waiting] = shell.waiting
        clock = self.factory.reactor
        self.captureLog()
        Drain(self.factory, 30, clock).drain()
        protocol.connectionLost(Failure(error.ConnectionDone()))
        transport.clear()
        clock.advance(31)
        self.assertEqual([line for line in self.lines()
                          if "grace" in line and "over" in line], [])
        self.assertEqual(transport.value(), b"")
        waiting.callback(None)
        self.assertEqual(self.realm.loggedOut, 1)


class LeftSessionsBoundTests(unittest.TestCase):
    """
    How many sessions one user may leave to a shell that has not answered
    their commands.
    """

    def setUp(self):
        passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
        passwords.addUser(b"alice", b"secret")
        passwords.addUser(b"bob", b"secret")
        self.realm = GatedRealm()
        self.factory = FTPFactory(
            portal.Portal(self.realm, [passwords]),
            ServerConfig(maxConnectionsPerIP=3), MemoryReactorClock())
        self.refused = []
        self.factory.events.subscribe(self.refused.append,
                                      [events.LOGIN_REFUSED])

    def login(self, user):
        """
        Log in as C{user}.

        @return: C{(protocol, the last reply line)}.
        """
        protocol, transport = connect(self.factory)
        transport.clear()
        protocol.dataReceived(b"USER %s\r\nPASS secret\r\n" % (user,))
        return protocol, transport.value().splitlines()[-1]

    def test_bounded(self):
        """
        A user who left C{--max-connections-per-ip} sessions to the shell
        (connect, C{DELE} on a slow store, leave, again and again) may not
        log in until the shell answers one of them: each left session
        held the shell's work, and nothing bounded how many. Other users
        may.
        """
        for _ in range(3):
            protocol, reply = self.login(b"alice")
            self.assertEqual(reply, b"230 Login successful")
            protocol.dataReceived(b"DELE f.txt\r\n")
            protocol.connectionLost(Failure(error.ConnectionDone()))
        protocol, reply = self.login(b"alice")
        self.assertEqual(reply, b"421 " + TOO_MANY_LEFT.encode())
        self.assertEqual([event.reason for event in self.refused],
                         [TOO_MANY_LEFT])
        self.assertEqual(self.realm.loggedOut, 1)
        self.assertEqual(self.login(b"bob")[1], b"230 Login successful")
        self.realm.shells[0].waiting[0].callback(None)
        self.assertEqual(self.login(b"alice")[1], b"230 Login successful")

    def test_countedOnce(self):
        """
        A session that left with nothing for the shell to answer is not
        counted, nor one whose command was answered since.
        """
        for _ in range(4):
            protocol, reply = self.login(b"alice")
            self.assertEqual(reply, b"230 Login successful")
            protocol.dataReceived(b"DELE f.txt\r\n")
            self.realm.shells[-1].waiting[0].callback(None)
            protocol.connectionLost(Failure(error.ConnectionDone()))
        self.assertEqual(self.factory.leftSessions.counts, {})
        protocol, reply = self.login(b"alice")
        protocol.dataReceived(b"DELE f.txt\r\n")
        protocol.connectionLost(Failure(error.ConnectionDone()))
        self.assertEqual(self.factory.leftSessions.counts, {"alice": 1})
        self.realm.shells[-1].waiting[0].callback(None)
        self.assertEqual(self.factory.leftSessions.counts, {})


class AnonymousLeftTests(unittest.TestCase):
    """
    Anonymous sessions left to the shell are counted per client.
    """

    def test_perClient(self):
        """
        An anonymous client that left C{--max-connections-per-ip}
        sessions to the shell may not log in again, but another client
        may log in anonymously: all anonymous logins are one user, whom
        one client kept out.
        """
        # Anonymous users may not change anything: they wait on a look.
        self.patch(GatedShell, "stat", GatedShell._gated)
        self.realm = GatedRealm()
        factory = FTPFactory(
            portal.Portal(self.realm, [checkers.AllowAnonymousAccess()]),
            ServerConfig(maxConnectionsPerIP=2), MemoryReactorClock())

        def login(host):
            protocol, transport = connect(factory, host)
            transport.clear()
            protocol.dataReceived(b"USER anonymous\r\nPASS x\r\n")
            return protocol, transport.value().splitlines()[-1]

        for _ in range(2):
            protocol, reply = login("192.0.2.1")
            self.assertEqual(reply, b"230 Login successful")
            protocol.dataReceived(b"MDTM f.txt\r\n")
            protocol.connectionLost(Failure(error.ConnectionDone()))
        self.assertEqual(login("192.0.2.1")[1],
                         b"421 " + TOO_MANY_LEFT.encode())
        self.assertEqual(login("192.0.2.2")[1], b"230 Login successful")

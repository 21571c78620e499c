"""
The control layer's turns at the shell's slow work
(L{ftpkit.control.turns}): which session's C{HASH}, C{RNTO} or C{SITE MKDIR} reaches
the shell, with IPv6 clients counted by their network, and the turns of
a C{LIST} going on after its client sent C{QUIT} and left, on
L{StringTransport}s.
"""

from twisted.cred import checkers, portal
from twisted.internet.defer import Deferred, succeed
from twisted.internet.error import ConnectionDone
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.control.server import FTPFactory
from ftpkit.errors import NoSuchFile
from ftpkit.fileinfo import DIRECTORY, FILE, FileInfo
from ftpkit.interfaces import IDirectoryListing, IFTPShell
from ftpkit.shells.memory import MemoryShell
from tests.memorysessions import connect, connectActive, replyCodes
from tests.protocol.test_ipv6clients import ELSEWHERE, FIRST, SECOND


@implementer(portal.IRealm)
class HeldCallRealm:
    """
    Gives every user a L{MemoryShell} of three files, C{/a.bin},
    C{/b.bin} and C{/c.bin}, and three directories, C{/a}, C{/b} and
    C{/c}, whose method C{method} waits until the test ends it.

    @ivar asked: C{(path, Deferred)} of every call of C{method} the
        shells got, in order.
    """

    def __init__(self, method):
        self.method = method
        self.asked = []

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: C{(IFTPShell, shell, logout)}.
        """
        shell = MemoryShell({"/a.bin": b"a", "/b.bin": b"b", "/c.bin": b"c",
                             "/a/f": b"a", "/b/f": b"b", "/c/f": b"c"})

        def held(path, *args, **kwargs):
            waiting = Deferred()
            self.asked.append((path, waiting))
            return waiting

        setattr(shell, self.method, held)
        return IFTPShell, shell, lambda: None


class ClientsTakingTurns:
    """
    Sessions of two IPv6 clients running commands (C{commands}) whose
    shell call (C{method}, answered with C{result}) waits until the test
    ends it, and which take their client's turns.
    """

    result = None

    def setUp(self):
        self.realm = HeldCallRealm(self.method)

    def factory(self, **settings):
        passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
        passwords.addUser(b"alice", b"secret")
        return FTPFactory(portal.Portal(self.realm, [passwords]),
                          ServerConfig(loginFailureDelay=0, **settings),
                          MemoryReactorClock())

    def asked(self):
        return [path for path, _ in self.realm.asked]

    def session(self, factory, host, name):
        """
        Log in from C{host} and run C{commands} with C{name}.

        @return: C{(protocol, transport)}.
        """
        protocol, transport = connect(factory, host)
        for line in (b"USER alice", b"PASS secret", *self.commands(name)):
            protocol.dataReceived(line + b"\r\n")
        return protocol, transport

    def test_oneAtATimePerNetwork(self):
        """
        Two addresses of one C{/64} take turns; a client of another
        network does not wait for them.
        """
        factory = self.factory()
        _, first = self.session(factory, FIRST, b"a")
        _, second = self.session(factory, SECOND, b"b")
        self.session(factory, ELSEWHERE, b"c")
        self.assertEqual(self.asked(), [self.asking("a"), self.asking("c")])
        self.realm.asked[0][1].callback(self.result)
        self.assertEqual(replyCodes(first)[-1], self.done)
        self.assertEqual(self.asked(), [self.asking("a"), self.asking("c"),
                                        self.asking("b")])
        self.realm.asked[2][1].callback(self.result)
        self.assertEqual(replyCodes(second)[-1], self.done)


class HashTurnTests(ClientsTakingTurns, unittest.TestCase):
    """
    C{HASH}: a checksum reads the whole file.
    """

    method = "hash"
    done = "213"
    result = "aa"

    def commands(self, name):
        return [b"HASH " + name + b".bin"]

    def asking(self, name):
        return (name + ".bin",)

    def test_exactAddresses(self):
        """
        With C{ipv6PrefixLength=128}, each address has its own turn.
        """
        factory = self.factory(ipv6PrefixLength=128)
        self.session(factory, FIRST, b"a")
        self.session(factory, SECOND, b"b")
        self.assertEqual(self.asked(), [("a.bin",), ("b.bin",)])

    def test_lostSessionGivesUpItsTurn(self):
        """
        A session that disconnects while its checksum waits for its turn
        takes it back: the shell is never asked for it.
        """
        factory = self.factory()
        self.session(factory, FIRST, b"a")
        protocol, _ = self.session(factory, SECOND, b"b")
        protocol.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(factory.hashTurns.waiting(
            "2001:db8:0:1::/64"), 0)
        self.realm.asked[0][1].callback("aa")
        self.assertEqual(self.asked(), [("a.bin",)])
        self.assertEqual(factory.hashTurns.running("2001:db8:0:1::/64"), 0)


class RenameTurnTests(ClientsTakingTurns, unittest.TestCase):
    """
    C{RNTO}: the rename of a directory may look at up to 10,000 entries
    below it for uploads it would move, a listing's work, and takes the
    client's turn at listings.
    """

    method = "rename"
    done = "250"

    def commands(self, name):
        return [b"RNFR " + name, b"RNTO " + name + b"2"]

    def asking(self, name):
        return (name,)


class SiteMkdirTurnTests(ClientsTakingTurns, unittest.TestCase):
    """
    C{SITE MKDIR}: a path of 256 names is 256 looks and as many
    directories made, and takes the client's turn at listings.
    """

    method = "makeDirectory"
    done = "200"

    def commands(self, name):
        return [b"SITE MKDIR " + name + b"/new"]

    def asking(self, name):
        return (name, "new")


class SiteMkdirLookTurnTests(ClientsTakingTurns, unittest.TestCase):
    """
    C{SITE MKDIR}'s looks take the client's turn too: the look at the
    whole path (a directory already: C{200} at once), and each look
    along a path that is not one yet.
    """

    method = "stat"
    done = "200"
    result = FileInfo(kind=DIRECTORY)

    def commands(self, name):
        return [b"SITE MKDIR " + name + b"/new"]

    def asking(self, name):
        return (name, "new")

    def test_stepsTakeTurns(self):
        """
        Once the whole path is not found, the look at its first name
        waits for the client's turn, behind another session's look.
        """
        factory = self.factory()
        self.session(factory, FIRST, b"a")
        self.session(factory, SECOND, b"b")
        self.realm.asked[0][1].errback(NoSuchFile())
        self.assertEqual(self.asked(), [("a", "new"), ("b", "new")])


@implementer(portal.IRealm)
class HeldBatchesRealm:
    """
    Gives every user a L{MemoryShell} whose listings' batches each wait
    until the test gives them.

    @ivar asked: C{(session, Deferred)} of every batch asked for, in
        order, C{session} counting the logins from 1.
    """

    def __init__(self):
        self.asked = []
        self.logins = 0

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: C{(IFTPShell, shell, logout)}.
        """
        self.logins += 1
        login = self.logins
        shell = MemoryShell({"/d/f": b"f"})

        @implementer(IDirectoryListing)
        class HeldBatches:
            def nextBatch(listing):
                waiting = Deferred()
                self.asked.append((login, waiting))
                return waiting

            def close(listing):
                pass

        shell.openListing = lambda path: succeed(HeldBatches())
        return IFTPShell, shell, lambda: None


class ListingAfterQuitTests(unittest.TestCase):
    """
    A listing that goes on after its client sent C{QUIT} and left keeps
    its client's turn until it ends.
    """

    def test_keepsItsTurn(self):
        """
        The next batch of a C{LIST} waiting behind another session's of
        the same address when its client sent C{QUIT} and left still
        comes, in its turn, and the listing ends with C{226}; forgotten
        as the client left, it cut the listing (C{426}).
        """
        realm = HeldBatchesRealm()
        passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
        passwords.addUser(b"alice", b"secret")
        clock = MemoryReactorClock()
        factory = FTPFactory(portal.Portal(realm, [passwords]),
                             ServerConfig(loginFailureDelay=0), clock)
        entries = [("e", FileInfo(kind=FILE))]
        sessions = []
        for _ in range(2):
            sessions.append(connect(factory))
            sessions[-1][0].dataReceived(
                b"USER alice\r\nPASS secret\r\nPORT 10,0,0,1,8,0\r\n"
                b"LIST /d\r\n")
            clock.advance(0)
            if realm.asked:
                realm.asked[0][1].callback(entries)
            sessions[-1] += (connectActive(clock),)
        (first, firstWire, firstData), (second, secondWire, _) = sessions
        realm.asked[1][1].callback(entries)
        self.assertEqual([login for login, _ in realm.asked], [1, 1, 2])
        self.assertEqual(factory.listingTurns.waiting("10.0.0.1"), 1)
        first.dataReceived(b"QUIT\r\n")
        first.connectionLost(Failure(ConnectionDone()))
        clock.advance(0)
        self.assertEqual(replyCodes(firstWire), ["220", "331", "230", "200",
                                                  "150"])
        realm.asked[2][1].callback(entries)
        self.assertEqual([login for login, _ in realm.asked], [1, 1, 2, 1])
        self.assertEqual((factory.listingTurns.running("10.0.0.1"),
                          factory.listingTurns.waiting("10.0.0.1")), (1, 1))
        realm.asked[3][1].callback([])
        self.assertEqual([login for login, _ in realm.asked],
                         [1, 1, 2, 1, 2])
        self.assertIn(first, factory.openSessions)
        # Its end sent, the listing replies once its data connection
        # closed (a L{StringTransport} does not close itself).
        firstData.connectionLost(Failure(ConnectionDone()))
        clock.advance(0)
        # Then the QUIT runs (ftpkit.control.quitleft); a real transport,
        # lost, drops both replies, which a StringTransport keeps.
        self.assertEqual(replyCodes(firstWire)[-3:], ["150", "226", "221"])
        self.assertNotIn(first, factory.openSessions)
        self.assertEqual(replyCodes(secondWire)[-1], "150")

"""
The control layer's turns at the shell's slow work
(L{ftpkit.control.turns}): which session's C{HASH} or C{RNTO} reaches
the shell, with IPv6 clients counted by their network, on
L{StringTransport}s.
"""

from twisted.cred import checkers, portal
from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionDone
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.control.server import FTPFactory
from ftpkit.interfaces import IFTPShell
from ftpkit.shells.memory import MemoryShell
from tests.memorysessions import connect, replyCodes
from tests.protocol.test_ipv6clients import ELSEWHERE, FIRST, SECOND


@implementer(portal.IRealm)
class HeldHashRealm:
    """
    Gives every user a L{MemoryShell} whose checksums wait until the test
    ends them.

    @ivar asked: C{(path, Deferred)} of every checksum the shells were
        asked for, in order.
    """

    def __init__(self):
        self.asked = []

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: C{(IFTPShell, shell, logout)}.
        """
        shell = MemoryShell({"/a.bin": b"a", "/b.bin": b"b", "/c.bin": b"c"})

        def hash(path, algorithm, start=0, end=None):
            waiting = Deferred()
            self.asked.append((path, waiting))
            return waiting

        shell.hash = hash
        return IFTPShell, shell, lambda: None


@implementer(portal.IRealm)
class HeldCallRealm(HeldHashRealm):
    """
    Gives every user a L{MemoryShell} of three directories, C{/a},
    C{/b} and C{/c}, whose method C{method} waits until the test ends
    it.
    """

    def __init__(self, method):
        HeldHashRealm.__init__(self)
        self.method = method

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: C{(IFTPShell, shell, logout)}.
        """
        shell = MemoryShell({"/a/f": b"a", "/b/f": b"b", "/c/f": b"c"})

        def held(path, *args):
            waiting = Deferred()
            self.asked.append((path, waiting))
            return waiting

        setattr(shell, self.method, held)
        return IFTPShell, shell, lambda: None


class ClientsTakingTurns(unittest.TestCase):
    """
    Sessions of clients of a realm (C{self.realm}, made by C{setUp}) whose
    shell's calls wait until the test ends them.
    """

    def factory(self, **settings):
        passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
        passwords.addUser(b"alice", b"secret")
        return FTPFactory(portal.Portal(self.realm, [passwords]),
                          ServerConfig(loginFailureDelay=0, **settings),
                          MemoryReactorClock())

    def asked(self):
        return [path for path, _ in self.realm.asked]


class HashTurnTests(ClientsTakingTurns):
    """
    Sessions of two IPv6 clients asking for checksums at once.
    """

    def setUp(self):
        self.realm = HeldHashRealm()

    def session(self, factory, host, name):
        """
        Log in from C{host} and ask for the checksum of C{name}.

        @return: C{(protocol, transport)}.
        """
        protocol, transport = connect(factory, host)
        for line in (b"USER alice", b"PASS secret", b"HASH " + name):
            protocol.dataReceived(line + b"\r\n")
        return protocol, transport

    def test_oneAtATimePerNetwork(self):
        """
        Two addresses of one C{/64} take turns; a client of another
        network does not wait for them.
        """
        factory = self.factory()
        _, first = self.session(factory, FIRST, b"a.bin")
        _, second = self.session(factory, SECOND, b"b.bin")
        self.session(factory, ELSEWHERE, b"c.bin")
        self.assertEqual(self.asked(), [("a.bin",), ("c.bin",)])
        self.realm.asked[0][1].callback("aa")
        self.assertEqual(replyCodes(first)[-1], "213")
        self.assertEqual(self.asked(), [("a.bin",), ("c.bin",), ("b.bin",)])
        self.realm.asked[2][1].callback("bb")
        self.assertEqual(replyCodes(second)[-1], "213")

    def test_exactAddresses(self):
        """
        With C{ipv6PrefixLength=128}, each address has its own turn.
        """
        factory = self.factory(ipv6PrefixLength=128)
        self.session(factory, FIRST, b"a.bin")
        self.session(factory, SECOND, b"b.bin")
        self.assertEqual(self.asked(), [("a.bin",), ("b.bin",)])

    def test_lostSessionGivesUpItsTurn(self):
        """
        A session that disconnects while its checksum waits for its turn
        takes it back: the shell is never asked for it.
        """
        factory = self.factory()
        self.session(factory, FIRST, b"a.bin")
        protocol, _ = self.session(factory, SECOND, b"b.bin")
        protocol.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(factory.hashTurns.waiting(
            "2001:db8:0:1::/64"), 0)
        self.realm.asked[0][1].callback("aa")
        self.assertEqual(self.asked(), [("a.bin",)])
        self.assertEqual(factory.hashTurns.running("2001:db8:0:1::/64"), 0)


class HeldCallTurnsMixin:
    """
    Sessions of two IPv6 clients running commands (C{commands}) whose
    shell call (C{method}) may be a listing's work, which take the
    client's turn at listings.
    """

    def setUp(self):
        self.realm = HeldCallRealm(self.method)

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
        self.realm.asked[0][1].callback(None)
        self.assertEqual(replyCodes(first)[-1], self.done)
        self.assertEqual(self.asked(), [self.asking("a"), self.asking("c"),
                                        self.asking("b")])
        self.realm.asked[2][1].callback(None)
        self.assertEqual(replyCodes(second)[-1], self.done)


class RenameTurnTests(HeldCallTurnsMixin, ClientsTakingTurns):
    """
    C{RNTO}: the rename of a directory may look at up to 10,000 entries
    below it for uploads it would move.
    """

    method = "rename"
    done = "250"

    def commands(self, name):
        return [b"RNFR " + name, b"RNTO " + name + b"2"]

    def asking(self, name):
        return (name,)


class SiteMkdirTurnTests(HeldCallTurnsMixin, ClientsTakingTurns):
    """
    C{SITE MKDIR}: a path of 256 names is 256 looks and as many
    directories made.
    """

    method = "makeDirectory"
    done = "200"

    def commands(self, name):
        return [b"SITE MKDIR " + name + b"/new"]

    def asking(self, name):
        return (name, "new")

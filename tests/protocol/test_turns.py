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

"""
C{FEAT}'s reply is made once for each state of a server's sessions and
kept by the server (L{ftpkit.control.server.FTPFactory.featureReplies},
by L{ftpkit.control.handlers.offers.SessionOffers.featuresKey}): every
change of a session's state that changes its lines gives it the lines of
its new state, and sessions in different states never share one. Each
test asks C{FEAT} before and after a change and holds the second reply
to the one made fresh from the session (L{fresh}).
"""

from twisted.cred import checkers, portal
from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.internet.interfaces import ISSLTransport
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.trial import unittest
from zope.interface import (
    alsoProvides,
    implementer,
    noLongerProvides,
)

from ftpkit.config import ServerConfig
from ftpkit.control.server import FTPFactory
from ftpkit.control.vhosts import VirtualHost
from ftpkit.interfaces import IFTPShell, IFTPShellFeatures, IFTPShellHash
from ftpkit.protocol.access import OFFERED_PERMISSIONS
from ftpkit.protocol.replies import formatReply
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.wrappers import ShellWrapper
from tests.memorysessions import ShellRealm, connect, makeFactory, repliesTo
from tests.protocol.test_authmechanisms import ContextFactory, StartTLSTransport


def fresh(protocol):
    """
    @param protocol: a session.
    @return: its C{FEAT} reply made now from its state, kept nowhere.
    """
    return formatReply(211, protocol._featuresText())


@implementer(portal.IRealm)
class GrantingRealm(ShellRealm):
    """
    A realm that says which permissions it grants somewhere
    (L{ftpkit.protocol.access.grantedBy}), as a users file's does; a
    reload of the file changes them.

    @ivar grantedPermissions: what it grants now.
    """

    knownPermissions = OFFERED_PERMISSIONS
    grantedPermissions = OFFERED_PERMISSIONS


@implementer(portal.IRealm)
class TwoShellsRealm(ShellRealm):
    """
    Gives alice a shell that checksums, bob one that does not.
    """

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: C{(IFTPShell, shell, logout)}.
        """
        shell = ShellWrapper(MemoryShell({"/f.txt": b"hello\n"}))
        if avatarId == b"bob":
            noLongerProvides(shell, IFTPShellHash)
        return IFTPShell, shell, lambda: None


@implementer(ISSLTransport)
class ImplicitTLSTransport(StringTransport):
    """
    A L{StringTransport} that says it is under TLS from its start, as an
    C{ssl:} listener's connection is.
    """


def factoryOf(realm, **settings):
    """
    @param realm: the server's realm.
    @param settings: L{ServerConfig} fields.
    @return: an L{FTPFactory} whose users alice and bob (password
        C{secret}) and anonymous log in to C{realm}.
    """
    passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
    passwords.addUser(b"alice", b"secret")
    passwords.addUser(b"bob", b"secret")
    return FTPFactory(
        portal.Portal(realm, [passwords, checkers.AllowAnonymousAccess()]),
        ServerConfig(loginFailureDelay=0, **settings), MemoryReactorClock())


def session(factory, local=None, peer=None, transportClass=StringTransport):
    """
    @param factory: the server's factory.
    @param local: the control connection's local address (IPv4 by
        default).
    @param peer: the client's address (IPv4 by default).
    @param transportClass: the transport's class.
    @return: C{(protocol, transport)} of a session not logged in, its
        greeting cleared.
    """
    if peer is None:
        peer = IPv4Address("TCP", "10.0.0.1", 40000)
    if local is None:
        local = IPv4Address("TCP", "10.0.0.254", 21)
    protocol = factory.buildProtocol(peer)
    transport = transportClass(hostAddress=local, peerAddress=peer)
    protocol.makeConnection(transport)
    transport.clear()
    return protocol, transport


class ChangesTests(unittest.TestCase):
    """
    Each change of a session's state that changes C{FEAT}'s lines gives
    the session the reply of its new state, though it had the old one
    made (and kept) by asking first.
    """

    def assertChanged(self, protocol, transport, *commands):
        """
        Ask C{FEAT}, send C{commands}, ask again: the replies differ, and
        the second is the one made fresh.

        @param protocol: a session.
        @param transport: its transport.
        @param commands: the command lines that change its state.
        @return: the replies before and after.
        """
        [before] = repliesTo(protocol, transport, b"FEAT")
        self.assertEqual(before, fresh(protocol))
        repliesTo(protocol, transport, *commands)
        [after] = repliesTo(protocol, transport, b"FEAT")
        self.assertNotEqual(after, before)
        self.assertEqual(after, fresh(protocol))
        return before, after

    def test_user(self):
        """
        C{USER anonymous}: the user is known, who may change nothing
        (neither C{MFMT} nor C{MFF}).
        """
        protocol, transport = connect(makeFactory(MemoryReactorClock()))
        before, after = self.assertChanged(protocol, transport,
                                           b"USER anonymous")
        self.assertIn(b" MFMT\r\n", before)
        self.assertNotIn(b" MFMT\r\n", after)

    def test_login(self):
        """
        C{USER} and C{PASS}: the shell is known (bob's does not checksum:
        no C{HASH}).
        """
        protocol, transport = session(factoryOf(TwoShellsRealm()))
        before, after = self.assertChanged(protocol, transport, b"USER bob",
                                           b"PASS secret")
        self.assertIn(b" HASH ", before)
        self.assertNotIn(b" HASH ", after)

    def test_reinitialize(self):
        """
        C{REIN}: the session is a new connection's again.
        """
        protocol, transport = session(factoryOf(TwoShellsRealm()))
        protocol.dataReceived(b"USER bob\r\nPASS secret\r\n")
        self.assertChanged(protocol, transport, b"REIN")

    def test_optsMLST(self):
        """
        C{OPTS MLST}: the facts chosen are starred.
        """
        protocol, transport = connect(makeFactory(MemoryReactorClock()))
        before, after = self.assertChanged(protocol, transport,
                                           b"OPTS MLST type;size;")
        self.assertIn(b" MLST type*;size*;modify;", after)

    def test_optsHASH(self):
        """
        C{OPTS HASH}: the algorithm chosen is starred.
        """
        protocol, transport = connect(makeFactory(MemoryReactorClock()))
        before, after = self.assertChanged(protocol, transport,
                                           b"OPTS HASH MD5")
        self.assertIn(b"MD5*", after)

    def test_optsUTF8(self):
        """
        C{OPTS UTF8 ON} changes nothing C{FEAT} lists (UTF-8 is always
        on): the same reply.
        """
        protocol, transport = connect(makeFactory(MemoryReactorClock()))
        [before] = repliesTo(protocol, transport, b"FEAT")
        [after] = repliesTo(protocol, transport, b"OPTS UTF8 ON", b"FEAT")[1:]
        self.assertEqual(after, before)
        self.assertEqual(after, fresh(protocol))

    def test_epsvAll(self):
        """
        C{EPSV ALL}: no C{EPRT}.
        """
        protocol, transport = connect(makeFactory(MemoryReactorClock()))
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        before, after = self.assertChanged(protocol, transport, b"EPSV ALL")
        self.assertNotIn(b" EPRT\r\n", after)

    def test_authTLS(self):
        """
        C{AUTH TLS} (recorded, not done: TLS that C{CCC} cannot end):
        no C{CCC}.
        """
        factory = factoryOf(ShellRealm(), tlsContextFactory=ContextFactory(),
                            tlsAllowCCC=True)
        protocol, transport = session(factory,
                                      transportClass=StartTLSTransport)
        before, after = self.assertChanged(protocol, transport, b"AUTH TLS")
        self.assertIn(b" CCC\r\n", before)

    def test_reload(self):
        """
        Before login, a reload of what the realm grants (a users file
        read again, where no user may set times any more): no C{MFMT}.
        """
        realm = GrantingRealm()
        protocol, transport = session(factoryOf(realm))
        [before] = repliesTo(protocol, transport, b"FEAT")
        realm.grantedPermissions = OFFERED_PERMISSIONS - {"set-time"}
        [after] = repliesTo(protocol, transport, b"FEAT")
        self.assertIn(b" MFMT\r\n", before)
        self.assertNotIn(b" MFMT\r\n", after)
        self.assertEqual(after, fresh(protocol))

    def test_host(self):
        """
        C{HOST}: the virtual host's realm, which grants nothing of what
        C{SITE MKDIR} needs.
        """
        realm = GrantingRealm()
        realm.grantedPermissions = frozenset()
        factory = factoryOf(ShellRealm(), virtualHosts=(
            VirtualHost(("a.example",), "test", realm),))
        protocol, transport = session(factory)
        before, after = self.assertChanged(protocol, transport,
                                           b"HOST a.example")
        self.assertNotIn(b" SITE MKDIR\r\n", after)


class SharedTests(unittest.TestCase):
    """
    Sessions of one server share the reply of a state, and only of the
    same state.
    """

    def test_madeOnce(self):
        """
        Two sessions in the same state: the lines are worked out once.
        """
        factory = makeFactory(MemoryReactorClock())
        replies = []
        made = []
        for _ in range(2):
            protocol, transport = connect(factory)
            protocol.featureLines = (
                lambda lines=protocol.featureLines: made.append(1) or lines())
            replies.extend(repliesTo(protocol, transport, b"FEAT"))
        self.assertEqual(len(made), 1)
        self.assertEqual(replies[0], replies[1])

    def assertApart(self, first, second):
        """
        Ask C{FEAT} on two sessions of one server: different replies,
        each the one made fresh.

        @param first: C{(protocol, transport)} of a session.
        @param second: another's.
        """
        replies = [repliesTo(protocol, transport, b"FEAT")[0]
                   for protocol, transport in (first, second)]
        self.assertNotEqual(replies[0], replies[1])
        self.assertEqual(replies, [fresh(first[0]), fresh(second[0])])

    def test_shells(self):
        """
        Shells of different capabilities (alice's checksums, bob's not).
        """
        factory = factoryOf(TwoShellsRealm())
        sessions = []
        for name in (b"alice", b"bob"):
            protocol, transport = session(factory)
            protocol.dataReceived(b"USER " + name + b"\r\nPASS secret\r\n")
            sessions.append((protocol, transport))
        self.assertApart(*sessions)

    def test_unsupported(self):
        """
        Shells that say different things cannot be done (one says its
        storage cannot C{MDTM}).
        """
        factory = factoryOf(TwoShellsRealm())
        sessions = []
        for unsupported in (frozenset(), frozenset({"MDTM"})):
            protocol, transport = session(factory)
            protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
            protocol.session.shell.unsupportedFeatures = (
                lambda unsupported=unsupported: unsupported)
            alsoProvides(protocol.session.shell, IFTPShellFeatures)
            sessions.append((protocol, transport))
        self.assertApart(*sessions)

    def test_addresses(self):
        """
        An IPv4 client, and one of a Unix socket (which has no address a
        data connection could use: no C{EPRT}).
        """
        factory = factoryOf(ShellRealm())
        self.assertApart(session(factory), session(
            factory, UNIXAddress(b"/ftp.sock"), UNIXAddress(None)))

    def test_families(self):
        """
        An IPv4 client on an IPv6 control connection, and one on IPv4
        (PASV's C{CPSV} is IPv4's only).
        """
        factory = factoryOf(ShellRealm(), tlsContextFactory=ContextFactory())
        sessions = []
        for local in (IPv4Address("TCP", "10.0.0.254", 21),
                      IPv6Address("TCP", "2001:db8::21", 21)):
            protocol, transport = session(factory, local,
                                          transportClass=StartTLSTransport)
            protocol.dataReceived(b"AUTH TLS\r\nUSER alice\r\n"
                                  b"PASS secret\r\n")
            sessions.append((protocol, transport))
        self.assertApart(*sessions)

    def test_implicitTLS(self):
        """
        Implicit TLS, which C{CCC} cannot end, and C{AUTH TLS}, which it
        can (L{ftpkit.control.ccc.canClearTLS}).
        """
        factory = factoryOf(ShellRealm(), tlsContextFactory=ContextFactory(),
                            tlsAllowCCC=True)
        implicit = session(factory, transportClass=ImplicitTLSTransport)
        explicit = session(factory, transportClass=StartTLSTransport)
        explicit[0].dataReceived(b"AUTH TLS\r\n")
        for protocol, _ in (implicit, explicit):
            protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        self.patch(type(explicit[0]), "tlsClearable",
                   lambda protocol: protocol is explicit[0])
        self.assertApart(implicit, explicit)

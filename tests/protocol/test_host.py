"""
Tests for C{HOST} (RFC 7151) on the control connection: which realm a
session logs in to, and when C{HOST} may be sent.
"""


from twisted.cred import checkers, portal
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import capturedLogs, formatEvent
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.control import peerwarnings
from ftpkit.control.server import FTPFactory
from ftpkit.control.tlsstate import ControlTLS
from ftpkit.control.vhosts import VirtualHost
from ftpkit.interfaces import IFTPShell
from ftpkit.ops import events
from ftpkit.shells.memory import MemoryShell
from tests.memorysessions import connect, replyCodes


@implementer(portal.IRealm)
class NamedRealm:
    """
    Gives every user a L{MemoryShell} holding one file, C{/NAME}.
    """

    def __init__(self, name):
        self.name = name

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: C{(IFTPShell, shell, logout)}.
        """
        return IFTPShell, MemoryShell({"/" + self.name: b"x"}), lambda: None


def makeFactory(hosts=(), **settings):
    """
    @param hosts: C{(names, realmName)} pairs, one per virtual host.
    @param settings: further L{ServerConfig} fields.
    @return: an L{FTPFactory} whose default realm holds C{/default}, with
        user C{alice}/C{secret}.
    """
    passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
    passwords.addUser(b"alice", b"secret")
    virtualHosts = tuple(VirtualHost(names, "test", NamedRealm(realm))
                         for names, realm in hosts)
    config = ServerConfig(virtualHosts=virtualHosts, loginFailureDelay=0,
                          **settings)
    return FTPFactory(portal.Portal(NamedRealm("default"), [passwords]),
                      config, MemoryReactorClock())


def send(protocol, transport, *lines):
    """
    Send command lines.

    @return: the codes of the replies to them.
    """
    before = len(replyCodes(transport))
    for line in lines:
        protocol.dataReceived(line.encode("utf-8") + b"\r\n")
    return replyCodes(transport)[before:]


LOGIN = ("USER alice", "PASS secret")


def realmOf(protocol, transport):
    """
    @return: the name of the realm the logged-in session sees (C{SIZE}
        in C{TYPE I}: in C{TYPE A} it answers no file's size).
    """
    for name in ("default", "a", "b"):
        if send(protocol, transport, "TYPE I", "SIZE /" + name) == [
                "200", "213"]:
            return name
    return None


class HostTests(unittest.TestCase):
    """
    C{HOST NAME} picks the realm the next login goes to.
    """

    def setUp(self):
        self.factory = makeFactory([(("a.example", "www.a.example"), "a"),
                                    (("b.example",), "b")])
        self.protocol, self.transport = connect(self.factory)

    def send(self, *lines):
        return send(self.protocol, self.transport, *lines)

    def test_feat(self):
        """
        FEAT lists HOST, with or without virtual hosts.
        """
        for factory in (self.factory, makeFactory()):
            protocol, transport = connect(factory)
            protocol.dataReceived(b"FEAT\r\n")
            self.assertIn(b"\r\n HOST\r\n", transport.value())

    def test_pick(self):
        """
        HOST with a virtual host's name (any of its names, in any case,
        with a trailing dot) gets 220, and the login goes to its realm.
        """
        self.assertEqual(self.send("HOST WWW.A.Example."), ["220"])
        self.assertEqual(self.send(*LOGIN), ["331", "230"])
        self.assertEqual(realmOf(self.protocol, self.transport), "a")
        self.assertEqual(self.protocol.session.hostName, "www.a.example")

    def test_banner(self):
        """
        The 220 reply to HOST is the host's banner when it has one.
        """
        realm = NamedRealm("a")
        factory = makeFactory()
        factory = FTPFactory(factory.portal, ServerConfig(virtualHosts=(
            VirtualHost(("a.example",), "test", realm, "Welcome to A"),
            VirtualHost(("b.example",), "test", realm))), factory.reactor)
        protocol, transport = connect(factory)
        transport.clear()
        send(protocol, transport, "HOST a.example", "HOST b.example")
        self.assertEqual(transport.value(), b"220 Welcome to A\r\n"
                         b"220 Host b.example ready\r\n")

    def test_eventsNameHost(self):
        """
        The session's events name the host it chose.
        """
        seen = []
        self.factory.events.subscribe(seen.append, [events.LOGIN])
        self.send("HOST a.example", *LOGIN)
        self.assertEqual([event.host for event in seen], ["a.example"])

    def test_withoutHost(self):
        """
        A session that sends no HOST logs in to the default realm.
        """
        self.send(*LOGIN)
        self.assertEqual(realmOf(self.protocol, self.transport), "default")

    def test_lastHostWins(self):
        """
        Before USER, HOST may be sent again: the last one counts.
        """
        self.assertEqual(self.send("HOST a.example", "HOST b.example"),
                         ["220", "220"])
        self.send(*LOGIN)
        self.assertEqual(realmOf(self.protocol, self.transport), "b")

    def test_unknown(self):
        """
        A name no virtual host has gets 504, and the session stays as it
        was.
        """
        self.send("HOST a.example")
        self.assertEqual(self.send("HOST c.example"), ["504"])
        self.send(*LOGIN)
        self.assertEqual(realmOf(self.protocol, self.transport), "a")

    def test_unknownLoggedSparingly(self):
        """
        A client repeating C{HOST} with unknown names gets
        L{peerwarnings.LINES} log lines a minute, the next saying how many
        were left out, not one each.
        """
        with capturedLogs() as events:
            for i in range(100):
                self.assertEqual(self.send(f"HOST c{i}.example"), ["504"])
            # The next one comes as the minute ends, before its summary.
            self.factory.reactor.rightNow += 60
            self.send("HOST d.example")
        lines = [formatEvent(event) for event in events
                 if "unknown virtual host" in formatEvent(event)]
        self.assertEqual(lines, [
            f"10.0.0.1 asked for unknown virtual host c{i}.example"
            for i in range(peerwarnings.LINES)] + [
            "10.0.0.1 asked for unknown virtual host d.example"
            f" (and {100 - peerwarnings.LINES} more not logged)"])

    def test_choiceLoggedSparingly(self):
        """
        A client repeating C{HOST} with a known name (before logging in,
        as often as it likes) gets L{peerwarnings.LINES} log lines a
        minute, the next saying how many were left out, not one each.
        """
        with capturedLogs() as events:
            for _ in range(100):
                self.assertEqual(self.send("HOST a.example"), ["220"])
            # The next one comes as the minute ends, before its summary.
            self.factory.reactor.rightNow += 60
            self.send("HOST b.example")
        lines = [formatEvent(event) for event in events
                 if "chose virtual host" in formatEvent(event)]
        self.assertEqual(lines, [
            "10.0.0.1 chose virtual host a.example"] * peerwarnings.LINES + [
            "10.0.0.1 chose virtual host b.example"
            f" (and {100 - peerwarnings.LINES} more not logged)"])

    def test_fallback(self):
        """
        With C{vhostFallback}, a name no virtual host has picks the
        default realm.
        """
        factory = makeFactory([(("a.example",), "a")], vhostFallback=True)
        protocol, transport = connect(factory)
        self.assertEqual(send(protocol, transport, "HOST c.example", *LOGIN),
                         ["220", "331", "230"])
        self.assertEqual(realmOf(protocol, transport), "default")

    def test_ownAddress(self):
        """
        The server's own address (the control connection's local address)
        picks the default realm; another address is unknown.
        """
        self.assertEqual(self.send("HOST 10.0.0.9"), ["504"])
        with capturedLogs() as events:
            self.assertEqual(self.send("HOST 10.0.0.254"), ["220"])
        self.assertIn("10.0.0.1 chose virtual host 10.0.0.254 (the default"
                      " realm)", [formatEvent(event) for event in events])
        self.send(*LOGIN)
        self.assertEqual(realmOf(self.protocol, self.transport), "default")

    def test_noVirtualHosts(self):
        """
        Without virtual hosts, HOST accepts any name and keeps the default
        realm (clients that send HOST keep working).
        """
        protocol, transport = connect(makeFactory())
        with capturedLogs() as events:
            self.assertEqual(
                send(protocol, transport, "HOST ftp.example.org", *LOGIN),
                ["220", "331", "230"])
        self.assertEqual(realmOf(protocol, transport), "default")
        # No line saying a virtual host was chosen where there is none
        # (lftp sends HOST with every address it connects to).
        self.assertEqual([formatEvent(event) for event in events
                          if "virtual host" in formatEvent(event)], [])

    def test_badName(self):
        """
        Text that is no host name gets 501; no argument gets 501 too.
        """
        for bad in ("HOST ::1", "HOST [::1", "HOST a b", "HOST bücher.example",
                    "HOST"):
            self.assertEqual(self.send(bad), ["501"], bad)
        self.assertEqual(self.send("HOST [::1]"), ["504"])

    def test_afterUser(self):
        """
        HOST after USER, or after login, gets 503 and changes nothing.
        """
        self.assertEqual(self.send("USER alice", "HOST a.example"),
                         ["331", "503"])
        self.assertEqual(self.send("PASS secret", "HOST a.example"),
                         ["230", "503"])
        self.assertEqual(realmOf(self.protocol, self.transport), "default")

    def test_afterFailedLogin(self):
        """
        A failed login forgets the USER: HOST may follow.
        """
        self.assertEqual(self.send("USER alice", "PASS wrong",
                                   "HOST a.example", *LOGIN),
                         ["331", "530", "220", "331", "230"])
        self.assertEqual(realmOf(self.protocol, self.transport), "a")

    def test_reinRestoresDefault(self):
        """
        REIN forgets the virtual host; HOST may then pick another.
        """
        self.send("HOST a.example", *LOGIN)
        self.assertEqual(self.send("REIN"), ["220"])
        self.assertIsNone(self.protocol.session.hostName)
        self.send(*LOGIN)
        self.assertEqual(realmOf(self.protocol, self.transport), "default")
        self.assertEqual(self.send("REIN", "HOST b.example", *LOGIN),
                         ["220", "220", "331", "230"])
        self.assertEqual(realmOf(self.protocol, self.transport), "b")

    def test_freshSession(self):
        """
        HOST starts a fresh session, as REIN does: what was set before it
        (OPTS MLST here) is back to its default.
        """
        default = self.protocol.session.mlstFacts
        self.assertEqual(self.send("OPTS MLST size;"), ["200"])
        self.assertNotEqual(self.protocol.session.mlstFacts, default)
        self.send("HOST a.example")
        self.assertEqual(self.protocol.session.mlstFacts, default)

    def test_replyIsSafe(self):
        """
        The replies never carry the client's raw text.
        """
        self.send("HOST a.example\r230 forged")
        self.assertNotIn(b"230", self.transport.value())


class _Handle:
    def __init__(self, name):
        self.name = name

    def get_servername(self):
        return self.name


class SNITests(unittest.TestCase):
    """
    Under TLS, HOST must name the host the client gave the handshake
    (SNI), when it gave one (RFC 7151 section 3.2.2).
    """

    def connectSecure(self, serverName):
        factory = makeFactory([(("a.example",), "a"), (("b.example",), "b")])
        protocol, transport = connect(factory)
        transport.getHandle = lambda: _Handle(serverName)
        protocol.tls = ControlTLS(controlSecure=True)
        return protocol, transport

    def test_mismatch(self):
        """
        Another name than the SNI gets 504.
        """
        protocol, transport = self.connectSecure(b"a.example")
        self.assertEqual(send(protocol, transport, "HOST b.example"), ["504"])
        self.assertEqual(send(protocol, transport, "HOST A.example"), ["220"])

    def test_noServerName(self):
        """
        Without SNI, any served name will do.
        """
        protocol, transport = self.connectSecure(None)
        self.assertEqual(send(protocol, transport, "HOST b.example"), ["220"])

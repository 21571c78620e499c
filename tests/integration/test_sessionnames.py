"""
The names a session stores of its own through a plain login, over a real
TCP connection on 127.0.0.1.

CPython 3.11 keeps the instance attribute names of a class's instances in
one table the class shares (its shared keys), whose room is 29 names once
the first instance is made (one less for every later instance). A session
storing a name past that gets a dictionary of its own, there and then,
and the attribute and method loads on it after that miss the interpreter's
specialized forms: session 51's three names more (one at every
connection's start, two stored as C{None} at its end) cost each login 7%
more instructions (C{docs/benchmark-investigations.rst},
C{bench-login-52}). A name stored only where it is set (not cleared to the
C{None} its class already gives) stays out of the table. An explicit
FTPS login (C{AUTH TLS}, C{PBSZ 0}, C{PROT P}) is held to the same
table: its TLS state is one name (L{ftpkit.control.tlsstate}).
"""

from twisted.internet import defer, reactor, ssl
from twisted.internet.error import ConnectionDone
from twisted.internet.protocol import ClientFactory
from twisted.protocols.basic import LineReceiver
from twisted.trial import unittest

from ftpkit.control.tls import makeContextFactory
from tests.memorysessions import makeFactory
from tests.polling import waitFor
from tests.tlssupport import Certificates

SHARED_NAMES = 29
"""The names CPython 3.11 lets a class's first instance add to its shared
keys (30, less one as that instance is made)."""

_ANSWERS = {b"220": b"USER alice", b"331": b"PASS secret",
            b"230": b"TYPE I", b"200": b"QUIT"}


class _LoggingIn(LineReceiver):
    """
    Logs in, sends C{TYPE I} and C{QUIT}, each after the reply before it,
    as the benchmark's client does.
    """

    def __init__(self):
        self.closed = defer.Deferred()

    def lineReceived(self, line):
        """
        Answer a final reply with the next command.

        @param line: a reply line.
        """
        command = _ANSWERS.get(line[:3])
        if command is not None and line[3:4] == b" ":
            self.sendLine(command)

    def connectionLost(self, reason):
        """
        The server closed the connection after C{QUIT}.

        @param reason: why.
        """
        self.closed.callback(reason.check(ConnectionDone))


class _LoggingInTLS(_LoggingIn):
    """
    Logs in as the benchmark's FTPS client does: C{AUTH TLS}, then under
    TLS C{USER}, C{PASS}, C{PBSZ 0}, C{PROT P}, C{TYPE I}, C{QUIT}, each
    after the final reply before it.
    """

    def __init__(self):
        _LoggingIn.__init__(self)
        self._commands = [b"AUTH TLS", b"USER alice", b"PASS secret",
                          b"PBSZ 0", b"PROT P", b"TYPE I", b"QUIT"]

    def lineReceived(self, line):
        """
        Answer a final reply with the next command, starting TLS after
        C{234}.

        @param line: a reply line.
        """
        if line[3:4] != b" " or not self._commands:
            return
        if line[:3] == b"234":
            self.transport.startTLS(ssl.CertificateOptions(verify=False))
        self.sendLine(self._commands.pop(0))


class SessionNamesTests(Certificates, unittest.TestCase):
    """
    A plain login, or an explicit FTPS one, stores no more names on its
    session than fit its class's shared keys.
    """

    async def test_loginFitsSharedKeys(self):
        """
        C{USER}, C{PASS}, C{TYPE I}, C{QUIT} on the server's first
        connection store at most L{SHARED_NAMES} names on the session,
        counted once its connection is lost.
        """
        names = await self._namesAfter(_LoggingIn(), makeFactory(reactor))
        self.assertLessEqual(len(names), SHARED_NAMES, names)

    async def test_tlsLoginFitsSharedKeys(self):
        """
        C{AUTH TLS}, C{USER}, C{PASS}, C{PBSZ 0}, C{PROT P}, C{TYPE I},
        C{QUIT} on the server's first connection store at most
        L{SHARED_NAMES} names on the session.
        """
        self.makeCertificates()
        factory = makeFactory(
            reactor, tlsContextFactory=makeContextFactory(self.both))
        names = await self._namesAfter(_LoggingInTLS(), factory)
        self.assertLessEqual(len(names), SHARED_NAMES, names)

    async def _namesAfter(self, client, factory):
        """
        Serve C{client}'s one connection.

        @param client: the client protocol, with a C{closed} L{Deferred}.
        @param factory: the server's factory (no connection made yet).
        @return: the sorted names the session stored of its own, once its
            connection is lost.
        """
        sessions = []
        build = factory.buildProtocol

        def building(address):
            session = build(address)
            sessions.append(session)
            return session
        factory.buildProtocol = building
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        clientFactory = ClientFactory.forProtocol(lambda: client)
        reactor.connectTCP("127.0.0.1", port.getHost().port, clientFactory)
        self.assertTrue(await client.closed)
        [session] = sessions
        self.assertTrue(await waitFor(lambda: session._lost))
        return sorted(vars(session))

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
C{None} its class already gives) stays out of the table.
"""

from twisted.internet import defer, reactor
from twisted.internet.error import ConnectionDone
from twisted.internet.protocol import ClientFactory
from twisted.protocols.basic import LineReceiver
from twisted.trial import unittest

from tests.memorysessions import makeFactory
from tests.polling import waitFor

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


class SessionNamesTests(unittest.TestCase):
    """
    A plain login stores no more names on its session than fit its
    class's shared keys.
    """

    async def test_loginFitsSharedKeys(self):
        """
        C{USER}, C{PASS}, C{TYPE I}, C{QUIT} on the server's first
        connection store at most L{SHARED_NAMES} names on the session,
        counted once its connection is lost.
        """
        factory = makeFactory(reactor)
        sessions = []
        build = factory.buildProtocol

        def building(address):
            session = build(address)
            sessions.append(session)
            return session
        factory.buildProtocol = building
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        client = _LoggingIn()
        clientFactory = ClientFactory.forProtocol(lambda: client)
        reactor.connectTCP("127.0.0.1", port.getHost().port, clientFactory)
        self.assertTrue(await client.closed)
        [session] = sessions
        self.assertTrue(await waitFor(lambda: session._lost))
        names = sorted(vars(session))
        self.assertLessEqual(len(names), SHARED_NAMES, names)

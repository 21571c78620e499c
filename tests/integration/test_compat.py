"""
Tests for L{ftpkit.compat}: every private Twisted and pyOpenSSL name
ftpkit relies on is still there (a failure here names what changed and
means ftpkit.compat must be updated), and each fallback holds; and the
loopback connections these tests share (L{LoopbackConnecting}).

The names ftpkit's TLS relies on are checked in
L{tests.integration.test_compat_tls}.
"""


import os
import sys

from OpenSSL import SSL
from twisted.internet import defer, protocol, reactor, tcp
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint
from twisted.internet.interfaces import IPushProducer
from twisted.internet.task import deferLater
from twisted.logger import Logger
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit import compat
from ftpkit.compat import logfiles, sessioncache, sessiontickets
from ftpkit.data.tls import DataTLS
from tests.compatchanges import changed
from tests.scratch import scratchDirectory
from tests.tlssupport import sessionCache
from tests.unit.test_bareaccepting import BareAcceptingMixin


class HeldProtocol(protocol.Protocol):
    """
    Keeps its transport for the test.
    """

    def connectionMade(self):
        self.factory.made.callback(self)


class ReadingProtocol(HeldProtocol):
    """
    Keeps its transport, and tells when the first bytes arrive.
    """

    def dataReceived(self, data):
        if not self.factory.read.called:
            self.factory.read.callback(data)


class LoopbackConnecting:
    """
    Loopback TCP connections for a test, closed when it ends.
    """

    async def connect(self, serverProtocol=HeldProtocol, clientProtocol=None):
        """
        @param serverProtocol: the server side's protocol class.
        @param clientProtocol: a list to put the client's protocol in, or
            C{None}.
        @return: the server side of a loopback TCP connection.
        """
        serverFactory = protocol.Factory.forProtocol(serverProtocol)
        serverFactory.made = defer.Deferred()
        serverFactory.read = defer.Deferred()
        port = await TCP4ServerEndpoint(reactor, 0,
                                        interface="127.0.0.1").listen(
            serverFactory)
        self.addCleanup(port.stopListening)
        client = await TCP4ClientEndpoint(
            reactor, "127.0.0.1", port.getHost().port).connect(
            protocol.Factory.forProtocol(protocol.Protocol))
        self.addCleanup(client.transport.loseConnection)
        if clientProtocol is not None:
            clientProtocol.append(client)
        server = await serverFactory.made
        self.addCleanup(server.transport.loseConnection)
        return server


class PrivateNamesTests(LoopbackConnecting, unittest.TestCase):
    """
    The installed Twisted and pyOpenSSL still have what ftpkit reads.
    """

    async def test_tcpQueue(self):
        """
        A TCP transport has the attributes that tell its queue is empty,
        and L{compat.queueIsEmpty} reads them.
        """
        transport = (await self.connect()).transport
        for name in ("dataBuffer", "_tempDataBuffer", "TLS", "socket",
                     "connectionLost"):
            self.assertTrue(hasattr(transport, name),
                            changed("tcp.Connection.%s" % (name,)))
        self.assertTrue(compat.queueIsEmpty(transport),
                        changed("tcp.Connection's send queue"))
        transport.write(b"queued")
        self.assertFalse(compat.queueIsEmpty(transport),
                         changed("tcp.Connection._tempDataBuffer"))

    async def test_sendAtOnce(self):
        """
        L{compat.sendAtOnce} sends to the socket of an idle TCP transport
        and gives back what it did not take; it sends nothing, giving
        C{None}, when something is queued.
        """
        server = await self.connect()
        self.assertEqual(compat.sendAtOnce(server.transport, b"220 hi\r\n"),
                         b"")
        server.transport.write(b"queued")
        self.assertIsNone(compat.sendAtOnce(server.transport, b"later"))

    async def test_sendQueued(self):
        """
        L{compat.sendQueued} sends what a TCP transport queues at once
        (through C{doWrite}), and says when it cannot tell.
        """
        transport = (await self.connect()).transport
        transport.write(b"queued")
        self.assertTrue(compat.sendQueued(transport),
                        changed("tcp.Connection.doWrite"))
        self.assertTrue(compat.queueIsEmpty(transport))
        self.assertFalse(compat.sendQueued(object()))

    async def test_writeSideClosed(self):
        """
        C{loseWriteConnection} still marks the transport once its FIN is
        out (L{compat.writeSideClosed}).
        """
        server = await self.connect()
        server.transport.write(b"last")
        server.transport.loseWriteConnection()
        self.assertFalse(compat.writeSideClosed(server.transport))
        compat.sendQueued(server.transport)
        # The end of the data goes on the next write pass.
        await deferLater(reactor, 0, lambda: None)
        while not compat.writeSideClosed(server.transport):
            await deferLater(reactor, 0.01, lambda: None)
        self.assertTrue(server.transport._writeDisconnected,
                        changed("FileDescriptor._writeDisconnected"))

    async def test_heldUnsent(self):
        """
        A TCP transport's queued bytes are still where
        L{compat.heldUnsent} reads them, and nothing is held once sent.
        """
        server = await self.connect()
        self.assertFalse(compat.heldUnsent(server.transport))
        server.transport.write(b"queued")
        self.assertTrue(compat.heldUnsent(server.transport),
                        changed("tcp.Connection.dataBuffer"))
        compat.sendQueued(server.transport)
        self.assertFalse(compat.heldUnsent(server.transport),
                         changed("tcp.Connection.offset"))
        self.assertFalse(compat.heldUnsent(object()))

    async def test_queuedBytes(self):
        """
        L{compat.queuedBytes} counts what a TCP transport holds, written
        and not yet sent, and says when it cannot tell.
        """
        server = await self.connect()
        server.transport.write(b"queued")
        server.transport.write(b"more")
        self.assertEqual(compat.queuedBytes(server.transport), 10,
                         changed("tcp.Connection._tempDataLen"))
        compat.sendQueued(server.transport)
        self.assertEqual(compat.queuedBytes(server.transport), 0,
                         changed("tcp.Connection.offset"))
        self.assertIsNone(compat.queuedBytes(object()))

    async def test_transportEnded(self):
        """
        A TCP transport whose connection ended says so
        (L{compat.transportEnded}) by the time it stops its producer,
        before its protocol hears; an open one does not.
        """
        clients = []
        server = await self.connect(clientProtocol=clients)
        seen = []

        @implementer(IPushProducer)
        class Producer:
            def pauseProducing(self):
                pass

            def resumeProducing(self):
                pass

            def stopProducing(self):
                seen.append(compat.transportEnded(server.transport))

        server.transport.registerProducer(Producer(), True)
        self.assertFalse(compat.transportEnded(server.transport))
        lost = defer.Deferred()
        server.connectionLost = lambda reason: lost.callback(None)
        clients[0].transport.loseConnection()
        await lost
        self.assertEqual(seen, [True], changed("FileDescriptor.disconnected"))
        self.assertFalse(compat.transportEnded(object()))

    def test_threadCallQueue(self):
        """
        The reactor still runs what its C{threadCallQueue} holds at its
        next turn (L{compat.afterThisTurn}).
        """
        self.assertIsInstance(getattr(reactor, "threadCallQueue", None),
                              list, changed("ReactorBase.threadCallQueue"))
        ran = defer.Deferred()
        compat.afterThisTurn(reactor, ran.callback, "ran")
        return ran.addCallback(self.assertEqual, "ran")

    async def test_afterThisTurnFromTheQueue(self):
        """
        Called from a call the reactor runs from its C{threadCallQueue}
        (a disk thread's result, say), L{compat.afterThisTurn} does not
        make the reactor wake itself up.
        """
        wakes = []
        self.patch(reactor, "wakeUp", lambda: wakes.append(True))
        ran = defer.Deferred()

        def fromQueue():
            compat.afterThisTurn(reactor, ran.callback, "ran")
        reactor.threadCallQueue.append((fromQueue, (), {}))
        reactor.callLater(0, lambda: None)  # Turn soon.
        self.assertEqual(await ran, "ran")
        self.assertEqual(wakes, [])

    def test_lazyDispatch(self):
        """
        Twisted's C{epoll} reactor still polls in C{doPoll} (its
        C{doIteration}) with C{_poller}, C{_selectables} and
        C{_doReadOrWrite}, and the threaded context tracker still keeps
        each thread's context stack as the list C{contexts}
        (L{ftpkit.compat.dispatch}).
        """
        from twisted.internet import epollreactor
        from twisted.python import context

        from ftpkit.compat.dispatch import dispatchLazily

        fresh = epollreactor.EPollReactor()
        self.addCleanup(fresh._poller.close)
        self.addCleanup(fresh.removeAll)
        self.assertIsInstance(
            context.theContextTracker, context.ThreadedContextTracker,
            changed("twisted.python.context.theContextTracker"))
        self.assertIsInstance(
            context.theContextTracker.currentContext().contexts, list,
            changed("ContextTracker.contexts"))
        self.assertTrue(dispatchLazily(fresh), changed(
            "EPollReactor.doPoll, _poller, _selectables or _doReadOrWrite"))

    def test_leanTimeout(self):
        """
        Twisted's reactors still keep their timed calls in
        C{_newTimedCalls} and C{_pendingTimedCalls}, moved by
        C{_insertNewDelayedCalls} (L{ftpkit.compat.reactortimeout}).
        """
        from twisted.internet import epollreactor

        from ftpkit.compat.reactortimeout import timeoutLeanly

        fresh = epollreactor.EPollReactor()
        self.addCleanup(fresh._poller.close)
        self.addCleanup(fresh.removeAll)
        self.assertTrue(timeoutLeanly(fresh), changed(
            "ReactorBase.timeout, _newTimedCalls, _insertNewDelayedCalls"
            " or _pendingTimedCalls"))
        fresh.callLater(60, lambda: None)
        self.assertTrue(0 < fresh.timeout() <= 60)

    def test_acceptBare(self):
        """
        Python's C{socket.socket} still has C{_accept}, which
        L{compat.acceptBare} calls to accept a passive data connection
        without the wrapper class.
        """
        import socket

        self.assertTrue(callable(getattr(socket.socket, "_accept", None)),
                        changed("socket.socket._accept"))

    def test_readyDescriptor(self):
        """
        The epoll reactor's C{_poller} is its C{epoll} object: its
        descriptor polls readable once a descriptor the reactor watches
        is ready (L{compat.readyDescriptor}, for a download's lingering
        close).
        """
        import select
        import socket

        if type(reactor).__name__ != "EPollReactor":
            raise unittest.SkipTest("not the epoll reactor")
        ready = compat.readyDescriptor(reactor)
        self.assertIsInstance(ready, int, changed("EPollReactor._poller"))
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        reader = _SocketReader(a)
        reactor.addReader(reader)
        self.addCleanup(reactor.removeReader, reader)
        poll = select.poll()
        poll.register(ready, select.POLLIN)
        self.assertEqual(poll.poll(0), [])
        b.send(b"x")
        self.assertEqual(poll.poll(1000), [(ready, select.POLLIN)])

    def test_endpointPort(self):
        """
        Twisted's TCP, TCP6 and SSL server endpoints keep their port in
        C{_port}, and a wrapper (C{haproxy:}) its endpoint in
        C{_wrappedEndpoint}: L{compat.endpointPort} finds the port a
        C{--listen} value names through them, so that one out of range is
        a usage error.
        """
        from twisted.internet import endpoints

        from tests.tlssupport import makeCertificate

        pem = makeCertificate(scratchDirectory(self))[2]
        for description, port in [
                ("tcp:2121", 2121),
                ("tcp6:2122:interface=\\:\\:1", 2122),
                (f"ssl:990:privateKey={pem}:certKey={pem}", 990),
                ("haproxy:tcp:2123", 2123)]:
            endpoint = endpoints.serverFromString(reactor, description)
            self.assertEqual(compat.endpointPort(endpoint), port,
                             changed(f"{type(endpoint).__name__}._port or "
                                     "_WrapperServerEndpoint."
                                     "_wrappedEndpoint"))


class _SocketReader:
    """
    A reader for the reactor that reads nothing (its socket stays ready).
    """

    def __init__(self, sock):
        self.sock = sock

    def fileno(self):
        return self.sock.fileno()

    def logPrefix(self):
        return "test"

    def doRead(self):
        pass

    def connectionLost(self, reason):
        pass


class FallbackTests(unittest.SynchronousTestCase):
    """
    What ftpkit does when a private name is gone.
    """

    def test_queueUnknown(self):
        """
        A transport without the private attributes is never taken as
        idle: replies go through Twisted's own queue.
        """
        from twisted.internet import tcp

        transport = tcp.Connection.__new__(tcp.Connection)
        self.assertFalse(compat.queueIsEmpty(transport))
        self.assertEqual(compat.sendNow(object(), b"x"), 0)
        self.assertIsNone(compat.sendAtOnce(transport, b"x"))
        self.assertIsNone(compat.sendAtOnce(object(), b"x"))

    def test_endpointPortUnknown(self):
        """
        An endpoint without the private names has no known port
        (C{unix:}'s, or any when Twisted renames them): nothing is
        refused before listening.
        """
        self.assertIsNone(compat.endpointPort(object()))

    def test_afterThisTurnTimed(self):
        """
        A reactor without C{threadCallQueue} gets a C{callLater(0)}.
        """
        from twisted.internet.task import Clock

        clock, ran = Clock(), []
        compat.afterThisTurn(clock, ran.append, 1)
        self.assertEqual(ran, [])
        clock.advance(0)
        self.assertEqual(ran, [1])

    def test_readyUnknown(self):
        """
        A reactor without an C{epoll} C{_poller} has no ready descriptor
        (a lingering close then always waits in the reactor).
        """
        from twisted.internet.task import Clock

        self.assertIsNone(compat.readyDescriptor(Clock()))
        clock = Clock()
        clock._poller = object()
        self.assertIsNone(compat.readyDescriptor(clock))

    def test_acceptUnknown(self):
        """
        A listener without C{_accept} is accepted from with C{accept}; the
        connection is made non-blocking all the same.
        """
        import socket

        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)

        class Listener:
            def accept(self):
                return b, ("127.0.0.1", 1)

        connection, address = compat.acceptBare(Listener(), socket.AF_INET)
        self.assertIs(connection, b)
        self.assertEqual(address, ("127.0.0.1", 1))
        self.assertFalse(b.getblocking())

    def test_bulkUnknown(self):
        """
        A layer without Twisted's private state, or over something other
        than a TCP connection, is not written in bulk: Twisted's layer
        writes it.
        """
        from twisted.internet.testing import StringTransport
        from twisted.protocols.tls import TLSMemoryBIOProtocol

        from ftpkit.compat import tlsbulk

        self.assertFalse(compat.writeInBulk(object(), b"x" * 20000))
        layer = TLSMemoryBIOProtocol.__new__(TLSMemoryBIOProtocol)
        layer._tlsConnection = SSL.Connection(SSL.Context(SSL.TLS_METHOD),
                                              None)
        layer._lostTLSConnection = False
        layer._appSendBuffer = []
        layer._handshakeDone = True
        layer.disconnecting = False
        layer.transport = StringTransport()
        self.assertFalse(compat.writeInBulk(layer, b"x" * 20000))
        self.patch(tlsbulk, "_usable", False)
        self.assertFalse(compat.writeInBulk(layer, b"x" * 20000))

    def test_logFileNames(self):
        """
        C{LogFile} opens its file in C{_openFile} and keeps it as C{_file}
        (L{ftpkit.compat.logfiles}).
        """
        path = os.path.abspath(self.mktemp())
        opened = logfiles.openLogFile(path)
        self.addCleanup(opened.close)
        self.assertIsInstance(opened, logfiles.MovableLogFile,
                              changed("LogFile._openFile"))
        self.assertEqual(getattr(opened, "_file", None).name, path,
                         changed("BaseLogFile._file"))

    def test_logFileUnknown(self):
        """
        Without C{LogFile._openFile}, Twisted's own C{LogFile} is opened.
        """
        self.patch(logfiles, "_usable", False)
        path = os.path.abspath(self.mktemp())
        opened = logfiles.openLogFile(path)
        self.addCleanup(opened.close)
        self.assertIs(type(opened), logfiles.logfile.LogFile)

    def test_renameUnknown(self):
        """
        Without C{SSL_CTX_set_session_id_context}, no context is renamed
        (so none serves a second control connection).
        """
        context = SSL.Context(SSL.TLS_METHOD)
        self.patch(SSL, "_lib", object())
        self.assertFalse(compat.renameSessionContext(context, b"renamed"))

    def test_sessionReuseUnknown(self):
        """
        Without C{SSL_session_reused}, no handshake counts as resumed (so
        C{--tls-require-session-reuse} refuses rather than lets through),
        and the reason is logged.
        """
        connection = SSL.Connection(SSL.Context(SSL.TLS_METHOD), None)
        self.patch(SSL, "_lib", object())
        self.assertFalse(compat.sessionReusedAvailable())
        self.assertFalse(compat.sessionReused(connection))
        self.assertFalse(DataTLS(None, True).acceptHandshake(connection))

    def test_limitSessionCacheUnknown(self):
        """
        Without C{SSL_CTX_ctrl} and C{SSL_set_num_tickets}, a context
        keeps OpenSSL's default bound, and data connections issue their
        tickets.
        """
        self.patch(sessioncache, "_functions", [None])
        context = SSL.Context(SSL.TLS_METHOD)
        self.assertFalse(compat.boundsAvailable())
        self.assertFalse(compat.limitSessionCache(context, 5))
        self.assertFalse(compat.issueNoTickets(SSL.Connection(context)))
        self.assertEqual(sessionCache(context), (0, 20480))

    def test_forgetSessionUnknown(self):
        """
        Without C{SSL_CTX_remove_session}, a refused data connection's
        session is left in the cache (C{False}), and the refusal still
        made.
        """
        self.patch(sessioncache, "_removers", [None])
        connection = SSL.Connection(SSL.Context(SSL.TLS_METHOD), None)
        self.assertFalse(compat.forgetSession(connection))
        self.assertFalse(DataTLS(None, True).acceptHandshake(connection))

    def test_newSessionTicketUnknown(self):
        """
        A module whose symbol table does not hold the function, or that is
        no ELF file, gives no address; without one no ticket is sent.
        """
        from cryptography.hazmat.bindings._rust import _openssl

        notELF = os.path.join(scratchDirectory(self), "module.so")
        with open(notELF, "wb") as f:
            f.write(b"not a shared object")
        for path in (notELF, sys.executable, notELF + ".missing"):
            self.assertIsNone(sessiontickets.findFunction(
                path, _openssl.ffi, _openssl.lib, "SSL_new_session_ticket"))
        self.patch(sessiontickets, "_function", [None])
        self.assertFalse(compat.newSessionTicketAvailable())
        connection = SSL.Connection(SSL.Context(SSL.TLS_METHOD), None)
        self.assertFalse(compat.newSessionTicket(connection))


class PortLoggerTests(BareAcceptingMixin, unittest.TestCase):
    """
    C{tcp.Port._logger}, which L{ftpkit.compat.acceptBareOn} keeps on a
    port (L{ftpkit.compat.eventloop}).
    """

    async def test_loggerKept(self):
        """
        Accepting connections makes no logger: the port keeps the one that
        reading its class's C{_logger} through it gives (the class's
        namespace, the port as source), which C{Port.doRead} read twice
        for every turn that accepted.
        """
        read = []

        class CountedLogger(Logger):
            def __get__(self, instance, owner=None):
                read.append(instance)
                return Logger.__get__(self, instance, owner)

        self.patch(tcp.Port, "_logger",
                   CountedLogger(tcp.Port._logger.namespace,
                                 observer=tcp.Port._logger.observer))
        port, factory = await self.listen(
            TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1"))
        before = len(read)
        await self.echo(port, factory)
        factory.made = defer.Deferred()
        await self.echo(port, factory)
        self.assertEqual(len(read), before)
        self.assertEqual(port._logger.namespace, "twisted.internet.tcp.Port")
        self.assertIs(port._logger.source, port)
        self.assertIs(port._logger.observer, tcp.Port._logger.observer)

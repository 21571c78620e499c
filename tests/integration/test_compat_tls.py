"""
Tests for the TLS side of L{ftpkit.compat}: every private Twisted and
pyOpenSSL name ftpkit's TLS relies on (session reuse, session tickets,
session contexts, Twisted's TLS layer and its hooks, pyOpenSSL's memory
buffers and binding) is still there; a failure here names what changed
and means ftpkit.compat must be updated. The rest of ftpkit.compat is
tested in L{tests.integration.test_compat}.
"""

import ast
import inspect
import textwrap

from OpenSSL import SSL
from twisted.internet import defer, protocol, reactor
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint
from twisted.internet.task import deferLater
from twisted.trial import unittest

from ftpkit import compat
from ftpkit.compat import starttls, tlswrites
from ftpkit.compat.tcp import unqueued
from tests.compatchanges import changed
from tests.integration.test_compat import (
    HeldProtocol,
    LoopbackConnecting,
    ReadingProtocol,
)
from tests.scratch import scratchDirectory
from tests.tlssupport import sessionCache


def _selfChanged(function):
    """
    @param function: an L{ast.FunctionDef}.
    @return: the names of C{self}'s attributes it assigns, or appends or
        extends.
    """
    for node in ast.walk(function):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif (isinstance(node, ast.Call)
              and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("append", "extend")):
            targets = [node.func.value]
        for target in targets:
            for each in getattr(target, "elts", [target]):
                if (isinstance(each, ast.Attribute)
                        and isinstance(each.value, ast.Name)
                        and each.value.id == "self"):
                    yield each.attr


class PrivateTLSNamesTests(LoopbackConnecting, unittest.TestCase):
    """
    The installed Twisted and pyOpenSSL still have what ftpkit's TLS
    reads.
    """

    def test_sessionReused(self):
        """
        pyOpenSSL's binding still exposes C{SSL_session_reused}, and a
        connection its C{_ssl} handle.
        """
        self.assertTrue(compat.sessionReusedAvailable(),
                        changed("OpenSSL.SSL._lib.SSL_session_reused"))
        connection = SSL.Connection(SSL.Context(SSL.TLS_METHOD), None)
        self.assertTrue(hasattr(connection, "_ssl"),
                        changed("OpenSSL.SSL.Connection._ssl"))
        self.assertFalse(compat.sessionReused(connection))

    def test_newSessionTicket(self):
        """
        C{SSL_new_session_ticket} is still found in the symbol table of
        cryptography's extension module, and called: OpenSSL refuses a
        ticket on a connection that had no handshake yet.
        """
        self.assertTrue(compat.newSessionTicketAvailable(),
                        changed("the symbol table of cryptography's _rust "
                                "module (SSL_new_session_ticket)"))
        connection = SSL.Connection(SSL.Context(SSL.TLS_METHOD), None)
        connection.set_accept_state()
        self.assertFalse(compat.newSessionTicket(connection))

    def test_limitSessionCache(self):
        """
        C{SSL_CTX_ctrl} is still found in the symbol table of
        cryptography's extension module, and bounds a context's session
        cache.
        """
        context = SSL.Context(SSL.TLS_METHOD)
        self.assertTrue(compat.limitSessionCache(context, 5),
                        changed("the symbol table of cryptography's _rust "
                                "module (SSL_CTX_ctrl)"))
        self.assertEqual(sessionCache(context), (0, 5))

    def test_issueNoTickets(self):
        """
        C{SSL_set_num_tickets} is still found in the symbol table of
        cryptography's extension module.
        """
        connection = SSL.Connection(SSL.Context(SSL.TLS_METHOD), None)
        self.assertTrue(compat.issueNoTickets(connection),
                        changed("the symbol table of cryptography's _rust "
                                "module (SSL_set_num_tickets)"))

    def test_renameSessionContext(self):
        """
        pyOpenSSL's binding still sets the session ID context of a context
        already used (L{compat.renameSessionContext}).
        """
        context = SSL.Context(SSL.TLS_METHOD)
        SSL.Connection(context, None)
        self.assertTrue(hasattr(SSL._lib, "SSL_CTX_set_session_id_context"),
                        changed("OpenSSL.SSL._lib."
                                "SSL_CTX_set_session_id_context"))
        self.assertTrue(hasattr(context, "_context"),
                        changed("OpenSSL.SSL.Context._context"))
        self.assertTrue(compat.renameSessionContext(context, b"renamed"))

    async def test_tlsLayer(self):
        """
        After C{startTLS}, a TCP transport's C{protocol} is a TLS layer
        with the write aggregator L{compat.tlsLayer} flushes (C{CCC});
        and L{TLSMemoryBIOProtocol} still sends through C{_flushSendBIO},
        which L{ftpkit.data.tlslayer.DataTLSProtocol} overrides to hold TLS 1.3
        tickets.
        """
        from twisted.protocols.tls import TLSMemoryBIOProtocol

        from ftpkit.control.tls import makeContextFactory
        from tests.tlssupport import makeCertificate

        directory = scratchDirectory(self)
        transport = (await self.connect()).transport
        transport.startTLS(makeContextFactory(makeCertificate(directory)[2]))
        self.assertIsNotNone(compat.tlsLayer(transport),
                             changed("the TLS layer after startTLS"))
        self.assertTrue(hasattr(TLSMemoryBIOProtocol, "_flushSendBIO"),
                        changed("TLSMemoryBIOProtocol._flushSendBIO"))

    async def test_tlsHooks(self):
        """
        Twisted's TLS layer still sends its records through
        C{_flushSendBIO} and ends through C{_tlsShutdownFinished}, noting
        C{_handshakeDone} and C{_lostTLSConnection}: a
        L{compat.TLSLayerHooks} layer's L{sendRecords} sees a handshake's
        records, and its L{tlsEnded} and L{tlsLost} see its end.
        """
        from twisted.protocols.tls import TLSMemoryBIOFactory

        from ftpkit.control.tls import makeContextFactory
        from tests.tlssupport import makeCertificate

        for name in ("_flushSendBIO", "_tlsShutdownFinished",
                     "_handshakeDone", "_lostTLSConnection"):
            self.assertTrue(hasattr(compat.TLSLayerHooks, name),
                            changed("TLSMemoryBIOProtocol." + name))
        seen = []

        class Hooked(compat.TLSLayerHooks):
            def sendRecords(self, records):
                seen.append(("records", self.tlsLost))
                compat.TLSLayerHooks.sendRecords(self, records)

            def tlsEnded(self, reason, afterHandshake):
                seen.append(("ended", afterHandshake, self.tlsLost))

        contextFactory = makeContextFactory(
            makeCertificate(scratchDirectory(self))[2])
        factory = TLSMemoryBIOFactory(
            contextFactory, False, protocol.Factory.forProtocol(HeldProtocol))
        factory.protocol = Hooked
        factory.wrappedFactory.made = defer.Deferred()
        port = await TCP4ServerEndpoint(reactor, 0,
                                        interface="127.0.0.1").listen(
            factory)
        self.addCleanup(port.stopListening)
        client = await TCP4ClientEndpoint(
            reactor, "127.0.0.1", port.getHost().port).connect(
            protocol.Factory.forProtocol(protocol.Protocol))
        # A ClientHello, then the end of the connection: the server's
        # answer goes out through sendRecords, and its TLS ends before the
        # handshake was done.
        hello = SSL.Connection(SSL.Context(SSL.TLS_METHOD), None)
        hello.set_connect_state()
        with self.assertRaises(SSL.WantReadError):
            hello.do_handshake()
        client.transport.write(hello.bio_read(65536))
        await factory.wrappedFactory.made
        for _ in range(100):
            if seen:
                break
            await deferLater(reactor, 0.01, lambda: None)
        client.transport.loseConnection()
        for _ in range(100):
            if any(step[0] == "ended" for step in seen):
                break
            await deferLater(reactor, 0.01, lambda: None)
        self.assertIn(("records", False), seen,
                      changed("TLSMemoryBIOProtocol._flushSendBIO"))
        self.assertIn(("ended", False, True), seen,
                      changed("TLSMemoryBIOProtocol._tlsShutdownFinished, "
                              "_handshakeDone or _lostTLSConnection"))

    def test_controlTLSLayer(self):
        """
        pyOpenSSL still tells how much its memory buffers hold, and
        Twisted's TLS layer and C{startTLS} still have the names that
        L{ftpkit.compat.controltls} follows.
        """
        from twisted.internet.ssl import CertificateOptions
        from twisted.protocols.tls import TLSMemoryBIOFactory

        from ftpkit.compat import controltls

        self.assertTrue(controltls.FOLLOWS_TWISTED,
                        changed("TLSMemoryBIOProtocol's private names"))
        self.assertIsNotNone(starttls._BypassTLS,
                             changed("twisted.internet._newtls._BypassTLS"))
        factory = TLSMemoryBIOFactory(CertificateOptions(), True, None)
        self.assertTrue(hasattr(factory, "_creatorCallable"),
                        changed("TLSMemoryBIOFactory._creatorCallable"))
        connection = SSL.Connection(SSL.Context(SSL.TLS_METHOD), None)
        connection.set_connect_state()
        with self.assertRaises(SSL.WantReadError):
            connection.do_handshake()
        self.assertGreater(compat.recordsWaiting(connection) or 0, 0,
                           changed("OpenSSL.SSL._lib.BIO_get_mem_data"))
        self.assertEqual(compat.inputWaiting(connection), 0)

    def test_heldWrites(self):
        """
        Twisted's aggregator of a TLS layer's small writes still holds them
        in its C{_buffer} list, emptied by its C{flush}, which an open
        control connection's layer looks at before each reply
        (L{ftpkit.compat.controltls._OpenRecords}), and pyOpenSSL's binding
        still gives the calls it reads and writes records with
        (L{ftpkit.compat.openssl.recordCalls}).
        """
        from twisted.internet.task import Clock
        from twisted.protocols.tls import _AggregateSmallWrites

        from ftpkit.compat import openssl

        written = []
        aggregator = _AggregateSmallWrites(written.append, Clock())
        held = getattr(aggregator, "_buffer", None)
        self.assertEqual(held, [], changed("_AggregateSmallWrites._buffer"))
        aggregator.write(b"200 ok\r\n")
        self.assertEqual(held, [b"200 ok\r\n"],
                         changed("_AggregateSmallWrites._buffer"))
        aggregator.flush()
        self.assertEqual((held, written), ([], [b"200 ok\r\n"]),
                         changed("_AggregateSmallWrites.flush"))
        self.assertIsNotNone(openssl.recordCalls(), changed(
            "OpenSSL.SSL._lib's record calls or _ffi"))

    def test_controlTLSLayerSteps(self):
        """
        The methods of Twisted's TLS layer that change the state an open
        L{ftpkit.compat.controltls.ControlTLSProtocol} carries its records
        by (L{ftpkit.compat.controltls._OpenRecords}) are the ones it
        overrides to stop doing so, or run before it is open.
        """
        from twisted.protocols import policies, tls

        from ftpkit.compat import controltls

        state = {"_lostTLSConnection", "disconnecting", "_aborted",
                 "connected", "_appSendBuffer", "_handshakeDone",
                 "wrappedProtocol", "transport", "_tlsConnection",
                 "_aggregator", "write"}
        beforeOpen = {"__init__", "makeConnection", "_checkHandshakeStatus",
                      "_unbufferPendingWrites"}
        stepsOut = {"loseConnection", "abortConnection", "_bufferedWrite",
                    "_shutdownTLS", "_tlsShutdownFinished", "connectionLost"}
        changing = set()
        for cls in (policies.ProtocolWrapper, tls.TLSMemoryBIOProtocol,
                    tls.BufferingTLSTransport):
            source = textwrap.dedent(inspect.getsource(cls))
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.FunctionDef) and state & set(
                        _selfChanged(node)):
                    changing.add(node.name)
        self.assertLessEqual(changing, beforeOpen | stepsOut, changed(
            "the methods of TLSMemoryBIOProtocol that change its state"))
        for name in stepsOut:
            self.assertIn(name, vars(controltls.ControlTLSProtocol))

    def test_memoryHandles(self):
        """
        pyOpenSSL's binding still exposes the OpenSSL calls, and a
        connection the handles, that the control connection's TLS layer
        reads and writes its records with
        (L{ftpkit.compat.openssl.memoryHandles}): a handshake's records
        pass from one connection to the other, then a line each way.
        """
        from ftpkit.compat import openssl
        from ftpkit.control.tls import makeContextFactory
        from tests.tlssupport import makeCertificate

        factory = makeContextFactory(
            makeCertificate(scratchDirectory(self))[2])
        server = factory.serverConnectionForTLS(None)
        server.set_accept_state()
        client = SSL.Connection(SSL.Context(SSL.TLS_METHOD), None)
        client.set_connect_state()
        handles = openssl.memoryHandles(server)
        self.assertIsNotNone(handles, changed(
            "OpenSSL.SSL._lib's record calls, Connection._raise_ssl_error"
            " or a connection's _ssl, _into_ssl and _from_ssl"))
        done = []
        for _ in range(4):
            try:
                client.do_handshake()
            except SSL.WantReadError:
                pass
            done.append(openssl.continueHandshake(handles, server))
            try:
                records = client.bio_read(2 ** 16)
            except SSL.WantReadError:
                records = b""
            self.assertTrue(openssl.feedRecords(handles, records))
            records = openssl.takeRecords(handles)
            if records:
                client.bio_write(records)
        self.assertEqual(done[0], False)
        self.assertEqual(done[-1], True, changed(
            "OpenSSL.SSL._lib.SSL_do_handshake, SSL_get_error or"
            " SSL_ERROR_WANT_READ"))
        client.send(b"NOOP\r\n")
        self.assertTrue(openssl.feedRecords(handles, client.bio_read(4096)))
        waiting = openssl.plaintextWaiting(handles)
        self.assertGreater(waiting, 0)
        self.assertEqual(openssl.readPlaintext(handles, server, waiting),
                         b"NOOP\r\n")
        with self.assertRaises(SSL.WantReadError):
            openssl.readPlaintext(handles, server, 0)
        self.assertEqual(openssl.writePlaintext(handles, server, b"200 ok"),
                         6)
        client.bio_write(openssl.takeRecords(handles))
        self.assertEqual(client.recv(100), b"200 ok")
        self.assertEqual(openssl.takeRecords(handles), b"")

    def test_tlsBulk(self):
        """
        Twisted's TLS layer still has the step and the state
        L{compat.writeInBulk} reads (a data connection's large writes
        encrypted a few records at a time; see
        C{tests/integration/test_tls_bulk.py}), and pyOpenSSL's binding
        what it calls.
        """
        from twisted.protocols.tls import TLSMemoryBIOProtocol

        from ftpkit.compat import tlsbulk

        self.assertTrue(hasattr(TLSMemoryBIOProtocol, "_write"),
                        changed("TLSMemoryBIOProtocol._write"))
        self.assertTrue(tlsbulk._usable, changed(
            "OpenSSL.SSL._ffi.from_buffer or the record calls"))

    def test_tlsBulkReads(self):
        """
        Twisted's TLS layer still has the state and steps that
        L{compat.TLSLayerHooks.dataReceived} reads to decrypt an upload's
        records in bulk (see C{tests/unit/test_tlsbulkreads.py}), and
        pyOpenSSL's binding what it calls.
        """
        from ftpkit.compat import tlshooks

        self.assertTrue(tlshooks.READS_IN_BULK, changed(
            "TLSMemoryBIOProtocol's _handshakeDone, _lostTLSConnection,"
            " _aborted, _shutdownTLS, _tlsShutdownFinished or"
            " _flushSendBIO"))
        self.assertIsNotNone(tlshooks._pointer, changed(
            "OpenSSL.SSL._ffi.from_buffer or the record calls"))

    async def test_tlsRecordsAtOnce(self):
        """
        L{compat.sendRecordsAtOnce} puts its sender under the TLS layer
        C{startTLS} made (Twisted's transport of the layer is still where
        it finds the connection), and once the handshake is done, a reply
        written with L{compat.writeThroughTLS} is sent in the same turn:
        nothing of it waits in the layer's aggregator of small writes nor
        in the connection's queue.
        """
        from twisted.internet import ssl

        from ftpkit.control.tls import makeContextFactory
        from tests.tlssupport import makeCertificate

        directory = scratchDirectory(self)
        clients = []
        server = await self.connect(ReadingProtocol, clients)
        transport = server.transport
        transport.startTLS(makeContextFactory(makeCertificate(directory)[2]))
        layer = compat.tlsLayer(transport)
        self.assertIs(getattr(layer.transport, "_connection", None),
                      transport, changed("_BypassTLS._connection"))
        compat.sendRecordsAtOnce(transport)
        self.assertIsInstance(layer.transport, tlswrites._SendsAtOnce)
        clients[0].transport.startTLS(ssl.CertificateOptions())
        clients[0].transport.write(b"hello")
        self.assertEqual(await server.factory.read, b"hello")
        self.assertTrue(compat.writeThroughTLS(transport, b"220 reply"))
        self.assertEqual(getattr(layer._aggregator, "_buffer", None), [],
                         changed("BufferingTLSTransport._aggregator"))
        self.assertTrue(unqueued(transport))

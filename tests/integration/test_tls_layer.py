"""
Tests for L{ftpkit.control.tlslayer} and L{ftpkit.compat.controltls}:
the TLS layer of control connections reads every record it is given,
however they arrive, asks OpenSSL's buffers rather than raise
C{WantReadError} to learn that nothing waits, and declares what
Twisted's layer declares.
"""

import gc
import os
import socket
import ssl
import sys
import weakref

from OpenSSL import SSL
from twisted.internet import defer, protocol, reactor
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint
from twisted.internet.task import deferLater
from twisted.protocols import tls
from twisted.protocols.tls import BufferingTLSTransport
from twisted.trial import unittest
from zope.interface import providedBy

from ftpkit import compat
from ftpkit.compat import controltls, openssl, tlswrites
from ftpkit.control import sockets, tlslayer
from tests.tlssupport import FTPSTestsMixin, clientContext, readToEnd


def countWantRead(case):
    """
    Count the C{WantReadError}s that pyOpenSSL's C{do_handshake},
    C{bio_read} and C{recv} raise while a test runs (the tests' clients
    use Python's C{ssl}: what is counted is the server's).

    @param case: the test.
    @return: the list the names of those calls go to.
    """
    raised = []

    def counting(name):
        original = getattr(SSL.Connection, name)

        def call(self, *args):
            try:
                return original(self, *args)
            except SSL.WantReadError:
                raised.append(name)
                raise
        case.patch(SSL.Connection, name, call)

    for name in ("do_handshake", "bio_read", "recv"):
        counting(name)
    return raised


def countWrapperCalls(case):
    """
    Record every call of pyOpenSSL's wrappers that carry a control
    connection's records and plaintext while a test runs.

    @param case: the test.
    @return: the list the names of those calls go to.
    """
    called = []

    def counting(name):
        original = getattr(SSL.Connection, name)

        def call(self, *args):
            called.append(name)
            return original(self, *args)
        case.patch(SSL.Connection, name, call)

    for name in ("bio_write", "recv", "send", "bio_read"):
        counting(name)
    return called


class _Client:
    """
    A blocking explicit-FTPS client whose TLS records the test makes
    itself (L{ssl.SSLObject} over memory buffers), so that it decides
    which records leave in one TCP segment.
    """

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.buffered = b""
        self.plainLine()
        self.sock.sendall(b"AUTH TLS\r\n")
        self.plainLine()
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = clientContext().wrap_bio(self.incoming, self.outgoing)
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                self.incoming.write(self.sock.recv(65536))
        self.flush()

    def plainLine(self):
        while b"\r\n" not in self.buffered:
            self.buffered += self.sock.recv(1000)
        line, _, self.buffered = self.buffered.partition(b"\r\n")
        return line

    def flush(self):
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def records(self, *pieces):
        """
        Send each piece as a TLS record of its own, all in one C{sendall}.
        """
        for piece in pieces:
            self.tls.write(piece)
        self.flush()

    def replies(self, count):
        """
        @return: the next C{count} reply lines.
        """
        lines = []
        while len(lines) < count:
            if b"\r\n" in self.buffered:
                line, _, self.buffered = self.buffered.partition(b"\r\n")
                lines.append(line)
                continue
            try:
                self.buffered += self.tls.read(65536)
            except ssl.SSLWantReadError:
                self.incoming.write(self.sock.recv(65536))
        return lines

    def close(self):
        self.sock.close()


class RecordsTests(FTPSTestsMixin, unittest.TestCase):
    """
    Records arriving together or one at a time are all read.
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        self.serve()

    def session(self):
        """
        @return: the server's one session.
        """
        (session,) = self.server.factory.openSessions
        return session

    async def client(self):
        client = await self.inThread(_Client, self.server.port)
        self.addCleanup(client.close)
        return client

    async def test_layer(self):
        """
        C{AUTH TLS} puts a L{tlslayer.ControlTLSProtocol} under the session.
        """
        client = await self.client()
        client.records(b"NOOP\r\n")
        self.assertEqual(await self.inThread(client.replies, 1),
                         [b"200 NOOP ok"])
        self.assertIsInstance(compat.tlsLayer(self.session().transport),
                              tlslayer.ControlTLSProtocol)

    async def test_recordsInOneSegment(self):
        """
        Commands each in a record of its own, all sent at once, are all
        answered: the layer reads on while records wait.
        """
        client = await self.client()
        client.records(b"NOOP\r\n", b"PBSZ 0\r\n", b"PROT P\r\n")
        self.assertEqual(await self.inThread(client.replies, 3),
                         [b"200 NOOP ok", b"200 PBSZ=0",
                          b"200 Protection level set to Private"])

    async def test_lineOverRecords(self):
        """
        A command split over records sent at once is one command.
        """
        client = await self.client()
        client.records(b"NO", b"OP", b"\r\nPBSZ 0\r\n")
        self.assertEqual(await self.inThread(client.replies, 2),
                         [b"200 NOOP ok", b"200 PBSZ=0"])

    async def test_replyAtOnce(self):
        """
        A reply under the layer is written by the layer itself
        (L{tlslayer.ControlTLSProtocol.writeAtOnce}), not through
        L{compat.writeThroughTLS}.
        """
        through = []
        self.patch(sockets, "writeThroughTLS",
                   lambda *args: through.append(args))
        client = await self.client()
        client.records(b"NOOP\r\n", b"PBSZ 0\r\n")
        self.assertEqual(await self.inThread(client.replies, 2),
                         [b"200 NOOP ok", b"200 PBSZ=0"])
        self.assertEqual(through, [])

    async def test_longReply(self):
        """
        A reply longer than a TLS record holds comes whole, in order with
        the next.
        """
        for n in range(400):
            with open(os.path.join(self.root, "a-rather-long-file-name-%03d"
                                   % (n,) + "x" * 40), "wb"):
                pass
        client = await self.client()
        client.records(b"USER alice\r\n", b"PASS secret\r\n")
        await self.inThread(client.replies, 2)
        client.records(b"STAT /\r\n", b"NOOP\r\n")
        lines = await self.inThread(client.replies, 404)
        self.assertGreater(sum(len(line) for line in lines), 2 ** 14)
        self.assertTrue(lines[0].startswith(b"212-"))
        self.assertEqual(len([line for line in lines
                              if b"a-rather-long-file-name-" in line]), 400)
        self.assertTrue(lines[-2].startswith(b"212 "))
        self.assertEqual(lines[-1], b"200 NOOP ok")

    async def test_fallback(self):
        """
        On a Twisted or pyOpenSSL without the private names the layer
        follows, it works as Twisted's own layer.
        """
        self.patch(controltls, "FOLLOWS_TWISTED", False)
        self.patch(openssl, "_bioMemData", None)
        client = await self.client()
        client.records(b"NOOP\r\n", b"PBSZ 0\r\n")
        self.assertEqual(await self.inThread(client.replies, 2),
                         [b"200 NOOP ok", b"200 PBSZ=0"])

    async def test_pastWrappers(self):
        """
        Once the handshake is done, the records a command came in are given
        to OpenSSL, and its reply encrypted and taken out, with OpenSSL's
        own calls: none of pyOpenSSL's wrappers runs.
        """
        client = await self.client()
        client.records(b"NOOP\r\n")
        await self.inThread(client.replies, 1)
        called = countWrapperCalls(self)
        client.records(b"NOOP\r\n", b"PB", b"SZ 0\r\n")
        self.assertEqual(await self.inThread(client.replies, 2),
                         [b"200 NOOP ok", b"200 PBSZ=0"])
        self.assertEqual(called, [])

    async def test_recordInOneCall(self):
        """
        Once the handshake is done, a command's record is read, and its
        reply written and sent, each in one call of Python in the layer
        (L{controltls._OpenRecords}): none of L{openssl}'s functions, nor
        of L{ftpkit.compat.tlswrites}, nor of Twisted's layer runs.
        """
        client = await self.client()
        client.records(b"NOOP\r\n")
        await self.inThread(client.replies, 1)
        files = {os.path.splitext(module.__file__)[0]
                 for module in (openssl, tlswrites, tls)}
        called = []

        def profiling(frame, event, arg):
            code = frame.f_code
            if (event == "call"
                    and os.path.splitext(code.co_filename)[0] in files):
                called.append(code.co_name)
        sys.setprofile(profiling)
        self.addCleanup(sys.setprofile, None)
        client.records(b"NOOP\r\n", b"PB", b"SZ 0\r\n")
        self.assertEqual(await self.inThread(client.replies, 2),
                         [b"200 NOOP ok", b"200 PBSZ=0"])
        sys.setprofile(None)
        self.assertEqual(called, [])

    async def test_heldWriteFirst(self):
        """
        What the layer holds back to aggregate small writes goes before a
        reply written at once.
        """
        client = await self.client()
        client.records(b"NOOP\r\n")
        await self.inThread(client.replies, 1)
        layer = compat.tlsLayer(self.session().transport)
        layer.write(b"200 held\r\n")
        layer.writeAtOnce(b"200 at once\r\n")
        self.assertEqual(await self.inThread(client.replies, 2),
                         [b"200 held", b"200 at once"])

    async def test_wrappersWithoutHandles(self):
        """
        Where OpenSSL's calls cannot be reached, pyOpenSSL's wrappers carry
        the records, and the session is the same.
        """
        self.patch(openssl, "_lib", None)
        called = countWrapperCalls(self)
        client = await self.client()
        client.records(b"NOOP\r\n", b"PB", b"SZ 0\r\n")
        self.assertEqual(await self.inThread(client.replies, 2),
                         [b"200 NOOP ok", b"200 PBSZ=0"])
        self.assertIn("recv", called)
        self.assertIn("send", called)

    async def test_corruptRecord(self):
        """
        A record that fails its integrity check after the handshake ends
        the session with a TLS alert (OpenSSL's error, raised as pyOpenSSL
        raises it), with no error logged.
        """
        client = await self.client()
        client.records(b"NOOP\r\n")
        await self.inThread(client.replies, 1)
        session = self.session()
        client.tls.write(b"NOOP\r\n")
        record = bytearray(client.outgoing.read())
        record[-1] ^= 0xFF
        client.sock.sendall(bytes(record))
        rest = await self.inThread(readToEnd, client.sock)
        self.assertEqual(rest[:1], b"\x15")
        self.assertTrue(session._lost)

    async def test_closeNotify(self):
        """
        The client's close_notify after the handshake ends the session.
        """
        client = await self.client()
        client.records(b"NOOP\r\n")
        await self.inThread(client.replies, 1)
        session = self.session()
        try:
            client.tls.unwrap()
        except ssl.SSLWantReadError:
            pass
        client.flush()
        await self.inThread(readToEnd, client.sock)
        self.assertTrue(session._lost)

    async def test_noWantRead(self):
        """
        A session raises no C{WantReadError}: the handshake is gone on
        with OpenSSL's own call, whose answer says that the server waits
        for the client's last flight (L{openssl.continueHandshake}), and
        the layer asks OpenSSL's buffers whether anything waits to be read
        or sent rather than try (before the ClientHello, after the
        handshake's last record, after each command, after each reply).
        """
        raised = countWantRead(self)
        client = await self.client()
        client.records(b"NOOP\r\n")
        await self.inThread(client.replies, 1)
        for _ in range(3):
            client.records(b"NOOP\r\n")
            await self.inThread(client.replies, 1)
        client.records(b"NOOP\r\n", b"NOOP\r\n")
        await self.inThread(client.replies, 2)
        self.assertEqual(raised, [])


    async def test_fewLayerReads(self):
        """
        Once the handshake is done, a command and its reply read four of
        the layer's attributes (its C{dataReceived} and C{writeAtOnce}, and
        its L{controltls._OpenRecords} for each): CPython reads every
        attribute of a L{ProtocolWrapper} through the hook of its
        C{__getattr__}, never specialized.
        """
        client = await self.client()
        client.records(b"NOOP\r\n")
        await self.inThread(client.replies, 1)
        reads = []

        def reading(layer, name):
            reads.append(name)
            return object.__getattribute__(layer, name)
        layerClass = controltls.ControlTLSProtocol
        layerClass.__getattribute__ = reading
        self.addCleanup(delattr, layerClass, "__getattribute__")
        client.records(b"NOOP\r\n")
        self.assertEqual(await self.inThread(client.replies, 1),
                         [b"200 NOOP ok"])
        self.assertEqual(sorted(reads), ["_records", "_records",
                                         "dataReceived", "writeAtOnce"])


class CloseTests(FTPSTestsMixin, unittest.TestCase):
    """
    Closing a control connection under TLS closes the TCP connection at
    once when the replies and the close_notify went out at once.
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        self.serve()

    async def loggedOn(self):
        """
        @return: C{(client, session)} after C{AUTH TLS} and a C{NOOP}.
        """
        client = await self.inThread(_Client, self.server.port)
        self.addCleanup(client.close)
        client.records(b"NOOP\r\n")
        await self.inThread(client.replies, 1)
        (session,) = self.server.factory.openSessions
        return client, session

    def readToEnd(self, client):
        """
        @return: the rest of the client's TLS stream, once the server
            closed the connection.
        """
        while True:
            data = client.sock.recv(65536)
            if not data:
                break
            client.incoming.write(data)
        client.incoming.write_eof()
        try:
            return client.tls.read(65536)
        except ssl.SSLZeroReturnError:
            return b""

    async def test_atOnce(self):
        """
        C{closeNow} sends the close_notify and closes the TCP connection
        before it returns: no reactor turn, no close timer.
        """
        client, session = await self.loggedOn()
        transport = session.transport
        session.close()
        self.assertFalse(transport.connected)
        self.assertTrue(session._lost)
        self.assertIsNone(session._closing)
        self.assertEqual(await self.inThread(self.readToEnd, client), b"")

    async def test_closeAfterLost(self):
        """
        Closing a session whose connection was lost already does nothing.
        The drain, telling a session C{421} once its transfer was cut at
        the end of the shutdown grace, met one whose client had just
        dropped its TLS connection (under C{--workers}, one run in two):
        Twisted's TLS transport, its protocol gone, raised
        C{AttributeError} from C{unregisterProducer}, an "Unhandled error
        in Deferred" traceback in the log as the process ended.
        """
        client, session = await self.loggedOn()
        session._watchReplies()
        self.assertTrue(session._watchingReplies)
        lost = session.whenLost()
        client.close()
        await lost
        session.close()
        self.assertTrue(session._closed)
        self.assertIsNone(session._closing)

    async def test_freedWithoutGarbageCollector(self):
        """
        A session under C{AUTH TLS}, its TCP connection and its TLS layer
        are freed as soon as the connection is gone, not by the cyclic
        garbage collector: the connection held the layer's C{getHandle}
        and C{getPeerCertificate} (L{compat.startTLSWith} gives them), the
        layer its transport over the connection. 2,000 such sessions left
        46,000 objects for a full collection, which an idle server never
        makes (the thirty-fifth attack sweep).
        """
        client, session = await self.loggedOn()
        lost = session.whenLost()
        refs = [weakref.ref(each) for each in (
            session, session.transport, session.transport.protocol)]
        gc.collect()
        gc.disable()
        self.addCleanup(gc.enable)
        client.close()
        await lost
        del session
        # The connection's end unwinds from the reactor's stack first.
        await deferLater(reactor, 0, lambda: None)
        self.assertEqual([ref() for ref in refs], [None, None, None])

    async def test_noReadAtTheEnd(self):
        """
        A session closed with nothing left to read ends as Twisted's layer
        ends it (the protocol is told the connection was lost, OpenSSL's
        unexpected-EOF error being what Twisted's last read finds), without
        that read.
        """
        from twisted.internet.error import ConnectionLost

        client, session = await self.loggedOn()
        reads = []

        def read(*args):
            reads.append(args)
            raise SSL.WantReadError()
        self.patch(openssl, "readPlaintext", read)
        reasons = []
        lost = session.connectionLost
        self.patch(session, "connectionLost",
                   lambda reason: (reasons.append(reason), lost(reason)))
        session.close()
        self.assertEqual(reads, [])
        self.assertEqual([reason.type for reason in reasons],
                         [ConnectionLost])
        self.assertEqual(await self.inThread(self.readToEnd, client), b"")

    async def test_quit(self):
        """
        C{QUIT} gets C{221}, then the end of the TLS stream.
        """
        client, session = await self.loggedOn()
        client.records(b"QUIT\r\n")
        self.assertEqual(await self.inThread(client.replies, 1),
                         [b"221 Goodbye"])
        self.assertEqual(await self.inThread(self.readToEnd, client), b"")
        self.assertTrue(session._lost)

    async def test_quitInOneSend(self):
        """
        C{QUIT}'s C{221} and the close_notify leave in one write of
        records (L{sockets.holdReplies}): one C{send}, not two.
        """
        client, session = await self.loggedOn()
        taken = []
        take = openssl.takeRecords

        def counting(handles):
            records = take(handles)
            if records:
                taken.append(records)
            return records
        self.patch(openssl, "takeRecords", counting)
        client.records(b"QUIT\r\n")
        self.assertEqual(await self.inThread(client.replies, 1),
                         [b"221 Goodbye"])
        self.assertEqual(await self.inThread(self.readToEnd, client), b"")
        self.assertEqual(len(taken), 1)

    async def test_heldRepliesSent(self):
        """
        Replies held back by L{sockets.holdReplies} go out with the
        layer's C{sendHeld} when nothing else sent them.
        """
        client, session = await self.loggedOn()
        layer = sockets.holdReplies(session.transport)
        self.assertIs(layer, compat.tlsLayer(session.transport))
        session.reply(200, "held")
        self.assertTrue(openssl.recordsWaiting(layer.getHandle()))
        layer.sendHeld()
        self.assertFalse(layer.holding)
        self.assertEqual(openssl.recordsWaiting(layer.getHandle()), 0)
        self.assertEqual(await self.inThread(client.replies, 1),
                         [b"200 held"])

    async def test_notWithTwistedsLayer(self):
        """
        Under a layer that cannot be closed under itself, the connection
        closes on a later turn, as before.
        """
        self.patch(tlslayer.ControlTLSProtocol, "closesAtOnce", False)
        client, session = await self.loggedOn()
        transport = session.transport
        session.close()
        self.assertTrue(transport.connected)
        self.assertEqual(await self.inThread(self.readToEnd, client), b"")
        self.assertFalse(transport.connected)


class _Held(protocol.Protocol):
    def connectionMade(self):
        self.factory.made.callback(self)


class DeclarationsTests(FTPSTestsMixin, unittest.TestCase):
    """
    The layer declares what Twisted's declares.
    """

    async def serverTransport(self):
        """
        @return: the server's side of a new loopback TCP connection.
        """
        factory = protocol.Factory.forProtocol(_Held)
        factory.made = defer.Deferred()
        port = await TCP4ServerEndpoint(reactor, 0,
                                        interface="127.0.0.1").listen(factory)
        self.addCleanup(port.stopListening)
        client = await TCP4ClientEndpoint(
            reactor, "127.0.0.1", port.getHost().port).connect(
            protocol.Factory.forProtocol(protocol.Protocol))
        self.addCleanup(client.transport.loseConnection)
        server = await factory.made
        self.addCleanup(server.transport.loseConnection)
        return server.transport

    async def test_sameInterfaces(self):
        """
        L{compat.startTLSWith} and the layer leave the transport and the
        layer providing what C{startTLS} and Twisted's layer do.
        """
        twisted = await self.serverTransport()
        twisted.startTLS(self.factory)
        ours = await self.serverTransport()
        self.assertTrue(compat.startTLSWith(
            ours, tlslayer.layerFactory(self.factory)))
        self.assertIsInstance(ours.protocol, tlslayer.ControlTLSProtocol)
        self.assertIs(type(twisted.protocol), BufferingTLSTransport)
        self.assertEqual(set(providedBy(ours)), set(providedBy(twisted)))
        self.assertEqual(set(providedBy(ours.protocol)),
                         set(providedBy(twisted.protocol)))
        self.assertTrue(ours.TLS)
        self.assertIs(ours.getHandle(), ours.protocol.getHandle())

    async def test_notTwice(self):
        """
        L{compat.startTLSWith} does nothing on a transport already under
        TLS, nor on one that is not a TCP connection.
        """
        transport = await self.serverTransport()
        factory = tlslayer.layerFactory(self.factory)
        self.assertTrue(compat.startTLSWith(transport, factory))
        layer = transport.protocol
        self.assertFalse(compat.startTLSWith(transport, factory))
        self.assertIs(transport.protocol, layer)
        self.assertFalse(compat.startTLSWith(object(), factory))

    def test_oneFactory(self):
        """
        C{AUTH TLS} connections of one context factory share one layer
        factory; an implicit-TLS listener's wraps its own.
        """
        self.assertIs(tlslayer.layerFactory(self.factory),
                      tlslayer.layerFactory(self.factory))
        wrapped = protocol.Factory()
        implicit = tlslayer.layerFactory(self.factory, wrapped)
        self.assertIs(implicit.wrappedFactory, wrapped)
        self.assertIs(implicit.protocol, tlslayer.ControlTLSProtocol)

    def test_buffersUnknown(self):
        """
        Without an L{SSL.Connection} to ask, how much waits cannot be told.
        """
        self.assertIsNone(compat.recordsWaiting(None))
        self.assertIsNone(compat.inputWaiting(None))

"""
C{ABOR} of a download over a Twisted TCP transport in clear (active mode,
C{TYPE A}, a shell's producer) once every byte is in the kernel and the
download is finishing, but before the reactor wrote the end of the data
(its C{loseWriteConnection} waits for the transport's next write event):
the client may have read every byte already, so the transfer completed
(L{ftpkit.control.handlers.transferring.Transfer.abortOnArrival}), and
the client still reading gets every byte and the end of the data. Under
TLS likewise once every data record is sent, while the close_notify waits
in the TCP transport.
"""

from twisted.internet import defer, protocol, reactor, ssl
from twisted.internet.endpoints import (
    SSL4ClientEndpoint,
    TCP4ClientEndpoint,
    connectProtocol,
)
from twisted.internet.error import ConnectionDone
from twisted.trial import unittest

from ftpkit.compat import queuedBytes
from ftpkit.control.handlers.transferring import Transfer
from ftpkit.control.tls import makeContextFactory
from ftpkit.data.connection import DataConnection
from ftpkit.data.tls import DataTLS
from tests.scratch import scratchDirectory
from tests.tlssupport import makeCertificate

PAYLOAD = b"x" * 20000


class _Reader(protocol.Protocol):
    """
    The client: reads everything, tells when it has L{PAYLOAD}'s count
    and why its connection ended (the exception's type).
    """

    def __init__(self):
        self.received = []
        self.count = 0
        self.whole = defer.Deferred()
        self.lost = defer.Deferred()

    def dataReceived(self, data):
        """
        Keep C{data}.

        @param data: the bytes received.
        """
        self.received.append(data)
        self.count += len(data)
        if self.count >= len(PAYLOAD) and not self.whole.called:
            self.whole.callback(None)

    def connectionLost(self, reason):
        """
        Tell why the connection ended.

        @param reason: a L{twisted.python.failure.Failure}.
        """
        self.lost.callback(reason.type)


class _Mover:
    """
    A mover whose bytes have all gone.
    """

    bytesMoved = len(PAYLOAD)

    def abort(self):
        """
        Nothing to stop.
        """


class AbortFinishingTests(unittest.TestCase):
    """
    L{Transfer.abortOnArrival} on a real loopback connection.
    """

    @defer.inlineCallbacks
    def connect(self):
        """
        @return: a Deferred firing with the server's L{DataConnection}
            and the client's L{_Reader}, connected.
        """
        made = defer.Deferred()
        factory = protocol.Factory.forProtocol(
            lambda: DataConnection(made.callback, reactor, 30,
                                   lambda: None))
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        reader = _Reader()
        yield connectProtocol(
            TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port),
            reader)
        connection = yield made
        self.addCleanup(connection.abort)
        return connection, reader

    @defer.inlineCallbacks
    def test_beforeTheEnd(self):
        """
        Every byte read by the client, the download finishing, its end of
        data not written yet: C{ABOR} finds it completed, and the client
        gets every byte and a clean end.
        """
        connection, reader = yield self.connect()
        connection.transport.write(PAYLOAD)
        yield reader.whole
        transfer = Transfer("RETR a", connection, _Mover())
        finished = connection.finish()
        finished.addErrback(lambda failure: None)
        transfer.finishing = True
        transfer.abortOnArrival()
        ended = yield reader.lost
        self.assertEqual((transfer.completed, b"".join(reader.received),
                          ended), (True, PAYLOAD, ConnectionDone))

    @defer.inlineCallbacks
    def test_heldUnsent(self):
        """
        Bytes the transport still holds (written, not yet sent) are not
        all sent: C{ABOR} finds the download not completed.
        """
        connection, reader = yield self.connect()
        connection.transport.write(PAYLOAD)
        transfer = Transfer("RETR a", connection, _Mover())
        finished = connection.finish()
        finished.addErrback(lambda failure: None)
        transfer.finishing = True
        transfer.abortOnArrival()
        yield reader.lost
        self.assertFalse(transfer.completed)


class AbortFinishingTLSTests(unittest.TestCase):
    """
    L{Transfer.abortOnArrival} on a real loopback connection under TLS
    (C{PROT P}): once every data record is sent, the close_notify that
    L{DataConnection.finish} wrote waits in the TCP transport for its next
    write event, and a client that read every byte may send C{ABOR} first.
    """

    @defer.inlineCallbacks
    def connect(self, maximumVersion):
        """
        @param maximumVersion: the server's highest TLS version (C{None}:
            TLS 1.3).
        @return: a Deferred firing with the server's L{DataConnection},
            its handshake done and L{PAYLOAD} read by the client, and the
            client's L{_Reader}.
        """
        both = makeCertificate(scratchDirectory(self))[2]
        tls = DataTLS(makeContextFactory(
            both, maximumVersion=maximumVersion).makeContext())
        made = defer.Deferred()
        factory = tls.wrapFactory(protocol.Factory.forProtocol(
            lambda: DataConnection(made.callback, reactor, 30,
                                   lambda: None, tls=tls)))
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        reader = _Reader()
        yield connectProtocol(
            SSL4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port,
                               ssl.CertificateOptions()), reader)
        connection = yield made
        self.addCleanup(connection.abort)
        yield connection.whenSecured()
        connection.transport.write(PAYLOAD)
        yield reader.whole
        return connection, reader

    @defer.inlineCallbacks
    def abortAfter(self, maximumVersion, tail=b"", closing=False):
        """
        Connect, have the client read L{PAYLOAD}, write C{tail}, finish
        the download (and, if C{closing}, end the linger: the TCP
        connection closing), then C{ABOR}.

        @return: a Deferred firing with whether the transfer completed and
            what the client received, once its connection ended.
        """
        connection, reader = yield self.connect(maximumVersion)
        if tail:
            connection.transport.write(tail)
        transfer = Transfer("RETR a", connection, _Mover())
        finished = connection.finish()
        finished.addErrback(lambda failure: None)
        if closing:
            self.assertTrue(connection.transport.closeUnanswered())
        # The close_notify is still in the TCP transport: the window.
        self.assertTrue(queuedBytes(connection.socketTransport))
        transfer.finishing = True
        transfer.abortOnArrival()
        yield reader.lost
        return transfer.completed, b"".join(reader.received)

    @defer.inlineCallbacks
    def test_closeNotifyQueuedTLS12(self):
        """
        Under TLS 1.2, every data record sent, only the close_notify held:
        C{ABOR} finds the download completed.
        """
        done = yield self.abortAfter(ssl.TLSVersion.TLSv1_2)
        self.assertEqual(done, (True, PAYLOAD))

    @defer.inlineCallbacks
    def test_closeNotifyQueuedTLS13(self):
        """
        Likewise under TLS 1.3.
        """
        done = yield self.abortAfter(None)
        self.assertEqual(done, (True, PAYLOAD))

    @defer.inlineCallbacks
    def test_closingConnection(self):
        """
        The linger over and the TCP connection closing, with only the
        close_notify held: completed too.
        """
        done = yield self.abortAfter(None, closing=True)
        self.assertEqual(done, (True, PAYLOAD))

    @defer.inlineCallbacks
    def test_dataRecordHeld(self):
        """
        A data record still held before the close_notify: not completed.
        """
        done = yield self.abortAfter(None, tail=b"tail")
        self.assertFalse(done[0])

"""
What a download through a Twisted transport counts as sent
(L{ftpkit.data.sentbytes}) while its client has stopped reading, on a
real loopback connection: the bytes the kernel took, not those still
held in the transport (under TLS up to a MiB,
L{ftpkit.data.movers.TLS_BUFFER_SIZE}), which the transfer's log line,
xferlog line and metrics counted as sent (tlsbytes53); once the client
has read everything, the whole file.
"""

import io

from twisted.internet import defer, protocol, reactor, ssl
from twisted.internet.endpoints import (
    SSL4ClientEndpoint,
    TCP4ClientEndpoint,
    connectProtocol,
)
from twisted.internet.interfaces import IHandshakeListener
from twisted.protocols.basic import FileSender
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.compat import queuedBytes
from ftpkit.control.tls import makeContextFactory
from ftpkit.data.connection import DataConnection
from ftpkit.data.movers import Download
from ftpkit.data.tls import DataTLS
from tests.polling import waitFor
from tests.scratch import scratchDirectory
from tests.tlssupport import makeCertificate

SIZE = 32 << 20
"""The file's size: more than the kernel's buffers on both sides take."""


class _File:
    """
    An L{ftpkit.interfaces.IReadFile} of L{SIZE} bytes in memory.
    """

    size = SIZE

    def send(self, consumer):
        """
        @return: a Deferred firing once every byte was written.
        """
        return FileSender().beginFileTransfer(io.BytesIO(b"x" * SIZE),
                                              consumer)


@implementer(IHandshakeListener)
class _StalledReader(protocol.Protocol):
    """
    The client: stops reading once connected (under TLS, once its
    handshake is complete), and counts what it reads after L{read}.
    """

    count = 0

    def __init__(self, tls):
        self.tls = tls
        self.whole = defer.Deferred()

    def connectionMade(self):
        if not self.tls:
            self.transport.pauseProducing()

    def handshakeCompleted(self):
        self.transport.pauseProducing()

    def read(self):
        """
        Read on, to the end of the file.
        """
        self.transport.resumeProducing()

    def dataReceived(self, data):
        self.count += len(data)
        if self.count >= SIZE and not self.whole.called:
            self.whole.callback(None)


class StalledReaderTests(unittest.TestCase):
    """
    L{Download.bytesMoved} while the client does not read, then once it
    read everything.
    """

    timeout = 120

    @defer.inlineCallbacks
    def connect(self, secure):
        """
        @param secure: under TLS.
        @return: a Deferred firing with the server's L{DataConnection}
            (under TLS, secured) and the client's L{_StalledReader}.
        """
        made = defer.Deferred()
        tls = None
        factory = protocol.Factory.forProtocol(
            lambda: DataConnection(made.callback, reactor, 60,
                                   lambda: None, tls=tls))
        if secure:
            both = makeCertificate(scratchDirectory(self))[2]
            tls = DataTLS(makeContextFactory(both).makeContext())
            factory = tls.wrapFactory(factory)
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        if secure:
            endpoint = SSL4ClientEndpoint(reactor, "127.0.0.1",
                                          port.getHost().port,
                                          ssl.CertificateOptions())
        else:
            endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1",
                                          port.getHost().port)
        reader = _StalledReader(secure)
        yield connectProtocol(endpoint, reader)
        connection = yield made
        self.addCleanup(connection.abort)
        if secure:
            yield connection.whenSecured()
        return connection, reader

    @defer.inlineCallbacks
    def assertCountsTaken(self, secure):
        """
        While the client does not read, the count is what was handed to
        the transport less what it holds; once the client read it all,
        the file's size.
        """
        connection, reader = yield self.connect(secure)
        mover = Download(_File(), True, reactor)
        sending = mover.start(connection)
        full = yield waitFor(
            lambda: queuedBytes(connection.socketTransport))
        self.assertTrue(full)
        handed = mover.fileBytesMoved
        self.assertLess(mover.bytesMoved, handed)
        self.assertLessEqual(handed - mover.bytesMoved,
                             queuedBytes(connection.socketTransport))
        reader.read()
        yield sending
        yield reader.whole
        self.assertEqual(mover.bytesMoved, SIZE)

    def test_clear(self):
        """
        In clear.
        """
        return self.assertCountsTaken(False)

    def test_tls(self):
        """
        Under TLS.
        """
        return self.assertCountsTaken(True)

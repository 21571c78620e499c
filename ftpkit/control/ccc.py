"""
C{CCC} (RFC 4217 section 6): ending TLS on the control connection while
the TCP connection goes on in clear.

Twisted can start TLS on a transport but not stop it, so L{clearTLS}
stands a L{TLSShutdown} in for the TLS layer (through the private names
L{ftpkit.compat} keeps in one place): it sends the server's close_notify,
waits for the client's, then hands the connection back to the FTP
protocol unencrypted. Replies the protocol writes meanwhile are held and
sent in clear afterwards.
"""

from OpenSSL import SSL
from twisted.internet import defer
from twisted.internet.abstract import FileDescriptor
from twisted.internet.error import ConnectionLost

from ftpkit import compat


def canClearTLS(transport):
    """
    @param transport: a control connection's transport.
    @return: whether L{clearTLS} can end its TLS (it was started with
        C{AUTH TLS} on a Twisted whose private names ftpkit knows).
    """
    return compat.tlsLayer(transport) is not None


class TLSShutdown:
    """
    The transport's protocol while its TLS session shuts down: bytes from
    the client go into the TLS connection until its close_notify arrives;
    what the FTP protocol writes meanwhile is held.

    @ivar done: fires once the connection is in clear, fails if it was
        lost first.
    """

    def __init__(self, transport, layer):
        """
        @param transport: the TCP transport.
        @param layer: its TLS layer (see L{ftpkit.compat.tlsLayer}).
        """
        self.transport = transport
        self.connection = layer.getHandle()
        self.protocol = layer.wrappedProtocol
        self.held = []
        self.done = defer.Deferred()

    def start(self):
        """
        Send the server's close_notify.
        """
        try:
            self.connection.shutdown()
        except SSL.Error:
            pass
        self._flush()

    def _flush(self):
        while True:
            try:
                data = self.connection.bio_read(65536)
            except SSL.WantReadError:
                return
            compat.writePlain(self.transport, data)

    def dataReceived(self, data):
        """
        Feed the TLS connection until the client's close_notify; anything
        else the client sends under TLS now is dropped.
        """
        self.connection.bio_write(data)
        while True:
            try:
                self.connection.recv(65536)
            except SSL.WantReadError:
                break
            except SSL.ZeroReturnError:
                self._cleared()
                return
            except SSL.Error:
                self._flush()
                FileDescriptor.loseConnection(self.transport)
                return
        self._flush()

    def _cleared(self):
        try:
            self.connection.shutdown()
        except SSL.Error:
            pass
        self._flush()
        compat.dropTLSLayer(self.transport, self.protocol)
        held, self.held = self.held, []
        for data in held:
            self.transport.write(data)
        self.done.callback(None)

    # What the FTP protocol may call on its transport meanwhile (the
    # transport forwards these to its protocol while its TLS flag is on).

    def write(self, data):
        """
        Hold a reply until the connection is in clear.
        """
        self.held.append(data)

    def writeSequence(self, sequence):
        """
        Hold replies until the connection is in clear.
        """
        self.held.extend(sequence)

    def loseConnection(self):
        """
        Close the TCP connection (no TLS shutdown to finish first).
        """
        FileDescriptor.loseConnection(self.transport)

    def registerProducer(self, producer, streaming):
        """
        Register with the TCP transport itself.
        """
        FileDescriptor.registerProducer(self.transport, producer, streaming)

    def unregisterProducer(self):
        """
        Unregister from the TCP transport itself.
        """
        FileDescriptor.unregisterProducer(self.transport)

    def connectionLost(self, reason):
        """
        The connection ended during the shutdown: tell the FTP protocol.
        """
        if not self.done.called:
            self.done.errback(ConnectionLost())
        self.protocol.connectionLost(reason)


def clearTLS(transport):
    """
    End the TLS session of a control connection (C{CCC}), keeping the TCP
    connection.

    @param transport: a transport for which L{canClearTLS} is true.
    @return: a Deferred firing once the connection is in clear.
    """
    layer = compat.tlsLayer(transport)
    compat.flushTLSWrites(layer)
    shutdown = TLSShutdown(transport, layer)
    transport.protocol = shutdown
    shutdown.start()
    return shutdown.done

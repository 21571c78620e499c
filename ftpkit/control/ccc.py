"""
C{CCC} (RFC 4217 section 6): ending TLS on the control connection while
the TCP connection goes on in clear.

Twisted can start TLS on a transport but not stop it, so L{clearTLS}
stands a L{TLSShutdown} in for the TLS layer (through the private names
L{ftpkit.compat} keeps in one place): it waits for the client's
close_notify and answers it, then hands the connection back to the FTP
protocol unencrypted. Replies the protocol writes meanwhile are held and
sent in clear afterwards.

The server's own close_notify goes out in answer to the client's, or once
the client has sent none for L{CLOSE_NOTIFY_WAIT}, never with the C{200}:
lftp (C{ftp:ssl-use-ccc}) takes a close_notify that it reads together with
the C{200} for the end of the connection ("Peer closed connection") and
gives up. curl's default C{--ftp-ssl-ccc-mode passive} sends none and
waits for the server's: it gets it after the wait, then goes on in clear:
where a TLS record would start, a byte that starts none (L{TLSRecords})
is its next command, as ProFTPD tells. A client that goes on in clear
before the wait is over gets no close_notify at all (it would read one as
garbage in a reply).
"""

from OpenSSL import SSL
from twisted.internet import defer
from twisted.internet.abstract import FileDescriptor
from twisted.internet.error import ConnectionLost
from twisted.protocols.policies import ProtocolWrapper

from ftpkit import compat


def tlsUnder(transport):
    """
    @param transport: a control connection's transport.
    @return: C{(tcp, layer)}: the TCP transport whose TLS C{AUTH TLS}
        started, and that TLS layer (L{ftpkit.compat.tlsLayer}); or
        C{None}. Wrappers between the session and the TCP transport (the
        PROXY protocol's, L{ftpkit.control.proxied.ProxiedProtocol}) are
        seen through when the layer wraps them: C{AUTH TLS} through one
        puts TLS under it, and C{CCC} was refused there as if the TLS
        were implicit. An implicit TLS layer, itself such a wrapper, has
        none under it.
    """
    wrapper = None
    while True:
        layer = compat.tlsLayer(transport)
        if layer is not None:
            if wrapper is not None and layer.wrappedProtocol is not wrapper:
                return None
            return transport, layer
        if not isinstance(transport, ProtocolWrapper):
            return None
        wrapper, transport = transport, transport.transport


def canClearTLS(transport):
    """
    @param transport: a control connection's transport.
    @return: whether L{clearTLS} can end its TLS (it was started with
        C{AUTH TLS} on a Twisted whose private names ftpkit knows).
    """
    return tlsUnder(transport) is not None


CLOSE_NOTIFY_WAIT = 0.5
"""Seconds after C{CCC}'s C{200} that the server waits for the client's
close_notify before it sends its own (see the module's docstring): clients
that send one do so as soon as they read the C{200}; curl's passive mode,
which sends none, waits for the server's."""


TLS_CONTENT_TYPES = frozenset(range(20, 25))
"""The first byte of every TLS record (its content type: change cipher
spec, alert, handshake, application data, heartbeat); an FTP command
starts with a letter."""


class TLSRecords:
    """
    Follows the TLS records a client sends, to tell where they end and
    commands in clear begin.
    """

    def __init__(self):
        self._left = 0
        self._header = b""

    def split(self, data):
        """
        @param data: the next bytes from the client.
        @return: C{(records, clear)}: the bytes of C{data} that belong to
            TLS records, and those from the first byte that starts no
            record on (C{None} if there is none).
        """
        i, end = 0, len(data)
        while i < end:
            if self._left:
                step = min(self._left, end - i)
                self._left -= step
                i += step
                continue
            if not self._header and data[i] not in TLS_CONTENT_TYPES:
                return data[:i], data[i:]
            taken = data[i:i + 5 - len(self._header)]
            self._header += taken
            i += len(taken)
            if len(self._header) == 5:
                self._left = int.from_bytes(self._header[3:5], "big")
                self._header = b""
        return data, None


class TLSShutdown:
    """
    The transport's protocol while its TLS session shuts down: bytes from
    the client go into the TLS connection until its close_notify arrives;
    what the FTP protocol writes meanwhile is held.

    @ivar done: fires once the connection is in clear, fails if it was
        lost first.
    @ivar layer: the TLS layer it stands in for, taken off at the end.
    """

    def __init__(self, transport, layer, clock):
        """
        @param transport: the TCP transport.
        @param layer: its TLS layer (see L{ftpkit.compat.tlsLayer}).
        @param clock: the L{twisted.internet.interfaces.IReactorTime} that
            times L{CLOSE_NOTIFY_WAIT}.
        """
        self.transport = transport
        self.layer = layer
        self.connection = layer.getHandle()
        self.protocol = layer.wrappedProtocol
        self.held = []
        self.done = defer.Deferred()
        self._records = TLSRecords()
        self._clock = clock
        self._wait = None

    def start(self):
        """
        Wait for the client's close_notify; send the server's after
        L{CLOSE_NOTIFY_WAIT} if none came.
        """
        self._wait = self._clock.callLater(CLOSE_NOTIFY_WAIT,
                                           self._closeNotify)

    def _stopWaiting(self):
        if self._wait is not None:
            if self._wait.active():
                self._wait.cancel()
            self._wait = None

    def _closeNotify(self):
        """
        Send the server's close_notify (once: later calls send nothing).
        """
        self._stopWaiting()
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
        Feed the TLS connection until the client's close_notify, or a
        command in clear; anything else the client sends under TLS now is
        dropped. What follows goes to the FTP protocol in clear.

        @param data: the bytes received.
        """
        records, clear = self._records.split(data)
        if records:
            self.connection.bio_write(records)
        while True:
            try:
                self.connection.recv(65536)
            except SSL.WantReadError:
                break
            except SSL.ZeroReturnError:
                self._closeNotify()
                self._cleared(clear)
                return
            except SSL.Error:
                self._stopWaiting()
                self._flush()
                FileDescriptor.loseConnection(self.transport)
                return
        self._flush()
        if clear is not None:
            self._cleared(clear)

    def _cleared(self, clear=None):
        """
        The client ended TLS (its close_notify answered, or its next
        command sent in clear): hand the connection back to the FTP
        protocol, send the held replies, and give the protocol what the
        client sent in clear.

        @param clear: bytes that followed the TLS records, or C{None}.
        """
        self._stopWaiting()
        compat.dropTLSLayer(self.transport, self.protocol, self.layer)
        held, self.held = self.held, []
        for data in held:
            self.transport.write(data)
        self.done.callback(None)
        if clear:
            self.protocol.dataReceived(clear)

    # What the FTP protocol may call on its transport meanwhile (the
    # transport forwards these to its protocol while its TLS flag is on).

    def write(self, data):
        """
        Hold a reply until the connection is in clear.

        @param data: the bytes of a reply.
        """
        self.held.append(data)

    def writeSequence(self, sequence):
        """
        Hold replies until the connection is in clear.

        @param sequence: the byte strings of replies.
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

        @param producer: the producer.
        @param streaming: whether it is a push producer (else a pull one).
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

        @param reason: a L{twisted.python.failure.Failure} saying why.
        """
        self._stopWaiting()
        if not self.done.called:
            self.done.errback(ConnectionLost())
        self.protocol.connectionLost(reason)


def clearTLS(transport, clock):
    """
    End the TLS session of a control connection (C{CCC}), keeping the TCP
    connection.

    @param transport: a transport for which L{canClearTLS} is true.
    @param clock: the L{twisted.internet.interfaces.IReactorTime} that
        times L{CLOSE_NOTIFY_WAIT}.
    @return: a Deferred firing once the connection is in clear.
    """
    transport, layer = tlsUnder(transport)
    compat.flushTLSWrites(layer)
    shutdown = TLSShutdown(transport, layer, clock)
    transport.protocol = shutdown
    shutdown.start()
    return shutdown.done

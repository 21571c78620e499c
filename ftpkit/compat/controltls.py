"""
L{ControlTLSProtocol}: Twisted's TLS layer for a control connection, with
the work each login repeated for nothing taken out, the protocol and its
records unchanged:

  - no C{WantReadError} raised (a Python exception, about as costly as
    the call itself) to learn that OpenSSL has nothing to send, or that a
    record already read was the last one the peer sent: the memory
    buffers are asked first (L{ftpkit.compat.openssl.recordsWaiting},
    L{ftpkit.compat.openssl.inputWaiting});
  - the transport's interfaces declared on the layer with one call, as
    Twisted's ten calls leave them, not one call per interface;
  - once the handshake is done, records given to OpenSSL, and replies
    encrypted and taken out, with OpenSSL's own calls
    (L{ftpkit.compat.openrecords}): pyOpenSSL's C{bio_write}, C{recv},
    C{send} and C{bio_read} check their arguments and, on success too,
    the context's callback helpers and C{SSL_get_error};
  - the handshake gone on with OpenSSL's own call too
    (L{ftpkit.compat.openssl.continueHandshake}): no C{WantReadError}
    raised and caught while it waits for the client's next flight.

It follows Twisted's L{TLSMemoryBIOProtocol} from the inside, so it lives
with ftpkit's other uses of private names. It reads and overrides:

    - C{TLSMemoryBIOFactory._creatorCallable} and
      C{TLSMemoryBIOProtocol._connectWrapped}, C{_tlsConnection},
      C{_appSendBuffer}: its C{makeConnection}, done as Twisted's;
    - C{_checkHandshakeStatus}, C{_flushSendBIO}, C{_flushReceiveBIO},
      C{_shutdownTLS}, C{_tlsShutdownFinished}, C{_bufferedWrite},
      C{_unbufferPendingWrites}: the steps it takes, or replaces, in
      reading and writing records;
    - C{_lostTLSConnection}, C{_handshakeDone}, C{_aborted}, C{_reason}:
      the layer's state;
    - C{BufferingTLSTransport._aggregator}: its C{flush} and what it
      holds back, read by the L{ftpkit.compat.openrecords.OpenRecords}
      that carries an open layer's records and replies (the layer's own
      attributes are read through C{ProtocolWrapper.__getattr__}'s hook,
      which CPython does not specialize); it is used only while none of
      the steps above that change the layer's state (the overridden ones,
      C{loseConnection} and C{abortConnection}) has been taken.

Fallback: without any of them (L{FOLLOWS_TWISTED} false) it is Twisted's
layer unchanged. The layer's factory and C{AUTH TLS}'s start are
L{ftpkit.control.tlslayer}'s.
"""

from OpenSSL.SSL import Error, WantReadError, ZeroReturnError
from twisted.internet import main
from twisted.internet.interfaces import IHandshakeListener
from twisted.internet.protocol import Protocol
from twisted.protocols.policies import ProtocolWrapper
from twisted.protocols.tls import BufferingTLSTransport, TLSMemoryBIOProtocol
from twisted.python.failure import Failure
from zope.interface import directlyProvides, providedBy

from ftpkit.compat import openssl, starttls
from ftpkit.compat.openrecords import OpenRecords as _OpenRecords
from ftpkit.compat.tcp import SharedReason

FOLLOWS_TWISTED = all(
    hasattr(TLSMemoryBIOProtocol, name) for name in (
        "_checkHandshakeStatus", "_flushSendBIO", "_flushReceiveBIO",
        "_shutdownTLS", "_tlsShutdownFinished", "_lostTLSConnection",
        "_aborted", "_handshakeDone", "_bufferedWrite", "_reason",
        "_unbufferPendingWrites"))
"""Whether this Twisted's TLS layer still has the private names
L{ControlTLSProtocol} reads and overrides; without them it is Twisted's
layer unchanged."""

_RECORD = 2 ** 14
"""The most application data a TLS record holds."""

_DECLARED_KEPT = 64
"""How many declarations L{_declareAsTwisted} keeps."""

_ENDED_WITHOUT_CLOSE_NOTIFY = SharedReason(main.CONNECTION_LOST)
"""The reason a connection that ended without the peer's close_notify is
given: what Twisted's layer makes of OpenSSL's unexpected-EOF error
(C{_tlsShutdownFinished} turns it into C{CONNECTION_LOST},
L{ControlTLSProtocol._endedWithoutCloseNotify}). One
L{Failure} shared by every such end, as it wraps Twisted's one
C{CONNECTION_LOST} exception and has no traceback: a control connection
closed after C{QUIT} ends so (the client closes without a close_notify),
and making the error, its L{Failure}, then the second L{Failure} for
every FTPS session cost more than the rest of the layer's end."""

_lastInterfaces = {}
_layerDeclarations = {}


def _declareAsTwisted(layer, transport):
    """
    Declare on a layer what Twisted's TLS layer ends up providing of its
    transport's interfaces: it declares each in turn with
    C{directlyProvides}, each call replacing the one before, so only the
    last stays.

    zope caches the declaration of a class plus interfaces only while
    something holds it, and would otherwise work it out again (its
    resolution order) for every connection: the transport's and the
    layer's are kept here.

    @param layer: the layer.
    @param transport: the transport under it.
    """
    provided = providedBy(transport)
    interface = _lastInterfaces.get(provided, _lastInterfaces)
    if interface is _lastInterfaces:
        if len(_lastInterfaces) >= _DECLARED_KEPT:
            _lastInterfaces.clear()
            _layerDeclarations.clear()
        interface = _lastInterfaces[provided] = _last(provided)
    if interface is None:
        return
    directlyProvides(layer, interface)
    key = (type(layer), interface)
    if key not in _layerDeclarations:
        _layerDeclarations[key] = providedBy(layer)


def _last(provided):
    interfaces = tuple(provided)
    return interfaces[-1] if interfaces else None


class ControlTLSProtocol(BufferingTLSTransport):
    """
    Twisted's TLS layer for a control connection, with less work per
    record (see the module's docstring).
    """

    closesAtOnce = FOLLOWS_TWISTED
    """Whether the TCP connection under it may be closed while it reads
    (L{ftpkit.compat.closeTLSAtOnce}): its reading stops at a layer whose
    connection was lost, where Twisted's would read on from nothing."""

    _ending = False
    _handles = None
    _records = None

    holding = False
    """Whether L{writeAtOnce} leaves the records of a reply in OpenSSL's
    buffer, for the next records the layer sends to take along (see
    L{ftpkit.control.sockets.holdReplies})."""

    def makeConnection(self, transport):
        """
        As L{TLSMemoryBIOProtocol.makeConnection}, the transport's
        interfaces declared at once, and the handshake left for the
        client's first record (the layer is a server's).

        @param transport: the transport under the layer.
        """
        creator = getattr(self.factory, "_creatorCallable", None)
        if not FOLLOWS_TWISTED or creator is None or not hasattr(
                self, "_connectWrapped"):
            BufferingTLSTransport.makeConnection(self, transport)
            return
        self._tlsConnection = creator(self)
        self._handles = openssl.memoryHandles(self._tlsConnection)
        self._appSendBuffer = []
        _declareAsTwisted(self, transport)
        Protocol.makeConnection(self, transport)
        self.factory.registerProtocol(self)
        if self._connectWrapped:
            ProtocolWrapper.makeConnection(self, transport)
        if openssl.inputWaiting(self._tlsConnection) != 0:
            # A server has nothing to say before the ClientHello: with
            # nothing received, the handshake would only raise
            # WantReadError.
            self._checkHandshakeStatus()

    def writeAtOnce(self, data):
        """
        Write a control reply as L{ftpkit.compat.writeThroughTLS} does
        (encrypted now, after what the layer holds back to aggregate small
        writes; its records written to the transport below, which sends
        them at once when L{ftpkit.compat.sendRecordsAtOnce} set it up), in
        fewer steps once the handshake is done: one record, read from
        OpenSSL's buffer and written as it is. Otherwise, or for more than
        a record holds, it takes L{TLSMemoryBIOProtocol.write}'s way.

        @param data: the bytes (dropped once the connection was lost, as
            the TCP transport drops them).
        """
        records = self._records
        if records is not None and len(data) <= _RECORD:
            records.write(data)
            return
        if not self.connected:
            return
        starttls.flushTLSWrites(self)
        self._writeFlushed(data)

    def _writeFlushed(self, data):
        """
        L{writeAtOnce} once what the layer held back was encrypted.

        @param data: the bytes.
        """
        if (not FOLLOWS_TWISTED or self.disconnecting
                or self._lostTLSConnection or not self._handshakeDone
                or self._appSendBuffer or len(data) > _RECORD):
            TLSMemoryBIOProtocol.write(self, data)
            return
        connection = self._tlsConnection
        handles = self._handles
        try:
            if handles is None:
                connection.send(data)
            else:
                openssl.writePlaintext(handles, connection, data)
        except WantReadError:
            self._bufferedWrite(data)
            return
        except Error:
            self._tlsShutdownFinished(Failure())
            return
        if handles is None:
            self.transport.write(connection.bio_read(2 ** 15))
        elif not self.holding:
            self.transport.write(openssl.takeRecords(handles))

    def hold(self):
        """
        Hold the records of the replies written from now on back
        (L{holding}), until L{sendHeld}.
        """
        self._leave()
        self.holding = True

    def sendHeld(self):
        """
        Stop holding reply records back (L{holding}) and send what is held,
        if the connection is still open.
        """
        self.holding = False
        if (self._handles is not None and self.connected
                and not self._lostTLSConnection):
            self._flushSendBIO()

    def dataReceived(self, data):
        """
        Give OpenSSL the records received and deliver what they hold, as
        L{TLSMemoryBIOProtocol.dataReceived} does; once the handshake is
        done, with OpenSSL's own calls (L{_OpenRecords} while the layer is
        open and nothing else goes on).

        @param data: bytes of TLS records.
        """
        records = self._records
        if records is not None:
            if not records.received(data):
                BufferingTLSTransport.dataReceived(self, data)
            return
        handles = self._handles
        if (handles is None or self._lostTLSConnection
                or not openssl.feedRecords(handles, data)):
            BufferingTLSTransport.dataReceived(self, data)
            self._enter()
            return
        # TLSMemoryBIOProtocol.dataReceived, the records given above.
        if not self._handshakeDone:
            self._checkHandshakeStatus()
            if not self._handshakeDone:
                return
        if self._appSendBuffer:
            self._unbufferPendingWrites()
        self._flushReceiveBIO()
        self._enter()

    def _checkHandshakeStatus(self):
        """
        Go on with the handshake, as Twisted's layer does, with OpenSSL's
        own call (L{openssl.continueHandshake}): while it waits for the
        client's next flight, no C{WantReadError} is raised and caught.
        """
        handles = self._handles
        if handles is None or self._aborted:
            BufferingTLSTransport._checkHandshakeStatus(self)
            return
        try:
            done = openssl.continueHandshake(handles, self._tlsConnection)
        except Error:
            self._tlsShutdownFinished(Failure())
            return
        if not done:
            self._flushSendBIO()
            return
        self._handshakeDone = True
        if IHandshakeListener.providedBy(self.wrappedProtocol):
            self.wrappedProtocol.handshakeCompleted()

    def _enter(self):
        """
        Give the records and replies of a layer that is open and has
        nothing else going on to an L{_OpenRecords}.
        """
        if (FOLLOWS_TWISTED and self._handles is not None
                and self._records is None and self._handshakeDone
                and self.connected and not self.disconnecting
                and not self._lostTLSConnection and not self._aborted
                and not self._appSendBuffer and not self.holding
                and not self._ending and hasattr(
                    self.__dict__.get("_aggregator"), "flush")):
            self._records = _OpenRecords(self)

    def _leave(self):
        """
        Stop using the layer's L{_OpenRecords}, if it has one: what comes
        next takes the general way.
        """
        records = self._records
        if records is not None:
            records.open = False
            self._records = None

    def loseConnection(self):
        """
        Close, as Twisted's layer does (the general way from now on).
        """
        self._leave()
        BufferingTLSTransport.loseConnection(self)

    def abortConnection(self):
        """
        Abort, as Twisted's layer does (the general way from now on).
        """
        self._leave()
        BufferingTLSTransport.abortConnection(self)

    def _bufferedWrite(self, octets):
        """
        Keep a write OpenSSL could not take yet, as Twisted's layer does
        (the general way until it was sent).

        @param octets: the bytes.
        """
        self._leave()
        BufferingTLSTransport._bufferedWrite(self, octets)

    def _shutdownTLS(self):
        """
        Send the close_notify, as Twisted's layer does (the general way
        from now on).
        """
        self._leave()
        BufferingTLSTransport._shutdownTLS(self)

    def _tlsShutdownFinished(self, reason):
        """
        TLS ended, as Twisted's layer ends it (the general way from now
        on).

        @param reason: why, or C{None}.
        """
        self._leave()
        BufferingTLSTransport._tlsShutdownFinished(self, reason)

    def _flushSendBIO(self):
        """
        Send what OpenSSL wrote to its outgoing buffer, if anything; a
        layer whose connection was closed at once while it was reading
        (L{ftpkit.compat.closeTLSAtOnce}) has none left.
        """
        if not FOLLOWS_TWISTED:
            TLSMemoryBIOProtocol._flushSendBIO(self)
        elif self._handles is not None:
            records = openssl.takeRecords(self._handles)
            if records:
                self.transport.write(records)
        elif self._tlsConnection is not None and openssl.recordsWaiting(
                self._tlsConnection) != 0:
            TLSMemoryBIOProtocol._flushSendBIO(self)

    def _flushReceiveBIO(self):
        """
        Deliver the application data of the records received, stopping
        once nothing is left to read rather than at the C{WantReadError}
        of one more read (nor reading at all after a handshake's last
        record); then send what reading made OpenSSL write.
        """
        if not FOLLOWS_TWISTED:
            BufferingTLSTransport._flushReceiveBIO(self)
            return
        connection = self._tlsConnection
        handles = self._handles
        while not self._lostTLSConnection:
            if handles is None:
                waiting = openssl.inputWaiting(connection)
            else:
                waiting = openssl.plaintextWaiting(handles)
            if waiting == 0:
                if not self._ending:
                    break
                if handles is not None and self._handshakeDone:
                    # The connection ended with nothing left to read and
                    # no close_notify read: Twisted's layer reads once
                    # more, pyOpenSSL raises OpenSSL's unexpected-EOF
                    # error, and the layer gives CONNECTION_LOST for it.
                    # That reason, without the read or the error.
                    self._endedWithoutCloseNotify()
                    break
            try:
                if handles is None:
                    data = connection.recv(2 ** 15)
                else:
                    data = openssl.readPlaintext(handles, connection, waiting)
            except WantReadError:
                break
            except ZeroReturnError:
                self._shutdownTLS()
                self._tlsShutdownFinished(None)
            except Error:
                self._tlsShutdownFinished(Failure())
            else:
                if not self._aborted:
                    self.wrappedProtocol.dataReceived(data)
        self._flushSendBIO()

    def _endedWithoutCloseNotify(self):
        """
        What C{_tlsShutdownFinished} does with OpenSSL's unexpected-EOF
        error, given L{_ENDED_WITHOUT_CLOSE_NOTIFY} as the reason it
        makes of that error.
        """
        self._leave()
        if self._reason is None:
            self._reason = _ENDED_WITHOUT_CLOSE_NOTIFY
        self._lostTLSConnection = True
        self._flushSendBIO()
        self.transport.loseConnection()

    def connectionLost(self, reason):
        """
        The connection ended: what is left in the buffers is read to its
        end as Twisted's layer does (its last read tells how TLS ended;
        with nothing left after the handshake, it ended without the
        peer's close_notify); a connection under C{AUTH TLS} lets go of
        the layer (L{starttls.forgetLayer}).

        @param reason: why.
        """
        self._leave()
        self._ending = True
        BufferingTLSTransport.connectionLost(self, reason)
        self._handles = None
        starttls.forgetLayer(self)

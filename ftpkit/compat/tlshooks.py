"""
L{TLSLayerHooks}: Twisted's TLS layer (L{TLSMemoryBIOProtocol}) with the
private steps a data connection's layer (L{ftpkit.data.tlslayer}) changes
turned into public methods to override. It reads and overrides:

    - C{TLSMemoryBIOProtocol._flushSendBIO}: the one place the layer sends
      the records OpenSSL wrote; here they go through L{sendRecords}, so
      that a data connection can hold its TLS 1.3 session tickets back;
    - C{_tlsShutdownFinished}, where the TLS connection ends, and
      C{_handshakeDone}: L{tlsEnded} is told, after Twisted's own work,
      whether it ended after the handshake, and L{handshakeDone} says
      whether it has completed;
    - C{_lostTLSConnection}: L{tlsLost}, whether the TLS connection has
      ended;
    - C{dataReceived} and C{_flushReceiveBIO}, replaced once the handshake
      is done by L{TLSLayerHooks.dataReceived}'s own reading
      (L{ftpkit.compat.openssl.readAvailable}), which reads
      C{_tlsConnection}, C{_appSendBuffer}, C{_aborted}, C{_shutdownTLS}
      and C{_tlsShutdownFinished} as Twisted's does: the records of one
      read from the socket are decrypted together and their plaintext
      delivered in one C{dataReceived}, where Twisted's layer delivers a
      record's at a time, each through pyOpenSSL's C{recv} and the
      protocols above (an upload's every record).

Fallback: where Twisted no longer calls C{_flushSendBIO} and
C{_tlsShutdownFinished}, the hooks are not called (tickets are sent at
once, and a transfer whose TLS failed midway fails once the stall
watchdog drops it); without C{_handshakeDone} and C{_lostTLSConnection},
the handshake counts as done and the TLS connection as not lost; without
the names the reading needs, Twisted's reading.
"""

from OpenSSL import SSL
from twisted.protocols.tls import TLSMemoryBIOProtocol
from twisted.python.failure import Failure

from ftpkit.compat import openssl

READ_SIZE = 1 << 20
"""The most plaintext delivered in one C{dataReceived}: as much as one
read from an upload's socket brings
(L{ftpkit.data.connection.UPLOAD_READ_SIZE}), whose records hold less."""

READS_IN_BULK = all(
    hasattr(TLSMemoryBIOProtocol, name) for name in (
        "_handshakeDone", "_lostTLSConnection", "_aborted", "_shutdownTLS",
        "_tlsShutdownFinished", "_flushSendBIO"))
"""Whether this Twisted's TLS layer still has the names
L{TLSLayerHooks.dataReceived} reads to decrypt in bulk (and
C{_appSendBuffer}, an instance's, is looked for on each layer)."""

_buffer = bytearray(READ_SIZE)
_view = memoryview(_buffer)
_pointer = openssl.bufferPointer(_buffer) if READS_IN_BULK else None


class TLSLayerHooks(TLSMemoryBIOProtocol):
    """
    Twisted's TLS layer, with L{sendRecords}, L{tlsEnded},
    L{handshakeDone} and L{tlsLost} in place of the private names they
    stand for, and fewer, larger deliveries of what it reads
    (L{dataReceived}).
    """

    _handles = None

    def dataReceived(self, data):
        """
        Give OpenSSL the records received and deliver what they hold, as
        Twisted's layer does; once the handshake is done, all their
        plaintext at once (up to L{READ_SIZE} a delivery), decrypted into
        one reused buffer with OpenSSL's own calls and copied out once.

        @param data: bytes of TLS records.
        """
        handles = self._handles
        if handles is None and self.handshakeDone:
            handles = self._handles = self._readingHandles()
        if (not handles or self._appSendBuffer or self._lostTLSConnection
                or not openssl.feedRecords(handles, data)):
            TLSMemoryBIOProtocol.dataReceived(self, data)
            return
        connection = self._tlsConnection
        while not self._lostTLSConnection:
            count, error = openssl.readAvailable(handles, connection,
                                                 _pointer, READ_SIZE)
            if count and not self._aborted:
                self.wrappedProtocol.dataReceived(bytes(_view[:count]))
            if error is None:
                if count < READ_SIZE:
                    break
            elif isinstance(error, SSL.ZeroReturnError):
                self._shutdownTLS()
                self._tlsShutdownFinished(None)
            else:
                self._tlsShutdownFinished(Failure(error))
        self._flushSendBIO()

    def _readingHandles(self):
        """
        @return: the L{openssl.memoryHandles} L{dataReceived} reads with,
            or C{False} when Twisted's layer has to read instead.
        """
        if _pointer is None or not hasattr(self, "_appSendBuffer"):
            return False
        return openssl.memoryHandles(self._tlsConnection) or False

    def _flushSendBIO(self):
        """
        Give what OpenSSL wrote to its outgoing buffer, if anything, to
        L{sendRecords}. (Overrides a private method of
        L{TLSMemoryBIOProtocol}.)
        """
        try:
            records = self.getHandle().bio_read(65536)
        except SSL.WantReadError:
            return
        self.sendRecords(records)

    def sendRecords(self, records):
        """
        Send TLS records to the transport below.

        @param records: the bytes OpenSSL wrote.
        """
        self.transport.write(records)

    def _tlsShutdownFinished(self, reason):
        """
        Twisted's end of the TLS connection, then L{tlsEnded}. (Overrides a
        private method of L{TLSMemoryBIOProtocol}.)

        @param reason: the failure, or C{None} for a clean end.
        """
        TLSMemoryBIOProtocol._tlsShutdownFinished(self, reason)
        self.tlsEnded(reason, self.handshakeDone)

    def tlsEnded(self, reason, afterHandshake):
        """
        The TLS connection ended (its alert, if any, already sent); nothing
        more to do here.

        @param reason: the failure, or C{None} for a clean end.
        @param afterHandshake: whether its handshake had completed.
        """

    @property
    def handshakeDone(self):
        """
        @return: whether the TLS handshake has completed (C{True} where
            this Twisted no longer says).
        """
        return getattr(self, "_handshakeDone", True)

    @property
    def tlsLost(self):
        """
        @return: whether the TLS connection has ended (the peer's fatal
            alert or close_notify, or this side's).
        """
        return getattr(self, "_lostTLSConnection", False)

"""
L{TLSLayerHooks}: Twisted's TLS layer (L{TLSMemoryBIOProtocol}) with the
private steps a data connection's layer (L{ftpkit.data.tls}) changes
turned into public methods to override. It reads and overrides:

    - C{TLSMemoryBIOProtocol._flushSendBIO}: the one place the layer sends
      the records OpenSSL wrote; here they go through L{sendRecords}, so
      that a data connection can hold its TLS 1.3 session tickets back;
    - C{_tlsShutdownFinished}, where the TLS connection ends, and
      C{_handshakeDone}: L{tlsEnded} is told, after Twisted's own work,
      whether it ended after the handshake;
    - C{_lostTLSConnection}: L{tlsLost}, whether the TLS connection has
      ended.

Fallback: where Twisted no longer calls the first two, the hooks are not
called (tickets are sent at once, and a transfer whose TLS failed
midway fails once the stall watchdog drops it); without the last two, the
handshake counts as done and the TLS connection as not lost.
"""

from OpenSSL import SSL
from twisted.protocols.tls import TLSMemoryBIOProtocol


class TLSLayerHooks(TLSMemoryBIOProtocol):
    """
    Twisted's TLS layer, with L{sendRecords}, L{tlsEnded} and L{tlsLost}
    in place of the private names they stand for.
    """

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
        self.tlsEnded(reason, getattr(self, "_handshakeDone", True))

    def tlsEnded(self, reason, afterHandshake):
        """
        The TLS connection ended (its alert, if any, already sent); nothing
        more to do here.

        @param reason: the failure, or C{None} for a clean end.
        @param afterHandshake: whether its handshake had completed.
        """

    @property
    def tlsLost(self):
        """
        @return: whether the TLS connection has ended (the peer's fatal
            alert or close_notify, or this side's).
        """
        return getattr(self, "_lostTLSConnection", False)

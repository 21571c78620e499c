"""
L{OpenRecords}: the records and replies of an open control connection's
TLS layer (L{ftpkit.compat.controltls.ControlTLSProtocol}), a command's
record read and a reply written each in one call of Python, with
OpenSSL's own calls (L{ftpkit.compat.openssl.recordCalls}).

It reads private names of Twisted and pyOpenSSL:

    - the layer's C{_handles}, C{_tlsConnection}, C{wrappedProtocol},
      C{transport} and C{_aggregator}, and its private steps
      C{_shutdownTLS}, C{_tlsShutdownFinished}, C{_flushReceiveBIO} and
      C{_bufferedWrite} (see L{ftpkit.compat.controltls});
    - C{_AggregateSmallWrites._buffer}, the writes the layer holds back,
      looked at before each reply rather than calling C{flush} for
      nothing; fallback: C{flush} every time;
    - C{SSL.Connection._raise_ssl_error}: the error of a read or a write
      that failed, as pyOpenSSL raises it;
    - C{tcp.Connection.dataBuffer}, C{_tempDataBuffer} and C{socket}:
      what L{ftpkit.compat.tlswrites} reads to send records at once,
      read here itself; fallback, as there: the records queued by
      Twisted.
"""

from OpenSSL.SSL import Error, WantReadError, ZeroReturnError
from twisted.python.failure import Failure

from ftpkit.compat import openssl, tlswrites
from ftpkit.compat.openssl import SCRATCH_SIZE

(_SSL_read, _SSL_write, _SSL_pending, _BIO_read, _BIO_write, _waiting,
 _NULL, _unpack, _allocate, _scratch) = openssl.recordCalls() or (None,) * 10
# As this module's names, each call a specialized global read.


class OpenRecords:
    """
    A layer's records and replies while it is open and nothing else goes
    on: handshake done, nothing buffered nor held back, not closing. It
    holds what each record and each reply needs, read here as attributes
    of a class without C{__getattr__}: on the layer, a C{ProtocolWrapper},
    CPython reads every attribute through C{ProtocolWrapper.__getattr__}'s
    hook (two more type lookups each) and specializes none. A record read
    and a reply written are each one call of Python here, OpenSSL's own
    calls made from it (L{openssl.recordCalls}), into a buffer shared by
    every layer, and the records sent as L{ftpkit.compat.tlswrites} sends
    them. The layer drops it at any step out of that state
    (C{ControlTLSProtocol._leave}); what follows takes the layer's general
    way, as if it had never been.

    @ivar open: whether the layer still uses it.
    """

    __slots__ = ("open", "_layer", "_ssl", "_incoming", "_outgoing",
                 "_connection", "_wrapped", "_held", "_flush", "_send",
                 "_tcp")

    def __init__(self, layer):
        """
        @param layer: the
            L{ftpkit.compat.controltls.ControlTLSProtocol}, open (see
            C{ControlTLSProtocol._enter}).
        """
        self.open = True
        self._layer = layer
        self._ssl, self._incoming, self._outgoing = layer._handles
        self._connection = layer._tlsConnection
        self._wrapped = layer.wrappedProtocol
        aggregator = layer._aggregator
        self._flush = aggregator.flush
        self._held = getattr(aggregator, "_buffer", None)
        if type(self._held) is not list:
            self._held = None
        below = layer.transport
        self._tcp, self._send = tlswrites.sendingAtOnce(below)
        if self._tcp is None:
            self._send = below.write

    def received(self, data):
        """
        C{ControlTLSProtocol.dataReceived}: give OpenSSL the records,
        deliver what they hold, send what reading made OpenSSL write.

        @param data: bytes of TLS records (never empty: TCP gives none).
        @return: whether OpenSSL took them (if not, nothing was done).
        """
        size = len(data)
        incoming = self._incoming
        if _BIO_write(incoming, data, size) != size:
            return False
        ssl = self._ssl
        while True:
            # The first read needs no look at the buffers first: records
            # were just given.
            result = _SSL_read(ssl, _scratch, SCRATCH_SIZE)
            if result > 0:
                self._wrapped.dataReceived(_unpack(_scratch, result))
            else:
                try:
                    self._connection._raise_ssl_error(ssl, result)
                except WantReadError:
                    break
                except ZeroReturnError:
                    self._layer._shutdownTLS()
                    self._layer._tlsShutdownFinished(None)
                except Error:
                    self._layer._tlsShutdownFinished(Failure())
            if not self.open:
                # What the records or the commands did took the layer out
                # of this state: the rest the general way.
                self._layer._flushReceiveBIO()
                return True
            if _waiting(incoming, _NULL) == 0 and _SSL_pending(ssl) == 0:
                break
        if _waiting(self._outgoing, _NULL) > 0:
            self._sendRecords()
        return True

    def write(self, data):
        """
        C{ControlTLSProtocol.writeAtOnce} of at most a record's worth.

        @param data: the bytes.
        """
        held = self._held
        if held is None or held:
            self._flush()
            if not self.open:
                self._layer._writeFlushed(data)
                return
        ssl = self._ssl
        result = _SSL_write(ssl, data, len(data))
        if result <= 0:
            try:
                self._connection._raise_ssl_error(ssl, result)
            except WantReadError:
                self._layer._bufferedWrite(data)
                return
            except Error:
                self._layer._tlsShutdownFinished(Failure())
                return
        self._sendRecords()

    def _sendRecords(self):
        """
        Send the records OpenSSL wrote: to the TCP socket at once when
        nothing is queued there, as L{tlswrites.sendRecordsAtOnce} set the
        layer up to, without the calls.
        """
        outgoing = self._outgoing
        size = _waiting(outgoing, _NULL)
        if size <= 0:
            return
        buffer = _scratch if size <= SCRATCH_SIZE else _allocate(
            "char[]", size)
        records = _unpack(buffer, _BIO_read(outgoing, buffer, size))
        tcp = self._tcp
        if tcp is None:
            self._send(records)
            return
        try:
            if (tcp.connected and not tcp.disconnecting
                    and not tcp.dataBuffer and not tcp._tempDataBuffer):
                records = records[tcp.socket.send(records):]
                if not records:
                    return
        except (AttributeError, OSError):
            pass
        self._send(records)

"""
The private names that a data connection's TLS layer
(L{ftpkit.data.tlslayer.DataTLSProtocol}) reads to encrypt a download's large
writes a few records at a time, into one buffer kept for every such
write, and to send the records to the socket at once when nothing is
queued (L{writeInBulk}):

    - C{TLSMemoryBIOProtocol._tlsConnection}, C{_handshakeDone},
      C{_lostTLSConnection}, C{_appSendBuffer} and C{_write}: whether the
      layer may encrypt now, and its own path for what it may not;
    - pyOpenSSL's binding (L{ftpkit.compat.openssl}: C{SSL_write},
      C{BIO_read}, the connection's handles and C{_raise_ssl_error}'s
      checks) and C{_ffi.from_buffer};
    - the C{tcp.Connection} under the layer: its C{socket},
      C{dataBuffer} and C{_tempDataBuffer} (L{ftpkit.compat.tcp.unqueued}).

Twisted's layer encrypts a record at a time, copies each out of OpenSSL
into a new bytes object through pyOpenSSL's wrappers (some ten
Python-level calls a record) and queues it for the reactor's next turn.
Here a write's plaintext goes to OpenSSL with no copy, and the records
of each L{PLAINTEXT_SIZE} of it come out together into one reused
buffer, and are sent from it in one call: only what the socket does not
take is copied, into bytes no larger than the buffer, and queued as
before. No write allocates memory the size of the write (a fresh large
allocation for every write or record is what moved glibc's thresholds
into trimming and faulting its heap back in on every write; see
docs/benchmark-history.rst).

Fallback: where any of these names is missing, Twisted's layer as it is
(L{writeInBulk} says it wrote nothing).
"""

from twisted.internet import tcp
from twisted.protocols.tls import TLSMemoryBIOProtocol

from ftpkit.compat import openssl

PLAINTEXT_SIZE = 4 * 16384
"""Plaintext whose records are sent in one call: four full TLS records."""

_BUFFER_SIZE = PLAINTEXT_SIZE + 4096
"""The records of L{PLAINTEXT_SIZE} bytes, with room for their headers,
tags and anything OpenSSL adds (a TLS 1.3 session ticket): one
C{BIO_read} takes them all. Below glibc's smallest threshold for
C{mmap} (128 KiB), so that a copy of it never maps memory."""

_ffi = getattr(openssl.SSL, "_ffi", None)
_usable = (openssl._lib is not None and openssl._bioMemData is not None
           and _ffi is not None and hasattr(_ffi, "from_buffer")
           and hasattr(TLSMemoryBIOProtocol, "_write"))

if _usable:
    _SSL_write = openssl._SSL_write
    _BIO_read = openssl._BIO_read
    _fromBuffer = _ffi.from_buffer
    _buffer = bytearray(_BUFFER_SIZE)
    _view = memoryview(_buffer)
    _pointer = _fromBuffer(_buffer)


def _connectionBelow(layer):
    """
    @return: the TCP connection right under C{layer}, or C{None}.
    """
    connection = getattr(layer, "transport", None)
    if isinstance(connection, tcp.Connection) and hasattr(
            connection, "_tempDataBuffer"):
        return connection
    return None


def _sendRecords(connection, size):
    """
    Send the first C{size} bytes of the shared buffer: to the socket at
    once when the connection queues nothing, else (and what the socket
    did not take) through the connection's queue, as a copy.

    @param connection: the L{tcp.Connection}.
    @param size: how many bytes of records the buffer holds.
    """
    view = _view[:size]
    if (connection.connected and not connection.disconnecting
            and not connection.dataBuffer
            and not connection._tempDataBuffer):
        try:
            sent = connection.socket.send(view)
        except OSError:
            # EAGAIN, or an error Twisted finds again on its next write
            # pass, and closes the connection for, as usual.
            sent = 0
        if sent == size:
            return
        view = view[sent:]
    connection.write(bytes(view))


def writeInBulk(layer, data):
    """
    Encrypt and send a large write on a TLS layer (see the module's
    docstring); what OpenSSL refuses (a handshake under way, a failed
    connection) goes on through Twisted's layer, which deals with it as
    it does with any write.

    @param layer: a L{TLSMemoryBIOProtocol} whose transport is a TCP
        connection, made with memory buffers.
    @param data: the bytes.
    @return: whether C{data} was written so; C{False} (nothing done) when
        the layer cannot encrypt at once or this pyOpenSSL or Twisted no
        longer offer the names read here.
    """
    if not _usable:
        return False
    try:
        tls = layer._tlsConnection
        if (layer._lostTLSConnection or layer._appSendBuffer
                or not layer._handshakeDone or layer.disconnecting):
            return False
    except AttributeError:
        return False
    handles = openssl.memoryHandles(tls)
    connection = _connectionBelow(layer)
    if handles is None or connection is None:
        return False
    ssl, outgoing = handles[0], handles[2]
    source = _fromBuffer(data)
    total = len(data)
    done = 0
    while done < total:
        end = min(total, done + PLAINTEXT_SIZE)
        # pyOpenSSL's contexts allow partial writes: each SSL_write
        # makes one record and returns. Their records go out together.
        while done < end:
            wrote = _SSL_write(ssl, source + done, end - done)
            if wrote <= 0:
                _sendMade(outgoing, connection)
                TLSMemoryBIOProtocol._write(layer, data[done:])
                return True
            done += wrote
        _sendMade(outgoing, connection)
    return True


def _sendMade(outgoing, connection):
    """
    Send the records waiting in the layer's outgoing memory BIO, a buffer
    at a time.

    @param outgoing: the BIO's handle.
    @param connection: the L{tcp.Connection} under the layer.
    """
    while True:
        size = _BIO_read(outgoing, _pointer, _BUFFER_SIZE)
        if size <= 0:
            return
        _sendRecords(connection, size)
        if size < _BUFFER_SIZE:
            return

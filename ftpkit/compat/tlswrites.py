"""
The private names of Twisted's TLS layer (L{TLSMemoryBIOProtocol}) and of
the transport C{startTLS} gives it that ftpkit reads so that a reply, and
a closing connection's last records, leave in the turn that made them
rather than on the reactor's next.

    - The transport C{startTLS} gives the TLS layer (Twisted's
      C{_BypassTLS}, with the connection as C{_connection}), replaced by
      one that sends each TLS record at once when nothing is queued
      (L{sendRecordsAtOnce}), as L{ftpkit.compat.tcp.sendNow} does for
      plain connections; and C{TLSMemoryBIOProtocol.write} called past the
      layer's C{_aggregator} (L{writeThroughTLS}), so that a reply is
      encrypted now rather than on the reactor's next turn; fallback:
      Twisted's queue (two more turns of the reactor per reply).
    - The C{tcp.Connection} buffers, its C{doWrite} (called as the reactor
      would once the socket is writable), the C{transport} under a
      C{ProtocolWrapper} (an C{ssl:} listener's TLS layer, a
      PROXY-protocol wrapper) and the TLS layer's C{_aggregator}: sending a
      control reply to the socket before a transfer's data moves
      (L{sendQueued}); fallback: Twisted sends it on its next write pass (a
      small download's C{150} may then follow its data, and arrive with
      its C{226}).
    - The TLS layer's C{_tlsConnection}, C{_appSendBuffer} and
      C{_producer}: whether closing a control connection under TLS has
      sent everything, its close_notify included, so that the TCP
      connection can be closed at once (L{closeTLSAtOnce}); fallback: on
      the reactor's next turn.
    - A TCP connection's C{TLS} and C{protocol}, and the layer's
      C{transport}: the transport under a connection's TLS layer
      (L{underTLS}); fallback: none found (replies go through the layer).
    - The layer's C{_handshakeDone}: whether its handshake is still to
      finish (L{handshakePending}), so that closing does not cut the TCP
      connection under a handshake the replies wait for; fallback: done.
"""

from functools import partial

from twisted.internet import tcp
from twisted.protocols.tls import TLSMemoryBIOProtocol

from ftpkit.compat.openssl import SSL, recordsWaiting
from ftpkit.compat.starttls import flushTLSWrites, tlsLayer
from ftpkit.compat.tcp import closeAtOnce, unqueued


def _sendOrQueue(connection, queue, data):
    """
    Send C{data} on a TCP connection now if nothing is queued there, what
    the socket does not take (or everything, otherwise) through C{queue}.

    @param connection: the TCP connection.
    @param queue: Twisted's write of the transport above it.
    @param data: bytes of TLS records.
    """
    try:
        # unqueued() and sendNow(), without the two calls: this is every
        # record of a control connection.
        if (connection.connected and not connection.disconnecting
                and not connection.dataBuffer
                and not connection._tempDataBuffer):
            data = data[connection.socket.send(data):]
            if not data:
                return
    except (AttributeError, OSError):
        pass
    queue(data)


class _SendsAtOnce:
    """
    What a TLS layer started by C{startTLS} writes its records to, in place
    of Twisted's own (which queues every record for the reactor's next
    turn): a record goes to the socket at once when the connection has
    nothing queued; what the socket does not take, or a record written
    while something is queued, goes through Twisted's, in order.

    @ivar below: Twisted's transport of the layer.
    @ivar connection: the TCP connection.
    @ivar write: send bytes of TLS records now if possible, else queue
        them (L{_sendOrQueue}). Bound when made, not a method: CPython
        reads every attribute of an instance of a class with
        C{__getattr__} through it, never specialized, and a method would
        read C{connection} and C{below} so for each record.
    """

    def __init__(self, below, connection):
        self.below = below
        self.connection = connection
        self.write = partial(_sendOrQueue, connection, below.write)

    def __getattr__(self, name):
        return getattr(self.below, name)

    # Named here, as every session calls them: reached through
    # __getattr__, each would first make and drop an AttributeError.

    def loseConnection(self):
        """
        Close the connection, as the transport below does.
        """
        return self.below.loseConnection()

    def registerProducer(self, producer, streaming):
        """
        Register a producer, as the transport below does.

        @param producer: the producer.
        @param streaming: whether it is a streaming one.
        """
        return self.below.registerProducer(producer, streaming)

    def unregisterProducer(self):
        """
        Unregister the producer, as the transport below does.
        """
        return self.below.unregisterProducer()

    def writeSequence(self, iovec):
        """
        L{write} the pieces joined.

        @param iovec: a sequence of bytes.
        """
        self.write(b"".join(iovec))


def sendingAtOnce(below):
    """
    @param below: the transport under a TLS layer.
    @return: C{(connection, queue)} when it is one L{sendRecordsAtOnce}
        made: the TCP connection its records go to at once when nothing is
        queued there, and Twisted's write that queues them otherwise
        (L{_sendOrQueue}'s arguments); else C{(None, None)}.
    """
    if type(below) is not _SendsAtOnce:
        return None, None
    return below.connection, below.below.write


def _layerAndConnection(transport):
    """
    @param transport: a control connection's transport.
    @return: C{(layer, connection)}: its TLS layer and the TCP connection
        under it, for an implicit-TLS transport (the layer itself, over a
        TCP connection) or one L{tlsLayer} finds; else C{(None, None)}.
    """
    if isinstance(transport, TLSMemoryBIOProtocol):
        below = transport.transport
        if isinstance(below, _SendsAtOnce):
            below = below.connection
        if isinstance(below, tcp.Connection):
            return transport, below
        return None, None
    layer = tlsLayer(transport)
    if layer is None:
        return None, None
    return layer, transport


def sendRecordsAtOnce(transport):
    """
    Make the TLS layer of a control connection (C{startTLS}'s, or the
    implicit-TLS listener's) send its records at once when nothing is
    queued (see L{_SendsAtOnce}): a handshake's flight and each reply leave
    in the turn that made them.

    @param transport: a control connection's transport, under TLS.
    """
    layer, connection = _layerAndConnection(transport)
    if layer is None:
        return
    below = layer.transport
    if isinstance(below, _SendsAtOnce):
        return
    if below is not connection and getattr(
            below, "_connection", None) is not connection:
        return
    layer.transport = _SendsAtOnce(below, connection)


def writeThroughTLS(transport, data):
    """
    Write on a control connection under TLS, encrypting now: past the TLS
    layer's aggregation of small writes, which would wait for the reactor's
    next turn (a control reply is the one write of its turn); what the
    layer already holds goes first.

    @param transport: the transport.
    @param data: the bytes.
    @return: whether they were written so; C{False} (nothing written) for
        a transport with no such layer, or one no longer open.
    """
    layer, connection = _layerAndConnection(transport)
    if layer is None or not connection.connected or not hasattr(
            layer, "_aggregator"):
        return False
    flushTLSWrites(layer)
    TLSMemoryBIOProtocol.write(layer, data)
    return True


def sendQueued(transport):
    """
    Send to the socket now what a connection's transport holds back: the
    small writes a TLS layer aggregates until the reactor's next turn, and
    the bytes a TCP transport queues until its next write pass. What the
    socket does not take stays queued, in order, as before.

    @param transport: a connection's transport: a TCP one (with or without
        C{startTLS}), or wrappers over one (an C{ssl:} listener's TLS
        layer, a PROXY-protocol wrapper).
    @return: whether nothing is left queued (C{False} also when this cannot
        be told, on a Twisted that renamed these private names).
    """
    while not isinstance(transport, tcp.Connection):
        flushTLSWrites(transport)
        transport = getattr(transport, "transport", None)
        if transport is None:
            return False
    try:
        if transport.TLS:
            flushTLSWrites(transport.protocol)
        if transport.disconnecting or not transport.connected:
            return False
        if transport.dataBuffer or transport._tempDataBuffer:
            # An error is left for the reactor: the socket stays registered
            # for writing, so its next write pass finds it again and closes
            # the connection as usual.
            transport.doWrite()
        return not (transport.dataBuffer or transport._tempDataBuffer)
    except AttributeError:
        return False


def closeTLSAtOnce(transport):
    """
    Close the TCP connection under a TLS layer now, as L{closeAtOnce} does,
    once its C{loseConnection} has sent everything: the replies and this
    side's close_notify (L{sendRecordsAtOnce} sends them at once when
    nothing is queued); the reactor would close it on its next turn, after
    an C{epoll_ctl} to watch the socket for writing.

    @param transport: a control connection's transport, under TLS, whose
        C{loseConnection} was called.
    @return: whether the connection was closed; C{False} (nothing done)
        when something is still to be sent, the close_notify was not, the
        layer cannot be closed under itself while it reads (only
        L{ftpkit.control.tlslayer.ControlTLSProtocol} can, its
        C{closesAtOnce} says), or this cannot be told.
    """
    layer, connection = _layerAndConnection(transport)
    if (layer is None or not getattr(layer, "closesAtOnce", False)
            or not unqueued(connection)):
        return False
    tls = getattr(layer, "_tlsConnection", None)
    if (tls is None or getattr(layer, "_appSendBuffer", True)
            or getattr(layer, "_producer", True) is not None
            or not tls.get_shutdown() & SSL.SENT_SHUTDOWN
            or recordsWaiting(tls) != 0):
        return False
    closeAtOnce(connection)
    return True


def underTLS(transport):
    """
    The transport under a connection's TLS layer: under the
    L{TLSMemoryBIOProtocol} that an implicit-TLS listener puts first, or
    under the one C{startTLS} (C{AUTH TLS}) puts in a TCP connection as its
    C{protocol} (Twisted's C{_newtls}).

    @param transport: a connection's transport.
    @return: the transport below its TLS layer, or C{None} when it has
        none (or this cannot be told).
    """
    layer = transport
    if not isinstance(layer, TLSMemoryBIOProtocol):
        if not getattr(transport, "TLS", False):
            return None
        layer = getattr(transport, "protocol", None)
        if not isinstance(layer, TLSMemoryBIOProtocol):
            return None
    return getattr(layer, "transport", None)


def handshakePending(transport):
    """
    @param transport: a connection's transport.
    @return: whether it is under a TLS layer (L{underTLS}) whose handshake
        has not finished: what is written waits for it, in the layer.
    """
    layer = transport
    if not isinstance(layer, TLSMemoryBIOProtocol):
        layer = getattr(transport, "protocol", None)
        if not (getattr(transport, "TLS", False)
                and isinstance(layer, TLSMemoryBIOProtocol)):
            return False
    return not getattr(layer, "_handshakeDone", True)

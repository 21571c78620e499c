"""
L{writeNow}: send a control reply straight away when nothing is queued;
L{closeNow}: close a control connection straight away likewise;
L{writeBeforeData}: send a reply to the socket before a transfer starts;
L{holdReplies}: under TLS, the last replies and the close alert in one
send; L{tuneControlSocket}: the socket options a control connection needs.

Twisted's TCP transport queues every write and sends it on the next turn
of the reactor, registering the socket for writing (one C{epoll_ctl})
and unregistering it after the send (another). A session writes two or
three short replies per transferred file, so for small files that
bookkeeping is a visible share of the work (C{docs/benchmark-history.rst}).
"""

import socket

from ftpkit.compat import (
    TunedConnection,
    closeAtOnce,
    closeTLSAtOnce,
    handshakePending,
    queueIsEmpty,
    sendAtOnce,
    sendQueued,
    underTLS,
    writeThroughTLS,
)
from ftpkit.compat.controltls import ControlTLSProtocol


def closeNow(transport):
    """
    Close a connection: at once when it is a plain TCP connection with
    nothing waiting to be sent, as Twisted itself does once the write side
    is already shut; otherwise with C{loseConnection}, which closes after
    the queued bytes on a later turn of the reactor. Ending a session after
    C{QUIT} then costs no extra reactor turn and no C{epoll_ctl} round.

    Under TLS, the connection closes once the replies and the TLS close
    alert are sent, without waiting for the client's own alert (Twisted
    waits for it, so a client that did not answer it, idle or busy, kept
    the connection open until it was cut): at once when they were sent at
    once (L{ftpkit.compat.closeTLSAtOnce}).

    @param transport: the transport of a connection (with no producer
        registered: a TLS layer does not close while one is).
    """
    if queueIsEmpty(transport):
        closeAtOnce(transport)
        return
    transport.loseConnection()
    if handshakePending(transport):
        # The replies wait in the layer for the handshake (an implicit-TLS
        # client refused as its session starts gets its 421 under TLS):
        # closing below would stop reading its ClientHello, and it read
        # the end of the connection. The close timeout bounds the wait.
        return
    below = underTLS(transport)
    if below is not None and not closeTLSAtOnce(transport):
        below.loseConnection()


def writeNow(transport, data):
    """
    Write C{data} on C{transport}, sending at once what the socket takes
    when the transport is a plain TCP connection with nothing queued, and
    queueing the rest (or everything, otherwise) with C{transport.write};
    under TLS, encrypted at once (by ftpkit's layer,
    L{ftpkit.control.tlslayer.ControlTLSProtocol.writeAtOnce}, or past
    Twisted's aggregation, L{ftpkit.compat.writeThroughTLS}), the records
    sent at once when the layer was set up to
    (L{ftpkit.compat.sendRecordsAtOnce}). Bytes always go out in the order
    they were written.

    @param transport: the transport of a connection.
    @param data: the bytes to send.
    @return: whether the socket took C{data} whole at once, with nothing
        queued before it (a plain TCP connection's usual course).
    """
    if type(transport) is ControlTLSProtocol:
        transport.writeAtOnce(data)
        return False
    left = sendAtOnce(transport, data)
    if left is None:
        writeUnsent(transport, data)
    elif left:
        transport.write(left)
    else:
        return True
    return False


def writeUnsent(transport, data):
    """
    L{writeNow}'s course for C{data} that L{sendAtOnce} did not send (it
    returned C{None}): under TLS, encrypted at once; otherwise queued.

    @param transport: the transport of a connection.
    @param data: the bytes to send.
    """
    if type(transport) is ControlTLSProtocol:
        transport.writeAtOnce(data)
        return
    if getattr(transport, "TLS", False):
        layer = getattr(transport, "protocol", None)
        if type(layer) is ControlTLSProtocol:
            layer.writeAtOnce(data)
            return
    if not writeThroughTLS(transport, data):
        transport.write(data)


def writeBeforeData(transport, data):
    """
    Write C{data} with L{writeNow}, then send to the socket at once what
    is still held back (under TLS, everything is: the TLS layer aggregates
    small writes until the reactor's next turn, and the TCP transport
    queues them until its next write pass). A transfer's preliminary reply
    is then on the wire before its data connection carries a byte, as
    other servers send it; held back, it would leave with the final reply
    of a small file in one segment.

    A plain TCP transport whose socket took C{data} whole, with nothing
    queued before it, holds nothing back: the usual 150 returns without
    the look at what is held back.

    @param transport: the transport of a control connection.
    @param data: the bytes to send.
    """
    if not writeNow(transport, data):
        sendQueued(transport)


def _controlLayer(transport):
    """
    @param transport: the transport of a control connection.
    @return: its L{ControlTLSProtocol} (the transport itself, for an
        implicit-TLS listener's, or the layer C{AUTH TLS} put under it), or
        C{None}.
    """
    if type(transport) is ControlTLSProtocol:
        return transport
    if getattr(transport, "TLS", False):
        layer = getattr(transport, "protocol", None)
        if type(layer) is ControlTLSProtocol:
            return layer
    return None


def holdReplies(transport):
    """
    Make a control connection's TLS layer (L{ControlTLSProtocol}) encrypt
    the replies written from now on but hold their records in OpenSSL's
    buffer, to leave with the next records it sends: closing the
    connection next (C{QUIT}'s C{221}, then L{closeNow}) sends them and the
    TLS close alert in one C{send}, one TCP segment, instead of two. The
    caller ends the hold with the layer's C{sendHeld}, which sends whatever
    is still held.

    @param transport: the transport of a control connection.
    @return: the layer now holding replies back, or C{None} (no such
        layer: nothing changed).
    """
    layer = _controlLayer(transport)
    if layer is not None:
        layer.hold()
    return layer


def tuneControlSocket(transport):
    """
    Clients send ABOR as TCP urgent data (RFC 959 section 4.1.3); keep
    that byte in the stream so the line stays whole. Replies go out at
    once (no Nagle delay): a client waits for each one. A connection
    accepted from a listener set so (L{TunedConnection}) has both
    already.

    @param transport: the transport of a new control connection (any
        other kind, without a TCP socket, is left as it is).
    """
    try:
        if type(transport.getHandle()) is TunedConnection:
            return
        transport.setTcpNoDelay(True)
        transport.getHandle().setsockopt(
            socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
    except (AttributeError, OSError):
        pass

"""
Every name private to Twisted or pyOpenSSL that ftpkit relies on, in one
place, each with a fallback that keeps ftpkit working (more slowly, or
more strictly) when a new release renames it. C{tests/integration/test_compat.py}
checks each against the installed versions and fails loudly, naming the
name, when one changed.

    - C{tcp.Connection.dataBuffer}, C{_tempDataBuffer}, C{TLS}, C{socket}
      and its C{connectionLost}, called as the reactor would: whether a
      plain TCP transport has nothing queued, so that a short reply can be
      sent, or a connection closed, at once (L{ftpkit.control.sockets}; and
      L{ftpkit.data.tls.DataTLSProtocol}, which closes a data connection the
      peer half-closed too early as the reactor would); fallback: never at
      once (Twisted's own queue).
    - C{OpenSSL.SSL._lib.SSL_session_reused} and C{Connection._ssl}:
      whether a TLS handshake resumed a session
      (C{--tls-require-session-reuse}); fallback: "not resumed" (data
      connections are refused rather than let through unchecked).
    - C{tcp.Connection.TLS}, its C{protocol} while TLS is on (the
      L{TLSMemoryBIOProtocol} C{startTLS} put there), the
      C{getHandle}/C{getPeerCertificate} C{startTLS} set on it, and the
      layer's C{_aggregator} of small writes (Twisted's
      C{BufferingTLSTransport}): taking the TLS layer away again for
      C{CCC} (L{ftpkit.control.ccc}); fallback: C{CCC} is refused.
    - The transport C{startTLS} gives the TLS layer (Twisted's
      C{_BypassTLS}, with the connection as C{_connection}), replaced by
      one that sends each TLS record at once when nothing is queued
      (L{sendRecordsAtOnce}), as L{sendNow} does for plain connections;
      and C{TLSMemoryBIOProtocol.write} called past the layer's
      C{_aggregator} (L{writeThroughTLS}), so that a reply is encrypted
      now rather than on the reactor's next turn; fallback: Twisted's
      queue (two more turns of the reactor per reply).
    - C{OpenSSL.SSL._lib.SSL_CTX_set_session_id_context} and
      C{Context._context}: giving the context of a control connection that
      ended a new session ID context (pyOpenSSL refuses to change a context
      once used), so that a later control connection can use it and no
      session cached before can be resumed (L{ftpkit.control.tlspool});
      fallback: a new context for every control connection.
    - C{TLSMemoryBIOProtocol._flushSendBIO}, which
      L{ftpkit.data.tls.DataTLSProtocol} overrides to send a data connection's
      TLS 1.3 session tickets late; fallback: they are sent at once (and
      clients that never read an upload's connection may cut it short).
    - C{TLSMemoryBIOProtocol._lostTLSConnection} and C{_handshakeDone},
      which L{ftpkit.data.tls.DataTLSProtocol} reads, and its
      C{_tlsShutdownFinished}, which it overrides, to drop a data
      connection whose TLS failed mid-transfer, or a download whose TLS
      connection ended while its producer still writes; fallback (the names
      gone): such a transfer still fails, once the stall watchdog drops it
      (and a download's producer may read the rest of its file for
      nothing).
    - The same C{tcp.Connection} buffers, its C{doWrite} (called as the
      reactor would once the socket is writable), the C{transport} under a
      C{ProtocolWrapper} (an C{ssl:} listener's TLS layer, a PROXY-protocol
      wrapper) and the TLS layer's C{_aggregator}: sending a control reply
      to the socket before a transfer's data moves (L{sendQueued});
      fallback: Twisted sends it on its next write pass (a small download's
      C{150} may then follow its data, and arrive with its C{226}).
    - C{FileDescriptor._writeDisconnected}: whether a TCP transport that
      was asked to C{loseWriteConnection} sent its last byte and its FIN
      (L{writeSideClosed}); fallback: "not sent" (a download whose client
      reset the connection while the server waited for its FIN counts as
      aborted).
    - C{OpenSSL.SSL._lib.BIO_get_mem_data}, C{_ffi.NULL} and a
      connection's memory buffers C{_from_ssl} and C{_into_ssl}: how many
      bytes of TLS records wait to be sent or read (L{recordsWaiting},
      L{inputWaiting}), so that the control connection's TLS layer
      (L{ftpkit.control.tlslayer}) need not raise C{WantReadError} to learn
      there are none; and the C{TLSMemoryBIOProtocol} names that layer
      follows (C{_creatorCallable}, C{_connectWrapped},
      C{_checkHandshakeStatus}, C{_flushReceiveBIO}, C{_shutdownTLS},
      C{_tlsShutdownFinished}, C{_lostTLSConnection}, C{_aborted});
      fallback: Twisted's layer as it is.
    - What Twisted's C{startTLS} does to a TCP connection (its C{protocol},
      C{producer}, C{streamingProducer}, C{TLS}, C{getHandle},
      C{getPeerCertificate}, C{_tlsClientDefault}, and C{_BypassTLS}),
      followed by L{startTLSWith} to put the control connection's own TLS
      layer under it; fallback: C{startTLS} with Twisted's layer.
    - The TLS layer's C{_tlsConnection}, C{_appSendBuffer} and
      C{_producer}: whether closing a control connection under TLS has
      sent everything, its close_notify included, so that the TCP
      connection can be closed at once (L{closeTLSAtOnce}); fallback: on
      the reactor's next turn.
    - C{ReactorBase.threadCallQueue}, which the reactor empties at the
      start of its next turn, once the events of this one are handled:
      running a call there (L{afterThisTurn}) costs no timed call;
      fallback (and while the queue holds calls): C{callLater(0)} (a timed
      call, run at the same point).
    - C{EPollReactor._poller}, the reactor's C{epoll} object, whose
      descriptor polls readable whenever the reactor has an event to
      handle (L{readyDescriptor}): a download's lingering close waits for
      its client in place while the reactor has nothing else to do
      (L{ftpkit.data.linger}); fallback: it always waits in the reactor.
    - Python's own C{socket.socket._accept} (a listener's accept without
      the wrapper class), for a passive data connection accepted as a
      bare C{_socket.socket} (L{acceptBare}); fallback: C{accept}, and
      its wrapper.
"""

import _socket
import os
import select
import socket

from twisted.internet import main, tcp
from twisted.internet.abstract import FileDescriptor
from twisted.internet.interfaces import ISSLTransport, ITLSTransport
from twisted.logger import Logger
from twisted.protocols.tls import TLSMemoryBIOProtocol
from twisted.python.failure import Failure
from zope.interface import (
    directlyProvidedBy,
    directlyProvides,
    noLongerProvides,
)

try:
    from OpenSSL import SSL
except ImportError:  # pragma: no cover (pyOpenSSL is a dependency)
    SSL = None

try:
    from twisted.internet._newtls import _BypassTLS
except ImportError:  # pragma: no cover (a Twisted that renamed it)
    _BypassTLS = None

_log = Logger()

def queueIsEmpty(transport):
    """
    @param transport: a connection's transport.
    @return: whether it is an open, plain (no TLS) Twisted TCP connection
        with nothing waiting to be sent; C{False} when this cannot be told
        (a Twisted that renamed its private attributes).
    """
    if not isinstance(transport, tcp.Connection):
        return False
    try:
        return (not transport.TLS and transport.connected
                and not transport.disconnecting and not transport.dataBuffer
                and not transport._tempDataBuffer)
    except AttributeError:
        return False


def sendAtOnce(transport, data):
    """
    Send C{data} to the socket at once, bypassing Twisted's queue, when
    L{queueIsEmpty} is true of C{transport}: L{queueIsEmpty} and
    L{sendNow} in one call, for the control replies that make it for each
    command.

    @param transport: a connection's transport.
    @param data: the bytes.
    @return: what the socket did not take (C{b""} when it took
        everything), or C{None} when nothing was sent because
        L{queueIsEmpty} is false: the caller queues C{data} then.
    """
    if not isinstance(transport, tcp.Connection):
        return None
    try:
        if (transport.TLS or not transport.connected
                or transport.disconnecting or transport.dataBuffer
                or transport._tempDataBuffer):
            return None
        sent = transport.socket.send(data)
    except AttributeError:
        return None
    except OSError:
        sent = 0
    return data[sent:]


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


def writeSideClosed(transport):
    """
    @param transport: a TCP transport that was asked to
        C{loseWriteConnection}.
    @return: whether it has sent everything written to it and then shut
        its sending side; C{False} when this cannot be told.
    """
    return getattr(transport, "_writeDisconnected", False) is True


def afterThisTurn(reactor, function, *args):
    """
    Run C{function(*args)} once the reactor has handled every event of the
    current turn, as C{reactor.callLater(0, ...)} does, but without making
    a timed call (each costs its creation and a heap push and pop). Called
    from the reactor thread only: nothing wakes the reactor, which runs
    the call when it next turns.

    @param reactor: the reactor (or any L{IReactorTime}: without
        C{threadCallQueue}, or while it holds calls, C{callLater(0)} is
        used).
    @param function: the callable.
    @param args: its arguments.
    """
    queue = getattr(reactor, "threadCallQueue", None)
    if queue is None or queue:
        # A queue with calls in it may be the one the reactor is running
        # now: one added to it then would make the reactor wake itself up
        # (a write and a read of its waker) to run it.
        reactor.callLater(0, function, *args)
    else:
        queue.append((function, args, {}))


def acceptBare(listening, family):
    """
    Accept a connection as C{listening.accept()} does, as the bare
    C{_socket.socket} under Python's L{socket.socket} class: the class's
    C{accept} looks the listener's family and type up again as enums and
    builds a wrapper for every connection, a dozen Python-level calls that
    a passive data connection (one per small file) does not need; the
    bare socket has every method a data connection uses.

    @param listening: a listening TCP socket.
    @param family: its address family (looked up once by the caller).
    @return: C{(socket, address)}, the socket non-blocking.
    @raise OSError: as C{accept} does (C{BlockingIOError} when none is
        queued).
    """
    accept = getattr(listening, "_accept", None)
    if accept is None:  # The name is gone: the wrapper.
        connection, address = listening.accept()
    else:
        fd, address = accept()
        try:
            connection = _socket.socket(family, socket.SOCK_STREAM,
                                        listening.proto, fd)
        except BaseException:
            os.close(fd)
            raise
    connection.setblocking(False)
    return connection, address


def readyDescriptor(reactor):
    """
    @param reactor: a reactor.
    @return: a descriptor that polls readable whenever the reactor has an
        event ready to handle (the C{epoll} reactor's own C{epoll}
        descriptor: ready while any descriptor it watches is), or C{None}
        for a reactor without one.
    """
    poller = getattr(reactor, "_poller", None)
    epoll = getattr(select, "epoll", None)
    if epoll is None or type(poller) is not epoll:
        return None
    try:
        return poller.fileno()
    except ValueError:
        return None


def sendNow(transport, data):
    """
    Send what the socket of a transport for which L{queueIsEmpty} is true
    takes at once, bypassing Twisted's queue.

    @param transport: the transport.
    @param data: the bytes.
    @return: how many bytes went (0 when the socket took none or is not
        reachable).
    """
    sock = getattr(transport, "socket", None)
    if sock is None:
        return 0
    try:
        return sock.send(data)
    except OSError:
        return 0


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


_CONNECTION_DONE = Failure(main.CONNECTION_DONE)


def closeAtOnce(transport):
    """
    Close a transport now, as the reactor does when it sees the connection
    end (no reactor turn, no C{epoll_ctl} round); what it still queues is
    dropped, so callers that must not lose it check L{queueIsEmpty} first.

    The reason given is one L{Failure} shared by every such close: it
    wraps Twisted's one C{CONNECTION_DONE} exception, as the reactor's
    own would, and has no traceback to clean. Making one per close, and
    the list of its type's names that the transport reads at once (a
    shared one keeps it), was work repeated for every session.

    @param transport: the transport.
    """
    transport.stopReading()
    transport.stopWriting()
    transport.connectionLost(_CONNECTION_DONE)


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
            or not _unqueued(connection)):
        return False
    tls = getattr(layer, "_tlsConnection", None)
    if (tls is None or getattr(layer, "_appSendBuffer", True)
            or getattr(layer, "_producer", True) is not None
            or not tls.get_shutdown() & SSL.SENT_SHUTDOWN
            or recordsWaiting(tls) != 0):
        return False
    closeAtOnce(connection)
    return True


def sessionReusedAvailable():
    """
    @return: whether L{sessionReused} can tell (pyOpenSSL still exposes
        C{SSL_session_reused} through its binding).
    """
    lib = getattr(SSL, "_lib", None)
    return hasattr(lib, "SSL_session_reused")


def sessionReused(connection):
    """
    @param connection: an L{OpenSSL.SSL.Connection} whose handshake has
        completed.
    @return: whether the handshake resumed an earlier session; C{False}
        (logged) when this pyOpenSSL no longer lets ftpkit tell.
    """
    # pyOpenSSL has no public wrapper for SSL_session_reused; its binding
    # library exposes the OpenSSL function itself.
    lib = getattr(SSL, "_lib", None)
    handle = getattr(connection, "_ssl", None)
    if handle is None or not hasattr(lib, "SSL_session_reused"):
        _log.error("this pyOpenSSL does not expose SSL_session_reused: "
                   "TLS session reuse cannot be checked, so data "
                   "connections are refused (see ftpkit.compat)")
        return False
    return bool(lib.SSL_session_reused(handle))


def renameSessionContext(context, name):
    """
    Set the session ID context of an OpenSSL context already used: the
    connections it makes from now on resume only sessions cached under
    that name (OpenSSL checks it before resuming any session).

    @param context: an L{OpenSSL.SSL.Context}.
    @param name: the new name, bytes (at most 32).
    @return: whether it was set; C{False} when this pyOpenSSL no longer
        lets ftpkit reach it.
    """
    lib = getattr(SSL, "_lib", None)
    handle = getattr(context, "_context", None)
    if handle is None or not hasattr(lib, "SSL_CTX_set_session_id_context"):
        return False
    return lib.SSL_CTX_set_session_id_context(handle, name, len(name)) == 1


def tlsLayer(transport):
    """
    The TLS layer C{startTLS} put under a TCP transport (C{AUTH TLS}), for
    L{ftpkit.control.ccc} to take away again: Twisted has no C{stopTLS}.

    @param transport: a control connection's transport.
    @return: the L{TLSMemoryBIOProtocol} that is the transport's
        C{protocol} while its C{TLS} flag is set, or C{None} when the
        transport is not such a one (an C{ssl:} listener's, or a Twisted
        that renamed these private names: C{CCC} is then refused).
    """
    if not isinstance(transport, tcp.Connection) or not getattr(
            transport, "TLS", False):
        return None
    layer = getattr(transport, "protocol", None)
    if not isinstance(layer, TLSMemoryBIOProtocol) or not hasattr(
            layer, "wrappedProtocol"):
        return None
    if type(layer) is not TLSMemoryBIOProtocol and not hasattr(
            getattr(layer, "_aggregator", None), "flush"):
        return None
    return layer


def _unqueued(connection):
    """
    @param connection: a Twisted TCP connection (TLS on or not).
    @return: whether it is open with nothing queued to send.
    """
    try:
        return (connection.connected and not connection.disconnecting
                and not connection.dataBuffer
                and not connection._tempDataBuffer)
    except AttributeError:
        return False


class _SendsAtOnce:
    """
    What a TLS layer started by C{startTLS} writes its records to, in place
    of Twisted's own (which queues every record for the reactor's next
    turn): a record goes to the socket at once when the connection has
    nothing queued; what the socket does not take, or a record written
    while something is queued, goes through Twisted's, in order.

    @ivar below: Twisted's transport of the layer.
    @ivar connection: the TCP connection.
    """

    def __init__(self, below, connection):
        self.below = below
        self.connection = connection

    def __getattr__(self, name):
        return getattr(self.below, name)

    def write(self, data):
        """
        Send C{data} now if possible, else queue it.

        @param data: bytes of TLS records.
        """
        if _unqueued(self.connection):
            data = data[sendNow(self.connection, data):]
            if not data:
                return
        self.below.write(data)

    def writeSequence(self, iovec):
        """
        L{write} the pieces joined.

        @param iovec: a sequence of bytes.
        """
        self.write(b"".join(iovec))


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


def flushTLSWrites(layer):
    """
    Encrypt and send what a TLS layer from L{tlsLayer} holds back to
    aggregate small writes (a reply just written), so that it goes out
    before the layer is taken away.

    @param layer: the layer.
    """
    aggregator = getattr(layer, "_aggregator", None)
    if aggregator is not None:
        aggregator.flush()


def dropTLSLayer(transport, protocol):
    """
    Make a transport for which L{tlsLayer} gave a layer plain again: its
    bytes go to and come from C{protocol} unencrypted.

    @param transport: the transport.
    @param protocol: the protocol above the TLS layer.
    """
    transport.TLS = False
    transport.protocol = protocol
    for name in ("getHandle", "getPeerCertificate"):
        transport.__dict__.pop(name, None)
    if ISSLTransport in directlyProvidedBy(transport):
        noLongerProvides(transport, ISSLTransport)


def writePlain(transport, data):
    """
    Write bytes to a transport for which L{tlsLayer} gave a layer, past
    that layer.

    @param transport: the transport.
    @param data: the bytes.
    """
    FileDescriptor.write(transport, data)


_bioMemData = getattr(getattr(SSL, "_lib", None), "BIO_get_mem_data", None)
_NULL = getattr(getattr(SSL, "_ffi", None), "NULL", None)
if _NULL is None:  # pragma: no cover (a pyOpenSSL without its ffi)
    _bioMemData = None


def recordsWaiting(connection):
    """
    @param connection: an L{SSL.Connection} made with memory buffers (no
        socket), or C{None}.
    @return: how many bytes of TLS records OpenSSL wrote that wait to be
        read from it (C{bio_read}) and sent; C{None} when this cannot be
        told (no such connection, a pyOpenSSL that renamed its private
        names).
    """
    bio = getattr(connection, "_from_ssl", None)
    if bio is None or _bioMemData is None:
        return None
    return _bioMemData(bio, _NULL)


def inputWaiting(connection):
    """
    @param connection: an L{SSL.Connection} made with memory buffers (no
        socket), or C{None}.
    @return: how many bytes a C{recv} could still work on: received TLS
        records not yet read from the incoming buffer, and application
        data OpenSSL decrypted and holds; C{None} when this cannot be told.
    """
    bio = getattr(connection, "_into_ssl", None)
    if bio is None or _bioMemData is None:
        return None
    return _bioMemData(bio, _NULL) + connection.pending()


def startTLSWith(transport, layerFactory):
    """
    Start TLS on a TCP connection as its C{startTLS} does, server side,
    with a layer from C{layerFactory} instead of Twisted's own.

    @param transport: the connection's transport: a Twisted TCP connection
        (the server's side, without TLS).
    @param layerFactory: a server-side L{TLSMemoryBIOFactory}; its
        C{protocol} is the layer, put under the connection's protocol.
    @return: whether TLS was started so; C{False} (nothing done) when this
        Twisted's C{startTLS} cannot be followed, or the transport is not
        such a connection.
    """
    if (_BypassTLS is None or not isinstance(transport, tcp.Connection)
            or not ITLSTransport.providedBy(transport)
            or getattr(transport, "TLS", True)
            or getattr(transport, "_tlsClientDefault", True)
            or not hasattr(transport, "producer")
            or not hasattr(transport, "streamingProducer")):
        return False
    producer, streaming = transport.producer, transport.streamingProducer
    if producer is not None:
        transport.unregisterProducer()
    layer = layerFactory.protocol(layerFactory, transport.protocol, False)
    transport.protocol = layer
    transport.getHandle = layer.getHandle
    transport.getPeerCertificate = layer.getPeerCertificate
    directlyProvides(transport, ISSLTransport)
    transport.TLS = True
    layer.makeConnection(_BypassTLS(FileDescriptor, transport))
    if producer is not None:
        transport.registerProducer(producer, streaming)
    return True

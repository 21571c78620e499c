"""
The private names of Twisted's TCP transport (C{tcp.Connection}) that
ftpkit reads to send a short reply, or close a connection, at once rather
than on the reactor's next turn.

    - C{tcp.Connection.dataBuffer}, C{_tempDataBuffer}, C{TLS}, C{socket}
      and its C{connectionLost}, called as the reactor would: whether a
      plain TCP transport has nothing queued, so that a short reply can be
      sent, or a connection closed, at once (L{queueIsEmpty},
      L{sendAtOnce}, L{sendNow}, L{closeAtOnce}; used by
      L{ftpkit.control.sockets}, and by L{ftpkit.data.tlslayer.DataTLSProtocol},
      which closes a data connection the peer half-closed too early as the
      reactor would); fallback: never at once (Twisted's own queue).
    - C{tcp.Connection.dataBuffer}, C{offset} and C{_tempDataBuffer} of
      a connection that ended: whether it still held bytes it never wrote
      to its socket, which Twisted drops (L{heldUnsent}; used by
      L{ftpkit.data.connection.DataConnection}, so that a download whose
      client's FIN ended it with its bytes still queued is not taken for
      complete); fallback: nothing held.
    - The same names and C{_tempDataLen} of a TCP transport under a data
      connection's TLS layer: how many bytes of records it still holds
      (L{queuedBytes}), so that one holding only its close_notify counts
      as having sent every data record (an C{ABOR} then completes the
      download); fallback: not known (the close_notify must be sent too).
    - C{FileDescriptor.disconnected}, which the transport sets as its
      connection ends, before it stops its producer and tells its
      protocol: whether the connection under a data connection has ended
      though the protocol has not heard yet (L{transportEnded}; used by
      L{ftpkit.data.connection.DataConnection.ending}, so that a
      download's send stopped by that end is judged once the end is
      known); fallback: not ended (the send's failure stands).
    - C{tcp.Server.client}, the address C{accept} gave, which the
      server transport's C{getPeer} builds an address object from at
      every call: the client's host without that object (L{peerHost}; used
      by L{ftpkit.control.clientname}, once a session); fallback:
      C{getPeer().host}.
    - C{FileDescriptor._writeDisconnected}: whether a TCP transport that
      was asked to C{loseWriteConnection} sent its last byte and its FIN
      (L{writeSideClosed}); fallback: "not sent" (a download whose client
      reset the connection while the server waited for its FIN counts as
      aborted).
"""

from twisted.internet import main, tcp
from twisted.python.failure import Failure


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


def peerHost(transport):
    """
    @param transport: a connection's transport.
    @return: its C{getPeer().host}, or C{None} for a peer without one (a
        Unix socket's); for Twisted's own TCP server transport (its exact
        class: a wrapper or a subclass may name another peer) read from
        the address C{accept} gave, with no address object made.
    """
    if type(transport) is tcp.Server:
        client = getattr(transport, "client", None)
        if type(client) is tuple and client and type(client[0]) is str:
            return client[0]
    return getattr(transport.getPeer(), "host", None)


def heldUnsent(transport):
    """
    @param transport: a connection's transport, open or ended.
    @return: whether it is a plain (no TLS) Twisted TCP transport holding
        bytes it has not written to its socket (once the connection ended,
        bytes it dropped); C{False} when this cannot be told.
    """
    if not isinstance(transport, tcp.Connection):
        return False
    try:
        return bool(not transport.TLS and (
            len(transport.dataBuffer) > transport.offset
            or transport._tempDataBuffer))
    except AttributeError:
        return False


def queuedBytes(transport):
    """
    @param transport: a connection's transport, open or ended.
    @return: how many bytes it holds that it has not written to its socket
        (once the connection ended, that it dropped), for a Twisted TCP
        transport (TLS on or not: then bytes of records); C{None} when this
        cannot be told.
    """
    if not isinstance(transport, tcp.Connection):
        return None
    try:
        return (len(transport.dataBuffer) - transport.offset
                + transport._tempDataLen)
    except AttributeError:
        return None


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


def unqueued(connection):
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


def transportEnded(transport):
    """
    @param transport: a connection's transport.
    @return: whether it is a Twisted TCP transport whose connection has
        ended, its protocol told or about to be (the transport stops its
        producer first); C{False} when this cannot be told.
    """
    if not isinstance(transport, tcp.Connection):
        return False
    return bool(getattr(transport, "disconnected", False))


def writeSideClosed(transport):
    """
    @param transport: a TCP transport that was asked to
        C{loseWriteConnection}.
    @return: whether it has sent everything written to it and then shut
        its sending side; C{False} when this cannot be told.
    """
    return getattr(transport, "_writeDisconnected", False) is True


_UNSEEN = object()
"""What L{SharedReason}'s table of answers holds for types not asked yet."""


class SharedReason(Failure):
    """
    A L{Failure} made once and given as the reason of many connections'
    ends (L{closeAtOnce}'s, a TLS end without the peer's close_notify).
    It never changes, so what its C{check} answers for given types is
    kept: Twisted's works out each type's qualified name again at every
    call (C{reflect.qual}), and Twisted's TCP transport asks it at every
    close (C{tcp.Connection.connectionLost}: C{ConnectionAborted}).
    """

    _answers = None

    def check(self, *errorTypes):
        """
        @param errorTypes: exception classes, or their qualified names.
        @return: what L{Failure.check} returns for them: the first that
            this failure's exception is an instance of, or C{None}.
        """
        answers = self._answers
        if answers is None:
            answers = self._answers = {}
        answer = answers.get(errorTypes, _UNSEEN)
        if answer is _UNSEEN:
            answer = answers[errorTypes] = Failure.check(self, *errorTypes)
        return answer


_CONNECTION_DONE = SharedReason(main.CONNECTION_DONE)


def closeAtOnce(transport):
    """
    Close a transport now, as the reactor does when it sees the connection
    end (no reactor turn, no C{epoll_ctl} round); what it still queues is
    dropped, so callers that must not lose it check L{queueIsEmpty} first.

    The reason given is one L{SharedReason} shared by every such close:
    it wraps Twisted's one C{CONNECTION_DONE} exception, as the reactor's
    own would, and has no traceback to clean. Making one per close, and
    the list of its type's names that the transport reads at once (a
    shared one keeps it, and the answer the transport's C{check} of it
    gets), was work repeated for every session.

    The transport's C{connectionLost} stops reading and writing itself
    (C{FileDescriptor.connectionLost}), before it closes the socket:
    stopping them here first, as the reactor does, made each removal
    twice, the second finding nothing to remove.

    It closes a connection once: called again while it closes it (a
    producer that the close stops, whose callbacks close the same
    connection), or after, it does nothing. Twisted's C{connectionLost}
    only checks that the socket is not gone yet, which it is not while
    the producer stops: it ran twice, the first ending with
    C{AttributeError: ... no attribute 'socket'}. C{disconnected}, which
    it sets first of all, says it has begun (a transport without one is
    closed as before).

    @param transport: a L{tcp.Connection}.
    """
    if not getattr(transport, "disconnected", False):
        transport.connectionLost(_CONNECTION_DONE)

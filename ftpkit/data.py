"""
The data channel: passive listeners, active connects and the protocol of
one data connection.

A session owns at most one L{DataChannel}. PASV/EPSV make it listen,
PORT/EPRT make it remember where to connect; a transfer command then asks
it for a L{DataConnection} with L{DataChannel.connect}.
"""

import functools
import ipaddress
import socket
import struct

from twisted.internet import defer, error
from twisted.internet.interfaces import IHandshakeListener
from twisted.internet.protocol import ClientFactory, Factory, Protocol
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from ftpkit.datatls import receivedCloseNotify
from ftpkit.descriptors import closeSocket
from ftpkit.errors import CannotOpenDataConnection, TransferAborted
from ftpkit.passive import PASSIVE_BACKLOG, PassiveListener
from ftpkit.proxieddata import readProxyHeader

_EARLY_DATA_LIMIT = 1 << 20
UPLOAD_READ_SIZE = 1 << 20
"""Bytes read from the socket at once while receiving an upload."""


@functools.lru_cache(maxsize=4096)
def normalizeHost(host):
    """
    Reduce an address to a comparable form (IPv4-mapped IPv6 to IPv4).
    Cached: the same few addresses come back for every data connection.

    @param host: an IPv4 or IPv6 address as text.
    @return: the canonical text form, or C{host} unchanged if unparsable.
    """
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


class _DataConnectionBase:
    """
    What every kind of data connection has: a watchdog that drops it when
    no byte has moved for C{_timeout} seconds (neither received nor sent by
    the session's transfer over it, whose C{bytesMoved()} counts
    C{sendfile} progress), and L{whenLost}.

    Subclasses set C{_reactor}, C{_timeout}, C{_currentTransfer},
    C{bytesReceived}, C{lostReason} and C{_lostWaiters}, and provide
    C{abort()} and C{_peerText()}.

    @ivar timedOut: the watchdog dropped the connection.
    """

    log = Logger()
    bare = False
    timedOut = False
    _watchCall = None

    def whenLost(self):
        """
        @return: a Deferred firing with the reason (an exception, such as
            L{error.ConnectionDone}) once the connection has ended (at once
            if it already has).
        """
        if self.lostReason is not None:
            return defer.succeed(self.lostReason)
        waiter = defer.Deferred()
        self._lostWaiters.append(waiter)
        return waiter

    def _ended(self, reason):
        """
        Stop the watchdog and tell everyone waiting in L{whenLost}.

        @param reason: why the connection ended (an exception).
        """
        self._stopWatch()
        self.lostReason = reason
        waiters, self._lostWaiters = self._lostWaiters, []
        for waiter in waiters:
            waiter.callback(reason)

    def watch(self):
        """
        Start the watchdog, unless it runs already or the connection has
        ended.
        """
        if self._watchCall is None and self.lostReason is None:
            self._startWatch()

    def _startWatch(self):
        self._lastMoved = self._bytesMoved()
        self._lastMovedAt = self._reactor.seconds()
        self._watchCall = self._reactor.callLater(self._timeout / 4,
                                                  self._watch)

    def _stopWatch(self):
        call, self._watchCall = self._watchCall, None
        if call is not None and call.active():
            call.cancel()

    def _transfer(self):
        transfer = self._currentTransfer()
        if transfer is not None and transfer.connection is self:
            return transfer
        return None

    def _bytesMoved(self):
        transfer = self._transfer()
        if transfer is None:
            return self.bytesReceived
        return self.bytesReceived + transfer.bytesMoved()

    def _watch(self):
        self._watchCall = None
        moved = self._bytesMoved()
        now = self._reactor.seconds()
        if moved != self._lastMoved:
            self._lastMoved, self._lastMovedAt = moved, now
        elif now - self._lastMovedAt >= self._timeout:
            self._stalled()
            return
        self._watchCall = self._reactor.callLater(self._timeout / 4,
                                                  self._watch)

    def _stalled(self):
        peer = self._peerText()
        self.log.warn("data connection from {peer} idle for {timeout}s; "
                      "closing", peer=peer, timeout=self._timeout)
        self.timedOut = True
        transfer = self._transfer()
        if transfer is not None:
            transfer.mover.abort()
        self.abort()



@implementer(IHandshakeListener)
class DataConnection(_DataConnectionBase, Protocol):
    """
    One data connection. It reads nothing into a file until a transfer
    gives it a sink; bytes that arrive before are held (bounded).

    A watchdog drops the connection when no byte has moved for C{timeout}
    seconds: neither received, nor sent by the session's transfer over it
    (its C{bytesMoved()}, which counts C{sendfile} progress too).

    Under TLS (PROT P) its transport is an L{ftpkit.datatls.DataTLSProtocol},
    which answers the client's handshake as soon as the connection is
    made.

    @ivar lostReason: why the connection ended, once it has.
    @ivar tlsRefused: the TLS policy refused the handshake (say, the
        session was not resumed); the connection is dropped unused.
    @ivar outgoing: the server connected out (PORT/EPRT); it is still the
        TLS server (RFC 4217 section 9).
    """

    log = Logger()
    tlsRefused = False
    outgoing = False
    _handshakeDone = False
    _finishing = False

    def __init__(self, onMade, reactor, timeout, currentTransfer, tls=None):
        """
        @param onMade: called with this protocol once it is connected.
        @param reactor: an L{IReactorTime} for the watchdog.
        @param timeout: seconds without progress before the connection is
            dropped.
        @param currentTransfer: returns the session's running transfer (an
            object with C{connection}, C{mover} and C{bytesMoved()}),
            or C{None}.
        @param tls: the session's L{ftpkit.datatls.DataTLS} when the
            connection is under TLS, else C{None}.
        """
        self.lostReason = None
        self._lostWaiters = []
        self._handshakeWaiters = []
        self._tls = tls
        self._onMade = onMade
        self._sink = None
        self._early = []
        self._earlySize = 0
        self.bytesReceived = 0
        self._reactor = reactor
        self._timeout = timeout
        self._currentTransfer = currentTransfer

    def connectionMade(self):
        """
        Start the watchdog and report the connection to the channel that
        expects it.
        """
        self._startWatch()
        self._onMade(self)

    @property
    def isSecure(self):
        """
        @return: whether TLS protects this connection.
        """
        return self._tls is not None

    @property
    def socketTransport(self):
        """
        @return: the transport of the TCP connection itself (under TLS, the
            one beneath the TLS layer).
        """
        if self.isSecure:
            return self.transport.transport
        return self.transport

    def handshakeCompleted(self):
        """
        Ask the TLS policy whether this connection may carry data; drop it
        at once (unsent data discarded) if not.
        """
        if not self._tls.acceptHandshake(self.transport.getHandle()):
            self.log.warn("data connection TLS handshake refused (no "
                          "session reuse); dropping it")
            self.tlsRefused = True
            self.abort()
            return
        if self._tls.holdsTickets:
            self.transport.holdTickets()
        self._handshakeDone = True
        waiters, self._handshakeWaiters = self._handshakeWaiters, []
        for waiter in waiters:
            waiter.callback(None)

    def dataReceived(self, data):
        """
        Pass uploaded bytes to the sink, or hold them until there is one.
        """
        if self.tlsRefused:
            return
        self.bytesReceived += len(data)
        if self._sink is not None:
            self._sink.write(data)
            return
        self._early.append(data)
        self._earlySize += len(data)
        if self._earlySize > _EARLY_DATA_LIMIT:
            self.transport.pauseProducing()

    def receiveInto(self, consumer):
        """
        Write everything the client sends to C{consumer}, with backpressure.

        @param consumer: an L{IConsumer}.
        @return: a Deferred firing when the client closed the connection
            cleanly, failing with L{TransferAborted} otherwise.
        """
        self._sink = consumer
        if hasattr(self.socketTransport, "bufferSize"):
            self.socketTransport.bufferSize = UPLOAD_READ_SIZE
        consumer.registerProducer(self.transport, True)
        early, self._early = self._early, []
        for chunk in early:
            consumer.write(chunk)
        self.transport.resumeProducing()
        return self.whenLost().addCallback(self._checkClean)

    def _checkClean(self, reason):
        consumer, self._sink = self._sink, None
        consumer.unregisterProducer()
        if not isinstance(reason, error.ConnectionDone):
            raise TransferAborted()

    def finish(self):
        """
        Close after every written byte is sent (and, under TLS, after the
        TLS shutdown). Under TLS a connection whose handshake is not over
        (nothing was sent: an empty file or listing) is closed once it is:
        closed before, the client would get no TLS stream at all, where an
        empty one is the answer.

        @return: a Deferred firing when the connection is closed, failing
            with L{TransferAborted} unless it closed cleanly: under TLS,
            the client's close_notify arrived, or it ended the TCP
            connection in order after the server's close_notify (see
            L{ftpkit.datatls.DataTLSProtocol.closedInOrder}).
        """
        self._finishing = True
        if self.isSecure and not self._handshakeDone:
            waiter = defer.Deferred()
            waiter.addCallback(lambda _: self.transport.loseConnection())
            self._handshakeWaiters.append(waiter)
        else:
            self.transport.loseConnection()
        return self.whenLost().addCallback(self._checkFinished)

    def _checkFinished(self, reason):
        if not isinstance(reason, error.ConnectionDone):
            raise TransferAborted()
        return reason

    def abort(self):
        """
        Drop the connection at once (a reset), discarding unsent data;
        nothing once it has ended (a TLS transport has dropped its TLS
        connection then, and aborting it would raise).
        """
        if self.lostReason is not None:
            return
        self.transport.abortConnection()

    def closeInOrder(self):
        """
        End the connection at once with a FIN, not a reset (ABOR): what
        the kernel holds still goes out, the transport's buffer is dropped,
        and a client still reading sees the end of the data. An upload
        being received is aborted instead: it must fail, and bytes left
        unread would turn any close into a reset anyway.
        """
        if self.lostReason is not None:
            return
        sock = getattr(self.transport, "socket", None)
        if self._sink is not None or sock is None:
            self.abort()
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            self.abort()
            return
        # The reactor now sees the end of the stream (or a failing write)
        # and closes the socket in order.
        self.transport.startReading()

    def connectionLost(self, reason):
        """
        Stop the watchdog and tell everyone waiting in L{whenLost}.
        """
        lost = reason.value
        self._handshakeWaiters = []
        if self.isSecure and not self.tlsRefused and (
                receivedCloseNotify(self.transport.getHandle())
                or (self._finishing and self.transport.closedInOrder)):
            # The client ended its TLS stream cleanly (close_notify): all
            # it sent arrived, whatever TCP did next (a reset for the
            # session ticket it never read, say). Or, for a download, it
            # closed in order after the server's close_notify, which
            # follows the last byte: it read everything.
            lost = error.ConnectionDone()
        self._ended(lost)

    def _peerText(self):
        return getattr(self.transport.getPeer(), "host", "unknown")


class LeanConnection(_DataConnectionBase):
    """
    A passive data connection used only to send a file with C{sendfile} or
    receive one with C{splice}: the accepted socket itself, with no Twisted
    transport around it, since building and tearing one down is most of
    the cost of sending a small file, and since both move the bytes without
    passing them through Python. L{ftpkit.movers} asks for one (and uses
    it).

    Its watchdog starts only when a transfer has to wait for the socket
    (L{watch}): a small file sent at once never needs one.

    @ivar socket: the connected, non-blocking socket.
    @ivar user: what moves bytes over the socket, or C{None}: before the
        socket is dropped, its C{stopWaiting()} takes it out of the
        reactor; after, its C{connectionAborted()} ends its transfer; its
        C{receiving} says whether it receives an upload.
    """

    bare = True
    isSecure = False
    bytesReceived = 0
    user = None
    _held = False
    _abortPending = False

    def __init__(self, sock, reactor, timeout, currentTransfer):
        """
        @param sock: the accepted socket.
        @param reactor: an L{IReactorTime} for the watchdog.
        @param timeout: seconds without progress before it is dropped.
        @param currentTransfer: see L{DataConnection.__init__}.
        """
        self.socket = sock
        self.lostReason = None
        self._lostWaiters = []
        self._reactor = reactor
        self._timeout = timeout
        self._currentTransfer = currentTransfer

    def finish(self):
        """
        Close: the kernel sends what is left, then the end of the data.

        @return: a Deferred firing once closed, failing with
            L{TransferAborted} if the connection was dropped before.
        """
        if self.lostReason is not None:
            return defer.fail(TransferAborted())
        closeSocket(self._reactor, self.socket)
        self._ended(error.ConnectionDone())
        return defer.succeed(None)

    def hold(self):
        """
        A disk thread is about to use the socket: until L{release}, an
        L{abort} waits, so that the descriptor is not closed (and reused)
        under it.
        """
        self._held = True

    def release(self):
        """
        The disk thread is done with the socket: carry out an L{abort}
        asked for meanwhile.

        @return: whether it did.
        """
        self._held = False
        if not self._abortPending:
            return False
        self._abortPending = False
        self.abort()
        return True

    def abort(self):
        """
        Drop the connection at once (a reset), discarding unsent data; the
        transfer using it fails. While a disk thread uses the socket (see
        L{hold}), the socket is closed only once it is done.
        """
        if self.lostReason is not None:
            return
        if self._held:
            self._abortPending = True
            return
        user = self.user
        if user is not None:
            user.stopWaiting()
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        except OSError:
            pass
        closeSocket(self._reactor, self.socket)
        self._ended(error.ConnectionAborted())
        if user is not None:
            user.connectionAborted()

    def closeInOrder(self):
        """
        End the connection at once with a FIN, not a reset (ABOR of a
        download whose writer has stopped): what the kernel holds still
        goes out first. An upload is aborted instead (see
        L{DataConnection.closeInOrder}).
        """
        if self.lostReason is not None:
            return
        user = self.user
        if self._held or (user is not None and user.receiving):
            self.abort()
            return
        if user is not None:
            user.stopWaiting()
        closeSocket(self._reactor, self.socket)
        self._ended(error.ConnectionAborted())
        if user is not None:
            user.connectionAborted()

    def _peerText(self):
        try:
            peer = self.socket.getpeername()
        except OSError:
            return "unknown"
        return peer[0] if isinstance(peer, tuple) else str(peer)


class _AdoptingFactory(Factory):
    """
    Builds the L{DataConnection} for a passive socket adopted as a Twisted
    transport.
    """

    noisy = False

    def __init__(self, channel, tls):
        self.channel = channel
        self.tls = tls

    def buildProtocol(self, addr):
        """The data connection for the adopted socket."""
        return self.channel.buildConnection(self.tls)


class _ActiveFactory(ClientFactory):
    """
    Connects back to the client for PORT/EPRT.
    """

    noisy = False

    def __init__(self, channel, tls):
        self.channel = channel
        self.tls = tls

    def buildProtocol(self, addr):
        """The data connection to the client."""
        connection = self.channel.buildConnection(self.tls)
        connection.outgoing = True
        return connection

    def clientConnectionFailed(self, connector, reason):
        """The connect failed: the transfer gets 425."""
        self.channel.connectionFailed(reason)


class DataChannel:
    """
    The (at most one) pending or open data connection of a session.

    @ivar peerHost: the control connection's peer, normalised; the only
        address a data connection may come from or go to.
    @ivar connection: the L{DataConnection} once there is one.
    """

    log = Logger()
    _accepted = None
    _lean = False
    _tls = None

    def __init__(self, reactor, localHost, peerHost, timeout,
                 currentTransfer=lambda: None, pool=None, proxyHost=None,
                 dataTLS=lambda: None):
        """
        @param reactor: provides IReactorTCP and IReactorTime.
        @param localHost: the control connection's local address; passive
            listeners bind to it.
        @param peerHost: the control connection's peer address.
        @param timeout: seconds to wait for a data connection, and that a
            data connection may go without moving a byte.
        @param currentTransfer: returns the session's running transfer, or
            C{None} (see L{DataConnection}).
        @param pool: the server's L{ftpkit.listenerpool.ListenerPool},
            where listeners done with go and new ones come from; without
            one, each listener is closed once done with.
        @param proxyHost: for a session that came through a load balancer
            (L{ftpkit.proxied}), the balancer's address: a passive
            connection from it must start with a PROXY header naming the
            client (L{ftpkit.proxieddata}); C{None} otherwise.
        @param dataTLS: returns the session's L{ftpkit.datatls.DataTLS} while
            PROT P is in force, else C{None}: a passive connection arriving
            then is put under TLS at once, so that a client may complete
            its handshake before it sends the transfer command (aioftp
            does).
        """
        self._dataTLS = dataTLS
        self._pool = pool
        self.proxyHost = None if proxyHost is None else normalizeHost(
            proxyHost)
        self._headers = set()
        self.reactor = reactor
        self.localHost = localHost
        self.peerHost = normalizeHost(peerHost)
        self.timeout = timeout
        self.connection = None
        self.claimed = False
        self._port = None
        self._active = None
        self._waiting = None
        self._timer = None
        self._currentTransfer = currentTransfer

    def buildConnection(self, tls=None):
        """
        @param tls: see L{DataConnection.__init__}.
        @return: a new L{DataConnection} reporting to this channel.
        """
        return DataConnection(self.connectionMade, self.reactor,
                              self.timeout, self._currentTransfer, tls)

    def listen(self, portRange=None):
        """
        Open a passive listener, replacing whatever was set up before.

        Without a configured port range, a listener of the server's
        L{ftpkit.listenerpool.ListenerPool} is reused when there is one,
        after refusing whatever connected to it meanwhile; otherwise a new
        one is bound. It closes after C{timeout} seconds unless a transfer
        uses it.

        @param portRange: C{(low, high)} inclusive, or C{None} for any.
        @return: the port number listened on.
        @raise CannotOpenDataConnection: when no port could be bound.
        """
        timer, self._timer = self._timer, None
        self.close()
        self.claimed = False
        port = None
        if self._pool is not None and portRange is None:
            port = self._pool.take(self.localHost)
        if port is not None:
            port.onAccept = self._passiveAccepted
            port.discardQueued(self._refuse)
        else:
            try:
                port = PassiveListener.listen(self.reactor,
                                              self._passiveAccepted,
                                              self.localHost, portRange)
            except CannotOpenDataConnection:
                if timer is not None and timer.active():
                    timer.cancel()
                raise
        self._port = port
        if self._dataTLS() is not None:
            # Under PROT P the connection is taken when it arrives, to
            # answer its handshake (see L{_passiveAccepted}).
            port.startReading()
        if timer is not None and timer.active():
            # The timer of the last listener, pushed back: cheaper than a
            # new one.
            timer.reset(self.timeout)
            self._timer = timer
        else:
            self._timer = self.reactor.callLater(self.timeout, self._expire)
        return port.port

    def _refuse(self, sock, address):
        """
        Close a connection left queued on a listener being reused: a
        stranger's (logged), or a stale one of the client's.
        """
        if normalizeHost(address[0]) != self.peerHost:
            self._logStranger(address)
        sock.close()

    def _logStranger(self, address):
        self.log.warn(
            "refused passive data connection from {stranger} "
            "(control peer is {peer}): possible port theft",
            stranger=address[0], peer=self.peerHost,
        )

    def _passiveAccepted(self, sock, address):
        """
        A passive connection arrived: keep it (unadopted until a transfer
        says what it needs) if it is the first from the control peer; one
        through the session's load balancer is judged by the client its
        PROXY header names.
        """
        if self.proxyHost is not None and (
                normalizeHost(address[0]) == self.proxyHost):
            reading = readProxyHeader(self.reactor, sock, self.timeout)
            self._headers.add(reading)
            reading.addBoth(self._headerRead, reading, sock, address)
            return
        self._judge(sock, address)

    def _headerRead(self, result, reading, sock, address):
        """
        Judge a proxied passive connection by the client its header names
        (by the balancer's own address when it names none).
        """
        self._headers.discard(reading)
        if isinstance(result, Failure):
            if not result.check(defer.CancelledError):
                self.log.warn("refused passive data connection from"
                              " {proxy}: {why}", proxy=address[0],
                              why=result.getErrorMessage())
            sock.close()
            return
        self._judge(sock, result.source or address)

    def _judge(self, sock, address):
        """
        Keep C{sock} if it is the first connection from the control peer.

        @param sock: the accepted socket.
        @param address: the address it comes from, C{(host, port)}.
        """
        if normalizeHost(address[0]) != self.peerHost:
            self._logStranger(address)
            sock.close()
            return
        if self.claimed:
            sock.close()
            return
        self.claimed = True
        self._stopListening(release=True)
        self._accepted = sock
        if self._waiting is not None:
            self._useAccepted()
            return
        tls = self._dataTLS()
        if tls is not None:
            # PROT P: no bare connection can be wanted, and the client
            # may start its handshake before the command.
            self._tls, self._lean = tls, False
            self._useAccepted()

    def _acceptQueued(self):
        """
        Accept the connections already queued on the passive listener,
        refusing strangers, until the client's own is found.
        """
        for _ in range(PASSIVE_BACKLOG + 1):
            if self._port is None or not self._port.acceptOne():
                return

    def _useAccepted(self):
        """
        Hand the accepted socket to the waiting transfer: bare, for a lean
        transfer, or adopted as a Twisted transport (under TLS when
        C{_tls} says so).
        """
        sock, self._accepted = self._accepted, None
        if self._lean:
            self.connection = LeanConnection(
                sock, self.reactor, self.timeout, self._currentTransfer)
            self._deliver()
            return
        factory = _AdoptingFactory(self, self._tls)
        if self._tls is not None:
            factory = self._tls.wrapFactory(factory)
        try:
            self.reactor.adoptStreamConnection(
                sock.fileno(), sock.family, factory)
        except OSError:
            self._fail("Data connection closed")
        finally:
            sock.close()

    def connectTo(self, host, port):
        """
        Remember where to connect for the next transfer (PORT/EPRT),
        replacing whatever was set up before.
        """
        self.close()
        self._active = (host, port)

    @property
    def isSetUp(self):
        """
        @return: whether PASV/EPSV/PORT/EPRT prepared a connection.
        """
        return (self._port is not None or self._active is not None
                or self.connection is not None or self._accepted is not None)

    def connect(self, tlsContextFactory=None, lean=False):
        """
        Get the data connection for a transfer.

        @param tlsContextFactory: secure the connection with it (PROT P):
            an L{ftpkit.datatls.DataTLS}, or C{None}.
        @param lean: the transfer only sends a file with C{sendfile} or
            receives one with C{splice}; a passive connection may then come
            as a L{LeanConnection}.
        @return: a Deferred firing with a L{DataConnection} (or
            L{LeanConnection}), failing with L{CannotOpenDataConnection}.
        """
        connection = self.connection
        if connection is not None and connection.lostReason:
            self.connection = None
            return defer.fail(
                CannotOpenDataConnection("Data connection closed"))
        if connection is not None and (
                connection.isSecure != (tlsContextFactory is not None)):
            # Put under TLS on arrival, then PROT C (or the reverse).
            self.close()
            return defer.fail(CannotOpenDataConnection(
                "Protection level changed after the data connection "
                "was opened"))
        if not self.isSetUp:
            return defer.fail(
                CannotOpenDataConnection("Use PORT or PASV first"))
        waiting = self._waiting = defer.Deferred()
        self._tls = tlsContextFactory
        self._lean = lean and tlsContextFactory is None
        if self._accepted is not None:
            self._useAccepted()
        elif self.connection is not None:
            self._deliver()
        elif self._port is not None:
            self._acceptQueued()
            if self._port is not None:
                self._port.startReading()
                self._cancelTimer()
                self._timer = self.reactor.callLater(self.timeout, self._expire)
        elif self._active is not None:
            host, port = self._active
            self._active = None
            factory = _ActiveFactory(self, tlsContextFactory)
            if tlsContextFactory is not None:
                factory = tlsContextFactory.wrapFactory(factory)
            self.reactor.connectTCP(
                host, port, factory, timeout=self.timeout,
                bindAddress=(normalizeHost(self.localHost), 0))
        return waiting

    def connectionMade(self, connection):
        """
        Called by the factories when a data connection arrives.
        """
        self.connection = connection
        if self._waiting is not None:
            self._deliver()

    def connectionFailed(self, reason):
        """
        Called when an active connect fails.
        """
        self._fail("Can't open data connection")

    def _deliver(self):
        # The timer is left to run out (harmlessly: there is no listener
        # left to close), so that the next listen can push it back.
        waiting, self._waiting = self._waiting, None
        connection, self.connection = self.connection, None
        waiting.callback(connection)

    def _fail(self, message):
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            waiting.errback(CannotOpenDataConnection(message))

    def _expire(self):
        self._timer = None
        self._stopListening()
        self._fail("Data connection timed out")

    def _stopListening(self, release=False):
        """
        Be done with the listener, if any.

        @param release: hand it to the pool (which closes it if it cannot
            keep it); otherwise close it.
        """
        port, self._port = self._port, None
        if port is None:
            return
        if release and self._pool is not None:
            port.stopReading()
            if not self.claimed:
                # Unused: what the client queued on it is this session's
                # to refuse (and log). (Once claimed, the next session's
                # listen refuses whatever came after the client's.)
                port.discardQueued(self._refuse)
            self._pool.give(port)
        else:
            port.stopListening()

    def _cancelTimer(self):
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def close(self):
        """
        Drop any listener (to the pool), pending connect and unused
        connection.
        """
        self._cancelTimer()
        self._stopListening(release=True)
        self._active = None
        for reading in list(self._headers):
            reading.cancel()
        accepted, self._accepted = self._accepted, None
        if accepted is not None:
            accepted.close()
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.abort()
        self._fail("Data connection closed")

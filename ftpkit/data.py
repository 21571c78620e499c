"""
The data channel: passive listeners, active connects and the protocol of
one data connection.

A session owns at most one L{DataChannel}. PASV/EPSV make it listen,
PORT/EPRT make it remember where to connect; a transfer command then asks
it for a L{DataConnection} with L{DataChannel.connect}.
"""

import errno
import ipaddress
import random
import socket

from twisted.internet import defer, error
from twisted.internet.interfaces import (
    IHandshakeListener,
    IReadDescriptor,
    ISSLTransport,
)
from twisted.internet.protocol import ClientFactory, Factory, Protocol
from twisted.logger import Logger
from zope.interface import implementer

from ftpkit.errors import FTPError
from ftpkit.tls import receivedCloseNotify

_EARLY_DATA_LIMIT = 1 << 20
_PASSIVE_BIND_ATTEMPTS = 50
UPLOAD_READ_SIZE = 1 << 20
"""Bytes read from the socket at once while receiving an upload."""


class CannotOpenDataConnection(FTPError):
    """No data connection could be made."""

    code = 425
    defaultMessage = "Can't open data connection"


class TransferAborted(FTPError):
    """The data connection broke or was aborted mid-transfer."""

    code = 426
    defaultMessage = "Connection closed; transfer aborted"


def _ephemeralPorts():
    """
    @return: the kernel's ephemeral port range, C{(low, high)}.
    """
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(word) for word in f.read().split())
    except (OSError, ValueError):
        return (32768, 60999)
    return (max(low, 1024), high)


EPHEMERAL_PORTS = _ephemeralPorts()
"""Where passive ports are picked when no --passive-ports range is set."""


def candidatePorts(portRange, attempts=_PASSIVE_BIND_ATTEMPTS, rng=random):
    """
    The ports to try, in order, for a passive listener.

    Ports are picked at random rather than by binding port 0: Linux gives
    port 0 binds the same few ports again and again, and checking each of
    those against its thousands of TIME_WAIT connections makes every
    PASV slower than the last.

    @param portRange: C{(low, high)}, inclusive.
    @param attempts: how many ports at most.
    @param rng: a C{random.Random}-like source.
    @return: an iterator of distinct ports (a small range in a random
        order), then C{0} (any port) as a last resort when the range is
        the ephemeral one.
    """
    low, high = portRange
    if high - low + 1 <= attempts:
        ports = list(range(low, high + 1))
        rng.shuffle(ports)
        yield from ports
    else:
        tried = set()
        while len(tried) < attempts:
            port = rng.randint(low, high)
            if port not in tried:
                tried.add(port)
                yield port
    if portRange == EPHEMERAL_PORTS:
        yield 0


def normalizeHost(host):
    """
    Reduce an address to a comparable form (IPv4-mapped IPv6 to IPv4).

    @param host: an IPv4 or IPv6 address as text.
    @return: the canonical text form, or C{host} unchanged if unparsable.
    """
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


@implementer(IHandshakeListener)
class DataConnection(Protocol):
    """
    One data connection. It reads nothing into a file until a transfer
    gives it a sink; bytes that arrive before are held (bounded).

    A watchdog drops the connection when no byte has moved for C{timeout}
    seconds: neither received, nor sent by the session's transfer over it
    (its C{bytesMoved()}, which counts C{sendfile} progress too).

    @ivar lostReason: why the connection ended, once it has.
    @ivar timedOut: the watchdog dropped the connection.
    @ivar tlsRefused: the TLS policy refused the handshake (say, the
        session was not resumed); the connection is dropped unused.
    @ivar outgoing: the server connected out (PORT/EPRT); it is still the
        TLS server (RFC 4217 section 9).
    """

    log = Logger()
    tlsRefused = False
    outgoing = False
    _tlsCreator = None

    def __init__(self, onMade, reactor, timeout, currentTransfer):
        """
        @param onMade: called with this protocol once it is connected.
        @param reactor: an L{IReactorTime} for the watchdog.
        @param timeout: seconds without progress before the connection is
            dropped.
        @param currentTransfer: returns the session's running transfer (an
            object with C{connection}, C{consumer} and C{bytesMoved()}),
            or C{None}.
        """
        self.lostReason = None
        self._lostWaiters = []
        self._onMade = onMade
        self._sink = None
        self._early = []
        self._earlySize = 0
        self.bytesReceived = 0
        self.timedOut = False
        self._reactor = reactor
        self._timeout = timeout
        self._currentTransfer = currentTransfer
        self._watchCall = None
        self._lastMoved = 0
        self._lastMovedAt = 0.0

    def connectionMade(self):
        """
        Start the watchdog and report the connection to the channel that
        expects it.
        """
        self._lastMoved = self._bytesMoved()
        self._lastMovedAt = self._reactor.seconds()
        self._watchCall = self._reactor.callLater(self._timeout / 4,
                                                  self._watch)
        self._onMade(self)

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
        peer = getattr(self.transport.getPeer(), "host", "unknown")
        self.log.warn("data connection from {peer} idle for {timeout}s; "
                      "closing", peer=peer, timeout=self._timeout)
        self.timedOut = True
        transfer = self._transfer()
        if transfer is not None and transfer.consumer is not None:
            transfer.consumer.abort()
        self.abort()

    @property
    def isSecure(self):
        """
        @return: whether TLS protects this connection.
        """
        return ISSLTransport.providedBy(self.transport)

    def startTLS(self, contextFactory):
        """
        Secure this connection, as the TLS server (RFC 4217 section 9).

        @param contextFactory: the server TLS context factory. If it has
            an C{acceptHandshake(connection)} method (L{ftpkit.tls.DataTLS}),
            a handshake it refuses drops the connection before any data.
        """
        if self.isSecure:
            return
        early, self._early = b"".join(self._early), []
        paused = self._earlySize > _EARLY_DATA_LIMIT
        self._earlySize = 0
        self.bytesReceived -= len(early)
        self._tlsCreator = contextFactory
        self.transport.startTLS(contextFactory, normal=not self.outgoing)
        if early:
            # The client began its handshake before the transfer command
            # (curl does): hand what it sent to the TLS layer.
            self.transport.protocol.dataReceived(early)
        if paused:
            self.transport.resumeProducing()

    def handshakeCompleted(self):
        """
        Ask the TLS policy whether this connection may carry data; drop it
        at once (unsent data discarded) if not.
        """
        accept = getattr(self._tlsCreator, "acceptHandshake", None)
        if accept is not None and not accept(self.transport.getHandle()):
            self.log.warn("data connection TLS handshake refused (no "
                          "session reuse); dropping it")
            self.tlsRefused = True
            self.abort()

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
        if hasattr(self.transport, "bufferSize"):
            self.transport.bufferSize = UPLOAD_READ_SIZE
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
        TLS shutdown).

        @return: a Deferred firing when the connection is closed.
        """
        self.transport.loseConnection()
        return self.whenLost().addCallback(self._checkFinished)

    def _checkFinished(self, reason):
        if not isinstance(reason, error.ConnectionDone):
            raise TransferAborted()
        return reason

    def abort(self):
        """
        Drop the connection at once, discarding unsent data.
        """
        self.transport.abortConnection()

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

    def connectionLost(self, reason):
        """
        Stop the watchdog and tell everyone waiting in L{whenLost}.
        """
        watchCall, self._watchCall = self._watchCall, None
        if watchCall is not None and watchCall.active():
            watchCall.cancel()
        self.lostReason = reason.value
        if (self.isSecure and not self.tlsRefused
                and receivedCloseNotify(self.transport.getHandle())):
            # The client ended its TLS stream cleanly (close_notify): all
            # it sent arrived, whatever TCP did next (a reset for the
            # session ticket it never read, say).
            self.lostReason = error.ConnectionDone()
        waiters, self._lostWaiters = self._lostWaiters, []
        for waiter in waiters:
            waiter.callback(self.lostReason)


class _PassiveFactory(Factory):
    """
    Accepts exactly one connection, only from the control peer's address.
    """

    log = Logger()
    noisy = False

    def __init__(self, channel):
        self.channel = channel

    def buildProtocol(self, addr):
        if normalizeHost(addr.host) != self.channel.peerHost:
            self.log.warn(
                "refused passive data connection from {stranger} "
                "(control peer is {peer}): possible port theft",
                stranger=addr.host, peer=self.channel.peerHost,
            )
            return None
        if self.channel.claimed:
            return None
        self.channel.claimed = True
        return self.channel.buildConnection()


@implementer(IReadDescriptor)
class PassiveListener:
    """
    A passive-mode listening socket, driven straight by the reactor: each
    accepted connection is adopted as a Twisted transport of C{factory}.

    Lighter than C{listenTCP}'s port (which logs twice and goes through
    extra reactor turns per PASV), since small-file transfers open one of
    these per file.

    @ivar factory: builds the protocol of each accepted connection (and
        may refuse it by returning C{None}).
    """

    log = Logger()

    def __init__(self, reactor, listening, factory):
        self.reactor = reactor
        self.socket = listening
        self.factory = factory
        self.port = listening.getsockname()[1]

    @classmethod
    def listen(cls, reactor, factory, interface, portRange):
        """
        Bind a listener to the first free port of C{portRange}.

        @param interface: the local address to bind to; when it is not an
            address of this host (behind a PROXY-protocol load balancer
            the control connection reports the balancer's), every address
            is listened on instead.
        @param portRange: C{(low, high)}, inclusive.
        @return: the listening L{PassiveListener}.
        @raise CannotOpenDataConnection: when no port could be bound.
        """
        family = socket.AF_INET6 if ":" in interface else socket.AF_INET
        for port in candidatePorts(portRange):
            listening = socket.socket(family, socket.SOCK_STREAM)
            try:
                listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    listening.bind((interface, port))
                except OSError as e:
                    if e.errno != errno.EADDRNOTAVAIL:
                        raise
                    listening.bind(("::" if family == socket.AF_INET6
                                    else "0.0.0.0", port))
                listening.listen(1)
            except OSError:
                listening.close()
                continue
            listening.setblocking(False)
            listener = cls(reactor, listening, factory)
            reactor.addReader(listener)
            return listener
        raise CannotOpenDataConnection("No free passive port")

    def fileno(self):
        """
        @return: the listening socket's descriptor (-1 once closed).
        """
        return self.socket.fileno()

    def logPrefix(self):
        """
        @return: the name used in logs.
        """
        return "ftpkit-passive"

    def doRead(self):
        """
        Accept a connection and hand it to the factory.
        """
        try:
            connection, _ = self.socket.accept()
        except OSError:
            return
        with connection:
            connection.setblocking(False)
            try:
                self.reactor.adoptStreamConnection(
                    connection.fileno(), connection.family, self.factory)
            except OSError as e:
                self.log.info("passive connection failed: {error}", error=e)

    def stopListening(self):
        """
        Close the listening socket.
        """
        if self.socket.fileno() >= 0:
            self.reactor.removeReader(self)
            self.socket.close()

    def connectionLost(self, reason):
        """
        The reactor dropped the descriptor.
        """
        self.stopListening()


class _ActiveFactory(ClientFactory):
    """
    Connects back to the client for PORT/EPRT.
    """

    noisy = False

    def __init__(self, channel):
        self.channel = channel

    def buildProtocol(self, addr):
        connection = self.channel.buildConnection()
        connection.outgoing = True
        return connection

    def clientConnectionFailed(self, connector, reason):
        self.channel.connectionFailed(reason)


class DataChannel:
    """
    The (at most one) pending or open data connection of a session.

    @ivar peerHost: the control connection's peer, normalised; the only
        address a data connection may come from or go to.
    @ivar connection: the L{DataConnection} once there is one.
    """

    log = Logger()

    def __init__(self, reactor, localHost, peerHost, timeout,
                 currentTransfer=lambda: None):
        """
        @param reactor: provides IReactorTCP and IReactorTime.
        @param localHost: the control connection's local address; passive
            listeners bind to it.
        @param peerHost: the control connection's peer address.
        @param timeout: seconds to wait for a data connection, and that a
            data connection may go without moving a byte.
        @param currentTransfer: returns the session's running transfer, or
            C{None} (see L{DataConnection}).
        """
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

    def buildConnection(self):
        """
        @return: a new L{DataConnection} reporting to this channel.
        """
        return DataConnection(self.connectionMade, self.reactor,
                              self.timeout, self._currentTransfer)

    def listen(self, portRange=None):
        """
        Open a passive listener, replacing whatever was set up before.

        @param portRange: C{(low, high)} inclusive, or C{None} for any.
        @return: the port number listened on.
        @raise CannotOpenDataConnection: when no port could be bound.
        """
        self.close()
        self.claimed = False
        self._port = PassiveListener.listen(
            self.reactor, _PassiveFactory(self), self.localHost,
            portRange or EPHEMERAL_PORTS)
        self._timer = self.reactor.callLater(self.timeout, self._expire)
        return self._port.port

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
                or self.connection is not None)

    def connect(self, tlsContextFactory=None):
        """
        Get the data connection for a transfer.

        @param tlsContextFactory: secure the connection with it (PROT P).
        @return: a Deferred firing with a L{DataConnection}, failing with
            L{CannotOpenDataConnection}.
        """
        if self.connection is not None and self.connection.lostReason:
            self.connection = None
            return defer.fail(
                CannotOpenDataConnection("Data connection closed"))
        if not self.isSetUp:
            return defer.fail(
                CannotOpenDataConnection("Use PORT or PASV first"))
        waiting = self._waiting = defer.Deferred()
        waiting.addCallback(self._secure, tlsContextFactory)
        if self.connection is not None:
            self._deliver()
        elif self._port is not None:
            self._cancelTimer()
            self._timer = self.reactor.callLater(self.timeout, self._expire)
        elif self._active is not None:
            host, port = self._active
            self._active = None
            self.reactor.connectTCP(
                host, port, _ActiveFactory(self), timeout=self.timeout,
                bindAddress=(normalizeHost(self.localHost), 0))
        return waiting

    def _secure(self, connection, tlsContextFactory):
        if tlsContextFactory is not None:
            connection.startTLS(tlsContextFactory)
        return connection

    def connectionMade(self, connection):
        """
        Called by the factories when a data connection arrives.
        """
        self.connection = connection
        self._stopListening()
        if self._waiting is not None:
            self._deliver()

    def connectionFailed(self, reason):
        """
        Called when an active connect fails.
        """
        self._fail("Can't open data connection")

    def _deliver(self):
        waiting, self._waiting = self._waiting, None
        connection, self.connection = self.connection, None
        self._cancelTimer()
        waiting.callback(connection)

    def _fail(self, message):
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            waiting.errback(CannotOpenDataConnection(message))

    def _expire(self):
        self._timer = None
        self._stopListening()
        self._fail("Data connection timed out")

    def _stopListening(self):
        port, self._port = self._port, None
        if port is not None:
            port.stopListening()

    def _cancelTimer(self):
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def close(self):
        """
        Drop any listener, pending connect and unused connection.
        """
        self._cancelTimer()
        self._stopListening()
        self._active = None
        connection, self.connection = self.connection, None
        if connection is not None and connection.transport is not None:
            connection.transport.abortConnection()
        self._fail("Data connection closed")

"""
Passive-mode listeners: a plain non-blocking socket per PASV/EPSV, on a
port picked at random.

A listener is not watched by the reactor at first: the client connects
before it sends its transfer command, so the transfer command finds the
connection already queued and accepts it then (as vsftpd does). Only a
transfer command that comes first, C{PROT P}, or a stranger refused lately
(L{ftpkit.data.theftalarm}) makes the listener wait in the reactor.
That spares each small-file transfer a reactor turn and two C{epoll_ctl}
calls (C{docs/benchmark-history.rst}).
Strangers (see L{ftpkit.data.channel.DataChannel}) are refused when they are
accepted; the queue (L{PASSIVE_BACKLOG}) is long enough that a few of them
cannot keep the client out.

Once its connection is accepted a listener goes to the server's
L{ftpkit.data.listenerpool.ListenerPool}, for the next PASV/EPSV of any session
(which refuses every connection it gets meanwhile): creating, binding
and closing a socket per file is a visible share of a small file's time
(C{docs/benchmark-history.rst}).
"""

import errno
import random
import socket
import struct

from twisted.internet.interfaces import IReadDescriptor
from zope.interface import implementer

from ftpkit import compat
from ftpkit.data.cork import cork
from ftpkit.data.descriptors import closeSocket, releaseIdle
from ftpkit.data.hosts import socketAddress
from ftpkit.errors import CannotOpenDataConnection, OutOfDescriptors

_PASSIVE_BIND_ATTEMPTS = 50

PASSIVE_BACKLOG = 16
"""Connections a passive listener queues before it accepts any."""

_NONBLOCKING_STREAM = (socket.SOCK_STREAM | getattr(socket, "SOCK_NONBLOCK", 0)
                       | getattr(socket, "SOCK_CLOEXEC", 0))
"""A listener's socket type: non-blocking from birth where Linux allows."""


OUT_OF_DESCRIPTORS = frozenset([errno.EMFILE, errno.ENFILE, errno.ENOBUFS,
                                errno.ENOMEM])
"""C{accept} errors that leave the connection queued: the process (or the
system) has no descriptor or memory for it."""

EXHAUSTED_PAUSE = 1.0
"""Seconds a watched listener is left unwatched after C{accept} failed
with one of L{OUT_OF_DESCRIPTORS}."""

_TCP_INFO = getattr(socket, "TCP_INFO", None)

_TCP_INFO_SIZE = 104
"""Bytes of C{struct tcp_info} read: those of Linux 3.x, which any later
kernel also gives."""

_TCP_LISTEN = 10
"""C{tcpi_state} of a listening socket (Linux's C{TCP_LISTEN})."""

_LISTEN_QUEUE = struct.Struct("I")
"""C{tcpi_unacked}, at offset 24: a listening socket's accept queue."""


def queuedConnections(listening):
    """
    How many connections wait to be accepted on a listening socket, read
    with C{getsockopt(TCP_INFO)} (Linux gives a listening socket's accept
    queue length as C{tcpi_unacked}): cheaper than an C{accept} that fails
    with C{EAGAIN}, since no exception is raised (C{docs/benchmark-history.rst}).

    @param listening: a listening TCP socket.
    @return: the count, or C{None} where the system cannot tell.
    """
    if _TCP_INFO is None:
        return None
    try:
        info = listening.getsockopt(socket.IPPROTO_TCP, _TCP_INFO,
                                    _TCP_INFO_SIZE)
    except OSError:
        return None
    if len(info) < 28 or info[0] != _TCP_LISTEN:
        return None
    return _LISTEN_QUEUE.unpack_from(info, 24)[0]


def ephemeralPorts(rangeFile="/proc/sys/net/ipv4/ip_local_port_range"):
    """
    @param rangeFile: the file that says the kernel's range.
    @return: the kernel's ephemeral port range, C{(low, high)}, never
        below 1024 (a passive listener is not put on a privileged port).
    """
    try:
        with open(rangeFile) as f:
            low, high = (int(word) for word in f.read().split())
    except (OSError, ValueError):
        return (32768, 60999)
    return (max(low, 1024), high)


EPHEMERAL_PORTS = ephemeralPorts()
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


def _bind(sock, address, fallback):
    """
    Bind C{sock} to C{address}, or to C{fallback} when C{address}'s host
    is not one of this host's addresses.

    @raise OSError: when neither can be bound.
    """
    try:
        sock.bind(address)
    except OSError as e:
        if e.errno != errno.EADDRNOTAVAIL:
            raise
        sock.bind(fallback)


def _newSocket(family):
    """
    @param family: C{AF_INET} or C{AF_INET6}.
    @return: a new non-blocking TCP socket.
    @raise OutOfDescriptors: when the process (or the system) has no
        descriptor for it (L{OUT_OF_DESCRIPTORS}), even once those kept
        idle are closed (L{releaseIdle}).
    """
    try:
        return socket.socket(family, _NONBLOCKING_STREAM)
    except OSError as e:
        if e.errno not in OUT_OF_DESCRIPTORS:
            raise
        if not releaseIdle():
            raise OutOfDescriptors() from None
    # Descriptors kept idle were closed: one may be enough.
    return _newSocket(family)


@implementer(IReadDescriptor)
class PassiveListener:
    """
    A passive-mode listening socket: each accepted connection, a plain
    non-blocking socket, goes to C{onAccept}. Connections are accepted by
    L{acceptOne} when the owner needs one, or by the reactor (L{doRead})
    after L{startReading}.

    Lighter than C{listenTCP}'s port (which logs twice and goes through
    extra reactor turns per PASV), since small-file transfers open one of
    these per file.

    @ivar onAccept: called with C{(socket, address)} for each accepted
        connection; it owns the socket from then on.
    @ivar reading: the reactor watches it.
    @ivar admits: C{None}, or called with no argument before each
        connection L{doRead} accepts: when it returns false, the listener
        stops reading instead (its owner has no room for one now).
    @ivar releasedAt: when it went to a L{ftpkit.data.listenerpool.ListenerPool}.
    """

    releasedAt = None
    admits = None

    def __init__(self, reactor, listening, onAccept, port=0, portRange=None,
                 interface=None):
        """
        @param listening: the bound, listening, non-blocking socket.
        @param port: the port it was bound to, or C{0} to look it up.
        @param portRange: the range it was picked from (see L{listen}).
        @param interface: the local address it was asked to listen on.
        """
        self.reactor = reactor
        self.socket = listening
        self._family = listening.family
        self.onAccept = onAccept
        self.port = port or listening.getsockname()[1]
        self.portRange = portRange
        self.interface = interface
        self._pause = None

    @classmethod
    def listen(cls, reactor, onAccept, interface, portRange):
        """
        Bind a listener to the first free port of C{portRange}.

        @param reactor: the reactor that watches the listener.
        @param onAccept: see L{PassiveListener.onAccept}.
        @param interface: the local address to bind to; when it is not an
            address of this host (behind a PROXY-protocol load balancer
            the control connection reports the balancer's), every address
            is listened on instead.
        @param portRange: C{(low, high)}, inclusive, or C{None} for the
            kernel's ephemeral range.
        @return: the listening L{PassiveListener}.
        @raise CannotOpenDataConnection: when no port could be bound, or
            no socket made for want of descriptors.
        """
        family = socket.AF_INET6 if ":" in interface else socket.AF_INET
        anywhere = "::" if family == socket.AF_INET6 else "0.0.0.0"
        listening = None
        for port in candidatePorts(portRange or EPHEMERAL_PORTS):
            if listening is None:
                listening = _newSocket(family)
                listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                # Its connections come corked (see ftpkit.data.cork).
                cork(listening)
            try:
                _bind(listening, socketAddress(interface, port),
                      (anywhere, port))
            except OSError:
                # A port in use: try the next on the same, unbound socket.
                continue
            try:
                listening.listen(PASSIVE_BACKLOG)
            except OSError:
                listening.close()
                listening = None
                continue
            if listening.gettimeout() != 0.0:  # No SOCK_NONBLOCK here.
                listening.setblocking(False)
            return cls(reactor, listening, onAccept, port, portRange,
                       interface)
        if listening is not None:
            listening.close()
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

    reading = False

    def startReading(self):
        """
        Have the reactor call L{doRead} when a connection arrives.
        """
        if not self.reading:
            self.reading = True
            if self._pause is None:
                self.reactor.addReader(self)

    def stopReading(self):
        """
        Stop the reactor calling L{doRead}.
        """
        if self.reading:
            self.reading = False
            if self._pause is None:
                self.reactor.removeReader(self)
            else:
                self._pause.cancel()
                self._pause = None

    def discardQueued(self, discard):
        """
        Accept whatever is queued, handing each connection to C{discard}
        instead of L{onAccept}.

        @param discard: called with C{(socket, address)}; owns the socket.
        """
        if queuedConnections(self.socket) == 0:
            return
        for _ in range(PASSIVE_BACKLOG + 1):
            try:
                connection, address = self.socket.accept()
            except OSError:
                return
            discard(connection, address)

    def acceptOne(self):
        """
        Accept a connection and hand it to L{onAccept}.

        @return: whether one was accepted.
        """
        try:
            connection, address = compat.acceptBare(self.socket,
                                                    self._family)
        except OSError as e:
            if e.errno not in OUT_OF_DESCRIPTORS:
                return False
            if releaseIdle():
                # Descriptors kept idle were closed: one may be enough.
                return self.acceptOne()
            if self.reading and self._pause is None:
                self._rest()
            return False
        self.onAccept(connection, address)
        return True

    def _rest(self):
        """
        Stop the reactor watching for L{EXHAUSTED_PAUSE} seconds (the
        listener stays L{reading}): the connection that could not be
        accepted stays queued, so C{epoll} would report the listener
        ready at every turn, and the reactor would spin at full CPU until
        descriptors were freed.
        """
        self.reactor.removeReader(self)
        self._pause = self.reactor.callLater(EXHAUSTED_PAUSE, self._wake)

    def _wake(self):
        """
        Watch again after L{_rest}.
        """
        self._pause = None
        self.reactor.addReader(self)

    def doRead(self):
        """
        Connections arrived (the reactor says): accept them, while the
        listener is watched (a stranger's is refused, and the client's may
        still come; once the client's came, its owner stops watching), up
        to a queue's worth, so that strangers connecting as fast as they
        can do not keep it full.

        @return: C{None}: anything else would tell the reactor that the
            listener is gone.
        """
        for _ in range(PASSIVE_BACKLOG + 1):
            if self.admits is not None and not self.admits():
                self.stopReading()
                return
            if not self.acceptOne() or not self.reading:
                return

    def stopListening(self):
        """
        Close the listening socket (see L{ftpkit.data.descriptors}: its number
        stays taken until the reactor's next turn).
        """
        if self.socket.fileno() >= 0:
            self.stopReading()
            closeSocket(self.reactor, self.socket)

    def connectionLost(self, reason):
        """
        The reactor dropped the descriptor.

        @param reason: a L{twisted.python.failure.Failure} saying why.
        """
        self.stopListening()

"""
Bounds on the C{--metrics} endpoint's HTTP connections. The endpoint
shares its process, and so its descriptors, with the FTP sessions (or,
under C{--workers}, with the acceptor handing them out): without bounds a
client that opened connections to it and sent a request's headers a byte
every few seconds (slowloris) kept each one open, as C{twisted.web}'s idle
timeout starts again with every byte, until the process had no
descriptors left and every FTP client got C{421 Too many open files}.

A connection gets L{DEADLINE} seconds to send a whole request, counted
from its opening or from the last response bytes sent, not from its last
byte received, and may send at most L{REQUEST_BYTES} in that time; one
address may hold L{PER_ADDRESS} connections and the endpoint L{TOTAL};
past them a new connection is closed at once. A Prometheus server
scrapes over one connection at a time. What a connection sends is
answered only while it reads the answers (L{ftpkit.ops.httpfeed}).
"""

from collections import Counter

from twisted.protocols.policies import (
    ProtocolWrapper,
    TimeoutMixin,
    WrappingFactory,
)

from ftpkit.ops.httpfeed import FedWhileSending
from ftpkit.protocol.limitkeys import DEFAULT_IPV6_PREFIX_LENGTH, limitKey

DEADLINE = 30
"""Seconds a connection has to send a request (its headers included)."""

PER_ADDRESS = 8
"""Connections one client address (an IPv6 client's network, L{limitKey})
may hold open at once."""

TOTAL = 32
"""Connections the endpoint holds open at once."""

REQUEST_BYTES = 64 * 1024
"""Bytes a connection may send for a request (its line, its headers,
C{twisted.web}'s limit being 16 KiB, and any body) before it is aborted.
The pages take no body, but C{twisted.web} read a request's whole body
first, past 100 KB into a temporary file: a C{POST} with a body of a TiB
wrote 1.6 GiB of C{/tmp} in 8 seconds from one connection, until the
deadline."""


class DeadlineProtocol(FedWhileSending, ProtocolWrapper, TimeoutMixin):
    """
    A connection aborted when it sent no complete request within the
    factory's C{deadline} of opening or of its last response bytes: only
    what the server writes restarts the count, so a request trickling in
    a byte at a time runs out of time all the same. Nor may it send more
    than the factory's C{requestBytes} meanwhile. What it sends reaches
    the site only while the answers go out (L{FedWhileSending}).
    """

    peerKey = None
    _received = 0

    def callLater(self, period, func):
        """
        @param period: seconds.
        @param func: what to call then.
        @return: the delayed call, on the factory's clock.
        """
        return self.factory.clock.callLater(period, func)

    def makeConnection(self, transport):
        """
        Start the count, then connect the site's protocol.

        @param transport: the connection.
        """
        self.setTimeout(self.factory.deadline)
        ProtocolWrapper.makeConnection(self, transport)

    def dataReceived(self, data):
        """
        Pass request bytes on to the site (L{FedWhileSending.hold}),
        unless there are more than the factory's C{requestBytes} since the
        connection opened or last sent response bytes: then abort it.

        @param data: bytes.
        """
        self._received += len(data)
        if self._received > self.factory.requestBytes:
            self._abort()
            return
        self.hold(data)

    def write(self, data):
        """
        Send response bytes, which start the count again.

        @param data: bytes.
        """
        self._answered()
        ProtocolWrapper.write(self, data)

    def writeSequence(self, data):
        """
        Send response bytes, which start the count again.

        @param data: a sequence of bytes.
        """
        self._answered()
        ProtocolWrapper.writeSequence(self, data)

    def _answered(self):
        """
        Response bytes go out: the next request has its own deadline and
        bytes.
        """
        self._received = 0
        self.resetTimeout()

    def connectionLost(self, reason):
        """
        Stop the count.

        @param reason: why the connection ended.
        """
        self.setTimeout(None)
        ProtocolWrapper.connectionLost(self, reason)

    def timeoutConnection(self):
        """
        Abort the connection: closing it politely would wait for a client
        that reads nothing to take what was written.
        """
        self._abort()

    def _abort(self):
        """
        Abort the connection, handing the site nothing more.
        """
        self.stopFeeding()
        self.transport.abortConnection()


class GuardedFactory(WrappingFactory):
    """
    Wraps a C{twisted.web} site in L{DeadlineProtocol} and refuses
    connections past L{PER_ADDRESS} from one address or L{TOTAL} in all.
    (C{twisted.protocols.policies.LimitConnectionsByPeer} counts
    per peer too, but its C{unregisterProtocol} indexes the peer's address
    as a tuple, which raises on Twisted's address objects, and forgets
    the protocol it registered.)

    @ivar clock: the L{IReactorTime} the deadlines run on.
    @ivar deadline: seconds, L{DEADLINE}.
    @ivar perAddress: L{PER_ADDRESS}.
    @ivar total: L{TOTAL}.
    @ivar requestBytes: L{REQUEST_BYTES}.
    @ivar ipv6PrefixLength: the bits of an IPv6 address that name its
        client (L{limitKey}).
    @ivar peers: open connections by client (L{limitKey}).
    """

    protocol = DeadlineProtocol
    noisy = False

    def __init__(self, site, clock, deadline=DEADLINE,
                 perAddress=PER_ADDRESS, total=TOTAL,
                 requestBytes=REQUEST_BYTES,
                 ipv6PrefixLength=DEFAULT_IPV6_PREFIX_LENGTH):
        """
        @param site: the wrapped factory.
        @param clock: see C{clock}.
        @param deadline: see C{deadline}.
        @param perAddress: see C{perAddress}.
        @param total: see C{total}.
        @param requestBytes: see C{requestBytes}.
        @param ipv6PrefixLength: see C{ipv6PrefixLength}.
        """
        WrappingFactory.__init__(self, site)
        self.clock = clock
        self.deadline = deadline
        self.perAddress = perAddress
        self.total = total
        self.requestBytes = requestBytes
        self.ipv6PrefixLength = ipv6PrefixLength
        self.peers = Counter()

    def logPrefix(self):
        """
        @return: the site's own prefix (C{Site starting on 9102}), as
            when it listened unwrapped.
        """
        return self.wrappedFactory.logPrefix()

    def buildProtocol(self, addr):
        """
        @param addr: the client's address (a UNIX socket's have no host,
            and count as one client).
        @return: a L{DeadlineProtocol}, or C{None} (the connection is
            closed) past the limits.
        """
        key = getattr(addr, "host", None)
        if key is not None:
            key = limitKey(key, self.ipv6PrefixLength)
        if (self.peers[key] >= self.perAddress
                or sum(self.peers.values()) >= self.total):
            return None
        protocol = WrappingFactory.buildProtocol(self, addr)
        protocol.peerKey = key
        self.peers[key] += 1
        return protocol

    def unregisterProtocol(self, p):
        """
        Forget a connection that ended.

        @param p: its L{DeadlineProtocol}.
        """
        WrappingFactory.unregisterProtocol(self, p)
        self.peers[p.peerKey] -= 1
        if self.peers[p.peerKey] <= 0:
            del self.peers[p.peerKey]


def guardSite(site, clock=None, ipv6PrefixLength=DEFAULT_IPV6_PREFIX_LENGTH):
    """
    @param site: the endpoint's C{twisted.web} site.
    @param clock: the L{IReactorTime} for the deadlines; the reactor when
        C{None}.
    @param ipv6PrefixLength: the bits of an IPv6 address that name its
        client (C{--ipv6-prefix-length}).
    @return: a L{GuardedFactory} serving C{site}.
    """
    if clock is None:
        from twisted.internet import reactor as clock
    return GuardedFactory(site, clock, ipv6PrefixLength=ipv6PrefixLength)

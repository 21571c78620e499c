"""
Control connections that come through a load balancer speaking the PROXY
protocol (C{--listen haproxy:...}).

The session starts only once the header has arrived: the greeting, the
connection limits, the logs and the data connections' theft check all see
the client's address from the header, never the balancer's. Twisted's own
C{haproxy:} wrapper starts the session at once (so the greeting went out
first and the limits counted the balancer), which is why ftpkit reads the
header itself (L{ftpkit.protocol.proxyheader}).

Only connections from the C{--trusted-proxy} networks (by default the
loopback ones) and from Unix-socket peers are taken (a header from anyone
else would let them claim any address), and each must start with a
header.

Connections still waiting for their header are bounded
(L{WAITING_PER_PEER} from one balancer address, L{WAITING_TOTAL} in all):
a trusted peer that opened connections and sent nothing held a descriptor
for each for L{HEADER_TIMEOUT} seconds, and a thousand of them left none
for the clients. Refusals are logged through a L{LogThrottle}: a line a
minute for each kind, the next saying how many were left out, or, once
the minute is over with none, a L{PROXY_REFUSALS_NOT_LOGGED} line
(L{refusalSummaries}).
"""

import ipaddress
from collections import Counter

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.protocol import Protocol
from twisted.logger import Logger
from twisted.protocols.policies import ProtocolWrapper, WrappingFactory
from zope.interface import directlyProvides, providedBy

from ftpkit.configvalues import parseNetworks  # noqa: F401 (importable from here, as before)
from ftpkit.control.clientname import clientName
from ftpkit.data.hosts import normalizeHost
from ftpkit.ops.logthrottle import (
    INTERVAL,
    LogThrottle,
    Summaries,
    skippedNote,
)
from ftpkit.protocol.proxyheader import InvalidProxyHeader, parseProxyHeader

HEADER_TIMEOUT = 10
"""Seconds a connection may take to send its header."""

WAITING_PER_PEER = 64
"""Connections from one address that may wait for their header at once (a
balancer sends it with its first bytes, so few ever wait)."""

WAITING_TOTAL = 256
"""Connections that may wait for their header at once, from any address."""

PREFIX = "haproxy:"
"""What starts a C{--listen} description of a PROXY-protocol listener."""

_log = Logger()

LISTENER = " on a PROXY-protocol listener"
"""Where a connection refused for its header came, in the log line."""

PROXY_REFUSALS_NOT_LOGGED = "proxy-refusals-not-logged"
"""The C{ftpkit_event} of the line counting the refusals of one kind
(C{refusal}: C{untrusted}, C{waiting} or C{bad header}) left out of the
log, once their minute ended and no later refusal's line said it."""

NOT_LOGGED = ("refused connections ({refusal}) on a PROXY-protocol "
              "listener not logged: {count}")
"""The format of a L{PROXY_REFUSALS_NOT_LOGGED} line."""


def inNetworks(host, networks):
    """
    @param host: an address, C{str} (an IPv4-mapped IPv6 address counts as
        its IPv4 address).
    @param networks: from L{parseNetworks}.
    @return: whether C{host} is in one of them.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def waitingRefusal(waiting, host, perPeer, total):
    """
    Decide whether one more connection from C{host} may wait for its
    header.

    @param waiting: how many wait, by peer address (a L{Counter}).
    @param host: the new one's address.
    @param perPeer: how many one address may have waiting.
    @param total: how many may wait in all.
    @return: C{None} to let it wait, else why not (for the log).
    """
    if waiting[host] >= perPeer:
        return (f"{waiting[host]} of its connections already wait for"
                " their PROXY header")
    if sum(waiting.values()) >= total:
        return f"{total} connections already wait for their PROXY header"
    return None


def refusalSummaries(reactor, interval=INTERVAL):
    """
    @param reactor: an C{IReactorTime}.
    @param interval: the seconds of a window of one line (a minute; less
        in tests).
    @return: the L{Summaries} of a listener's refusals (a line a minute
        for each kind), which logs a L{PROXY_REFUSALS_NOT_LOGGED} line
        for a kind whose minute ended with refusals left out.
    """
    def ended(kind, count):
        _log.warn(NOT_LOGGED, ftpkit_event=PROXY_REFUSALS_NOT_LOGGED,
                  refusal=kind, count=count)
    return Summaries(LogThrottle(reactor, interval), ended)


def logRefusal(throttle, host, why, kind, where=""):
    """
    Log a refused connection, unless its C{throttle} leaves it out.

    @param throttle: a L{LogThrottle}, or L{Summaries} (from
        L{refusalSummaries}).
    @param host: the connection's peer.
    @param why: the reason, for the log line.
    @param kind: the throttle's key (C{"untrusted"}, C{"waiting"},
        C{"bad header"}).
    @param where: what follows the peer, e.g. C{" on a PROXY-protocol
        listener"}.
    """
    skipped = throttle.admit(kind)
    if skipped is not None:
        _log.warn("refused connection from {peer}{where}: {why}{more}",
                  peer=host, where=where, why=why, more=skippedNote(skipped))


def _twistedAddress(host, port):
    """
    @return: an L{IPv4Address} or L{IPv6Address} for C{(host, port)}.
    """
    if ":" in host:
        return IPv6Address("TCP", host, port)
    return IPv4Address("TCP", host, port)


class ProxiedProtocol(ProtocolWrapper):
    """
    Reads the PROXY header, then starts the wrapped protocol with a
    transport whose C{getPeer} is the client named in it.
    """

    proxyHost = None
    """The balancer's address, once a header named a client (passive
    connections from it must carry a header too: L{ftpkit.data.proxied});
    C{None} for a balancer on a Unix socket (C{haproxy:unix:}), which has
    no address a data connection could come from."""

    waitingKey = None
    """The peer this connection is counted for in
    L{ProxiedFactory.waiting}."""

    waitingForHeader = False
    """Whether it is counted there (until its header comes, or it ends)."""

    def __init__(self, factory, wrappedProtocol):
        """
        @param factory: the L{ProxiedFactory} that built it.
        @param wrappedProtocol: the protocol started, once the header has
            named the client, with a transport giving that client as its
            peer.
        """
        super().__init__(factory, wrappedProtocol)
        self._buffer = b""
        self._peer = None
        self._started = False
        self._timeout = None

    def makeConnection(self, transport):
        """
        Wait for the header: unlike L{ProtocolWrapper}, the wrapped
        protocol is not started yet.

        @param transport: the connection's transport.
        """
        directlyProvides(self, providedBy(transport))
        Protocol.makeConnection(self, transport)
        self.factory.registerProtocol(self)
        self._timeout = self.factory.reactor.callLater(
            self.factory.headerTimeout, self._refuse, "no PROXY header in time")

    def dataReceived(self, data):
        """
        Hand bytes to the session once started; until then, collect the
        header.

        @param data: the bytes received.
        """
        if self._started:
            self.wrappedProtocol.dataReceived(data)
            return
        self._buffer += data
        try:
            header, rest = parseProxyHeader(self._buffer)
        except InvalidProxyHeader as e:
            self._refuse(str(e))
            return
        if header is None:
            return
        self._buffer = b""
        self._cancelTimeout()
        self.factory.headerCame(self)
        if header.source is not None:
            self._peer = _twistedAddress(*header.source)
            # A Unix socket's peer has no host: reading it raised
            # AttributeError, and every haproxy:unix: session whose
            # header named its client was dropped with a traceback.
            self.proxyHost = getattr(self.transport.getPeer(), "host", None)
        self._started = True
        self.wrappedProtocol.makeConnection(self)
        if rest and self._started:
            self.wrappedProtocol.dataReceived(rest)

    def _refuse(self, why):
        """
        Close a connection that did not send a valid header, and say so.
        """
        self._cancelTimeout()
        # Named as a session names its client: a Unix socket's by its user
        # (it was the address object's repr, "UNIXAddress(None)").
        logRefusal(self.factory.throttle, clientName(self.transport), why,
                   "bad header", LISTENER)
        self.transport.abortConnection()

    def _cancelTimeout(self):
        if self._timeout is not None and self._timeout.active():
            self._timeout.cancel()
        self._timeout = None

    def getPeer(self):
        """
        @return: the client's address from the header (the connection's
            own for a header that names none).
        """
        return self._peer if self._peer is not None else \
            self.transport.getPeer()

    def connectionLost(self, reason):
        """
        Tell the session, if it started.

        @param reason: a L{twisted.python.failure.Failure} saying why.
        """
        self._cancelTimeout()
        self.factory.headerCame(self)
        self.factory.unregisterProtocol(self)
        if self._started:
            self._started = False
            self.wrappedProtocol.connectionLost(reason)


class ProxiedFactory(WrappingFactory):
    """
    Wraps the control-connection factory of a C{haproxy:} listener.

    @ivar trusted: the networks balancers connect from (an empty tuple
        trusts every address).
    @ivar headerTimeout: seconds a connection may take to send its header.
    @ivar waitingPerPeer: see L{WAITING_PER_PEER}.
    @ivar waitingTotal: see L{WAITING_TOTAL}.
    @ivar waiting: by peer address (C{None} for a Unix socket's), how
        many connections wait for their header.
    @ivar throttle: the L{Summaries} of the refusals' log lines
        (L{refusalSummaries}).
    """

    protocol = ProxiedProtocol
    noisy = False

    def __init__(self, wrappedFactory, trusted=(), reactor=None,
                 headerTimeout=HEADER_TIMEOUT,
                 waitingPerPeer=WAITING_PER_PEER,
                 waitingTotal=WAITING_TOTAL):
        """
        @param wrappedFactory: the L{ftpkit.control.server.FTPFactory}.
        @param trusted: from L{parseNetworks}.
        @param reactor: for the header timeout (the global one when
            C{None}).
        @param headerTimeout: see L{headerTimeout}.
        @param waitingPerPeer: see L{waitingPerPeer}.
        @param waitingTotal: see L{waitingTotal}.
        """
        super().__init__(wrappedFactory)
        if reactor is None:
            from twisted.internet import reactor
        self.reactor = reactor
        self.trusted = tuple(trusted)
        self.headerTimeout = headerTimeout
        self.waitingPerPeer = waitingPerPeer
        self.waitingTotal = waitingTotal
        self.waiting = Counter()
        self.throttle = refusalSummaries(reactor)

    def stopFactory(self):
        """
        Log the refusals left out of the log, minutes over or not: the
        listener stops (and no timer of it fires later).
        """
        self.throttle.stop()
        super().stopFactory()

    def buildProtocol(self, addr):
        """
        Refuse connections from outside the trusted networks, and those
        past the bounds on connections waiting for their header. A peer
        with no address (a Unix socket's) is on this machine, as a
        loopback one is, and is let in.

        @param addr: the peer's address.
        @return: a L{ProxiedProtocol}, or C{None} to refuse.
        """
        host = getattr(addr, "host", None)
        if host is not None:
            host = normalizeHost(host)
        if (self.trusted and host is not None
                and not inNetworks(host, self.trusted)):
            logRefusal(self.throttle, host, "not a --trusted-proxy",
                       "untrusted")
            return None
        why = waitingRefusal(self.waiting, host, self.waitingPerPeer,
                             self.waitingTotal)
        if why is not None:
            logRefusal(self.throttle, host, why, "waiting")
            return None
        protocol = super().buildProtocol(addr)
        protocol.waitingKey = host
        protocol.waitingForHeader = True
        self.waiting[host] += 1
        return protocol

    def headerCame(self, protocol):
        """
        Stop counting a connection as waiting for its header (it came, or
        the connection ended); once only.

        @param protocol: its L{ProxiedProtocol}.
        """
        if not protocol.waitingForHeader:
            return
        protocol.waitingForHeader = False
        key = protocol.waitingKey
        self.waiting[key] -= 1
        if self.waiting[key] <= 0:
            del self.waiting[key]

    def logPrefix(self):
        """
        @return: the prefix of this factory's log lines.
        """
        return "FTP (PROXY)"


def isProxied(description):
    """
    @param description: a C{--listen} value.
    @return: whether it names a PROXY-protocol listener.
    """
    return description.startswith(PREFIX)


def listenerFor(description, factory, trusted, reactor=None):
    """
    Split off a C{haproxy:} prefix.

    @param description: a C{--listen} value.
    @param factory: the control-connection factory.
    @param trusted: from L{parseNetworks}.
    @param reactor: see L{ProxiedFactory}.
    @return: C{(description, factory)} to listen with: for a C{haproxy:}
        one, the endpoint behind the prefix and a L{ProxiedFactory}.
    """
    if not isProxied(description):
        return description, factory
    return description[len(PREFIX):], ProxiedFactory(factory, trusted,
                                                     reactor)

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
"""

import ipaddress

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.protocol import Protocol
from twisted.logger import Logger
from twisted.protocols.policies import ProtocolWrapper, WrappingFactory
from zope.interface import directlyProvides, providedBy

from ftpkit.protocol.proxyheader import InvalidProxyHeader, parseProxyHeader

HEADER_TIMEOUT = 10
"""Seconds a connection may take to send its header."""

PREFIX = "haproxy:"
"""What starts a C{--listen} description of a PROXY-protocol listener."""

_log = Logger()


def parseNetworks(texts):
    """
    @param texts: CIDR blocks or addresses, e.g. C{["10.0.0.0/8", "::1"]}.
    @return: a C{tuple} of L{ipaddress} networks.
    @raise ValueError: naming the first one that is not valid.
    """
    networks = []
    for text in texts:
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"not an address or CIDR block: {text!r}")
    return tuple(networks)


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
    connections from it must carry a header too: L{ftpkit.data.proxied})."""

    def __init__(self, factory, wrappedProtocol):
        super().__init__(factory, wrappedProtocol)
        self._buffer = b""
        self._peer = None
        self._started = False
        self._timeout = None

    def makeConnection(self, transport):
        """
        Wait for the header: unlike L{ProtocolWrapper}, the wrapped
        protocol is not started yet.
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
        if header.source is not None:
            self._peer = _twistedAddress(*header.source)
            self.proxyHost = self.transport.getPeer().host
        self._started = True
        self.wrappedProtocol.makeConnection(self)
        if rest and self._started:
            self.wrappedProtocol.dataReceived(rest)

    def _refuse(self, why):
        """
        Close a connection that did not send a valid header, and say so.
        """
        self._cancelTimeout()
        peer = self.transport.getPeer()
        _log.warn("refused connection from {peer} on a PROXY-protocol"
                  " listener: {why}", peer=getattr(peer, "host", peer), why=why)
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
        """
        self._cancelTimeout()
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
    """

    protocol = ProxiedProtocol
    noisy = False

    def __init__(self, wrappedFactory, trusted=(), reactor=None,
                 headerTimeout=HEADER_TIMEOUT):
        """
        @param wrappedFactory: the L{ftpkit.control.server.FTPFactory}.
        @param trusted: from L{parseNetworks}.
        @param reactor: for the header timeout (the global one when
            C{None}).
        @param headerTimeout: see L{headerTimeout}.
        """
        super().__init__(wrappedFactory)
        if reactor is None:
            from twisted.internet import reactor
        self.reactor = reactor
        self.trusted = tuple(trusted)
        self.headerTimeout = headerTimeout

    def buildProtocol(self, addr):
        """
        Refuse connections from outside the trusted networks. A peer with
        no address (a Unix socket's) is on this machine, as a loopback
        one is, and is let in.

        @return: a L{ProxiedProtocol}, or C{None} to refuse.
        """
        host = getattr(addr, "host", None)
        if (self.trusted and host is not None
                and not inNetworks(host, self.trusted)):
            _log.warn("refused connection from {peer}: not a --trusted-proxy",
                      peer=host)
            return None
        return super().buildProtocol(addr)

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

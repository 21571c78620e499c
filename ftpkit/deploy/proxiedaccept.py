"""
C{--listen haproxy:...} with C{--workers}: PROXY-protocol listeners whose
connections the acceptor hands to worker processes.

The acceptor needs the client's address before it admits a connection
(C{--max-connections-per-ip} counts clients, not the balancer), so it
looks at each connection's PROXY header first (L{HeaderWaits}), leaving
its bytes in the socket. The worker that gets the connection reads the
header again through the same wrapper as a single process
(L{ftpkit.control.proxied.ProxiedFactory}): it starts the session with
the client's address, and marks it as one that came through the balancer
(for the passive data connections' headers). A worker tells such
connections from the others by the listener they were accepted on
(L{isProxiedConnection}).

As in a single process, connections waiting for their header are bounded
and their refusals logged through a L{ftpkit.ops.logthrottle.LogThrottle}
(L{ftpkit.control.proxied}).
"""

import ipaddress
from collections import Counter

from twisted.internet import defer
from twisted.logger import Logger

from ftpkit.control.proxied import (
    HEADER_TIMEOUT,
    LISTENER,
    WAITING_PER_PEER,
    WAITING_TOTAL,
    inNetworks,
    logRefusal,
    refusalSummaries,
    waitingRefusal,
)
from ftpkit.data.hosts import normalizeHost
from ftpkit.data.proxied import readProxyHeader
from ftpkit.protocol.proxyheader import InvalidProxyHeader

_log = Logger()


def isProxiedConnection(localHost, localPort, listeners):
    """
    @param localHost: the address a connection was accepted on.
    @param localPort: its port.
    @param listeners: C{(host, port)} of each C{haproxy:} listener
        (C{0.0.0.0} and C{::} for every address); or of any other
        listeners, as a worker looks for its C{ssl:} ones too.
    @return: whether it came in on one of them.
    """
    here = _address(localHost)
    for host, port in listeners:
        if port == localPort and (host in ("0.0.0.0", "::")
                                  or _address(host) == here):
            return True
    return False


def _address(host):
    """
    @return: C{host} as an L{ipaddress} address (an IPv4-mapped IPv6
        address as its IPv4 address), or the text itself if it is none.
    """
    try:
        return ipaddress.ip_address(normalizeHost(host))
    except ValueError:
        return host


class HeaderWaits:
    """
    The acceptor's connections from C{haproxy:} listeners whose PROXY
    header has not come yet.

    @ivar pending: their Deferreds (from
        L{ftpkit.data.proxied.readProxyHeader}).
    @ivar waiting: how many of them come from each address.
    @ivar waitingPerPeer: how many may come from one address
        (L{WAITING_PER_PEER}).
    @ivar waitingTotal: how many there may be (L{WAITING_TOTAL}).
    @ivar throttle: the L{ftpkit.ops.logthrottle.Summaries} of the
        refusals' log lines (L{refusalSummaries}).
    @ivar refuseStopping: called with each connection still waiting and
        the balancer's address when the wait stops (L{stop}), before the
        connection is closed; C{None}: closed unanswered.
    """

    def __init__(self, reactor, trusted, dispatch, timeout=HEADER_TIMEOUT,
                 waitingPerPeer=WAITING_PER_PEER, waitingTotal=WAITING_TOTAL,
                 refuseStopping=None):
        """
        @param reactor: an C{IReactorFDSet} and C{IReactorTime}.
        @param trusted: the C{--trusted-proxy} networks (empty: any).
        @param dispatch: called with the connection and the client's
            address once the header named it.
        @param timeout: seconds a connection may take to send its header.
        @param waitingPerPeer: see L{waitingPerPeer}.
        @param waitingTotal: see L{waitingTotal}.
        @param refuseStopping: see L{refuseStopping}.
        """
        self.reactor = reactor
        self.trusted = tuple(trusted)
        self.dispatch = dispatch
        self.timeout = timeout
        self.pending = set()
        self.waiting = Counter()
        self.waitingPerPeer = waitingPerPeer
        self.waitingTotal = waitingTotal
        self.throttle = refusalSummaries(reactor)
        self.refuseStopping = refuseStopping

    def accepted(self, connection, host):
        """
        Refuse a connection from outside the trusted networks, or past
        the bounds on those waiting for their header; else wait for its
        header, then dispatch it.

        @param connection: the accepted socket (closed here unless
            dispatched).
        @param host: the address it comes from (the balancer's).
        """
        if self.trusted and not inNetworks(host, self.trusted):
            logRefusal(self.throttle, host, "not a --trusted-proxy",
                       "untrusted")
            connection.close()
            return
        why = waitingRefusal(self.waiting, host, self.waitingPerPeer,
                             self.waitingTotal)
        if why is not None:
            logRefusal(self.throttle, host, why, "waiting")
            connection.close()
            return
        connection.setblocking(False)
        waiting = readProxyHeader(self.reactor, connection, self.timeout,
                                  consume=False)
        self.pending.add(waiting)
        self.waiting[host] += 1

        def done():
            self.pending.discard(waiting)
            self.waiting[host] -= 1
            if self.waiting[host] <= 0:
                del self.waiting[host]

        def read(header):
            done()
            client = host if header.source is None else \
                normalizeHost(header.source[0])
            self.dispatch(connection, client)

        def refused(failure):
            done()
            try:
                if (failure.check(defer.CancelledError)
                        and self.refuseStopping is not None):
                    self.refuseStopping(connection, host)
            finally:
                connection.close()
            if failure.check(defer.CancelledError):
                return None
            failure.trap(InvalidProxyHeader)
            logRefusal(self.throttle, host, str(failure.value), "bad header",
                       LISTENER)
            return None

        waiting.addCallbacks(read, refused)

    def stop(self):
        """
        Stop waiting: refuse every connection whose header has not come
        (L{refuseStopping}) and close it; log the refusals left out of
        the log now (and drop their timer).
        """
        self.throttle.stop()
        for waiting in list(self.pending):
            waiting.cancel()

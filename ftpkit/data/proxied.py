"""
Passive data connections that come through the load balancer of a proxied
session: each starts with a PROXY header of its own naming the client, so
the theft check compares real client addresses (L{ftpkit.data.channel.DataChannel}).

The header is read from the accepted socket with C{MSG_PEEK} and then
exactly its bytes are consumed, so whatever follows (an upload, a TLS
handshake) stays in the socket for the transfer.
"""

import socket

from twisted.internet import defer
from twisted.internet.interfaces import IReadDescriptor
from twisted.logger import LogLevel
from twisted.python.failure import Failure
from zope.interface import implementer

from ftpkit.protocol.proxyheader import V2_MAX, InvalidProxyHeader, parseProxyHeader

RETRY = 0.005
"""Seconds before peeking again at a header that came in pieces (the
reactor would report the socket readable at once: its bytes are only
peeked at); the wait doubles with each look, up to L{RETRY_LONGEST}."""

READINGS = 4
"""PROXY headers one session's passive listener reads at once. A balancer
sends its header with its connection's first bytes, so its reading ends
at once; a peer at the balancer's address that sends none (any local
user, where the balancer is on loopback) held a descriptor for every
connection it opened, for the data timeout: 12,000 opened in 3.3 s left
the server holding 3,565 more, and logged a line for each once closed.
Past it, the oldest reading is given up (its connection closed) unless its
header is there to read, so that the balancer's connection, whose header
comes at once, is still read."""

RETRY_LONGEST = 0.25
"""The longest wait between two looks at a header still in pieces. At
L{RETRY} throughout, a peer holding the acceptor's 256 waiting
connections of C{--workers} each with part of a header had it peek 51,200
times a second (a third of a core) until their timeout."""


@implementer(IReadDescriptor)
class _HeaderReader:
    """
    Waits, in the reactor, for the PROXY header of one accepted socket.
    """

    def __init__(self, reactor, sock, timeout, consume):
        """
        @param reactor: the reactor to wait in.
        @param sock: the accepted socket.
        @param timeout: seconds the header may take.
        @param consume: read the header off the socket once complete (else
            it is only peeked at, and left for whoever reads next).
        """
        self.reactor = reactor
        self.sock = sock
        self.consume = consume
        self.done = defer.Deferred(self._cancel)
        self._timer = reactor.callLater(timeout, self._fail,
                                        "no PROXY header in time")
        self._retry = None
        self._delay = RETRY
        reactor.addReader(self)

    def fileno(self):
        """
        @return: the accepted socket's descriptor.
        """
        return self.sock.fileno()

    def logPrefix(self):
        """
        @return: the prefix of the reactor's log lines about this reader.
        """
        return "PROXY data"

    def doRead(self):
        """
        Peek at what arrived: fire L{done} with a complete header (read
        off the socket when C{consume}), fail it with a bad one or a
        closed socket, or look again in L{RETRY} seconds when only part
        of one came (a wait twice as long each time, up to
        L{RETRY_LONGEST}).
        """
        try:
            data = self.sock.recv(V2_MAX, socket.MSG_PEEK)
        except BlockingIOError:
            return None
        except OSError as e:
            self._fail(e.strerror or "receive failed")
            return None
        if not data:
            self._fail("closed before its PROXY header")
            return None
        try:
            header, rest = parseProxyHeader(data)
        except InvalidProxyHeader as e:
            self._fail(str(e))
            return None
        if header is None:
            self.reactor.removeReader(self)
            self._retry = self.reactor.callLater(
                self._delay, self.reactor.addReader, self)
            self._delay = min(self._delay * 2, RETRY_LONGEST)
            return None
        if self.consume:
            try:
                self.sock.recv(len(data) - len(rest))
            except OSError as e:
                self._fail(e.strerror or "receive failed")
                return None
        self._finish()
        self.done.callback(header)
        return None

    def connectionLost(self, reason):
        """
        The reactor dropped the socket: the header will never come.
        """
        self._fail("connection lost")

    def _finish(self):
        """
        Leave the reactor and cancel the timers.
        """
        self.reactor.removeReader(self)
        for timer in (self._timer, self._retry):
            if timer is not None and timer.active():
                timer.cancel()
        self._timer = self._retry = None

    def _fail(self, why):
        self._finish()
        if not self.done.called:
            self.done.errback(InvalidProxyHeader(why))

    def _cancel(self, deferred):
        self._finish()


def readProxyHeader(reactor, sock, timeout, consume=True):
    """
    Read the PROXY header at the start of an accepted socket.

    @param reactor: an C{IReactorFDSet} and C{IReactorTime}.
    @param sock: a connected, non-blocking socket.
    @param timeout: seconds to wait for the header.
    @param consume: take the header's bytes out of the socket; when
        C{False} they stay there for whoever reads the socket next (the
        acceptor of C{--workers} looks at the header, then the worker
        reads it).
    @return: a Deferred firing with the L{ftpkit.protocol.proxyheader.ProxyHeader}
        once its bytes are consumed (or, without C{consume}, all there); failing with
        L{ftpkit.protocol.proxyheader.InvalidProxyHeader} when it is missing, bad,
        or does not come in time. Cancelling it stops the wait (the socket
        is the caller's to close either way).
    """
    return _HeaderReader(reactor, sock, timeout, consume).done


class HeaderReadings:
    """
    The PROXY headers a session's passive listener is reading, of
    connections through its load balancer: each connection is judged,
    once its header is read, by the client the header names (by the
    balancer's own address when it names none); one without a valid
    header is refused and logged.
    """

    def __init__(self, reactor):
        """
        @param reactor: see L{readProxyHeader}.
        """
        self._reactor = reactor
        # Each reading's _HeaderReader, the oldest first (READINGS).
        self._readings = {}

    def read(self, sock, address, timeout, judge, log, warnings=None):
        """
        Read the header of an accepted connection, then judge it; past
        L{READINGS} under way, the oldest is given up.

        @param sock: the accepted socket.
        @param address: the balancer's address, C{(host, port)}.
        @param timeout: seconds to wait for the header.
        @param judge: called with C{sock} and the address it comes from
            once the header is read.
        @param log: the channel's L{twisted.logger.Logger}, which says
            why a connection was refused.
        @param warnings: the server's
            L{ftpkit.control.peerwarnings.PeerWarnings}, which lets the
            balancer's address have a few such lines a minute; C{None}
            for a line each.
        """
        while len(self._readings) >= READINGS:
            oldest, reader = next(iter(self._readings.items()))
            # Its header may be there already, unread: a transfer command
            # accepts every connection queued at once, the client's
            # among the first, before the reactor reads any.
            reader.doRead()
            if oldest in self._readings:
                oldest.cancel()
        reader = _HeaderReader(self._reactor, sock, timeout, True)
        reading = reader.done
        self._readings[reading] = reader
        reading.addBoth(self._read, reading, sock, address, judge, log,
                        warnings)

    def _read(self, result, reading, sock, address, judge, log, warnings):
        """
        A header was read (or was not): judge its connection, or refuse
        it.
        """
        self._readings.pop(reading, None)
        if isinstance(result, Failure):
            if not result.check(defer.CancelledError):
                _logRefused(log, warnings, address[0],
                            result.getErrorMessage())
            sock.close()
            return
        judge(sock, result.source or address)

    def cancel(self):
        """
        Stop every reading under way; their sockets are closed.
        """
        for reading in list(self._readings):
            reading.cancel()


REFUSED = "refused passive data connection from {proxy}: {why}"
"""The line of a connection from the balancer's address refused for its
header."""


def _logRefused(log, warnings, proxy, why):
    """
    Log a connection from the balancer's address refused for its header,
    unless C{warnings} leaves it out.

    @param log: the channel's L{twisted.logger.Logger}.
    @param warnings: see L{HeaderReadings.read}.
    @param proxy: the balancer's address.
    @param why: what was wrong with the header.
    """
    if warnings is None:
        log.warn(REFUSED, proxy=proxy, why=why)
    else:
        warnings.emit(log, LogLevel.warn, "data header", proxy, REFUSED,
                      proxy=proxy, why=why)

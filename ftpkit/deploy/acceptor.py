"""
The listening side of C{--workers} (L{ftpkit.deploy.workers}): which
C{--listen} values the acceptor can take, its listening sockets, and the
accept loop that passes each accepted control connection on to be
dispatched (L{ftpkit.deploy.dispatch}), or, on a C{haproxy:} listener, to
wait for its PROXY header first (L{ftpkit.deploy.proxiedaccept}). Out of
descriptors, it still tells the client C{421} (L{ftpkit.deploy.fdlimit}).
"""

import errno
import socket
from functools import partial

from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import IReadDescriptor
from twisted.logger import Logger
from zope.interface import implementer

from ftpkit.control.implicitendpoints import implicitAsTCP
from ftpkit.control.proxied import PREFIX as PROXY_PREFIX
from ftpkit.control.proxied import isProxied
from ftpkit.data.hosts import normalizeHost, socketAddress
from ftpkit.deploy import fdlimit
from ftpkit.deploy.acceptpause import AcceptPause
from ftpkit.deploy.endpoints import LISTEN_BACKLOG, splitEndpoint
from ftpkit.deploy.listening import EXHAUSTED_AT_ONCE, refuseWaiting

_ACCEPTS_PER_TURN = 64


def parseListenAddress(description):
    """
    Read the address of a C{tcp:} or C{tcp6:} endpoint description, the
    kinds the acceptor can listen on.

    @param description: e.g. C{"tcp:2121:interface=127.0.0.1"} or
        C{"tcp6:2121:interface=\\:\\:1"}.
    @return: C{(family, host, port)}: IPv6 for C{tcp6:}, and for C{tcp:}
        with an IPv6 C{interface} (as Twisted's C{tcp:} listens).
    @raise ValueError: for any other kind of endpoint, or a bad port.
    """
    fields = splitEndpoint(description)
    kind = fields[0]
    if kind not in ("tcp", "tcp6") or len(fields) < 2:
        raise ValueError("needs tcp:, tcp6: or ssl: listeners"
                         " (haproxy: in front of them or not), not %r"
                         % description)
    port, host = None, None
    for field in fields[1:]:
        name, equals, value = field.partition("=")
        if not equals:
            port = name
        elif name == "port":
            port = value
        elif name == "interface":
            host = value
    if port is None or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError("bad port in %r" % description)
    family = (socket.AF_INET6 if kind == "tcp6" or ":" in (host or "")
              else socket.AF_INET)
    if host is None:
        host = "::" if kind == "tcp6" else "0.0.0.0"
    return family, host, int(port)


def acceptorAddress(description):
    """
    Read a C{--listen} value the acceptor of C{--workers} can listen on:
    C{tcp:}, C{tcp6:}, C{ssl:} (implicit FTPS: the acceptor listens on
    its port, the worker speaks TLS), or any of them behind C{haproxy:}.

    @param description: e.g. C{"haproxy:tcp:2121:interface=10.0.0.2"}.
    @return: C{(family, host, port, proxied)}, C{proxied} saying whether
        clients come through a PROXY-protocol balancer.
    @raise ValueError: for any other kind of endpoint, or a bad port.
    """
    description = implicitAsTCP(description)
    proxied = isProxied(description)
    if proxied:
        description = description[len(PROXY_PREFIX):]
    return (*parseListenAddress(description), proxied)


def listeningSocket(family, host, port, backlog=LISTEN_BACKLOG):
    """
    A listening socket as Twisted's C{tcp:} and C{tcp6:} endpoints make
    one, so that C{--workers} listens as a single process does:
    C{SO_REUSEADDR}, and the system's default for C{IPV6_V6ONLY}, so that
    C{tcp6:} on C{::} takes IPv4 clients too where the system does so
    (L{socket.create_server} made it IPv6 only).

    @param family: C{AF_INET} or C{AF_INET6}.
    @param host: the address to listen on.
    @param port: the port.
    @param backlog: the length of the listen queue.
    @return: the non-blocking listening socket.
    @raise CannotListenError: when it cannot listen there (naming the
        address, as Twisted's endpoints do).
    """
    listening = socket.socket(family, socket.SOCK_STREAM)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(socketAddress(host, port))
        listening.listen(backlog)
    except OSError as e:
        listening.close()
        raise CannotListenError(host, port, e)
    listening.setblocking(False)
    return listening


@implementer(IReadDescriptor)
class Acceptor:
    """
    Accepts control connections on one listening socket and dispatches
    them (from a C{haproxy:} listener, once their PROXY header came).
    """

    log = Logger()
    _pause = None

    def __init__(self, dispatcher, listening, proxied=False):
        """
        @param dispatcher: the L{ftpkit.deploy.dispatch.Dispatcher} that
            decides what becomes of each connection.
        @param listening: the listening socket (L{listeningSocket}).
        @param proxied: whether clients send a PROXY header first.
        """
        self.dispatcher = dispatcher
        self.socket = listening
        self.proxied = proxied

    def fileno(self):
        """
        @return: the listening socket's descriptor.
        """
        return self.socket.fileno()

    def logPrefix(self):
        """
        @return: the name used in logs.
        """
        return "ftpkit-acceptor"

    def connectionLost(self, reason):
        """
        The reactor dropped the socket: close it.

        @param reason: a L{twisted.python.failure.Failure} saying why.
        """
        self.socket.close()

    def doRead(self):
        """Accept what is waiting and dispatch it."""
        for _ in range(_ACCEPTS_PER_TURN):
            try:
                connection, address = self.socket.accept()
            except BlockingIOError:
                return
            except OSError as e:
                if e.errno in (errno.EMFILE, errno.ENFILE):
                    self._refuseWithSpare()
                else:
                    self.log.warn("accept failed: {error}", error=str(e))
                return
            host = normalizeHost(address[0])
            if self.proxied:
                self.dispatcher.headerWaits.accepted(connection, host)
            else:
                self.dispatcher.dispatch(connection, host)

    def _refuseWithSpare(self):
        """
        Out of descriptors: close the spare one, accept with it the
        clients waiting (up to L{EXHAUSTED_AT_ONCE}, as a one-process
        listener does, L{ftpkit.deploy.listening.ControlListening}), tell
        each C{421} and close it, then take the spare again (else they
        would wait in the listen queue, unanswered). One a turn of the
        reactor left a burst of clients waiting a turn each, behind the
        other work of the acceptor. Where even the spare frees none,
        accepting pauses (L{AcceptPause}).
        """
        spare = self.dispatcher.spare
        if not spare.release():
            # Given up on a turn that had no descriptor to take it back
            # with: taken again once there is one (before, only after a
            # refusal, which needed it held: never).
            spare.reserve()
            starved, refused = spare.fd is None, 0
        else:
            try:
                refused, starved = refuseWaiting(
                    self.socket, self._refuseExhausted, EXHAUSTED_AT_ONCE)
            finally:
                spare.reserve()
        if starved and not refused:
            # Not even the spare freed a descriptor (a limit lowered below
            # it): the socket, readable every turn, ran this at full CPU.
            if self._pause is None:
                reactor = self.dispatcher.reactor
                self._pause = AcceptPause(
                    reactor, partial(reactor.removeReader, self),
                    self._readAgain)
            self._pause.pause()

    def _readAgain(self):
        """
        Accept again after a pause (L{AcceptPause}), unless the socket was
        closed meanwhile (the acceptor stopped).
        """
        if self.socket.fileno() != -1:
            self.dispatcher.reactor.addReader(self)

    def _refuseExhausted(self, connection, host):
        """
        Refuse a client for want of descriptors (L{fdlimit.REFUSAL}); the
        caller closes its connection.

        @param connection: the accepted socket.
        @param host: the client's address.
        """
        self.dispatcher.refuse(connection, host, fdlimit.REFUSAL)

"""
The service of one C{--listen} endpoint of a one-process server
(L{ControlListening}): it accepts its control connections as bare sockets
(L{ftpkit.deploy.endpoints.BareAccepting}) and, when it stops (the drain
of C{SIGTERM}), tells each client still waiting in the listen queue
C{421} (L{refuseQueued}) before the listening socket is closed: closing
it with connections queued makes the kernel reset them, and a client
that connected just before the drain got a reset instead of a reply.
The acceptor of C{--workers} refuses its queued clients the same way
when it stops (L{ftpkit.deploy.workers.WorkerPool.stopService}).

A client of an implicit-TLS (C{ssl:}) listener refused there, before
any session and so before any TLS, reads L{TLS_REFUSAL}, not a C{421}
in clear (L{refusalBytes}).
"""


from twisted.application import internet, service
from twisted.internet import endpoints

from ftpkit.compat import raiseListenFailures
from ftpkit.compat.eventloop import NO_DESCRIPTOR
from ftpkit.control.implicitendpoints import isImplicitTLS
from ftpkit.control.proxied import listenerFor
from ftpkit.control.tls import implicitListener
from ftpkit.data.hosts import normalizeHost
from ftpkit.deploy import fdlimit
from ftpkit.deploy.acceptpause import AcceptPause
from ftpkit.deploy.endpoints import BareAccepting, withBacklog
from ftpkit.ops.drain import SHUTTING_DOWN
from ftpkit.ops.events import CONNECTION_REFUSED, Event
from ftpkit.ops.listeninglog import logPortListening
from ftpkit.protocol.replies import formatReply

REFUSAL = formatReply(421, SHUTTING_DOWN)
"""What a client queued when the server stops reads before it is closed
(each is also a C{connectionRefused} event, as a refusal at the door is)."""

EXHAUSTED = formatReply(421, fdlimit.REFUSAL)
"""What a client queued while the process has no descriptor to accept it
reads before it is closed."""

EXHAUSTED_AT_ONCE = 100
"""The most clients refused for want of descriptors in one turn of the
reactor: a client connecting as fast as it can does not hold the turn."""

TLS_REFUSAL = bytes([21, 3, 3, 0, 2, 2, 80])
"""
What a client of an implicit-TLS listener refused before its session
reads instead of a C{421}: one TLS record in clear (type 21, an alert;
version 3.3; 2 bytes) holding a fatal (2) C{internal_error} (80) alert,
which a TLS client may get before the server's first handshake message
(RFC 8446 section 6; RFC 5246 section 7.2: "an internal error unrelated
to the peer ... makes it impossible to continue"). Its clients send
their C{ClientHello} at once and wait for TLS: a C{421} in clear read as
a broken handshake (OpenSSL's "wrong version number"), as if the port
spoke no TLS. Finishing the handshake first, to say C{421} in TLS, is
what sessions refused later do; here it cannot be: a drain is closing
the listener, a process out of descriptors has none to hold the
connection with, and an acceptor of C{--workers} speaks no TLS (nor
should a server refusing load spend a handshake on each refusal, which
is why vsftpd and Pure-FTPd write their limits' C{421} in clear there,
and ProFTPD's C{MaxInstances} closes without a byte).
"""

DRAINED = 16384
"""The most bytes a refused client sent read and dropped before its
connection is closed (L{sendReply}): an implicit-TLS client's
C{ClientHello}, the commands a client sent while it waited over a limit
(L{ftpkit.deploy.overlimit}). Closed with them unread, its connection is
reset, which can cut the alert or the C{421} short (the client's kernel
drops what it had not read yet)."""


def refusalBytes(reply, tls):
    """
    @param reply: a refusal's C{421} reply, as bytes.
    @param tls: whether its client came to an implicit-TLS listener.
    @return: what the client is sent: L{TLS_REFUSAL} for a TLS client,
        else C{reply}.
    """
    return TLS_REFUSAL if tls else reply


def sendReply(connection, reply):
    """
    Send a refused client its C{421} (as much as its socket takes at once;
    a client gone already gets nothing), then read and drop what the
    client sent (its C{ClientHello} after L{TLS_REFUSAL}, commands), up to
    L{DRAINED}.

    @param connection: the accepted socket.
    @param reply: the reply's bytes (L{refusalBytes}).
    """
    connection.setblocking(False)
    try:
        connection.send(reply)
        connection.recv(DRAINED)
    except OSError:
        pass


def sendRefusal(connection, host):
    """
    Send a refused client the drain's C{421} (L{sendReply}).

    @param connection: the accepted socket.
    @param host: the client's address.
    """
    sendReply(connection, REFUSAL)


def controlListening(given, factory, reactor=None, listened=logPortListening):
    """
    The listener of one C{--listen} value, as C{twistd ftpkit} and an
    embedding's L{ftpkit.embedding.FTPService} listen: an C{ssl:} one in
    ftpkit's TLS (L{implicitListener}), a C{haproxy:} one reading the
    PROXY header first (L{listenerFor}).

    @param given: the C{--listen} value.
    @param factory: the control-connection factory (its C{config} gives
        the TLS context and the trusted proxies).
    @param reactor: see L{ControlListening}.
    @param listened: see L{ControlListening}.
    @return: a L{ControlListening}.
    """
    config = factory.config
    description, serving = implicitListener(given, factory,
                                            config.tlsContextFactory)
    description, serving = listenerFor(description, serving,
                                       config.trustedProxies, reactor)
    return ControlListening(withBacklog(description), serving, reactor,
                            listened=listened, tls=isImplicitTLS(given))


def refuseQueued(listening, refuse=sendRefusal, limit=None):
    """
    Accept every connection queued on a listening socket, refuse it and
    close it.

    @param listening: a non-blocking listening socket.
    @param refuse: called with each accepted socket and its client's
        address (normalized, L{normalizeHost}): tells the client why (and
        may publish the refusal); the socket is closed after it.
    @param limit: the most to refuse, or C{None} for every one queued.
    @return: how many connections were refused.
    """
    return refuseWaiting(listening, refuse, limit)[0]


def refuseWaiting(listening, refuse=sendRefusal, limit=None):
    """
    L{refuseQueued}, saying why it stopped.

    @param listening: see L{refuseQueued}.
    @param refuse: see L{refuseQueued}.
    @param limit: see L{refuseQueued}.
    @return: C{(refused, starved)}: how many connections were refused,
        and whether it stopped for want of a descriptor to accept one
        with (C{EMFILE}, C{ENFILE}) rather than at the limit or with none
        left.
    """
    refused = 0
    while limit is None or refused < limit:
        try:
            connection, address = listening.accept()
        except OSError as e:  # None left (BlockingIOError), or out of them.
            return refused, e.errno in NO_DESCRIPTOR
        try:
            refuse(connection, normalizeHost(_hostOf(address)))
        except OSError:
            pass
        finally:
            connection.close()
        refused += 1
    return refused, False


def _hostOf(address):
    """
    @param address: what C{accept} gives as the client's address: a
        C{(host, port[, ...])} tuple, or a path for a Unix socket.
    @return: the host part.
    """
    return address[0] if isinstance(address, tuple) else str(address)


class ControlListening(internet.StreamServerEndpointService):
    """
    Listens on one endpoint for control connections, accepted as bare
    sockets; queued clients are told C{421} when it stops, and while the
    process has no descriptor left to accept them (L{fdlimit.REFUSAL}; a
    L{fdlimit.SpareDescriptor} given up to answer them).
    """

    _refusing = False
    _pause = None

    def __init__(self, description, factory, reactor=None,
                 listened=logPortListening, tls=False):
        """
        @param description: the endpoint's description (as
            L{endpoints.serverFromString} reads it).
        @param factory: the protocol factory of the connections.
        @param reactor: the reactor (the global one when C{None}).
        @param listened: called with the port once listening: logs where
            it listens, unless another (L{ListeningAnnouncement.add})
            does so later.
        @param tls: whether its clients start with TLS (an C{ssl:}
            listener's): those it refuses get L{TLS_REFUSAL}.
        """
        if reactor is None:
            from twisted.internet import reactor
        self._reactor = reactor
        self._refusal = refusalBytes(REFUSAL, tls)
        self._exhaustedRefusal = refusalBytes(EXHAUSTED, tls)
        self._spare = fdlimit.SpareDescriptor()
        internet.StreamServerEndpointService.__init__(
            self, BareAccepting(endpoints.serverFromString(
                reactor, description), listened=listened,
                exhausted=self._exhausted), factory)
        # As strports.service: an address that cannot be listened on
        # raises from privilegedStartService, for the caller to report.
        raiseListenFailures(self)

    def privilegedStartService(self):
        """
        Listen, and hold the spare descriptor: before any service starts,
        the sweep at start's thread among them. Taken in
        L{startService}, after that thread had started, the spare could
        get a number above one the thread held for a moment (the
        directory it read), and that number, free again, lay below it:
        a limit lowered to it (C{prlimit}) left the spare above the
        limit, giving it up freed no number a client could be accepted
        on, and Twisted's own recovery closed each client without a
        word. The lowest free number at this point stays taken.
        """
        internet.StreamServerEndpointService.privilegedStartService(self)
        self._spare.reserve()

    def startService(self):
        """
        Listen, unless L{privilegedStartService} did, and hold the spare
        descriptor (again, when started anew after a stop).
        """
        internet.StreamServerEndpointService.startService(self)
        self._refusing = False
        self._spare.reserve()

    def stopService(self):
        """
        Refuse the clients queued on the listening socket, then stop
        listening.

        @return: a Deferred firing once the port stopped listening.
        """
        listening = getattr(self.endpoint.port, "socket", None)
        if listening is not None:
            self._refusing = True
            refuseQueued(listening, self._refuse)
        self._spare.release()
        return internet.StreamServerEndpointService.stopService(self)

    def _exhausted(self):
        """
        The process had no descriptor to accept a client: give up the
        spare one to accept and refuse those queued (up to
        L{EXHAUSTED_AT_ONCE}), each told C{421} with L{fdlimit.REFUSAL}
        and published as a refusal at the door (whose log lines are
        bounded per address), then take it again. Where even the spare
        freed none (a limit lowered below it), accepting pauses
        (L{AcceptPause}).

        @return: whether any was refused, or accepting paused; if not (no
            spare held, or taken meanwhile), Twisted's port handles the
            error its own way.
        """
        port = self.endpoint.port
        listening = getattr(port, "socket", None)
        spare = self._spare
        if self._refusing or listening is None:
            return False
        if not spare.release():
            # Given up before, on a turn that had no descriptor to take
            # it back with: taken again where there is one now.
            spare.reserve()
            starved = spare.fd is None
            refused = 0
        else:
            self._refusing = True
            try:
                refused, starved = refuseWaiting(
                    listening, self._refuseExhausted, EXHAUSTED_AT_ONCE)
            finally:
                self._refusing = False
                spare.reserve()
        if starved and not refused:
            if self._pause is None:
                self._pause = AcceptPause(self._reactor, port.stopReading,
                                          lambda: _readAgain(port))
            self._pause.pause()
            return True
        return refused > 0

    def _publishRefused(self, host, reason):
        """
        Publish a refusal at the door (one C{connectionRefused} event:
        the log line and the metric).

        @param host: the client's address.
        @param reason: the refusal's text.
        """
        hub = getattr(self.factory, "events", None)
        if hub is not None:
            hub.publish(Event(CONNECTION_REFUSED, host,
                              time=self._reactor.seconds(), reason=reason))

    def _refuse(self, connection, host):
        """
        Refuse a queued client as a refusal at the door is, then send it
        the drain's C{421} (or L{TLS_REFUSAL}).
        """
        self._publishRefused(host, SHUTTING_DOWN)
        sendReply(connection, self._refusal)

    def _refuseExhausted(self, connection, host):
        """
        Refuse a queued client for want of descriptors, as a refusal at
        the door is, then send it L{EXHAUSTED} (or L{TLS_REFUSAL}).
        """
        self._publishRefused(host, fdlimit.REFUSAL)
        sendReply(connection, self._exhaustedRefusal)


def _readAgain(port):
    """
    @param port: a listening port whose accepting paused
        (L{AcceptPause}): it accepts again, unless it stopped listening
        meanwhile.
    """
    if port.connected:
        port.startReading()


class ListeningAnnouncement(service.Service):
    """
    Logs where a one-process server listens (L{logPortListening}, for
    each C{--listen} port in order) once the process listens on every
    endpoint it was told to, the C{--metrics} one too: it is started
    after all of them. A port in use among them ends the start before
    (L{ftpkit.deploy.service.Listeners}), and no line says the server
    listens: the C{--listen} ports that had listened were logged, then
    the process ended, where the acceptor of C{--workers}, which logs
    once it listens everywhere, logged none.
    """

    def __init__(self):
        self._ports = []

    def add(self, port):
        """
        A C{--listen} port listens (a L{ControlListening}'s C{listened}).

        @param port: its C{IListeningPort}.
        """
        self._ports.append(port)

    def privilegedStartService(self):
        """
        Every endpoint listens: log the ports.
        """
        service.Service.privilegedStartService(self)
        for port in self._ports:
            logPortListening(port)

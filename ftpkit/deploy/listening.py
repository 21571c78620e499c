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
"""

from twisted.application import internet, service
from twisted.internet import endpoints

from ftpkit.compat import raiseListenFailures
from ftpkit.data.hosts import normalizeHost
from ftpkit.deploy import fdlimit
from ftpkit.deploy.endpoints import BareAccepting
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


def sendReply(connection, reply):
    """
    Send a refused client its C{421} (as much as its socket takes at once;
    a client gone already gets nothing).

    @param connection: the accepted socket.
    @param reply: the reply's bytes.
    """
    connection.setblocking(False)
    try:
        connection.send(reply)
    except OSError:
        pass


def sendRefusal(connection, host):
    """
    Send a refused client the drain's C{421} (L{sendReply}).

    @param connection: the accepted socket.
    @param host: the client's address.
    """
    sendReply(connection, REFUSAL)


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
    refused = 0
    while limit is None or refused < limit:
        try:
            connection, address = listening.accept()
        except OSError:  # None left (BlockingIOError), or out of descriptors.
            return refused
        try:
            refuse(connection, normalizeHost(_hostOf(address)))
        except OSError:
            pass
        finally:
            connection.close()
        refused += 1
    return refused


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

    def __init__(self, description, factory, reactor=None,
                 listened=logPortListening):
        """
        @param description: the endpoint's description (as
            L{endpoints.serverFromString} reads it).
        @param factory: the protocol factory of the connections.
        @param reactor: the reactor (the global one when C{None}).
        @param listened: called with the port once listening: logs where
            it listens, unless another (L{ListeningAnnouncement.add})
            does so later.
        """
        if reactor is None:
            from twisted.internet import reactor
        self._reactor = reactor
        self._spare = fdlimit.SpareDescriptor()
        internet.StreamServerEndpointService.__init__(
            self, BareAccepting(endpoints.serverFromString(
                reactor, description), listened=listened,
                exhausted=self._exhausted), factory)
        # As strports.service: an address that cannot be listened on
        # raises from privilegedStartService, for the caller to report.
        raiseListenFailures(self)

    def startService(self):
        """
        Listen, and hold the spare descriptor.
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
        bounded per address), then take it again.

        @return: whether any was refused; if not (no spare held, or taken
            meanwhile), Twisted's port handles the error its own way.
        """
        listening = getattr(self.endpoint.port, "socket", None)
        spare = self._spare
        if self._refusing or listening is None or not spare.release():
            spare.reserve()
            return False
        self._refusing = True
        try:
            refused = refuseQueued(listening, self._refuseExhausted,
                                   EXHAUSTED_AT_ONCE)
        finally:
            self._refusing = False
            spare.reserve()
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
        the drain's C{421}.
        """
        self._publishRefused(host, SHUTTING_DOWN)
        sendRefusal(connection, host)

    def _refuseExhausted(self, connection, host):
        """
        Refuse a queued client for want of descriptors, as a refusal at
        the door is, then send it L{EXHAUSTED}.
        """
        self._publishRefused(host, fdlimit.REFUSAL)
        sendReply(connection, EXHAUSTED)


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

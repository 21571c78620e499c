"""
The passive side of a session's data channel (L{PassiveListening}, a
mixin of L{ftpkit.data.channel.DataChannel}): the listener a C{PASV} or
C{EPSV} opens (the server's pooled one, or one bound; counted in the
client's address's share of listeners), what connects to it judged (the
client's own connection kept, strangers refused and logged, under C{PROT
P} each of the client's a candidate for the handshake,
L{ftpkit.data.handshakes}), and the listener given up: to the pool once
its connection was claimed, closed otherwise, its descriptor number held
until the reactor's next turn.
"""

from functools import partial

from ftpkit.control.peerwarnings import PeerWarnings
from ftpkit.data import descriptors
from ftpkit.data.hosts import normalizeHost
from ftpkit.data.passive import PASSIVE_BACKLOG, PassiveListener
from ftpkit.data.refusals import RefusedListeners, logStranger, reset
from ftpkit.errors import CannotOpenDataConnection


class PassiveListening:
    """
    A data channel's passive listener and what connects to it. The
    channel (L{ftpkit.data.channel.DataChannel}) holds the state it works
    on (C{_port}, the listener; C{_accepted}, the client's connection
    kept, and C{_acceptedAt}, when; C{claimed}; the listener's C{_timer},
    pool, shares, theft alarm and handshake candidates) and gives it the
    transfer's side: C{_useAccepted}, C{connectionMade}, C{close} and
    C{_expire}.
    """

    _closedIn = None
    _refusedListeners = None
    """The session's L{RefusedListeners}, once a listener was refused."""

    def whenListenable(self):
        """
        Tell whether L{listen} may open a listener now: not in a reactor
        turn in which this channel closed one already, whose descriptor
        number L{ftpkit.data.descriptors} holds until the next turn. A
        client pipelining passive commands (C{EPSV}, or C{PASV} and
        C{ABOR}, by the thousand) held a number for each, all in one
        turn, until the process ran out of descriptors and other clients
        were refused.

        @return: C{None} when it may, else a Deferred firing on the next
            turn.
        """
        closedIn = self._closedIn
        if closedIn is None or closedIn is not descriptors.heldNumbers(
                self.reactor):
            return None
        return descriptors.nextTurn(self.reactor)

    def listen(self, portRange=None):
        """
        Open a passive listener, replacing whatever was set up before.

        Without a configured port range, a listener of the server's
        L{ftpkit.data.listenerpool.ListenerPool} is reused when there is one,
        after refusing whatever connected to it meanwhile; otherwise a new
        one is bound. It closes after C{timeout} seconds unless a transfer
        uses it; the client's connection to it, unless a transfer uses
        it, C{timeout} seconds after it came.

        @param portRange: C{(low, high)} inclusive, or C{None} for any.
        @return: the port number listened on.
        @raise CannotOpenDataConnection: when no port could be bound, or
            the client's address holds its share of listeners already
            (L{ftpkit.data.passiveshares}).
        """
        timer, self._timer = self._timer, None
        self.close()
        self.claimed = False
        if self._shares is not None:
            if not self._shares.take(self.peerHost):
                if timer is not None and timer.active():
                    timer.cancel()
                self._refusedListener().overShare(self.log,
                                                  self._shares.limit,
                                                  self._shares.workers)
                raise CannotOpenDataConnection(
                    "Too many passive connections from your address")
            self._holding = True
        port = None
        if self._pool is not None and portRange is None:
            port = self._pool.take(self.localHost)
        if port is not None:
            port.onAccept = self._passiveAccepted
        else:
            try:
                port = PassiveListener.listen(self.reactor,
                                              self._passiveAccepted,
                                              self.localHost, portRange)
            except CannotOpenDataConnection as e:
                self._releaseShare()
                if timer is not None and timer.active():
                    timer.cancel()
                self._refusedListener().unbound(self.log, e, portRange)
                raise
        port.admits = partial(self._candidates.admits, self)
        self._port = port
        if self._dataTLS() is not None or (
                self._alarm is not None and self._alarm.sounding):
            # Under PROT P the connection is taken when it arrives, to
            # answer its handshake (see L{_passiveAccepted}); after port
            # theft, to refuse strangers before they fill the queue.
            port.startReading()
        elif self._alarm is not None:
            self._alarm.watchLater(port)
        if timer is not None and timer.active():
            # The timer of the last listener, pushed back: cheaper than a
            # new one.
            timer.reset(self.timeout)
            self._timer = timer
        else:
            self._timer = self.reactor.callLater(self.timeout, self._expire)
        return port.port

    def _refuse(self, sock, address):
        """
        Reset a connection left queued on the session's listener, let go
        before its connection was claimed: a stranger's (logged), or a
        stale one of the client's (L{reset}).
        """
        if normalizeHost(address[0]) != self.peerHost:
            logStranger(self.log, address, self.peerHost, self._alarm,
                        self._warnings)
        reset(sock)

    def _passiveAccepted(self, sock, address):
        """
        A passive connection arrived: keep it (unadopted until a transfer
        says what it needs) if it is the first from the control peer; one
        through the session's load balancer is judged by the client its
        PROXY header names.
        """
        if self.proxyHost is not None and (
                normalizeHost(address[0]) == self.proxyHost):
            self._headers.read(sock, address, self.timeout, self._judge,
                               self.log, self._warnings)
            return
        self._judge(sock, address)

    def _judge(self, sock, address):
        """
        Keep C{sock} if it is the first connection from the control peer;
        under C{PROT P}, make it a candidate (L{HandshakeCandidates.take});
        reset any other (L{reset}).

        @param sock: the accepted socket.
        @param address: the address it comes from, C{(host, port)}.
        """
        if normalizeHost(address[0]) != self.peerHost:
            logStranger(self.log, address, self.peerHost, self._alarm,
                        self._warnings)
            reset(sock)
            return
        if self.claimed:
            reset(sock)
            return
        tls = self._tls if self._waiting is not None else self._dataTLS()
        if tls is not None:
            self._candidates.take(self, sock, tls)
            return
        self.claimed = True
        self._stopListening(release=True)
        self._accepted = sock
        if self._waiting is not None:
            self._useAccepted()
            return
        # Kept for a transfer command to come (or, in a lean transfer's
        # own accept, taken at once).
        self._keepUnused()

    def _keepUnused(self):
        """
        The client's connection is kept for a transfer command to come:
        from now on, for at most C{timeout} seconds
        (L{ftpkit.data.channel.DataChannel._expire}, on the listener's
        timer).
        """
        self._acceptedAt = self.reactor.seconds()
        if self._timer is None:
            self._timer = self.reactor.callLater(self.timeout, self._expire)

    @property
    def listener(self):
        """
        @return: the passive listener (an
            L{ftpkit.data.passive.PassiveListener}), or C{None}.
        """
        return self._port

    def claim(self, connection):
        """
        Take a candidate under C{PROT P} as the data connection: the other
        candidates are dropped and the listener is done with.

        @param connection: the candidate's L{DataConnection}.
        """
        self.claimed = True
        self._candidates.drop()
        self._stopListening(release=True)
        self.connectionMade(connection)
        if self.connection is connection:
            # Its handshake done before any transfer command: kept as a
            # clear one is, not bounded by its watchdog alone (which the
            # bytes its client sends meanwhile move on).
            self._keepUnused()

    def claimLost(self):
        """
        Under C{PROT P}, the client's connection ended before its transfer
        could take it (L{ftpkit.data.handshakes}): the waiting transfer
        gets C{425 Data connection closed}, as when a clear one did; the
        listener is done with as for L{claim}.
        """
        self.claimed = True
        self._candidates.drop()
        self._stopListening(release=True)
        self._fail(CannotOpenDataConnection("Data connection closed"))

    def acceptQueued(self):
        """
        Accept the connections already queued on the passive listener,
        refusing strangers, until the client's own is found.
        """
        for _ in range(PASSIVE_BACKLOG + 1):
            if (self._port is None or self._candidates.full
                    or not self._port.acceptOne()):
                return

    def _stopListening(self, release=False):
        """
        Be done with the listener, if any.

        @param release: hand it to the pool (which may close it) once its
            connection was claimed (the pool refuses whatever comes after);
            one never claimed (ABOR, another PASV) is closed once what
            queued on it is refused (strangers logged), so that a
            connection made after C{ABOR} is refused at once, not kept in
            a pooled queue until the port's next listen took it.
            Otherwise close it.
        """
        port, self._port = self._port, None
        if port is None:
            return
        if self._alarm is not None:
            self._alarm.taken(port)
        if self._holding:
            self._releaseShare()
        if release and not self.claimed:
            port.discardQueued(self._refuse)
        if release and self.claimed and self._pool is not None:
            if port.reading:
                port.stopReading()
            self._pool.give(port)
        else:
            port.stopListening()
        # What this turn's closes hold (the pool may have closed it too):
        # see whenListenable.
        self._closedIn = descriptors.heldNumbers(self.reactor)

    def _refusedListener(self):
        """
        @return: the session's L{RefusedListeners}, to log a listener
            refused (through a throttle of its own without the server's).
        """
        if self._refusedListeners is None:
            self._refusedListeners = RefusedListeners(
                self.peerHost, self._warnings or PeerWarnings(self.reactor))
        return self._refusedListeners

    def _releaseShare(self):
        """
        Give back the listener counted in the server's
        L{ftpkit.data.passiveshares.PassiveShares}, if any.
        """
        if self._holding:
            self._holding = False
            self._shares.release(self.peerHost)

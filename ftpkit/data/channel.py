"""
The data channel: passive listeners and active connects, handing a
transfer its connection (L{ftpkit.data.connection}).

A session owns at most one L{DataChannel}. PASV/EPSV make it listen,
PORT/EPRT make it remember where to connect; a transfer command then asks
it for a L{DataConnection} with L{DataChannel.connect}. Its passive side
(the listener, what connects to it, the listener given up) is the
L{ftpkit.data.passivelistening.PassiveListening} mixin's.

Under C{PROT P} a passive listener keeps listening until a connection from
the client's address completes a TLS handshake the session's policy
accepts (L{ftpkit.data.tls.DataTLS.acceptHandshake}): a stranger sharing
that address (the same host, the same NAT) who connects first with
garbage, a handshake of its own or nothing at all no longer ends the
client's transfer (L{ftpkit.data.handshakes}). An active connection under
C{PROT P} likewise goes to its transfer once its handshake is accepted
(L{ftpkit.data.activehandshake}).
"""

from twisted.internet import defer
from twisted.internet.error import ConnectError, ConnectionDone
from twisted.logger import Logger

from ftpkit.data.activehandshake import ActiveHandshake, handshakeDeadline
from ftpkit.data.adopting import adopt, connectBack
from ftpkit.data.connection import DataConnection
from ftpkit.data.handshakes import (
    HANDSHAKE_TIMEOUT,
    PENDING_HANDSHAKES,
    HandshakeCandidates,
)
from ftpkit.data.hosts import normalizeHost
from ftpkit.data.leanconnection import LeanConnection
from ftpkit.data.passivelistening import PassiveListening
from ftpkit.data.proxied import HeaderReadings
from ftpkit.errors import (
    NO_DESCRIPTOR_ERRNOS,
    CannotOpenDataConnection,
    OutOfDescriptors,
)


class DataChannel(PassiveListening):
    """
    The (at most one) pending or open data connection of a session.

    @ivar peerHost: the control connection's peer, normalised; the only
        address a data connection may come from or go to.
    @ivar connection: the L{DataConnection} once there is one.
    """

    log = Logger()
    _accepted = None
    _lean = False
    _tls = None
    _announce = None
    _connector = None
    """The connector of an active connection under way, until it is made
    or fails."""
    _handshake = None
    """The L{ActiveHandshake} of an active connection under TLS, made,
    until it is accepted or fails."""
    _acceptedAt = 0.0
    """When the client's passive connection in C{_accepted} was kept."""

    def __init__(self, reactor, localHost, peerHost, timeout,
                 currentTransfer=lambda: None, pool=None, proxyHost=None,
                 dataTLS=lambda: None, shares=None, alarm=None,
                 warnings=None):
        """
        @param reactor: provides IReactorTCP and IReactorTime.
        @param localHost: the control connection's local address, with its
            zone when it has one (L{ftpkit.data.hosts.withZone}); passive
            listeners bind to it, active connections from it.
        @param peerHost: the control connection's peer address.
        @param timeout: seconds to wait for a data connection, and that a
            data connection may go without moving a byte.
        @param currentTransfer: returns the session's running transfer, or
            C{None} (see L{DataConnection}).
        @param pool: the server's L{ftpkit.data.listenerpool.ListenerPool},
            where listeners done with go and new ones come from; without
            one, each listener is closed once done with.
        @param proxyHost: for a session that came through a load balancer
            (L{ftpkit.control.proxied}), the balancer's address: a passive
            connection from it must start with a PROXY header naming the
            client (L{ftpkit.data.proxied}); C{None} otherwise.
        @param dataTLS: returns the session's L{ftpkit.data.tls.DataTLS} while
            PROT P is in force, else C{None}: a passive connection arriving
            then is put under TLS at once, so that a client may complete
            its handshake before it sends the transfer command (aioftp
            does).
        @param shares: the server's
            L{ftpkit.data.passiveshares.PassiveShares}, which a listener
            is counted in while it listens (for C{peerHost}); C{None}
            for no limit.
        @param alarm: the server's L{ftpkit.data.theftalarm.TheftAlarm}:
            sounded when a stranger is refused; while it sounds, a new
            listener is watched at once, not from the transfer command on,
            and otherwise from when it has waited too long.
        @param warnings: the server's
            L{ftpkit.control.peerwarnings.PeerWarnings}, which decides
            which strangers' refusals are logged (C{None}: all), and
            which of the listeners refused to the client (C{None}: those
            a throttle of the session's own lets through).
        """
        self._alarm = alarm
        self._warnings = warnings
        self._shares = shares
        self._holding = False
        self._dataTLS = dataTLS
        self._pool = pool
        self.proxyHost = None if proxyHost is None else normalizeHost(
            proxyHost)
        self._headers = None if proxyHost is None else HeaderReadings(reactor)
        # (The limits as this module has them when the session starts.)
        self._candidates = HandshakeCandidates(reactor, PENDING_HANDSHAKES,
                                               HANDSHAKE_TIMEOUT)
        self.reactor = reactor
        self.localHost = localHost
        self.peerHost = normalizeHost(peerHost)
        self.timeout = timeout
        self.connection = None
        self.claimed = False
        self._port = None
        self._active = None
        self._waiting = None
        self._timer = None
        self._currentTransfer = currentTransfer

    def buildConnection(self, tls=None, onMade=None):
        """
        @param tls: see L{DataConnection.__init__}.
        @param onMade: called with the connection once made; by default
            L{connectionMade}, which hands it to the transfer.
        @return: a new L{DataConnection} reporting to this channel.
        """
        return DataConnection(onMade or self.connectionMade, self.reactor,
                              self.timeout, self._currentTransfer, tls)

    def announceOpening(self):
        """
        Have the waiting transfer send its C{150} (once): a connection it
        may get has arrived, whose client may wait for that reply before
        it starts its handshake (ftplib does).

        While every candidate has started its handshake, the reply waits
        for the one accepted instead (the transfer sends it then): a
        client that started its handshake needs no reply to finish it,
        and one that ends an empty upload in the turn its handshake
        completes, if the C{150} is already there, may lose its
        close_notify (Node's TLS sockets do, so basic-ftp's 0-byte
        uploads got C{426}). A silent candidate arriving, or one that
        started ending, asks here again.
        """
        if self._announce is None or not self._candidates.anySilent():
            return
        announce, self._announce = self._announce, None
        announce()

    def _useAccepted(self):
        """
        Hand the accepted socket to the waiting transfer: bare, for a lean
        transfer, or adopted as a Twisted transport (under TLS when
        C{_tls} says so).
        """
        if self._lean:
            self.connection = self._leanConnection()
            self._deliver()
            return
        sock, self._accepted = self._accepted, None
        if not adopt(self.reactor, sock, self, self._tls):
            self._fail(CannotOpenDataConnection("Data connection closed"))

    def _leanConnection(self):
        """
        @return: a L{LeanConnection} of the accepted socket, which is no
            longer kept.
        """
        sock, self._accepted = self._accepted, None
        return LeanConnection(sock, self.reactor, self.timeout,
                              self._currentTransfer)

    def connectTo(self, host, port):
        """
        Remember where to connect for the next transfer (PORT/EPRT),
        replacing whatever was set up before.

        @param host: the client's address.
        @param port: its port.
        """
        self.close()
        self._active = (host, port)

    @property
    def isSetUp(self):
        """
        @return: whether PASV/EPSV/PORT/EPRT prepared a connection.
        """
        return (self._port is not None or self._active is not None
                or self.connection is not None or self._accepted is not None)

    @property
    def isConnecting(self):
        """
        @return: whether a transfer waits for its connection
            (L{connect}).
        """
        return self._waiting is not None

    def connect(self, tlsContextFactory=None, lean=False, announce=None,
                beforeHandshake=False):
        """
        Get the data connection for a transfer.

        @param tlsContextFactory: secure the connection with it (PROT P):
            an L{ftpkit.data.tls.DataTLS}, or C{None}.
        @param lean: the transfer only sends a file with C{sendfile} or
            receives one with C{splice}; a passive connection may then come
            as a L{LeanConnection}.
        @param announce: see L{connecting}.
        @param beforeHandshake: see L{connecting}.
        @return: a Deferred firing with a L{DataConnection} (or
            L{LeanConnection}), failing with L{CannotOpenDataConnection}.
        """
        connecting = self.connecting(tlsContextFactory, lean, announce,
                                     beforeHandshake=beforeHandshake)
        if isinstance(connecting, defer.Deferred):
            return connecting
        return defer.succeed(connecting)

    def connecting(self, tlsContextFactory=None, lean=False, announce=None,
                   incoming=False, beforeHandshake=False):
        """
        L{connect}, giving the connection itself when it is there at once
        (a lean one the client opened before its command, the usual case),
        without a Deferred fired for it.

        @param tlsContextFactory: as for L{connect}.
        @param lean: as for L{connect}.
        @param announce: called (at most once) when a passive connection
            under TLS arrived but its handshake is not yet accepted, for
            the transfer's C{150}: its client may wait for that reply
            before its handshake; C{None} to send it once connected.
        @param incoming: an upload: a connection that ended cleanly before
            it (an FXP source sent a small file whole) is given, not refused.
        @param beforeHandshake: the transfer may take an active connection
            under TLS before its handshake (a listing, an empty file's
            download: L{ftpkit.data.movers.Mover.takesBeforeHandshake}, see
            L{ftpkit.data.adopting.ActiveFactory}); else it gets it once
            its handshake is accepted (L{handshaking}).
        @return: a L{LeanConnection}, or a Deferred as L{connect} gives.
        """
        connection = self.connection
        if connection is not None and connection.lostReason and not (
                incoming and isinstance(connection.lostReason, ConnectionDone)):
            self.connection = None
            return defer.fail(
                CannotOpenDataConnection("Data connection closed"))
        if (connection is not None and (
                connection.isSecure != (tlsContextFactory is not None))) or (
                self._candidates and tlsContextFactory is None):
            # Put under TLS on arrival, then PROT C (or the reverse).
            self.close()
            return defer.fail(CannotOpenDataConnection(
                "Protection level changed after the data connection "
                "was opened"))
        if not self.isSetUp:
            return defer.fail(
                CannotOpenDataConnection("No data connection set up"))
        self._tls = tlsContextFactory
        self._lean = lean = lean and tlsContextFactory is None
        if lean:
            if (self._accepted is None and connection is None
                    and self._port is not None):
                # Nobody waits yet: the client's connection, if queued,
                # is only kept (see _judge).
                self.acceptQueued()
            if self._accepted is not None:
                # The client connected before its command (the usual
                # case): its connection comes at once, without a
                # Deferred fired for nobody waiting on it yet.
                return self._leanConnection()
        waiting = self._waiting = defer.Deferred()
        self._announce = announce
        if self._accepted is not None:
            self._useAccepted()
        elif self.connection is not None:
            self._deliver()
        elif self._port is not None:
            if not lean:
                self.acceptQueued()
            self._candidates.timeAll()
            if self._candidates:
                self.announceOpening()
            else:
                self._candidates.handLostEarly(self)
            if self._port is not None:
                if self._candidates.admits(self):
                    self._port.startReading()
                self._cancelTimer()
                self._timer = self.reactor.callLater(self.timeout, self._expire)
        elif self._active is not None:
            host, port = self._active
            self._active = None
            self._connector = connectBack(
                self, host, port, tlsContextFactory,
                handshakeDeadline(self._candidates.timeout, self.timeout),
                beforeHandshake)
        return waiting

    def handshaking(self, connection, seconds):
        """
        An active connection under TLS is made: the waiting transfer sends
        its C{150} now (its client may wait for that reply before it
        accepts the connection and starts the handshake: ftplib, curl),
        and gets the connection once its handshake is accepted; if it
        ends first, or is not done within C{seconds}, the transfer gets
        C{425} (L{ActiveHandshake}).

        @param connection: its L{DataConnection}.
        @param seconds: its deadline.
        """
        self._connector = None
        self._handshake = ActiveHandshake(self.reactor, connection, seconds,
                                          self._handshakePassed,
                                          self._handshakeFailed)
        announce, self._announce = self._announce, None
        if announce is not None:
            announce()

    def _handshakePassed(self, connection):
        """
        The active connection's handshake is accepted: it is the
        transfer's.

        @param connection: its L{DataConnection}.
        """
        self._handshake = None
        self.connectionMade(connection)

    def _handshakeFailed(self, why):
        """
        The active connection ended before its handshake was accepted:
        the transfer gets C{425}.

        @param why: the reason, for the reply.
        """
        self._handshake = None
        self._fail(CannotOpenDataConnection(
            "Can't open data connection: " + why))

    def connectionMade(self, connection):
        """
        Called by the factories when a data connection arrives.

        @param connection: the data connection.
        """
        self._connector = None
        self.connection = connection
        if self._waiting is not None:
            self._deliver()

    def connectionFailed(self, reason):
        """
        Called when an active connect fails: for want of a socket (no
        descriptor left), with L{OutOfDescriptors}.

        @param reason: a L{Failure}, Twisted's C{ConnectError}.
        """
        self._connector = None
        if (reason.check(ConnectError)
                and reason.value.osError in NO_DESCRIPTOR_ERRNOS):
            self._fail(OutOfDescriptors())
        else:
            self._fail(CannotOpenDataConnection("Can't open data connection"))

    def _deliver(self):
        # The timer is left to run out (harmlessly: there is no listener
        # left to close), so that the next listen can push it back.
        waiting, self._waiting = self._waiting, None
        self._announce = None
        connection, self.connection = self.connection, None
        waiting.callback(connection)

    def _fail(self, error):
        """
        @param error: what the transfer waiting for its connection, if
            any, fails with.
        """
        waiting, self._waiting = self._waiting, None
        self._announce = None
        if waiting is not None:
            waiting.errback(error)

    def _expire(self):
        """
        The listener's timer ran out: the listener is closed, and a
        transfer still waiting for its connection gets C{425}. A passive
        connection the client made that no transfer took yet is given
        C{timeout} seconds from its arrival (the same timer, pushed back),
        then closed: a client that opened it and never sent its transfer
        command, or sent one that was refused, held it (and a descriptor)
        until its session ended. Under C{PROT P} so is one whose handshake
        was done (from then on): only its watchdog bounded it, which what
        the client sends before a transfer moves on, so a byte now and
        then kept it. Its next transfer command gets C{425}, as after a
        listener that expired with nobody connected.
        """
        self._timer = None
        unused = self._accepted
        if unused is None and self._waiting is None:
            unused = self.connection
        if unused is not None:
            left = self._acceptedAt + self.timeout - self.reactor.seconds()
            if left > 0:
                self._timer = self.reactor.callLater(left, self._expire)
                return
            if unused is self._accepted:
                self._accepted = None
                unused.close()
            else:
                self.connection = None
                unused.abort()
            self.log.info("passive data connection from {peer} unused for "
                          "{timeout}s; closing", peer=self.peerHost,
                          timeout=self.timeout)
        self._stopListening()
        self._candidates.drop()
        self._fail(CannotOpenDataConnection("Data connection timed out"))

    def _cancelTimer(self):
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def close(self, error=None):
        """
        Drop any listener (to the pool), pending connect (one under way
        is stopped: made after an C{ABOR}, it was kept and carried the
        next transfer command's data without a new C{PORT}) and unused
        connection.

        @param error: what a transfer waiting for its connection
            (L{connect}) fails with: C{425}'s
            L{CannotOpenDataConnection} unless given (L{TransferAborted}
            when the session cuts the transfer).
        """
        if self._timer is not None:
            self._cancelTimer()
        if self._port is not None:
            self._stopListening(release=True)
        self._active = None
        self._candidates.drop()
        if self._headers is not None:
            self._headers.cancel()
        accepted, self._accepted = self._accepted, None
        if accepted is not None:
            accepted.close()
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.abort()
        if self._waiting is not None:
            # (The error is made only for a transfer that waits: close
            # runs at every PASV and EPSV.)
            self._fail(error if error is not None else
                       CannotOpenDataConnection("Data connection closed"))
        connector, self._connector = self._connector, None
        if connector is not None and connector.state == "connecting":
            connector.stopConnecting()
        handshake, self._handshake = self._handshake, None
        if handshake is not None:
            handshake.cancel()

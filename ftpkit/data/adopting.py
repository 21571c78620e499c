"""
Making a L{ftpkit.data.channel.DataChannel}'s data connection a Twisted
transport: adopting an accepted passive socket (L{adopt}), or connecting
back to the client for C{PORT}/C{EPRT} (L{ActiveFactory}).
"""

from twisted.internet.protocol import ClientFactory, Factory

from ftpkit.data.cork import uncork
from ftpkit.data.hosts import normalizeHost, onLinkOf


class AdoptingFactory(Factory):
    """
    Builds the L{ftpkit.data.connection.DataConnection} for a passive
    socket adopted as a Twisted transport.
    """

    noisy = False

    def __init__(self, channel, tls, onMade=None):
        """
        @param channel: the L{ftpkit.data.channel.DataChannel} whose
            connection it builds.
        @param tls: the TLS context factory, or C{None} (no C{PROT P}).
        @param onMade: see
            L{ftpkit.data.channel.DataChannel.buildConnection}.
        """
        self.channel = channel
        self.tls = tls
        self.onMade = onMade

    def buildProtocol(self, addr):
        """
        The data connection for the adopted socket.

        @param addr: the peer's address.
        @return: a L{ftpkit.data.connection.DataConnection}.
        """
        return self.channel.buildConnection(self.tls, self.onMade)


class ActiveFactory(AdoptingFactory, ClientFactory):
    """
    Connects back to the client for PORT/EPRT, building the data
    connection as for an adopted socket.

    Under TLS the connection it makes goes to the transfer only once its
    handshake is accepted, within a deadline (the channel's
    C{handshaking}, L{ftpkit.data.activehandshake}), as a passive one
    under C{PROT P} does; but a listing's or an empty file's download's
    goes at once (C{early}), its handshake timed (L{timeHandshake}): a
    client may never start the TLS of such a connection (curl 7.87-7.88),
    and an empty one then ends without TLS
    (L{ftpkit.data.handshakeend}); a listing with entries whose client
    never handshakes gets C{150} then C{426}.
    """

    def __init__(self, channel, tls, handshakeTimeout, early=False):
        """
        @param channel: see L{AdoptingFactory}.
        @param tls: see L{AdoptingFactory}.
        @param handshakeTimeout: seconds the connection has to complete
            its TLS handshake once made.
        @param early: the transfer gets the connection under TLS before
            its handshake (a listing, an empty file's download:
            L{ftpkit.data.movers.Mover.takesBeforeHandshake}).
        """
        AdoptingFactory.__init__(self, channel, tls,
                                 None if tls is None else self._made)
        self.handshakeTimeout = handshakeTimeout
        self.early = early

    def _made(self, connection):
        """
        The connection under TLS is made: hand it to the channel, which
        waits for its handshake (or, C{early}, gives it to the transfer,
        its handshake timed).

        @param connection: its L{ftpkit.data.connection.DataConnection}.
        """
        if not self.early:
            self.channel.handshaking(connection, self.handshakeTimeout)
            return
        timeHandshake(self.channel.reactor, connection,
                      self.handshakeTimeout)
        self.channel.connectionMade(connection)

    def clientConnectionFailed(self, connector, reason):
        """
        The connect failed: the transfer gets 425.

        @param connector: the connector that failed.
        @param reason: a L{twisted.python.failure.Failure} saying why.
        """
        self.channel.connectionFailed(reason)


def connectBack(channel, host, port, tls, handshakeTimeout, early=False):
    """
    Connect to the client for C{PORT}/C{EPRT} from the control
    connection's local address, under TLS when C{tls} is given.

    @param channel: the L{ftpkit.data.channel.DataChannel} whose
        connection it makes (its C{reactor}, C{localHost} and C{timeout}
        are used).
    @param host: the client's address.
    @param port: its port.
    @param tls: see L{ActiveFactory}.
    @param handshakeTimeout: see L{ActiveFactory}.
    @param early: see L{ActiveFactory}.
    @return: the L{twisted.internet.interfaces.IConnector}, which can
        stop the connect while it is under way.
    """
    factory = ActiveFactory(channel, tls, handshakeTimeout, early)
    if tls is not None:
        factory = tls.wrapFactory(factory)
    local = onLinkOf(normalizeHost(channel.localHost), channel.localHost)
    return channel.reactor.connectTCP(
        onLinkOf(host, channel.localHost), port, factory,
        timeout=channel.timeout, bindAddress=(local, 0))


def timeHandshake(reactor, connection, seconds):
    """
    Give a data connection under TLS, taken by its transfer before its
    handshake (a listing's, an empty download's), a deadline: unless its
    handshake is accepted within C{seconds}, it is told so
    (L{ftpkit.data.handshakeend.EndBeforeHandshake.handshakeOverdue}),
    which aborts it (its transfer then ends with C{426}) unless its client
    is silent and nothing was written to it: such a download then ends
    without TLS, complete, once its transfer finishes (curl 7.87-7.88).

    @param reactor: provides IReactorTime.
    @param connection: a L{ftpkit.data.connection.DataConnection} under
        TLS, just made.
    @param seconds: how long its handshake may take.
    """
    timer = reactor.callLater(seconds, connection.handshakeOverdue)

    def cancel(ignored):
        if timer.active():
            timer.cancel()
    connection.whenSecured().addCallback(cancel)
    connection.whenLost().addCallback(cancel)


def adopt(reactor, sock, channel, tls, onMade=None):
    """
    Adopt an accepted passive socket as a Twisted transport, under TLS
    when C{tls} is given; the socket itself is closed either way.

    A passive connection comes corked (L{ftpkit.data.cork}); a transport
    sends as it writes, so it is uncorked first.

    @param reactor: provides IReactorSocket.
    @param sock: the accepted socket.
    @param channel: see L{AdoptingFactory}.
    @param tls: see L{AdoptingFactory}.
    @param onMade: see L{AdoptingFactory}.
    @return: whether the reactor took it (not when the connection was
        already gone).
    """
    uncork(sock)
    factory = AdoptingFactory(channel, tls, onMade)
    if tls is not None:
        factory = tls.wrapFactory(factory)
    try:
        reactor.adoptStreamConnection(sock.fileno(), sock.family, factory)
    except OSError:
        return False
    finally:
        sock.close()
    return True

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

    Under TLS the connection it makes gets the handshake timeout a
    passive one under C{PROT P} gets (L{ftpkit.data.handshakes}): a
    client that accepts it and never starts its handshake had the
    transfer wait for the data timeout instead.
    """

    def __init__(self, channel, tls, handshakeTimeout=None):
        """
        @param channel: see L{AdoptingFactory}.
        @param tls: see L{AdoptingFactory}.
        @param handshakeTimeout: seconds the connection has to complete
            its TLS handshake once made (L{timeHandshake}); C{None} for
            no limit but the data timeout.
        """
        timed = tls is not None and handshakeTimeout is not None
        AdoptingFactory.__init__(self, channel, tls,
                                 self._made if timed else None)
        self.handshakeTimeout = handshakeTimeout

    def _made(self, connection):
        """
        The connection under TLS is made: time its handshake, then hand
        it to the channel.

        @param connection: its L{ftpkit.data.connection.DataConnection}.
        """
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


def connectBack(channel, host, port, tls, handshakeTimeout):
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
    @return: the L{twisted.internet.interfaces.IConnector}, which can
        stop the connect while it is under way.
    """
    factory = ActiveFactory(channel, tls, handshakeTimeout)
    if tls is not None:
        factory = tls.wrapFactory(factory)
    local = onLinkOf(normalizeHost(channel.localHost), channel.localHost)
    return channel.reactor.connectTCP(
        onLinkOf(host, channel.localHost), port, factory,
        timeout=channel.timeout, bindAddress=(local, 0))


def timeHandshake(reactor, connection, seconds):
    """
    Abort a data connection under TLS unless its handshake is accepted
    within C{seconds}: its transfer then ends (C{426}), as a passive
    one's does.

    @param reactor: provides IReactorTime.
    @param connection: a L{ftpkit.data.connection.DataConnection} under
        TLS, just made.
    @param seconds: how long its handshake may take.
    """
    timer = reactor.callLater(seconds, connection.abort)

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

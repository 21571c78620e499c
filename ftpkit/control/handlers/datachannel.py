"""
PASV, EPSV, PORT and EPRT: setting up the next data connection; PRET,
which announces the command it is for.
"""

import functools

from twisted.logger import LogLevel

from ftpkit.data.hosts import connectBackHost, endpointText, normalizeHost
from ftpkit.errors import CannotOpenDataConnection, UnsupportedNetworkProtocol
from ftpkit.ops.hostcheck import isAddress
from ftpkit.protocol.commands import (
    formatHostPort,
    parseEPRT,
    parseEPSV,
    parseHostPort,
    parsePRET,
)

PRIVILEGED_PORTS = 1024
"""PORT/EPRT to a port below this is refused (bounce protection)."""

NO_ADDRESS = ("No data connection: this connection does not give your "
              "address (a Unix socket's)")
"""The refusal of every data connection of a client with no address (a
C{unix:} listener's, or a C{haproxy:unix:} one's whose header named
none): a passive connection is taken for the client's by its address,
and an active one goes back to it."""


@functools.lru_cache(maxsize=4096)
def peerIsAddress(peer):
    """
    L{isAddress}, remembered: a session asks it of its client's address
    at every C{PASV}, C{EPSV}, C{PORT} and C{EPRT}, the same few
    addresses come back for every session, and parsing one with
    L{ipaddress} each time was a visible part of a small transfer's cost
    (C{docs/benchmark-investigations.rst}, C{bench-smallstor-27}).

    @param peer: a session's C{peer}.
    @return: whether it is an IPv4 or IPv6 address (else the client has
        none, and gets L{NO_ADDRESS}).
    """
    return isAddress(peer)


def addressFamily(host):
    """
    @param host: an address as text.
    @return: 1 for IPv4 (including IPv4-mapped IPv6), 2 for IPv6.
    """
    return 2 if ":" in normalizeHost(host) else 1


def otherFamily(family):
    """
    The reply to C{EPSV} or C{EPRT} naming a network protocol the
    connection cannot use (RFC 2428: 522 and the protocols it can, which
    is the one the control connection came over, whether the one named
    is unknown or the other).

    @param family: the one usable, 1 (IPv4) or 2 (IPv6).
    @return: the C{(522, text)} reply.
    """
    return (522, "Network protocol not supported, use (%d)" % family)


def setUpFirst(epsvAll, ipv4, hasAddress, activeIPv4=None):
    """
    The text of the C{425} a transfer command gets when no data connection
    was set up: the commands that can set one up in this session, and
    only those, as C{HELP} lists them (after C{EPSV ALL} C{PASV}, C{PORT}
    and C{EPRT} get C{503}; on an IPv6 control connection C{PASV} cannot
    work, nor C{PORT} for an IPv6 client).

    @param epsvAll: the session sent C{EPSV ALL}.
    @param ipv4: the control connection's local address is IPv4 (or
        IPv4-mapped): C{PASV} can answer.
    @param hasAddress: the client has an address (else no data connection
        can be made at all: L{NO_ADDRESS}).
    @param activeIPv4: the client's address is IPv4: C{PORT} can connect
        back to it; C{None}: as C{ipv4} (a client whose address is not of
        the control connection's family is one behind a PROXY header).
    @return: the reply text.
    """
    if not hasAddress:
        return NO_ADDRESS
    if epsvAll:
        return "Use EPSV first"
    if activeIPv4 is None:
        activeIPv4 = ipv4
    verbs = [verb for verb, usable in (("PASV", ipv4), ("EPSV", True),
                                       ("PORT", activeIPv4), ("EPRT", True))
             if usable]
    return "Use %s or %s first" % (", ".join(verbs[:-1]), verbs[-1])


class DataChannelCommands:
    """
    The data-channel setup commands.
    """

    sessionFields = frozenset(["epsvAll"])

    def _localHost(self):
        return normalizeHost(self.dataChannel.localHost)

    def passiveIPv4(self):
        """
        @return: whether C{PASV} (and C{CPSV}) may answer on this control
            connection: its local address is IPv4 (or IPv4-mapped), the
            only family a C{227} reply can name.
        """
        host = self.localAddress()
        return addressFamily(getattr(host, "host", "127.0.0.1")) == 1

    def activeIPv4(self):
        """
        @return: whether C{PORT}, which names an IPv4 address, may connect
            back to this client: its address is IPv4 (or IPv4-mapped; or
            none at all, which every data connection command refuses
            alike: L{NO_ADDRESS}).
        """
        return addressFamily(self.peer) == 1

    def clientHasAddress(self):
        """
        @return: whether the client has an address a data connection can
            come from or go back to (L{peerIsAddress}): not a C{unix:}
            listener's, which gets L{NO_ADDRESS}.
        """
        return peerIsAddress(self.peer)

    def noDataConnection(self):
        """
        @return: the L{CannotOpenDataConnection} (C{425}) of a transfer
            command sent before any data connection was set up, naming
            what this session can set one up with (L{setUpFirst}).
        """
        return CannotOpenDataConnection(setUpFirst(
            self.session.epsvAll, self.passiveIPv4(),
            self.clientHasAddress(), self.activeIPv4()))

    def ftp_PRET(self, argument):
        """
        Take the announcement of the transfer command the next data
        connection is for (drftpd's C{PRET}, which C{curl --ftp-pret}
        sends before C{PASV} or C{EPSV}, and gives up the transfer with
        exit code 84 unless it gets C{200}): one server does every
        transfer here, so nothing needs choosing. It is checked
        (L{parsePRET}) and left out of C{FEAT} (see the command table).
        """
        return (200, "OK, %s may follow" % parsePRET(argument))

    def ftp_PASV(self, argument):
        """
        Listen for an IPv4 data connection (227): L{passive}.
        """
        return self.passive(argument)

    def passive(self, argument, verb="PASV"):
        """
        Listen for an IPv4 data connection (227). On an IPv6 control
        connection a 227 could only name an address the data connection
        cannot come from (see docs/protocol.rst): RFC 2428's "network
        protocol not supported" (522), pointing at EPSV, a refusal that a
        client does not retry.

        @param argument: the command's argument.
        @param verb: the command, C{PASV} or C{CPSV}, as refusals name it.
        @return: its reply, or a coroutine giving it.
        """
        self.forgetClientNext()
        if self.session.epsvAll:
            return (503, "%s not allowed after EPSV ALL" % verb)
        if not self.passiveIPv4():
            return (522, "Network protocol not supported, use EPSV (2)")
        if not self.clientHasAddress():
            return (425, NO_ADDRESS)
        local = self._localHost()
        if self.dataChannel.whenListenable() is not None:
            return self._listenLater(
                functools.partial(self.passive, verb=verb), argument)
        port = self.dataChannel.listen(self.config.passivePorts)
        address = self.config.passiveAddress or local
        return (227, "Entering Passive Mode (%s)"
                % formatHostPort(address, port))

    def ftp_EPSV(self, argument):
        """
        Listen for a data connection, any family (229), or EPSV ALL.
        """
        self.forgetClientNext()
        channel = self.dataChannel
        try:
            family = parseEPSV(argument)
        except UnsupportedNetworkProtocol:
            family = 0  # no family's number: 522, if the client has an address
        if family == "ALL":
            self.session.epsvAll = True
            return (200, "EPSV ALL ok")
        if not self.clientHasAddress():
            # Before the family: no family would do.
            return (425, NO_ADDRESS)
        if family is not None:
            # The family the connection can use, worked out only for an
            # EPSV that names one (not the usual EPSV, before each file).
            usable = addressFamily(channel.localHost)
            if family != usable:
                return otherFamily(usable)
        if channel.whenListenable() is not None:
            return self._listenLater(self.ftp_EPSV, argument)
        port = channel.listen(self.factory.config.passivePorts)
        return (229, "Entering Extended Passive Mode (|||%d|)" % port)

    async def _listenLater(self, command, argument):
        """
        Run a passive command once its data channel may listen again
        (L{ftpkit.data.channel.DataChannel.whenListenable}): on a later
        reactor turn.

        @param command: L{passive} (for its verb) or C{ftp_EPSV}.
        @param argument: its argument.
        @return: its reply.
        """
        while (waiting := self.dataChannel.whenListenable()) is not None:
            await waiting
        return command(argument)

    def ftp_PORT(self, argument):
        """
        Connect back to the client for the next transfer (IPv4).
        """
        if self.session.epsvAll:
            return (503, "PORT not allowed after EPSV ALL")
        host, port = parseHostPort(argument)
        return self._connectBack(host, port, "PORT")

    def ftp_EPRT(self, argument):
        """
        Connect back to the client for the next transfer (RFC 2428).
        """
        if self.session.epsvAll:
            return (503, "EPRT not allowed after EPSV ALL")
        usable = addressFamily(self.peer)
        try:
            family, host, port = parseEPRT(argument)
        except UnsupportedNetworkProtocol:
            family = None
        if not self.clientHasAddress():
            # Before the family: no family would do.
            return (501, NO_ADDRESS)
        if family is None:
            return otherFamily(usable)
        if family != usable:
            return otherFamily(usable)
        return self._connectBack(host, port, "EPRT")

    def _connectBack(self, host, port, verb):
        self.forgetClientNext()
        if not self.clientHasAddress():
            # Else the unspecified address (the client itself) named the
            # peer's text, connected to as a host name.
            return (501, NO_ADDRESS)
        # Logged through the server's PeerWarnings: each kind gets its
        # lines a minute for each client address, over all its sessions
        # (throttled for each session alone, a client opening sessions
        # that each sent one had a line logged for each).
        target = connectBackHost(host, self.peer)
        if target is None:
            self.factory.peerWarnings.emit(
                self.log, LogLevel.warn, "foreign PORT", self.peer,
                "refused PORT/EPRT to {endpoint} from {peer}: foreign "
                "address (FTP bounce)", endpoint=endpointText(host, port),
                host=host, port=port, peer=self.peer)
            return (501, "Data connection only to your own address")
        if port < PRIVILEGED_PORTS:
            self.factory.peerWarnings.emit(
                self.log, LogLevel.warn, "privileged PORT", self.peer,
                "refused PORT/EPRT to privileged port {port} from {peer}",
                port=port, peer=self.peer)
            return (501, "Data connection to a privileged port refused")
        if self._isControlEnd(target, port):
            self.factory.peerWarnings.emit(
                self.log, LogLevel.warn, "own PORT", self.peer,
                "refused PORT/EPRT to {endpoint} from {peer}: this "
                "server's control port", endpoint=endpointText(host, port),
                host=host, port=port, peer=self.peer)
            return (501, "Data connection to this server's control port "
                         "refused")
        self.dataChannel.connectTo(target, port)
        return (200, f"{verb} command successful")

    def _isControlEnd(self, host, port):
        """
        @param host: the address a C{PORT} or C{EPRT} connects back to.
        @param port: its port.
        @return: whether that is this control connection's own end: a
            client on the server's machine naming it would have the
            server connect to itself and send a file's lines to a new
            session as its commands.
        """
        local = self.localAddress()
        return (port == getattr(local, "port", None)
                and normalizeHost(local.host) == host)

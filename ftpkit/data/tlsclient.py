"""
The TLS client side of data connections, for secure FXP (a transfer
between two servers, the client steering both): after C{SSCN ON}, or on
the connection a C{CPSV} listener takes, this server makes the data
connection's handshake as the TLS client, the other server answering as
the TLS server, as ProFTPD's mod_tls does (L{ClientDataTLS}).

The peer is another server, not the session's client: it cannot resume
the control connection's TLS session, and its certificate names no host
this server could check (the client chose the two ends), so none is
checked; the connection is private against anyone on the path, as clear
FXP is not.
"""

from functools import lru_cache

from OpenSSL import SSL
from twisted.internet.interfaces import IOpenSSLClientConnectionCreator
from twisted.internet.ssl import AcceptableCiphers, CertificateOptions, TLSVersion
from twisted.protocols.tls import TLSMemoryBIOFactory
from zope.interface import implementer

from ftpkit.control.tls import MODERN_CIPHERS, refusingRenegotiation
from ftpkit.data.tls import DataTLSProtocol


class ClientDataTLSProtocol(DataTLSProtocol):
    """
    The TLS layer of a data connection this side opens as the TLS client:
    it receives session tickets, issues none, so it holds none back.
    """

    def holdTickets(self):
        """
        See L{DataTLSProtocol.holdTickets}: nothing to hold.
        """


@implementer(IOpenSSLClientConnectionCreator)
class ClientDataTLS:
    """
    The TLS client side of a session's data connections: what
    L{ftpkit.data.tls.DataTLS} is for the server side (the same methods,
    which L{ftpkit.data.connection.DataConnection} and
    L{ftpkit.data.adopting} call), with a context of its own (TLS 1.2 at
    least, up to what the server offers its clients, no certificate
    checked, no renegotiation the other server asks for:
    L{ftpkit.control.tls.refusingRenegotiation}).
    """

    def __init__(self, maximumVersion=TLSVersion.TLSv1_2):
        """
        @param maximumVersion: the highest TLS version offered, a
            L{TLSVersion} constant or C{None} for OpenSSL's highest.
        """
        options = CertificateOptions(
            verify=False,
            raiseMinimumTo=TLSVersion.TLSv1_2,
            lowerMaximumSecurityTo=maximumVersion,
            acceptableCiphers=AcceptableCiphers.fromOpenSSLCipherString(
                MODERN_CIPHERS),
        )
        self.context = refusingRenegotiation(options)

    def clientConnectionForTLS(self, tlsProtocol):
        """
        @see: L{IOpenSSLClientConnectionCreator.clientConnectionForTLS}
        """
        return SSL.Connection(self.context, None)

    def acceptHandshake(self, connection):
        """
        @param connection: the data connection's L{SSL.Connection}.
        @return: C{True}: the peer is not the client, whose session it
            could have resumed.
        """
        return True

    def accepted(self, connection):
        """
        A data connection's handshake completed: nothing to do.

        @param connection: its L{SSL.Connection}.
        """

    def uploadEOFAccepted(self, layer, reason):
        """
        A server sending a file here (FXP) ended its TLS stream without a
        close_notify: the transfer is cut, whatever
        C{--tls-allow-upload-eof} says (it is for clients that never send
        one).

        @param layer: the connection's TLS layer.
        @param reason: why it was lost.
        @return: C{False}.
        """
        return False

    def wrapFactory(self, factory):
        """
        Put the TLS client side under the connections C{factory} builds.

        @param factory: an L{IProtocolFactory}.
        @return: a factory of L{ClientDataTLSProtocol}s wrapping
            C{factory}'s protocols.
        """
        tlsFactory = TLSMemoryBIOFactory(self, True, factory)
        tlsFactory.protocol = ClientDataTLSProtocol
        tlsFactory.noisy = False
        return tlsFactory


@lru_cache(maxsize=4)
def clientDataTLS(maximumVersion):
    """
    @param maximumVersion: see L{ClientDataTLS}.
    @return: the process's L{ClientDataTLS} for that version (its context
        made once).
    """
    return ClientDataTLS(maximumVersion)

"""
The TLS of data connections (RFC 4217 section 9): the server side of each
session's data connections (L{DataTLS}), sharing the control connection's
context so that its session can be resumed, deciding which handshakes may
carry data (session reuse) and which TLS 1.3 tickets the client is sent,
and whether an upload without a close_notify is complete. The TLS layer
under each data connection (L{DataTLSProtocol}) is
L{ftpkit.data.tlslayer}'s.
"""

import hashlib

from OpenSSL import SSL
from twisted.internet.interfaces import (
    IOpenSSLServerConnectionCreator,
    ISSLTransport,
)
from twisted.logger import Logger
from twisted.protocols.tls import TLSMemoryBIOFactory
from zope.interface import implementer

from ftpkit import compat
from ftpkit.control.tls import (
    SESSION_CACHE_SIZE,
    FTPSContextFactory,
    sessionReused,
)

# The TLS layer moved to ftpkit.data.tlslayer (session 47); its names stay
# importable from here, where code and docs outside the package found them
# (docs/benchmark.rst names ftpkit.data.tls.ANSWERS_LIMIT).
from ftpkit.data.tlslayer import (  # noqa: F401 (importable from here, as before)
    ANSWERS_LIMIT,
    BULK_WRITE_SIZE,
    DataTLSProtocol,
    keepSessionResumable,
    receivedCloseNotify,
    sentCloseNotify,
)

_log = Logger()


def sessionSecret(connection):
    """
    @param connection: an L{SSL.Connection} whose handshake completed.
    @return: the master secret of its TLS 1.2 session, which a connection
        resuming that session has too, and no other; C{None} under TLS 1.3,
        where a resumed session has a secret of its own.
    """
    if connection.get_protocol_version_name() == "TLSv1.3":
        return None
    return connection.master_key()


class ResumedTickets:
    """
    The TLS 1.3 tickets one control connection's data connections resumed
    (the newest L{SESSION_CACHE_SIZE}, known by a digest of their secret),
    so that a ticket resumed again does not earn the client a new one
    (L{DataTLS.accepted}).
    """

    def __init__(self, bound=SESSION_CACHE_SIZE):
        """
        @param bound: how many tickets to remember.
        """
        self._seen = {}
        self._bound = bound

    def first(self, secret):
        """
        Note a resumed ticket.

        @param secret: the secret of the session a data connection resumed
            (C{master_key()}: under TLS 1.3, one of its own for each
            ticket).
        @return: whether no data connection noted before resumed it.
        """
        key = hashlib.blake2b(secret, digest_size=16).digest()
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self._bound:
            del self._seen[next(iter(self._seen))]
        return True


@implementer(IOpenSSLServerConnectionCreator)
class DataTLS:
    """
    The TLS server side of one session's data connections: the control
    connection's context, so the client may resume its session.

    L{ftpkit.data.connection.DataConnection} calls L{acceptHandshake} once the
    handshake is done and drops the connection, before any data, when it
    says no.

    @ivar context: the L{SSL.Context} shared with the control connection.
    @ivar requireSessionReuse: refuse handshakes that did not resume the
        control connection's session (L{resumesControl}).
    @ivar control: the control connection's L{SSL.Connection}, which
        L{accepted} gives a new session ticket, or C{None}.
    @ivar controlSecret: without L{control} (a control connection C{CCC}
        cleared), the L{sessionSecret} its TLS session had, or C{None}.
    @ivar refused: called with no argument when L{acceptHandshake} says
        no, to log it: the session's line, throttled for its client's
        address (L{ftpkit.control.peerwarnings}); by default a line each.
    @ivar resumedTickets: the control connection's L{ResumedTickets}.
    @ivar allowUploadEOF: an upload whose client ends its data connection
        in order without a close_notify is complete
        (C{--tls-allow-upload-eof}; L{uploadEOFAccepted}).
    """

    def __init__(self, context, requireSessionReuse=False, control=None,
                 refused=None, controlSecret=None, resumedTickets=None,
                 allowUploadEOF=False):
        self.allowUploadEOF = allowUploadEOF
        self.context = context
        self.requireSessionReuse = requireSessionReuse
        self.control = control
        self.refused = refused or _logRefused
        self.controlSecret = controlSecret
        if resumedTickets is None:
            resumedTickets = ResumedTickets()
        self.resumedTickets = resumedTickets

    def serverConnectionForTLS(self, tlsProtocol):
        """
        @see: L{IOpenSSLServerConnectionCreator.serverConnectionForTLS}

        The connection issues no TLS 1.3 session tickets
        (L{compat.issueNoTickets}): clients resume the control
        connection's, and each would take a place in the control
        connection's bounded session cache
        (L{ftpkit.control.tls.SESSION_CACHE_SIZE}).
        """
        connection = SSL.Connection(self.context, None)
        compat.issueNoTickets(connection)
        return connection

    def acceptHandshake(self, connection):
        """
        @param connection: the data connection's L{SSL.Connection}, its
            handshake complete.
        @return: whether the data connection may carry data; when not,
            L{refused} was called.
        """
        if not self.requireSessionReuse or self.resumesControl(connection):
            return True
        # Kept, its session would take a place in the control connection's
        # bounded cache: enough of them pushed the control connection's
        # own session out (L{compat.forgetSession}).
        compat.forgetSession(connection)
        self.refused()
        return False

    def resumesControl(self, connection):
        """
        @param connection: a data connection's L{SSL.Connection}, its
            handshake complete.
        @return: whether it resumed the control connection's TLS session.
            Having resumed a session of the shared context is not enough
            under TLS 1.2: a stranger's data connection refused for its
            full handshake leaves its own session in that context's cache
            (kept resumable, L{keepSessionResumable}), and resuming it
            on the next connection to the passive port took the client's
            transfer. Under TLS 1.3 data connections issue no tickets
            (L{serverConnectionForTLS}): the only sessions to resume are
            the control connection's.
        """
        if not sessionReused(connection):
            return False
        secret = sessionSecret(connection)
        if secret is None:
            return True
        if self.control is not None:
            return secret == sessionSecret(self.control)
        return secret == self.controlSecret

    def accepted(self, connection):
        """
        A data connection passed L{acceptHandshake}. If session reuse is
        required and the connection resumed a TLS 1.3 session, have the
        control connection send the client a new ticket (with its next
        reply: the C{150} or the final reply), for its next data
        connection.

        A client whose TLS library uses each TLS 1.3 ticket once (OpenSSL's
        client cache, which curl uses, drops a session once resumed) would
        otherwise have none left after an upload: the ticket of the data
        connection itself, held back (L{DataTLSProtocol.holdTickets}), never
        reaches it, and sent at once it came after the client had closed
        the connection, whose reset then cut the upload.

        Only for a ticket no data connection of the control connection
        resumed before (L{resumedTickets}): a client resuming one ticket
        on every data connection (wget, GnuTLS) got a new ticket each
        time, each taking a place in the control connection's bounded
        session cache (L{SESSION_CACHE_SIZE}) until its own ticket left
        it, and the next data connection was refused (found by the
        thirty-sixth session's client sweep, after 63 transfers).

        @param connection: the data connection's L{SSL.Connection}.
        """
        if (self.requireSessionReuse and self.control is not None
                and connection.get_protocol_version_name() == "TLSv1.3"
                and self.resumedTickets.first(connection.master_key())):
            compat.newSessionTicket(self.control)

    def uploadEOFAccepted(self, layer, reason):
        """
        Whether an upload's data connection that ended without the
        client's close_notify is complete all the same.

        By default it is not (C{docs/tls.rst}: a FIN can be forged by
        anyone on the path, a truncation attack). With L{allowUploadEOF}
        (vsftpd's C{strict_ssl_read_eof=NO}, its default, and ProFTPD's
        way) it is when the client ended the TCP connection in order (a
        FIN): clients such as wput 0.6.2 and netkit's C{ftp-ssl} never
        send a close_notify, and could upload nothing otherwise. A reset,
        or a fatal alert (an C{SSL.Error}), still cuts it.

        @param layer: the connection's L{DataTLSProtocol}, lost.
        @param reason: the L{twisted.python.failure.Failure} its
            C{connectionLost} was given.
        @return: whether the upload is complete.
        """
        return (self.allowUploadEOF and layer.finWithoutCloseNotify
                and reason.check(SSL.Error) is None)

    def wrapFactory(self, factory):
        """
        Put the TLS server side (RFC 4217 section 9: also on connections
        the server opened) under the connections C{factory} builds.

        @param factory: an L{IProtocolFactory} (a L{ClientFactory} for
            outgoing connections).
        @return: a factory of L{DataTLSProtocol}s wrapping C{factory}'s
            protocols.
        """
        tlsFactory = TLSMemoryBIOFactory(self, False, factory)
        tlsFactory.protocol = DataTLSProtocol
        tlsFactory.noisy = False
        return tlsFactory


def _logRefused():
    """
    L{DataTLS.refused} by default: a line for each refusal.
    """
    _log.warn("data connection TLS handshake refused (no session reuse); "
              "dropping it")


def controlConnection(transport):
    """
    @param transport: a control connection's transport.
    @return: its TLS connection (an L{SSL.Connection}), or C{None} when it
        is not under TLS. A wrapper that declares its transport's
        interfaces when the connection is made (the PROXY protocol's,
        L{ftpkit.control.proxied.ProxiedProtocol}) does not declare
        C{ISSLTransport} once C{AUTH TLS} has put TLS under it, but hands
        on its C{getHandle}, which then gives the TLS connection.
    """
    if ISSLTransport.providedBy(transport):
        return transport.getHandle()
    try:
        handle = transport.getHandle()
    except AttributeError:
        return None
    return handle if isinstance(handle, SSL.Connection) else None


def dataChannelTLS(controlTransport, contextFactory,
                   requireSessionReuse=False, refused=None,
                   resumedTickets=None, allowUploadEOF=False):
    """
    The TLS for a session's data connections.

    @param controlTransport: the control connection's transport.
    @param contextFactory: the configured context factory, used when the
        control transport offers no OpenSSL context.
    @param requireSessionReuse: see L{DataTLS.requireSessionReuse}.
    @param refused: see L{DataTLS.refused}.
    @param resumedTickets: see L{DataTLS.resumedTickets}.
    @param allowUploadEOF: see L{DataTLS.allowUploadEOF}.
    @return: a L{DataTLS}, or C{None} when there is no TLS to offer.
    """
    control = controlConnection(controlTransport)
    if control is not None:
        return DataTLS(control.get_context(), requireSessionReuse, control,
                       refused, resumedTickets=resumedTickets,
                       allowUploadEOF=allowUploadEOF)
    if isinstance(contextFactory, FTPSContextFactory):
        context = contextFactory.makeContext()
    elif contextFactory is not None:
        context = contextFactory.getContext()
    else:
        return None
    return DataTLS(context, requireSessionReuse, refused=refused,
                   allowUploadEOF=allowUploadEOF)

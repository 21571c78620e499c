"""
The TLS of data connections (RFC 4217 section 9): the server side of each
session's data connections (L{DataTLS}), sharing the control connection's
context so that its session can be resumed, and the TLS layer under them
(L{DataTLSProtocol}), which also tells how the client closed and holds TLS
1.3 session tickets back.
"""

import hashlib

from OpenSSL import SSL
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import (
    IHalfCloseableProtocol,
    IOpenSSLServerConnectionCreator,
    ISSLTransport,
)
from twisted.logger import Logger
from twisted.protocols.tls import TLSMemoryBIOFactory, TLSMemoryBIOProtocol
from zope.interface import implementer

from ftpkit import compat
from ftpkit.compat.tlshooks import TLSLayerHooks
from ftpkit.control.tls import (
    SESSION_CACHE_SIZE,
    FTPSContextFactory,
    sessionReused,
)
from ftpkit.data.cork import acknowledgeAtOnce, sendPartialAtOnce

_log = Logger()

BULK_WRITE_SIZE = 16384
"""The smallest write sent through L{compat.writeInBulk}: a full TLS
record. Smaller ones (listings' lines, replies of a few bytes) go through
Twisted's layer, which sends the records of one reactor turn together."""


def receivedCloseNotify(connection):
    """
    @param connection: an L{SSL.Connection}, or C{None}.
    @return: whether the peer ended its TLS stream with a close_notify
        alert (a clean end of the data it sent).
    """
    if connection is None:
        return False
    return bool(connection.get_shutdown() & SSL.RECEIVED_SHUTDOWN)


def sentCloseNotify(connection):
    """
    @param connection: an L{SSL.Connection}, or C{None}.
    @return: whether this side ended its TLS stream with a close_notify
        alert.
    """
    if connection is None:
        return False
    return bool(connection.get_shutdown() & SSL.SENT_SHUTDOWN)


ANSWERS_LIMIT = 64 * 1024
"""The most bytes a data connection's TLS layer sends in answer to what its
peer sent after the handshake (a TLS 1.3 KeyUpdate asking for one back:
27 bytes each), before the connection is dropped. OpenSSL answers each
such request at once and sets no bound on them; an upload's answers were
held back (L{DataTLSProtocol.holdTickets}) until the upload ended, and a
download's queued behind its data, so a client sending requests without
reading grew the server's memory by what it sent, and held the reactor
(every session) for seconds. No client asks for thousands of updates on
one connection."""


@implementer(IHalfCloseableProtocol)
class DataTLSProtocol(TLSLayerHooks):
    """
    The TLS layer of a data connection, which also tells how the peer
    closed the TCP connection: Twisted's TLS layer reports a peer's
    end of stream without a close_notify as a lost connection, whether the
    peer closed in order (FIN) or reset the connection.

    @ivar closedInOrder: (set when the connection is lost) this side's
        close_notify had been sent when the peer ended its half of the TCP
        connection (a FIN, not a reset), and everything queued was then
        written before the socket closed.
    @ivar peerSilent: the peer has sent no byte yet (not even the start of
        its handshake).
    @ivar wroteData: data was written to send over the connection.
    @ivar finWithoutCloseNotify: the peer ended its half of the TCP
        connection in order (a FIN, not a reset) before this side's
        close_notify: if it sent no close_notify of its own either, its
        TLS stream ended without one (L{DataTLS.uploadEOFAccepted}).
    @ivar answered: the bytes sent in answer to what the peer sent after
        the handshake (L{ANSWERS_LIMIT}).
    @ivar closingSent: the bytes of records sent from this side's
        close_notify on, once it closes: a TCP transport holding no more
        than these has sent every data record
        (L{ftpkit.data.connection.DataConnection.allSent}).
    """

    closedInOrder = False
    finWithoutCloseNotify = False
    peerSilent = True
    wroteData = False
    answered = 0
    closingSent = 0
    _answering = False
    _finAfterCloseNotify = False
    _holding = False
    _held = b""

    def makeConnection(self, transport):
        """
        Send partial segments at once (L{sendPartialAtOnce}): the records
        that end a download must not wait for the client's acknowledgement
        of the data. Then start the TLS layer.

        @param transport: the TCP transport.
        """
        sendPartialAtOnce(transport)
        TLSLayerHooks.makeConnection(self, transport)

    def dataReceived(self, data):
        """
        Note that the peer sent something (L{peerSilent}), acknowledge it
        at once (L{acknowledgeAtOnce}: the close_notify ending an upload
        may wait for that), then decrypt (L{TLSLayerHooks.dataReceived}).

        @param data: the bytes received.
        """
        self.peerSilent = False
        acknowledgeAtOnce(self.transport)
        # What reading makes OpenSSL send once the handshake is over is an
        # answer (L{sendRecords}); the read that ends the handshake also
        # sends the writes made before it.
        self._answering = self.handshakeDone
        try:
            TLSLayerHooks.dataReceived(self, data)
        finally:
            self._answering = False

    def holdTickets(self):
        """
        Keep the TLS 1.3 session tickets the server issues after the
        handshake from the client until this side next sends something of
        its own: data, or its close_notify.

        A client that never reads an upload's data connection (curl) would
        otherwise have them unread when it closes the socket, and its
        kernel would then reset the connection, throwing away whatever
        end of the upload (and its close_notify) it had not yet sent: the
        upload failed (C{426}) whenever the server was reading more slowly
        than the client wrote. Sent later, in the same order, the tickets
        keep the TLS record stream intact. Under TLS 1.2 the handshake's
        last flight is the server's Finished, which the client needs:
        nothing is held.
        """
        if self.getHandle().get_protocol_version_name() == "TLSv1.3":
            self._holding = True

    def write(self, data):
        """
        Send data (after the held tickets). A large write (a download's
        chunk) is encrypted a few records at a time and sent at once
        (L{compat.writeInBulk}).

        @param data: the bytes to send.
        """
        self._holding = False
        if self._writingIntoLostTLS():
            return
        if data:
            self.wroteData = True
        if len(data) >= BULK_WRITE_SIZE:
            self._sendHeld()
            if compat.writeInBulk(self, data):
                return
        TLSMemoryBIOProtocol.write(self, data)

    def _sendHeld(self):
        """
        Send the held tickets, if any, at once when nothing is queued
        (as L{compat.writeInBulk} sends what follows them).
        """
        held, self._held = self._held, b""
        if held:
            rest = compat.sendAtOnce(self.transport, held)
            if rest is None:
                rest = held
            if rest:
                self.transport.write(rest)

    def writeSequence(self, sequence):
        """
        Send data (after the held tickets).

        @param sequence: the byte strings to send, in order.
        """
        self._holding = False
        if not self._writingIntoLostTLS():
            TLSMemoryBIOProtocol.writeSequence(self, sequence)

    def tlsEnded(self, reason, afterHandshake):
        """
        The TLS connection ended. If it failed after the handshake (the
        client's fatal alert, a record that does not decrypt), drop the TCP
        connection at once, with whatever a download still queued for it:
        Twisted closes it only once that queue is sent, which a client
        that stopped reading never lets happen, so the transfer's failure
        waited for the stall watchdog. A failed handshake still gets its
        alert out first.

        @param reason: the failure, or C{None} for a clean end.
        @param afterHandshake: whether its handshake had completed.
        """
        if reason is not None and afterHandshake:
            self.transport.abortConnection()

    def _writingIntoLostTLS(self):
        """
        A download still writing once its TLS connection ended (the
        client's fatal alert, its close_notify): Twisted's layer drops the
        bytes, and its producer, never paused again, would read the rest of
        the file for nothing. Drop the TCP connection instead, which stops
        the producer now.

        @return: whether the TLS connection has ended.
        """
        if not self.tlsLost:
            return False
        self.transport.abortConnection()
        return True

    def sendRecords(self, records):
        """
        Send what the TLS connection has to send, holding it while
        L{holdTickets} says so and no close_notify is under way.

        Past L{ANSWERS_LIMIT} bytes of answers, drop the connection
        instead. This side's close_notify, and what follows it, count in
        L{closingSent}.

        @param records: the bytes OpenSSL wrote.
        """
        if self._answering:
            self.answered += len(records)
            if self.answered > ANSWERS_LIMIT:
                self._held = b""
                self.transport.abortConnection()
                return
        if self._holding and not self.getHandle().get_shutdown():
            self._held += records
            return
        self._holding = False
        if self._held:
            records, self._held = self._held + records, b""
        if sentCloseNotify(self.getHandle()):
            self.closingSent += len(records)
        self.transport.write(records)

    def readConnectionLost(self):
        """
        The peer ended its half of the TCP connection. After this side's
        close_notify (a download read to its end), send what is queued,
        then close; before it, close at once, as for any connection lost.
        """
        if sentCloseNotify(self.getHandle()):
            self._finAfterCloseNotify = True
            self.transport.loseConnection()
        else:
            self.finWithoutCloseNotify = True
            compat.closeAtOnce(self.transport)

    def writeConnectionLost(self):
        """
        This side never half-closes a data connection.
        """

    def closeUnanswered(self):
        """
        End a connection whose peer did not answer this side's
        close_notify in time (a download's client that waits for the
        final reply before it closes its data connection): close the TCP
        connection once everything queued is sent. Then it closed in order
        (L{closedInOrder}), as if the peer had ended its half, unless the
        peer reset it first.

        @return: whether it did (not before this side's close_notify).
        """
        if not sentCloseNotify(self.getHandle()):
            return False
        self._finAfterCloseNotify = True
        self.transport.loseConnection()
        return True

    def connectionLost(self, reason):
        """
        Note whether the peer closed in order, then end the TLS layer, and
        keep the session it used resumable (L{keepSessionResumable}).

        @param reason: a L{twisted.python.failure.Failure} saying why.
        """
        self.closedInOrder = (self._finAfterCloseNotify
                              and reason.check(ConnectionDone) is not None)
        keepSessionResumable(self.getHandle())
        TLSMemoryBIOProtocol.connectionLost(self, reason)


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


def keepSessionResumable(connection):
    """
    Keep the TLS session of a data connection that ended without this
    side's close_notify (an upload the client cut: FileZilla cancels so)
    in the session cache, as TLS 1.1 and later allow (RFC 4346, 7.2.1).

    OpenSSL removes the session of a connection it frees unshut from the
    cache; under TLS 1.2 a data connection resumes the control
    connection's own session, so none of that session's later data
    connections could resume it: FileZilla then closes its connection
    ("TLS session resumption on data connection failed"), WinSCP stops
    trying, and C{--tls-require-session-reuse} refused every one. A fatal
    alert still removes the session, as OpenSSL does when it sends one.

    @param connection: the data connection's L{SSL.Connection}, or
        C{None}.
    """
    if connection is not None:
        connection.set_shutdown(connection.get_shutdown() | SSL.SENT_SHUTDOWN)


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

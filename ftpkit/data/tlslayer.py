"""
The TLS layer under a data connection (RFC 4217 section 9):
L{DataTLSProtocol}, Twisted's TLS layer that also tells how the client
closed (in order, with or without its close_notify), holds TLS 1.3
session tickets back while an upload runs, bounds what it sends in answer
to the peer's requests, sends large writes in bulk, and keeps a cut
connection's session resumable. Which handshakes a session's data
connections accept, and with which context, is L{ftpkit.data.tls}'s.
"""

from OpenSSL import SSL
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IHalfCloseableProtocol
from twisted.protocols.tls import TLSMemoryBIOProtocol
from zope.interface import implementer

from ftpkit import compat
from ftpkit.compat.tlshooks import TLSLayerHooks
from ftpkit.data.cork import acknowledgeAtOnce, sendPartialAtOnce

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
        TLS stream ended without one (L{ftpkit.data.tls.DataTLS.uploadEOFAccepted}).
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


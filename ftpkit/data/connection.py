"""
The connections a data channel hands to a transfer: L{DataConnection}, a
Twisted protocol (TLS, ASCII, active mode), and
L{ftpkit.data.leanconnection.LeanConnection} (importable from here too), a
bare socket for zero-copy transfers (L{ftpkit.data.movers}); both with the
stall watchdog of L{ftpkit.data.watchdog.WatchedConnection}.
L{ftpkit.data.channel.DataChannel} makes them.
"""

import socket

from OpenSSL import SSL
from twisted.internet import defer, error
from twisted.internet.interfaces import IHandshakeListener
from twisted.internet.protocol import Protocol
from twisted.logger import Logger
from zope.interface import implementer

from ftpkit.compat import (
    heldUnsent,
    queuedBytes,
    queueIsEmpty,
    sendQueued,
    transportEnded,
    writeSideClosed,
)
from ftpkit.data.handshakeend import EndBeforeHandshake
from ftpkit.data.leanconnection import (  # noqa: F401 (importable from here)
    LeanConnection,
)
from ftpkit.data.linger import LINGER_TIMEOUT, TransportLinger, nextLook
from ftpkit.data.tlslayer import receivedCloseNotify, sentCloseNotify
from ftpkit.data.uploaddrain import DRAIN_BYTES, drainSeconds
from ftpkit.data.watchdog import WatchedConnection, checkFinished
from ftpkit.errors import TransferAborted

_EARLY_DATA_LIMIT = 64 << 10
"""Bytes a data connection holds, sent before a transfer takes them (an
upload's first bytes, junk), before it stops reading: the rest waits in
the kernel until the transfer reads. 1 MiB let a client hold that much
of the server's memory per session, with no transfer command, until the
data timeout."""
UPLOAD_READ_SIZE = 1 << 20
"""Bytes read from the socket at once while receiving an upload."""


@implementer(IHandshakeListener)
class DataConnection(EndBeforeHandshake, WatchedConnection, Protocol):
    """
    One data connection. It reads nothing into a file until a transfer
    gives it a sink; bytes that arrive before are held (bounded).

    A watchdog drops the connection when no byte has moved for C{timeout}
    seconds: neither received, nor sent by the session's transfer over it
    (its C{bytesMoved()}, which counts C{sendfile} progress too).

    Under TLS (PROT P) its transport is an L{ftpkit.data.tlslayer.DataTLSProtocol},
    which answers the client's handshake as soon as the connection is
    made.

    @ivar lostReason: why the connection ended, once it has.
    @ivar tlsRefused: the TLS policy refused the handshake (say, the
        session was not resumed); the connection is dropped unused.
    """

    log = Logger()
    tlsRefused = False
    _discarding = False
    _handshakeDone = False
    _finishing = False
    _lingerCall = None
    _drainCall = None
    _drained = 0
    _receiving = None

    def __init__(self, onMade, reactor, timeout, currentTransfer, tls=None):
        """
        @param onMade: called with this protocol once it is connected.
        @param reactor: an L{IReactorTime} for the watchdog.
        @param timeout: seconds without progress before the connection is
            dropped.
        @param currentTransfer: returns the session's running transfer (an
            object with C{connection}, C{mover} and C{bytesMoved()}),
            or C{None}.
        @param tls: the session's L{ftpkit.data.tls.DataTLS} when the
            connection is under TLS, else C{None}.
        """
        self.lostReason = None
        self._lostWaiters = []
        self._handshakeWaiters = []
        self._tls = tls
        self._onMade = onMade
        self._sink = None
        self._early = []
        self._earlySize = 0
        self.bytesReceived = 0
        self._reactor = reactor
        self._timeout = timeout
        self._currentTransfer = currentTransfer

    def connectionMade(self):
        """
        Start the watchdog (under TLS, once the handshake is accepted:
        L{handshakeCompleted}) and report the connection to the channel
        that expects it.
        """
        if self._tls is None:
            self._startWatch()
        self._onMade(self)

    @property
    def isSecure(self):
        """
        @return: whether TLS protects this connection.
        """
        return self._tls is not None

    @property
    def peerSilent(self):
        """
        @return: under TLS, whether the peer has sent no byte yet (not
            even the start of its handshake); C{False} in the clear.
        """
        return self.isSecure and self.transport.peerSilent

    @property
    def socketTransport(self):
        """
        @return: the transport of the TCP connection itself (under TLS, the
            one beneath the TLS layer).
        """
        if self.isSecure:
            return self.transport.transport
        return self.transport

    @property
    def ending(self):
        """
        See L{ftpkit.data.watchdog.WatchedConnection.ending}: also once
        the TCP connection has ended and this protocol is about to hear
        (its transport stops a download's producer first, and a send
        stopped so fails before L{whenLost} fires).
        """
        return self.lostReason is not None or transportEnded(
            self.socketTransport)

    def handshakeCompleted(self):
        """
        Ask the TLS policy whether this connection may carry data; drop it
        at once (unsent data discarded) if not (the policy logs it). If it
        may, its watchdog starts: the handshake has a deadline of its own
        (L{ftpkit.data.handshakes}, L{ftpkit.data.activehandshake}), which
        alone decides, with one log line, when a client never completes
        it (the watchdog's line came too, before, or first when the data
        timeout was the shorter).
        """
        if not self._tls.acceptHandshake(self.transport.getHandle()):
            self.tlsRefused = True
            self.abort()
            return
        self.transport.holdTickets()
        self._tls.accepted(self.transport.getHandle())
        self._handshakeDone = True
        self.watch()
        waiters, self._handshakeWaiters = self._handshakeWaiters, []
        for waiter in waiters:
            waiter.callback(None)

    @property
    def secured(self):
        """
        @return: whether data may go over it: in clear always, under TLS
            once its handshake is complete and accepted.
        """
        return self._handshakeDone or not self.isSecure

    def whenSecured(self):
        """
        @return: a Deferred firing once the TLS handshake is complete and
            the policy accepted it (L{handshakeCompleted}); never if the
            connection ends first.
        """
        if self._handshakeDone:
            return defer.succeed(None)
        waiter = defer.Deferred()
        self._handshakeWaiters.append(waiter)
        return waiter

    def dataReceived(self, data):
        """
        Pass uploaded bytes to the sink, or hold them until there is one;
        drop them during a download (L{discardReceived}).

        @param data: the bytes received.
        """
        if self.tlsRefused:
            return
        if self._discarding:
            if self._drainCall is not None:
                drained = self._drained = self._drained + len(data)
                if drained > DRAIN_BYTES >= drained - len(data):
                    self.abort()
            return
        self.bytesReceived += len(data)
        if self._sink is not None:
            self._sink.write(data)
            return
        self._early.append(data)
        self._earlySize += len(data)
        if self._earlySize > _EARLY_DATA_LIMIT:
            self.transport.pauseProducing()

    def discardReceived(self):
        """
        A download runs over this connection: what the client sends on it
        means nothing (FTP has it send nothing), so it is dropped as it
        arrives, with what was held already, and is no progress for the
        watchdog. Held, it took up to L{_EARLY_DATA_LIMIT} bytes for as
        long as the download lasted, and a client reading nothing kept its
        download open by sending a byte now and then.
        """
        self._discarding = True
        held, self._early, self._earlySize = self._earlySize, [], 0
        if held > _EARLY_DATA_LIMIT:
            self.transport.resumeProducing()

    def receiveInto(self, consumer):
        """
        Write everything the client sends to C{consumer}, with backpressure.

        The consumer's producer is this connection: its C{stopProducing}
        (a file that takes no more) drains the connection
        (L{drainRefused}).

        @param consumer: an L{IConsumer}.
        @return: a Deferred firing when the client closed the connection
            cleanly, failing with L{TransferAborted} otherwise, or once
            the upload is refused (L{drainRefused}).
        """
        self._sink = consumer
        received = self._receiving = defer.Deferred()
        if hasattr(self.socketTransport, "bufferSize"):
            self.socketTransport.bufferSize = UPLOAD_READ_SIZE
        consumer.registerProducer(self, True)
        early, self._early = self._early, []
        for chunk in early:
            consumer.write(chunk)
        self.transport.resumeProducing()
        self.whenLost().addCallback(self._checkClean)
        return received

    def _checkClean(self, reason):
        consumer, self._sink = self._sink, None
        if consumer is not None:
            consumer.unregisterProducer()
        received, self._receiving = self._receiving, None
        if received is None:
            return
        if isinstance(reason, error.ConnectionDone):
            received.callback(None)
        else:
            received.errback(TransferAborted())

    def pauseProducing(self):
        """
        See L{IPushProducer.pauseProducing}: an upload's consumer is
        full, the transport stops reading.
        """
        self.transport.pauseProducing()

    def resumeProducing(self):
        """
        See L{IPushProducer.resumeProducing}.
        """
        self.transport.resumeProducing()

    def stopProducing(self):
        """
        See L{IPushProducer.stopProducing}: an upload's file takes no
        more (L{ftpkit.interfaces.IRefusingWriteFile}): L{drainRefused}.
        """
        self.drainRefused()

    def drainRefused(self):
        """
        The upload over this connection was refused (its reply is on its
        way; L{ftpkit.data.uploaddrain}): its consumer gets nothing more
        and the upload fails now (L{receiveInto}), this side's end of the
        data is sent (under TLS its close_notify, the TCP connection kept
        open for the client's end), and what the client still sends is
        dropped until it ends its side, or it sent more than
        L{DRAIN_BYTES} or the drain lasted L{drainSeconds}: then the
        connection is reset (L{abort}).
        """
        if self.lostReason is not None or self._drainCall is not None:
            return
        self._drainCall = self._reactor.callLater(
            drainSeconds(self._timeout), self.abort)
        consumer, self._sink = self._sink, None
        if consumer is not None:
            consumer.unregisterProducer()
        self.discardReceived()
        self.transport.resumeProducing()
        if self.isSecure:
            self.transport.loseConnection()
        elif hasattr(self.transport, "loseWriteConnection"):
            self.transport.loseWriteConnection()
        received, self._receiving = self._receiving, None
        if received is not None:
            received.errback(TransferAborted())

    def finish(self, linger=True):
        """
        Close after every written byte is sent. A download (C{linger})
        then waits for the client to end its side too (in clear, or to
        have acknowledged it all: L{TransportLinger}), or for
        L{LINGER_TIMEOUT} seconds, as a L{LeanConnection} does: in clear
        after the end of its data (a FIN), under TLS after the server's
        close_notify (the client's close_notify, or its FIN, ends the
        wait), as ProFTPD does. Every byte has gone out then, so a client
        that waits for the C{226} before it closes the data connection
        gets it once the wait is over. Under TLS a connection whose
        handshake is not over (nothing was sent: an empty file or listing)
        is closed once it is: closed before, the client would get no TLS
        stream at all, where an empty one is the answer; but a client that
        sends nothing at all gets the end of the TCP connection instead
        (L{ftpkit.data.handshakeend}).

        @return: a Deferred firing when the connection is closed, failing
            with L{TransferAborted} unless it closed cleanly: under TLS,
            the client's close_notify arrived, or the TCP connection ended
            in order after the server's close_notify (see
            L{ftpkit.data.tlslayer.DataTLSProtocol.closedInOrder}); in clear,
            once its end of the data went out.
        @param linger: wait for the client (a download).
        """
        self._finishing = True
        if self.isSecure and not self._handshakeDone:
            self._finishBeforeHandshake(linger)
        elif self.isSecure:
            self._endTLS(linger)
        elif linger and hasattr(self.transport, "loseWriteConnection"):
            self.transport.loseWriteConnection()
            self._lingerCall = TransportLinger(
                self._reactor, self.transport, LINGER_TIMEOUT)
        else:
            self.transport.loseConnection()
        return self.whenLost().addCallback(checkFinished)

    def _endTLS(self, linger):
        """
        Send the server's close_notify, once every written byte has gone
        (see L{finish}); a download then waits for the client.

        @param linger: wait for the client (a download).
        """
        self.transport.loseConnection()
        if linger and self.lostReason is None:
            self._lingerCall = self._reactor.callLater(
                LINGER_TIMEOUT, self.transport.closeUnanswered)

    def allSent(self):
        """
        @return: whether a finishing download has sent everything (the
            kernel may still hold it), and then the end of its data: in
            clear its FIN, or nothing held in the transport once L{finish}
            asked for the FIN (the transport writes it only on its next
            write event; a client may have read every byte and sent its
            C{ABOR} first, and L{closeInOrder} sends the FIN after what the
            kernel holds all the same); under TLS every data record, once
            its close_notify is under way, whatever the transport still
            holds of the close_notify (or of what followed it), and whether
            or not it is closing already: the close_notify goes on the
            transport's next write event, and a client that read every
            byte may have sent its C{ABOR} first. (A client that ended its
            TLS stream first got the server's close_notify in answer at
            once, after every data record: that counts the same.) Once the
            connection has ended: it ended in order (L{connectionLost}:
            under TLS the client's close_notify, or its in-order close
            after the server's) with no data record held.
        """
        if self.lostReason is not None:
            return isinstance(self.lostReason, error.ConnectionDone) and (
                not self.isSecure or self._recordsSent())
        if self.isSecure:
            return (sentCloseNotify(self.transport.getHandle())
                    and self._recordsSent())
        return self._endSent()

    def _recordsSent(self):
        """
        @return: under TLS, whether the TCP transport holds (or, once
            ended, dropped) no more than the records from this side's
            close_notify on: every data record went to the kernel.
        """
        held = queuedBytes(self.socketTransport)
        return held is not None and held <= self.transport.closingSent

    def _endSent(self):
        """
        @return: whether a finishing download has sent everything and then
            the end of its data (L{allSent}), under TLS its close_notify
            too: the transport holds nothing more.
        """
        if self.isSecure:
            return (sentCloseNotify(self.transport.getHandle())
                    and queueIsEmpty(self.socketTransport))
        return writeSideClosed(self.transport) or (
            self._finishing and queueIsEmpty(self.transport))

    def abort(self):
        """
        Drop the connection at once (a reset), discarding unsent data;
        nothing once it has ended (a TLS transport has dropped its TLS
        connection then, and aborting it would raise).
        """
        if self.lostReason is not None:
            return
        self.transport.abortConnection()

    def closeInOrder(self):
        """
        End the connection at once with a FIN, not a reset (ABOR): what
        the kernel holds still goes out, the transport's buffer is dropped,
        and a client still reading sees the end of the data. An upload
        being received is aborted instead: it must fail, and bytes left
        unread would turn any close into a reset anyway. Under TLS, once
        every data record is sent and the close_notify is under way
        (L{allSent}: a download that completed), what the transport
        holds is the close_notify, which goes out first
        (L{_closeAfterCloseNotify}).
        """
        if self.lostReason is not None:
            return
        sock = getattr(self.transport, "socket", None)
        if self._sink is not None or sock is None:
            self.abort()
            return
        if self.isSecure and self.allSent():
            call, self._lingerCall = self._lingerCall, None
            if call is not None and call.active():
                call.cancel()
            self._closeAfterCloseNotify(self._reactor.seconds())
            return
        self._shutDown(sock)

    def _shutDown(self, sock):
        """
        L{closeInOrder}'s FIN after what the kernel holds, the transport's
        buffer dropped.

        @param sock: the TCP socket.
        """
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            self.abort()
            return
        # The reactor now sees the end of the stream (or a failing write)
        # and closes the socket in order.
        self.transport.startReading()

    def _closeAfterCloseNotify(self, since):
        """
        L{closeInOrder} of a download whose every data record is sent:
        what the TCP transport holds is the close_notify (and what follows
        it), which a shutdown at once would drop, and the client's TLS
        stream would end uncleanly. Send it to the kernel first, then
        L{_shutDown}; while the socket does not take it (a client reading
        slowly, or not at all), look again as a linger does
        (L{nextLook}), and after L{LINGER_TIMEOUT} seconds shut down all
        the same. A TCP transport closing already (the client ended its
        TLS stream first) closes itself once it sent it; the same time
        bounds it.

        @param since: when L{closeInOrder} was called (reactor seconds).
        """
        self._lingerCall = None
        transport = self.socketTransport
        waited = self._reactor.seconds() - since
        if sendQueued(transport) or waited >= LINGER_TIMEOUT:
            self._shutDown(transport.getHandle())
            return
        self._lingerCall = self._reactor.callLater(
            min(nextLook(waited), LINGER_TIMEOUT - waited),
            self._closeAfterCloseNotify, since)

    def connectionLost(self, reason):
        """
        Stop the watchdog and tell everyone waiting in L{whenLost}.

        @param reason: a L{twisted.python.failure.Failure} saying why.
        """
        lost = reason.value
        self._handshakeWaiters = []
        drain, self._drainCall = self._drainCall, None
        if drain is not None and drain.active():
            drain.cancel()
        self._cancelSilence()
        # A fatal alert from the client (its TLS failed) also counts as a
        # received shutdown in OpenSSL, but ends the TLS layer with an
        # SSL.Error: that transfer failed.
        if self.isSecure and not self.tlsRefused and not reason.check(
                SSL.Error) and (
                receivedCloseNotify(self.transport.getHandle())
                or (self._finishing and self.transport.closedInOrder)):
            # The client ended its TLS stream cleanly (close_notify): all
            # it sent arrived, whatever TCP did next (a reset for the
            # session ticket it never read, say). Or, for a download, it
            # closed in order after the server's close_notify, which
            # follows the last byte: it read everything.
            lost = error.ConnectionDone()
        elif self._uploadEOFAccepted(reason):
            # No close_notify, but a FIN, and --tls-allow-upload-eof.
            self.log.info(
                "upload from {peer} ended without the client's TLS "
                "close_notify; taken as complete (--tls-allow-upload-eof)",
                peer=self._peerText())
            lost = error.ConnectionDone()
        elif self._endedSilent:
            # An empty download's client that never started its TLS:
            # nothing was owed to it but the end of the connection.
            lost = error.ConnectionDone()
        elif not self.isSecure and heldUnsent(self.transport):
            lost = error.ConnectionLost()  # Its queued bytes are dropped.
        call, self._lingerCall = self._lingerCall, None
        if call is not None:
            if call.active():
                call.cancel()
            if not self.isSecure and writeSideClosed(self.transport):
                # Every byte was sent, and then the end of the data: how
                # the client ended its side no longer matters.
                lost = error.ConnectionDone()
        self._ended(lost)

    def _uploadEOFAccepted(self, reason):
        """
        @param reason: why the connection was lost.
        @return: whether it is an upload's, or one that may become an
            upload's (its bytes held until then), whose accepted TLS
            connection the client ended without a close_notify, and
            L{ftpkit.data.tls.DataTLS.uploadEOFAccepted} says it is complete
            all the same. Never a download's (one that took the client's
            bytes as nothing, finished, or sent something).
        """
        return (self.isSecure and self._handshakeDone and not self.tlsRefused
                and not (self._discarding or self._finishing
                         or self.transport.wroteData)
                and self._tls.uploadEOFAccepted(self.transport, reason))

    def _stalled(self):
        """
        No byte moved for the timeout: drop the connection, unless a
        download sent every byte and its end already (L{finish}), and only
        waits for a client slow to read what the kernel holds, or to end
        its side, which the linger bounds. Under TLS a close_notify still
        held in the transport is not sent yet: a connection closed after
        the linger waits for it, and a client that reads no more would
        hold it for ever.
        """
        if self._lingerCall is not None and self._endSent():
            return
        WatchedConnection._stalled(self)

    def _peerText(self):
        return getattr(self.transport.getPeer(), "host", "unknown")

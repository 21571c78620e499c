"""
Feeding the C{--metrics} endpoint's requests to C{twisted.web} only while
its answers go out (L{FedWhileSending}, a mixin of
L{ftpkit.ops.httpguard.DeadlineProtocol}).

C{twisted.web} stops reading a connection whose answers wait unsent (the
transport's write buffer is full), but first answers every request of
what it already read: one read of 64 KiB of pipelined C{GET /sessions}
lines is 1,400 requests, and each answer (the whole session table) went
into the server's memory. Eight connections of a client that read none
grew a server with 30 sessions by 283 MB in 8 seconds. Here the site's
channel gets what was read L{FEED_BYTES} at a time, and nothing more
while the transport's buffer is full, so at most the requests of one
piece are answered past that point.
"""

from twisted.internet.interfaces import IPushProducer
from twisted.protocols.policies import ProtocolWrapper
from zope.interface import implementer

FEED_BYTES = 128
"""Bytes handed to the site at once: a request is at least 18 bytes
(C{GET / HTTP/1.0} and the blank line), so a piece completes at most
seven; a scrape's request (a few hundred bytes) is a few pieces."""


@implementer(IPushProducer)
class _SendGate:
    """
    The producer the transport is given: it tells the connection when
    its write buffer fills and drains.
    """

    def __init__(self, connection):
        """
        @param connection: the L{FedWhileSending} connection.
        """
        self._connection = connection

    def pauseProducing(self):
        """
        The transport's write buffer is full.
        """
        self._connection.sendBufferFull()

    def resumeProducing(self):
        """
        The transport's write buffer drained.
        """
        self._connection.sendBufferDrained()

    def stopProducing(self):
        """
        The connection is going away.
        """
        self._connection.stopSiteProducer()


class FedWhileSending:
    """
    A L{twisted.protocols.policies.ProtocolWrapper} mixin (before it among
    the bases) that holds the bytes it read and hands them to the wrapped
    site's channel a piece at a time, none while the transport's write
    buffer is full. The channel registers itself as the producer of its
    transport (this wrapper); the transport gets a L{_SendGate} instead,
    which tells both.
    """

    _held = b""
    _heldFrom = 0
    _sendFull = False
    _siteProducer = None
    _stopped = False

    def registerProducer(self, producer, streaming):
        """
        The site's channel registers: put the gate between it and the
        transport.

        @param producer: the channel (a streaming producer).
        @param streaming: C{True}.
        """
        self._siteProducer = producer
        self.transport.registerProducer(_SendGate(self), True)

    def unregisterProducer(self):
        """
        The site's channel is done producing.
        """
        self._siteProducer = None
        self.transport.unregisterProducer()

    def pauseProducing(self):
        """
        The channel stops reading: so does the transport.
        """
        self.transport.pauseProducing()

    def resumeProducing(self):
        """
        The channel reads again: so does the transport.
        """
        self.transport.resumeProducing()

    def sendBufferFull(self):
        """
        The answers wait unsent: hand the channel no more, and tell it.
        """
        self._sendFull = True
        if self._siteProducer is not None:
            self._siteProducer.pauseProducing()

    def sendBufferDrained(self):
        """
        The answers went out: tell the channel, and hand it what waits.
        """
        self._sendFull = False
        if self._siteProducer is not None:
            self._siteProducer.resumeProducing()
        self.feed()

    def stopSiteProducer(self):
        """
        The transport stops: so do the channel, and the feeding.
        """
        self._stopped = True
        if self._siteProducer is not None:
            self._siteProducer.stopProducing()

    def hold(self, data):
        """
        Keep bytes read for the site, and hand over what may be.

        @param data: bytes.
        """
        self._held = self._held[self._heldFrom:] + data
        self._heldFrom = 0
        self.feed()

    def feed(self):
        """
        Hand the held bytes to the site, L{FEED_BYTES} at a time, until
        none are left, the transport's buffer is full, or the connection
        ends.
        """
        while (self._heldFrom < len(self._held) and not self._sendFull
               and not self._stopped):
            start = self._heldFrom
            self._heldFrom = start + FEED_BYTES
            ProtocolWrapper.dataReceived(
                self, self._held[start:self._heldFrom])
        if self._heldFrom >= len(self._held):
            self._held, self._heldFrom = b"", 0

    def stopFeeding(self):
        """
        The connection is being aborted: hand the site nothing more.
        """
        self._stopped = True

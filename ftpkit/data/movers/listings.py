"""
Directory listings sent batch by batch: L{ListingReadFile} turns an
L{ftpkit.interfaces.IDirectoryListing} into an L{IReadFile} that asks for
the next batch only when the data connection has taken the previous one,
its lines read as L{ftpkit.shells.listings.linesReader} decides (formatted
where they are read, or entries formatted here, or, for C{NLST}, names
alone).
"""

from functools import partial

from twisted.internet.defer import Deferred, maybeDeferred
from twisted.internet.error import ConnectionLost
from zope.interface import implementer

from ftpkit.data.producers import PumpingProducer
from ftpkit.interfaces import IReadFile
from ftpkit.shells.listings import linesReader


@implementer(IReadFile)
class ListingReadFile(PumpingProducer):
    """
    An L{IReadFile} sending a listing: an optional head, then each batch
    formatted (sorted by name), written as it arrives; a push producer
    that asks for no batch while its consumer is paused, so at most one
    batch is held beyond what the data connection buffers.

    @ivar batches: the batches asked for so far.
    """

    size = None

    def __init__(self, listing, format, head=b"", names=False,
                 formatted=False):
        """
        @param listing: the L{ftpkit.interfaces.IDirectoryListing}.
        @param format: how to format its batches: see
            L{ftpkit.shells.listings.linesReader}.
        @param head: bytes to send before the entries.
        @param names: read the listing's names alone
            (L{ftpkit.interfaces.INameListing.nextNames}, which it
            provides), formatted by C{format.names}.
        @param formatted: the listing gives its batches' bytes
            (C{nextFormattedBatch(format)}, firing with C{None} at its end)
            whatever it provides: a recursive listing
            (L{ftpkit.shells.treelisting.TreeListing}).
        """
        self._listing = listing
        self._format = format
        self._read = (partial(maybeDeferred, listing.nextFormattedBatch)
                      if formatted else linesReader(listing, names))
        self._head = head
        self.batches = 0
        self._sent = 0
        self._waiting = False
        self._pumping = False
        self._done = None
        self._closed = False

    def send(self, consumer):
        """
        See L{IReadFile.send}.
        """
        self._consumer = consumer
        self._done = Deferred()
        done = self._done
        consumer.registerProducer(self, True)
        if self._head:
            self._write(self._head)
        self._pump()
        return done

    def _write(self, data):
        self._sent += len(data)
        self._consumer.write(data)

    def _pump(self):
        """
        Ask for batches while the consumer takes them (a listing that
        answers at once only goes round this loop again).
        """
        if self._pumping:
            return
        self._pumping = True
        try:
            while not (self._paused or self._waiting or self._done is None
                       or self._done.called):
                self._waiting = True
                self.batches += 1
                self._read(self._format).addCallback(
                    self._arrived).addErrback(self._failed)
        finally:
            self._pumping = False

    def _arrived(self, data):
        """
        Write a formatted batch, or end once the listing has no more
        (C{None}).
        """
        self._waiting = False
        if self._done.called:
            return
        if data is None:
            self._consumer.unregisterProducer()
            self._done.callback(self._sent)
            return
        if data:
            self._write(data)
        self._pump()

    def _failed(self, failure):
        """
        End the send with a batch that could not be read or written.
        """
        self._waiting = False
        if not self._done.called:
            self._consumer.unregisterProducer()
            self._done.errback(failure)

    def stopProducing(self):
        """
        See L{IPushProducer.stopProducing}: the L{send} Deferred fails with
        L{ConnectionLost}.
        """
        if self._done is not None and not self._done.called:
            self._done.errback(ConnectionLost())

    def close(self):
        """
        See L{IReadFile.close}: close the listing (once).
        """
        if not self._closed:
            self._closed = True
            self._listing.close()

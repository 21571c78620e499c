"""
L{PumpingProducer}, the pause and resume of every push producer that
writes in one method; L{TransferProducer}: its start and stop where a
L{Deferred} reports the transfer; L{BytesProducer}: a push producer
writing bytes already in memory; and L{ConsumerFilter}, the base of
consumers that pass bytes on to another.
"""

from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionLost
from twisted.internet.interfaces import IConsumer, IPushProducer
from zope.interface import implementer

CHUNK_SIZE = 64 * 1024
"""Bytes a L{BytesProducer} hands its consumer per C{write}."""


@implementer(IPushProducer)
class PumpingProducer:
    """
    The pausing half of a push producer whose C{_pump} method writes (or
    asks for) what it may while C{_paused} is false: paused, it writes and
    asks for nothing more; resumed, it pumps again. A subclass defines
    C{_pump} and C{stopProducing}.
    """

    _paused = False

    def pauseProducing(self):
        """
        See L{IPushProducer.pauseProducing}: write nothing and ask for
        nothing more until resumed.
        """
        self._paused = True

    def resumeProducing(self):
        """
        See L{IPushProducer.resumeProducing}: carry on.
        """
        self._paused = False
        self._pump()


class TransferProducer(PumpingProducer):
    """
    A L{PumpingProducer} that reports its transfer: L{start} registers it
    on C{_consumer} (set by the subclass) and returns a L{Deferred} held in
    C{_deferred} until the subclass fires it; L{stopProducing} makes that
    L{Deferred} fail with L{ConnectionLost} and leaves the consumer alone
    (whoever stopped the producer is tearing the consumer down). A
    subclass defines C{_pump}, and C{_dropped} where it holds something to
    let go of when stopped.
    """

    _deferred = None

    def start(self):
        """
        Register on the consumer as a streaming producer and start.

        @return: a L{Deferred} firing with the number of bytes sent once
            all of them were written and the producer was unregistered.
        """
        self._deferred = Deferred()
        result = self._deferred
        self._consumer.registerProducer(self, True)
        self._pump()
        return result

    def stopProducing(self):
        """
        See L{IPushProducer.stopProducing}: the L{Deferred} of L{start}
        fails with L{ConnectionLost}.
        """
        deferred, self._deferred = self._deferred, None
        if deferred is not None:
            self._dropped()
            deferred.errback(ConnectionLost("The consumer stopped the transfer"))

    def _dropped(self):
        """
        Let go of what the transfer held when it is stopped: nothing here.
        """


class BytesProducer(TransferProducer):
    """
    A push producer writing a buffer to a consumer, L{CHUNK_SIZE} bytes
    at a time, for as long as it is not paused.

    A consumer may call L{pauseProducing}, L{resumeProducing} or
    L{stopProducing} from inside its C{write}; the producer never loops
    re-entrantly. L{stopProducing} is L{TransferProducer}'s, which leaves
    the consumer alone as L{twisted.protocols.basic.FileSender} does.

    @ivar sent: the number of bytes written so far.
    """

    def __init__(self, data, consumer):
        """
        @param data: the bytes to send (any buffer).
        @param consumer: the L{IConsumer} to write to.
        """
        self._data = memoryview(data)
        self._consumer = consumer
        self._producing = False
        self.sent = 0

    def _pump(self):
        """
        Write chunks until paused, stopped or done.
        """
        if self._producing:
            return
        self._producing = True
        try:
            while not self._paused and self._deferred is not None:
                if self.sent >= len(self._data):
                    self._finish()
                    return
                chunk = self._data[self.sent : self.sent + CHUNK_SIZE]
                self.sent += len(chunk)
                self._consumer.write(bytes(chunk))
        finally:
            self._producing = False

    def _finish(self):
        """
        Unregister and report success.
        """
        deferred, self._deferred = self._deferred, None
        self._consumer.unregisterProducer()
        deferred.callback(self.sent)


@implementer(IConsumer)
class ConsumerFilter:
    """
    A consumer in front of another: producers register with the one behind
    it, and what a subclass's C{write} lets through goes to it.

    @ivar _consumer: the consumer behind.
    """

    def __init__(self, consumer):
        """
        @param consumer: the L{IConsumer} to pass bytes on to.
        """
        self._consumer = consumer

    def registerProducer(self, producer, streaming):
        """
        See L{IConsumer.registerProducer}.
        """
        self._consumer.registerProducer(producer, streaming)

    def unregisterProducer(self):
        """
        See L{IConsumer.unregisterProducer}.
        """
        self._consumer.unregisterProducer()

    def write(self, data):
        """
        See L{IConsumer.write}: pass everything on.
        """
        self._consumer.write(data)

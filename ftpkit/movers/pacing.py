"""
Bandwidth limits: token buckets (L{RateLimit}), what one transfer obeys
(L{Pacer}: its session's limit and the server's), and L{PacedPipe}, which
paces bytes that pass through Python by pausing their producer.

No thread ever sleeps: a transfer over its limit stops asking for bytes
and a reactor timer starts it again.
"""

from twisted.internet.interfaces import IConsumer, IPushProducer
from zope.interface import implementer

_SMALLEST_BURST = 4 << 10
_LARGEST_BURST = 4 << 20


class RateLimit:
    """
    A token bucket: C{rate} bytes a second on average, with bursts of at
    most a tenth of a second's worth (between 4 KiB and 4 MiB). Bytes may
    be spent beyond what is there (a write that was already made); the
    debt is paid back before more is allowed.

    @ivar rate: bytes a second.
    @ivar burst: the most bytes allowed at once.
    """

    def __init__(self, rate, clock):
        """
        @param rate: bytes a second, more than 0.
        @param clock: an L{twisted.internet.interfaces.IReactorTime}.
        """
        self.rate = rate
        self.burst = min(max(rate // 10, _SMALLEST_BURST), _LARGEST_BURST)
        self._clock = clock
        self._tokens = float(self.burst)
        self._at = clock.seconds()

    def _refill(self):
        now = self._clock.seconds()
        self._tokens = min(self.burst,
                           self._tokens + (now - self._at) * self.rate)
        self._at = now

    def available(self):
        """
        @return: the bytes that may go now (0 or more).
        """
        self._refill()
        return max(0, int(self._tokens))

    def spend(self, count):
        """
        @param count: bytes that went.
        """
        self._refill()
        self._tokens -= count

    def delay(self):
        """
        @return: the seconds until half a burst may go.
        """
        self._refill()
        return max(0.0, (self.burst / 2 - self._tokens) / self.rate)


class Pacer:
    """
    The limits one transfer obeys (its session's, the server's); it may
    move only what all of them allow.
    """

    def __init__(self, limits):
        """
        @param limits: the L{RateLimit}s, at least one.
        """
        self.limits = limits

    @classmethod
    def over(cls, limits):
        """
        @param limits: L{RateLimit}s or C{None}s.
        @return: a L{Pacer} over those that are not C{None}, or C{None}
            when there are none (the transfer is not paced at all).
        """
        limits = [limit for limit in limits if limit is not None]
        return cls(limits) if limits else None

    def allowance(self, wanted):
        """
        @param wanted: the bytes the transfer would move.
        @return: how many of them it may move now.
        """
        for limit in self.limits:
            wanted = min(wanted, limit.available())
        return wanted

    def spent(self, count):
        """
        @param count: bytes the transfer moved.
        """
        for limit in self.limits:
            limit.spend(count)

    def delay(self):
        """
        @return: the seconds to wait before asking again.
        """
        return max(limit.delay() for limit in self.limits)


@implementer(IConsumer, IPushProducer)
class PacedPipe:
    """
    Sits between a producer and a consumer and passes the bytes on,
    pausing the producer while the pacer allows nothing more (as well as
    whenever the consumer pauses it), and resuming it from a reactor timer.
    Works for a file's producer sending to a transport (a download) and
    for a transport sending to a file's consumer (an upload).

    @ivar bytesPassed: bytes passed on so far.
    """

    _producer = None
    _streaming = True
    _consumerPaused = False
    _throttled = False
    _paused = False
    _pullWanted = False
    _timer = None

    def __init__(self, consumer, pacer, clock):
        """
        @param consumer: the L{IConsumer} bytes go to.
        @param pacer: the L{Pacer}.
        @param clock: an L{twisted.internet.interfaces.IReactorTime}.
        """
        self._consumer = consumer
        self._pacer = pacer
        self._clock = clock
        self.bytesPassed = 0

    def registerProducer(self, producer, streaming):
        """
        See L{IConsumer.registerProducer}: this pipe registers on the
        consumer in the producer's place.
        """
        self._producer = producer
        self._streaming = streaming
        self._consumer.registerProducer(self, streaming)

    def unregisterProducer(self):
        """
        See L{IConsumer.unregisterProducer}.
        """
        self._producer = None
        self.cancel()
        self._consumer.unregisterProducer()

    def write(self, data):
        """
        See L{IConsumer.write}.
        """
        self.bytesPassed += len(data)
        self._consumer.write(data)
        self._pacer.spent(len(data))
        if self._pacer.allowance(1) <= 0 and self._timer is None:
            self._throttled = True
            self._timer = self._clock.callLater(self._pacer.delay(),
                                                self._unthrottle)
            self._update()

    def _unthrottle(self):
        self._timer = None
        if self._pacer.allowance(1) <= 0:
            self._timer = self._clock.callLater(self._pacer.delay(),
                                                self._unthrottle)
            return
        self._throttled = False
        self._update()

    def _update(self):
        """
        Pause or resume the producer as the consumer and the pacer say.
        """
        producer = self._producer
        if producer is None:
            return
        if not self._streaming:
            if self._pullWanted and not self._throttled:
                self._pullWanted = False
                producer.resumeProducing()
            return
        pause = self._consumerPaused or self._throttled
        if pause and not self._paused:
            self._paused = True
            producer.pauseProducing()
        elif not pause and self._paused:
            self._paused = False
            producer.resumeProducing()

    def pauseProducing(self):
        """
        The consumer is full.
        """
        self._consumerPaused = True
        self._update()

    def resumeProducing(self):
        """
        The consumer wants more (for a pull producer: the next chunk).
        """
        self._consumerPaused = False
        if not self._streaming:
            self._pullWanted = True
        self._update()

    def stopProducing(self):
        """
        The consumer gave up: so does the producer.
        """
        self.cancel()
        if self._producer is not None:
            self._producer.stopProducing()

    def cancel(self):
        """
        Forget a pending resumption (the transfer is over).
        """
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

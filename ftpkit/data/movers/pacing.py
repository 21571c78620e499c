"""
Bandwidth limits: token buckets (L{RateLimit}), what one transfer obeys
(L{Pacer}: its session's limit and the server's), the kernel buffers of a
paced data connection (L{boundSocketBuffer}), and L{PacedPipe}, which
paces bytes that pass through Python by pausing their producer.

No thread ever sleeps: a transfer over its limit stops asking for bytes
and a reactor timer starts it again, and its end waits on a timer for
the time its rate still takes (L{Pacer.ended}).
"""

import socket

from twisted.internet.defer import CancelledError, Deferred, succeed
from twisted.internet.interfaces import IConsumer, IPushProducer
from twisted.internet.task import deferLater
from zope.interface import implementer

from ftpkit.errors import TransferAborted

_SMALLEST_BURST = 4 << 10
_LARGEST_BURST = 4 << 20
_TAKER_MEMORY = 1.0

SOCKET_BUFFER_FLOOR = 64 << 10
"""The least kernel buffer a paced data connection gets: what a paced
transfer over a long link needs in flight to keep its rate, whatever the
rate (a rate's one second is more than its rate times any round trip
under a second)."""

SOCKET_BUFFER_CEILING = 4 << 20
"""A rate whose one second is this or more leaves the kernel's buffers to
autotuning, whose default ceiling for a socket's send buffer it is: a
bound that high would only stop the buffer growing past what
C{net.core.wmem_max} and C{rmem_max} allow a program to set."""


class RateLimit:
    """
    A token bucket: C{rate} bytes a second on average, with bursts of at
    most a tenth of a second's worth (between 4 KiB and 4 MiB), and never
    more than a second's worth (a rate under 4 KiB a second). Bytes may
    be spent beyond what is there (a write that was already made); the
    debt is paid back before more is allowed.

    A burst of at least 4 KiB whatever the rate kept a rate under it only
    on average over many seconds: C{--max-download-rate 1K} sent a 4 KiB
    file at once, and a 16 KiB one in 12 s instead of 16, with steps of
    2 KiB two seconds apart (34 bytes a second or less waited past the
    default C{--data-timeout} between steps, and the transfer was cut).

    Transfers that draw on one bucket (C{--max-total-rate}) share it: each
    of the C{N} that asked within the last second may take at most
    C{burst / (2 * N)} at once. They all wait for half a burst
    (L{delay}), and the first whose timer fired took the whole of it,
    the others finding nothing, round after round: one download starved
    the others until it ended (C{docs/deployment.rst}, "Bandwidth").

    @ivar rate: bytes a second.
    @ivar burst: the most bytes allowed at once.
    @ivar clock: an L{twisted.internet.interfaces.IReactorTime}.
    """

    def __init__(self, rate, clock):
        """
        @param rate: bytes a second, more than 0.
        @param clock: an L{twisted.internet.interfaces.IReactorTime}.
        """
        self.rate = rate
        self.burst = min(max(rate // 10, min(rate, _SMALLEST_BURST)),
                         _LARGEST_BURST)
        self.clock = clock
        self._tokens = float(self.burst)
        self._at = clock.seconds()
        self._takers = {}
        self._forgotten = self._at

    def _refill(self):
        now = self.clock.seconds()
        self._tokens = min(self.burst,
                           self._tokens + (now - self._at) * self.rate)
        self._at = now

    def available(self, taker=None):
        """
        @param taker: a hashable object standing for what asks, to share
            the bucket with the others that asked lately (it is kept for a
            second or so: one that refers to this bucket would make a
            cycle); C{None} for a look that takes nothing.
        @return: the bytes that may go now (0 or more).
        """
        self._refill()
        tokens = max(0, int(self._tokens))
        if taker is None:
            return tokens
        takers = self._noteTaker(taker)
        if takers > 1:
            tokens = min(tokens, max(1, self.burst // (2 * takers)))
        return tokens

    def _noteTaker(self, taker):
        """
        Remember that C{taker} asked now; forget, once a second, those that
        did not ask for a second.

        @param taker: what asks.
        @return: how many asked within the last second or so.
        """
        now = self._at
        if now - self._forgotten >= _TAKER_MEMORY:
            self._takers = {other: at for other, at in self._takers.items()
                            if now - at < _TAKER_MEMORY}
            self._forgotten = now
        self._takers[taker] = now
        return len(self._takers)

    def spend(self, count):
        """
        @param count: bytes that went.
        """
        self._refill()
        self._tokens -= count

    def delay(self):
        """
        @return: the seconds until half a burst may go (a byte, at least:
            half of a burst of one byte, at one byte a second, is none).
        """
        self._refill()
        step = max(self.burst / 2, 1)
        return max(0.0, (step - self._tokens) / self.rate)


class Pacer:
    """
    The limits one transfer obeys (its session's, the server's); it may
    move only what all of them allow, and it ends no sooner than its
    bytes take at the tightest of their rates (L{owed}).
    """

    _since = None
    _moved = 0
    _ending = None

    def __init__(self, limits):
        """
        @param limits: the L{RateLimit}s, at least one (their clock is the
            transfer's).
        """
        self.limits = limits
        self._taker = object()
        self._clock = limits[0].clock

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
        if self._since is None:
            self._since = self._clock.seconds()
        for limit in self.limits:
            wanted = min(wanted, limit.available(self._taker))
        return wanted

    def spent(self, count):
        """
        @param count: bytes the transfer moved.
        """
        self._moved += count
        for limit in self.limits:
            limit.spend(count)

    def owed(self):
        """
        The time a transfer whose every byte moved must still wait before
        it ends (its data connection closed, its final reply sent), as
        vsftpd and ProFTPD sleep after each chunk, the last one too: the
        burst it started with let the first bytes go at once, and, ended
        with its last byte, a transfer of a few bursts beat its rate
        (C{--max-download-rate 10K} moved a 64 KiB file in 6.0 s, a 4 KiB
        one at once). With the wait its bytes lead its rate by one burst
        at most while it runs, and not at all by its end.

        @return: seconds (0.0 when none), from the first time it asked
            (L{allowance}) at the tightest of its rates.
        """
        if self._since is None:
            return 0.0
        rate = min(limit.rate for limit in self.limits)
        return max(0.0, self._since + self._moved / rate
                   - self._clock.seconds())

    def delay(self):
        """
        @return: the seconds to wait before asking again.
        """
        return max(limit.delay() for limit in self.limits)

    def ended(self, reactor):
        """
        The wait of a transfer whose every byte moved for what it L{owed};
        L{stopWaiting} cuts it short.

        @param reactor: an L{twisted.internet.interfaces.IReactorTime}.
        @return: a Deferred firing once it is over, or failing with
            L{TransferAborted} if cut short; C{None} when nothing is owed.
        """
        owed = self.owed()
        if owed <= 0:
            return None
        ending = self._ending = deferLater(reactor, owed, _nothing)
        return ending.addErrback(_cutShort)

    def stopWaiting(self):
        """
        Cut short the wait L{ended} gave, if any (the transfer is aborted).
        """
        ending, self._ending = self._ending, None
        if ending is not None:
            ending.cancel()


def storedEnded(pacer, reactor):
    """
    The wait of an upload whose every byte came and whose file is
    stored, for what its pacer still L{owed<Pacer.owed>}, before its
    C{226}: as a download's connection ends no sooner than its rate
    allows (L{Pacer.ended}), an upload's reply does. Nothing cuts it
    short: an C{ABOR}, or the client leaving, meanwhile finds the upload
    complete, its file stored (the wait is a second at most: a burst).

    @param pacer: the upload's L{Pacer}, or C{None} when unpaced.
    @param reactor: an L{twisted.internet.interfaces.IReactorTime}.
    @return: a Deferred firing once it is over; C{None} when nothing is
        owed.
    """
    owed = 0.0 if pacer is None else pacer.owed()
    if owed <= 0:
        return None
    return deferLater(reactor, owed, _nothing)


def _nothing():
    """
    What L{Pacer.ended}'s wait fires with.
    """


def _cutShort(failure):
    """
    @param failure: why L{Pacer.ended}'s wait ended early.
    @return: C{failure}, unless it was cut short.
    @raise TransferAborted: it was (L{Pacer.stopWaiting}).
    """
    if failure.check(CancelledError):
        raise TransferAborted()
    return failure


def serverLimits(rate, clock):
    """
    The server-wide limits (C{--max-total-rate}): one for what it sends,
    one for what it receives.

    @param rate: bytes a second, or C{None} for no limit.
    @param clock: an L{twisted.internet.interfaces.IReactorTime}.
    @return: a C{dict} from "incoming" (C{True} for uploads) to a
        L{RateLimit}, or to C{None} without a rate.
    """
    if rate is None:
        return {False: None, True: None}
    return {False: RateLimit(rate, clock), True: RateLimit(rate, clock)}


def pacerFor(incoming, config, serverWide, clock, userRates=(None, None),
             sessionLimits=None):
    """
    What paces a transfer, decided here alone: its session's rate (the
    user's own, from the realm's L{ftpkit.interfaces.IFTPShellRates},
    else the server's per-session one) and the server-wide one.

    The session's rate is one L{RateLimit} for all its transfers each way
    (kept in C{sessionLimits}), so that only a session that has been idle
    starts a transfer with a burst: a limit of each transfer's own started
    each full, and a session's small transfers one after another (a mirror
    of small files, C{REST} + C{RETR} of a file's pieces, listings) went
    at the speed of the network whatever the rate.

    @param incoming: an upload (else a download or listing).
    @param config: the server's L{ftpkit.config.ServerConfig}.
    @param serverWide: the server's limits, from L{serverLimits}.
    @param clock: an L{twisted.internet.interfaces.IReactorTime}.
    @param userRates: the logged-in user's own download and upload rates
        (bytes a second, or C{None} for the server's).
    @param sessionLimits: the session's limits by direction (C{incoming}),
        a C{dict} this fills at its first transfer each way
        (L{ftpkit.protocol.sessionstate.Session.rateLimits}); C{None} for a
        limit of the transfer's own.
    @return: a L{Pacer}, or C{None} when nothing limits the transfer.
    """
    if incoming:
        rate = userRates[1] or config.maxUploadRate
    else:
        rate = userRates[0] or config.maxDownloadRate
    own = None
    if rate:
        limits = {} if sessionLimits is None else sessionLimits
        own = limits.get(incoming)
        if own is None or own.rate != rate:
            own = limits[incoming] = RateLimit(rate, clock)
    server = serverWide[incoming]
    if own is None and server is None:
        # No limit (the usual case): no list made for Pacer.over.
        return None
    return Pacer.over([own, server])


def socketBufferSize(pacer):
    """
    The kernel buffer a paced data connection's socket is bounded to: one
    second of the tightest of its limits, at least L{SOCKET_BUFFER_FLOOR}.
    Unbounded, the kernel grew a paced download's send buffer to
    megabytes: a client that paused came back to a burst of all that was
    queued. An upload's receive buffer is bounded alike (what waits in
    the client's own send buffer is its kernel's to size).

    @param pacer: the transfer's L{Pacer}.
    @return: bytes, or C{None} to leave the buffer to the kernel (a rate
        of L{SOCKET_BUFFER_CEILING} or more).
    """
    second = min(limit.rate for limit in pacer.limits)
    if second >= SOCKET_BUFFER_CEILING:
        return None
    return max(second, SOCKET_BUFFER_FLOOR)


def writeBufferSize(pacer, unpaced):
    """
    The most bytes a download's transport holds before it pauses the
    file's producer, under TLS, where an unpaced download's is raised to
    C{unpaced}: a paced one's is its kernel buffer's size
    (L{socketBufferSize}). Raised for it too, a client that stopped
    reading found up to C{unpaced} of encrypted bytes waiting in the
    server on top of the kernel's queue, and got them at once when it
    read again.

    @param pacer: the transfer's L{Pacer}, or C{None}.
    @param unpaced: the size an unpaced download's transport gets.
    @return: bytes.
    """
    size = None if pacer is None else socketBufferSize(pacer)
    return unpaced if size is None else min(size, unpaced)


def boundSocketBuffer(sock, pacer, incoming):
    """
    Bound the buffer of a paced data connection's socket on the side its
    bytes wait in: C{SO_RCVBUF} for an upload, C{SO_SNDBUF} for a
    download (L{socketBufferSize}). Set on a connected socket, Linux
    still caps the buffer there and stops autotuning it; the kernel
    doubles the value (its bookkeeping) and caps it at
    C{net.core.rmem_max} or C{wmem_max}.

    @param sock: the data connection's TCP socket (under TLS, the one
        beneath it).
    @param pacer: the transfer's L{Pacer}.
    @param incoming: an upload (else a download or listing).
    """
    size = socketBufferSize(pacer)
    if size is None:
        return
    option = socket.SO_RCVBUF if incoming else socket.SO_SNDBUF
    try:
        sock.setsockopt(socket.SOL_SOCKET, option, size)
    except OSError:
        # The connection is gone already: the transfer sees its end.
        pass


@implementer(IConsumer, IPushProducer)
class PacedPipe:
    """
    Sits between a producer and a consumer and passes the bytes on no
    faster than the pacer allows: what it may not pass yet waits here (one
    write's worth: the producer is paused meanwhile, as it is whenever the
    consumer pauses it) and goes on from a reactor timer. Works for a
    file's producer sending to a transport (a download) and for a
    transport sending to a file's consumer (an upload).
    """

    _producer = None
    _streaming = True
    _consumerPaused = False
    _paused = False
    _pullWanted = False
    _timer = None
    _unregisterWhenDrained = False

    def __init__(self, consumer, pacer, clock):
        """
        @param consumer: the L{IConsumer} bytes go to.
        @param pacer: the L{Pacer}.
        @param clock: an L{twisted.internet.interfaces.IReactorTime}.
        """
        self._consumer = consumer
        self._pacer = pacer
        self._clock = clock
        self._pending = []
        self._drainWaiters = []

    def registerProducer(self, producer, streaming):
        """
        See L{IConsumer.registerProducer}: this pipe registers on the
        consumer in the producer's place.
        """
        self._producer = producer
        self._streaming = streaming
        self._unregisterWhenDrained = False
        self._consumer.registerProducer(self, streaming)

    def unregisterProducer(self):
        """
        See L{IConsumer.unregisterProducer}: done on the consumer once what
        waits here has gone on.
        """
        self._producer = None
        if self._pending:
            self._unregisterWhenDrained = True
        else:
            self._consumer.unregisterProducer()

    def write(self, data):
        """
        See L{IConsumer.write}.
        """
        if data:
            self._pending.append(data)
            self._passOn()

    def whenDrained(self):
        """
        @return: a Deferred firing once nothing waits here any more.
        """
        if not self._pending:
            return succeed(None)
        waiter = Deferred()
        self._drainWaiters.append(waiter)
        return waiter

    def _passOn(self):
        """
        Pass on what the pacer allows; wait on a timer for the rest.
        """
        while self._pending:
            data = self._pending[0]
            allowed = self._pacer.allowance(len(data))
            if allowed <= 0:
                self._waitForPacer()
                return
            short = allowed < len(data)
            if short:
                self._pending[0] = data[allowed:]
                data = data[:allowed]
            else:
                del self._pending[0]
            self._pacer.spent(len(data))
            self._consumer.write(data)
            if short:
                # The pacer gave what it had: asking again at once would
                # pass on the crumbs time added meanwhile, one tiny write
                # (a TLS record each) after another, holding the reactor
                # until everything waiting here went.
                self._waitForPacer()
                return
        self._update()
        if self._pending:
            # The producer, resumed just now, wrote more: it is not
            # drained (its last write may have come, and the transfer
            # would end with it still waiting here).
            return
        if self._unregisterWhenDrained:
            self._unregisterWhenDrained = False
            self._consumer.unregisterProducer()
        waiters, self._drainWaiters = self._drainWaiters, []
        for waiter in waiters:
            waiter.callback(None)

    def _waitForPacer(self):
        """
        Go on from a timer, when the pacer allows more.
        """
        if self._timer is None:
            self._timer = self._clock.callLater(self._pacer.delay(),
                                                self._paced)
        self._update()

    def _paced(self):
        self._timer = None
        self._passOn()

    def _update(self):
        """
        Pause or resume the producer as the consumer and the pacer say.
        """
        producer = self._producer
        if producer is None:
            return
        throttled = bool(self._pending)
        if not self._streaming:
            if self._pullWanted and not throttled:
                self._pullWanted = False
                producer.resumeProducing()
            return
        pause = self._consumerPaused or throttled
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

    def flush(self):
        """
        Pass on at once, unpaced, what waits here: an upload cut (C{ABOR},
        its client gone, the shutdown grace over) keeps every byte the
        server received in its partial upload, and the transfer's byte
        count says what it kept.
        """
        pending, self._pending = self._pending, []
        for data in pending:
            self._pacer.spent(len(data))
            self._consumer.write(data)

    def cancel(self):
        """
        Forget what waits here and a pending timer (the transfer is over),
        and tell those waiting for it to drain (L{whenDrained}), which
        waited for ever otherwise.
        """
        self._pending = []
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()
        waiters, self._drainWaiters = self._drainWaiters, []
        for waiter in waiters:
            waiter.callback(None)

"""
Tests for bandwidth limits and the upload size limit: L{ftpkit.data.movers.pacing}
(token buckets and the paced pipe, on a fake clock), their options, the
users file's per-user rates, and, over loopback with real clients, the rate
achieved over a short transfer by each way bytes move.
"""

import ftplib
import io
import os
import threading
import time

from twisted.internet.task import Clock
from twisted.python import usage
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.data.movers.pacing import (
    PacedPipe,
    Pacer,
    RateLimit,
    pacerFor,
    serverLimits,
)
from ftpkit.deploy.limitoptions import MOST_BYTES, parseByteCount
from ftpkit.deploy.tap import Options
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.testing import CollectingConsumer
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory


class ParseByteCountTests(unittest.SynchronousTestCase):
    """
    L{parseByteCount} reads sizes and rates.
    """

    def test_values(self):
        self.assertEqual(parseByteCount("512"), 512)
        self.assertEqual(parseByteCount("64K"), 64 << 10)
        self.assertEqual(parseByteCount("1.5m"), 3 << 19)
        self.assertEqual(parseByteCount("2G"), 2 << 30)
        self.assertEqual(parseByteCount("10MiB"), 10 << 20)
        self.assertEqual(parseByteCount(100), 100)

    def test_bad(self):
        for text in ("", "0", "-5", "12Q", "K", "1 2"):
            self.assertRaises(ValueError, parseByteCount, text)

    def test_exact(self):
        """
        Counts are exact, and those past a TOML or PostgreSQL integer are
        refused with a message: a long one raised C{OverflowError} (a
        traceback for C{--max-upload-size}), and one of 30 digits came
        back wrong (read through a C{float}).
        """
        self.assertEqual(parseByteCount("9" * 18), int("9" * 18))
        self.assertEqual(parseByteCount("0.5K"), 512)
        self.assertEqual(parseByteCount(str(MOST_BYTES)), MOST_BYTES)
        for text in ("9" * 400, str(MOST_BYTES + 1), "8589934592G"):
            error = self.assertRaises(ValueError, parseByteCount, text)
            self.assertIn("must be at most", str(error))

    def test_least(self):
        """
        C{least} lowers the smallest count allowed, as a quota's 0.
        """
        self.assertEqual(parseByteCount("0", least=0), 0)
        self.assertEqual(parseByteCount("0K", least=0), 0)
        self.assertRaises(ValueError, parseByteCount, "-1", least=0)

    def test_options(self):
        """
        The options reach the L{ServerConfig}; a bad value is a one-line
        usage error naming the option.
        """
        options = Options()
        options.parseOptions(["--max-download-rate", "100K",
                              "--max-upload-rate", "1M",
                              "--max-total-rate", "2M",
                              "--max-upload-size", "5G"])
        config = options["config"]
        self.assertEqual(
            (config.maxDownloadRate, config.maxUploadRate,
             config.maxTotalRate, config.maxUploadSize),
            (100 << 10, 1 << 20, 2 << 20, 5 << 30))
        for name in ("max-download-rate", "max-upload-rate",
                     "max-total-rate", "max-upload-size"):
            error = self.assertRaises(usage.UsageError,
                                      Options().parseOptions,
                                      ["--" + name, "lots"])
            self.assertTrue(str(error).startswith("--" + name + ": "))
            self.assertNotIn("\n", str(error))


class RateLimitTests(unittest.SynchronousTestCase):
    """
    L{RateLimit} and L{Pacer} on a fake clock.
    """

    def test_bucket(self):
        clock = Clock()
        limit = RateLimit(100000, clock)
        self.assertEqual(limit.available(), 10000)
        limit.spend(30000)
        self.assertEqual(limit.available(), 0)
        self.assertAlmostEqual(limit.delay(), 0.25)
        clock.advance(0.25)
        self.assertEqual(limit.available(), 5000)
        clock.advance(10)
        self.assertEqual(limit.available(), 10000)

    def test_pacerTakesTheSmallest(self):
        clock = Clock()
        pacer = Pacer.over([RateLimit(100000, clock), None,
                            RateLimit(40960, clock)])
        self.assertEqual(pacer.allowance(1 << 20), 4096)
        pacer.spent(8192)
        self.assertEqual(pacer.allowance(1 << 20), 0)
        self.assertGreater(pacer.delay(), 0)
        self.assertIsNone(Pacer.over([None, None]))

    def test_sharedFairly(self):
        """
        Transfers drawing on one limit (C{--max-total-rate}) share it: the
        first whose timer fires took the whole half burst each round, the
        next finding nothing, and one download of two got 8 KiB/s of 2 MiB/s
        until the other ended.
        """
        clock = Clock()
        shared = RateLimit(2 << 20, clock)
        takers = [_Taker(Pacer([shared]), clock) for _ in range(3)]
        for taker in takers:
            taker.run()
        clock.pump([0.001] * 3000)
        got = [taker.got for taker in takers]
        self.assertLess(abs(sum(got) / 3.0 - (2 << 20)), (2 << 20) / 10)
        self.assertLess(max(got) - min(got), sum(got) / 20, got)

    def test_aloneTakesTheBurst(self):
        """
        A transfer alone on a limit still starts with the whole burst.
        """
        clock = Clock()
        pacer = Pacer([RateLimit(100000, clock)])
        self.assertEqual(pacer.allowance(1 << 20), 10000)

    def test_smallRatesStepWithinASecond(self):
        """
        A rate under 4 KiB a second bursts a second's worth, and steps
        half a second apart (a byte at the least): its burst was 4 KiB
        whatever the rate, and at 34 bytes a second a step waited a
        minute, past the default C{--data-timeout}.
        """
        clock = Clock()
        for rate in (1, 2, 34, 100, 1024, 4095):
            limit = RateLimit(rate, clock)
            self.assertEqual(limit.burst, rate)
            limit.spend(limit.available())
            self.assertLessEqual(limit.delay(), 1.0)
            clock.advance(limit.delay())
            self.assertGreaterEqual(limit.available(), 1)

    def test_endOwed(self):
        """
        A transfer's bytes lead its rate by a burst at most, and its end
        waits until they do not (L{Pacer.owed}): 64 KiB at 10 KiB a second
        end 6.4 s after the first was asked for, not 6.0 s.
        """
        clock = Clock()
        clock.advance(100)
        pacer = Pacer([RateLimit(10240, clock)])
        self.assertEqual(pacer.owed(), 0.0)
        left = 65536
        while True:
            allowed = pacer.allowance(left)
            pacer.spent(allowed)
            left -= allowed
            self.assertLessEqual(65536 - left,
                                 4096 + (clock.seconds() - 100) * 10240)
            if not left:
                break
            clock.advance(pacer.delay())
        self.assertGreater(pacer.owed(), 0)
        self.assertAlmostEqual(clock.seconds() + pacer.owed(), 106.4)


class PacerForTests(unittest.SynchronousTestCase):
    """
    L{pacerFor}: the limits a transfer obeys.
    """

    def test_none(self):
        """
        With no rate anywhere, a transfer is not paced.
        """
        self.assertIsNone(pacerFor(False, ServerConfig(),
                                   serverLimits(None, Clock()), Clock()))

    def test_sessionAndServer(self):
        """
        A transfer obeys its direction's per-session rate, the user's own
        rate in its place, and the server-wide limit of its direction.
        """
        clock = Clock()
        config = ServerConfig(maxDownloadRate=1000, maxUploadRate=2000)
        serverWide = serverLimits(5000, clock)
        down = pacerFor(False, config, serverWide, clock)
        self.assertEqual([limit.rate for limit in down.limits], [1000, 5000])
        self.assertIs(down.limits[1], serverWide[False])
        up = pacerFor(True, config, serverWide, clock, (None, 300))
        self.assertEqual([limit.rate for limit in up.limits], [300, 5000])
        self.assertIs(up.limits[1], serverWide[True])


class _Taker:
    """
    A transfer as the sendfile mover runs one: it takes what its pacer
    allows and, given less than it wanted, waits for the pacer's delay.

    @ivar got: the bytes it was allowed so far.
    """

    got = 0

    def __init__(self, pacer, clock):
        self.pacer = pacer
        self.clock = clock

    def run(self):
        while True:
            allowed = self.pacer.allowance(1 << 20)
            if allowed > 0:
                self.pacer.spent(allowed)
                self.got += allowed
            if allowed < 1 << 20:
                break
        self.clock.callLater(self.pacer.delay(), self.run)


class _Producer:
    """
    A push producer that records being paused and resumed.
    """

    paused = False
    stopped = False

    def pauseProducing(self):
        self.paused = True

    def resumeProducing(self):
        self.paused = False

    def stopProducing(self):
        self.stopped = True


class PacedPipeTests(unittest.SynchronousTestCase):
    """
    L{PacedPipe} pauses its producer while over the rate, and whenever the
    consumer pauses it, and resumes it from a timer.
    """

    def setUp(self):
        self.clock = Clock()
        self.consumer = CollectingConsumer()
        self.pipe = PacedPipe(self.consumer,
                              Pacer([RateLimit(100000, self.clock)]),
                              self.clock)
        self.producer = _Producer()
        self.pipe.registerProducer(self.producer, True)

    def advance(self, seconds, step=0.005):
        for _ in range(round(seconds / step)):
            self.clock.advance(step)

    def passed(self):
        return len(b"".join(self.consumer.chunks))

    def test_paced(self):
        """
        What the rate allows goes on at once; the rest waits, the producer
        paused, and goes on as the rate allows.
        """
        self.pipe.write(b"x" * 30000)
        self.assertEqual(self.passed(), 10000)
        self.assertTrue(self.producer.paused)
        self.advance(0.1)
        self.assertTrue(15000 <= self.passed() <= 20000, self.passed())
        self.assertTrue(self.producer.paused)
        self.advance(0.2)
        self.assertEqual(self.passed(), 30000)
        self.assertFalse(self.producer.paused)

    def test_cancelEndsWaitForDrain(self):
        """
        A pipe cancelled (its transfer aborted) tells those waiting for it
        to drain: a paced upload over TLS whose client had sent
        everything waited there for ever once its session's drain cut it
        (C{SIGTERM}, the grace over): no C{426}, no line in the log, its
        partial file lost when the server gave up on it.
        """
        self.pipe.write(b"x" * 30000)
        drained = self.pipe.whenDrained()
        self.assertNoResult(drained)
        self.pipe.cancel()
        self.successResultOf(drained)
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.successResultOf(self.pipe.whenDrained())

    def test_unregisterWhenDrained(self):
        """
        A producer that is done while bytes wait: the consumer hears of it
        once they went on, and L{PacedPipe.whenDrained} fires then.
        """
        self.pipe.write(b"x" * 30000)
        self.pipe.unregisterProducer()
        drained = self.pipe.whenDrained()
        self.assertIsNotNone(self.consumer.producer)
        self.assertNoResult(drained)
        self.advance(0.3)
        self.successResultOf(drained)
        self.assertIsNone(self.consumer.producer)

    def test_consumerPauseWins(self):
        """
        Unthrottled, a producer the consumer paused stays paused.
        """
        self.pipe.pauseProducing()
        self.assertTrue(self.producer.paused)
        self.pipe.write(b"x" * 30000)
        self.advance(1)
        self.assertEqual(self.passed(), 30000)
        self.assertTrue(self.producer.paused)
        self.pipe.resumeProducing()
        self.assertFalse(self.producer.paused)

    def test_drainedAfterResumedWrites(self):
        """
        A producer resumed as the pipe empties may write its last chunk
        and finish at once: the pipe is drained only once that chunk went
        on too. L{PacedPipe.whenDrained} fired with it still waiting, and
        a paced TLS download ended with C{226} a chunk short.
        """
        pipe, producer = self.pipe, self.producer
        last = []

        def resumeProducing():
            producer.paused = False
            if not last:
                last.append(b"y" * 20000)
                pipe.write(last[0])
                pipe.unregisterProducer()
                last.append(pipe.whenDrained())

        producer.resumeProducing = resumeProducing
        pipe.write(b"x" * 15000)
        self.assertTrue(producer.paused)
        self.clock.advance(self.clock.getDelayedCalls()[0].getTime()
                           - self.clock.seconds())
        drained = last[1]
        self.assertNoResult(drained)
        self.advance(0.5)
        self.successResultOf(drained)
        self.assertEqual(self.passed(), 35000)
        self.assertIsNone(self.consumer.producer)

    def test_cancel(self):
        self.pipe.write(b"x" * 30000)
        self.pipe.cancel()
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_flush(self):
        """
        L{PacedPipe.flush} passes on at once what waits for the pacer (an
        upload cut keeps what it received), and counts it as spent.
        """
        self.pipe.write(b"x" * 30000)
        self.assertEqual(self.passed(), 10000)
        self.pipe.flush()
        self.pipe.cancel()
        self.assertEqual(self.passed(), 30000)
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.pipe.write(b"y")
        self.assertEqual(self.passed(), 30000)


class _TickingClock(Clock):
    """
    A L{Clock} whose time moves on a millisecond at each reading, as a
    real one does while code runs.
    """

    def seconds(self):
        self.rightNow += 0.001
        return self.rightNow


class PacedPipeTimeTests(unittest.SynchronousTestCase):
    """
    L{PacedPipe} with time moving while it works.
    """

    def test_waitsForThePacer(self):
        """
        Once the pacer gave less than what waits, the pipe waits on a
        timer: it went on asking for what time had added meanwhile, a few
        bytes a write (a TLS record each, under C{PROT P}), until all that
        waited went, holding the reactor (a 3 MB download at 500K kept new
        clients waiting up to 2 s at a time). Timer after timer, all of it
        goes on, in few writes.
        """
        clock = _TickingClock()
        consumer = CollectingConsumer()
        pipe = PacedPipe(consumer, Pacer([RateLimit(100000, clock)]), clock)
        pipe.registerProducer(_Producer(), True)
        pipe.write(b"x" * 300000)
        self.assertEqual(len(consumer.chunks), 1)
        self.assertEqual(len(clock.getDelayedCalls()), 1)
        while clock.getDelayedCalls():
            clock.advance(clock.getDelayedCalls()[0].getTime()
                          - clock.rightNow)
        self.assertEqual(len(b"".join(consumer.chunks)), 300000)
        self.assertLess(len(consumer.chunks), 100)


RATE = 200 << 10
"""The limit the loopback tests pace at (bytes a second)."""

SIZE = 500 << 10
"""What they move: about 2.5 seconds at L{RATE}."""


def assertPaced(case, achieved, rate):
    """
    Assert a transfer was paced at C{rate}: never faster than the limit
    (10% over it at most: the bucket's burst and the clock's grain), and
    not grossly slower.

    The upper bound is what the limit means, and holds on any machine: a
    loaded one only makes a transfer slower. The lower bound is loose on
    purpose: on a machine busy with other work, the server and the client
    thread wake late after each pause, and an upload was seen at 0.9 of
    the limit; 0.6 still catches a pacer that throttles grossly, such as
    one counting each byte twice (half the limit) or pausing longer than
    the bucket needs.

    @param case: the L{unittest.TestCase}.
    @param achieved: the bytes a second achieved.
    @param rate: the limit, bytes a second.
    """
    case.assertTrue(0.6 * rate <= achieved <= 1.1 * rate,
                    "%d bytes/s achieved, limit %d" % (achieved, rate))


class PacedTransferTests(LoopbackServerMixin, unittest.TestCase):
    """
    Over loopback, a transfer's rate never goes over the limit, and comes
    near it (L{assertPaced}), whichever way its bytes move (C{sendfile},
    C{splice}, through Python).
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        self.payload = os.urandom(SIZE)
        with open(os.path.join(self.root, "f.bin"), "wb") as f:
            f.write(self.payload)

    def start(self, **config):
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(**config))

    def session(self, function, binary=True, passive=True):
        def run():
            ftp = ftplibLogin(self, self.server.port)
            ftp.set_pasv(passive)
            ftp.voidcmd("TYPE I" if binary else "TYPE A")
            started = time.monotonic()
            function(ftp)
            elapsed = time.monotonic() - started
            ftp.quit()
            return elapsed
        return self.inThread(run)

    def assertRate(self, elapsed, size=SIZE, rate=RATE):
        """
        Assert the rate achieved is the limit's: see L{assertPaced}.
        """
        assertPaced(self, size / elapsed, rate)

    async def download(self):
        received = []
        elapsed = await self.session(
            lambda ftp: ftp.retrbinary("RETR f.bin", received.append))
        self.assertEqual(b"".join(received), self.payload)
        self.assertRate(elapsed)

    async def upload(self, passive=True):
        elapsed = await self.session(
            lambda ftp: ftp.storbinary("STOR up.bin",
                                       io.BytesIO(self.payload)),
            True, passive)
        with open(os.path.join(self.root, "up.bin"), "rb") as f:
            self.assertEqual(f.read(), self.payload)
        self.assertRate(elapsed)

    async def test_sendfileDownload(self):
        """
        A binary passive download (C{sendfile} from a bare socket).
        """
        self.start(maxDownloadRate=RATE)
        await self.download()

    async def test_splicedUpload(self):
        """
        A binary passive upload (C{splice} into the file).
        """
        self.start(maxUploadRate=RATE)
        await self.upload()

    async def test_throughPython(self):
        """
        An active-mode upload (through the file's consumer).
        """
        self.start(maxUploadRate=RATE)
        await self.upload(passive=False)

    async def test_asciiDownload(self):
        """
        A TYPE A download (the file's producer through the ASCII
        translation, paused by the pacer).
        """
        self.start(maxDownloadRate=RATE)
        lines = [b"%07d" % (number,) for number in range(SIZE // 8)]
        with open(os.path.join(self.root, "f.txt"), "wb") as f:
            f.write(b"".join(line + b"\n" for line in lines))
        received = []
        elapsed = await self.session(
            lambda ftp: ftp.retrlines("RETR f.txt",
                                      lambda line: received.append(
                                          line.encode())), binary=False)
        self.assertEqual(received, lines)
        self.assertRate(elapsed, size=len(lines) * 8)

    async def test_serverWide(self):
        """
        Two sessions downloading at once share the server-wide rate.
        """
        self.start(maxTotalRate=RATE)
        half = SIZE // 2
        with open(os.path.join(self.root, "half.bin"), "wb") as f:
            f.write(self.payload[:half])
        ends = []

        def fetch():
            ftp = ftplibLogin(self, self.server.port)
            ftp.retrbinary("RETR half.bin", lambda data: None)
            ftp.quit()
            ends.append(time.monotonic())

        def both():
            started = time.monotonic()
            threads = [threading.Thread(target=fetch) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            return max(ends) - started
        self.assertRate(await self.inThread(both), size=2 * half)


class UserRatesTests(LoopbackServerMixin, unittest.TestCase):
    """
    The users file's C{max-download-rate} and C{max-upload-rate}: a
    user's own rates, which win over the server's.
    """

    def test_parsed(self):
        from ftpkit.auth.users import UsersFileError, parseUsers

        users = parseUsers('[users.alice]\nmax-download-rate = "500K"\n'
                           'max-upload-rate = 1000\n[users.bob]\n')
        self.assertEqual((users["alice"].downloadRate,
                          users["alice"].uploadRate), (500 << 10, 1000))
        self.assertEqual((users["bob"].downloadRate,
                          users["bob"].uploadRate), (None, None))
        error = self.assertRaises(
            UsersFileError, parseUsers,
            '[users.alice]\nmax-upload-rate = "fast"\n')
        self.assertIn("users.alice.max-upload-rate", str(error))

    async def test_userRateWins(self):
        """
        A user's own download rate paces their downloads, although the
        server's is much higher.
        """
        from ftpkit.auth.users import UsersDatabase, UsersRealm

        root = self.mktemp()
        os.makedirs(os.path.join(root, "alice"))
        payload = os.urandom(SIZE)
        with open(os.path.join(root, "alice", "f.bin"), "wb") as f:
            f.write(payload)
        path = self.mktemp()
        with open(path, "w") as f:
            f.write('[users.alice]\nmax-download-rate = %d\n' % (RATE,))
        server = self.startServer(
            UsersRealm(UsersDatabase(path), root),
            ServerConfig(maxDownloadRate=100 * RATE), users={"alice": "pw"},
            anonymous=False)

        def run():
            ftp = ftplibLogin(self, server.port, "alice", "pw")
            received = []
            started = time.monotonic()
            ftp.retrbinary("RETR f.bin", received.append)
            elapsed = time.monotonic() - started
            ftp.quit()
            return elapsed, b"".join(received)
        elapsed, received = await self.inThread(run)
        self.assertEqual(received, payload)
        assertPaced(self, SIZE / elapsed, RATE)


class UploadSizeTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{--max-upload-size}: an upload past it gets C{552} and nothing is
    kept, whichever way its bytes move.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "old.bin"), "wb") as f:
            f.write(b"old")
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(maxUploadSize=100000))

    def store(self, name, size, passive=True):
        def run():
            ftp = ftplibLogin(self, self.server.port)
            ftp.set_pasv(passive)
            data = io.BytesIO(b"x" * size)
            try:
                try:
                    reply = ftp.storbinary("STOR " + name, data)
                except ftplib.error_perm:
                    raise
                except OSError:
                    # The reset reached ftplib while it was still
                    # sending: the reply is still to be read.
                    reply = ftp.getresp()
            except ftplib.error_perm as e:
                reply = str(e)
            ftp.close()
            return reply
        return self.inThread(run)

    async def test_withinLimit(self):
        reply = await self.store("ok.bin", 100000)
        self.assertTrue(reply.startswith("226"), reply)

    async def test_splicedOver(self):
        reply = await self.store("old.bin", 300000)
        self.assertTrue(reply.startswith("552"), reply)
        self.assertEqual(sorted(os.listdir(self.root)), ["old.bin"])
        with open(os.path.join(self.root, "old.bin"), "rb") as f:
            self.assertEqual(f.read(), b"old")

    async def test_throughPythonOver(self):
        reply = await self.store("new.bin", 300000, passive=False)
        self.assertTrue(reply.startswith("552"), reply)
        self.assertEqual(sorted(os.listdir(self.root)), ["old.bin"])

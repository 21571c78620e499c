"""
A C{MODE Z} download's compression shared out over the reactor's turns
(L{ftpkit.data.movers._deflate.DEFLATE_INPUT}): however much the file's
producer writes at once, one turn compresses no more than that, the
producer is paused while bytes wait, and the stream's end waits for
them.
"""

import os
import zlib

from twisted.internet.error import ConnectionLost
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase

from ftpkit.data.movers._deflate import DEFLATE_INPUT, DeflatingConsumer
from tests.unit.test_deflatestreams import Collecting


class _Turns(Clock):
    """
    A L{Clock} whose calls made during a turn wait for the next, as the
    reactor's C{callLater(0)} calls do (C{Clock.advance(0)} runs them at
    once).
    """

    def turn(self):
        """
        Run the calls that were due when the turn began.
        """
        due = [call for call in self.calls
               if call.getTime() <= self.seconds()]
        for call in due:
            self.calls.remove(call)
        for call in due:
            call.called = 1
            call.func(*call.args, **call.kw)


class _PullProducer:
    """
    A pull producer (as Twisted's C{FileSender} is) writing C{count}
    chunks of C{size} bytes, one a C{resumeProducing}, then unregistering.
    """

    stopped = False

    def __init__(self, consumer, count, size):
        self.consumer = consumer
        self.left = count
        self.size = size
        self.sent = []

    def resumeProducing(self):
        if self.left == 0:
            if self.consumer is not None:
                consumer, self.consumer = self.consumer, None
                consumer.unregisterProducer()
            return
        self.left -= 1
        chunk = os.urandom(self.size)
        self.sent.append(chunk)
        self.consumer.write(chunk)

    def stopProducing(self):
        self.stopped = True


class DeflatingTurnsTests(SynchronousTestCase):
    """
    L{DeflatingConsumer} compresses at most L{DEFLATE_INPUT} bytes a
    reactor turn (a L{Clock}'s C{advance(0)}).
    """

    def setUp(self):
        self.given = []
        real = zlib.compressobj

        class Recording:
            def __init__(recording, level):
                recording._compressor = real(level)

            def compress(recording, data):
                self.given.append(len(data))
                return recording._compressor.compress(data)

            def flush(recording):
                return recording._compressor.flush()

        self.patch(zlib, "compressobj", Recording)
        self.clock = _Turns()
        self.wire = Collecting()
        self.producer = StringTransport()

    def deflating(self, ascii=False):
        consumer = DeflatingConsumer(self.wire, 6, self.clock, ascii)
        consumer.registerProducer(self.producer, True)
        return consumer

    def turn(self):
        """
        Run the next reactor turn.

        @return: the bytes compressed in it.
        """
        before = sum(self.given)
        self.clock.turn()
        return sum(self.given) - before

    def test_boundedPerTurn(self):
        """
        A megabyte written at once (a disk read) is compressed
        L{DEFLATE_INPUT} bytes a turn, the producer paused meanwhile and
        resumed once it is all compressed; the stream's end waits for the
        last of it.
        """
        data = b"some text that compresses well\n" * 40000
        consumer = self.deflating()
        consumer.write(data)
        self.assertEqual(sum(self.given), DEFLATE_INPUT)
        self.assertEqual(self.producer.producerState, "paused")
        consumer.unregisterProducer()
        finishing = consumer.finish("sent")
        self.assertNoResult(finishing)
        self.assertIsNotNone(self.wire.producer)
        turns = []
        while self.clock.getDelayedCalls():
            turns.append(self.turn())
        self.assertEqual(max(turns), DEFLATE_INPUT)
        self.assertEqual(sum(self.given), len(data))
        self.assertEqual(self.successResultOf(finishing), "sent")
        self.assertIsNone(self.wire.producer)
        self.assertEqual(zlib.decompress(b"".join(self.wire.chunks)), data)
        self.assertEqual(consumer.bytesSent, len(data))

    def test_manyWritesOneTurn(self):
        """
        Writes of a producer that does not wait to be resumed share the
        turn's allowance: what a turn brings beyond it waits for the
        next.
        """
        consumer = self.deflating(ascii=True)
        for _ in range(10):
            consumer.write(b"line\n" * 4000)
        self.assertEqual(consumer.fileBytes, DEFLATE_INPUT)
        turns = []
        while self.clock.getDelayedCalls():
            before = consumer.fileBytes
            self.clock.turn()
            turns.append(consumer.fileBytes - before)
        self.assertEqual(max(turns), DEFLATE_INPUT)
        self.assertEqual(consumer.fileBytes, 10 * 5 * 4000)
        self.successResultOf(consumer.finish())
        self.assertEqual(zlib.decompress(b"".join(self.wire.chunks)),
                         b"line\r\n" * 40000)

    def test_connectionPaused(self):
        """
        While the connection pauses the consumer nothing is compressed,
        turns or not, and the producer stays paused; resumed, it goes on.
        """
        self.wire = Collecting(pauseAfter=1)
        consumer = self.deflating()
        consumer.write(os.urandom(4 * DEFLATE_INPUT))
        self.assertEqual(self.producer.producerState, "paused")
        compressed = sum(self.given)
        self.clock.turn()
        self.assertEqual(sum(self.given), compressed)
        consumer.resumeProducing()
        self.assertGreater(sum(self.given), compressed)
        self.assertEqual(self.producer.producerState, "paused")

    def test_stopped(self):
        """
        The connection stopping the consumer drops what it held, stops
        the producer, leaves no call of a next turn, and a L{finish}
        waiting fails.
        """
        consumer = self.deflating()
        consumer.write(b"x" * (3 * DEFLATE_INPUT))
        consumer.unregisterProducer()
        finishing = consumer.finish()
        producer = StringTransport()
        consumer._producer = producer
        consumer.stopProducing()
        self.assertEqual(producer.producerState, "stopped")
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.failureResultOf(finishing, ConnectionLost)
        consumer.write(b"more")
        self.assertEqual(sum(self.given), DEFLATE_INPUT)

    def test_abort(self):
        """
        L{DeflatingConsumer.abort} compresses nothing more and fails a
        later L{finish}.
        """
        consumer = self.deflating()
        consumer.write(b"x" * (3 * DEFLATE_INPUT))
        consumer.abort()
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.failureResultOf(consumer.finish(), ConnectionLost)
        self.assertEqual(sum(self.given), DEFLATE_INPUT)

    def test_pullProducer(self):
        """
        A pull producer is asked for its next write whenever nothing is
        held, in a loop rather than by recursion (a thousand small
        writes), and within the turn's allowance.
        """
        consumer = DeflatingConsumer(self.wire, 6, self.clock)
        producer = _PullProducer(consumer, 1000, 300)
        consumer.registerProducer(producer, False)
        self.assertLessEqual(sum(self.given), DEFLATE_INPUT)
        self.assertGreater(producer.left, 0)
        while self.clock.getDelayedCalls():
            self.assertLessEqual(self.turn(), DEFLATE_INPUT)
        self.assertEqual(producer.left, 0)
        self.assertIsNone(self.wire.producer)
        self.successResultOf(consumer.finish())
        self.assertEqual(zlib.decompress(b"".join(self.wire.chunks)),
                         b"".join(producer.sent))

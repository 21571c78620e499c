"""
Tests for L{ftpkit.data.producers}.
"""

from twisted.internet.error import ConnectionLost
from twisted.trial import unittest

from ftpkit.data.producers import CHUNK_SIZE, BytesProducer
from ftpkit.testing import CollectingConsumer


class BytesProducerTests(unittest.TestCase):
    """
    Tests for L{BytesProducer}.
    """

    def test_chunks(self):
        """
        Data is written in chunks of L{CHUNK_SIZE}.
        """
        consumer = CollectingConsumer()
        data = b"x" * (CHUNK_SIZE * 2 + 1)
        result = self.successResultOf(BytesProducer(data, consumer).start())
        self.assertEqual(result, len(data))
        self.assertEqual(
            [len(chunk) for chunk in consumer.chunks], [CHUNK_SIZE, CHUNK_SIZE, 1]
        )
        self.assertIsNone(consumer.producer)

    def test_pauseResume(self):
        """
        Paused from inside C{write}, the producer writes nothing more until
        resumed, and finishes only then.
        """
        consumer = CollectingConsumer(lambda c: c.pause())
        sending = BytesProducer(b"x" * (CHUNK_SIZE * 3), consumer).start()
        self.assertEqual(len(consumer.chunks), 1)
        self.assertNoResult(sending)
        consumer.onWrite = None
        consumer.resume()
        self.assertEqual(self.successResultOf(sending), CHUNK_SIZE * 3)
        self.assertEqual(consumer.writesWhilePaused, 0)

    def test_stop(self):
        """
        C{stopProducing} ends the writes and fails the L{Deferred} with
        L{ConnectionLost}.
        """
        consumer = CollectingConsumer(lambda c: c.producer.stopProducing())
        sending = BytesProducer(b"x" * (CHUNK_SIZE * 3), consumer).start()
        self.failureResultOf(sending, ConnectionLost)
        self.assertEqual(len(consumer.chunks), 1)

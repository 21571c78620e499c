"""
The threaded producer of a download from L{ftpkit.shells.diskreader}: how
far it reads ahead of its consumer.
"""

from twisted.internet.defer import Deferred
from twisted.trial import unittest

from ftpkit.shells.diskreader import READ_CHUNK_SIZE, _ThreadedFileProducer


class _Reader:
    """
    Stands for a L{ftpkit.shells.diskreader.FileReader}: its reads wait
    for the test.

    @ivar reads: the Deferreds of the reads started, in order.
    """

    _offset = 0

    def __init__(self):
        self.reads = []

    def read(self, count, position):
        """
        @return: a Deferred the test fires.
        """
        reading = Deferred()
        self.reads.append(reading)
        return reading


class _FullConsumer:
    """
    A consumer whose transport is full after each write (a client that
    stopped reading): it pauses its producer, as a Twisted transport
    past its buffer size does, within the write.
    """

    producer = None

    def __init__(self):
        self.written = []

    def registerProducer(self, producer, streaming):
        self.producer = producer

    def unregisterProducer(self):
        self.producer = None

    def write(self, data):
        self.written.append(data)
        self.producer.pauseProducing()


class ReadAheadTests(unittest.TestCase):
    """
    L{_ThreadedFileProducer} reads ahead of its consumer only while the
    consumer takes the bytes.
    """

    def test_noReadWhilePaused(self):
        """
        A consumer that pauses the producer when a chunk is written gets
        no read started for it until it resumes: a stalled client held,
        until the data timeout, a chunk (1 MiB) read ahead on top of what
        its connection queued (some 2 MiB a stalled FTPS download).
        """
        reader = _Reader()
        consumer = _FullConsumer()
        producer = _ThreadedFileProducer(reader, consumer,
                                         3 * READ_CHUNK_SIZE)
        done = producer.start()
        reader.reads[0].callback(b"a" * READ_CHUNK_SIZE)
        self.assertEqual(consumer.written, [b"a" * READ_CHUNK_SIZE])
        self.assertEqual(len(reader.reads), 1)
        producer.resumeProducing()
        self.assertEqual(len(reader.reads), 2)
        reader.reads[1].callback(b"b" * READ_CHUNK_SIZE)
        producer.resumeProducing()
        reader.reads[2].callback(b"c" * READ_CHUNK_SIZE)
        producer.resumeProducing()
        self.assertEqual(self.successResultOf(done), 3 * READ_CHUNK_SIZE)
        self.assertEqual(len(reader.reads), 3)

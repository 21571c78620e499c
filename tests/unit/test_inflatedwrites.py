"""
A C{MODE Z} upload into storage written at an offset
(L{ftpkit.shells.adapters.WriteFileAdapter}): the inflater, a producer
that writes as it is resumed, is paused by the file's consumer at its
writes once they make L{WRITE_SIZE}, so each write to the storage is
about one socket read's worth, as in C{MODE S}, not the whole
inflation held in memory and written at once (which slow storage took
longer than the data timeout to write).
"""

import zlib

from twisted.internet.defer import Deferred
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from ftpkit.data.movers._deflate import INFLATE_CHUNK, InflatingConsumer
from ftpkit.interfaces import IRandomWriteFile
from ftpkit.shells.adapters import WRITE_SIZE, WriteFileAdapter


@implementer(IRandomWriteFile)
class _SlowFile:
    """
    Storage whose writes end when the test says so.

    @ivar writes: the C{(offset, data, Deferred)} of each write.
    """

    def __init__(self):
        self.writes = []

    def writeAt(self, offset, data):
        done = Deferred()
        self.writes.append((offset, data, done))
        return done

    def close(self):
        return None

    def abort(self):
        return None


class _Connection:
    """
    A data connection that records being dropped.
    """

    aborted = False

    def abort(self):
        self.aborted = True


class InflatedIntoSlowStorageTests(SynchronousTestCase):
    """
    L{InflatingConsumer} into a L{WriteFileAdapter}'s consumer.
    """

    def setUp(self):
        self.file = _SlowFile()
        self.wire = StringTransport()
        consumer = self.successResultOf(WriteFileAdapter(self.file).receive())
        self.inflater = InflatingConsumer(consumer, _Connection())
        self.inflater.registerProducer(self.wire, True)

    def test_boundedWrites(self):
        """
        A small write of a huge inflation reaches the storage in writes
        of less than L{WRITE_SIZE} and one inflated chunk, the next once
        the one before has ended, the data connection paused until the
        last; in order, they make the data.
        """
        data = b"\0" * (8 * WRITE_SIZE)
        self.inflater.write(zlib.compress(data, 9))
        written = []
        while self.file.writes:
            offset, chunk, done = self.file.writes.pop(0)
            self.assertEqual(offset, sum(map(len, written)))
            self.assertLess(len(chunk), WRITE_SIZE + INFLATE_CHUNK)
            self.assertEqual(self.file.writes, [])
            self.assertEqual(self.wire.producerState, "paused")
            written.append(chunk)
            done.callback(None)
        self.assertEqual(b"".join(written), data)
        self.assertEqual(self.wire.producerState, "producing")

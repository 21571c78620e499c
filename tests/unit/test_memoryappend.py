"""
Tests for appending to and resuming L{ftpkit.shells.memory.MemoryShell}'s
files (L{ftpkit.shells.memorycontent}): what is appended costs what is
appended, not the file's size, and what a download or a checksum opened
before still reads the bytes it opened.

The work done is measured as memory allocated (C{tracemalloc}'s peak),
not as time: copying a stored file allocates its size.
"""

import hashlib
import tracemalloc

from twisted.internet.defer import inlineCallbacks
from twisted.trial import unittest

from ftpkit.shells.adapters import readFileFor
from ftpkit.shells.memory import HASH_AT_ONCE, MemoryShell
from ftpkit.shells.memorycontent import SPLIT
from ftpkit.testing import CollectingConsumer, readFile, writeFile

LARGE = 50 << 20
"""The size of the large file appended to."""


def _tracing(testCase):
    """
    Trace allocations until C{testCase} ends (unless they are traced
    already: then leave them traced).

    @param testCase: the L{unittest.TestCase}.
    @return: the bytes allocated now.
    """
    if not tracemalloc.is_tracing():
        tracemalloc.start()
        testCase.addCleanup(tracemalloc.stop)
    tracemalloc.reset_peak()
    return tracemalloc.get_traced_memory()[0]


def _peakDuring(testCase, call):
    """
    @param testCase: the L{unittest.TestCase}.
    @param call: called with no argument.
    @return: the most bytes allocated at once while it ran, above what
        was allocated before.
    """
    before = _tracing(testCase)
    call()
    return tracemalloc.get_traced_memory()[1] - before


def _readAll(opened):
    """
    @param opened: a file a shell opened for reading.
    @return: a L{Deferred} firing with all its bytes.
    """
    consumer = CollectingConsumer()
    return readFileFor(opened).send(consumer).addCallback(
        lambda _: consumer.value())


class AppendCostTests(unittest.TestCase):
    """
    Appending to a large file, or resuming its upload at its end, does
    not copy the file.
    """

    def setUp(self):
        self.shell = MemoryShell({"/big": b"x" * LARGE})

    def _peak(self, data, **mode):
        """
        @param data: the bytes to upload to C{/big}.
        @param mode: L{writeFile}'s C{offset} or C{append}.
        @return: the peak bytes allocated by the upload.
        """
        return _peakDuring(self, lambda: self.successResultOf(
            writeFile(self.shell, ("big",), data, **mode)))

    def test_appendOneByte(self):
        """
        Appending one byte to a 50 MB file allocates far less than the
        file (it used to copy it whole, in the reactor's thread).
        """
        self.assertLess(self._peak(b"y", append=True), LARGE // 50)
        info = self.successResultOf(self.shell.stat(("big",)))
        self.assertEqual(info.size, LARGE + 1)
        self.assertEqual(
            self.successResultOf(readFile(self.shell, ("big",), LARGE - 2)),
            b"xxy")

    def test_appendsInALoop(self):
        """
        Many small appends each cost their own size; the file holds them
        all, in order.
        """
        peak = _peakDuring(self, lambda: [
            self.successResultOf(writeFile(
                self.shell, ("big",), bytes([65 + index]), append=True))
            for index in range(20)])
        self.assertLess(peak, LARGE // 50)
        self.assertEqual(
            self.successResultOf(readFile(self.shell, ("big",), LARGE - 1)),
            b"x" + bytes(range(65, 85)))

    def test_appendWhileRead(self):
        """
        Appending one byte while a download reads the file (whose store
        is then the download's alone: a store of its own for the new
        version) copies no chunk either: the chunk list, and a tail.
        """
        opened = self.successResultOf(self.shell.openForReading(("big",)))
        self.assertLess(self._peak(b"y", append=True), LARGE // 50)
        opened.close()
        self.assertEqual(
            self.successResultOf(readFile(self.shell, ("big",), LARGE - 1)),
            b"xy")

    def test_resumeAtEnd(self):
        """
        A resumed upload (C{REST} at the file's size, then C{STOR}) does
        not copy the file either.
        """
        self.assertLess(self._peak(b"yz", offset=LARGE), LARGE // 50)
        self.assertEqual(
            self.successResultOf(readFile(self.shell, ("big",), LARGE - 1)),
            b"xyz")

    def test_uploadNotCopied(self):
        """
        An upload is stored as it was received: its close does not copy
        it (it used to, from a C{bytearray} into C{bytes}, holding twice
        its size).
        """
        shell = MemoryShell()
        data = b"z" * (8 << 20)
        peak = _peakDuring(self, lambda: self.successResultOf(
            writeFile(shell, ("new",), data)))
        self.assertLess(peak, len(data) * 3 // 2)
        self.assertEqual(
            self.successResultOf(readFile(shell, ("new",))), data)

    def test_resumeInside(self):
        """
        A resume inside the file cuts it there and continues it.
        """
        self.successResultOf(writeFile(self.shell, ("big",), b"yz",
                                       offset=3))
        self.assertEqual(
            self.successResultOf(readFile(self.shell, ("big",))), b"xxxyz")

    def test_resumeInsideNotCopied(self):
        """
        A resume in the middle of a file given as one C{bytes} does not
        copy the part kept before the offset either (it copied it: the
        file was one chunk, cut at the offset into a new one), at most a
        part of one of the views it is kept as (L{SPLIT}).
        """
        offset = LARGE // 2 + SPLIT // 2
        self.assertLess(self._peak(b"yz", offset=offset), LARGE // 20)
        self.assertEqual(
            self.successResultOf(readFile(self.shell, ("big",), offset - 1)),
            b"xyz")
        info = self.successResultOf(self.shell.stat(("big",)))
        self.assertEqual(info.size, offset + 2)


class SnapshotTests(unittest.TestCase):
    """
    A download, or a checksum, opened before a file is appended to,
    resumed or replaced reads the bytes it opened.
    """

    def setUp(self):
        self.shell = MemoryShell({"/f": b"old"})

    def _openThenWrite(self, data, **mode):
        """
        Open C{/f} for reading, then upload C{data} to it.

        @param data: the bytes uploaded.
        @param mode: L{writeFile}'s C{offset} or C{append}.
        @return: the file opened, and read from once, before the upload.
        """
        opened = self.successResultOf(self.shell.openForReading(("f",)))
        self.assertEqual(self.successResultOf(opened.readAt(0, 1)), b"o")
        self.successResultOf(writeFile(self.shell, ("f",), data, **mode))
        return opened

    def test_appended(self):
        """
        A download opened before an append reads the old bytes, and a
        new one the new.
        """
        opened = self._openThenWrite(b"er", append=True)
        self.assertEqual(self.successResultOf(_readAll(opened)), b"old")
        self.assertEqual(
            self.successResultOf(readFile(self.shell, ("f",))), b"older")

    def test_appendedTwice(self):
        """
        Two snapshots, each taken between appends, read their own
        versions.
        """
        first = self._openThenWrite(b"e", append=True)
        second = self._openThenWrite(b"r", append=True)
        self.assertEqual(self.successResultOf(_readAll(first)), b"old")
        self.assertEqual(self.successResultOf(_readAll(second)), b"olde")

    def test_resumed(self):
        """
        A download opened before a resume inside the file reads the old
        bytes.
        """
        opened = self._openThenWrite(b"d!", offset=2)
        self.assertEqual(self.successResultOf(_readAll(opened)), b"old")
        self.assertEqual(
            self.successResultOf(readFile(self.shell, ("f",))), b"old!")

    def test_replaced(self):
        """
        A download opened before an overwrite reads the old bytes.
        """
        opened = self._openThenWrite(b"new")
        self.assertEqual(self.successResultOf(_readAll(opened)), b"old")

    def test_oldVersionFreed(self):
        """
        The bytes of a version no file and no download holds any longer
        are freed: a resume cut the file short and the download of the
        old version was closed.
        """
        before = _tracing(self)
        shell = MemoryShell({"/f": b"x" * (8 << 20)})
        opened = self.successResultOf(shell.openForReading(("f",)))
        self.successResultOf(writeFile(shell, ("f",), b"yz", offset=3))
        self.successResultOf(writeFile(shell, ("f",), b"!", append=True))
        self.assertGreater(tracemalloc.get_traced_memory()[0] - before,
                           8 << 20)
        opened.close()
        self.assertLess(tracemalloc.get_traced_memory()[0] - before, 1 << 20)
        self.assertEqual(
            self.successResultOf(readFile(shell, ("f",))), b"xxxyz!")

    @inlineCallbacks
    def test_hashWhileAppended(self):
        """
        A checksum running in a thread (a large file) checksums the file
        as it was asked for, whatever is appended meanwhile.
        """
        data = b"ab" * (HASH_AT_ONCE // 2 + 1)
        shell = MemoryShell({"/big": data})
        hashing = shell.hash(("big",), "sha256")
        self.successResultOf(writeFile(shell, ("big",), b"c" * 100,
                                       append=True))
        self.assertEqual((yield hashing), hashlib.sha256(data).hexdigest())
        self.assertEqual(
            (yield shell.hash(("big",), "sha256", len(data) - 1)),
            hashlib.sha256(b"b" + b"c" * 100).hexdigest())

    def test_heldBytes(self):
        """
        An append counts the file's new size once, as before the chunks
        were shared: the old version a download still reads counts too,
        until it is closed.
        """
        shell = MemoryShell({"/f": b"old"}, maxBytes=1 << 20)
        opened = self.successResultOf(shell.openForReading(("f",)))
        self.successResultOf(writeFile(shell, ("f",), b"er", append=True))
        self.assertEqual(shell.bytesHeld, 3 + 5)
        opened.close()
        self.assertEqual(shell.bytesHeld, 5)

    def test_appendedThenRemovedWhileRead(self):
        """
        What a download of a removed file keeps in memory is what the
        shell counts for it: the bytes it reads, not those appended to
        the file after it was opened (they went to chunks the download's
        snapshot shared, so that a client holding a download of a small
        file, appending to it and removing it, held memory past
        C{maxBytes} without the shell counting it).
        """
        before = _tracing(self)
        shell = MemoryShell({"/f": b"x" * (1 << 20)}, maxBytes=64 << 20)
        opened = self.successResultOf(shell.openForReading(("f",)))
        self.successResultOf(writeFile(shell, ("f",), b"y" * (16 << 20),
                                       append=True))
        self.successResultOf(shell.removeFile(("f",)))
        self.assertEqual(shell.bytesHeld, 1 << 20)
        kept = tracemalloc.get_traced_memory()[0] - before
        self.assertLess(kept, shell.bytesHeld + (1 << 20))
        opened.close()
        self.assertEqual(shell.bytesHeld, 0)

    @inlineCallbacks
    def test_checksummedThenRemoved(self):
        """
        A file removed while a checksum in a thread still reads it stays
        counted until the checksum ends, as one a download reads does:
        else a client could checksum a large file, remove it and upload
        another, the memory holding both past C{maxBytes}.
        """
        data = b"ab" * (HASH_AT_ONCE // 2 + 1)
        shell = MemoryShell({"/big": data}, maxBytes=8 << 20)
        hashing = shell.hash(("big",), "sha256")
        self.successResultOf(shell.removeFile(("big",)))
        self.assertEqual(shell.bytesHeld, len(data))
        self.assertEqual((yield hashing), hashlib.sha256(data).hexdigest())
        self.assertEqual(shell.bytesHeld, 0)

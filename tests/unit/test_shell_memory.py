"""
Tests for L{ftpkit.shells.memory}.
"""

import hashlib

from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.errors import (
    MovedIntoItself,
    NoSuchFile,
    ParameterNotImplemented,
    QuotaExceeded,
    RestPastEnd,
)
from ftpkit.shells.adapters import readFileFor
from ftpkit.shells.memory import (
    BYTES_PER_ENTRY,
    HASH_AT_ONCE,
    MIN_ENTRIES,
    MemoryShell,
)
from ftpkit.testing import (
    CollectingConsumer,
    IFTPShellConformanceMixin,
    readFile,
    writeFile,
)


class MemoryShellConformanceTests(IFTPShellConformanceMixin, unittest.TestCase):
    """
    L{MemoryShell} passes the shell conformance tests.
    """

    def makeShell(self):
        """
        @return: an empty L{MemoryShell}.
        """
        return MemoryShell()


class MemoryShellTests(unittest.TestCase):
    """
    What is particular to L{MemoryShell}.
    """

    @inlineCallbacks
    def test_files(self):
        """
        C{files} fills the tree, making the directories it needs.
        """
        shell = MemoryShell({"/a/b/c.txt": b"c", "top": b"t"})
        entries = yield shell.list(())
        self.assertEqual([name for name, info in entries], ["a", "top"])
        self.assertTrue(entries[0][1].isDirectory)
        self.assertEqual((yield readFile(shell, ("a", "b", "c.txt"))), b"c")

    @inlineCallbacks
    def test_clock(self):
        """
        Modification times come from the given clock.
        """
        clock = Clock()
        clock.advance(1234)
        shell = MemoryShell(clock=clock)
        clock.advance(1)
        yield writeFile(shell, ("f",), b"x")
        self.assertEqual((yield shell.stat(("f",))).mtime, 1235)
        self.assertEqual((yield shell.stat(())).mtime, 1235)

    @inlineCallbacks
    def test_writePastEndRefused(self):
        """
        A resume past the end, or of no file, is refused (L{RestPastEnd},
        as on the disk), the file left as it was: it was padded with zero
        bytes the client never sent. At the end it goes on.
        """
        shell = MemoryShell({"/f": b"ab"})
        yield self.assertFailure(writeFile(shell, ("f",), b"z", offset=4),
                                 RestPastEnd)
        yield self.assertFailure(writeFile(shell, ("g",), b"z", offset=1),
                                 RestPastEnd)
        self.assertEqual((yield shell.listNames(())), ["f"])
        self.assertEqual((yield readFile(shell, ("f",))), b"ab")
        yield writeFile(shell, ("f",), b"z", offset=2)
        self.assertEqual((yield readFile(shell, ("f",))), b"abz")

    @inlineCallbacks
    def test_renameIntoItself(self):
        """
        A directory cannot move below itself: L{MovedIntoItself}, the text
        every realm gives.
        """
        shell = MemoryShell({"/d/f": b""})
        error = yield self.assertFailure(shell.rename(("d",), ("d", "e")),
                                         MovedIntoItself)
        self.assertEqual(error.message, "Cannot move a directory into itself")
        self.assertEqual(len((yield shell.list(("d",)))), 1)

    def test_hashUnknownAlgorithm(self):
        """
        An algorithm C{hashlib} lacks is L{ParameterNotImplemented}.
        """
        shell = MemoryShell({"/f": b"x"})
        return self.assertFailure(shell.hash(("f",), "nope"), ParameterNotImplemented)

    @inlineCallbacks
    def test_hashLargeInThread(self):
        """
        A file over L{HASH_AT_ONCE} bytes is checksummed in a thread, not
        in the reactor's (which a flood of C{HASH} of such a file held up
        for every session); a small one at once.
        """
        data = b"ab" * (HASH_AT_ONCE // 2 + 1)
        shell = MemoryShell({"/big": data, "/small": data[:HASH_AT_ONCE]})
        self.assertEqual(
            self.successResultOf(shell.hash(("small",), "sha256")),
            hashlib.sha256(data[:HASH_AT_ONCE]).hexdigest())
        hashing = shell.hash(("big",), "sha256", 1)
        self.assertNoResult(hashing)
        self.assertEqual((yield hashing), hashlib.sha256(data[1:]).hexdigest())

    def test_readIsSnapshot(self):
        """
        A file opened for reading sends what it held when opened.
        """
        shell = MemoryShell({"/f": b"old"})
        opened = self.successResultOf(shell.openForReading(("f",)))
        self.successResultOf(writeFile(shell, ("f",), b"new"))
        consumer = CollectingConsumer()
        self.successResultOf(readFileFor(opened).send(consumer))
        self.assertEqual(consumer.value(), b"old")


class CappedMemoryShellConformanceTests(IFTPShellConformanceMixin,
                                        unittest.TestCase):
    """
    A L{MemoryShell} with a byte limit passes the conformance tests too.
    """

    def makeShell(self):
        """
        @return: an empty L{MemoryShell} holding at most 64 MiB.
        """
        return MemoryShell(maxBytes=64 << 20)


class MaxBytesTests(unittest.TestCase):
    """
    C{maxBytes}: the files and the uploads in progress hold at most that
    many bytes; an upload past it fails with L{QuotaExceeded} (C{552})
    and nothing of it is kept.
    """

    def test_uploadPastLimit(self):
        """
        An upload that would pass the limit is refused, keeps nothing and
        holds nothing; one that fits is stored.
        """
        shell = MemoryShell({"/a": b"a" * 60}, maxBytes=100)
        self.assertEqual(shell.bytesHeld, 60)
        failure = self.failureResultOf(
            writeFile(shell, ("big",), b"b" * 41), QuotaExceeded)
        self.assertEqual(failure.value.code, 552)
        self.assertEqual(shell.bytesHeld, 60)
        self.failureResultOf(shell.stat(("big",)), NoSuchFile)
        self.successResultOf(writeFile(shell, ("fits",), b"c" * 40))
        self.assertEqual(shell.bytesHeld, 100)

    def test_cutWhereItPasses(self):
        """
        The write that passes the limit fails and the later ones too: the
        upload is cut there, not held to its end.
        """
        shell = MemoryShell(maxBytes=10)
        opened = self.successResultOf(shell.openForWriting(("f",)))
        self.successResultOf(opened.writeAt(0, b"x" * 8))
        self.assertEqual(shell.bytesHeld, 8)
        self.failureResultOf(opened.writeAt(8, b"x" * 3), QuotaExceeded)
        self.assertEqual(shell.bytesHeld, 0)
        self.failureResultOf(opened.writeAt(11, b"x"), QuotaExceeded)
        self.failureResultOf(opened.close(), QuotaExceeded)
        self.failureResultOf(shell.stat(("f",)), NoSuchFile)
        self.successResultOf(opened.abort())
        self.assertEqual(shell.bytesHeld, 0)

    def test_uploadsInProgressCount(self):
        """
        Two uploads at once share the limit: the bytes they received are
        held although neither is stored yet.
        """
        shell = MemoryShell(maxBytes=10)
        first = self.successResultOf(shell.openForWriting(("1",)))
        second = self.successResultOf(shell.openForWriting(("2",)))
        self.successResultOf(first.writeAt(0, b"x" * 6))
        self.failureResultOf(second.writeAt(0, b"y" * 6), QuotaExceeded)
        first.close()
        self.assertEqual(shell.bytesHeld, 6)

    def test_replaceFreesTheOld(self):
        """
        A replaced file's bytes are freed once the upload is stored, and
        count as room for it meanwhile (it needed room for both, as the
        disk's quotas do not); removing and overwriting by a rename free
        bytes too.
        """
        shell = MemoryShell({"/f": b"o" * 6, "/g": b"g" * 2}, maxBytes=12)
        self.failureResultOf(writeFile(shell, ("f",), b"n" * 11),
                             QuotaExceeded)
        self.successResultOf(writeFile(shell, ("f",), b"n" * 10))
        self.assertEqual(shell.bytesHeld, 12)
        self.successResultOf(shell.rename(("g",), ("f",)))
        self.assertEqual(shell.bytesHeld, 2)
        self.successResultOf(shell.removeFile(("f",)))
        self.assertEqual(shell.bytesHeld, 0)

    def test_appendAndResume(self):
        """
        An append counts the whole file it makes; a resume that would not
        fit is refused, and one that fits is counted.
        """
        shell = MemoryShell({"/f": b"ab"}, maxBytes=10)
        self.successResultOf(writeFile(shell, ("f",), b"cd", append=True))
        self.assertEqual(shell.bytesHeld, 4)
        self.failureResultOf(
            writeFile(shell, ("f",), b"z" * 7, offset=4), QuotaExceeded)
        self.assertEqual(self.successResultOf(readFile(shell, ("f",))),
                         b"abcd")
        self.assertEqual(shell.bytesHeld, 4)
        self.successResultOf(writeFile(shell, ("f",), b"z" * 6, offset=4))
        self.assertEqual(shell.bytesHeld, 10)

    def test_readersHoldReplacedBytes(self):
        """
        A file replaced, appended to or removed while a download reads it
        still holds its bytes (the download's snapshot) until the last
        such download is closed, as a removed file still open takes its
        room on disk: downloads left unread could otherwise keep any
        number of old versions in memory past C{maxBytes}.
        """
        shell = MemoryShell({"/f": b"o" * 6}, maxBytes=13)
        first = self.successResultOf(shell.openForReading(("f",)))
        second = self.successResultOf(shell.openForReading(("f",), 2))
        self.successResultOf(writeFile(shell, ("f",), b"a", append=True))
        self.assertEqual(shell.bytesHeld, 13)
        self.failureResultOf(writeFile(shell, ("f",), b"b", append=True),
                             QuotaExceeded)
        first.close()
        self.assertEqual(shell.bytesHeld, 13)
        second.close()
        second.close()
        self.assertEqual(shell.bytesHeld, 7)
        reading = self.successResultOf(shell.openForReading(("f",)))
        self.failureResultOf(writeFile(shell, ("f",), b"n" * 7),
                             QuotaExceeded)
        self.successResultOf(shell.removeFile(("f",)))
        self.assertEqual(shell.bytesHeld, 7)
        reading.close()
        self.assertEqual(shell.bytesHeld, 0)

    def test_renamedWhileReadStaysCounted(self):
        """
        A file renamed while a download reads it is held once, in the
        tree, before and after that download is closed.
        """
        shell = MemoryShell({"/f": b"o" * 6, "/g": b"g" * 2}, maxBytes=12)
        reading = self.successResultOf(shell.openForReading(("f",)))
        self.successResultOf(shell.rename(("f",), ("h",)))
        self.assertEqual(shell.bytesHeld, 8)
        reading.close()
        self.assertEqual(shell.bytesHeld, 8)
        reading = self.successResultOf(shell.openForReading(("g",)))
        self.successResultOf(shell.rename(("h",), ("g",)))
        self.assertEqual(shell.bytesHeld, 8)
        reading.close()
        self.assertEqual(shell.bytesHeld, 6)

    def test_noLimit(self):
        """
        Without C{maxBytes} nothing is refused, and the bytes are still
        counted.
        """
        shell = MemoryShell()
        self.assertIsNone(shell.maxBytes)
        self.successResultOf(writeFile(shell, ("f",), b"x" * 100000))
        self.assertEqual(shell.bytesHeld, 100000)


class MaxEntriesTests(unittest.TestCase):
    """
    C{maxBytes} also bounds the files and directories the tree holds (one
    per L{BYTES_PER_ENTRY} bytes of it, at least L{MIN_ENTRIES}): each
    costs the server memory though it holds no byte, so a flood of
    C{MKD}s or empty uploads filled the memory of a tree with a limit.
    """

    def full(self, onTheirWay=None):
        """
        @param onTheirWay: the shell's C{onTheirWay}.
        @return: a shell with a limit, holding as many entries as it may:
            a directory and files in it.
        """
        shell = MemoryShell({"/d/kept": b"k"}, maxBytes=MIN_ENTRIES,
                            onTheirWay=onTheirWay)
        self.assertEqual(shell.maxEntries, MIN_ENTRIES)
        self.assertEqual(shell.entriesHeld, 2)
        for number in range(MIN_ENTRIES - 2):
            self.successResultOf(writeFile(shell, ("d", str(number)), b""))
        self.assertEqual(shell.entriesHeld, MIN_ENTRIES)
        return shell

    def test_entriesOfTheLimit(self):
        """
        A limit gives one entry per L{BYTES_PER_ENTRY} bytes, and no
        fewer than L{MIN_ENTRIES}; no limit, none.
        """
        self.assertEqual(
            MemoryShell(maxBytes=BYTES_PER_ENTRY * MIN_ENTRIES * 3).maxEntries,
            MIN_ENTRIES * 3)
        self.assertEqual(MemoryShell(maxBytes=10).maxEntries, MIN_ENTRIES)
        self.assertIsNone(MemoryShell().maxEntries)

    def test_refused(self):
        """
        Past it, C{MKD} gets C{550} and a new file, even empty, C{552};
        neither is made.
        """
        shell = self.full()
        failure = self.failureResultOf(shell.makeDirectory(("new",)),
                                       QuotaExceeded)
        self.assertEqual(failure.value.code, 550)
        failure = self.failureResultOf(writeFile(shell, ("empty",), b""),
                                       QuotaExceeded)
        self.assertEqual(failure.value.code, 552)
        self.failureResultOf(shell.stat(("new",)), NoSuchFile)
        self.failureResultOf(shell.stat(("empty",)), NoSuchFile)
        self.assertEqual(shell.entriesHeld, MIN_ENTRIES)

    def test_replacingAndFreeing(self):
        """
        Replacing a file adds no entry; removing one, or renaming a file
        over another, gives one back.
        """
        shell = self.full()
        self.successResultOf(writeFile(shell, ("d", "kept"), b"again"))
        self.assertEqual(shell.entriesHeld, MIN_ENTRIES)
        self.successResultOf(shell.rename(("d", "0"), ("d", "kept")))
        self.assertEqual(shell.entriesHeld, MIN_ENTRIES - 1)
        self.successResultOf(shell.makeDirectory(("new",)))
        self.successResultOf(shell.removeDirectory(("new",)))
        self.successResultOf(shell.removeFile(("d", "1")))
        self.assertEqual(shell.entriesHeld, MIN_ENTRIES - 2)
        self.successResultOf(writeFile(shell, ("new",), b""))
        self.assertEqual(shell.entriesHeld, MIN_ENTRIES - 1)

    def test_onTheirWay(self):
        """
        A file whose name C{onTheirWay} tells is stored past the limit,
        and may replace a file; renamed to a new name, it is refused
        while the shell holds too many, and stays where it is.
        """
        shell = self.full(lambda name: name.startswith("~"))
        self.failureResultOf(writeFile(shell, ("new",), b""), QuotaExceeded)
        self.successResultOf(writeFile(shell, ("~1",), b"one"))
        self.successResultOf(writeFile(shell, ("~2",), b"two"))
        self.assertEqual(shell.entriesHeld, MIN_ENTRIES + 2)
        self.successResultOf(shell.rename(("~1",), ("d", "kept")))
        self.assertEqual(shell.entriesHeld, MIN_ENTRIES + 1)
        self.failureResultOf(shell.rename(("~2",), ("new",)), QuotaExceeded)
        self.successResultOf(shell.stat(("~2",)))
        self.successResultOf(shell.removeFile(("d", "0")))
        self.successResultOf(shell.rename(("~2",), ("new",)))
        self.assertEqual(shell.entriesHeld, MIN_ENTRIES)
        self.successResultOf(shell.rename(("new",), ("again",)))

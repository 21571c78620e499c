"""
Tests for L{ftpkit.shells.memory}.
"""

from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.errors import (
    InvalidPath,
    NoSuchFile,
    ParameterNotImplemented,
    QuotaExceeded,
)
from ftpkit.shells.adapters import readFileFor
from ftpkit.shells.memory import MemoryShell
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
    def test_writeOffsetPads(self):
        """
        Writing past the end pads with zero bytes.
        """
        shell = MemoryShell({"/f": b"ab"})
        yield writeFile(shell, ("f",), b"z", offset=4)
        self.assertEqual((yield readFile(shell, ("f",))), b"ab\0\0z")

    @inlineCallbacks
    def test_renameIntoItself(self):
        """
        A directory cannot move below itself.
        """
        shell = MemoryShell({"/d/f": b""})
        yield self.assertFailure(shell.rename(("d",), ("d", "e")), InvalidPath)
        self.assertEqual(len((yield shell.list(("d",)))), 1)

    def test_hashUnknownAlgorithm(self):
        """
        An algorithm C{hashlib} lacks is L{ParameterNotImplemented}.
        """
        shell = MemoryShell({"/f": b"x"})
        return self.assertFailure(shell.hash(("f",), "nope"), ParameterNotImplemented)

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
        self.successResultOf(first.close())
        self.assertEqual(shell.bytesHeld, 6)

    def test_replaceFreesTheOld(self):
        """
        A replaced file's bytes are freed once the upload is stored (it
        needs room for both until then); removing and overwriting by a
        rename free bytes too.
        """
        shell = MemoryShell({"/f": b"o" * 6, "/g": b"g" * 2}, maxBytes=12)
        self.failureResultOf(writeFile(shell, ("f",), b"n" * 5),
                             QuotaExceeded)
        self.successResultOf(writeFile(shell, ("f",), b"n" * 4))
        self.assertEqual(shell.bytesHeld, 6)
        self.successResultOf(shell.rename(("g",), ("f",)))
        self.assertEqual(shell.bytesHeld, 2)
        self.successResultOf(shell.removeFile(("f",)))
        self.assertEqual(shell.bytesHeld, 0)

    def test_appendAndResume(self):
        """
        An append counts the whole file it makes; a resume far past the
        end (padded with zero bytes) is refused before it is built.
        """
        shell = MemoryShell({"/f": b"ab"}, maxBytes=10)
        self.successResultOf(writeFile(shell, ("f",), b"cd", append=True))
        self.assertEqual(shell.bytesHeld, 4)
        self.failureResultOf(
            writeFile(shell, ("f",), b"z", offset=1 << 40), QuotaExceeded)
        self.assertEqual(self.successResultOf(readFile(shell, ("f",))),
                         b"abcd")
        self.assertEqual(shell.bytesHeld, 4)
        self.successResultOf(writeFile(shell, ("f",), b"z", offset=9))
        self.assertEqual(shell.bytesHeld, 10)

    def test_noLimit(self):
        """
        Without C{maxBytes} nothing is refused, and the bytes are still
        counted.
        """
        shell = MemoryShell()
        self.assertIsNone(shell.maxBytes)
        self.successResultOf(writeFile(shell, ("f",), b"x" * 100000))
        self.assertEqual(shell.bytesHeld, 100000)

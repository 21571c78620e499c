"""
Tests for L{ftpkit.shells.memory}.
"""

from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.errors import InvalidPath, ParameterNotImplemented
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

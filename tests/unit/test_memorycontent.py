"""
Tests for L{ftpkit.shells.memorycontent}.
"""

from twisted.trial import unittest

from ftpkit.shells.memorycontent import COALESCE, Content
from ftpkit.shells.memoryfiles import MemoryReadFile, MemoryWriteFile
from ftpkit.shells.memorytree import Budget, FileNode


def _grown(*parts):
    """
    @param parts: C{bytes} appended in turn.
    @return: a L{Content} of them.
    """
    content = Content()
    for part in parts:
        content.append(part)
    return content


class ContentTests(unittest.TestCase):
    """
    L{Content} reads what was appended, and its snapshots what was there
    when they were taken.
    """

    def test_initialBytesKept(self):
        """
        C{bytes} given are held as they are, not copied.
        """
        data = b"x" * (COALESCE * 2)
        self.assertIs(Content(data).value(), data)

    def test_readAcrossChunks(self):
        """
        A read may span chunks, and stops at the end.
        """
        big = b"a" * COALESCE
        content = _grown(big, b"b" * COALESCE, b"c")
        self.assertEqual(len(content), 2 * COALESCE + 1)
        self.assertEqual(content.read(COALESCE - 1, 2), b"ab")
        self.assertEqual(content.read(2 * COALESCE - 1, 10), b"bc")
        self.assertEqual(content.read(2 * COALESCE + 1, 10), b"")
        self.assertIs(content.read(0, COALESCE), big)

    def test_smallAppendsMerged(self):
        """
        Small appends make one chunk: a read of them is one piece.
        """
        content = _grown(*[bytes([65 + index]) for index in range(26)])
        self.assertEqual(len(list(content.pieces())), 1)
        self.assertEqual(content.value(), bytes(range(65, 91)))

    def test_snapshotUnchangedByAppend(self):
        """
        A snapshot keeps its bytes while its content is appended to,
        merged last chunk included.
        """
        content = _grown(b"ab")
        snapshot = content.snapshot()
        content.append(b"cd")
        self.assertEqual(snapshot.value(), b"ab")
        self.assertEqual(content.value(), b"abcd")

    def test_appendToOlderVersion(self):
        """
        Appending to a view that no longer ends where its chunks end
        (an older version) starts chunks of its own: the newer version
        keeps its bytes.
        """
        older = _grown(b"ab")
        newer = older.snapshot()
        newer.append(b"cd")
        older.append(b"XY")
        self.assertEqual(older.value(), b"abXY")
        self.assertEqual(newer.value(), b"abcd")

    def test_truncated(self):
        """
        L{Content.truncated} cuts inside a chunk, or pads with zero bytes;
        the original keeps its bytes.
        """
        content = _grown(b"a" * COALESCE, b"bcd")
        cut = content.truncated(COALESCE + 1)
        cut.append(b"Z")
        self.assertEqual(cut.read(COALESCE - 1, 10), b"abZ")
        self.assertEqual(content.read(COALESCE - 1, 10), b"abcd")
        padded = Content(b"ab").truncated(4)
        self.assertEqual(padded.value(), b"ab\0\0")

    def test_snapshotAcrossTailMadeChunk(self):
        """
        A snapshot reading bytes of the tail still reads them once the
        tail was made a chunk, and the content holds them all.
        """
        content = _grown(b"a" * (COALESCE - 1))
        snapshot = content.snapshot()
        content.append(b"bc")
        content.append(b"d" * COALESCE)
        self.assertEqual(snapshot.value(), b"a" * (COALESCE - 1))
        self.assertEqual(content.read(COALESCE - 2, 5), b"abcdd")
        self.assertEqual(len(content), 2 * COALESCE + 1)

    def test_piecesRange(self):
        """
        L{Content.pieces} gives the bytes of a range as stored, an empty
        range none.
        """
        content = _grown(b"a" * COALESCE, b"b" * COALESCE)
        self.assertEqual(
            b"".join(content.pieces(COALESCE - 2, COALESCE + 2)), b"aabb")
        self.assertEqual(list(content.pieces(5, 5)), [])


class FilesTests(unittest.TestCase):
    """
    The memory shell's nodes and open files, over L{Content}.
    """

    def test_nodeData(self):
        """
        A L{FileNode}'s C{data} is still its content as C{bytes}.
        """
        node = FileNode(0, b"abc")
        node.content.append(b"d")
        self.assertEqual(node.data, b"abcd")
        self.assertEqual(node.info().size, 4)
        node.data = b"xy"
        self.assertEqual((node.data, node.info().size), (b"xy", 2))

    def test_readFileOfBytes(self):
        """
        A L{MemoryReadFile} may still be given C{bytes}.
        """
        opened = MemoryReadFile(b"hello", 1)
        self.assertEqual(opened.size, 4)
        self.assertEqual(self.successResultOf(opened.readAt(1, 2)), b"ll")

    def test_writesAtOffsets(self):
        """
        A L{MemoryWriteFile} takes writes inside what it holds
        (overwriting); one past its end goes where the previous one ended
        (writes come in order), as before its bytes were L{Content}.
        """
        stored = []
        budget = Budget(None)
        opened = MemoryWriteFile(budget, stored.append)
        opened.writeAt(0, b"abcdef")
        opened.writeAt(2, b"XY")
        opened.writeAt(8, b"!")
        self.successResultOf(opened.close())
        self.assertEqual(stored[0].value(), b"abXYef!")
        self.assertEqual(budget.used, 0)

"""
An upload's file on the disk: its temporary name, unique and hidden
(L{ftpkit.shells.uploadnames}), and the writes that fill it
(L{ftpkit.shells.diskqueue.writeAll}).
"""

import os

from twisted.trial import unittest

from ftpkit.shells import diskqueue
from tests.scratch import readLocal, writeLocal


class WriteAllTests(unittest.TestCase):
    """
    L{diskqueue.writeAll} writes every chunk, in order, whatever the
    kernel takes per call.
    """

    def setUp(self):
        self.path = self.mktemp()
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT)
        self.addCleanup(os.close, self.fd)

    def test_manyChunks(self):
        """
        More chunks than one C{pwritev} takes, empty ones among them, at an
        offset.
        """
        chunks = [bytes([i % 256]) * (i % 7) for i in range(5000)]
        diskqueue.writeAll(self.fd, chunks, 3)
        self.assertEqual(readLocal(self.path), b"\0\0\0" + b"".join(chunks))

    def test_boundedCalls(self):
        """
        No call is given more than L{diskqueue.WRITE_CALL_SIZE} bytes, be
        the chunks small or large; every byte still lands in order.
        """
        real = os.pwritev
        sizes = []

        def recording(fd, buffers, position):
            sizes.append(sum(len(buffer) for buffer in buffers))
            return real(fd, buffers, position)
        self.patch(os, "pwritev", recording)
        limit = diskqueue.WRITE_CALL_SIZE
        chunks = [b"a" * 16384] * 9 + [b"b" * (3 * limit + 5), b"c" * 7]
        diskqueue.writeAll(self.fd, chunks, 0)
        self.assertLessEqual(max(sizes), limit)
        self.assertEqual(sum(sizes), sum(len(chunk) for chunk in chunks))
        self.assertEqual(readLocal(self.path), b"".join(chunks))

    def test_shortWrites(self):
        """
        A write that takes fewer bytes than given is carried on from there,
        mid-chunk too; without a position, C{writev} is used the same way.
        """
        real = os.pwritev

        def short(fd, buffers, position):
            return real(fd, [bytes(buffers[0][:5])], position)
        self.patch(os, "pwritev", short)
        chunks = [b"abcdefgh", b"ij", b"klmnopqrstu"]
        diskqueue.writeAll(self.fd, chunks, 0)
        self.assertEqual(readLocal(self.path), b"abcdefghijklmnopqrstu")
        os.lseek(self.fd, 0, os.SEEK_END)
        realWritev = os.writev
        self.patch(os, "writev",
                   lambda fd, buffers: realWritev(fd, [bytes(buffers[0][:3])]))
        diskqueue.writeAll(self.fd, [b"vwxyz", b"!"], None)
        self.assertEqual(readLocal(self.path), b"abcdefghijklmnopqrstuvwxyz!")


class TemporaryNameTests(unittest.TestCase):
    """
    Temporary upload files get names unique in the process, hidden from
    listings, and another name when one is taken.
    """

    def setUp(self):
        self.directory = os.fsencode(self.mktemp())
        os.makedirs(self.directory)

    def test_unique(self):
        """
        Names differ, and each is one that listings hide.
        """
        from ftpkit.shells import uploads

        names = {uploads.temporaryName(b"f") for _ in range(100)}
        self.assertEqual(len(names), 100)
        self.assertTrue(all(uploads.isHidden(n) for n in names))

    def test_takenNameSkipped(self):
        """
        A name someone already created is not opened: the next one is.
        """
        from ftpkit.shells import uploadnames

        taken = os.path.join(self.directory, b"taken")
        writeLocal(taken, b"someone else's")
        names = iter([b"taken", b"free"])
        self.patch(uploadnames, "temporaryName", lambda target: next(names))
        fd, path = uploadnames.createTemporary(
            os.path.join(self.directory, b"target"))
        os.close(fd)
        self.assertEqual(path, os.path.join(self.directory, b"free"))
        self.assertEqual(readLocal(taken), b"someone else's")

    def test_allTaken(self):
        """
        When every name tried is taken, C{FileExistsError}.
        """
        from ftpkit.shells import uploadnames

        writeLocal(os.path.join(self.directory, b"taken"), b"x")
        self.patch(uploadnames, "temporaryName", lambda target: b"taken")
        self.assertRaises(FileExistsError, uploadnames.createTemporary,
                          os.path.join(self.directory, b"target"))

"""
The writes of an upload's batches (L{ftpkit.data.movers._splicebatch})
that find the file system full (C{ENOSPC}): room is made
(L{ftpkit.fileinfo.FileDescriptor.makeRoom}) and the write tried once
more in a disk thread; at once, in the reactor thread, the bytes taken
from the socket are handed over (L{batches.Unwritten}) to be written in
a disk thread (L{batches.writeUnwritten}).
"""

import errno
import os

from twisted.trial import unittest

from ftpkit.data.movers import _splicebatch as batches
from ftpkit.fileinfo import FileDescriptor
from tests.uploadbatches import connectedPair


class FullOnceMixin:
    """
    The file's first write (C{self.call}, a name of C{os}) fails with
    C{ENOSPC}; C{self.madeRoom} counts the calls of C{makeRoom}.
    """

    def setUp(self):
        self.sender, self.receiver = connectedPair(self)
        self.path = self.mktemp()
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT)
        self.addCleanup(os.close, self.fd)
        self.madeRoom = []
        real = getattr(os, self.call)
        failures = [OSError(errno.ENOSPC, "No space left on device")]

        def fullOnce(*args, **kwargs):
            if failures and self.fd in args[:2]:
                raise failures.pop()
            return real(*args, **kwargs)
        self.patch(batches.os, self.call, fullOnce)

    def makeRoom(self, fd):
        """
        Count a call.
        """
        self.madeRoom.append(fd)

    def content(self):
        """
        @return: the file's bytes.
        """
        with open(self.path, "rb") as f:
            return f.read()


class ReadBatchRoomTests(FullOnceMixin, unittest.TestCase):
    """
    L{batches.readBatch}.
    """

    call = "pwrite"

    def test_inThread(self):
        """
        With a buffer of its own (a disk thread), room is made and the
        write tried again.
        """
        self.sender.sendall(b"hello")
        moved, why = batches.readBatch(self.receiver, self.fd, 2, 100,
                                       memoryview(bytearray(100)),
                                       self.makeRoom)
        self.assertEqual((moved, self.madeRoom), (5, [self.fd]))
        self.assertEqual(self.content(), b"\0\0hello")

    def test_atOnce(self):
        """
        At once, the bytes it took are handed over; written by
        L{batches.writeUnwritten}, after room is made, where they belong.
        """
        self.sender.sendall(b"hello")
        with self.assertRaises(batches.Unwritten) as raised:
            batches.readBatch(self.receiver, self.fd, 2, 100,
                              makeRoom=self.makeRoom)
        unwritten = raised.exception
        self.assertEqual((unwritten.moved, unwritten.data, self.madeRoom),
                         (0, b"hello", []))
        descriptor = FileDescriptor(self.fd, 2, makeRoom=self.makeRoom)
        self.assertEqual(batches.writeUnwritten(descriptor, unwritten, 2),
                         (5, batches.MORE))
        self.assertEqual((self.content(), self.madeRoom),
                         (b"\0\0hello", [self.fd]))

    def test_unwrittenTaken(self):
        """
        The bytes handed over were counted as taken from the socket
        (L{batches.Taken}), with those written before them.
        """
        self.sender.sendall(b"hello")
        taken = batches.Taken()
        self.assertRaises(batches.Unwritten, batches.readBatch,
                          self.receiver, self.fd, 2, 100,
                          makeRoom=self.makeRoom, taken=taken)
        self.assertEqual(taken.count, 5)

    def test_noRoomMaker(self):
        """
        Without C{makeRoom}, the error is raised as it was.
        """
        self.sender.sendall(b"hello")
        self.assertRaises(OSError, batches.readBatch, self.receiver,
                          self.fd, 0, 100)


class SpliceBatchRoomTests(FullOnceMixin, unittest.TestCase):
    """
    L{batches.spliceBatch}: the bytes wait in the pipe meanwhile.
    """

    call = "splice"

    def setUp(self):
        if not hasattr(os, "splice"):
            raise unittest.SkipTest("no splice(2) here")
        FullOnceMixin.setUp(self)
        self.pipe = os.pipe()
        for fd in self.pipe:
            self.addCleanup(os.close, fd)

    def test_retried(self):
        """
        Room is made and the splice into the file tried again.
        """
        self.sender.sendall(b"hello")
        moved, _ = batches.spliceBatch(self.receiver.fileno(), self.pipe,
                                       self.fd, 0, 100, self.makeRoom)
        self.assertEqual((moved, self.madeRoom), (5, [self.fd]))
        self.assertEqual(self.content(), b"hello")

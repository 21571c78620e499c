"""
The sockets and cases of the tests of the upload batches
(L{ftpkit.data.movers._splicebatch}): L{connectedPair}, a TCP connection
whose receiving end is non-blocking, and L{BatchCases}, what each way of
moving a batch from a socket into a file passes
(C{spliceBatch}, C{readBatch}).
"""

import os
import socket
import struct

from ftpkit.data.movers import _splicebatch as batches


def connectedPair(testCase):
    """
    @param testCase: the running test; both ends are closed when it ends.
    @return: C{(sender, receiver)}, a TCP connection on 127.0.0.1; the
        receiver is non-blocking.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    sender = socket.create_connection(listener.getsockname())
    receiver, _ = listener.accept()
    listener.close()
    receiver.setblocking(False)
    for sock in (sender, receiver):
        testCase.addCleanup(sock.close)
    return sender, receiver


class BatchCases:
    """
    A mixin for a L{twisted.trial.unittest.TestCase} of one way of moving
    a batch, which defines C{batchInto(fd, position, limit, taken=None)}:
    move a batch from C{self.receiver} into the file C{fd}, counting the
    bytes taken from the socket in C{taken} (a L{batches.Taken}), giving
    C{(moved, why)}.

    @ivar sender: the sending end of the connection.
    @ivar receiver: the non-blocking end a batch reads.
    @ivar path: the file the batches write.
    @ivar fd: its descriptor, read and write.
    """

    def setUp(self):
        """
        Connect the sockets and make the file.
        """
        self.sender, self.receiver = connectedPair(self)
        self.path = self.mktemp()
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT)
        self.addCleanup(os.close, self.fd)

    def batch(self, position=0, limit=None):
        """
        @param position: where the batch writes in the file.
        @param limit: the most bytes it moves, or C{None} for the test
            case's C{limit}.
        @return: C{(moved, why)}.
        """
        return self.batchInto(self.fd, position,
                              self.limit if limit is None else limit)

    def content(self):
        """
        @return: the file's bytes.
        """
        with open(self.path, "rb") as f:
            return f.read()

    def test_emptyThenEnd(self):
        """
        Nothing sent yet: L{batches.EMPTY}. Bytes then the end: they land
        at the position given, and L{batches.END}.
        """
        self.assertEqual(self.batch(), (0, batches.EMPTY))
        self.sender.sendall(b"hello")
        self.sender.shutdown(socket.SHUT_WR)
        self.assertEqual(self.batch(position=3), (5, batches.END))
        self.assertEqual(self.content(), b"\0\0\0hello")

    def test_broken(self):
        """
        A reset connection: L{batches.BROKEN}.
        """
        self.sender.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                               struct.pack("ii", 1, 0))
        self.sender.close()
        self.assertEqual(self.batch(), (0, batches.BROKEN))

    def test_writeErrorRaised(self):
        """
        A failing write raises its C{OSError}.
        """
        readOnly = os.open(self.path, os.O_RDONLY)
        self.addCleanup(os.close, readOnly)
        self.sender.sendall(b"data")
        self.assertRaises(OSError, self.batchInto, readOnly, 0, self.limit)

    def test_takenCounted(self):
        """
        The bytes a batch moves are counted as taken from the socket.
        """
        taken = batches.Taken()
        self.sender.sendall(b"hello")
        self.sender.shutdown(socket.SHUT_WR)
        self.assertEqual(self.batchInto(self.fd, 0, self.limit, taken),
                         (5, batches.END))
        self.assertEqual(taken.count, 5)

    def test_writeErrorTakenCounted(self):
        """
        A batch whose write fails has counted the bytes it took from the
        socket (L{batches.Taken}): received, though not written.
        """
        readOnly = os.open(self.path, os.O_RDONLY)
        self.addCleanup(os.close, readOnly)
        self.sender.sendall(b"data")
        taken = batches.Taken()
        self.assertRaises(OSError, self.batchInto, readOnly, 0, self.limit,
                          taken)
        self.assertEqual(taken.count, 4)

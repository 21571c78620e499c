"""
A L{ftpkit.data.leanconnection.LeanConnection} with the movers: a download
with C{sendfile} and an upload with C{splice} over a bare socket.
"""

import errno
import os
import socket

from twisted.internet import defer, reactor
from twisted.internet.error import ConnectionAborted, ConnectionDone
from twisted.trial import unittest

from ftpkit.data.movers import Download, Upload, _sendfile
from ftpkit.data.movers import _pipes as pipes
from ftpkit.data.movers import _splice as splicing
from ftpkit.data.movers import _splicebatch as batches
from ftpkit.data.movers.pacing import Pacer, RateLimit
from ftpkit.errors import TransferAborted
from tests.scratch import scratchDirectory
from tests.unit.test_movers import (
    DescriptorOnlyFile,
    LeanConnectionMixin,
    TickingReactor,
    immediateDescriptor,
)


class LeanConnectionTests(LeanConnectionMixin, unittest.TestCase):
    """
    L{LeanConnection} with the movers: a download with C{sendfile} and an
    upload with C{splice} over a bare socket.
    """

    def test_reactor(self):
        """
        The connection's reactor, for the movers that have it watch the
        socket, is the one it was given.
        """
        self.assertIs(self.connection.reactor, self.clock)

    def test_moversReadNoPrivateNames(self):
        """
        The movers read no private attribute of another object: the splice
        receiver read C{LeanConnection._reactor}, another module's private
        name, where the connection now offers C{reactor}.
        """
        import ast
        import glob

        import ftpkit.data.movers

        found = []
        folder = os.path.dirname(ftpkit.data.movers.__file__)
        for path in sorted(glob.glob(os.path.join(folder, "*.py"))):
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read())
            for node in ast.walk(tree):
                if (isinstance(node, ast.Attribute)
                        and node.attr.startswith("_")
                        and not node.attr.startswith("__")
                        and not (isinstance(node.value, ast.Name)
                                 and node.value.id in ("self", "cls"))):
                    found.append(f"{os.path.basename(path)}:{node.lineno}: "
                                 f"{ast.unparse(node)}")
        self.assertEqual(found, [])

    def openSource(self, content=b"lean bytes"):
        """
        @return: the descriptor of a new file holding C{content}, closed
            when the test ends.
        """
        path = os.path.join(scratchDirectory(self), "source")
        with open(path, "wb") as f:
            f.write(content)
        fd = os.open(path, os.O_RDONLY)
        self.addCleanup(os.close, fd)
        return fd

    def download(self, descriptor):
        """
        @return: a L{Download} of a file with C{descriptor}, started over
            the connection, and its Deferred.
        """
        mover = Download(DescriptorOnlyFile(descriptor), True, reactor)
        self.assertTrue(mover.bareSocket)
        return mover, mover.start(self.connection)

    def upload(self, descriptor, limit=None):
        """
        @return: the Deferred of an L{Upload} into a file with
            C{descriptor}, started over the connection.
        """
        mover = Upload(DescriptorOnlyFile(descriptor), True, reactor,
                       limit=limit)
        self.assertTrue(mover.bareSocket)
        return defer.ensureDeferred(mover.start(self.connection))

    def test_sendAndFinish(self):
        fd = self.openSource()
        mover, sending = self.download(immediateDescriptor(fd, 0, 10))
        self.assertEqual(self.successResultOf(sending), 10)
        self.assertEqual(mover.bytesMoved, 10)
        lost = self.connection.whenLost()
        self.assertEqual(self.client.recv(100), b"lean bytes")
        self.client.shutdown(socket.SHUT_WR)
        self.successResultOf(self.connection.finish())
        self.assertIsInstance(self.successResultOf(lost), ConnectionDone)
        self.assertEqual(self.client.recv(100), b"")
        self.clock.advance(0)  # The descriptor number is freed.
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_freedWithoutGarbageCollector(self):
        """
        Once a C{sendfile} copy is over, its mover, writer and connection
        do not hold each other: they are freed as soon as nothing else
        refers to them, not by the cyclic garbage collector (a cycle per
        download made collections a visible share of a small file's time).
        """
        import gc
        import weakref

        fd = self.openSource()
        gc.collect()
        gc.disable()
        self.addCleanup(gc.enable)
        mover, sending = self.download(immediateDescriptor(fd, 0, 10))
        self.successResultOf(sending)
        self.client.shutdown(socket.SHUT_WR)
        self.successResultOf(self.connection.finish())
        freed = weakref.ref(mover)
        connection = weakref.ref(self.connection)
        del mover, sending, self.connection
        self.assertIsNone(freed())
        self.assertIsNone(connection())

    def test_abortResets(self):
        self.connection.abort()
        self.assertIsInstance(self.connection.lostReason, ConnectionAborted)
        self.assertRaises(ConnectionResetError, self.client.recv, 100)
        self.failureResultOf(self.connection.finish(), TransferAborted)
        self.clock.advance(0)  # The descriptor number is freed.
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_whenFinished(self):
        """
        L{whenFinished} fires with the reason of an end in order, and fails
        with L{TransferAborted} after a reset: once ended, at once; before,
        when the connection ends (a single waiter, fired after those of
        C{whenLost}).
        """
        waiting = self.connection.whenFinished()
        lost = self.connection.whenLost()
        order = []
        lost.addCallback(lambda _: order.append("lost"))
        waiting.addCallback(lambda reason: order.append(type(reason)))
        self.assertNoResult(waiting)
        self.connection.closeReceived()
        self.assertEqual(order, ["lost", ConnectionDone])
        self.assertIsInstance(
            self.successResultOf(self.connection.whenFinished()),
            ConnectionDone)

    def test_whenFinishedAborted(self):
        """
        L{whenFinished} fails with L{TransferAborted} when the connection
        is dropped while it waits, or was.
        """
        waiting = self.connection.whenFinished()
        self.connection.abort()
        self.failureResultOf(waiting, TransferAborted)
        self.failureResultOf(self.connection.whenFinished(), TransferAborted)
        self.clock.advance(0)

    def test_stallDropsIt(self):
        self.connection.watch()
        self.clock.advance(61)
        self.assertTrue(self.connection.timedOut)
        self.assertIsInstance(self.connection.lostReason, ConnectionAborted)

    def spliceTarget(self):
        """
        @return: the descriptor of a new, empty file, closed when the test
            ends.
        """
        fd = os.open(self.mktemp(), os.O_RDWR | os.O_CREAT)
        self.addCleanup(os.close, fd)
        return fd

    def test_spliceReceives(self):
        """
        An upload moves what the client sends, up to its end, into the
        file at the offset given, and commits the file in the thread of
        the last batch.
        """
        if not splicing.available:
            raise unittest.SkipTest("no splice(2) here")
        idle = []
        self.patch(pipes, "_idlePipes", idle)
        self.client.sendall(b"spliced bytes")
        self.client.shutdown(socket.SHUT_WR)
        fd = self.spliceTarget()
        committed = []
        done = self.upload(immediateDescriptor(fd, 2, commit=committed.append))
        self.assertEqual(self.successResultOf(done), 13)
        self.assertEqual(committed, [15])
        self.assertEqual(self.connection.bytesReceived, 13)
        self.assertEqual(os.pread(fd, 100, 0), b"\0\0spliced bytes")
        self.successResultOf(self.connection.finish())
        self.assertIsNone(self.connection.user)
        self.assertEqual(len(idle), 1)  # Empty, so kept for the next upload.

    def test_splicePaced(self):
        """
        A paced upload moves what the pacer allows (one burst: 4 KiB at 16
        KiB a second) and then waits on a timer, though the socket has
        more: it went on with batches of the few bytes time had added
        meanwhile, a disk thread's round trip each (strace: thousands of
        70-byte splices a second, most of a core).
        """
        if not splicing.available:
            raise unittest.SkipTest("no splice(2) here")
        self.client.sendall(b"u" * 65536)
        mover = Upload(
            DescriptorOnlyFile(immediateDescriptor(self.spliceTarget())),
            True, reactor,
            pacer=Pacer([RateLimit(16 * 1024, TickingReactor())]))
        done = defer.ensureDeferred(mover.start(self.connection))
        self.assertNoResult(done)
        self.assertLessEqual(self.connection.user.moved, 4096 + 64)
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.connection.abort()
        self.failureResultOf(done)

    def test_spliceLimit(self):
        """
        An upload bringing more than its limit fails with
        L{UploadTooLarge}, and the file is not committed.
        """
        from ftpkit.errors import UploadTooLarge

        if not splicing.available:
            raise unittest.SkipTest("no splice(2) here")
        self.client.sendall(b"eleven byte")
        self.client.shutdown(socket.SHUT_WR)
        committed = []
        done = self.upload(
            immediateDescriptor(self.spliceTarget(), commit=committed.append),
            limit=10)
        self.failureResultOf(done, UploadTooLarge)
        self.assertEqual(committed, [])
        self.connection.abort()

    def test_failedBatchClosesPipe(self):
        """
        After a batch that failed (bytes may be left in the pipe), the pipe
        is closed rather than kept for the next upload.
        """
        if not splicing.available:
            raise unittest.SkipTest("no splice(2) here")
        idle, taken = [], []
        self.patch(pipes, "_idlePipes", idle)
        openPipe = pipes.openPipe
        self.patch(pipes, "openPipe",
                   lambda: taken.append(openPipe()) or taken[-1])
        self.client.sendall(b"x")
        done = self.upload(immediateDescriptor(
            99, run=lambda *args: defer.fail(OSError(errno.EIO, "I/O"))))
        self.failureResultOf(done, OSError)
        self.assertEqual(idle, [])
        for fd in taken[0]:
            self.assertRaises(OSError, os.fstat, fd)
        self.connection.abort()

    def test_abortWaitsForSpliceBatch(self):
        """
        An abort while a splice batch uses the socket in a thread closes
        the socket only once the batch is over; the upload then fails with
        L{TransferAborted}.
        """
        if not splicing.available:
            raise unittest.SkipTest("no splice(2) here")
        batch = defer.Deferred()
        self.client.sendall(b"x")
        done = self.upload(immediateDescriptor(99, run=lambda *args: batch))
        self.connection.abort()
        self.assertIsNone(self.connection.lostReason)
        self.assertNoResult(done)
        self.assertGreaterEqual(self.server.fileno(), 0)
        batch.callback((0, batches.EMPTY))
        self.assertIsInstance(self.connection.lostReason, ConnectionAborted)
        self.failureResultOf(done, TransferAborted)
        self.assertEqual(self.server.fileno(), -1)
        self.assertRaises(ConnectionResetError, self.client.recv, 100)

    def test_spliceWaitsForBytes(self):
        """
        An upload whose client has sent nothing yet waits in the reactor
        for the socket, running no batch in a disk thread (one would find
        nothing); once the socket has bytes, a batch moves them.
        """
        if not splicing.available:
            raise unittest.SkipTest("no splice(2) here")
        batches = []

        def run(function, *args):
            batches.append(args)
            return defer.maybeDeferred(function, *args)
        fd = self.spliceTarget()
        done = self.upload(immediateDescriptor(fd, run=run))
        self.assertEqual(batches, [])
        [receiver] = self.clock.readers
        self.client.sendall(b"late bytes")
        self.client.shutdown(socket.SHUT_WR)
        receiver.doRead()
        self.assertEqual(self.successResultOf(done), 10)
        self.assertEqual(len(batches), 1)
        self.assertEqual(self.clock.readers, [])
        self.assertEqual(os.pread(fd, 100, 0), b"late bytes")
        self.successResultOf(self.connection.finish())

    def test_watchOnlyWhenWaiting(self):
        """
        The watchdog starts only once a file does not go out at once.
        """
        self.assertEqual(self.clock.getDelayedCalls(), [])
        fd = self.openSource(b"x" * (64 << 20))
        mover, sending = self.download(immediateDescriptor(fd, 0, 64 << 20))
        self.assertNoResult(sending)
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        mover.abort()
        self.failureResultOf(sending)
        self.connection.abort()
        self.clock.advance(0)  # The descriptor number is freed.
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_abortLeavesReactorFirst(self):
        """
        Dropping the connection while a download waits for room takes the
        socket out of the reactor before closing it, and fails the copy.
        """
        fd = self.openSource(b"x" * (64 << 20))
        mover, sending = self.download(immediateDescriptor(fd, 0, 64 << 20))
        socketFD = self.server.fileno()
        self.assertIn(socketFD, [w.fileno() for w in reactor.getWriters()])
        self.connection.abort()
        self.failureResultOf(sending)
        self.assertNotIn(socketFD, [w.fileno() for w in reactor.getWriters()])
        self.assertIsNone(self.connection.user)

    def test_warmBeforeUncachedRange(self):
        """
        A range not in memory is read in by a disk thread (through the
        descriptor's C{run}) before C{sendfile} copies it; meanwhile
        nothing is sent and the watchdog runs.
        """
        fd = self.openSource(b"warm bytes")
        cached = [False]
        self.patch(_sendfile, "isCached", lambda fd, offset, count, device: cached[0])
        warming = defer.Deferred()
        asked = []

        def run(function, *args):
            asked.append((function, args))
            return warming

        mover, sending = self.download(immediateDescriptor(fd, 0, 10, run))
        self.assertNoResult(sending)
        self.assertEqual(asked, [(_sendfile.readInto, (fd, 0, 10))])
        self.assertEqual(mover.bytesMoved, 0)
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        cached[0] = True
        warming.callback(None)
        self.assertEqual(self.successResultOf(sending), 10)
        self.assertEqual(self.client.recv(100), b"warm bytes")
        self.client.shutdown(socket.SHUT_WR)
        self.successResultOf(self.connection.finish())

    def test_warmFailureFailsTheCopy(self):
        """
        A failed warming fails the copy with its error.
        """
        from ftpkit.errors import LocalError

        self.patch(_sendfile, "isCached", lambda fd, offset, count, device: False)
        mover, sending = self.download(immediateDescriptor(
            0, 0, 10, lambda *args: defer.fail(LocalError())))
        self.failureResultOf(sending, LocalError)
        self.connection.abort()

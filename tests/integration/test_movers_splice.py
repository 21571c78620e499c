"""
Tests for L{ftpkit.data.movers._splice}, and that binary uploads of the
filesystem shell go through it.
"""

import errno
import ftplib
import io
import os
import socket
import struct

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.data.movers import Upload
from ftpkit.data.movers import _pipes as pipes
from ftpkit.data.movers import _splice as splicing
from ftpkit.data.movers import _splicebatch as batches
from ftpkit.errors import InsufficientStorage
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.filesystem import FilesystemShell
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.uploadbatches import BatchCases, connectedPair


class SpliceBatchTests(BatchCases, unittest.TestCase):
    """
    L{batches.spliceBatch} moves what a socket has into a file and says
    why it stopped.
    """

    limit = batches.BATCH_SIZE

    def setUp(self):
        if not splicing.available:
            raise unittest.SkipTest("no splice(2) here")
        BatchCases.setUp(self)
        self.pipe = pipes.openPipe()
        for fd in self.pipe:
            self.addCleanup(os.close, fd)

    def batchInto(self, fd, position, limit, taken=None):
        return batches.spliceBatch(self.receiver.fileno(), self.pipe, fd,
                                   position, limit, taken=taken)

    def test_limit(self):
        """
        At most C{limit} bytes per batch: L{batches.MORE} then the rest.
        """
        payload = os.urandom(300000)
        self.sender.sendall(payload)
        self.sender.close()
        self.assertEqual(self.batch(limit=100000), (100000, batches.MORE))
        moved, why = self.batch(position=100000)
        self.assertEqual((moved, why), (200000, batches.END))
        self.assertEqual(self.content(), payload)

    def test_fileWritesBounded(self):
        """
        Each splice into the file moves at most
        L{batches.FILE_WRITE_SIZE} bytes, however much the pipe holds.
        """
        real = os.splice
        intoFile = []

        def recording(source, destination, count, **kwargs):
            if destination == self.fd:
                intoFile.append(count)
            return real(source, destination, count, **kwargs)
        self.patch(os, "splice", recording)
        payload = os.urandom(5 * batches.FILE_WRITE_SIZE + 1)
        self.sender.sendall(payload)
        self.sender.close()
        moved, why = self.batch()
        while why == batches.MORE:
            more, why = self.batch(position=moved)
            moved += more
        self.assertEqual(self.content(), payload)
        self.assertLessEqual(max(intoFile), batches.FILE_WRITE_SIZE)

    def test_fileWritesInsideBoundaries(self):
        """
        No splice into the file crosses a multiple of
        L{batches.FILE_WRITE_SIZE}, wherever the batch starts and however
        the socket's bytes come: each page-cache folio is then made whole
        by one write, rather than split into smaller ones at every write's
        unaligned ends (five times as many folios, and more CPU per byte).
        """
        real = os.splice
        intoFile = []

        def recording(source, destination, count, **kwargs):
            written = real(source, destination, count, **kwargs)
            if destination == self.fd:
                intoFile.append((kwargs["offset_dst"], written))
            return written
        self.patch(os, "splice", recording)
        size = batches.FILE_WRITE_SIZE
        payload = os.urandom(3 * size)
        self.sender.sendall(payload)
        self.sender.close()
        start = 1000
        moved, why = self.batch(position=start)
        while why == batches.MORE:
            more, why = self.batch(position=start + moved)
            moved += more
        self.assertEqual(self.content(), b"\0" * start + payload)
        crossing = [(offset, count) for offset, count in intoFile
                    if offset // size != (offset + count - 1) // size]
        self.assertEqual(crossing, [])


class SplicedUploadTests(LoopbackServerMixin, unittest.TestCase):
    """
    Binary uploads to the filesystem shell over passive connections are
    spliced; the others are not, and every kind lands intact.
    """

    def setUp(self):
        if not splicing.available:
            raise unittest.SkipTest("no splice(2) here")
        self.root = scratchDirectory(self)
        self.server = self.startServer(FilesystemRealm(self.root))
        self.batches = 0
        original = batches.spliceBatch

        def counting(*args, **kwargs):
            self.batches += 1
            return original(*args, **kwargs)
        self.patch(batches, "spliceBatch", counting)

    def session(self, function):
        def run():
            ftp = ftplibLogin(self, self.server.port, timeout=10)
            result = function(ftp)
            ftp.quit()
            return result
        return self.inThread(run)

    def stored(self, name):
        with open(os.path.join(self.root, name), "rb") as f:
            return f.read()

    async def test_binarySpliced(self):
        """
        A binary upload, new or replacing a file or resumed with REST, is
        spliced and lands intact.
        """
        payload = os.urandom(5 * 1024 * 1024 + 3)

        def run(ftp):
            ftp.storbinary("STOR new.bin", io.BytesIO(payload))
            ftp.storbinary("STOR new.bin", io.BytesIO(payload[::-1]))
            ftp.storbinary("STOR resumed.bin", io.BytesIO(payload[:1000]))
            ftp.storbinary("STOR resumed.bin", io.BytesIO(payload[1000:]),
                           rest=1000)
        await self.session(run)
        self.assertEqual(self.stored("new.bin"), payload[::-1])
        self.assertEqual(self.stored("resumed.bin"), payload)
        # Each upload past SHORT_BATCH_SIZE splices at least once; the
        # first 1,000 bytes of resumed.bin are moved through Python.
        self.assertGreaterEqual(self.batches, 3)

    async def test_othersNotSpliced(self):
        """
        ASCII uploads, appends and active-mode uploads take the usual way.
        """
        def run(ftp):
            ftp.storlines("STOR text.txt", io.BytesIO(b"a\r\nb\r\n"))
            ftp.storbinary("APPE text.txt", io.BytesIO(b"c"))
            ftp.set_pasv(False)
            ftp.storbinary("STOR active.bin", io.BytesIO(b"active"))
        await self.session(run)
        self.assertEqual(self.stored("text.txt"), b"a\nb\nc")
        self.assertEqual(self.stored("active.bin"), b"active")
        self.assertEqual(self.batches, 0)

    async def test_diskFull(self):
        """
        A spliced write failing with C{ENOSPC} answers C{452}; the file it
        was replacing is intact, no temporary file remains, and what it
        received (the bytes before splicing began) is kept as its partial
        upload, for the client's retry as a resume.
        """
        with open(os.path.join(self.root, "keep.bin"), "wb") as f:
            f.write(b"old contents")

        def full(*args, **kwargs):
            raise OSError(errno.ENOSPC, "No space left on device")
        self.patch(batches, "spliceBatch", full)

        def run(ftp):
            try:
                try:
                    ftp.storbinary("STOR keep.bin", io.BytesIO(b"x" * 100000))
                except ftplib.error_temp:
                    raise
                except OSError:
                    # The reset reached ftplib while it was still sending.
                    ftp.getresp()
            except ftplib.error_temp as e:
                return str(e)
        answer = await self.session(run)
        self.assertTrue(answer.startswith("452"), answer)
        self.assertEqual(self.stored("keep.bin"), b"old contents")
        self.assertEqual(sorted(os.listdir(self.root)),
                         [".ftpkit-partial.keep.bin", "keep.bin"])
        kept = self.stored(".ftpkit-partial.keep.bin")
        self.assertEqual(kept, b"x" * len(kept))


def _splicedUpload(testCase, writer, data, end=True, reset=False):
    """
    Start a spliced upload of C{data}, sent whole by a client that then
    closed its side (unless not C{end}; with C{reset}, reset the
    connection instead), into C{writer} over a bare connection.

    @return: C{(connection, Deferred of the upload)}.
    """
    from twisted.internet import reactor
    from twisted.internet.task import Clock

    from ftpkit.data.connection import LeanConnection

    sender, receiver = connectedPair(testCase)
    sender.sendall(data)
    if reset:
        sender.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                          struct.pack("ii", 1, 0))
        sender.close()
    elif end:
        sender.shutdown(socket.SHUT_WR)
    clock = Clock()
    testCase.addCleanup(clock.advance, 0)  # Frees closed descriptors.
    connection = LeanConnection(receiver, clock, 60.0, lambda: None)
    mover = Upload(writer, True, reactor)
    testCase.assertTrue(mover.bareSocket)
    return connection, defer.ensureDeferred(mover.start(connection))


class LastBatchCommitTests(unittest.TestCase):
    """
    A spliced upload into the filesystem shell: the batch that ends it
    also commits the file, in the same disk-thread call.
    """

    def setUp(self):
        if not splicing.available:
            raise unittest.SkipTest("no splice(2) here")
        self.root = scratchDirectory(self)
        self.jobs = 0

        def runner(function, *args):
            self.jobs += 1
            return defer.maybeDeferred(function, *args)
        self.shell = FilesystemShell(self.root, runner=runner)

    def path(self, name):
        return os.path.join(self.root, name)

    @defer.inlineCallbacks
    def test_inPlaceAtTheEnd(self):
        """
        Once the last batch is done the file is in place; C{close} runs
        no further disk call.
        """
        with open(self.path("f"), "wb") as f:
            f.write(b"old")
        writer = yield self.shell.openForWriting(("f",))
        connection, receiving = _splicedUpload(self, writer, b"spliced")
        moved = yield receiving
        self.assertEqual(moved, 7)
        self.assertTrue(writer.committed)
        with open(self.path("f"), "rb") as f:
            self.assertEqual(f.read(), b"spliced")
        jobs = self.jobs
        yield writer.close()
        self.assertEqual(self.jobs, jobs)
        self.assertEqual(os.listdir(self.root), ["f"])

    @defer.inlineCallbacks
    def test_resetBeforeAnyByte(self):
        """
        A connection the client reset before sending a byte (a client
        killed, a network lost, right after the C{150}) fails the upload
        with L{TransferAborted}; the old file stays. The check for bytes
        before the first batch took the socket's error, and the batch then
        read the reset as the end of an empty upload: the file was
        replaced by an empty one, and the client told C{226}.
        """
        from ftpkit.errors import TransferAborted

        with open(self.path("f"), "wb") as f:
            f.write(b"old")
        writer = yield self.shell.openForWriting(("f",))
        connection, receiving = _splicedUpload(self, writer, b"",
                                               reset=True)
        yield self.assertFailure(receiving, TransferAborted)
        yield writer.abort()
        with open(self.path("f"), "rb") as f:
            self.assertEqual(f.read(), b"old")

    @defer.inlineCallbacks
    def test_commitFailureFailsTheBatch(self):
        """
        A rename that fails fails the upload with its FTP error; the old
        file stays and the temporary file is removed.
        """
        with open(self.path("f"), "wb") as f:
            f.write(b"old")

        def full(source, target):
            raise OSError(errno.ENOSPC, "No space left on device")
        self.patch(os, "replace", full)
        writer = yield self.shell.openForWriting(("f",))
        connection, receiving = _splicedUpload(self, writer, b"spliced")
        yield self.assertFailure(receiving, InsufficientStorage)
        yield writer.abort()
        with open(self.path("f"), "rb") as f:
            self.assertEqual(f.read(), b"old")
        self.assertEqual(os.listdir(self.root), ["f"])


def _isOpen(fd):
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


class PipePoolTests(unittest.TestCase):
    """
    L{pipes.takePipe} and L{pipes.releasePipe}: empty pipes are kept
    for the next upload, others closed.
    """

    def setUp(self):
        self.idle = []
        self.patch(pipes, "_idlePipes", self.idle)

    def test_emptyPipeReused(self):
        """
        A pipe given back empty is the next one taken.
        """
        pipe = pipes.takePipe()
        pipes.releasePipe(pipe, empty=True)
        self.assertIs(pipes.takePipe(), pipe)
        pipes.releasePipe(pipe, empty=False)

    def test_dirtyPipeClosed(self):
        """
        A pipe that may hold bytes is closed, not kept.
        """
        pipe = pipes.takePipe()
        pipes.releasePipe(pipe, empty=False)
        self.assertEqual(self.idle, [])
        self.assertFalse(any(_isOpen(fd) for fd in pipe))

    def test_bounded(self):
        """
        Past L{pipes._IDLE_PIPES_KEPT}, pipes given back are closed.
        """
        self.patch(pipes, "_IDLE_PIPES_KEPT", 1)
        first, second = pipes.takePipe(), pipes.takePipe()
        pipes.releasePipe(first, empty=True)
        pipes.releasePipe(second, empty=True)
        self.assertEqual(self.idle, [first])
        self.assertFalse(any(_isOpen(fd) for fd in second))
        pipes.releasePipe(pipes.takePipe(), empty=False)


class AbortDuringLastBatchTests(unittest.TestCase):
    """
    An abort asked for while a batch of an upload runs (C{ABOR}, or the
    session ending just after the client closed the data connection, as
    curl does when its C{--max-time} cuts an upload).
    """

    def setUp(self):
        if not splicing.available:
            raise unittest.SkipTest("no splice(2) here")
        self.root = scratchDirectory(self)
        self.held = []

        def runner(function, *args):
            if self.hold:
                waiting = defer.Deferred()
                self.held.append((waiting, function, args))
                return waiting
            return defer.maybeDeferred(function, *args)
        self.hold = False
        self.shell = FilesystemShell(self.root, runner=runner)

    @defer.inlineCallbacks
    def test_lastBatchUploadSucceeds(self):
        """
        The batch reached the end of the data and put the whole file in
        place: the upload succeeded (C{226}, RFC 959's ABOR of a command
        already complete), not C{426} with the file in place all the same.
        """
        writer = yield self.shell.openForWriting(("f",))
        self.hold = True
        connection, receiving = _splicedUpload(self, writer, b"whole upload")
        [(waiting, function, args)] = self.held
        connection.abort()  # Waits: the batch is using the socket.
        waiting.callback(function(*args))  # What the disk thread does.
        moved = yield receiving
        self.assertEqual(moved, len(b"whole upload"))
        self.assertIsNotNone(connection.lostReason)
        with open(os.path.join(self.root, "f"), "rb") as f:
            self.assertEqual(f.read(), b"whole upload")
        self.hold = False
        yield writer.close()
        self.assertEqual(os.listdir(self.root), ["f"])

    @defer.inlineCallbacks
    def test_earlierBatchUploadAborted(self):
        """
        A batch that did not reach the end: the upload fails with
        L{TransferAborted}, and nothing is put in place.
        """
        from ftpkit.errors import TransferAborted

        writer = yield self.shell.openForWriting(("f",))
        self.hold = True
        connection, receiving = _splicedUpload(self, writer, b"x" * 100000,
                                               end=False)
        [(waiting, function, args)] = self.held
        connection.abort()
        waiting.callback(function(*args))
        yield self.assertFailure(receiving, TransferAborted)
        self.hold = False
        yield writer.abort()
        self.assertNotIn("f", os.listdir(self.root))


class WaitedUploadClosedAtOnceTests(unittest.TestCase):
    """
    An upload whose socket had nothing at first waits in the reactor; its
    last batch comes back from a disk thread once the socket has left the
    reactor's set, so the socket is closed and its number freed at once,
    with no C{/dev/null} holding the number until the reactor's next turn.
    """

    def setUp(self):
        if not splicing.available:
            raise unittest.SkipTest("no splice(2) here")
        self.root = scratchDirectory(self)

    async def test_numberFreedAtOnce(self):
        import stat

        from twisted.internet import reactor, threads

        from ftpkit.data.connection import LeanConnection

        shell = FilesystemShell(self.root, runner=threads.deferToThread)
        writer = await shell.openForWriting(("f",))
        sender, receiver = connectedPair(self)
        number = receiver.fileno()
        connection = LeanConnection(receiver, reactor, 60.0, lambda: None)
        receiving = defer.ensureDeferred(
            Upload(writer, True, reactor).start(connection))
        self.assertNoResult(receiving)  # Waiting in the reactor.
        sender.sendall(b"late bytes")
        sender.shutdown(socket.SHUT_WR)
        self.assertEqual(await receiving, 10)
        await connection.finish(linger=False)
        try:
            mode = os.fstat(number).st_mode
        except OSError:
            pass  # Freed.
        else:
            self.assertFalse(stat.S_ISCHR(mode), "held by /dev/null")
        await writer.close()
        with open(os.path.join(self.root, "f"), "rb") as f:
            self.assertEqual(f.read(), b"late bytes")

"""
Small uploads into the filesystem shell run at once, in the reactor
thread, where its L{ftpkit.shells.shortcalls.ShortCalls} allows it: the
open, and the bytes and commit of an upload that fits in
L{ftpkit.data.movers._splicebatch.SHORT_BATCH_SIZE}; everything else still goes
to the disk threads, and failures keep the same guarantees.
"""

import errno
import os
import socket

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.data.connection import LeanConnection
from ftpkit.data.movers import Upload
from ftpkit.data.movers import _splice as splicing
from ftpkit.data.movers import _splicebatch as batches
from ftpkit.data.movers.pacing import Pacer, RateLimit
from ftpkit.errors import InsufficientStorage, UploadTooLarge
from ftpkit.shells import diskqueue
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.shortcalls import ShortCalls
from tests.scratch import scratchDirectory
from tests.uploadbatches import BatchCases, connectedPair


class CountedShellMixin:
    """
    The filesystem shell with a runner that counts the calls handed to
    the disk threads, and short calls allowed (C{self.mounts}: a local file
    system) or not (a network one).
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        self.jobs = []

        def runner(translated, function, *args):
            # (The shell hands every call through its error translation.)
            self.jobs.append(function)
            return defer.maybeDeferred(translated, function, *args)
        self.mounts = [(b"/", "ext4")]
        self.shell = FilesystemShell(
            self.root, runner=runner,
            shortCalls=ShortCalls(os.path.realpath(os.fsencode(self.root)),
                                  mounts=lambda: self.mounts))

    def path(self, name):
        return os.path.join(self.root, name)

    def content(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()


class UploadsAtOnceTests(CountedShellMixin, unittest.TestCase):
    """
    Spliced uploads into the counted filesystem shell.
    """

    def setUp(self):
        if not splicing.available:
            raise unittest.SkipTest("no splice(2) here")
        CountedShellMixin.setUp(self)

    def upload(self, writer, data, close=True, **kwargs):
        """
        Start a spliced upload of C{data} into C{writer}; the client sent
        it whole and closed its side (unless C{close} is false).

        @return: C{(sender, Deferred of the upload)}.
        """
        from twisted.internet import reactor

        sender, receiver = connectedPair(self)
        sender.sendall(data)
        if close:
            sender.shutdown(socket.SHUT_WR)
        connection = LeanConnection(receiver, reactor, 60.0, lambda: None)
        self.addCleanup(connection.abort)
        mover = Upload(writer, True, reactor, **kwargs)
        return sender, defer.ensureDeferred(mover.start(connection))

    def test_smallUploadWithoutThreads(self):
        """
        A small upload whose bytes are there is opened, written and
        committed at once: no call goes to the disk threads, and the old
        file is replaced only by the whole new one.
        """
        with open(self.path("f"), "wb") as f:
            f.write(b"old")
        writer = self.successResultOf(self.shell.openForWriting(("f",)))
        _, receiving = self.upload(writer, b"new contents")
        self.assertEqual(self.successResultOf(receiving), 12)
        self.assertTrue(writer.committed)
        self.successResultOf(writer.close())
        self.assertEqual(self.content("f"), b"new contents")
        self.assertEqual(os.listdir(self.root), ["f"])
        self.assertEqual(self.jobs, [])

    def test_smallUploadWithoutPipe(self):
        """
        A small upload moved at once takes no splice pipe and makes no
        C{splice} call: its bytes go through Python (L{batches.readBatch}).
        """
        taken, spliced = [], []
        realTake = splicing.takePipe
        self.patch(splicing, "takePipe",
                   lambda: taken.append(1) or realTake())
        realSplice = os.splice
        self.patch(os, "splice",
                   lambda *a, **k: spliced.append(1) or realSplice(*a, **k))
        writer = self.successResultOf(self.shell.openForWriting(("f",)))
        _, receiving = self.upload(writer, b"small upload")
        self.assertEqual(self.successResultOf(receiving), 12)
        self.assertEqual(self.content("f"), b"small upload")
        self.assertEqual((taken, spliced), ([], []))

    async def test_bytesLater(self):
        """
        Bytes that come after the start are moved at once when the socket
        has them.
        """
        writer = self.successResultOf(self.shell.openForWriting(("f",)))
        sender, receiving = self.upload(writer, b"", close=False)
        self.assertNoResult(receiving)
        sender.sendall(b"late")
        sender.shutdown(socket.SHUT_WR)
        self.assertEqual(await receiving, 4)
        self.assertEqual(self.content("f"), b"late")
        self.assertEqual(self.jobs, [])

    async def test_largerUploadGoesOnInThreads(self):
        """
        Past L{batches.SHORT_BATCH_SIZE} bytes, the upload goes on in the
        disk threads, and lands whole.
        """
        payload = os.urandom(3 * batches.SHORT_BATCH_SIZE + 5)
        writer = self.successResultOf(self.shell.openForWriting(("f",)))
        _, receiving = self.upload(writer, payload)
        self.assertEqual(await receiving, len(payload))
        self.assertEqual(self.content("f"), payload)
        self.assertEqual(self.jobs, [batches.batchThenCommit])

    async def test_networkFileSystemUsesThreads(self):
        """
        On a file system that is not local, the open and the upload go to
        the disk threads, as before.
        """
        self.mounts = [(b"/", "nfs4")]
        writer = self.successResultOf(self.shell.openForWriting(("f",)))
        _, receiving = self.upload(writer, b"remote")
        self.assertEqual(await receiving, 6)
        self.assertEqual(self.content("f"), b"remote")
        self.assertEqual(len(self.jobs), 2)

    def test_commitFailureAtOnce(self):
        """
        A commit that fails at once fails the upload with its FTP error;
        the old file stays and no temporary file is left.
        """
        with open(self.path("f"), "wb") as f:
            f.write(b"old")

        def full(source, target):
            raise OSError(errno.ENOSPC, "No space left on device")
        writer = self.successResultOf(self.shell.openForWriting(("f",)))
        self.patch(os, "replace", full)
        _, receiving = self.upload(writer, b"spliced")
        self.failureResultOf(receiving, InsufficientStorage)
        self.successResultOf(writer.abort())
        self.assertEqual(self.content("f"), b"old")
        self.assertEqual(os.listdir(self.root), ["f"])

    def test_writeFailureAtOnce(self):
        """
        A write of the bytes moved at once that fails (the disk full)
        fails the upload with its FTP error; the old file stays and no
        temporary file is left.
        """
        with open(self.path("f"), "wb") as f:
            f.write(b"old")

        def full(*args):
            raise OSError(errno.ENOSPC, "No space left on device")
        writer = self.successResultOf(self.shell.openForWriting(("f",)))
        self.patch(os, "pwrite", full)
        _, receiving = self.upload(writer, b"new contents")
        self.failureResultOf(receiving, InsufficientStorage)
        self.successResultOf(writer.abort())
        self.assertEqual(self.content("f"), b"old")
        # Cut having written nothing, it keeps an empty partial upload.
        self.assertEqual(sorted(os.listdir(self.root)),
                         [".ftpkit-partial.f", "f"])

    def test_tooLargeAtOnce(self):
        """
        An upload over the size limit fails with L{UploadTooLarge} and is
        never committed.
        """
        with open(self.path("f"), "wb") as f:
            f.write(b"old")
        writer = self.successResultOf(self.shell.openForWriting(("f",)))
        _, receiving = self.upload(writer, b"x" * 100, limit=10)
        self.failureResultOf(receiving, UploadTooLarge)
        self.assertFalse(writer.committed)
        self.successResultOf(writer.discard())
        self.assertEqual(self.content("f"), b"old")
        self.assertEqual(os.listdir(self.root), ["f"])

    async def test_pacedUploadUsesThreads(self):
        """
        A paced upload takes its batches from the pacer, in the disk
        threads.
        """
        from twisted.internet import reactor

        writer = self.successResultOf(self.shell.openForWriting(("f",)))
        pacer = Pacer.over([RateLimit(10 ** 9, reactor)])
        _, receiving = self.upload(writer, b"paced", pacer=pacer)
        self.assertEqual(await receiving, 5)
        self.assertEqual(self.jobs, [batches.batchThenCommit])


class QueuedUploadsAtOnceTests(CountedShellMixin, unittest.TestCase):
    """
    An upload through Python (TLS, ASCII, active mode) into the
    filesystem shell: its first L{diskqueue.SHORT_UPLOAD_SIZE} bytes are
    written, and a small one committed or cleaned up, at once where short
    calls are allowed.
    """

    def write(self, chunks, name="f", **kwargs):
        """
        Open C{name}, write C{chunks} to its consumer.

        @return: the writer.
        """
        writer = self.successResultOf(self.shell.openForWriting((name,),
                                                                **kwargs))
        consumer = self.successResultOf(writer.receive())
        for chunk in chunks:
            consumer.write(chunk)
        return writer

    def test_smallUploadWithoutThreads(self):
        """
        A small upload is written and committed with no disk-thread call.
        """
        with open(os.path.join(self.root, "f"), "wb") as f:
            f.write(b"old")
        writer = self.write([b"new ", b"contents"])
        self.successResultOf(writer.close())
        self.assertEqual(self.content("f"), b"new contents")
        self.assertEqual(os.listdir(self.root), ["f"])
        self.assertEqual(self.jobs, [])

    def test_cutSmallUploadKept(self):
        """
        A small upload cut short is kept for a resume, at once.
        """
        writer = self.write([b"part"])
        self.successResultOf(writer.abort())
        self.assertEqual(self.content(".ftpkit-partial.f"), b"part")
        self.assertEqual(self.jobs, [])

    def test_largerUploadInThreads(self):
        """
        Past L{diskqueue.SHORT_UPLOAD_SIZE} bytes, the writes and the
        commit go to the disk threads; the file lands whole.
        """
        chunk = os.urandom(diskqueue.SHORT_UPLOAD_SIZE // 2)
        writer = self.write([chunk, chunk, chunk])
        self.successResultOf(writer.close())
        self.assertEqual(self.content("f"), chunk * 3)
        self.assertEqual(self.jobs, [diskqueue.writeAll, writer._commit])

    def test_resumedEndInThreads(self):
        """
        The open and the end of an upload written in place (C{REST}) go
        to the disk threads: the open reads the bytes before the offset
        (L{ftpkit.shells.diskplacing.bytesBefore}), which may not be in
        the kernel's cache, and cutting the file after its new end may
        free much.
        """
        with open(os.path.join(self.root, "f"), "wb") as f:
            f.write(b"0123456789")
        writer = self.write([b"ab"], offset=2)
        self.successResultOf(writer.close())
        self.assertEqual(self.content("f"), b"01ab")
        self.assertEqual([job.__name__ for job in self.jobs],
                         ["_openForWriting", "_commit"])
        self.assertEqual(self.jobs[1], writer._commit)

    def test_failedWriteAtOnce(self):
        """
        A write that fails at once fails the close with its FTP error; the
        old file stays and no temporary file is left. Failed for a full
        disk, it is written again in a disk thread, where room is made
        first (L{ftpkit.shells.diskroom}), which fails as well here.
        """
        with open(os.path.join(self.root, "f"), "wb") as f:
            f.write(b"old")

        def full(*args):
            raise OSError(errno.ENOSPC, "No space left on device")
        self.patch(os, "pwritev", full)
        writer = self.write([b"new"])
        self.failureResultOf(writer.close(), InsufficientStorage)
        self.assertEqual(self.content("f"), b"old")
        # A whole file's upload keeps what it wrote (nothing) for a resume.
        self.assertEqual(sorted(os.listdir(self.root)),
                         [".ftpkit-partial.f", "f"])
        self.assertEqual(self.jobs, [diskqueue.writeAll])

    def test_fullAppendAtOnce(self):
        """
        An C{APPE} continuing a partial upload, whose write at once finds
        the disk full after writing some of its bytes, writes the others
        in a disk thread, where room is made first: each byte once. It got
        C{452}, no room made, before session 55.
        """
        with open(self.path(".ftpkit-partial.f"), "wb") as f:
            f.write(b"abc")
        madeRoom = []
        self.patch(self.shell, "_makeRoom", madeRoom.append)
        real, calls = os.writev, []

        def shortThenFull(fd, buffers):
            calls.append(fd)
            if len(calls) == 1:
                return real(fd, [bytes(buffers[0][:2])])
            if len(calls) in (2, 3):
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(fd, buffers)
        self.patch(os, "writev", shortThenFull)
        writer = self.write([b"defgh"], append=True)
        self.successResultOf(writer.close())
        self.assertEqual(self.content("f"), b"abcdefgh")
        self.assertEqual((madeRoom, self.jobs[0]), (calls[:1],
                                                     diskqueue.writeAll))

    def test_networkFileSystemUsesThreads(self):
        """
        Where short calls are not allowed, every call goes to the disk
        threads, as before.
        """
        self.mounts = [(b"/", "nfs4")]
        writer = self.write([b"remote"])
        self.successResultOf(writer.close())
        self.assertEqual(self.content("f"), b"remote")
        self.assertEqual(len(self.jobs), 3)


class ReadBatchTests(BatchCases, unittest.TestCase):
    """
    L{batches.readBatch} moves what a socket has into a file through
    Python and says why it stopped, as L{batches.spliceBatch} does.
    """

    limit = batches.SHORT_BATCH_SIZE

    def batchInto(self, fd, position, limit, taken=None):
        return batches.readBatch(self.receiver, fd, position, limit,
                                 taken=taken)

    def test_limit(self):
        """
        At most C{limit} bytes: L{batches.MORE}, then the rest.
        """
        payload = os.urandom(50000)
        self.sender.sendall(payload)
        self.sender.close()
        self.assertEqual(self.batch(limit=30000), (30000, batches.MORE))
        self.assertEqual(self.batch(position=30000), (20000, batches.END))
        self.assertEqual(self.content(), payload)

"""
The conformance tests of a shell's open files: reads and writes of every
size, offsets, append, atomic replace and abort, and backpressure both
ways, for both file styles (random-access and producer/consumer).
"""

import os

from twisted.internet.defer import (
    Deferred,
    gatherResults,
    inlineCallbacks,
    maybeDeferred,
)
from twisted.internet.interfaces import IPushProducer
from twisted.trial.unittest import SkipTest
from zope.interface import implementer, providedBy
from zope.interface.verify import verifyObject

from ftpkit.conformance.helpers import (
    CollectingConsumer,
    pausingConsumer,
    readFile,
    writeFile,
    writesWholeFiles,
)
from ftpkit.conformance.kit import ShellKit
from ftpkit.errors import (
    AlreadyExists,
    IsDirectory,
    NoSuchFile,
)
from ftpkit.interfaces import (
    IFTPShellCreate,
    IFTPShellLocalPath,
    IFTPShellResume,
    IFTPShellResumeOwners,
    IFTPShellUploadsInPlace,
    IPartialWriteFile,
    IRandomReadFile,
    IRandomWriteFile,
    IReadFile,
    IWriteFile,
)
from ftpkit.shells.adapters import readFileFor, writeFileFor
from ftpkit.shells.pathlookups import statOrNone

UPLOAD_BOUND = 16 * 1024 * 1024
"""The bytes the conformance kit's upload backpressure test sends."""

NEVER_PAUSED = (
    "The upload's consumer (what IWriteFile.receive gave) took %d MiB from"
    " a streaming producer without pausing it once: a consumer pauses it"
    " (pauseProducing) while the bytes it was given are not stored yet,"
    " and resumes it once they are, so that a client sending faster than"
    " the storage takes is slowed down rather than held in memory; or open"
    " an IRandomWriteFile, and the server does it" % (UPLOAD_BOUND >> 20))
"""What the upload backpressure test says of a consumer that never
paused the upload."""

@implementer(IPushProducer)
class _EagerProducer:
    """
    A streaming producer standing for a data connection: the test writes
    for it while it is not paused.

    @ivar paused: whether it is paused now.
    @ivar pauses: how many times it was paused.
    """

    def __init__(self):
        self.paused = False
        self.pauses = 0
        self._resumed = None

    def pauseProducing(self):
        """
        See L{IPushProducer.pauseProducing}.
        """
        if not self.paused:
            self.paused = True
            self.pauses += 1

    def resumeProducing(self):
        """
        See L{IPushProducer.resumeProducing}.
        """
        self.paused = False
        resumed, self._resumed = self._resumed, None
        if resumed is not None:
            resumed.callback(None)

    def stopProducing(self):
        """
        See L{IPushProducer.stopProducing}.
        """

    def whenResumed(self):
        """
        @return: a L{Deferred} firing once resumed.
        """
        if self._resumed is None:
            self._resumed = Deferred()
        return self._resumed


@implementer(IRandomWriteFile)
class _WatchedWriteFile:
    """
    An L{IRandomWriteFile} passing calls on and counting the writes
    outstanding.

    @ivar outstanding: writes whose L{Deferred} has not fired yet.
    """

    def __init__(self, randomFile):
        self._file = randomFile
        self.outstanding = 0

    def writeAt(self, offset, data):
        """
        See L{IRandomWriteFile.writeAt}.
        """
        self.outstanding += 1
        writing = maybeDeferred(self._file.writeAt, offset, data)
        writing.addBoth(self._done)
        return writing

    def _done(self, result):
        self.outstanding -= 1
        return result

    def close(self):
        """
        See L{IRandomWriteFile.close}.
        """
        return self._file.close()

    def abort(self):
        """
        See L{IRandomWriteFile.abort}.
        """
        return self._file.abort()


class FileTests(ShellKit):
    """
    Part of L{ftpkit.conformance.IFTPShellConformanceMixin}: open files.
    """

    @inlineCallbacks
    def openReading(self, path, offset=0):
        """
        Open a file for reading as the server does: a random-access file
        through the server's adapter.

        @param path: a tuple of segments.
        @param offset: the byte to start from.
        @return: a L{Deferred} firing with an L{IReadFile}.
        """
        opened = yield self.shell.openForReading(path, offset)
        return readFileFor(opened)

    @inlineCallbacks
    def openWriting(self, path, offset=0, append=False):
        """
        Open a file for writing as the server does: a random-access file
        through the server's adapter.

        @param path: a tuple of segments.
        @param offset: the byte to write from.
        @param append: append to the file.
        @return: a L{Deferred} firing with an L{IWriteFile}.
        """
        opened = yield self.shell.openForWriting(path, offset, append)
        return writeFileFor(opened)

    @inlineCallbacks
    def test_openFilesProvideInterfaces(self):
        """
        Open files provide L{IRandomWriteFile} or L{IWriteFile}, and
        L{IRandomReadFile} or L{IReadFile}.
        """
        writing = yield self.shell.openForWriting(("f",))
        self.assertTrue(verifyObject(
            IRandomWriteFile if IRandomWriteFile.providedBy(writing)
            else IWriteFile, writing))
        yield writing.close()
        reading = yield self.shell.openForReading(("f",))
        self.assertTrue(verifyObject(
            IRandomReadFile if IRandomReadFile.providedBy(reading)
            else IReadFile, reading))
        yield reading.close()

    @inlineCallbacks
    def test_randomReadAt(self):
        """
        A random-access file opened at an offset reads from there
        (C{readAt(0, n)} is the byte it was opened at), anywhere in any
        order, and gives fewer bytes than asked for only at the end.
        """
        yield writeFile(self.shell, ("f",), b"0123456789")
        reading = yield self.shell.openForReading(("f",), 2)
        if not IRandomReadFile.providedBy(reading):
            yield reading.close()
            raise SkipTest("The shell's files are not random-access files")
        try:
            self.assertEqual((yield reading.readAt(5, 2)), b"78")
            self.assertEqual((yield reading.readAt(0, 3)), b"234")
            self.assertEqual((yield reading.readAt(6, 10)), b"89")
            self.assertEqual((yield reading.readAt(8, 1)), b"")
        finally:
            yield reading.close()

    @inlineCallbacks
    def test_writeThenRead(self):
        """
        What was written reads back, whatever its size, and C{send}
        reports the number of bytes, or fires with something else than an
        C{int} where it does not know it (Twisted's C{FileSender} fires
        with the last byte; the server takes that as not known,
        L{ftpkit.control.handlers.transferring.shortDownload}).
        """
        for size in (0, 1, 65536 + 1, 1024 * 1024 + 512 * 1024 + 7):
            data = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
            yield writeFile(self.shell, ("f",), data)
            info = yield self.shell.stat(("f",))
            self.assertTrue(info.isFile)
            self.assertEqual(info.size, size)
            consumer = CollectingConsumer()
            opened = yield self.openReading(("f",))
            sent = yield opened.send(consumer)
            yield opened.close()
            if type(sent) is int:
                self.assertEqual(sent, size)
            self.assertEqual(consumer.value(), data)

    @inlineCallbacks
    def test_sendRegistersStreamingProducer(self):
        """
        C{send} registers a producer once (a streaming one, or a pull one
        such as Twisted's C{FileSender}, which the server serves too) and
        unregisters it before its L{Deferred} fires.
        """
        yield writeFile(self.shell, ("f",), b"hello")
        consumer = CollectingConsumer()
        opened = yield self.openReading(("f",))
        sending = opened.send(consumer)
        registered = (consumer.registrations, consumer.streaming)
        yield sending
        yield opened.close()
        self.assertEqual(registered[0], 1)
        self.assertIn(registered[1], (True, False))
        self.assertIsNone(consumer.producer)

    @inlineCallbacks
    def test_readOffset(self):
        """
        Reading from an offset skips that many bytes; past the end gives
        nothing.
        """
        yield writeFile(self.shell, ("f",), b"0123456789")
        self.assertEqual((yield readFile(self.shell, ("f",), 4)), b"456789")
        self.assertEqual((yield readFile(self.shell, ("f",), 10)), b"")
        self.assertEqual((yield readFile(self.shell, ("f",), 20)), b"")

    @inlineCallbacks
    def test_readSize(self):
        """
        An open file's C{size} is what C{send} will write from the offset
        (or C{None} when the shell cannot know).
        """
        yield writeFile(self.shell, ("f",), b"0123456789")
        for offset, expected in ((0, 10), (4, 6), (20, 0)):
            opened = yield self.shell.openForReading(("f",), offset)
            try:
                self.assertIn(opened.size, (expected, None))
            finally:
                yield opened.close()

    def skipWholeFiles(self):
        """
        Skip a test of uploads at an offset on a shell that says its
        uploads cannot write there (L{IFTPShellUploadOffsets}), which
        L{ftpkit.conformance.resumes.ResumeTests.test_wholeFilesOnly}
        tests instead.
        """
        if writesWholeFiles(self.shell):
            raise SkipTest("The shell's uploads do not write at offsets"
                           " (test_wholeFilesOnly)")

    @inlineCallbacks
    def test_writeOffset(self):
        """
        Writing from an offset keeps the bytes before it and drops those
        after the new end.
        """
        self.skipWholeFiles()
        yield writeFile(self.shell, ("f",), b"hello world")
        yield writeFile(self.shell, ("f",), b"WORLD", offset=6)
        self.assertEqual((yield readFile(self.shell, ("f",))), b"hello WORLD")
        yield writeFile(self.shell, ("f",), b"LP", offset=2)
        self.assertEqual((yield readFile(self.shell, ("f",))), b"heLP")

    @inlineCallbacks
    def test_append(self):
        """
        Appending adds to the end, and creates a missing file.
        """
        self.skipWholeFiles()
        yield writeFile(self.shell, ("f",), b"abc", append=True)
        yield writeFile(self.shell, ("f",), b"def", append=True)
        self.assertEqual((yield readFile(self.shell, ("f",))), b"abcdef")

    @inlineCallbacks
    def test_discardAppend(self):
        """
        An append dropped whole (L{IPartialWriteFile.discard}, which the
        server's adapter gives a random-access file providing
        L{ftpkit.interfaces.IDiscardableWriteFile}) leaves the file as it
        was.
        """
        self.skipWholeFiles()
        yield writeFile(self.shell, ("f",), b"abc")
        opened = yield self.openWriting(("f",), append=True)
        if not IPartialWriteFile.providedBy(opened):
            yield opened.abort()
            raise SkipTest("uploads are not dropped whole")
        consumer = yield opened.receive()
        consumer.write(b"more bytes")
        yield opened.discard()
        self.assertEqual((yield readFile(self.shell, ("f",))), b"abc")

    @inlineCallbacks
    def test_replaceIsAtomic(self):
        """
        While a replacing upload runs, readers see the old content; after
        C{close}, the new one.
        """
        yield writeFile(self.shell, ("f",), b"old")
        opened = yield self.openWriting(("f",))
        consumer = yield opened.receive()
        consumer.write(b"new content")
        self.assertEqual((yield readFile(self.shell, ("f",))), b"old")
        yield opened.close()
        self.assertEqual((yield readFile(self.shell, ("f",))), b"new content")
        self.assertEqual((yield self.names()), ["f"])

    @inlineCallbacks
    def test_localPath(self):
        """
        A shell providing L{IFTPShellLocalPath} names, for a file an
        upload replaced, an absolute path (C{str}) at which this machine
        holds the new bytes, below where it says its root is; or
        C{None}.
        """
        if not IFTPShellLocalPath.providedBy(self.shell):
            raise SkipTest("The shell has no local files"
                           " (IFTPShellLocalPath)")
        yield self.shell.makeDirectory(("d",))
        yield writeFile(self.shell, ("d", "f"), b"old")
        yield writeFile(self.shell, ("d", "f"), b"local")
        found = self.shell.localPath(("d", "f"))
        if found is None:
            return
        self.assertIsInstance(found, str)
        self.assertTrue(os.path.isabs(found), found)
        with open(found, "rb") as f:
            self.assertEqual(f.read(), b"local")
        root = self.shell.localPath(())
        if root is not None:
            self.assertTrue(found.startswith(root.rstrip("/") + "/"),
                            (found, root))

    @inlineCallbacks
    def test_writtenInPlace(self):
        """
        A shell providing L{IFTPShellUploadsInPlace} tells of a file an
        append makes, while the append runs, unless the storage shows
        the file from the append's start (C{stat} finds it); not of a
        name no upload writes, nor once the append ended.
        """
        if not IFTPShellUploadsInPlace.providedBy(self.shell):
            raise SkipTest("The shell does not say (IFTPShellUploadsInPlace)")
        self.assertFalse((yield self.shell.writtenInPlace(("f",))))
        opened = yield self.openWriting(("f",), append=True)
        consumer = yield opened.receive()
        consumer.write(b"appended")
        if (yield statOrNone(self.shell, ("f",))) is None:
            self.assertTrue((yield self.shell.writtenInPlace(("f",))))
        yield opened.close()
        self.assertFalse((yield self.shell.writtenInPlace(("f",))))

    @inlineCallbacks
    def test_abortKeepsOldFile(self):
        """
        An aborted upload leaves the old file as it was, and no trace.
        """
        yield writeFile(self.shell, ("f",), b"old")
        opened = yield self.openWriting(("f",))
        consumer = yield opened.receive()
        consumer.write(b"new content")
        yield opened.abort()
        self.assertEqual((yield readFile(self.shell, ("f",))), b"old")
        self.assertEqual((yield self.names()), ["f"])

    @inlineCallbacks
    def test_abortNewFile(self):
        """
        An aborted upload of a new file leaves nothing behind.
        """
        opened = yield self.openWriting(("f",))
        consumer = yield opened.receive()
        consumer.write(b"data")
        yield opened.abort()
        self.assertEqual((yield self.names()), [])

    @inlineCallbacks
    def test_openForWritingErrors(self):
        """
        Uploading onto a directory fails with L{IsDirectory}, into a
        missing directory with L{NoSuchFile}.
        """
        yield self.shell.makeDirectory(("d",))
        yield self.assertFailure(self.shell.openForWriting(("d",)), IsDirectory)
        yield self.assertFailure(
            self.shell.openForWriting(("missing", "f")), NoSuchFile
        )

    @inlineCallbacks
    def test_openForReadingErrors(self):
        """
        Reading a directory fails with L{IsDirectory}, a missing file with
        L{NoSuchFile}.
        """
        yield self.shell.makeDirectory(("d",))
        yield self.assertFailure(self.shell.openForReading(("d",)), IsDirectory)
        yield self.assertFailure(self.shell.openForReading(("f",)), NoSuchFile)

    @inlineCallbacks
    def test_pausedProducerStops(self):
        """
        C{send} writes nothing while the consumer has paused it, and goes
        on when resumed.
        """
        data = b"p" * (3 * 1024 * 1024)
        yield writeFile(self.shell, ("f",), data)
        consumer, resumed = pausingConsumer(self.settle)
        yield readFile(self.shell, ("f",), consumer=consumer)
        yield gatherResults(resumed)
        self.assertEqual(consumer.writesWhilePaused, 0)
        self.assertEqual(consumer.value(), data)
        self.assertEqual(len(resumed), len(consumer.chunks))

    @inlineCallbacks
    def test_uploadBackpressure(self):
        """
        An upload's sender is paused while the shell is behind. A
        streaming producer writes L{UPLOAD_BOUND} bytes as fast as it is
        let, without the reactor running: a producer/consumer file must
        pause it before the end (a shell that never does would hold a whole
        upload in memory when the disk or network behind it is slow), and a
        random-access file must never be sent more while one of its writes
        is outstanding. Every byte is stored.
        """
        opened = yield self.shell.openForWriting(("f",))
        watched = None
        if IRandomWriteFile.providedBy(opened):
            watched = opened = _WatchedWriteFile(opened)
        writing = writeFileFor(opened)
        consumer = yield writing.receive()
        producer = _EagerProducer()
        consumer.registerProducer(producer, True)
        chunk = bytes(range(256)) * 256
        chunks = UPLOAD_BOUND // len(chunk)
        for _ in range(chunks):
            if producer.paused:
                yield producer.whenResumed()
            if watched is not None and watched.outstanding:
                self.fail("More bytes were accepted while a write was "
                          "outstanding")
            consumer.write(chunk)
        consumer.unregisterProducer()
        try:
            if watched is None:
                self.assertTrue(producer.pauses, NEVER_PAUSED)
        except BaseException:
            yield writing.abort()
            raise
        yield writing.close()
        info = yield self.shell.stat(("f",))
        self.assertEqual(info.size, chunks * len(chunk))
        self.assertEqual((yield readFile(self.shell, ("f",))), chunk * chunks)

    @inlineCallbacks
    def test_stopProducing(self):
        """
        After C{stopProducing}, C{send} writes nothing more and its
        L{Deferred} fires or fails.
        """
        yield writeFile(self.shell, ("f",), b"s" * (3 * 1024 * 1024))
        yield self.checkStoppedDownload(("f",))

    @inlineCallbacks
    def test_create(self):
        """
        A shell that provides L{IFTPShellCreate}: C{openForCreating} of an
        existing file fails with L{AlreadyExists}; of a new name it makes
        the file; and of two uploads of one new name at once, the second
        is refused with L{AlreadyExists} when it opens (the name is
        reserved for the first: a C{STOU} then takes another name), or
        the one that closes later fails with L{AlreadyExists} and stores
        nothing (the earlier one's file stays).
        """
        if not IFTPShellCreate.providedBy(self.shell):
            raise SkipTest("The shell does not provide IFTPShellCreate")
        yield writeFile(self.shell, ("old",), b"old")
        yield self.assertFailure(self.shell.openForCreating(("old",)),
                                 AlreadyExists)
        first = writeFileFor((yield self.shell.openForCreating(("f",))))
        uploads = [(first, b"first")]
        try:
            second = writeFileFor((yield self.shell.openForCreating(("f",))))
        except AlreadyExists:
            second = None
        else:
            uploads.append((second, b"second"))
        for opened, data in uploads:
            consumer = yield opened.receive()
            consumer.write(data)
        yield first.close()
        if second is not None:
            yield self.assertFailure(second.close(), AlreadyExists)
        yield self.settle()
        self.assertEqual((yield readFile(self.shell, ("f",))), b"first")
        self.assertEqual((yield readFile(self.shell, ("old",))), b"old")

    @inlineCallbacks
    def test_resume(self):
        """
        A shell that provides L{IFTPShellResume}: after an upload was cut,
        C{resumableSize} says how much it kept (nothing, or no more than
        it received), and an upload from there completes the file; the old
        file stays until then.
        """
        if not IFTPShellResume.providedBy(self.shell):
            raise SkipTest("The shell does not provide IFTPShellResume")
        yield writeFile(self.shell, ("f",), b"old")
        opened = yield self.openWriting(("f",))
        consumer = yield opened.receive()
        consumer.write(b"new ")
        yield opened.abort()
        yield self.settle()
        self.assertEqual((yield readFile(self.shell, ("f",))), b"old")
        kept = yield self.shell.resumableSize(("f",))
        if kept is None:
            kept = 0
        self.assertLessEqual(kept, 4)
        yield writeFile(self.shell, ("f",), b"new content"[kept:],
                        offset=kept)
        self.assertEqual((yield readFile(self.shell, ("f",))),
                         b"new content")
        self.assertIsNone((yield self.shell.resumableSize(("f",))))
        self.assertIsNone((yield self.shell.resumableSize(("missing",))))

    @inlineCallbacks
    def test_resumeOwners(self):
        """
        A shell that provides L{IFTPShellResumeOwners}: its shell for one
        resumer provides what it provides, and an upload cut there is
        that resumer's: another resumer sees nothing to resume, and
        continues the file itself.
        """
        if not IFTPShellResumeOwners.providedBy(self.shell):
            raise SkipTest("The shell does not provide IFTPShellResumeOwners")
        alice = self.shell.forResumer("alice")
        bob = self.shell.forResumer("bob")
        self.assertEqual(set(providedBy(alice)), set(providedBy(self.shell)))
        yield writeFile(self.shell, ("f",), b"old")
        opened = writeFileFor((yield alice.openForWriting(("f",))))
        consumer = yield opened.receive()
        consumer.write(b"new ")
        yield opened.abort()
        yield self.settle()
        kept = yield alice.resumableSize(("f",))
        self.assertIn(kept, (None, 1, 2, 3, 4))
        self.assertIsNone((yield bob.resumableSize(("f",))))
        yield writeFile(bob, ("f",), b"d!", offset=2)
        self.assertEqual((yield readFile(self.shell, ("f",))), b"old!")

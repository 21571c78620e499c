"""
Test support for ftpkit and for people writing shells and realms.

L{IFTPShellConformanceMixin} checks the behaviour any
L{ftpkit.interfaces.IFTPShell} must have::

    from twisted.trial import unittest
    from ftpkit.testing import IFTPShellConformanceMixin

    class MyShellTests(IFTPShellConformanceMixin, unittest.TestCase):
        def makeShell(self):
            return MyShell(...)   # fresh, empty and writable

L{readFile}, L{writeFile} and L{CollectingConsumer} help writing more.

L{LoopbackServerMixin} starts a real server on 127.0.0.1 for the length
of a test (C{self.startServer(realm)}) and runs blocking clients such as
ftplib off the reactor thread (C{self.inThread(function)}); see
L{ftpkit.loopback}.
"""

import hashlib

from twisted.internet.defer import (
    Deferred,
    gatherResults,
    inlineCallbacks,
    maybeDeferred,
)
from twisted.internet.interfaces import IConsumer, IPushProducer
from twisted.trial.unittest import SkipTest
from zope.interface import implementer
from zope.interface.verify import verifyObject

from ftpkit.errors import (
    AlreadyExists,
    DirectoryNotEmpty,
    InvalidPath,
    IsDirectory,
    NoSuchFile,
    NotDirectory,
    PermissionDenied,
)
from ftpkit.interfaces import (
    OPTIONAL_SHELL_INTERFACES,
    IFTPShell,
    IFTPShellChmod,
    IFTPShellHash,
    IFTPShellNames,
    IRandomReadFile,
    IRandomWriteFile,
    IReadFile,
    IWriteFile,
)
from ftpkit.loopback import LoopbackServer, LoopbackServerMixin, makePortal
from ftpkit.producers import BytesProducer
from ftpkit.shells.adapters import readFileFor, writeFileFor


@implementer(IConsumer)
class CollectingConsumer:
    """
    A consumer that keeps what it is given and can pause its producer.

    @ivar chunks: the C{bytes} written, in order.
    @ivar producer: the registered producer, or C{None}.
    @ivar streaming: the C{streaming} flag it was registered with.
    @ivar registrations: how many times a producer was registered.
    @ivar paused: whether this consumer paused its producer.
    @ivar writesWhilePaused: writes received while paused (a producer
        that honours C{pauseProducing} makes none).
    @ivar onWrite: C{None}, or a callable given this consumer after each
        write (to pause or stop the producer, say).
    """

    def __init__(self, onWrite=None):
        """
        @param onWrite: see L{onWrite}.
        """
        self.chunks = []
        self.producer = None
        self.streaming = None
        self.registrations = 0
        self.paused = False
        self.writesWhilePaused = 0
        self.onWrite = onWrite

    def registerProducer(self, producer, streaming):
        """
        See L{IConsumer.registerProducer}.
        """
        if self.producer is not None:
            raise RuntimeError("A producer is already registered")
        self.producer = producer
        self.streaming = streaming
        self.registrations += 1

    def unregisterProducer(self):
        """
        See L{IConsumer.unregisterProducer}.
        """
        self.producer = None

    def write(self, data):
        """
        See L{IConsumer.write}.
        """
        if self.paused:
            self.writesWhilePaused += 1
        self.chunks.append(bytes(data))
        if self.onWrite is not None:
            self.onWrite(self)

    def pause(self):
        """
        Pause the producer.
        """
        self.paused = True
        self.producer.pauseProducing()

    def resume(self):
        """
        Resume the producer, if it is still registered.
        """
        self.paused = False
        if self.producer is not None:
            self.producer.resumeProducing()

    def value(self):
        """
        @return: all the bytes written so far.
        """
        return b"".join(self.chunks)


@inlineCallbacks
def readFile(shell, path, offset=0, consumer=None):
    """
    Download a whole file.

    @param shell: an L{IFTPShell}.
    @param path: a tuple of segments.
    @param offset: the byte to start from.
    @param consumer: a L{CollectingConsumer} to use; a new one if omitted.
    @return: a L{Deferred} firing with the file's bytes (from C{offset}).
    """
    if consumer is None:
        consumer = CollectingConsumer()
    opened = readFileFor((yield shell.openForReading(path, offset)))
    try:
        yield opened.send(consumer)
    finally:
        yield opened.close()
    return consumer.value()


@inlineCallbacks
def writeFile(shell, path, data, offset=0, append=False):
    """
    Upload a file through a streaming producer, as a data connection does
    (a random-access file through the server's adapter).

    @param shell: an L{IFTPShell}.
    @param path: a tuple of segments.
    @param data: the bytes to upload.
    @param offset: the byte to start at (a resumed upload).
    @param append: whether to append.
    @return: a L{Deferred} firing with C{None} once the upload was closed.
    """
    opened = writeFileFor((yield shell.openForWriting(path, offset, append)))
    consumer = yield opened.receive()
    try:
        yield BytesProducer(data, consumer).start()
    except BaseException:
        yield opened.abort()
        raise
    yield opened.close()


UPLOAD_BOUND = 16 * 1024 * 1024
"""The bytes the conformance kit's upload backpressure test sends."""


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


class IFTPShellConformanceMixin:
    """
    The behaviour every L{IFTPShell} must have, as trial tests.

    Mix into a L{twisted.trial.unittest.TestCase} that defines
    C{makeShell(self)}, returning a new, empty, writable L{IFTPShell}.
    Shells providing an optional extra
    (L{ftpkit.interfaces.OPTIONAL_SHELL_INTERFACES}: L{IFTPShellHash},
    L{IFTPShellNames}, L{IFTPShellChmod}) get its tests too.
    """

    def setUp(self):
        """
        Make the shell under test with the test case's C{makeShell}.
        """
        self.shell = self.makeShell()

    @inlineCallbacks
    def names(self, path=()):
        """
        @return: a L{Deferred} with the names listed in C{path}.
        """
        entries = yield self.shell.list(path)
        return [name for name, info in entries]

    def settle(self):
        """
        Let work the shell left running show its effects: the kit waits on
        this while a producer is paused or after it was stopped. The
        default lets the reactor run for a moment; a shell working in
        threads of its own may override it to wait for them.

        @return: a L{Deferred} firing with C{None}.
        """
        from twisted.internet import reactor
        from twisted.internet.task import deferLater

        return deferLater(reactor, 0.01, lambda: None)

    @inlineCallbacks
    def openReading(self, path, offset=0):
        """
        Open a file for reading as the server does: a random-access file
        through the server's adapter.

        @return: a L{Deferred} firing with an L{IReadFile}.
        """
        opened = yield self.shell.openForReading(path, offset)
        return readFileFor(opened)

    @inlineCallbacks
    def openWriting(self, path, offset=0, append=False):
        """
        Open a file for writing as the server does: a random-access file
        through the server's adapter.

        @return: a L{Deferred} firing with an L{IWriteFile}.
        """
        opened = yield self.shell.openForWriting(path, offset, append)
        return writeFileFor(opened)

    def test_verifyObject(self):
        """
        The shell provides L{IFTPShell}, and so do its open files.
        """
        self.assertTrue(verifyObject(IFTPShell, self.shell))
        for extra in OPTIONAL_SHELL_INTERFACES:
            if extra.providedBy(self.shell):
                self.assertTrue(verifyObject(extra, self.shell))

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
    def test_statRoot(self):
        """
        The root is a directory, and is empty at first.
        """
        info = yield self.shell.stat(())
        self.assertTrue(info.isDirectory)
        self.assertEqual((yield self.shell.list(())), [])

    @inlineCallbacks
    def test_makeDirectory(self):
        """
        A new directory is listed and is a directory.
        """
        yield self.shell.makeDirectory(("d",))
        info = yield self.shell.stat(("d",))
        self.assertTrue(info.isDirectory)
        entries = yield self.shell.list(())
        self.assertEqual([(name, info.kind) for name, info in entries], [("d", "dir")])

    @inlineCallbacks
    def test_makeDirectoryExists(self):
        """
        Making an existing directory or file fails with L{AlreadyExists}.
        """
        yield self.shell.makeDirectory(("d",))
        yield writeFile(self.shell, ("f",), b"x")
        yield self.assertFailure(self.shell.makeDirectory(("d",)), AlreadyExists)
        yield self.assertFailure(self.shell.makeDirectory(("f",)), AlreadyExists)

    def test_makeDirectoryMissingParent(self):
        """
        A directory needs its parent: L{NoSuchFile}.
        """
        return self.assertFailure(
            self.shell.makeDirectory(("missing", "d")), NoSuchFile
        )

    @inlineCallbacks
    def test_removeDirectory(self):
        """
        An empty directory can be removed.
        """
        yield self.shell.makeDirectory(("d",))
        yield self.shell.removeDirectory(("d",))
        self.assertEqual((yield self.names()), [])
        yield self.assertFailure(self.shell.stat(("d",)), NoSuchFile)

    @inlineCallbacks
    def test_removeDirectoryErrors(self):
        """
        Removing a directory that is not empty, a file, a missing path or
        the root fails, and changes nothing.
        """
        yield self.shell.makeDirectory(("d",))
        yield writeFile(self.shell, ("d", "f"), b"x")
        yield self.assertFailure(
            self.shell.removeDirectory(("d",)), DirectoryNotEmpty
        )
        yield self.assertFailure(
            self.shell.removeDirectory(("d", "f")), NotDirectory
        )
        yield self.assertFailure(self.shell.removeDirectory(("x",)), NoSuchFile)
        yield self.assertFailure(self.shell.removeDirectory(()), PermissionDenied)
        self.assertEqual((yield self.names(("d",))), ["f"])

    @inlineCallbacks
    def test_writeThenRead(self):
        """
        What was written reads back, whatever its size, and C{send}
        reports the number of bytes.
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
            self.assertEqual(sent, size)
            self.assertEqual(consumer.value(), data)

    @inlineCallbacks
    def test_sendRegistersStreamingProducer(self):
        """
        C{send} registers a streaming producer and unregisters it before
        its L{Deferred} fires.
        """
        yield writeFile(self.shell, ("f",), b"hello")
        consumer = CollectingConsumer()
        opened = yield self.openReading(("f",))
        sending = opened.send(consumer)
        registered = (consumer.registrations, consumer.streaming)
        yield sending
        yield opened.close()
        self.assertEqual(registered, (1, True))
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

    @inlineCallbacks
    def test_writeOffset(self):
        """
        Writing from an offset keeps the bytes before it and drops those
        after the new end.
        """
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
        yield writeFile(self.shell, ("f",), b"abc", append=True)
        yield writeFile(self.shell, ("f",), b"def", append=True)
        self.assertEqual((yield readFile(self.shell, ("f",))), b"abcdef")

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
    def test_renameFile(self):
        """
        A renamed file keeps its content under its new name.
        """
        yield writeFile(self.shell, ("a",), b"content")
        yield self.shell.rename(("a",), ("b",))
        self.assertEqual((yield self.names()), ["b"])
        self.assertEqual((yield readFile(self.shell, ("b",))), b"content")

    @inlineCallbacks
    def test_renameDirectory(self):
        """
        A renamed directory takes its entries along, even to another
        directory.
        """
        yield self.shell.makeDirectory(("d",))
        yield self.shell.makeDirectory(("e",))
        yield writeFile(self.shell, ("d", "f"), b"x")
        yield self.shell.rename(("d",), ("e", "moved"))
        self.assertEqual((yield self.names()), ["e"])
        self.assertEqual((yield readFile(self.shell, ("e", "moved", "f"))), b"x")

    @inlineCallbacks
    def test_renameReplacesFile(self):
        """
        Renaming onto an existing file replaces it.
        """
        yield writeFile(self.shell, ("a",), b"new")
        yield writeFile(self.shell, ("b",), b"old")
        yield self.shell.rename(("a",), ("b",))
        self.assertEqual((yield self.names()), ["b"])
        self.assertEqual((yield readFile(self.shell, ("b",))), b"new")

    @inlineCallbacks
    def test_renameErrors(self):
        """
        Renaming a missing path fails with L{NoSuchFile}, the root or onto
        the root with L{PermissionDenied}; renaming onto a directory fails
        and changes nothing.
        """
        yield writeFile(self.shell, ("f",), b"x")
        yield self.shell.makeDirectory(("d",))
        yield self.assertFailure(self.shell.rename(("x",), ("y",)), NoSuchFile)
        yield self.assertFailure(self.shell.rename((), ("y",)), PermissionDenied)
        yield self.assertFailure(self.shell.rename(("f",), ()), PermissionDenied)
        yield self.assertFailure(
            self.shell.rename(("f",), ("d",)), AlreadyExists, IsDirectory
        )
        self.assertEqual((yield self.names()), ["d", "f"])
        self.assertEqual((yield readFile(self.shell, ("f",))), b"x")

    @inlineCallbacks
    def test_renameOntoItself(self):
        """
        Renaming a file or directory onto itself succeeds and changes
        nothing.
        """
        yield writeFile(self.shell, ("f",), b"x")
        yield self.shell.makeDirectory(("d",))
        yield self.shell.rename(("f",), ("f",))
        yield self.shell.rename(("d",), ("d",))
        self.assertEqual((yield self.names()), ["d", "f"])
        self.assertEqual((yield readFile(self.shell, ("f",))), b"x")

    @inlineCallbacks
    def test_renameDirectoryRules(self):
        """
        A directory cannot move into itself (L{InvalidPath}) or replace a
        file (L{NotDirectory}); a missing target directory is
        L{NoSuchFile}. Nothing changes.
        """
        yield self.shell.makeDirectory(("d",))
        yield writeFile(self.shell, ("d", "inner"), b"i")
        yield writeFile(self.shell, ("f",), b"x")
        yield self.assertFailure(self.shell.rename(("d",), ("d", "e")),
                                 InvalidPath)
        yield self.assertFailure(self.shell.rename(("d",), ("f",)),
                                 NotDirectory)
        yield self.assertFailure(self.shell.rename(("f",), ("x", "f")),
                                 NoSuchFile)
        self.assertEqual((yield self.names()), ["d", "f"])
        self.assertEqual((yield self.names(("d",))), ["inner"])
        self.assertEqual((yield readFile(self.shell, ("f",))), b"x")

    @inlineCallbacks
    def test_rootEdges(self):
        """
        The root exists, is a directory, and cannot be made, removed as a
        file or written to.
        """
        yield self.assertFailure(self.shell.makeDirectory(()), AlreadyExists)
        yield self.assertFailure(self.shell.removeFile(()), IsDirectory)
        yield self.assertFailure(self.shell.openForWriting(()), IsDirectory)
        yield self.assertFailure(self.shell.openForReading(()), IsDirectory)
        self.assertTrue((yield self.shell.stat(())).isDirectory)

    @inlineCallbacks
    def test_removeFile(self):
        """
        A removed file is gone; removing a directory fails with
        L{IsDirectory}, a missing file with L{NoSuchFile}.
        """
        yield writeFile(self.shell, ("f",), b"x")
        yield self.shell.makeDirectory(("d",))
        yield self.shell.removeFile(("f",))
        self.assertEqual((yield self.names()), ["d"])
        yield self.assertFailure(self.shell.removeFile(("d",)), IsDirectory)
        yield self.assertFailure(self.shell.removeFile(("f",)), NoSuchFile)

    @inlineCallbacks
    def test_list(self):
        """
        A listing is sorted by name and describes each entry; listing a
        file fails with L{NotDirectory}, a missing path with L{NoSuchFile}.
        """
        yield writeFile(self.shell, ("b",), b"12345")
        yield self.shell.makeDirectory(("a",))
        yield writeFile(self.shell, ("c",), b"")
        entries = yield self.shell.list(())
        self.assertEqual(
            [(name, info.kind, info.size if info.isFile else None)
             for name, info in entries],
            [("a", "dir", None), ("b", "file", 5), ("c", "file", 0)],
        )
        self.assertEqual(len({info.unique for name, info in entries}), 3)
        yield self.assertFailure(self.shell.list(("b",)), NotDirectory)
        yield self.assertFailure(self.shell.list(("x",)), NoSuchFile)

    @inlineCallbacks
    def test_listNames(self):
        """
        A shell that provides L{IFTPShellNames} names what C{list} lists,
        in the same order, and fails as C{list} does.
        """
        if not IFTPShellNames.providedBy(self.shell):
            raise SkipTest("The shell does not provide IFTPShellNames")
        yield writeFile(self.shell, ("b",), b"12345")
        yield self.shell.makeDirectory(("a",))
        yield writeFile(self.shell, ("a", "inner"), b"")
        names = yield self.shell.listNames(())
        self.assertEqual(names, (yield self.names(())))
        self.assertEqual(names, ["a", "b"])
        self.assertEqual((yield self.shell.listNames(("a",))), ["inner"])
        yield self.assertFailure(self.shell.listNames(("b",)), NotDirectory)
        yield self.assertFailure(self.shell.listNames(("x",)), NoSuchFile)

    @inlineCallbacks
    def test_setModificationTime(self):
        """
        A modification time that was set is what C{stat} and C{list} say.
        """
        yield writeFile(self.shell, ("f",), b"x")
        yield self.shell.setModificationTime(("f",), 1000000000)
        info = yield self.shell.stat(("f",))
        self.assertEqual(info.mtime, 1000000000)
        entries = yield self.shell.list(())
        self.assertEqual(entries[0][1].mtime, 1000000000)
        yield self.assertFailure(
            self.shell.setModificationTime(("x",), 1000000000), NoSuchFile
        )

    @inlineCallbacks
    def test_pausedProducerStops(self):
        """
        C{send} writes nothing while the consumer has paused it, and goes
        on when resumed.
        """
        data = b"p" * (3 * 1024 * 1024)
        yield writeFile(self.shell, ("f",), data)
        resumed = []

        def pauseAndResumeLater(consumer):
            if consumer.paused:
                return
            consumer.pause()
            settling = self.settle()
            settling.addCallback(lambda ignored: consumer.resume())
            resumed.append(settling)

        consumer = CollectingConsumer(pauseAndResumeLater)
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
                self.assertTrue(producer.pauses, "The sender was never paused")
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
        consumer = CollectingConsumer(lambda c: c.producer.stopProducing())
        opened = yield self.openReading(("f",))
        outcome = []
        opened.send(consumer).addBoth(outcome.append)
        yield self.settle()
        yield opened.close()
        self.assertEqual(len(outcome), 1)
        self.assertEqual(len(consumer.chunks), 1)

    @inlineCallbacks
    def test_hash(self):
        """
        A shell that provides L{IFTPShellHash} checksums whole files and
        byte ranges.
        """
        if not IFTPShellHash.providedBy(self.shell):
            raise SkipTest("The shell does not provide IFTPShellHash")
        data = bytes(range(256)) * 5000
        yield writeFile(self.shell, ("f",), data)
        digest = yield self.shell.hash(("f",), "sha256")
        self.assertEqual(digest, hashlib.sha256(data).hexdigest())
        digest = yield self.shell.hash(("f",), "md5", 10, 300000)
        self.assertEqual(digest, hashlib.md5(data[10:300000]).hexdigest())
        yield self.assertFailure(self.shell.hash(("x",), "sha1"), NoSuchFile)

    @inlineCallbacks
    def test_chmod(self):
        """
        A shell that provides L{IFTPShellChmod} sets the permission bits
        C{stat} then shows, on files and directories.
        """
        if not IFTPShellChmod.providedBy(self.shell):
            raise SkipTest("The shell does not provide IFTPShellChmod")
        yield writeFile(self.shell, ("f",), b"data")
        yield self.shell.makeDirectory(("d",))
        yield self.shell.setPermissions(("f",), 0o600)
        yield self.shell.setPermissions(("d",), 0o750)
        self.assertEqual((yield self.shell.stat(("f",))).mode, 0o600)
        self.assertEqual((yield self.shell.stat(("d",))).mode, 0o750)
        yield self.assertFailure(self.shell.setPermissions(("x",), 0o644),
                                 NoSuchFile)



__all__ = [
    "CollectingConsumer",
    "IFTPShellConformanceMixin",
    "LoopbackServer",
    "LoopbackServerMixin",
    "makePortal",
    "readFile",
    "writeFile",
]

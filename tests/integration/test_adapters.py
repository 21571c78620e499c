"""
Tests for L{ftpkit.shells.adapters}: random-access files turned into
producers and consumers with backpressure.
"""

import io

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.error import ConnectionLost
from twisted.internet.testing import StringTransport
from twisted.trial import unittest
from zope.interface import implementer
from zope.interface.verify import verifyObject

from ftpkit.auth.realms import MemoryRealm
from ftpkit.errors import InsufficientStorage, LocalError
from ftpkit.interfaces import (
    IRandomReadFile,
    IRandomWriteFile,
    IReadFile,
    IWriteFile,
)
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells import adapters
from ftpkit.shells.adapters import (
    READ_AHEAD,
    READ_SIZE,
    ReadFileAdapter,
    WriteFileAdapter,
    readFileFor,
    writeFileFor,
)
from ftpkit.shells.memory import MemoryShell
from ftpkit.testing import CollectingConsumer, IFTPShellConformanceMixin
from tests.ftpclient import ftplibLogin


@implementer(IRandomReadFile)
class FakeReadFile:
    """
    An L{IRandomReadFile} over bytes whose reads fire when the test says
    (or at once, with C{synchronous}).

    @ivar reads: C{(offset, length, Deferred)} of each read not fired yet.
    @ivar asked: C{(offset, length)} of every read, in order.
    @ivar closed: how many times C{close} was called.
    """

    def __init__(self, data, size="known", synchronous=False):
        self.data = data
        self.size = len(data) if size == "known" else size
        self.synchronous = synchronous
        self.reads = []
        self.asked = []
        self.closed = 0

    def readAt(self, offset, length):
        self.asked.append((offset, length))
        if self.synchronous:
            return succeed(self.data[offset:offset + length])
        reading = Deferred()
        self.reads.append((offset, length, reading))
        return reading

    def fireAll(self):
        """
        Fire every outstanding read, oldest first.
        """
        while self.reads:
            self.fireNext()

    def fireNext(self, index=0):
        offset, length, reading = self.reads.pop(index)
        reading.callback(self.data[offset:offset + length])

    def close(self):
        self.closed += 1


@implementer(IRandomWriteFile)
class FakeWriteFile:
    """
    An L{IRandomWriteFile} keeping what is written; writes fire when the
    test says (or at once, with C{synchronous}).

    @ivar writes: C{(offset, data, Deferred)} of each write not fired.
    @ivar written: C{(offset, data)} of every write, in order.
    @ivar ended: C{"closed"} or C{"aborted"} once one was called.
    """

    def __init__(self, synchronous=False):
        self.synchronous = synchronous
        self.writes = []
        self.written = []
        self.ended = []
        self.closing = None

    def writeAt(self, offset, data):
        self.written.append((offset, data))
        if self.synchronous:
            return succeed(None)
        writing = Deferred()
        self.writes.append((offset, data, writing))
        return writing

    def fireNext(self):
        self.writes.pop(0)[2].callback(None)

    def value(self):
        return b"".join(data for offset, data in self.written)

    def close(self):
        self.ended.append("closed")
        return self.closing if self.closing is not None else succeed(None)

    def abort(self):
        self.ended.append("aborted")
        return succeed(None)


class ForTests(unittest.TestCase):
    """
    L{readFileFor} and L{writeFileFor} adapt random files only.
    """

    def test_randomFilesAdapted(self):
        """
        Random files become L{IReadFile} and L{IWriteFile}, through the
        functions or zope adaptation.
        """
        reading = readFileFor(FakeReadFile(b""))
        writing = writeFileFor(FakeWriteFile())
        self.assertIsInstance(reading, ReadFileAdapter)
        self.assertIsInstance(writing, WriteFileAdapter)
        self.assertTrue(verifyObject(IReadFile, reading))
        self.assertTrue(verifyObject(IWriteFile, writing))
        self.assertIsInstance(IReadFile(FakeReadFile(b"")), ReadFileAdapter)
        self.assertIsInstance(IWriteFile(FakeWriteFile()), WriteFileAdapter)

    def test_othersUnchanged(self):
        """
        Anything else (a producer/consumer file, declared or not) is given
        back as it is.
        """
        for opened in (object(), writeFileFor(FakeWriteFile()),
                       readFileFor(FakeReadFile(b""))):
            self.assertIs(readFileFor(opened), opened)
            self.assertIs(writeFileFor(opened), opened)


class ReadFileAdapterTests(unittest.TestCase):
    """
    L{ReadFileAdapter}: downloads from an L{IRandomReadFile}.
    """

    def test_wholeFile(self):
        """
        Every byte is written, in order; C{send} fires with the count after
        unregistering; the size is the random file's.
        """
        data = bytes(range(256)) * (READ_SIZE // 128 + 3)
        random = FakeReadFile(data, synchronous=True)
        reading = readFileFor(random)
        self.assertEqual(reading.size, len(data))
        consumer = CollectingConsumer()
        sent = self.successResultOf(reading.send(consumer))
        self.assertEqual(sent, len(data))
        self.assertEqual(consumer.value(), data)
        self.assertEqual((consumer.registrations, consumer.streaming),
                         (1, True))
        self.assertIsNone(consumer.producer)

    def test_knownSizeAsksNoMore(self):
        """
        With a known size, nothing past it is asked for, and an empty file
        is not read at all.
        """
        random = FakeReadFile(b"x" * (READ_SIZE + 5), synchronous=True)
        self.successResultOf(readFileFor(random).send(CollectingConsumer()))
        self.assertEqual(random.asked, [(0, READ_SIZE), (READ_SIZE, 5)])
        empty = FakeReadFile(b"", synchronous=True)
        self.assertEqual(
            self.successResultOf(readFileFor(empty).send(CollectingConsumer())),
            0)
        self.assertEqual(empty.asked, [])

    def test_unknownSizeEndsAtShortRead(self):
        """
        Without a size, a short read ends the file.
        """
        data = b"y" * (2 * READ_SIZE + 1)
        random = FakeReadFile(data, size=None, synchronous=True)
        consumer = CollectingConsumer()
        self.assertEqual(
            self.successResultOf(readFileFor(random).send(consumer)),
            len(data))
        self.assertEqual(consumer.value(), data)

    def test_readAhead(self):
        """
        At most L{READ_AHEAD} reads are outstanding; reads finishing out of
        order are still written in order.
        """
        data = b"".join(bytes([n]) * READ_SIZE for n in range(5))
        random = FakeReadFile(data)
        consumer = CollectingConsumer()
        sending = readFileFor(random).send(consumer)
        self.assertEqual(len(random.reads), READ_AHEAD)
        random.fireNext(1)
        self.assertEqual(consumer.chunks, [])
        self.assertEqual(len(random.reads), 1)
        random.fireNext(0)
        self.assertEqual(len(consumer.chunks), 2)
        self.assertEqual(len(random.reads), READ_AHEAD)
        while random.reads:
            random.fireNext()
        self.assertEqual(self.successResultOf(sending), len(data))
        self.assertEqual(consumer.value(), data)

    def test_pausedAsksAndWritesNothing(self):
        """
        While the consumer (a transport) has paused the producer, reads
        that finish are held and nothing more is asked for.
        """
        data = b"z" * (6 * READ_SIZE)
        random = FakeReadFile(data)
        transport = StringTransport()
        sending = readFileFor(random).send(transport)
        transport.producer.pauseProducing()
        random.fireAll()
        self.assertEqual(transport.value(), b"")
        self.assertEqual(len(random.asked), READ_AHEAD)
        transport.producer.resumeProducing()
        self.assertEqual(len(transport.value()), READ_AHEAD * READ_SIZE)
        while random.reads:
            random.fireAll()
        self.assertEqual(self.successResultOf(sending), len(data))
        self.assertEqual(transport.value(), data)
        self.assertIsNone(transport.producer)

    def test_pauseFromWrite(self):
        """
        A consumer that pauses the producer from inside C{write} gets
        nothing more until it resumes it.
        """
        data = b"w" * (4 * READ_SIZE)
        random = FakeReadFile(data, synchronous=True)
        consumer = CollectingConsumer(
            lambda c: c.pause() if not c.paused else None)
        sending = readFileFor(random).send(consumer)
        self.assertEqual(len(consumer.chunks), 1)
        while not sending.called:
            consumer.resume()
        self.assertEqual(consumer.writesWhilePaused, 0)
        self.assertEqual(consumer.value(), data)

    def test_manySynchronousReads(self):
        """
        A storage answering at once does not make the producer recurse.
        """
        self.patch(adapters, "READ_SIZE", 1)
        data = b"s" * 5000
        consumer = CollectingConsumer()
        sending = readFileFor(FakeReadFile(data, synchronous=True)).send(
            consumer)
        self.assertEqual(self.successResultOf(sending), 5000)
        self.assertEqual(consumer.value(), data)

    def test_readFails(self):
        """
        A failed read fails C{send}, after the producer was unregistered.
        """
        random = FakeReadFile(b"q" * (3 * READ_SIZE))
        consumer = CollectingConsumer()
        sending = readFileFor(random).send(consumer)
        random.reads.pop(0)[2].errback(LocalError())
        self.failureResultOf(sending, LocalError)
        self.assertIsNone(consumer.producer)

    def test_stopProducing(self):
        """
        C{stopProducing} fails C{send} with L{ConnectionLost} at once, and
        reads finishing later write nothing.
        """
        random = FakeReadFile(b"q" * (3 * READ_SIZE))
        consumer = CollectingConsumer()
        sending = readFileFor(random).send(consumer)
        consumer.producer.stopProducing()
        self.failureResultOf(sending, ConnectionLost)
        random.fireAll()
        self.assertEqual(consumer.chunks, [])

    def test_closeWaitsForReads(self):
        """
        C{close} closes the random file once, after the reads in flight.
        """
        random = FakeReadFile(b"c" * (3 * READ_SIZE))
        reading = readFileFor(random)
        reading.send(CollectingConsumer()).addErrback(lambda f: None)
        closing = reading.close()
        reading.close()
        self.assertEqual(random.closed, 0)
        self.assertNoResult(closing)
        random.fireAll()
        self.assertEqual(random.closed, 1)
        self.successResultOf(closing)


class WriteFileAdapterTests(unittest.TestCase):
    """
    L{WriteFileAdapter}: uploads into an L{IRandomWriteFile}.
    """

    def receive(self, random):
        """
        @return: C{(writeFile, consumer, transport)}: the adapter, its
            consumer, and a transport registered on it as the upload's
            streaming producer.
        """
        writing = writeFileFor(random)
        consumer = self.successResultOf(writing.receive())
        transport = StringTransport()
        consumer.registerProducer(transport, True)
        return writing, consumer, transport

    def test_pausedWhileWriting(self):
        """
        The producer is paused while a write is outstanding; what arrives
        meanwhile goes in the next write, at the next offset; the producer
        is resumed once all is written.
        """
        random = FakeWriteFile()
        writing, consumer, transport = self.receive(random)
        consumer.write(b"abc")
        self.assertEqual(transport.producerState, "paused")
        consumer.write(b"de")
        consumer.write(b"f")
        self.assertEqual(random.written, [(0, b"abc")])
        random.fireNext()
        self.assertEqual(random.written, [(0, b"abc"), (3, b"def")])
        self.assertEqual(transport.producerState, "paused")
        random.fireNext()
        self.assertEqual(transport.producerState, "producing")
        consumer.write(b"g")
        self.assertEqual(random.written[-1], (6, b"g"))

    def test_synchronousNeverPauses(self):
        """
        A storage that writes at once never needs the producer paused.
        """
        random = FakeWriteFile(synchronous=True)
        writing, consumer, transport = self.receive(random)
        for chunk in (b"a", b"b", b"c"):
            consumer.write(chunk)
        self.assertEqual(transport.producerState, "producing")
        self.assertEqual(random.written, [(0, b"a"), (1, b"b"), (2, b"c")])

    def test_closeAfterWrites(self):
        """
        C{close} waits for the outstanding writes, then closes the random
        file, and fires only once that has.
        """
        random = FakeWriteFile()
        random.closing = Deferred()
        writing, consumer, transport = self.receive(random)
        consumer.write(b"abc")
        consumer.write(b"def")
        consumer.unregisterProducer()
        closing = writing.close()
        self.assertEqual(random.ended, [])
        random.fireNext()
        random.fireNext()
        self.assertEqual(random.ended, ["closed"])
        self.assertNoResult(closing)
        random.closing.callback(None)
        self.successResultOf(closing)
        self.assertEqual(random.value(), b"abcdef")
        self.successResultOf(writing.close())
        self.successResultOf(writing.abort())
        self.assertEqual(random.ended, ["closed"])

    def test_closeFails(self):
        """
        A random file that cannot commit fails C{close} with its error.
        """
        random = FakeWriteFile(synchronous=True)
        random.closing = fail(InsufficientStorage())
        writing, consumer, transport = self.receive(random)
        consumer.write(b"x")
        self.failureResultOf(writing.close(), InsufficientStorage)
        self.failureResultOf(writing.close(), InsufficientStorage)

    def test_failedWrite(self):
        """
        After a failed write the bytes are dropped and the producer (the
        data connection) is stopped: it went on, so that a client over a
        quota or on a full disk was read to its end for nothing. The
        adapter says why (L{IRefusingWriteFile}), and C{close} aborts the
        random file and fails with the error.
        """
        random = FakeWriteFile()
        writing, consumer, transport = self.receive(random)
        consumer.write(b"abc")
        consumer.write(b"def")
        self.assertIsNone(writing.refusal())
        random.writes.pop(0)[2].errback(InsufficientStorage())
        self.assertEqual(transport.producerState, "stopped")
        self.assertIsInstance(writing.refusal(), InsufficientStorage)
        consumer.write(b"ghi")
        self.assertEqual(random.written, [(0, b"abc")])
        self.failureResultOf(writing.close(), InsufficientStorage)
        self.assertEqual(random.ended, ["aborted"])

    def test_abort(self):
        """
        C{abort} drops what is not written, waits for the write in flight,
        and aborts the random file; C{close} then does nothing more.
        """
        random = FakeWriteFile()
        writing, consumer, transport = self.receive(random)
        consumer.write(b"abc")
        consumer.write(b"def")
        aborting = writing.abort()
        self.assertEqual(random.ended, [])
        random.fireNext()
        self.successResultOf(aborting)
        self.assertEqual(random.written, [(0, b"abc")])
        self.assertEqual(random.ended, ["aborted"])
        self.successResultOf(writing.close())
        self.assertEqual(random.ended, ["aborted"])

    def test_pullProducer(self):
        """
        A pull producer is asked for more once each write is done, without
        recursing when the storage answers at once.
        """
        random = FakeWriteFile(synchronous=True)
        writing = writeFileFor(random)
        consumer = self.successResultOf(writing.receive())
        chunks = [b"p"] * 5000

        class Pull:
            def resumeProducing(self):
                if chunks:
                    consumer.write(chunks.pop())
                else:
                    consumer.unregisterProducer()

            def stopProducing(self):
                pass

        consumer.registerProducer(Pull(), False)
        self.assertEqual(random.value(), b"p" * 5000)
        self.successResultOf(writing.close())


def _later(value=None):
    """
    @return: a L{Deferred} firing with C{value} on a later reactor turn,
        as a storage working in threads or over a network would.
    """
    from twisted.internet import reactor
    from twisted.internet.task import deferLater

    return deferLater(reactor, 0, lambda: value)


@implementer(IRandomReadFile)
class _SlowReadFile:
    """
    A random read file over a snapshot, answering on later turns.
    """

    def __init__(self, data):
        self._data = data
        self.size = len(data)

    def readAt(self, offset, length):
        return _later(self._data[offset:offset + length])

    def close(self):
        self._data = b""


@implementer(IRandomWriteFile)
class _SlowWriteFile:
    """
    A random write file handing its bytes to a producer/consumer file at
    C{close}, answering on later turns.
    """

    def __init__(self, opened):
        self._opened = writeFileFor(opened)
        self._data = bytearray()

    def writeAt(self, offset, data):
        if offset != len(self._data):
            raise AssertionError("out of order: %d" % (offset,))
        self._data += data
        return _later()

    def close(self):
        receiving = self._opened.receive()
        receiving.addCallback(lambda consumer: consumer.write(
            bytes(self._data)))
        receiving.addCallback(lambda ignored: _later())
        return receiving.addCallback(lambda ignored: self._opened.close())

    def abort(self):
        return _later().addCallback(lambda ignored: self._opened.abort())


class SlowRandomShell(MemoryShell):
    """
    A L{MemoryShell} whose open files are random-access files answering
    on later reactor turns.
    """

    def openForReading(self, path, offset=0):
        consumer = CollectingConsumer()
        opening = MemoryShell.openForReading(self, path, offset)
        opening.addCallback(lambda opened: readFileFor(opened).send(consumer))
        return opening.addCallback(
            lambda ignored: _SlowReadFile(consumer.value()))

    def openForWriting(self, path, offset=0, append=False):
        opening = MemoryShell.openForWriting(self, path, offset, append)
        return opening.addCallback(_SlowWriteFile)


class RandomShellServerTests(LoopbackServerMixin, unittest.TestCase):
    """
    The server moves files of a shell that opens random-access files, with
    a real client.
    """

    def setUp(self):
        realm = MemoryRealm()
        realm.shell = SlowRandomShell()
        self.server = self.startServer(realm, anonymous=False,
                                       users={"alice": "pw"})

    def test_transfers(self):
        """
        STOR, APPE, REST + STOR, RETR, REST + RETR, STOR in ASCII and RETR
        in ASCII all work (the last was a C{SIZE} in ASCII, which read the
        file to count its line ends, and no longer does).
        """
        data = bytes(range(256)) * 4000 + b"\nend\n"

        def client():
            outcome = {}
            ftp = ftplibLogin(self, self.server.port, "alice", "pw")
            ftp.storbinary("STOR f", io.BytesIO(data))
            ftp.storbinary("APPE f", io.BytesIO(b"more"))
            ftp.storbinary("STOR g", io.BytesIO(b"0123456789"))
            ftp.storbinary("STOR g", io.BytesIO(b"AB"), rest=4)
            chunks = []
            ftp.retrbinary("RETR f", chunks.append)
            outcome["f"] = b"".join(chunks)
            chunks = []
            ftp.retrbinary("RETR g", chunks.append, rest=2)
            outcome["g"] = b"".join(chunks)
            ftp.storlines("STOR t", io.BytesIO(b"a\nb\n"))
            chunks = []
            ftp.retrbinary("RETR t", chunks.append)
            outcome["t"] = b"".join(chunks)
            ftp.voidcmd("TYPE A")
            chunks = []
            with ftp.transfercmd("RETR f") as connection:
                for chunk in iter(lambda: connection.recv(65536), b""):
                    chunks.append(chunk)
            ftp.voidresp()
            outcome["ascii"] = b"".join(chunks)
            ftp.quit()
            return outcome

        def check(outcome):
            self.assertEqual(outcome["f"], data + b"more")
            self.assertEqual(outcome["g"], b"23AB")
            self.assertEqual(outcome["t"], b"a\nb\n")
            self.assertEqual(outcome["ascii"],
                             (data + b"more").replace(b"\n", b"\r\n"))

        return self.inThread(client).addCallback(check)


class SlowRandomShellConformanceTests(IFTPShellConformanceMixin,
                                      unittest.TestCase):
    """
    A shell of random-access files answering on later turns passes the
    conformance kit, upload backpressure included.
    """

    def makeShell(self):
        return SlowRandomShell()

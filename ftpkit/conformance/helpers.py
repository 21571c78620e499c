"""
Helpers for tests of shells: L{CollectingConsumer}, a consumer that keeps
what it is given and can pause its producer (L{pausingConsumer}: after
each write), and L{readFile} and
L{writeFile}, which download and upload a whole file the way the server
does (a random-access file through the server's adapter,
L{ftpkit.shells.adapters}).
"""


from twisted.internet.defer import inlineCallbacks
from twisted.internet.interfaces import IConsumer
from zope.interface import implementer

from ftpkit.data.producers import BytesProducer
from ftpkit.interfaces import IFTPShellUploadOffsets, IRefusingWriteFile
from ftpkit.shells.adapters import readFileFor, writeFileFor


@implementer(IConsumer)
class CollectingConsumer:
    """
    A consumer that keeps what it is given and can pause its producer: a
    streaming one through C{pauseProducing}, a pull one by asking it for
    nothing more until resumed.

    @ivar chunks: the C{bytes} written, in order.
    @ivar producer: the registered producer, or C{None}.
    @ivar streaming: the C{streaming} flag it was registered with.
    @ivar registrations: how many times a producer was registered.
    @ivar paused: whether this consumer paused its producer.
    @ivar stopped: whether this consumer stopped its producer (L{stop}).
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
        self.stopped = False
        self._pulling = False
        self._wrote = False

    def registerProducer(self, producer, streaming):
        """
        See L{IConsumer.registerProducer}.
        """
        if self.producer is not None:
            raise RuntimeError("A producer is already registered")
        self.producer = producer
        self.streaming = streaming
        self.registrations += 1
        if not streaming:
            self._pull()

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
        self._wrote = True
        if self.onWrite is not None:
            self.onWrite(self)
        if not self.streaming:
            self._pull()

    def pause(self):
        """
        Pause the producer.
        """
        self.paused = True
        if self.streaming:
            self.producer.pauseProducing()

    def resume(self):
        """
        Resume the producer, if it is still registered.
        """
        self.paused = False
        if self.producer is not None:
            if self.streaming:
                self.producer.resumeProducing()
            else:
                self._pull()

    def _pull(self):
        """
        Ask a pull producer (one registered with C{streaming=False}, such
        as Twisted's C{FileSender}) for more, as a transport does, until
        it writes nothing, is paused or is unregistered. A write made
        while this runs only asks for one more round, so a producer that
        writes from C{resumeProducing} makes no recursion.
        """
        if self._pulling:
            return
        self._pulling = True
        try:
            self._wrote = True
            while (self._wrote and self.producer is not None
                   and not self.streaming and not self.paused
                   and not self.stopped):
                self._wrote = False
                self.producer.resumeProducing()
        finally:
            self._pulling = False

    def stop(self):
        """
        Stop the producer, as a data connection going away does: a pull
        producer is asked for nothing more.
        """
        self.stopped = True
        self.producer.stopProducing()

    def value(self):
        """
        @return: all the bytes written so far.
        """
        return b"".join(self.chunks)


def pausingConsumer(settle):
    """
    A L{CollectingConsumer} that pauses its producer after each write
    and resumes it once C{settle}'s L{Deferred} fires.

    @param settle: a callable giving a L{Deferred} that fires once the
        shell under test has had time to write while paused (a test
        case's C{settle}).
    @return: C{(consumer, resumed)}: the consumer, and the list of those
        L{Deferred}s (one a pause; gather them before reading its
        C{writesWhilePaused}).
    """
    resumed = []

    def pauseAndResumeLater(consumer):
        if consumer.paused:
            return
        consumer.pause()
        settling = settle()
        settling.addCallback(lambda ignored: consumer.resume())
        resumed.append(settling)

    return CollectingConsumer(pauseAndResumeLater), resumed


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
    @return: a L{Deferred} firing with C{None} once the upload was closed;
        failing as the server's reply would: with the file's
        L{IRefusingWriteFile.refusal} when it stopped the producer.
    """
    opened = writeFileFor((yield shell.openForWriting(path, offset, append)))
    consumer = yield opened.receive()
    try:
        yield BytesProducer(data, consumer).start()
    except BaseException:
        refusal = (opened.refusal() if IRefusingWriteFile.providedBy(opened)
                   else None)
        yield opened.abort()
        if refusal is not None:
            raise refusal from None
        raise
    yield opened.close()


def writesWholeFiles(shell):
    """
    @param shell: an L{ftpkit.interfaces.IFTPShell}.
    @return: whether it says its uploads cannot write at an offset
        (L{IFTPShellUploadOffsets}); a shell that does not say writes
        there.
    """
    return (IFTPShellUploadOffsets.providedBy(shell)
            and not shell.writesAtOffsets())

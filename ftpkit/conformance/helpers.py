"""
Helpers for tests of shells: L{CollectingConsumer}, a consumer that keeps
what it is given and can pause its producer, and L{readFile} and
L{writeFile}, which download and upload a whole file the way the server
does (a random-access file through the server's adapter,
L{ftpkit.shells.adapters}).
"""


from twisted.internet.defer import inlineCallbacks
from twisted.internet.interfaces import IConsumer
from zope.interface import implementer

from ftpkit.data.producers import BytesProducer
from ftpkit.interfaces import IRefusingWriteFile
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

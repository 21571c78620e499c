"""
What moves file bytes over a data connection: consumers for downloads
(plain, ASCII, zero-copy C{sendfile}), ASCII decoding for uploads, and an
L{IReadFile} for bytes already in memory (listings).
"""

import os

from twisted.internet import defer
from twisted.internet.error import ConnectionAborted
from twisted.internet.interfaces import IConsumer, IWriteDescriptor
from twisted.python.failure import Failure
from zope.interface import implementer

from ftpkit.cachedopen import isCached
from ftpkit.data import LeanConnection
from ftpkit.interfaces import IReadFile, ISendfileTarget, IZeroCopyConsumer

SENDFILE_CHUNK = 4 << 20
"""Most bytes handed to one C{sendfile} call."""

TLS_BUFFER_SIZE = 1 << 20
"""Encrypted bytes a TLS download may queue before its producer pauses:
fewer pause/resume rounds than Twisted's 64 KiB default."""

SENDFILE_TURN_BUDGET = 16 << 20
"""Most bytes sent in one reactor turn, so other sessions get a turn."""


def encodeASCII(data):
    """
    Turn local line ends (LF) into network ones (CRLF).

    @param data: bytes read from a file.
    @return: the bytes to send in TYPE A.
    """
    return data.replace(b"\n", b"\r\n")


class ASCIIDecoder:
    """
    Turns network line ends (CRLF) into local ones (LF) across chunk
    boundaries, for TYPE A uploads.
    """

    def __init__(self):
        self._pendingCR = False

    def decode(self, data):
        """
        @param data: the next chunk received.
        @return: the bytes to write to the file.
        """
        if self._pendingCR:
            data = b"\r" + data
        self._pendingCR = data.endswith(b"\r")
        if self._pendingCR:
            data = data[:-1]
        return data.replace(b"\r\n", b"\n")

    def flush(self):
        """
        @return: a held-back trailing CR, once the upload has ended.
        """
        pending, self._pendingCR = self._pendingCR, False
        return b"\r" if pending else b""


@implementer(IConsumer)
class TransportConsumer:
    """
    Passes a download to the data connection's transport and counts it.

    @ivar bytesSent: bytes handed to the transport so far.
    """

    def __init__(self, transport):
        self.transport = transport
        self.bytesSent = 0

    def registerProducer(self, producer, streaming):
        """
        @see: L{IConsumer.registerProducer}
        """
        self.transport.registerProducer(producer, streaming)

    def unregisterProducer(self):
        """
        @see: L{IConsumer.unregisterProducer}
        """
        self.transport.unregisterProducer()

    def write(self, data):
        """
        @see: L{IConsumer.write}
        """
        self.bytesSent += len(data)
        self.transport.write(data)

    def abort(self):
        """
        Stop sending at once (the transfer was aborted).
        """


class ASCIIConsumer(TransportConsumer):
    """
    A L{TransportConsumer} for TYPE A: LF becomes CRLF.
    """

    def write(self, data):
        """
        @see: L{IConsumer.write}
        """
        TransportConsumer.write(self, encodeASCII(data))


@implementer(IConsumer)
class ASCIIUploadConsumer:
    """
    Wraps an upload's consumer for TYPE A: CRLF becomes LF.
    """

    def __init__(self, consumer):
        self._consumer = consumer
        self._decoder = ASCIIDecoder()

    def registerProducer(self, producer, streaming):
        """
        @see: L{IConsumer.registerProducer}
        """
        self._consumer.registerProducer(producer, streaming)

    def unregisterProducer(self):
        """
        Flush a trailing CR, then unregister.
        """
        tail = self._decoder.flush()
        if tail:
            self._consumer.write(tail)
        self._consumer.unregisterProducer()

    def write(self, data):
        """
        @see: L{IConsumer.write}
        """
        decoded = self._decoder.decode(data)
        if decoded:
            self._consumer.write(decoded)


@implementer(IWriteDescriptor)
class _SendfileWriter:
    """
    Copies a file to a data socket with C{sendfile}, from the reactor
    thread: at once as far as the socket takes it, then, if it is full, by
    owning the socket's descriptor for writing until done. A range of the
    file that is not in memory is first read in by C{warm}, off the reactor
    thread, so that C{sendfile} never waits for the disk.

    @ivar registered: the reactor watches the socket for room.
    @ivar warming: C{warm} is reading the next range in.
    """

    registered = False
    warming = False
    _readingStopped = False

    def __init__(self, reactor, socketFD, transport, fileFD, offset, count,
                 progress, warm=None):
        """
        @param socketFD: the data socket's descriptor.
        @param transport: the Twisted transport owning that socket, which
            stops reading while this writer owns the descriptor, or C{None}
            for a bare socket (L{ftpkit.data.LeanConnection}).
        @param warm: see L{ISendfileTarget.sendfile}, or C{None}.
        """
        self.reactor = reactor
        self.transport = transport
        self.socketFD = socketFD
        self.fileFD = fileFD
        self.offset = offset
        self.remaining = count
        self.progress = progress
        self.warm = warm
        self.done = defer.Deferred()

    def start(self):
        """
        Send what the socket takes now; wait for room only if needed (a
        small file goes out without touching the reactor).
        """
        if not self._pump():
            self._waitForRoom()

    def _waitForRoom(self):
        """
        Have the reactor call L{doWrite} when the socket has room.
        """
        if self.registered or self.warming or self.done.called:
            return
        if self.transport is not None and not self._readingStopped:
            self._readingStopped = True
            self.transport.stopReading()
        self.reactor.addWriter(self)
        self.registered = True

    def _stopWaiting(self):
        if self.registered:
            self.registered = False
            self.reactor.removeWriter(self)

    def fileno(self):
        """
        @return: the data socket's descriptor.
        """
        return self.socketFD

    def logPrefix(self):
        """
        @return: the name used in logs.
        """
        return "ftpkit-sendfile"

    def doWrite(self):
        """
        The socket has room again.
        """
        self._pump()

    def _pump(self):
        """
        Send as much as the socket takes, up to a per-turn budget, unless
        the next range must be read in first.

        @return: whether the copy is over (L{done} has fired).
        """
        budget = SENDFILE_TURN_BUDGET
        while self.remaining > 0 and budget > 0:
            count = min(self.remaining, SENDFILE_CHUNK)
            if (self.warm is not None
                    and not isCached(self.fileFD, self.offset, count)):
                self._startWarming(count)
                return False
            try:
                sent = os.sendfile(self.socketFD, self.fileFD, self.offset,
                                   count)
            except BlockingIOError:
                return False
            except OSError as e:
                self._finish(Failure(e))
                return True
            if sent == 0:
                break  # The file is shorter than when it was opened.
            self.offset += sent
            self.remaining -= sent
            budget -= sent
            self.progress(sent)
        if self.remaining > 0 and budget <= 0:
            return False
        self._finish(None)
        return True

    def _startWarming(self, count):
        """
        Have C{warm} read the next C{count} bytes in; the socket is not
        watched meanwhile.
        """
        self._stopWaiting()
        self.warming = True
        warming = self.warm(self.offset, count)
        warming.addCallbacks(self._warmed, self._warmFailed)

    def _warmed(self, ignored):
        self.warming = False
        if not self.done.called and not self._pump():
            self._waitForRoom()

    def _warmFailed(self, failure):
        self.warming = False
        self._finish(failure)

    def connectionLost(self, reason):
        """
        The reactor gave up on the descriptor.
        """
        self._finish(reason)

    def stop(self):
        """
        Stop copying; L{done} fails.
        """
        self._finish(Failure(ConnectionAborted()))

    def _finish(self, failure):
        if self.done.called:
            return
        # Let go of the consumer (through progress) and the file (through
        # warm): consumer and writer hold each other, and breaking that
        # cycle here frees both at once instead of in the garbage
        # collector, which cost a small-file download about 4%.
        self.progress = self.warm = None
        self._stopWaiting()
        if (self._readingStopped and self.transport is not None
                and self.transport.connected):
            self.transport.startReading()
        if failure is None:
            self.done.callback(None)
        else:
            self.done.errback(failure)


@implementer(IZeroCopyConsumer)
class SendfileConsumer(TransportConsumer):
    """
    A L{TransportConsumer} that also offers zero-copy C{sendfile}, for
    TYPE I downloads over a plain TCP socket.
    """

    def __init__(self, transport, reactor):
        TransportConsumer.__init__(self, transport)
        self.reactor = reactor
        self._writer = None

    def sendfile(self, fd, offset, count, warm=None):
        """
        @see: L{IZeroCopyConsumer.sendfile}
        """
        start = self.bytesSent
        if count <= 0:
            return defer.succeed(0)
        writer = self._writer = _SendfileWriter(
            self.reactor, self.transport.getHandle().fileno(), self.transport,
            fd, offset, count, self._progress, warm)
        writer.start()
        writer.done.addCallback(lambda _: self.bytesSent - start)
        return writer.done

    def abort(self):
        """
        Give the socket back to its transport before it is dropped.
        """
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.stop()

    def _progress(self, sent):
        self.bytesSent += sent


@implementer(ISendfileTarget)
class LeanConsumer:
    """
    Where a file goes over a L{ftpkit.data.LeanConnection}: C{sendfile}
    straight to its bare socket.

    @ivar bytesSent: bytes sent so far.
    """

    def __init__(self, connection, reactor):
        """
        @param connection: the L{ftpkit.data.LeanConnection}; its watchdog
            is started when the socket is full.
        @param reactor: the reactor.
        """
        self.connection = connection
        self.reactor = reactor
        self.bytesSent = 0
        self._writer = None

    def sendfile(self, fd, offset, count, warm=None):
        """
        @see: L{ISendfileTarget.sendfile}
        """
        if count <= 0:
            return defer.succeed(0)
        writer = self._writer = _SendfileWriter(
            self.reactor, self.connection.socket.fileno(), None, fd, offset,
            count, self._progress, warm)
        start = self.bytesSent
        writer.start()
        if not writer.done.called:
            self.connection.watch()
        writer.done.addCallback(lambda _: self.bytesSent - start)
        return writer.done

    def _progress(self, sent):
        self.bytesSent += sent

    def abort(self):
        """
        Stop copying before the socket is dropped.
        """
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.stop()


def sendOver(readFile, consumer):
    """
    Start sending an open file to what L{makeDownloadConsumer} made.

    @return: the Deferred of the copy.
    """
    if isinstance(consumer, LeanConsumer):
        return readFile.sendfileTo(consumer)
    return readFile.send(consumer)


def makeDownloadConsumer(connection, binary, reactor):
    """
    Pick the consumer for a download over C{connection}.

    @param connection: a L{ftpkit.data.DataConnection} or
        L{ftpkit.data.LeanConnection}.
    @param binary: whether TYPE I is in force (else TYPE A).
    @param reactor: the reactor (for C{sendfile}'s writer).
    @return: a L{TransportConsumer}, zero-copy when possible.
    """
    if isinstance(connection, LeanConnection):
        return LeanConsumer(connection, reactor)
    transport = connection.transport
    if not binary:
        return ASCIIConsumer(transport)
    if connection.isSecure:
        transport.bufferSize = TLS_BUFFER_SIZE
        return TransportConsumer(transport)
    if not hasattr(os, "sendfile") or not hasattr(transport, "stopReading"):
        return TransportConsumer(transport)
    return SendfileConsumer(transport, reactor)


@implementer(IReadFile)
class BytesReadFile:
    """
    An L{IReadFile} over bytes in memory, for directory listings.
    """

    def __init__(self, data):
        self.data = data
        self.size = len(data)

    def send(self, consumer):
        """
        @see: L{IReadFile.send}
        """
        if self.data:
            consumer.write(self.data)
        return defer.succeed(len(self.data))

    def close(self):
        """
        Nothing to release.
        """

"""
L{FileReader}: a file of L{ftpkit.shells.filesystem.FilesystemShell}
opened for a download, whose threaded producer sends it, a read ahead of
the consumer. It offers its descriptor (L{IDescriptorFile}), so that the
server may move the bytes inside the kernel instead.
"""

import os

from twisted.internet.defer import fail
from zope.interface import implementer

from ftpkit.data.producers import TransferProducer
from ftpkit.errors import LocalError
from ftpkit.fileinfo import FileDescriptor
from ftpkit.interfaces import IDescriptorFile, IReadFile

READ_CHUNK_SIZE = 1024 * 1024
"""Bytes read per C{os.pread} when a download goes through Python."""


@implementer(IReadFile, IDescriptorFile)
class FileReader:
    """
    A file opened for a download, owning its descriptor.
    """

    def __init__(self, run, fd, offset, size, device=None):
        """
        @param run: L{FilesystemShell._run}.
        @param fd: the open descriptor.
        @param offset: the first byte to send.
        @param size: the file's size when it was opened; bytes appended
            later are not sent.
        @param device: the file system holding it (C{st_dev}), or C{None}
            (L{ftpkit.fileinfo.FileDescriptor.device}).
        """
        self._run = run
        self._fd = fd
        self._offset = offset
        self._size = size
        self._device = device
        # max(0, size - offset), without the builtin's call (its
        # arguments parsed by name: several times a comparison's cost).
        self.size = size - offset if size > offset else 0
        self._busy = 0
        self._closed = False

    def send(self, consumer):
        """
        See L{IReadFile.send}: a L{_ThreadedFileProducer}.
        """
        return _ThreadedFileProducer(self, consumer, self.size).start()

    def descriptor(self):
        """
        See L{IDescriptorFile.descriptor}.
        """
        return FileDescriptor(self._fd, self._offset, self.size,
                              self._inThread, device=self._device)

    def read(self, count, position):
        """
        Read from the file in a worker thread.

        @param count: the most bytes to read.
        @param position: the offset to read at.
        @return: a L{Deferred} firing with the bytes read.
        """
        return self._inThread(os.pread, self._fd, count, position)

    def _inThread(self, function, *args):
        """
        Run a blocking call using the descriptor in a worker thread;
        L{close} waits for it before closing the descriptor.
        """
        if self._fd is None:
            return fail(LocalError())
        self._busy += 1
        result = self._run(function, *args)
        result.addBoth(self._readDone)
        return result

    def _readDone(self, result):
        """
        Close the descriptor if L{close} was called during a read.
        """
        self._busy -= 1
        self._closeIfIdle()
        return result

    def close(self):
        """
        See L{IReadFile.close}; a read still in flight finishes first.
        """
        self._closed = True
        self._closeIfIdle()

    def _closeIfIdle(self):
        """
        Close the descriptor once closed and idle.
        """
        if self._closed and not self._busy and self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


class _ThreadedFileProducer(TransferProducer):
    """
    A push producer reading a file in worker threads.

    One read runs ahead of the consumer: while a chunk is written to the
    consumer, the next is being read, so disk and network work together.
    No read starts while the consumer is paused (a chunk read ahead of a
    client that stopped reading would be held until the data timeout, on
    top of what its connection queued): at most the one read in flight
    when the pause came waits in memory, and reading goes on once the
    consumer resumes.
    L{stopProducing} makes the L{Deferred} of L{start} fail with
    L{ConnectionLost}.
    """

    def __init__(self, reader, consumer, count):
        """
        @param reader: the L{FileReader}.
        @param consumer: the L{IConsumer} to write to.
        @param count: the number of bytes to send.
        """
        self._reader = reader
        self._consumer = consumer
        self._position = reader._offset
        self._end = reader._offset + count
        self._sent = 0
        self._ready = None
        self._reading = False

    def _pump(self):
        """
        Write the chunk that is ready, keep one read in flight, and finish
        when everything was written.
        """
        if self._deferred is None:
            return
        if self._ready is not None and not self._paused:
            data, self._ready = self._ready, None
            self._sent += len(data)
            self._consumer.write(data)
            if self._deferred is None:
                return
        if self._ready is None and not self._reading:
            if self._position < self._end:
                if not self._paused:
                    self._readNext()
            else:
                deferred, self._deferred = self._deferred, None
                self._consumer.unregisterProducer()
                deferred.callback(self._sent)

    def _readNext(self):
        """
        Start reading the next chunk.
        """
        count = min(READ_CHUNK_SIZE, self._end - self._position)
        self._reading = True
        reading = self._reader.read(count, self._position)
        self._position += count
        reading.addCallbacks(self._gotChunk, self._failed)

    def _gotChunk(self, data):
        """
        A read finished; a short one means the file shrank.
        """
        self._reading = False
        if not data:
            self._end = self._position
        else:
            self._ready = data
        self._pump()

    def _failed(self, failure):
        """
        A read failed: give up the transfer with that error.
        """
        self._reading = False
        if self._deferred is not None:
            deferred, self._deferred = self._deferred, None
            self._consumer.unregisterProducer()
            deferred.errback(failure)

    def _dropped(self):
        """
        Stopped: drop the chunk read ahead.
        """
        self._ready = None

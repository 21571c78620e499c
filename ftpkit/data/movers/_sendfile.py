"""
Sending a file to a plain data socket with C{sendfile(2)}, from the
reactor thread, without the bytes passing through Python; a range not in
the page cache is read in by a disk thread first (warming), so that
C{sendfile} never waits for the disk. Private to L{ftpkit.data.movers}.
"""

import os

from twisted.internet.error import ConnectionAborted
from twisted.internet.interfaces import IWriteDescriptor
from twisted.python.failure import Failure
from zope.interface import implementer

from ftpkit.data.movers._ending import EndsOnce
from ftpkit.shells.cachedopen import isCached

available = hasattr(os, "sendfile")
"""Whether this system has C{sendfile}."""

SENDFILE_CHUNK = 4 << 20
"""Most bytes handed to one C{sendfile} call."""

SENDFILE_TURN_BUDGET = 16 << 20
"""Most bytes sent in one reactor turn, so other sessions get a turn."""

WARM_BUFFER_SIZE = 1 << 20
"""Bytes read per call while reading a range into the page cache."""


def readInto(fd, offset, count):
    """
    Read a range of a file, blocking, only so that it lands in the page
    cache.

    @param fd: the descriptor.
    @param offset: the first byte.
    @param count: how many bytes.
    """
    buffer = bytearray(min(count, WARM_BUFFER_SIZE))
    end = offset + count
    while offset < end:
        read = os.preadv(fd, [memoryview(buffer)[:end - offset]], offset)
        if not read:
            return
        offset += read


@implementer(IWriteDescriptor)
class SendfileWriter(EndsOnce):
    """
    Copies a file to a data socket with C{sendfile}: at once as far as the
    socket takes it, then, if it is full, by owning the socket's descriptor
    for writing until done. When paced, it sends what the pacer allows and
    waits on a timer for the rest.

    @cvar receiving: it does not receive an upload (see
        L{ftpkit.data.leanconnection.LeanConnection.user}).
    @ivar registered: the reactor watches the socket for room.
    @ivar warming: a disk thread is reading the next range in.
    @ivar sent: bytes sent so far.
    @ivar finished: the copy is over (L{done} has fired, or will fire
        when made).
    """

    receiving = False
    registered = False
    warming = False
    finished = False
    _readingStopped = False
    _timer = None

    def __init__(self, reactor, socketFD, transport, descriptor, pacer=None):
        """
        @param reactor: the reactor.
        @param socketFD: the data socket's descriptor.
        @param transport: the Twisted transport owning that socket, which
            stops reading while this writer owns the descriptor, or C{None}
            for a bare socket (L{ftpkit.data.leanconnection.LeanConnection}).
        @param descriptor: the file's L{ftpkit.fileinfo.FileDescriptor}.
        @param pacer: a L{ftpkit.data.movers.pacing.Pacer}, or C{None}.
        """
        self.reactor = reactor
        self.transport = transport
        self.socketFD = socketFD
        self.fileFD = descriptor.fd
        self.offset = descriptor.offset
        self.remaining = descriptor.size
        self.run = descriptor.run
        self.device = descriptor.device
        self.pacer = pacer
        self.sent = 0

    def start(self):
        """
        Send what the socket takes now; wait for room only if needed (a
        small file goes out without touching the reactor).

        @return: whether it has to wait (L{done} has not fired).
        """
        if self._pump():
            return False
        self._waitForRoom()
        return True

    def _waitForRoom(self):
        """
        Have the reactor call L{doWrite} when the socket has room.
        """
        if (self.registered or self.warming or self._timer is not None
                or self.finished):
            return
        if self.transport is not None and not self._readingStopped:
            self._readingStopped = True
            self.transport.stopReading()
        self.reactor.addWriter(self)
        self.registered = True

    def stopWaiting(self):
        """
        Leave the reactor (before the socket is closed).
        """
        if self.registered:
            self.registered = False
            self.reactor.removeWriter(self)
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

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
        Send as much as the socket takes, up to a per-turn budget and what
        the pacer allows, unless the next range must be read in first.

        @return: whether the copy is over (L{done} has fired).
        """
        budget = SENDFILE_TURN_BUDGET
        while self.remaining > 0 and budget > 0:
            # min(), without the builtin's call (see
            # ftpkit.shells.diskreader.FileReader.__init__).
            count = (self.remaining if self.remaining < SENDFILE_CHUNK
                     else SENDFILE_CHUNK)
            paced = False
            if self.pacer is not None:
                allowed = self.pacer.allowance(count)
                if allowed <= 0:
                    self._waitForPacer()
                    return False
                paced, count = allowed < count, allowed
            if not isCached(self.fileFD, self.offset, count, self.device):
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
            self.sent += sent
            budget -= sent
            if self.pacer is not None:
                self.pacer.spent(sent)
            if paced and self.remaining > 0:
                # The pacer gave less than wanted: it has given what it
                # had. Asking again at once would get the crumbs time
                # added meanwhile, and again, a sendfile of a few bytes
                # each, with the reactor held until the whole file went.
                self._waitForPacer()
                return False
        if self.remaining > 0 and budget <= 0:
            return False
        self._finish(None)
        return True

    def _waitForPacer(self):
        """
        Stop watching the socket until the pacer allows more.
        """
        self.stopWaiting()
        self._timer = self.reactor.callLater(self.pacer.delay(), self._paced)

    def _paced(self):
        self._timer = None
        if not self._pump():
            self._waitForRoom()

    def _startWarming(self, count):
        """
        Have a disk thread read the next C{count} bytes in; the socket is
        not watched meanwhile.
        """
        self.stopWaiting()
        self.warming = True
        warming = self.run(readInto, self.fileFD, self.offset, count)
        warming.addCallbacks(self._warmed, self._warmFailed)

    def _warmed(self, ignored):
        self.warming = False
        if not self.finished and not self._pump():
            self._waitForRoom()

    def _warmFailed(self, failure):
        self.warming = False
        self._finish(failure)

    def connectionLost(self, reason):
        """
        The reactor gave up on the descriptor.

        @param reason: a L{twisted.python.failure.Failure} saying why.
        """
        self._finish(reason)

    def stop(self):
        """
        Stop copying; L{done} fails (also called by a bare connection
        that was dropped).
        """
        self._finish(Failure(ConnectionAborted()))

    connectionAborted = stop

    def _finish(self, failure):
        if self.finished:
            return
        self.finished = True
        # Let go of the file's runner (which may refer back to the mover):
        # breaking cycles here frees a transfer's objects at once instead
        # of in the garbage collector.
        self.run = self.pacer = None
        self.stopWaiting()
        if (self._readingStopped and self.transport is not None
                and self.transport.connected):
            self.transport.startReading()
        self._end(self.sent, failure)

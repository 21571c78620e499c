"""
The Unix socket between the acceptor of C{--workers} and each worker
(L{ftpkit.deploy.workers}): one L{Channel} at each end, carrying lines
both ways and, from the acceptor, control connections (C{SCM_RIGHTS}),
each sent with a line of its own.

Both ends are non-blocking, and a peer that reads nothing for a while (a
stopped or busy process) fills the socket: C{sendall} then raised after
writing part of a line, losing its rest and gluing the next line to it,
so that the peer read garbage (an acknowledgement or a ping's answer
lost, a connection's address mangled). A L{Channel} writes each line
whole and in order: what the socket does not take now waits in its
queue, written when the socket is writable (the reactor watches that
only while something waits). A queue past L{QUEUE_LIMIT} bytes takes no
more lines: each one is refused from then on (the sender is told; what
waits is still written), and the channel's receiver is told once (the
acceptor takes the worker for hung). A connection is sent only while nothing waits (else
L{ChannelBusy}), so that its line is not held behind others.

Reading, L{LineFramer} cuts what arrives into lines, whatever pieces it
comes in. The descriptors a read brings belong to the line in which that
read ended: the kernel sends a descriptor with the first bytes of the
line it was sent with, and ends a read with the bytes that carried one.
A descriptor the kernel could not give the reader (a process out of
descriptors: C{MSG_CTRUNC}) comes as L{LOST}.
"""

import socket

from twisted.internet import error as netError
from twisted.internet.interfaces import IReadWriteDescriptor
from zope.interface import implementer

QUEUE_LIMIT = 1 << 20
"""
The most bytes a L{Channel} keeps for a peer that does not read: far
more than a working peer ever leaves unread, and little memory.
"""

_READ_SIZE = 65536
_MOST_DESCRIPTORS = 64

LOST = -1
"""In place of a descriptor the peer sent but the kernel dropped, as this
process had no descriptor free for it."""


def _receive(sock):
    """
    @param sock: the channel's socket.
    @return: C{(data, descriptors)} of one read, L{LOST} among the
        descriptors when the kernel dropped one.
    @raise OSError: as C{recvmsg} does.
    """
    data, descriptors, flags, _ = socket.recv_fds(sock, _READ_SIZE,
                                                  _MOST_DESCRIPTORS)
    if flags & socket.MSG_CTRUNC:
        descriptors = descriptors + [LOST]
    return data, descriptors


class ChannelBusy(OSError):
    """
    A connection was not sent: lines still wait for the peer (or the
    socket is full).
    """


class LineFramer:
    """
    The lines of a byte stream, whole, whatever pieces the stream comes
    in.
    """

    def __init__(self):
        self._partial = b""

    def feed(self, data):
        """
        @param data: the next bytes of the stream.
        @return: the C{list} of lines they end, without their C{b"\\n"}
            (the start of an unended line is kept for the next bytes).
        """
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        return lines


@implementer(IReadWriteDescriptor)
class Channel:
    """
    One end of the Unix socket between the acceptor and a worker: the
    descriptor the reactor reads and writes for it.

    @ivar socket: the non-blocking Unix socket.
    @ivar receiver: what takes what arrives: C{lineReceived(line,
        descriptors)} for each line (C{descriptors} being the C{list} of
        those that came with it, the receiver's to close),
        C{channelClosed()} when the peer is gone,
        C{channelOverflowed()} when the queue first takes no more, and
        C{channelDrained()} when what waited in the queue is all written
        (a connection can be sent again).
    @ivar overflowed: whether the queue went past its limit (no line is
        sent from then on).
    """

    def __init__(self, sock, reactor, limit=QUEUE_LIMIT):
        """
        @param sock: the non-blocking Unix socket.
        @param reactor: the reactor that writes what waits.
        @param limit: the most bytes kept for the peer.
        """
        self.socket = sock
        self.reactor = reactor
        self.limit = limit
        self.receiver = None
        self.overflowed = False
        self._framer = LineFramer()
        self._descriptors = []
        self._queue = bytearray()
        self._broken = False

    def fileno(self):
        """
        @return: the Unix socket's descriptor.
        """
        return self.socket.fileno()

    def logPrefix(self):
        """
        @return: the name used in logs.
        """
        return "ftpkit-channel"

    def queued(self):
        """
        @return: how many bytes wait for the peer.
        """
        return len(self._queue)

    def sendLine(self, line):
        """
        Send one line, whole and after every line sent before it.

        @param line: the line, without its end.
        @return: whether it is sent or waits to be; C{False} when the peer
            is gone or the queue is full (the line is dropped).
        """
        if self._broken or self.overflowed:
            return False
        data = line + b"\n"
        if self._queue:
            if len(self._queue) + len(data) > self.limit:
                self.overflowed = True
                if self.receiver is not None:
                    self.receiver.channelOverflowed()
                return False
            self._queue += data
            return True
        try:
            sent = self.socket.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            self._broken = True
            return False
        self._wait(data[sent:])
        return True

    def sendDescriptor(self, line, descriptor):
        """
        Send a descriptor with its line, unless lines wait for the peer.

        @param line: the line, without its end.
        @param descriptor: the descriptor (still the caller's too).
        @raise ChannelBusy: when lines wait or the socket is full (nothing
            was sent).
        @raise OSError: when the peer is gone.
        """
        if self._queue or self.overflowed:
            raise ChannelBusy("lines wait for the peer")
        data = line + b"\n"
        try:
            sent = socket.send_fds(self.socket, [data], [descriptor])
        except BlockingIOError as e:
            # Told when it can take more (channelDrained), though nothing
            # waits.
            self.reactor.addWriter(self)
            raise ChannelBusy("the peer reads nothing") from e
        self._wait(data[sent:])

    def _wait(self, rest):
        """
        Keep what the socket did not take, and have the reactor say when
        it can take more.
        """
        if rest:
            self._queue += rest
            self.reactor.addWriter(self)

    def doWrite(self):
        """
        Write what waits; stop watching once nothing does (and say so).
        """
        if self._queue:
            try:
                sent = self.socket.send(self._queue)
            except BlockingIOError:
                return None
            except OSError:
                self._broken = True
                sent = len(self._queue)
            del self._queue[:sent]
        if not self._queue:
            self.reactor.removeWriter(self)
            if self.receiver is not None and not self._broken:
                self.receiver.channelDrained()
        return None

    def doRead(self):
        """
        Read what arrived and pass each whole line on; say when the peer
        is gone.

        @return: C{None}, or a L{ConnectionDone} when the peer is gone (the
            reactor then stops watching the socket).
        """
        try:
            data, descriptors = _receive(self.socket)
        except BlockingIOError:
            return None
        except OSError:
            data, descriptors = b"", []
        if not data and not descriptors:
            return netError.ConnectionDone()
        self._received(data, descriptors)
        return None

    def drain(self):
        """
        Read every line the peer sent before it went away.
        """
        while True:
            try:
                data, descriptors = _receive(self.socket)
            except OSError:
                return
            if not data and not descriptors:
                return
            self._received(data, descriptors)

    def _received(self, data, descriptors):
        """
        Pass on the lines C{data} ends, each with its descriptors: those
        of a read that ended in an unended line wait for its end.
        """
        lines = self._framer.feed(data)
        attached = [[] for _ in lines]
        if lines and self._descriptors:
            attached[0], self._descriptors = self._descriptors, []
        if descriptors:
            if data.endswith(b"\n"):
                attached[-1] = attached[-1] + descriptors
            else:
                self._descriptors.extend(descriptors)
        for line, withLine in zip(lines, attached):
            self.receiver.lineReceived(line, withLine)

    def connectionLost(self, reason):
        """
        The reactor stopped watching the socket (the peer is gone): tell
        the receiver. The owner closes the socket (the acceptor first
        reads a dead worker's last lines).

        @param reason: a L{twisted.python.failure.Failure} saying why.
        """
        self._queue.clear()
        self._broken = True
        if self.receiver is not None:
            self.receiver.channelClosed()

    def close(self):
        """Close the socket."""
        self.socket.close()

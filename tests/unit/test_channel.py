"""
L{ftpkit.deploy.channel}: lines between the acceptor of C{--workers} and a
worker arrive whole and in order, on a fake socket that takes what it
likes, and descriptors come with their lines however reads cut them.
"""

import array
import socket

from twisted.internet.testing import MemoryReactor
from twisted.trial import unittest

from ftpkit.deploy.channel import Channel, ChannelBusy, LineFramer


class _FakeSocket:
    """
    A non-blocking socket that takes at most C{room} bytes per send
    (none: C{BlockingIOError}), and reads C{reads}, one per C{recvmsg}.

    @ivar sent: every byte sent, in order.
    @ivar descriptors: C{(offset in sent, descriptors)} of each
        C{sendmsg} that carried some.
    """

    def __init__(self, room=0, reads=()):
        self.room = room
        self.sent = bytearray()
        self.descriptors = []
        self.reads = list(reads)

    def fileno(self):
        return 7

    def send(self, data):
        taken = min(self.room, len(data))
        if not taken:
            raise BlockingIOError()
        self.sent += data[:taken]
        self.room -= taken
        return taken

    def sendmsg(self, buffers, ancillary):
        data = b"".join(buffers)
        offset = len(self.sent)
        taken = self.send(data)
        self.descriptors.append((offset, [
            number for _, _, fds in ancillary
            for number in array.array("i", fds)]))
        return taken

    def recvmsg(self, size, ancillarySize):
        if not self.reads:
            raise BlockingIOError()
        data, descriptors = self.reads.pop(0)
        ancillary = []
        if descriptors:
            ancillary.append((socket.SOL_SOCKET, socket.SCM_RIGHTS,
                              array.array("i", descriptors).tobytes()))
        return data, ancillary, 0, None


class _Receiver:
    """
    Records what a L{Channel} passes on.
    """

    def __init__(self):
        self.lines = []
        self.closed = 0
        self.overflowed = 0
        self.drained = 0

    def lineReceived(self, line, descriptors):
        self.lines.append((line, descriptors))

    def channelClosed(self):
        self.closed += 1

    def channelOverflowed(self):
        self.overflowed += 1

    def channelDrained(self):
        self.drained += 1


def channelOn(fake, limit=1 << 20):
    """
    @return: C{(channel, reactor, receiver)}: a L{Channel} on C{fake},
        with a L{MemoryReactor} and a L{_Receiver}.
    """
    reactor = MemoryReactor()
    channel = Channel(fake, reactor, limit)
    channel.receiver = _Receiver()
    return channel, reactor, channel.receiver


class LineFramerTests(unittest.SynchronousTestCase):
    """
    L{LineFramer} gives the same lines wherever the stream is cut.
    """

    def test_everyCut(self):
        """
        Cut at any two places (a line in three pieces, several lines in
        one piece, a piece ending at a line's end or not), the lines are
        the same, and the unended last one is kept back.
        """
        stream = b"took\nping\n\nlogin-ok 12\n10.0.0.1 greeted\npar"
        expected = [b"took", b"ping", b"", b"login-ok 12",
                    b"10.0.0.1 greeted"]
        for first in range(len(stream) + 1):
            for second in range(first, len(stream) + 1):
                framer = LineFramer()
                lines = []
                for piece in (stream[:first], stream[first:second],
                              stream[second:]):
                    lines.extend(framer.feed(piece))
                self.assertEqual(lines, expected, (first, second))
                self.assertEqual(framer.feed(b"t\n"), [b"part"])


class WriteTests(unittest.SynchronousTestCase):
    """
    L{Channel.sendLine}: what the socket does not take waits, whole lines
    after it, written when the socket can take more.
    """

    def test_partialWrite(self):
        """
        A socket that takes part of a line has the rest written first
        when it is writable again, then the lines sent meanwhile: the
        peer reads every line whole, in order; the reactor watches the
        socket for writing only while something waits.
        """
        fake = _FakeSocket(room=3)
        channel, reactor, _ = channelOn(fake)
        self.assertTrue(channel.sendLine(b"failures 10.0.0.1 3"))
        self.assertEqual(bytes(fake.sent), b"fai")
        self.assertEqual(reactor.writers, {channel})
        self.assertTrue(channel.sendLine(b"ping"))
        self.assertEqual(bytes(fake.sent), b"fai")
        fake.room = 10
        channel.doWrite()
        self.assertEqual(reactor.writers, {channel})
        fake.room = 100
        channel.doWrite()
        self.assertEqual(bytes(fake.sent), b"failures 10.0.0.1 3\nping\n")
        self.assertEqual(reactor.writers, set())
        self.assertEqual(channel.queued(), 0)
        self.assertTrue(channel.sendLine(b"pong"))
        self.assertEqual(bytes(fake.sent)[-5:], b"pong\n")
        self.assertEqual(reactor.writers, set())

    def test_full(self):
        """
        A full socket (C{BlockingIOError}) leaves the line waiting, whole.
        """
        fake = _FakeSocket(room=0)
        channel, reactor, _ = channelOn(fake)
        self.assertTrue(channel.sendLine(b"took"))
        channel.doWrite()
        self.assertEqual(channel.queued(), 5)
        fake.room = 100
        channel.doWrite()
        self.assertEqual(bytes(fake.sent), b"took\n")
        self.assertEqual(reactor.writers, set())

    def test_overflow(self):
        """
        Past its limit, the queue takes no more lines (the sender is
        told, and the receiver once), and what waits is still written
        whole.
        """
        fake = _FakeSocket(room=0)
        channel, _, receiver = channelOn(fake, limit=12)
        self.assertTrue(channel.sendLine(b"ping"))
        self.assertTrue(channel.sendLine(b"took"))
        self.assertFalse(channel.sendLine(b"ended ::1"))
        self.assertFalse(channel.sendLine(b"x"))
        self.assertTrue(channel.overflowed)
        self.assertEqual(receiver.overflowed, 1)
        fake.room = 100
        channel.doWrite()
        self.assertEqual(bytes(fake.sent), b"ping\ntook\n")

    def test_peerGone(self):
        """
        A peer gone (an C{OSError} other than C{BlockingIOError}): the
        line is refused, and so are those after it.
        """
        fake = _FakeSocket()
        fake.send = lambda data: (_ for _ in ()).throw(BrokenPipeError())
        channel, reactor, _ = channelOn(fake)
        self.assertFalse(channel.sendLine(b"ping"))
        self.assertFalse(channel.sendLine(b"ping"))
        self.assertEqual(reactor.writers, set())


class DescriptorSendTests(unittest.SynchronousTestCase):
    """
    L{Channel.sendDescriptor}: a connection goes only while nothing waits,
    so that its line is never held behind others.
    """

    def test_busy(self):
        """
        While lines wait, no descriptor is sent (L{ChannelBusy}, an
        C{OSError}); once they are written, it is.
        """
        fake = _FakeSocket(room=2)
        channel, _, _ = channelOn(fake)
        channel.sendLine(b"ping")
        self.assertRaises(ChannelBusy, channel.sendDescriptor, b"::1", 9)
        self.assertEqual(fake.descriptors, [])
        fake.room = 100
        channel.doWrite()
        channel.sendDescriptor(b"::1 greeted", 9)
        self.assertEqual(bytes(fake.sent), b"ping\n::1 greeted\n")
        self.assertEqual(fake.descriptors, [(5, [9])])

    def test_full(self):
        """
        A full socket sends nothing: L{ChannelBusy}; the receiver is told
        once the socket takes more (C{channelDrained}).
        """
        fake = _FakeSocket(room=0)
        channel, reactor, receiver = channelOn(fake)
        self.assertRaises(ChannelBusy, channel.sendDescriptor, b"::1", 9)
        self.assertEqual(channel.queued(), 0)
        self.assertEqual(reactor.writers, {channel})
        fake.room = 100
        channel.doWrite()
        self.assertEqual(reactor.writers, set())
        self.assertEqual(receiver.drained, 1)

    def test_drainedOnceWritten(self):
        """
        The receiver is told when every line that waited is written, not
        before.
        """
        fake = _FakeSocket(room=2)
        channel, _, receiver = channelOn(fake)
        channel.sendLine(b"ping")
        fake.room = 1
        channel.doWrite()
        self.assertEqual(receiver.drained, 0)
        fake.room = 100
        channel.doWrite()
        self.assertEqual(receiver.drained, 1)

    def test_partial(self):
        """
        A line sent in part with its descriptor has its rest written
        before anything else.
        """
        fake = _FakeSocket(room=4)
        channel, reactor, _ = channelOn(fake)
        channel.sendDescriptor(b"10.0.0.1", 9)
        channel.sendLine(b"ping")
        self.assertEqual(reactor.writers, {channel})
        fake.room = 100
        channel.doWrite()
        self.assertEqual(bytes(fake.sent), b"10.0.0.1\nping\n")
        self.assertEqual(fake.descriptors, [(0, [9])])


class ReadTests(unittest.SynchronousTestCase):
    """
    L{Channel.doRead} passes on whole lines, each connection's descriptor
    with its own line, however the reads are cut.
    """

    def test_descriptorWithItsLine(self):
        """
        The kernel sends a descriptor with the first bytes of its line
        and ends the read that brings it within that line (at its end
        when the line was sent whole): cut anywhere else too, every line
        arrives once, whole, and the descriptor with its own line only.
        """
        stream = b"login-ok 1\nping\n10.0.0.1 greeted\nfailures ::1 2\n"
        start = stream.index(b"10.0.0.1")
        end = stream.index(b"\n", start) + 1
        expected = [(b"login-ok 1", []), (b"ping", []),
                    (b"10.0.0.1 greeted", [9]), (b"failures ::1 2", [])]
        for first in range(1, len(stream)):
            for second in range(first + 1, len(stream) + 1):
                cuts = [0, first, second, len(stream)]
                reads = [stream[cuts[i]:cuts[i + 1]] for i in range(3)]
                # The read that brings the descriptor ends in its line.
                carrying = [i for i in range(3)
                            if start < cuts[i + 1] <= end]
                if not carrying or cuts[carrying[0]] > start:
                    continue
                fake = _FakeSocket(reads=[
                    (data, [9] if i == carrying[0] else [])
                    for i, data in enumerate(reads) if data])
                channel, _, receiver = channelOn(fake)
                while fake.reads:
                    self.assertIsNone(channel.doRead())
                self.assertEqual(receiver.lines, expected, reads)

    def test_closed(self):
        """
        End of file: the reactor is told the connection is done; the
        channel's C{connectionLost} tells the receiver.
        """
        channel, _, receiver = channelOn(_FakeSocket(reads=[(b"", [])]))
        self.assertIsNotNone(channel.doRead())
        channel.connectionLost(None)
        self.assertEqual(receiver.closed, 1)
        self.assertFalse(channel.sendLine(b"ping"))

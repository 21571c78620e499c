"""
Tests for L{ftpkit.data.passive}: how a passive listener finds out what waits
in its accept queue; and L{ftpkit.data.descriptors}, which closes listeners.
"""

import errno
import os
import random
import socket
import stat
import time

from twisted.internet import reactor
from twisted.internet.interfaces import IReadDescriptor
from twisted.internet.task import Clock
from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest
from zope.interface.verify import verifyObject

from ftpkit import compat
from ftpkit.data.descriptors import closeSocket
from ftpkit.data.passive import (
    EPHEMERAL_PORTS,
    EXHAUSTED_PAUSE,
    PassiveListener,
    candidatePorts,
    ephemeralPorts,
    queuedConnections,
)
from ftpkit.errors import OutOfDescriptors


class _CountingSocket:
    """
    A listening socket that counts its C{accept} calls.
    """

    def __init__(self, listening):
        self.listening = listening
        self.accepts = 0

    def accept(self):
        self.accepts += 1
        return self.listening.accept()

    def __getattr__(self, name):
        return getattr(self.listening, name)


def _waitForQueue(listening, count):
    """
    Wait (briefly) until C{count} connections are queued on C{listening}:
    the handshake of a loopback connect completes in the kernel at once,
    but give it a moment anyway.
    """
    for _ in range(100):
        if queuedConnections(listening) == count:
            return
        time.sleep(0.01)


class QueuedConnectionsTests(unittest.TestCase):
    """
    L{queuedConnections} reads a listening socket's accept queue length.
    """

    def setUp(self):
        self.listening = socket.socket()
        self.addCleanup(self.listening.close)
        self.listening.bind(("127.0.0.1", 0))
        self.listening.listen(8)
        self.listening.setblocking(False)

    def connect(self):
        client = socket.create_connection(self.listening.getsockname())
        self.addCleanup(client.close)
        return client

    def test_counts(self):
        """
        Zero at first, then one per connection not yet accepted.
        """
        self.assertEqual(queuedConnections(self.listening), 0)
        self.connect()
        self.connect()
        _waitForQueue(self.listening, 2)
        self.assertEqual(queuedConnections(self.listening), 2)
        accepted, _ = self.listening.accept()
        accepted.close()
        self.assertEqual(queuedConnections(self.listening), 1)

    def test_notListening(self):
        """
        A socket that is not listening cannot tell: C{None}.
        """
        self.assertIsNone(queuedConnections(self.connect()))
        unbound = socket.socket()
        self.addCleanup(unbound.close)
        self.assertIsNone(queuedConnections(unbound))

    def test_discardQueuedSkipsEmptyQueue(self):
        """
        L{PassiveListener.discardQueued} does not call C{accept} on an
        empty queue (a failing C{accept} costs an exception), and still
        discards everything queued otherwise.
        """
        counting = _CountingSocket(self.listening)
        listener = PassiveListener(reactor, counting, None,
                                   port=self.listening.getsockname()[1])
        discarded = []

        def discard(connection, address):
            connection.close()
            discarded.append(address)

        listener.discardQueued(discard)
        self.assertEqual((counting.accepts, discarded), (0, []))
        self.connect()
        self.connect()
        _waitForQueue(self.listening, 2)
        listener.discardQueued(discard)
        self.assertEqual(len(discarded), 2)
        self.assertEqual(queuedConnections(self.listening), 0)

    def test_doReadKeepsListening(self):
        """
        L{PassiveListener.doRead} (called by the reactor) accepts a
        connection and returns C{None} whatever C{onAccept} did with it: a
        true value would make the reactor drop the listener.
        """
        accepted = []

        def refuse(connection, address):
            accepted.append(address)
            connection.close()

        listener = PassiveListener(reactor, self.listening, refuse,
                                   port=self.listening.getsockname()[1])
        self.connect()
        _waitForQueue(self.listening, 1)
        self.assertIsNone(listener.doRead())
        self.assertEqual(len(accepted), 1)
        self.assertIsNone(listener.doRead())
        self.assertEqual(len(accepted), 1)

    def test_doReadDrainsWhileWatched(self):
        """
        While watched, L{PassiveListener.doRead} accepts every queued
        connection (one each time let strangers connecting as fast as they
        could keep the queue full, and the client out), until its owner
        stops watching it (the client's came).
        """
        watched = _Watching()
        kept = []

        def refuse(connection, address):
            kept.append(address)
            connection.close()
            if len(kept) == 3:
                listener.stopReading()

        listener = PassiveListener(watched, self.listening, refuse,
                                   port=self.listening.getsockname()[1])
        listener.startReading()
        for _ in range(5):
            self.connect()
        _waitForQueue(self.listening, 5)
        self.assertIsNone(listener.doRead())
        self.assertEqual(len(kept), 3)
        self.assertEqual(watched.readers, [])

    def test_doReadAsksAdmits(self):
        """
        L{PassiveListener.doRead} asks C{admits} before each accept: once
        it says no, the listener stops reading and the rest stay queued.
        """
        watched = _Watching()
        kept = []

        def keep(connection, address):
            kept.append(address)
            connection.close()

        listener = PassiveListener(watched, self.listening, keep,
                                   port=self.listening.getsockname()[1])
        listener.admits = lambda: len(kept) < 2
        listener.startReading()
        for _ in range(3):
            self.connect()
        _waitForQueue(self.listening, 3)
        self.assertIsNone(listener.doRead())
        self.assertEqual((len(kept), listener.reading, watched.readers),
                         (2, False, []))
        self.assertEqual(queuedConnections(self.listening), 1)

class _Watching:
    """
    The reactor methods a L{PassiveListener} being watched calls.
    """

    def __init__(self):
        self.readers = []

    def addReader(self, reader):
        self.readers.append(reader)

    def removeReader(self, reader):
        self.readers.remove(reader)


class CandidatePortsTests(unittest.SynchronousTestCase):
    """
    Passive ports are tried in a random order within the range.
    """

    def test_smallRangeShuffled(self):
        ports = list(candidatePorts((5000, 5009), rng=random.Random(1)))
        self.assertEqual(sorted(ports), list(range(5000, 5010)))

    def test_largeRangeDistinctAndBounded(self):
        ports = list(candidatePorts((2000, 60000), attempts=20,
                                    rng=random.Random(2)))
        self.assertEqual(len(ports), 20)
        self.assertEqual(len(set(ports)), 20)
        self.assertTrue(all(2000 <= port <= 60000 for port in ports))

    def test_ephemeralFallsBackToAnyPort(self):
        ports = list(candidatePorts(EPHEMERAL_PORTS, attempts=3))
        self.assertEqual(ports[-1], 0)
        self.assertEqual(len(ports), 4)

    def test_largeRangeBoundsIncluded(self):
        """
        A large range's ports are picked from C{low} to C{high}, both
        included, and never past them.
        """
        class Bounds:
            """
            Picks the highest port C{randint} may give, then the lowest
            and the next.
            """

            offsets = iter([None, 0, 1])

            def randint(self, low, high):
                offset = next(self.offsets)
                return high if offset is None else low + offset

        ports = list(candidatePorts((2000, 60000), attempts=3, rng=Bounds()))
        self.assertEqual(ports, [60000, 2000, 2001])

    def test_ephemeralNeverPrivileged(self):
        """
        A kernel range starting below 1024 gives passive ports from 1024
        on; a range file that cannot be read, Linux's default range.
        """
        rangeFile = self.mktemp()
        with open(rangeFile, "w") as f:
            f.write("80\t60999\n")
        self.assertEqual(ephemeralPorts(rangeFile), (1024, 60999))
        self.assertEqual(ephemeralPorts(rangeFile + ".none"), (32768, 60999))


class PassiveListenerTests(unittest.TestCase):
    """
    L{PassiveListener.listen} binds where it can.
    """

    def test_foreignInterfaceFallsBackToAll(self):
        """
        An address that is not this host's (a load balancer's, reported by
        the PROXY protocol) makes the listener bind every address.
        """
        from twisted.internet.protocol import Factory

        from ftpkit.data.passive import PassiveListener

        listener = PassiveListener.listen(
            reactor, Factory(), "192.0.2.10", (20000, 60000))
        self.addCleanup(listener.stopListening)
        self.assertEqual(listener.socket.getsockname()[0], "0.0.0.0")
        with socket.create_connection(("127.0.0.1", listener.port),
                                      timeout=5):
            pass


    def test_readDescriptor(self):
        """
        A listener is an C{IReadDescriptor}, which the reactor watches:
        aad4e0c moved the declaration to the exception above it.
        """
        listener = PassiveListener.listen(
            reactor, lambda *args: None, "127.0.0.1", None)
        self.addCleanup(listener.stopListening)
        verifyObject(IReadDescriptor, listener)
        self.assertFalse(IReadDescriptor.implementedBy(OutOfDescriptors))


class OutOfDescriptorsTests(unittest.TestCase):
    """
    A watched listener whose client's connection cannot be accepted for
    want of descriptors stops being watched for a while.
    """

    def setUp(self):
        self.reactor = MemoryReactorClock()
        self.accepted = []
        self.listener = PassiveListener.listen(
            self.reactor, lambda *accepted: self.accepted.append(accepted),
            "127.0.0.1", None)
        self.addCleanup(self.listener.socket.close)
        client = socket.create_connection(("127.0.0.1", self.listener.port))
        self.addCleanup(client.close)
        self.addCleanup(lambda: [each.close() for each, _ in self.accepted])
        _waitForQueue(self.listener.socket, 1)

        def exhausted(listening, family):
            raise OSError(errno.EMFILE, "Too many open files")
        self.patch(compat, "acceptBare", exhausted)

    def test_restsThenWatchesAgain(self):
        """
        C{EMFILE} (the connection stays queued, so C{epoll} reports the
        listener ready at every turn: the reactor spun at full CPU until
        descriptors were freed) takes the listener out of the reactor for
        L{EXHAUSTED_PAUSE} seconds; then it is watched, and accepts, again.
        """
        self.listener.startReading()
        self.listener.doRead()
        self.assertNotIn(self.listener, self.reactor.readers)
        self.assertTrue(self.listener.reading)
        self.patch(compat, "acceptBare", compat.eventloop.acceptBare)
        self.reactor.advance(EXHAUSTED_PAUSE)
        self.assertIn(self.listener, self.reactor.readers)
        self.listener.doRead()
        self.assertEqual(len(self.accepted), 1)

    def test_stoppedWhileResting(self):
        """
        A listener its owner stops watching while it rests leaves no timer
        and is not watched again.
        """
        self.listener.startReading()
        self.listener.doRead()
        self.listener.stopListening()
        self.reactor.advance(EXHAUSTED_PAUSE)
        self.assertNotIn(self.listener, self.reactor.readers)
        self.assertEqual(self.reactor.getDelayedCalls(), [])


class CloseSocketTests(unittest.TestCase):
    """
    L{closeSocket} closes a socket at once but frees its descriptor number
    only on the reactor's next turn.
    """

    def test_closedNowNumberFreedLater(self):
        clock = Clock()
        with socket.create_server(("127.0.0.1", 0)) as listening:
            client = socket.create_connection(listening.getsockname())
            self.addCleanup(client.close)
            server, _ = listening.accept()
        number = server.fileno()
        closeSocket(clock, server)
        self.assertEqual(server.fileno(), -1)
        self.assertEqual(client.recv(10), b"")  # Closed: FIN already sent.
        self.assertFalse(stat.S_ISSOCK(os.fstat(number).st_mode))
        clock.advance(0)
        self.assertEqual(clock.getDelayedCalls(), [])
        self.assertRaises(OSError, os.fstat, number)

    async def test_freedAfterTheTurnWithoutTimedCall(self):
        """
        On a real reactor the number is freed once the reactor has turned,
        and no timed call is made for it.
        """
        from twisted.internet import reactor, task

        with socket.create_server(("127.0.0.1", 0)) as listening:
            client = socket.create_connection(listening.getsockname())
            self.addCleanup(client.close)
            server, _ = listening.accept()
        number = server.fileno()
        calls = reactor.getDelayedCalls()
        closeSocket(reactor, server)
        self.assertEqual(reactor.getDelayedCalls(), calls)
        self.assertFalse(stat.S_ISSOCK(os.fstat(number).st_mode))
        await task.deferLater(reactor, 0, lambda: None)
        self.assertRaises(OSError, os.fstat, number)

    def _connectedPair(self):
        """
        @return: C{(server, client)}: two connected sockets; the client
            is closed when the test ends.
        """
        with socket.create_server(("127.0.0.1", 0)) as listening:
            client = socket.create_connection(listening.getsockname())
            self.addCleanup(client.close)
            server, _ = listening.accept()
        return server, client

    def test_numbersOfATurnFreedTogether(self):
        """
        The numbers of every socket closed in one turn are freed by one
        call on the next.
        """
        clock = Clock()
        sockets = [self._connectedPair()[0] for _ in range(3)]
        numbers = [each.fileno() for each in sockets]
        for each in sockets:
            closeSocket(clock, each)
        self.assertEqual(len(clock.getDelayedCalls()), 1)
        clock.advance(0)
        for number in numbers:
            self.assertRaises(OSError, os.fstat, number)

    def test_neverWatchedFreedAtOnce(self):
        """
        A socket the reactor never watched can have no stale event: it is
        closed and its number freed at once.
        """
        clock = Clock()
        server, client = self._connectedPair()
        number = server.fileno()
        closeSocket(clock, server, watched=False)
        self.assertEqual(server.fileno(), -1)
        self.assertEqual(client.recv(10), b"")
        self.assertRaises(OSError, os.fstat, number)
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_leanConnectionSentAtOnce(self):
        """
        A L{LeanConnection} whose transfer never waited frees its number
        when it finishes without lingering (an upload's); one whose
        transfer waited (L{LeanConnection.watch}) keeps it taken until the
        reactor's next turn. (A download's lingering close is
        L{tests.unit.test_linger}'s.)
        """
        from ftpkit.data.connection import LeanConnection

        clock = Clock()
        quick = LeanConnection(self._connectedPair()[0], clock, 30,
                               lambda: None)
        number = quick.socket.fileno()
        quick.finish(linger=False)
        self.assertRaises(OSError, os.fstat, number)

        waited = LeanConnection(self._connectedPair()[0], clock, 30,
                                lambda: None)
        number = waited.socket.fileno()
        waited.watch()
        waited.finish(linger=False)
        self.assertFalse(stat.S_ISSOCK(os.fstat(number).st_mode))
        clock.advance(0)
        self.assertRaises(OSError, os.fstat, number)


class AcceptBareTests(unittest.TestCase):
    """
    L{compat.acceptBare} accepts as C{socket.accept} does, without the wrapper.
    """

    def accepted(self, family, host):
        """
        @return: the client socket and what L{compat.acceptBare} gave for it.
        """
        try:
            listening = socket.socket(family, socket.SOCK_STREAM)
            listening.bind((host, 0))
        except OSError:
            raise unittest.SkipTest(f"no {host}") from None
        self.addCleanup(listening.close)
        listening.listen(1)
        listening.setblocking(False)
        self.assertRaises(BlockingIOError, compat.acceptBare, listening,
                          listening.family)
        client = socket.create_connection(listening.getsockname()[:2])
        self.addCleanup(client.close)
        sock, address = compat.acceptBare(listening, listening.family)
        self.addCleanup(sock.close)
        return client, sock, address

    def test_ipv4(self):
        """
        An IPv4 connection: its address, non-blocking, bytes both ways.
        """
        self.assertConnected(*self.accepted(socket.AF_INET, "127.0.0.1"))

    def test_ipv6(self):
        """
        Likewise over IPv6.
        """
        self.assertConnected(*self.accepted(socket.AF_INET6, "::1"))

    def assertConnected(self, client, sock, address):
        """
        C{sock} is the non-blocking server end of C{client}'s connection,
        accepted from C{address}.
        """
        self.assertEqual(address[:2], client.getsockname()[:2])
        self.assertEqual(sock.family, client.family)
        self.assertEqual(sock.gettimeout(), 0.0)
        self.assertRaises(BlockingIOError, sock.recv, 1)
        client.sendall(b"up")
        sock.send(b"down")
        self.assertEqual(client.recv(4), b"down")
        self.assertEqual(sock.getpeername()[:2], client.getsockname()[:2])

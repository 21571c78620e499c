"""
Tests for L{ftpkit.data.inplace}, and for small uploads that wait for
their client in place (L{ftpkit.data.movers._splice.SpliceReceiver}).
"""

import os
import select
import socket
import threading
import time

from twisted.internet import defer
from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.data.connection import LeanConnection
from ftpkit.data.inplace import pollerFor, waitInPlace
from ftpkit.data.movers import Upload
from ftpkit.data.movers import _splice as splicing
from ftpkit.errors import TransferAborted
from ftpkit.fileinfo import FileDescriptor
from tests.unit.test_linger import _EpollClock
from tests.unit.test_movers import DescriptorOnlyFile
from tests.uploadbatches import connectedPair


def _sendSoon(testCase, client, pieces, end=True):
    """
    Send C{pieces} from a thread, a little after each other, then end the
    client's side.
    """
    def send():
        for piece in pieces:
            time.sleep(0.02)
            client.sendall(piece)
        if end:
            client.shutdown(socket.SHUT_WR)
    sending = threading.Thread(target=send, daemon=True)
    sending.start()
    testCase.addCleanup(sending.join, 10)


def _makeBusy(testCase, reactor):
    """
    Give C{reactor}'s C{epoll} object a ready descriptor, as a reactor
    with an event to handle has.

    @return: that descriptor's socket: reading what it holds makes the
        reactor idle again.
    """
    a, b = socket.socketpair()
    testCase.addCleanup(a.close)
    testCase.addCleanup(b.close)
    reactor._poller.register(a.fileno(), select.EPOLLIN)
    b.send(b"ready")
    return a


class WaitInPlaceTests(unittest.TestCase):
    """
    L{waitInPlace} waits for a socket while the reactor has nothing else
    to do.
    """

    def setUp(self):
        self.reactor = _EpollClock()
        self.addCleanup(self.reactor._poller.close)
        self.client, self.server = connectedPair(self)

    def test_readable(self):
        """
        A socket that becomes readable ends the wait: C{True}.
        """
        _sendSoon(self, self.client, [b"x"], end=False)
        self.assertTrue(waitInPlace(self.reactor, self.server, 10))

    def test_timeout(self):
        """
        Nothing comes within the timeout: C{False}.
        """
        self.assertFalse(waitInPlace(self.reactor, self.server, 0.01))

    def test_reactorBusy(self):
        """
        The reactor has an event ready: C{False}, without waiting for the
        socket.
        """
        _makeBusy(self, self.reactor)
        self.assertFalse(waitInPlace(self.reactor, self.server, 10))

    def test_threadCallsQueued(self):
        """
        Calls queued for the reactor's next turn: C{False}.
        """
        self.reactor.threadCallQueue = [(lambda: None, (), {})]
        self.assertFalse(waitInPlace(self.reactor, self.server, 10))

    def test_timedCallDue(self):
        """
        A timed call due now: C{False}.
        """
        self.reactor.callLater(0, lambda: None)
        self.assertFalse(waitInPlace(self.reactor, self.server, 10))

    def test_withoutEpoll(self):
        """
        A reactor without an C{epoll} descriptor: C{False} at once, and no
        poller.
        """
        self.assertIsNone(pollerFor(Clock()))
        self.assertFalse(waitInPlace(Clock(), self.server, 10))

    def test_socketLeftOut(self):
        """
        The socket is not left in the reactor's poller after the wait.
        """
        waitInPlace(self.reactor, self.server, 0.01)
        poller = pollerFor(self.reactor)
        self.assertEqual(poller.poll(0), [])


class SpliceInPlaceTests(unittest.TestCase):
    """
    A small upload's receiver waits for its client in place while the
    reactor is idle, and in the reactor otherwise.
    """

    def setUp(self):
        if not splicing.available:
            raise unittest.SkipTest("no splice(2) here")
        self.reactor = _EpollClock()
        self.addCleanup(self.reactor._poller.close)
        self.client, self.server = connectedPair(self)
        self.connection = LeanConnection(self.server, self.reactor, 60.0,
                                         lambda: None)
        self.addCleanup(self.connection.abort)
        self.fd = os.open(self.mktemp(), os.O_RDWR | os.O_CREAT)
        self.addCleanup(os.close, self.fd)
        self.committed = []

    def upload(self):
        """
        @return: the Deferred of an upload into the file, started.
        """
        descriptor = FileDescriptor(
            self.fd, 0, None, defer.maybeDeferred, self.committed.append,
            None, defer.maybeDeferred)
        mover = Upload(DescriptorOnlyFile(descriptor), True, self.reactor)
        return defer.ensureDeferred(mover.start(self.connection))

    def test_waitsInPlace(self):
        """
        A client that sends after the upload started: the upload is
        over when C{start} returns, the socket never watched by the
        reactor, no watchdog left.
        """
        _sendSoon(self, self.client, [b"hello"])
        done = self.upload()
        self.assertEqual(self.successResultOf(done), 5)
        self.assertEqual(self.committed, [5])
        self.assertEqual(os.pread(self.fd, 100, 0), b"hello")
        self.assertEqual(self.reactor.readers, [])
        self.assertEqual(self.reactor.getDelayedCalls(), [])

    def test_inPieces(self):
        """
        Bytes that come in pieces are moved as they come, each wait in
        place.
        """
        pieces = [os.urandom(5000) for _ in range(4)]
        _sendSoon(self, self.client, pieces)
        done = self.upload()
        self.assertEqual(self.successResultOf(done), 20000)
        self.assertEqual(os.pread(self.fd, 30000, 0), b"".join(pieces))
        self.assertEqual(self.reactor.readers, [])

    def test_reactorBusy(self):
        """
        The reactor has an event ready: the upload waits in the reactor,
        its watchdog running, and goes on when the socket is readable.
        """
        _makeBusy(self, self.reactor)
        done = self.upload()
        self.assertNoResult(done)
        [receiver] = self.reactor.readers
        self.assertEqual(len(self.reactor.getDelayedCalls()), 1)
        self.client.sendall(b"later")
        self.client.shutdown(socket.SHUT_WR)
        receiver.doRead()
        self.assertEqual(self.successResultOf(done), 5)
        self.assertEqual(self.reactor.readers, [])

    def test_othersRunning(self):
        """
        While another upload runs, an upload waits in the reactor, even
        with the reactor idle; none is counted as running once both are
        over.
        """
        ready = _makeBusy(self, self.reactor)
        first = self.upload()
        [firstReceiver] = self.reactor.readers
        ready.recv(100)  # The reactor is idle again.
        inPlace = []
        self.patch(splicing, "waitInPlace",
                   lambda *args: inPlace.append(args) or False)
        otherClient, otherServer = connectedPair(self)
        otherConnection = LeanConnection(otherServer, self.reactor, 60.0,
                                         lambda: None)
        self.addCleanup(otherConnection.abort)
        otherFD = os.open(self.mktemp(), os.O_RDWR | os.O_CREAT)
        self.addCleanup(os.close, otherFD)
        descriptor = FileDescriptor(
            otherFD, 0, None, defer.maybeDeferred, None, None,
            defer.maybeDeferred)
        second = defer.ensureDeferred(Upload(
            DescriptorOnlyFile(descriptor), True, self.reactor).start(
                otherConnection))
        self.assertNoResult(second)
        self.assertEqual(inPlace, [])
        secondReceiver = self.reactor.readers[1]
        otherClient.close()
        secondReceiver.doRead()
        self.assertEqual(self.successResultOf(second), 0)
        self.client.close()
        firstReceiver.doRead()
        self.assertEqual(self.successResultOf(first), 0)
        self.assertEqual(splicing._receiving, 0)

    def test_clientSilent(self):
        """
        A client that sends nothing for L{splicing.IN_PLACE_TIMEOUT}: the
        upload waits in the reactor.
        """
        self.patch(splicing, "IN_PLACE_TIMEOUT", 0.01)
        done = self.upload()
        self.assertNoResult(done)
        self.assertEqual(len(self.reactor.readers), 1)
        self.connection.abort()
        self.failureResultOf(done, TransferAborted)

"""
A worker of C{--workers} that cannot start a session on a connection the
acceptor handed it (the client was gone already: a balancer's health
check resets its connections) tells the acceptor the session ended, so
the acceptor's per-address count does not keep it forever.
"""

import socket

from twisted.internet import defer, reactor
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import Clock
from twisted.internet.testing import MemoryReactor
from twisted.logger import Logger
from twisted.trial import unittest

from ftpkit.deploy.channel import LOST, Channel
from ftpkit.deploy.greetings import connectionHost, wasGreeted
from ftpkit.deploy.worker import (
    LOST_LINES,
    ConnectionReceiver,
    ReceiveConnections,
)
from ftpkit.shells.uploads import temporaryTag


def workerLink(testCase):
    """
    @param testCase: the running test, which closes both ends as it ends.
    @return: C{(acceptorEnd, workerEnd)}: a worker's link to its acceptor
        (a UNIX socket pair), the worker's end a non-blocking L{Channel},
        the acceptor's a socket waiting up to 10 s for each read.
    """
    acceptorEnd, workerEnd = socket.socketpair(socket.AF_UNIX,
                                               socket.SOCK_STREAM)
    testCase.addCleanup(acceptorEnd.close)
    testCase.addCleanup(workerEnd.close)
    workerEnd.setblocking(False)
    acceptorEnd.settimeout(10)
    return acceptorEnd, Channel(workerEnd, reactor)


def receiving(channel, factory):
    """
    @param channel: a worker's L{Channel}.
    @param factory: its sessions' factory.
    @return: a L{ConnectionReceiver} receiving what the channel reads.
    """
    channel.receiver = ConnectionReceiver(reactor, channel, factory)
    return channel.receiver


def loggedReceiver(channel):
    """
    @param channel: a worker's L{Channel}.
    @return: the list that the log events of a L{ConnectionReceiver} on
        it go to (its sessions plain L{Protocol}s).
    """
    factory = Factory.forProtocol(Protocol)
    factory.userSessions = None
    logged = []
    receiving(channel, factory).log = Logger(observer=logged.append)
    return logged


class ConnectionHostTests(unittest.TestCase):
    """
    L{connectionHost} finds the address sent with a descriptor.
    """

    def test_host(self):
        """
        The address is the line's first word.
        """
        self.assertEqual(connectionHost(b"127.0.0.9"), b"127.0.0.9")
        self.assertEqual(connectionHost(b"::1"), b"::1")

    def test_none(self):
        """
        An empty line has none: C{None}.
        """
        self.assertIsNone(connectionHost(b""))

    def test_greeted(self):
        """
        A connection handed on as greeted has its address before the
        word C{greeted} (L{wasGreeted}); others are not greeted.
        """
        self.assertEqual(connectionHost(b"::1 greeted"), b"::1")
        self.assertTrue(wasGreeted(b"::1 greeted"))
        self.assertFalse(wasGreeted(b"::1"))
        self.assertFalse(wasGreeted(b""))


class AdoptionFailureTests(unittest.TestCase):
    """
    L{ConnectionReceiver} releases a connection it could not adopt.
    """

    def test_released(self):
        """
        A descriptor that is no connection (its peer is gone) is answered
        with C{ended HOST}, HOST being the address it came with (then
        C{took}, as every descriptor received is), and no
        warning is logged (HAProxy's health checks do this every few
        hundred milliseconds).
        """
        acceptorEnd, workerEnd = workerLink(self)
        gone = socket.socket()
        self.addCleanup(gone.close)
        socket.send_fds(acceptorEnd, [b"127.0.0.9\n"], [gone.fileno()])
        logged = loggedReceiver(workerEnd)
        workerEnd.doRead()
        self.assertEqual(acceptorEnd.recv(100), b"ended 127.0.0.9\ntook\n")
        self.assertEqual(logged, [])


class NoDescriptorTests(unittest.TestCase):
    """
    A worker with no descriptor free for a connection the acceptor sent
    says so.
    """

    def test_lost(self):
        """
        The line comes without its descriptor (the kernel dropped it:
        C{MSG_CTRUNC}): the worker answers C{lost}, and logs a warning.
        It answered nothing, and the acceptor killed it as hung after
        L{ftpkit.deploy.handover.ANSWER_TIMEOUT}, with every session it
        served.
        """
        acceptorEnd, workerEnd = workerLink(self)
        acceptorEnd.sendall(b"127.0.0.9\n")
        received = socket.recv_fds

        def truncated(*args):
            data, descriptors, flags, address = received(*args)
            return data, descriptors, flags | socket.MSG_CTRUNC, address
        self.patch(socket, "recv_fds", truncated)
        logged = loggedReceiver(workerEnd)
        workerEnd.doRead()
        self.assertEqual(acceptorEnd.recv(100), b"lost\n")
        self.assertEqual([event["log_level"].name for event in logged],
                         ["warn"])


class _Lines:
    """
    A channel's sending end that keeps the lines sent.
    """

    def __init__(self):
        self.sent = []

    def sendLine(self, line):
        self.sent.append(line)


class NoDescriptorLinesTests(unittest.TestCase):
    """
    The warnings of connections a worker had no descriptor for are
    bounded: a client can have them come as fast as it connects while the
    worker is out of descriptors.
    """

    def test_bounded(self):
        """
        L{LOST_LINES} a minute, then one line counting the others; each
        connection is still answered C{lost}. There was a line for each
        (found by the thirty-sixth attack sweep: 50 connections, 50
        lines, the acceptor's own refusals of them bounded).
        """
        clock = Clock()
        channel = _Lines()
        receiver = ConnectionReceiver(clock, channel, None)
        logged = []
        receiver.log = Logger(observer=logged.append)
        for _ in range(LOST_LINES + 20):
            receiver.lineReceived(b"127.0.0.9", [LOST])
        self.assertEqual(channel.sent, [b"lost"] * (LOST_LINES + 20))
        self.assertEqual(len(logged), LOST_LINES)
        clock.advance(60)
        self.assertEqual(len(logged), LOST_LINES + 1)
        self.assertIn("20 more", logged[-1]["log_format"].format(
            **logged[-1]))


class PingTests(unittest.TestCase):
    """
    L{ConnectionReceiver} answers the acceptor's pings.
    """

    def test_pong(self):
        """
        Each C{ping} line is answered C{pong}, also when it came in two
        reads, or with a connection's address.
        """
        acceptorEnd, workerEnd = workerLink(self)
        factory = Factory.forProtocol(Protocol)
        factory.userSessions = None
        receiving(workerEnd, factory)
        acceptorEnd.sendall(b"pi")
        workerEnd.doRead()
        acceptorEnd.sendall(b"ng\nlogin-ok 3\nping\n")
        workerEnd.doRead()
        self.assertEqual(acceptorEnd.recv(100), b"pong\npong\n")


class SweepLineTests(unittest.TestCase):
    """
    L{ConnectionReceiver} takes in the acceptor's sweep at start
    (L{ftpkit.deploy.pendingsweep}).
    """

    def test_sweeping(self):
        """
        C{sweeping} starts a worker's look for crashed uploads at each
        resume, C{swept} ends it.
        """
        import time

        from ftpkit.deploy.pendingsweep import SWEPT_LINE, sweepingLine
        from ftpkit.shells import uploads

        self.addCleanup(uploads.endSweep)
        acceptorEnd, workerEnd = workerLink(self)
        factory = Factory.forProtocol(Protocol)
        factory.userSessions = None
        receiving(workerEnd, factory)
        acceptorEnd.sendall(sweepingLine(time.time()) + b"\n")
        workerEnd.doRead()
        self.assertTrue(uploads.sweepPending())
        acceptorEnd.sendall(SWEPT_LINE + b"\n")
        workerEnd.doRead()
        self.assertFalse(uploads.sweepPending())


class _Greeter(Protocol):
    """
    A session that greets as it starts, and says when it ended.
    """

    def connectionMade(self):
        self.factory.sessions.append(self)
        self.transport.write(b"220 hello\r\n")

    def connectionLost(self, reason):
        self.factory.ended.callback(None)


class GreetedBeforeTookTests(unittest.TestCase):
    """
    L{ConnectionReceiver} acknowledges a connection (C{took}) only once its
    client can read its greeting: a worker dying before that has the
    acceptor hand the connection to another worker (which greets it),
    instead of leaving the client without one.
    """

    def test_greetedFirst(self):
        """
        When the acceptor reads C{took}, the greeting is in the client's
        socket already.
        """
        acceptorEnd, workerEnd = workerLink(self)
        client, served = socket.socketpair(socket.AF_UNIX,
                                           socket.SOCK_STREAM)
        self.addCleanup(client.close)
        self.addCleanup(served.close)
        served.setblocking(False)
        socket.send_fds(acceptorEnd, [b"127.0.0.9\n"], [served.fileno()])
        factory = Factory.forProtocol(_Greeter)
        factory.userSessions = None
        factory.sessions = []
        factory.ended = defer.Deferred()
        receiving(workerEnd, factory)
        workerEnd.doRead()
        self.assertEqual(acceptorEnd.recv(100), b"took\n")
        client.setblocking(False)
        self.assertEqual(client.recv(100), b"220 hello\r\n")
        factory.sessions[0].transport.loseConnection()
        return factory.ended


class ReadyTests(unittest.TestCase):
    """
    L{ReceiveConnections} says the worker is ready once it runs.
    """

    def test_readyOnceRunning(self):
        """
        C{ready} is sent when the reactor runs, after every service
        started (the worker's C{SIGHUP} handler among them), not as the
        receiving service starts.
        """
        acceptorEnd, workerEnd = workerLink(self)
        acceptorEnd.setblocking(False)
        fake = MemoryReactor()
        receiving = ReceiveConnections(workerEnd, Factory(), reactor=fake)
        receiving.startService()
        self.assertRaises(BlockingIOError, acceptorEnd.recv, 100)
        fake.run()
        self.assertEqual(acceptorEnd.recv(100),
                         b"ready " + temporaryTag() + b"\n")

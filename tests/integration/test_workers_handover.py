"""
C{--workers}: the acceptor keeps each connection it hands a worker until
the worker acknowledges it, and pings each worker every few seconds. A
worker that is stopped or stuck is noticed, killed and replaced, its
clients greeted by another worker (they hung without a greeting), even
while it is handed no connection; a connection handed to a worker that
dies before taking it goes to another worker (the client got end of file).
"""

import os
import re
import signal
import socket

from twisted.internet.testing import MemoryReactorClock
from twisted.logger import LogLevel, formatEvent, globalLogPublisher
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.deploy.greetings import DIE_AFTER_GREETING
from ftpkit.deploy.handover import ANSWER_TIMEOUT, Handovers
from ftpkit.deploy.workers import WorkerPool, _Worker
from tests.scratch import scratchDirectory
from tests.serverprocess import TIMEOUT, ServerProcess, childrenOf
from tests.workerpools import ProcessTransport

READY = " ready\n"
"""What the acceptor logs when a worker is ready."""

HUNG = "; killing it and starting another"
"""What the acceptor logs when it kills a hung worker."""

HUNG_ON_PING = "did not answer a ping within"
"""What it logs when that worker held no connection."""


class HandoversTests(unittest.SynchronousTestCase):
    """
    L{Handovers}: the bookkeeping, without a reactor.
    """

    def test_oldestFirst(self):
        """
        Acknowledgements take the connections in the order they were
        sent; L{Handovers.overdue} counts from the oldest one.
        """
        handovers = Handovers(timeout=5)
        self.assertIsNone(handovers.overdue(0))
        self.assertIsNone(handovers.acknowledged())
        handovers.sent("first", "h1", 10)
        handovers.sent("second", "h2", 12)
        self.assertEqual(handovers.overdue(11), 4)
        self.assertEqual(handovers.acknowledged(), "first")
        self.assertEqual(handovers.overdue(17), 0)
        self.assertEqual(handovers.takeAll(), [("second", "h2")])
        self.assertEqual(len(handovers), 0)


class PoolHandoverTests(unittest.SynchronousTestCase):
    """
    L{WorkerPool} with in-memory workers.
    """

    def setUp(self):
        self.pool = WorkerPool(2, [], [], ServerConfig(),
                               reactor=MemoryReactorClock())
        self.started = []
        self.pool._startWorker = lambda: self.started.append(True)
        self.channels = []
        for _ in range(2):
            ours, theirs = socket.socketpair()
            ours.setblocking(False)
            self.addCleanup(ours.close)
            self.addCleanup(theirs.close)
            worker = _Worker(self.pool, ours)
            worker.ready = True
            worker.transport = ProcessTransport()
            self.pool.workers.append(worker)
            self.channels.append(theirs)

    def dispatch(self):
        """
        @return: the client end of a connection dispatched now.
        """
        server, client = socket.socketpair()
        self.addCleanup(client.close)
        self.pool.dispatch(server, "127.0.0.7")
        return client

    def received(self, channel):
        """
        @return: the descriptors a worker's end received (the caller
            closes them).
        """
        _, descriptors, _, _ = socket.recv_fds(channel, 4096, 8)
        return descriptors

    def test_hungWorkerKilled(self):
        """
        A worker that does not acknowledge a connection within
        L{ANSWER_TIMEOUT} is killed and gets no more connections; when it
        ended, the connection goes to the other worker and another worker
        is started.
        """
        first, second = self.pool.workers
        self.dispatch()
        self.pool.reactor.advance(ANSWER_TIMEOUT)
        self.assertEqual(first.transport.signals, ["KILL"])
        self.assertEqual(second.transport.signals, [])
        for descriptor in self.received(self.channels[0]):
            os.close(descriptor)
        self.dispatch()
        self.assertEqual(second.sessions, 1)
        first.processEnded(Failure(Exception("killed")))
        self.assertEqual(self.pool.workers, [second])
        self.assertEqual(second.sessions, 2)
        self.assertEqual(len(second.handovers), 2)
        self.assertEqual(self.started, [True])
        self.assertEqual(self.pool.limiter.sessionsByHost["127.0.0.7"], 2)

    def test_exitNamesWorker(self):
        """
        The error line of a worker that exited names its process, as the
        line of one killed as hung does: it said only C{worker exited},
        and under C{--workers 8} the operator could not tell which.
        """
        first, second = self.pool.workers
        first.makeConnection(first.transport)
        logged = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        first.processEnded(Failure(Exception("killed")))
        lines = [formatEvent(event) for event in logged
                 if event.get("log_level") == LogLevel.error]
        self.assertEqual(lines, ["worker 4321 exited (killed); 0 "
                                 "session(s) cut; starting another"])

    def test_uploadsSweptUnlessStopping(self):
        """
        A worker that exited has its upload tag given to the
        C{uploadsHooks}, unless the server stops (the next start sweeps).
        """
        first, second = self.pool.workers
        first.uploadTag, second.uploadTag = b"abc123", b"def456"
        swept = []
        self.pool.uploadsHooks.append(swept.append)
        first.processEnded(Failure(Exception("killed")))
        self.assertEqual(swept, [b"abc123"])
        self.pool._stopping = True
        second.processEnded(Failure(Exception("killed")))
        self.assertEqual(swept, [b"abc123"])

    def test_readyHooks(self):
        """
        A worker that says it is ready is given to the C{readyHooks}
        (the sweep at start spares its uploads and tells it it runs).
        """
        first, second = self.pool.workers
        told = []
        self.pool.readyHooks.append(told.append)
        self.pool._accepting = True
        self.pool.workerReady(second)
        self.assertEqual(told, [second])

    def test_reloadOnceReady(self):
        """
        C{SIGHUP} reaches a worker still starting once it is ready (it may
        have read the users file before it changed), and a ready one at
        once, each once, as a line (C{reload}).
        """
        first, second = self.pool.workers
        second.ready = False
        self.pool._accepting = True
        self.pool.reloadWorkers()
        self.assertEqual(self.lines(self.channels[0]), [b"reload"])
        self.assertEqual(self.lines(self.channels[1]), [])
        second.ready = True
        self.pool.workerReady(second)
        self.assertEqual(self.lines(self.channels[1]), [b"reload"])
        self.pool.workerReady(second)
        self.assertEqual(self.lines(self.channels[1]), [])
        self.assertEqual(first.transport.signals + second.transport.signals,
                         [])

    def test_reloadCounted(self):
        """
        C{SIGHUP} reaches the workers that serve, and the acceptor counts
        them: not one being killed (hung), nor one draining after a
        C{SIGTERM} of its own (each replaced by a worker that reads the
        files when it starts); a worker still starting gets it once
        ready, and is counted apart.
        """
        first, second = self.pool.workers
        self.pool._accepting = True
        self.assertEqual(self.pool.reloadWorkers(), (2, 0))
        for stopped in ("hung", "draining", "stopAsked"):
            setattr(second, stopped, True)
            self.assertEqual(self.pool.reloadWorkers(), (1, 0), stopped)
            setattr(second, stopped, False)
        second.ready = False
        self.assertEqual(self.pool.reloadWorkers(), (1, 1))
        self.assertTrue(second.reloadPending)
        self.assertEqual(self.lines(self.channels[0]), [b"reload"] * 5)
        self.assertEqual(self.lines(self.channels[1]), [b"reload"])

    def lines(self, channel):
        """
        @return: the lines a worker's end holds now.
        """
        channel.setblocking(False)
        try:
            return channel.recv(65536).split(b"\n")[:-1]
        except BlockingIOError:
            return []

    def test_acknowledgedNotHandedAgain(self):
        """
        A connection the worker acknowledged (even in its last words,
        read once it exited) stays its own: it is closed here, not handed
        to another worker, and nothing waits for it.
        """
        first, second = self.pool.workers
        client = self.dispatch()
        for descriptor in self.received(self.channels[0]):
            os.close(descriptor)
        self.channels[0].sendall(b"took\n")
        self.channels[0].close()
        first.processEnded(Failure(Exception("killed")))
        self.assertEqual(second.sessions, 0)
        client.setblocking(False)
        self.assertEqual(client.recv(10), b"")
        # The dead worker's channel closes once the reactor handled the
        # poll's events (deadworker.closeAfterEvents); then nothing waits.
        self.pool.reactor.advance(0)
        self.assertEqual(self.pool.reactor.getDelayedCalls(), [])

    def test_idleWorkerPinged(self):
        """
        Every ready worker is pinged, once until it answers; one that
        answers is left alone, one that does not within
        L{ANSWER_TIMEOUT} is killed (once) though it holds no connection.
        """
        first, second = self.pool.workers
        self.pool.pingWorkers()
        self.pool.reactor.advance(1)
        self.pool.pingWorkers()
        for channel in self.channels:
            channel.setblocking(False)
            self.assertEqual(channel.recv(100), b"ping\n")
        self.channels[1].sendall(b"pong\n")
        second.channel.doRead()
        self.pool.reactor.advance(ANSWER_TIMEOUT)
        self.assertEqual(first.transport.signals, ["KILL"])
        self.assertEqual(second.transport.signals, [])
        self.pool.pingWorkers()
        self.pool.reactor.advance(ANSWER_TIMEOUT - 1)
        self.assertEqual(first.transport.signals, ["KILL"])
        self.assertEqual(second.transport.signals, [])
        self.assertEqual(self.channels[1].recv(100), b"ping\n")
        self.assertRaises(BlockingIOError, self.channels[0].recv, 100)

    def test_greetedHandedAsGreeted(self):
        """
        A connection its dead worker had written to (its greeting) goes to
        the other worker marked C{greeted}; one it had not, unmarked.
        """
        first, second = self.pool.workers
        second.ready = False
        listening = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(listening.close)
        clients = []
        for greeting in (b"220 hello\r\n", b""):
            client = socket.create_connection(listening.getsockname())
            self.addCleanup(client.close)
            clients.append(client)
            server, _ = listening.accept()
            server.sendall(greeting)
            self.pool.handOver(server, "127.0.0.7")
        self.assertEqual(len(first.handovers), 2)
        for descriptor in self.received(self.channels[0]):
            os.close(descriptor)
        second.ready = True
        first.processEnded(Failure(Exception("killed")))
        lines = b""
        while lines.count(b"\n") < 2:
            message, descriptors, _, _ = socket.recv_fds(
                self.channels[1], 4096, 8)
            lines += message
            for descriptor in descriptors:
                os.close(descriptor)
        self.assertEqual(lines, b"127.0.0.7 greeted\n127.0.0.7\n")

    def test_lastWorkerGoneRefuses(self):
        """
        A connection no worker took when none is left gets C{421}, and
        is released from the limits.
        """
        first, second = self.pool.workers
        client = self.dispatch()
        self.pool.workers.remove(second)
        first.processEnded(Failure(Exception("killed")))
        self.assertTrue(client.recv(100).startswith(b"421 "))
        self.assertEqual(self.pool.limiter.sessionsByHost.get("127.0.0.7", 0),
                         0)


class HungWorkerTests(unittest.TestCase):
    """
    A two-worker server whose workers are stopped or killed.
    """

    timeout = 4 * TIMEOUT

    def startServer(self, env=None):
        """
        @param env: extra environment variables of the server.
        @return: the server, both workers ready, and their process ids (a
            cleanup lets any still stopped go on).
        """
        server = ServerProcess(self, [
            "--root", scratchDirectory(self), "--auth", "anonymous",
            "--workers", "2"], env=env)
        server.waitForLog(READY, 2)
        workers = childrenOf(server.process.pid)
        self.assertEqual(len(workers), 2)

        def resume():
            for pid in workers:
                try:
                    os.kill(pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass

        self.addCleanup(resume)
        return server, workers

    def connect(self, server):
        """
        @return: a client socket connected to the server (closed at the
            end of the test).
        """
        client = socket.create_connection(("127.0.0.1", server.port),
                                          timeout=TIMEOUT)
        self.addCleanup(client.close)
        return client

    def test_stoppedWorkerReplaced(self):
        """
        With one of two workers stopped (C{SIGSTOP}), every new session
        is greeted with C{220}; the stopped worker is killed and another
        one started in its place.
        """
        server, workers = self.startServer()
        os.kill(workers[0], signal.SIGSTOP)
        clients = [self.connect(server) for _ in range(4)]
        for client in clients:
            self.assertTrue(client.recv(200).startswith(b"220"))
        log = server.waitForLog(READY, 3)
        self.assertEqual(log.count(HUNG), 1, log)
        self.assertIn(f"worker {workers[0]} did not ", log)
        server.waitFor(
            lambda: workers[0] not in childrenOf(server.process.pid),
            "the stopped worker to be gone")

    def test_stoppedIdleWorkerReplaced(self):
        """
        A worker stopped (C{SIGSTOP}) while it serves nobody is found by
        the acceptor's ping, logged once, killed and replaced before any
        client comes; new logins keep working.
        """
        server, workers = self.startServer()
        os.kill(workers[0], signal.SIGSTOP)
        log = server.waitForLog(READY, 3)
        self.assertEqual(log.count(HUNG), 1, log)
        self.assertIn(f"worker {workers[0]} {HUNG_ON_PING}", log)
        server.waitFor(
            lambda: workers[0] not in childrenOf(server.process.pid),
            "the stopped worker to be gone")
        replaced = childrenOf(server.process.pid)
        self.assertEqual(len(replaced), 2)
        self.assertIn(workers[1], replaced)
        for _ in range(4):
            ftp = server.login()
            self.assertTrue(ftp.pwd())
            ftp.quit()

    def test_diedBeforeTaking(self):
        """
        A connection handed to a worker that is killed before it took it
        is greeted by the other worker.
        """
        server, workers = self.startServer()
        held = len(os.listdir(f"/proc/{server.process.pid}/fd"))
        for pid in workers:
            os.kill(pid, signal.SIGSTOP)
        clients = [self.connect(server) for _ in range(2)]
        # Both handed over (one to each worker, the less busy): the
        # acceptor holds them until they are taken.
        server.waitFor(
            lambda: len(os.listdir(f"/proc/{server.process.pid}/fd"))
            >= held + 2, "the acceptor to hand both connections over")
        os.kill(workers[0], signal.SIGKILL)
        os.kill(workers[1], signal.SIGCONT)
        for client in clients:
            self.assertTrue(client.recv(200).startswith(b"220"))

    def test_diedAfterGreeting(self):
        """
        A worker that dies after it greeted a client, before it
        acknowledged the connection (the fault-injection seam
        L{ftpkit.deploy.greetings.DIE_AFTER_GREETING}), leaves the client
        greeted once: the next worker serves the session without a second
        C{220}, and the client's next command gets its own reply.
        """
        marker = os.path.abspath(self.mktemp())
        server, workers = self.startServer({DIE_AFTER_GREETING: marker})
        client = self.connect(server)
        replies = client.makefile("rb")
        first = replies.readline()
        self.assertTrue(first.startswith(b"220 "), first)
        # The worker makes the marker after the greeting, then dies.
        server.waitFor(lambda: os.path.exists(marker),
                       "the first worker to greet to die")
        client.sendall(b"NOOP\r\n")
        second = replies.readline()
        self.assertTrue(second.startswith(b"200 "), second)
        log = server.waitForLog(READY, 3)
        self.assertEqual(len(re.findall(r"worker \d+ exited", log)), 1, log)

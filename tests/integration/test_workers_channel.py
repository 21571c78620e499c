"""
C{--workers}: the lines between the acceptor and a worker that reads
nothing for a while (stopped, busy) arrive whole and in order once it
reads again (L{ftpkit.deploy.channel}); the acceptor dropped what its
full socket did not take (a ping among them: the worker was then killed
as hung), and sent the next lines after it.
"""

import os
import signal
import socket
import time

from twisted.internet import defer
from twisted.logger import Logger
from twisted.trial import unittest

from ftpkit.deploy.channel import Channel
from ftpkit.deploy.dispatch import CHANNEL_WAIT, UNAVAILABLE
from ftpkit.deploy.handover import ANSWER_TIMEOUT, PING_INTERVAL
from ftpkit.deploy.service import makeService
from ftpkit.deploy.worker import ReceiveConnections
from ftpkit.ops.drain import Drain
from ftpkit.protocol.replies import formatReply
from tests.integration.test_workers_handover import HUNG, READY
from tests.scratch import scratchDirectory
from tests.serverprocess import TIMEOUT, ServerProcess, childrenOf
from tests.tapoptions import parse
from tests.workerpools import poolWithWorkers, workerFactory

GUESSERS = 200
"""Addresses failing logins at once, fewer than C{HOLD_AFTER} times each
(so that none is held and every failure is told at once)."""

SESSIONS = 3 * GUESSERS
"""Sessions failing a login each while a worker is stopped: their
failures, told to the stopped worker too, fill its socket many times
over."""


class StoppedWorkerPoolTests(unittest.SynchronousTestCase):
    """
    L{WorkerPool} with two in-memory workers, the first one reading
    nothing.
    """

    def setUp(self):
        self.pool, self.channels = poolWithWorkers(self)
        self.logged = []
        self.pool.log = Logger(observer=self.logged.append)

    def failLogins(self, count):
        """
        Have C{count} addresses fail a login once each.

        @return: the lines every worker is to be told.
        """
        hosts = [b"10.0.%d.%d" % divmod(n, 250) for n in range(count)]
        for host in hosts:
            self.pool.loginFailed(b"failed", host)
        return [b"failures %s 1" % host for host in hosts]

    def readAll(self, index):
        """
        Read what the acceptor sent a worker, letting the reactor write
        what waits whenever the socket takes more.

        @param index: the worker's index.
        @return: the lines read.
        """
        waiting = self.pool.workers[index].channel
        data = b""
        while True:
            if waiting in self.pool.reactor.writers:
                waiting.doWrite()
            try:
                data += self.channels[index].recv(65536)
            except BlockingIOError:
                if waiting not in self.pool.reactor.writers:
                    break
        self.assertTrue(data.endswith(b"\n"))
        return data.split(b"\n")[:-1]

    def test_wholeAndInOrder(self):
        """
        The failures told to a worker that does not read, many more than
        its socket holds, and the ping after them, all arrive, whole, in
        order. (Before, those the full socket did not take were dropped:
        the ping among them, the worker was killed for not answering.)
        """
        expected = self.failLogins(2000)
        self.pool.pingWorkers()
        self.assertEqual(self.readAll(0),
                         expected + [b"ping"])
        self.assertEqual(self.readAll(1),
                         expected + [b"ping"])

    def test_handedToTheOther(self):
        """
        A connection is not handed to a worker whose lines wait: the
        other worker gets it, and no error is logged.
        """
        self.failLogins(2000)
        self.readAll(1)
        server, client = socket.socketpair()
        self.addCleanup(client.close)
        self.pool.dispatch(server, "127.0.0.7")
        first, second = self.pool.workers
        self.assertEqual((first.sessions, second.sessions), (0, 1))
        self.assertEqual([event for event in self.logged
                          if event["log_level"].name == "error"], [])

    def dispatchWhileBusy(self):
        """
        Fill both workers' channels, then dispatch a connection.

        @return: its client end (non-blocking).
        """
        self.failLogins(2000)
        server, client = socket.socketpair()
        self.addCleanup(client.close)
        client.setblocking(False)
        self.pool.dispatch(server, "127.0.0.7")
        return client

    def test_heldUntilAChannelDrains(self):
        """
        A connection no worker's channel can take now (lines wait in
        every one) is not refused: it waits, and goes to the first worker
        whose channel drains.
        """
        client = self.dispatchWhileBusy()
        self.assertRaises(BlockingIOError, client.recv, 100)
        self.assertEqual(self.pool.limiter.sessionsByHost["127.0.0.7"], 1)
        self.assertEqual(self.readAll(1)[-1], b"127.0.0.7")
        first, second = self.pool.workers
        self.assertEqual((first.sessions, second.sessions), (0, 1))
        self.assertEqual(self.pool.channelWaits.waiting, [])
        self.pool.reactor.advance(CHANNEL_WAIT)
        self.assertRaises(BlockingIOError, client.recv, 100)

    def test_refusedAfterChannelWait(self):
        """
        A connection still waiting for a worker's channel after
        L{CHANNEL_WAIT} gets C{421}, and no longer counts against the
        limits.
        """
        client = self.dispatchWhileBusy()
        self.pool.reactor.advance(CHANNEL_WAIT)
        self.assertEqual(client.recv(100), formatReply(421, UNAVAILABLE))
        self.assertEqual(client.recv(100), b"")
        self.assertNotIn("127.0.0.7", self.pool.limiter.sessionsByHost)

    def test_overflowKills(self):
        """
        A worker that leaves more lines unread than its channel keeps is
        hung: killed (once, with one log line) and handed nothing more.
        """
        first, second = self.pool.workers
        first.channel.limit = 4096
        self.failLogins(2000)
        self.assertTrue(first.hung)
        self.assertEqual(first.transport.signals, ["KILL"])
        self.assertEqual(second.transport.signals, [])
        self.assertEqual(
            [event["log_format"] for event in self.logged
             if "unread" in event["log_format"]],
            ["worker {pid} left {count} bytes of messages unread; "
             "killing it and starting another"])
        self.assertNotIn(first, self.pool.readyWorkers())


class LostConnectionTests(unittest.SynchronousTestCase):
    """
    A connection a worker had no descriptor for (C{lost}) is refused by
    the acceptor.
    """

    def test_refused(self):
        """
        Its client gets C{421} and the end of the connection, it no
        longer counts against the limits, and the worker is not taken
        for hung.
        """
        pool, ends = poolWithWorkers(self)
        server, client = socket.socketpair()
        self.addCleanup(client.close)
        client.settimeout(10)
        pool.dispatch(server, "127.0.0.7")
        first = pool.workers[0]
        message, descriptors, _, _ = socket.recv_fds(ends[0], 4096, 8)
        for descriptor in descriptors:
            os.close(descriptor)
        ends[0].sendall(b"lost\n")
        first.channel.doRead()
        self.assertEqual(client.recv(200), formatReply(
            421, "Too many open files on the server; try again later"))
        self.assertEqual(client.recv(200), b"")
        self.assertEqual(first.sessions, 0)
        self.assertEqual(pool.limiter.sessionsByHost.get("127.0.0.7", 0), 0)
        pool.reactor.advance(ANSWER_TIMEOUT * 2)
        self.assertFalse(first.hung)


class _BusySession:
    """
    A session running a command until the test ends it, as far as
    L{Drain} uses one.
    """

    def __init__(self):
        self.running = defer.Deferred()
        self.replies = []

    def isIdle(self):
        return self.running.called

    def hasClosed(self):
        return False

    def transferState(self):
        return None if self.running.called else "running"

    def stopTaking(self):
        return self.whenIdle()

    def whenIdle(self):
        done = defer.Deferred()
        self.running.addBoth(lambda result: done.callback(None) or result)
        return done

    def whenLost(self):
        return defer.succeed(None)

    def whenRefusedInStop(self):
        return defer.Deferred()

    def whenSettled(self):
        return defer.succeed(None)

    def reply(self, code, text):
        self.replies.append(code)

    def close(self):
        pass


class DrainingWorkerTests(unittest.SynchronousTestCase):
    """
    A worker draining its sessions (its service stopped, as C{SIGTERM}
    does) keeps reading the acceptor's lines: the first of two in-memory
    workers has its worker side (L{ReceiveConnections}) on the test's
    clock.
    """

    def setUp(self):
        self.pool, ends = poolWithWorkers(self)
        self.clock = self.pool.reactor
        self.ends = ends
        channel = Channel(ends[0], self.clock)
        server = makeService(parse("--auth", "anonymous"),
                             workerChannel=channel)
        self.factory = workerFactory(server)
        self.receiving = ReceiveConnections(channel, self.factory,
                                            reactor=self.clock)
        self.receiving.startService()

    def pump(self):
        """
        Let the acceptor read what the workers sent, and the worker what
        the acceptor sent it, if it reads its channel at all.
        """
        for worker in self.pool.workers:
            worker.channel.doRead()
        for reader in list(self.clock.readers):
            reader.doRead()

    def test_answersPingsWhileDraining(self):
        """
        A worker holding a session open while it drains, past several
        ping intervals, answers every ping: it is not killed as hung (it
        read nothing once draining, and was killed after
        L{ANSWER_TIMEOUT}, its transfers cut). The acceptor hands it no
        more connections.
        """
        session = _BusySession()
        self.factory.openSessions.add(session)
        drained = Drain(self.factory, 60, self.clock).stopService()
        self.receiving.stopService()
        first = self.pool.workers[0]
        for _ in range(4):
            self.pool.pingWorkers()
            self.pump()
            self.clock.advance(PING_INTERVAL)
        self.assertFalse(first.hung)
        self.assertEqual(first.transport.signals, [])
        self.assertTrue(first.draining)
        self.assertNotIn(first, self.pool.readyWorkers())
        self.assertNoResult(drained)
        session.running.callback(None)
        self.clock.advance(0)
        self.successResultOf(drained)
        self.assertEqual(session.replies, [421])

    def test_connectionSentBack(self):
        """
        A connection handed to a worker that drains, before the acceptor
        read that it does, comes back unopened and goes to another
        worker.
        """
        self.receiving.stopService()
        server, client = socket.socketpair()
        self.addCleanup(client.close)
        self.pool.dispatch(server, "127.0.0.7")
        first, second = self.pool.workers
        self.assertEqual((first.sessions, second.sessions), (1, 0))
        self.pump()
        self.pump()
        self.assertEqual((first.sessions, second.sessions), (0, 1))
        message, descriptors, _, _ = socket.recv_fds(self.ends[1], 4096, 8)
        for descriptor in descriptors:
            os.close(descriptor)
        self.assertEqual((message, len(descriptors)), (b"127.0.0.7\n", 1))
        self.assertEqual(self.pool.limiter.sessionsByHost["127.0.0.7"], 1)


class StoppedWorkerTests(unittest.TestCase):
    """
    A two-worker server, one worker stopped (C{SIGSTOP}) while hundreds
    of failed logins are told to it, then continued (C{SIGCONT}) before
    it counts as hung.
    """

    timeout = 4 * TIMEOUT

    def test_servesAfterwards(self):
        """
        The stopped worker reads every line once continued: it answers
        the pings sent to it meanwhile (it is not killed), its clients
        are served, and later logins work, on both workers, with the
        logins counted across them (C{--max-sessions-per-user}).
        """
        server = ServerProcess(self, [
            "--root", scratchDirectory(self), "--auth", "anonymous",
            "--workers", "2", "--max-connections", str(2 * SESSIONS),
            "--max-sessions-per-user", "100"])
        server.waitForLog(READY, 2)
        workers = childrenOf(server.process.pid)
        self.assertEqual(len(workers), 2)
        self.addCleanup(self._resume, workers)
        clients = []
        for n in range(SESSIONS):
            client = socket.create_connection(
                ("127.0.0.1", server.port), timeout=TIMEOUT,
                source_address=(f"127.0.0.{2 + n % GUESSERS}", 0))
            self.addCleanup(client.close)
            clients.append(client)
        for client in clients:
            self.assertTrue(client.recv(200).startswith(b"220"))
        stopped = time.monotonic()
        os.kill(workers[0], signal.SIGSTOP)
        for client in clients:
            client.sendall(b"USER guess\r\nPASS wrong\r\n")
        # Long enough that a ping is sent while the socket is full, not
        # so long that the worker counts as hung: a window by design, on
        # the acceptor's own clock (PING_INTERVAL); nothing outside tells
        # a ping queued to the stopped worker from the other lines.
        time.sleep(max(0, PING_INTERVAL + 1 - (time.monotonic() - stopped)))
        os.kill(workers[0], signal.SIGCONT)
        # Every client, those of the stopped worker too, gets its 530.
        for client in clients:
            replies = b""
            while b"\r\n530" not in replies:
                received = client.recv(200)
                self.assertTrue(received, replies)
                replies += received
        # Long enough for a ping sent then to be answered, or found
        # unanswered: a window by design, proving the worker is NOT
        # taken for hung (nothing happens to wait for).
        time.sleep(ANSWER_TIMEOUT + PING_INTERVAL)
        self.assertEqual(sorted(childrenOf(server.process.pid)),
                         sorted(workers))
        logins = [server.login() for _ in range(6)]
        for ftp in logins:
            self.assertTrue(ftp.pwd())
            ftp.quit()
        log = server.log()
        self.assertNotIn(HUNG, log)
        self.assertNotIn("could not", log)
        self.assertNotIn("Traceback", log)

    def _resume(self, workers):
        for pid in workers:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass


class DrainingWorkerProcessTests(unittest.TestCase):
    """
    A two-worker server whose workers (not the acceptor) get C{SIGTERM}
    while one of them sends a file.
    """

    timeout = 4 * TIMEOUT

    def test_transferFinishes(self):
        """
        The worker sending the file drains: it answers the acceptor's
        pings meanwhile, past L{ANSWER_TIMEOUT}, so it is not killed as
        hung (the transfer was cut), and the client gets all of the file,
        C{226}, then C{421}.
        """
        root = scratchDirectory(self)
        size = 64 << 20
        with open(os.path.join(root, "big.bin"), "wb") as f:
            f.truncate(size)
        server = ServerProcess(self, [
            "--root", root, "--auth", "anonymous", "--workers", "2"])
        server.waitForLog(READY, 2)
        workers = childrenOf(server.process.pid)
        ftp = server.login()
        ftp.voidcmd("TYPE I")
        with ftp.transfercmd("RETR big.bin") as data:
            received = len(data.recv(65536))
            for pid in workers:
                os.kill(pid, signal.SIGTERM)
            # A window by design, proving the draining worker is NOT
            # taken for hung past ANSWER_TIMEOUT (nothing happens to wait
            # for).
            time.sleep(ANSWER_TIMEOUT + 2 * PING_INTERVAL)
            draining = set(workers) & set(childrenOf(server.process.pid))
            while True:
                chunk = data.recv(1 << 20)
                if not chunk:
                    break
                received += len(chunk)
        self.assertEqual(len(draining), 1)
        self.assertEqual(received, size)
        self.assertEqual(ftp.getresp()[:3], "226")
        self.assertEqual(ftp.getline()[:3], "421")
        self.assertNotIn(HUNG, server.log())

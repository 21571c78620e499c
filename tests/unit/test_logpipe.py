"""
L{ftpkit.deploy.logpipe}: the acceptor of C{--workers} reads a worker's
log pipe at a pace, losing nothing; and L{WorkerProcess} logs what it
reads there.
"""

import json
import os
import socket

from twisted.internet.testing import MemoryReactorClock
from twisted.logger import LogLevel, formatEvent, globalLogPublisher
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.deploy.logpipe import READ_DELAY, PacedPipe, logPipe
from ftpkit.deploy.workerprocess import WorkerProcess
from ftpkit.deploy.workers import WorkerPool


class PacedPipeTests(unittest.SynchronousTestCase):
    """
    L{PacedPipe} reads what came at once, then leaves the pipe for
    L{READ_DELAY}.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()
        self.readEnd, self.writeEnd = logPipe()
        self.addCleanup(self.closeWriter)
        self.received = []
        self.pipe = PacedPipe(self.readEnd, self.received.append, self.clock)
        self.addCleanup(self.clock.advance, 0)
        self.addCleanup(self.pipe.close)

    def closeWriter(self):
        if self.writeEnd is not None:
            os.close(self.writeEnd)
            self.writeEnd = None

    def watched(self):
        """
        @return: whether the reactor watches the pipe.
        """
        return self.pipe in self.clock.getReaders()

    def test_paced(self):
        """
        What comes after a read waits in the pipe for L{READ_DELAY}, and
        is read then, all at once; after a read that found nothing new
        the pipe is watched again (a record after a quiet time is read at
        once).
        """
        self.assertTrue(self.watched())
        os.write(self.writeEnd, b"a")
        self.pipe.doRead()
        self.assertEqual(self.received, [b"a"])
        self.assertFalse(self.watched())
        os.write(self.writeEnd, b"b")
        os.write(self.writeEnd, b"c")
        self.clock.advance(READ_DELAY * 0.99)
        self.assertFalse(self.watched())
        self.clock.advance(READ_DELAY * 0.01)
        self.assertTrue(self.watched())
        self.pipe.doRead()
        self.assertEqual(self.received, [b"a", b"bc"])
        self.clock.advance(READ_DELAY)
        self.assertTrue(self.watched())
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_large(self):
        """
        The pipe holds much more than its default (a worker writes a
        pace's records without waiting for the acceptor).
        """
        self.assertGreater(self.pipe.capacity, 1 << 16)

    def test_halfFull(self):
        """
        A pipe found half full is watched on: its worker would soon wait
        for the acceptor.
        """
        os.write(self.writeEnd, b"x" * (self.pipe.capacity // 2))
        self.pipe.doRead()
        self.assertEqual(len(b"".join(self.received)),
                         self.pipe.capacity // 2)
        self.assertTrue(self.watched())

    def test_boundedRead(self):
        """
        A worker writing as fast as the acceptor reads holds it no longer
        than the pipe's capacity takes to read.
        """
        os.set_blocking(self.writeEnd, False)

        def received(data):
            self.received.append(data)
            os.write(self.writeEnd, b"y" * len(data))

        self.pipe._received = received
        os.write(self.writeEnd, b"y" * 4096)
        self.pipe.doRead()
        read = len(b"".join(self.received))
        self.assertGreaterEqual(read, self.pipe.capacity)
        self.assertLess(read, self.pipe.capacity * 2)
        self.assertTrue(self.watched())

    def test_endOfFile(self):
        """
        Once every writer closed the pipe (the worker exited), it is read
        to its end and closed.
        """
        os.write(self.writeEnd, b"last")
        self.closeWriter()
        self.pipe.doRead()
        self.assertEqual(self.received, [b"last"])
        self.assertEqual(self.pipe.fileno(), -1)
        self.assertFalse(self.watched())
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_close(self):
        """
        L{PacedPipe.close} reads what waits in the pipe (the worker exited
        while the acceptor left it), then closes it.
        """
        os.write(self.writeEnd, b"a")
        self.pipe.doRead()
        os.write(self.writeEnd, b"b")
        self.pipe.close()
        self.assertEqual(self.received, [b"a", b"b"])
        self.assertEqual(self.pipe.fileno(), -1)
        self.assertFalse(self.watched())
        # Its number stays taken until the reactor's events are handled
        # (ftpkit.deploy.deadworker.closeAfterEvents).
        os.fstat(self.readEnd)
        self.clock.advance(0)
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.assertRaises(OSError, os.fstat, self.readEnd)


def record(text, level="info"):
    """
    @param text: a log line's text.
    @param level: its level's name.
    @return: a worker's JSON record of it, C{bytes}.
    """
    return ("\x1e" + json.dumps({
        "log_format": "{text}", "text": text, "log_namespace": "x",
        "log_time": 1234.5,
        "log_level": {"name": level,
                      "__class_uuid__": "02e59486-f24d-46ad-8224-"
                                        "3acdf2a5732a"}}) + "\n").encode()


class WorkerLogPipeTests(unittest.SynchronousTestCase):
    """
    L{WorkerProcess} logs the records of its log pipe, read at a pace, and
    those left in it when the worker exits.
    """

    def setUp(self):
        self.pool = WorkerPool(1, [], [], ServerConfig(),
                               reactor=MemoryReactorClock())
        self.pool.workerEnded = lambda worker, reason: None
        ours, theirs = socket.socketpair()
        self.addCleanup(ours.close)
        self.addCleanup(theirs.close)
        self.worker = WorkerProcess(self.pool, ours)
        self.worker.makeConnection(FakeProcess())
        readEnd, self.writeEnd = logPipe()
        self.addCleanup(os.close, self.writeEnd)
        self.worker.readLogs(readEnd)
        self.addCleanup(self.pool.reactor.advance, 0)
        self.addCleanup(self.worker.logPipe.close)
        self.logged = []
        globalLogPublisher.addObserver(self.logged.append)
        self.addCleanup(globalLogPublisher.removeObserver,
                        self.logged.append)

    def events(self):
        """
        @return: the worker's events logged.
        """
        return [event for event in self.logged
                if event.get("ftpkit_worker") == 4321]

    def lines(self):
        """
        @return: the worker's lines logged, as C{formatEvent} makes them.
        """
        return [formatEvent(event) for event in self.events()]

    def test_paced(self):
        """
        The records the worker wrote after the first wait for the pace,
        then are logged together, in order; each a line of its own.
        """
        os.write(self.writeEnd, record("one"))
        self.worker.logPipe.doRead()
        self.assertEqual(self.lines(), ["one"])
        os.write(self.writeEnd, record("two"))
        os.write(self.writeEnd, record("three", "warn"))
        self.assertNotIn(self.worker.logPipe, self.pool.reactor.getReaders())
        self.pool.reactor.advance(READ_DELAY)
        self.worker.logPipe.doRead()
        self.assertEqual(self.lines(), ["one", "two", "three"])
        last = self.events()[-1]
        self.assertEqual(last["log_level"], LogLevel.warn)
        self.assertEqual(last["log_system"], "worker 4321 x#warn")

    def test_leftAtExit(self):
        """
        The records a worker wrote before it exited, while the acceptor
        left its pipe, are logged when it ends: a worker killed at once
        after a line (C{SIGKILL}) loses none.
        """
        os.write(self.writeEnd, record("one"))
        self.worker.logPipe.doRead()
        os.write(self.writeEnd, record("two"))
        os.write(self.writeEnd, b"\x1eunfinished")
        self.worker.processEnded(Failure(Exception("killed")))
        self.assertEqual(self.lines(), ["one", "two", "unfinished"])


class StartWorkerTests(unittest.SynchronousTestCase):
    """
    L{WorkerPool} starts each worker writing its log to a pipe of its own,
    read at a pace.
    """

    def test_logPipe(self):
        """
        A worker's standard output is the write end of a L{logPipe} (Twisted
        read its own pipe each time a record came), closed in the acceptor
        once passed; the worker reads the other end with a L{PacedPipe}.
        """
        pool = WorkerPool(1, [], [], ServerConfig(),
                          reactor=MemoryReactorClock())
        given = []

        def spawnProcess(worker, executable, args, env, childFDs):
            given.append(childFDs[1])
            os.write(childFDs[1], record("started"))
            worker.makeConnection(FakeProcess())

        pool.reactor.spawnProcess = spawnProcess
        pool._startWorker()
        [worker] = pool.workers
        self.addCleanup(pool.reactor.advance, 0)
        self.addCleanup(worker.channel.close)
        self.addCleanup(worker.logPipe.close)
        [writeEnd] = given
        self.assertRaises(OSError, os.fstat, writeEnd)
        self.assertIn(worker.logPipe, pool.reactor.getReaders())
        received = []
        worker.logs.publish = received.append
        worker.logPipe.doRead()
        self.assertEqual([formatEvent(event) for event in received],
                         ["started"])


class FakeProcess:
    """
    The transport of a worker process, as far as L{WorkerProcess} reads
    it.
    """

    pid = 4321

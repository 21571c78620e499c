"""
An acceptor's L{WorkerPool} with in-memory workers, for the tests of
C{--workers}: each worker is a L{WorkerProcess} whose process is a
stand-in (L{ProcessTransport}), linked to the test by a real Unix socket
pair, on a L{MemoryReactorClock}.
"""

import socket

from twisted.internet.testing import MemoryReactorClock

from ftpkit.config import ServerConfig
from ftpkit.deploy.worker import ReceiveConnections
from ftpkit.deploy.workers import WorkerPool, _Worker


class ProcessTransport:
    """
    A worker's process transport that records the signals sent to it.

    @ivar signals: their names, in order.
    """

    pid = 4321

    def __init__(self):
        self.signals = []

    def signalProcess(self, name):
        """
        @param name: the signal's name (C{"KILL"}, say).
        """
        self.signals.append(name)


class LineChannel:
    """
    A worker's channel (its end of the acceptor's socket, as the acceptor
    or the worker sends on it) that keeps the lines sent.

    @ivar lines: the lines, C{bytes}, in order.
    """

    def __init__(self):
        self.lines = []

    def sendLine(self, line):
        """
        @param line: the line, C{bytes}.
        """
        self.lines.append(line)


def poolWithWorkers(testCase, count=2, config=None):
    """
    An acceptor with C{count} ready workers.

    @param testCase: the test (the sockets are closed when it ends).
    @param count: how many workers.
    @param config: the L{ServerConfig} (the defaults when C{None}).
    @return: C{(pool, ends)}: the L{WorkerPool}, on a
        L{MemoryReactorClock}, and each worker's end of its socket
        (non-blocking), in the order of C{pool.workers}.
    """
    pool = WorkerPool(count, [], [], config or ServerConfig(),
                      reactor=MemoryReactorClock())
    ends = []
    for _ in range(count):
        ours, theirs = socket.socketpair()
        for end in (ours, theirs):
            end.setblocking(False)
            testCase.addCleanup(end.close)
        worker = _Worker(pool, ours)
        worker.ready = True
        worker.transport = ProcessTransport()
        pool.workers.append(worker)
        ends.append(theirs)
    return pool, ends


def workerFactory(server):
    """
    The protocol factory of a worker's service, as
    L{ftpkit.deploy.service.makeService} builds it with a C{workerChannel}.

    @param server: that service.
    @return: the factory its L{ReceiveConnections} hands connections to.
    """
    [receiving] = [child for child in server
                   if isinstance(child, ReceiveConnections)]
    return receiving.factory

"""
Tests for L{ftpkit.deploy.rundelay}, and for the acceptor's answer
timeout not counting the time a worker waited for a CPU
(L{ftpkit.deploy.workerprocess.WorkerProcess}).
"""

import os
import socket

from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.deploy import workerprocess
from ftpkit.deploy.handover import ANSWER, ANSWER_TIMEOUT
from ftpkit.deploy.rundelay import parseRunDelay, runDelay
from ftpkit.deploy.workerprocess import WorkerProcess
from ftpkit.deploy.workers import WorkerPool


class RunDelayTests(unittest.TestCase):
    """
    L{runDelay} and L{parseRunDelay} read the time a process waited on a
    run queue.
    """

    def test_parse(self):
        """
        The second field, nanoseconds, is the wait.
        """
        self.assertEqual(parseRunDelay("260320 1500000000 2\n"), 1.5)

    def test_parseOther(self):
        """
        Anything else tells nothing.
        """
        self.assertIsNone(parseRunDelay(""))
        self.assertIsNone(parseRunDelay("12 x 3"))

    def test_ownProcess(self):
        """
        Where the system tells it (Linux), this process's wait is a
        number of seconds.
        """
        if not os.path.exists(f"/proc/{os.getpid()}/schedstat"):
            raise unittest.SkipTest("no /proc/PID/schedstat here")
        self.assertGreaterEqual(runDelay(os.getpid()), 0)

    def test_noSuchProcess(self):
        """
        A process the proc file system does not hold: C{None}.
        """
        self.assertIsNone(runDelay(12345, proc=self.mktemp()))


class StarvedWorkerTests(unittest.SynchronousTestCase):
    """
    A worker whose ping is overdue is hung, unless it waited for a CPU
    meanwhile: it is given that time more.
    """

    def setUp(self):
        self.pool = WorkerPool(1, [], [], ServerConfig(),
                               reactor=MemoryReactorClock())
        self.hung = []
        self.pool.workerHung = lambda worker, what, timeout: (
            self.hung.append((what, timeout)))
        ours, theirs = socket.socketpair()
        self.addCleanup(ours.close)
        self.addCleanup(theirs.close)
        self.worker = WorkerProcess(self.pool, ours)
        self.worker.pid = 4242
        self.waited = {4242: 10.0}
        self.patch(workerprocess, "runDelay",
                   lambda pid: self.waited.get(pid))

    def test_notWaiting(self):
        """
        A worker that did not wait for a CPU (stopped, or stuck) is hung
        once its ping is L{ANSWER_TIMEOUT} overdue.
        """
        self.worker.ping()
        self.pool.reactor.advance(ANSWER_TIMEOUT)
        self.assertEqual(self.hung, [(ANSWER, ANSWER_TIMEOUT)])

    def test_starved(self):
        """
        A worker that waited 4 s for a CPU meanwhile is given 4 s more;
        hung once it waited no more.
        """
        self.worker.ping()
        self.waited[4242] += 4
        self.pool.reactor.advance(ANSWER_TIMEOUT)
        self.assertEqual(self.hung, [])
        self.pool.reactor.advance(3.9)
        self.assertEqual(self.hung, [])
        self.pool.reactor.advance(0.1)
        self.assertEqual(self.hung, [(ANSWER, ANSWER_TIMEOUT)])

    def test_answersInTime(self):
        """
        A starved worker answering within the time it was given more is
        not hung.
        """
        self.worker.ping()
        self.waited[4242] += 4
        self.pool.reactor.advance(ANSWER_TIMEOUT + 1)
        self.worker.lineReceived(b"pong", [])
        self.pool.reactor.advance(60)
        self.assertEqual(self.hung, [])

    def test_systemTellsNothing(self):
        """
        Where the system does not tell the wait, an overdue worker is
        hung.
        """
        self.waited = {}
        self.worker.ping()
        self.pool.reactor.advance(ANSWER_TIMEOUT)
        self.assertEqual(self.hung, [(ANSWER, ANSWER_TIMEOUT)])

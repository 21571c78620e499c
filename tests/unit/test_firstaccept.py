"""
When the acceptor of C{--workers} starts accepting: once every worker of
the first start is ready, or L{ALL_READY_WAIT} after the first one is, or
at once when the others died starting; after L{STARTUP_WAIT} with none.
"""

from twisted.logger import capturedLogs, formatEvent
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.deploy.workers import ALL_READY_WAIT, STARTUP_WAIT
from tests.workerpools import poolWithWorkers


class FirstAcceptTests(unittest.SynchronousTestCase):
    """
    L{ftpkit.deploy.workers.WorkerPool} starting, with two in-memory
    workers neither of which is ready yet.
    """

    def setUp(self):
        self.pool, _ = poolWithWorkers(self)
        self.pool._startWorker = lambda: None
        for worker in self.pool.workers:
            worker.ready = False
        self.pool._acceptLater = self.pool.reactor.callLater(
            STARTUP_WAIT, self.pool._waitOver)

    def ready(self, worker):
        """
        @param worker: a worker of the pool, which says it is ready.
        """
        worker.ready = True
        self.pool.workerReady(worker)

    def test_waitsForAll(self):
        """
        One worker ready is not enough; both are.
        """
        first, second = self.pool.workers
        self.ready(first)
        self.assertFalse(self.pool._accepting)
        self.ready(second)
        self.assertTrue(self.pool._accepting)
        self.assertEqual(self.pool.reactor.getDelayedCalls(), [])

    def test_oneLate(self):
        """
        A worker not ready L{ALL_READY_WAIT} after the first is not waited
        for any longer, and a line says so.
        """
        first, _ = self.pool.workers
        self.ready(first)
        with capturedLogs() as events:
            self.pool.reactor.advance(ALL_READY_WAIT - 0.5)
            self.assertFalse(self.pool._accepting)
            self.pool.reactor.advance(0.5)
        self.assertTrue(self.pool._accepting)
        self.assertIn("1 workers not ready 10 s after the first",
                      [formatEvent(event) for event in events][0])

    def test_otherDied(self):
        """
        A worker that dies before it is ready (started again later) is
        not waited for: the acceptor accepts as it ends.
        """
        first, second = self.pool.workers
        self.ready(first)
        second.processEnded(Failure(Exception("exited")))
        self.assertTrue(self.pool._accepting)

    def test_noneReady(self):
        """
        With no worker ready, the acceptor still accepts after
        L{STARTUP_WAIT} (its clients get C{421}).
        """
        self.pool.reactor.advance(STARTUP_WAIT - 0.5)
        self.assertFalse(self.pool._accepting)
        self.pool.reactor.advance(0.5)
        self.assertTrue(self.pool._accepting)

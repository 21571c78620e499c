"""
Tests for L{ftpkit.ops.workerechoes}: the acceptor of C{--workers} logs
once what every worker logs for one cause.
"""

from twisted.internet.task import Clock
from twisted.logger import LogLevel
from twisted.trial import unittest

from ftpkit.ops.workerechoes import (
    ECHO_WINDOW,
    USERS_NOT_RELOADED,
    WorkerEchoes,
)


def workerEvent(pid, why="bad", format=USERS_NOT_RELOADED,
                level=LogLevel.error):
    """
    @param pid: the worker's pid.
    @param why: the reason field.
    @param format: the log format.
    @param level: the level.
    @return: an event as the acceptor reads it from a worker.
    """
    return {"log_format": format, "why": why, "log_level": level,
            "log_namespace": "ftpkit.auth.users", "ftpkit_worker": pid,
            "log_system": f"worker {pid} ftpkit.auth.users#error"}


class WorkerEchoesTests(unittest.TestCase):
    """
    L{WorkerEchoes} holds a reload's outcome until every running worker
    logged it.
    """

    def setUp(self):
        self.clock = Clock()
        self.logged = []
        self.running = [11, 22]
        self.echoes = WorkerEchoes(self.logged.append, lambda: self.running,
                                   self.clock)

    def test_once(self):
        """
        The same failure from both workers is one event naming both; the
        first worker stays its C{ftpkit_worker}.
        """
        self.echoes(workerEvent(11))
        self.assertEqual(self.logged, [])
        self.echoes(workerEvent(22))
        [event] = self.logged
        self.assertEqual(event["ftpkit_workers"], [11, 22])
        self.assertEqual(event["ftpkit_worker"], 11)
        self.assertEqual(event["log_system"],
                         "workers 11,22 ftpkit.auth.users#error")
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_order(self):
        """
        The workers are named in the order of their pids, whichever logged
        first: one line named C{workers 22,11} and the next C{workers
        11,22}, two systems for one pair of workers to a log shipper or a
        C{grep}. The first stays C{ftpkit_worker}.
        """
        for first, second in [(22, 11), (11, 22)]:
            self.echoes(workerEvent(first))
            self.echoes(workerEvent(second))
        self.assertEqual(
            [(e["log_system"], e["ftpkit_workers"], e["ftpkit_worker"])
             for e in self.logged],
            [("workers 11,22 ftpkit.auth.users#error", [11, 22], 22),
             ("workers 11,22 ftpkit.auth.users#error", [11, 22], 11)])

    def test_different(self):
        """
        Different texts (another reason) are different events.
        """
        self.echoes(workerEvent(11, "one"))
        self.echoes(workerEvent(22, "two"))
        self.assertEqual(self.logged, [])
        self.echoes(workerEvent(22, "one"))
        self.echoes(workerEvent(11, "two"))
        self.assertEqual([(e["why"], e["ftpkit_workers"])
                          for e in self.logged],
                         [("one", [11, 22]), ("two", [11, 22])])

    def test_window(self):
        """
        A worker that does not log it within L{ECHO_WINDOW} is not
        waited for: the line names the worker that logged it.
        """
        self.echoes(workerEvent(11))
        self.clock.advance(ECHO_WINDOW)
        [event] = self.logged
        self.assertEqual(event["ftpkit_worker"], 11)
        self.assertNotIn("ftpkit_workers", event)
        self.assertEqual(event["log_system"],
                         "worker 11 ftpkit.auth.users#error")

    def test_sameWorkerTwice(self):
        """
        One worker logging it twice is two causes: the first is logged.
        """
        self.echoes(workerEvent(11))
        self.echoes(workerEvent(11))
        self.assertEqual(len(self.logged), 1)
        self.echoes(workerEvent(22))
        self.assertEqual(self.logged[1]["ftpkit_workers"], [11, 22])

    def test_others(self):
        """
        Other lines, and lines not from a worker, pass at once.
        """
        other = workerEvent(11, format="login {why}")
        own = dict(workerEvent(11))
        del own["ftpkit_worker"]
        self.echoes(other)
        self.echoes(own)
        self.assertEqual(self.logged, [other, own])

    def test_flush(self):
        """
        L{WorkerEchoes.flush} logs what it holds (a worker exited).
        """
        self.echoes(workerEvent(11))
        self.echoes.flush()
        self.assertEqual(len(self.logged), 1)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_oneWorker(self):
        """
        With one worker running, its line passes at once.
        """
        self.running = [11]
        self.echoes(workerEvent(11))
        self.assertEqual(len(self.logged), 1)

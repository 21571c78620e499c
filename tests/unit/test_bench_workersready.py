"""
Tests for L{bench.workersready}: the benchmark's ftpkit waits until each
of its workers serves.
"""

from types import SimpleNamespace

from twisted.trial import unittest

from bench.workersready import readyWorkers, waitForWorkers, workerCount


class WorkerCountTests(unittest.TestCase):
    """
    L{workerCount} reads C{--workers} from a command line.
    """

    def test_counts(self):
        for args, count in [(["python", "-m", "ftpkit"], 1),
                            (["--workers", "2"], 2), (["--workers=3"], 3),
                            (["--workers", "2", "--workers=4"], 4),
                            (["--workers"], 1)]:
            self.assertEqual(workerCount(args), count, args)


class WaitTests(unittest.TestCase):
    """
    L{waitForWorkers} waits for a C{worker PID ready} line of each worker.
    """

    def setUp(self):
        self.log = self.mktemp()
        with open(self.log, "w") as f:
            f.write("2026-12-07T15:00:00+0000 [-] worker 11 ready\n"
                    "2026-12-07T15:00:00+0000 [-] worker 12 started\n")
        self.now = [0.0]
        self.slept = []

    def wait(self, args, timeout=1.0):
        instance = SimpleNamespace(log=self.log,
                                   process=SimpleNamespace(args=args))

        def sleep(seconds):
            self.slept.append(seconds)
            self.now[0] += seconds
            if len(self.slept) == 3:
                with open(self.log, "a") as f:
                    f.write("2026-12-07T15:00:01+0000 [-] worker 12 "
                            "ready\n")

        return waitForWorkers(instance, timeout, lambda: self.now[0], sleep)

    def test_oneProcess(self):
        """
        A server of one process waits for nothing.
        """
        self.assertTrue(self.wait(["python", "-m", "ftpkit"]))
        self.assertEqual(self.slept, [])

    def test_waitsForEach(self):
        """
        Two workers: one ready line is not enough; the wait ends at the
        second.
        """
        self.assertEqual(readyWorkers(self.log), 1)
        self.assertTrue(self.wait(["--workers", "2"]))
        self.assertEqual(len(self.slept), 3)

    def test_timesOut(self):
        """
        Workers that are not all ready by the timeout: C{False}.
        """
        self.assertFalse(self.wait(["--workers=3"], timeout=0.1))

"""
The metric of the disk calls found stuck (L{ftpkit.ops.stuckmetrics}):
counted where each C{disk-calls-stuck} warning is logged, so that
C{ftpkit_disk_calls_stuck_total} and the warnings agree, by lane.
"""

import threading

from twisted.trial import unittest

try:
    import prometheus_client
except ImportError:
    prometheus_client = None

from ftpkit.ops import metrics
from ftpkit.ops.stuckmetrics import StuckCollector, StuckFiles
from ftpkit.shells import diskthreads
from ftpkit.shells.diskthreads import DiskThreads
from tests.logevents import captureLogs
from tests.unit.test_diskthreads import _ClockReactor


def _values(collector):
    """
    @param collector: a C{prometheus_client} collector.
    @return: a dict of its C{ftpkit_disk_calls_stuck_total} samples'
        values by C{lane} label.
    """
    return {sample.labels["lane"]: sample.value
            for family in collector.collect() for sample in family.samples
            if sample.name == "ftpkit_disk_calls_stuck_total"}


class StuckCountTests(unittest.SynchronousTestCase):
    """
    Each C{disk-calls-stuck} warning is one more in its lane's series;
    every lane's series is there from the start, at zero.
    """

    if prometheus_client is None:
        skip = "prometheus_client not installed"

    def setUp(self):
        # The process's own counts, zeroed for the test and put back
        # after it: a collector made without counts (processMetrics)
        # reads them, and earlier tests' stuck pools added to them.
        self.counts = diskthreads.stuckCounts
        kept = dict(self.counts)
        self.addCleanup(self.counts.update, kept)
        self.counts.update(dict.fromkeys(diskthreads.LANES, 0))

    def test_agreesWithLog(self):
        """
        A pool of the listings lane whose one thread is stuck, with a
        call waiting behind it, logs one warning and counts one, in its
        lane's series alone.
        """
        collector = StuckCollector(self.counts)
        self.assertEqual(_values(collector),
                         dict.fromkeys(diskthreads.LANES, 0))
        gate = threading.Event()
        self.addCleanup(gate.set)
        reactor = _ClockReactor()
        pool = DiskThreads(reactor, size=1, stuckAfter=1,
                           lane=diskthreads.LISTINGS)
        events = captureLogs(self)
        pool.run(gate.wait, 30)
        pool.run(gate.wait, 30)
        reactor.advance(1)
        warnings = [event for event in events if event.get("ftpkit_event")
                    == diskthreads.CALLS_STUCK]
        self.assertEqual(len(warnings), 1)
        self.assertEqual(_values(collector),
                         dict(dict.fromkeys(diskthreads.LANES, 0),
                              listings=1))

    def test_processRegistry(self):
        """
        One process's registry (C{--metrics} without C{--workers}) serves
        the counter.
        """
        self.patch(metrics, "_metrics", None)
        self.patch(metrics, "multiprocess", lambda: False)
        registry = metrics.processMetrics().registry
        self.assertEqual(
            registry.get_sample_value("ftpkit_disk_calls_stuck_total",
                                      {"lane": "walks"}), 0)

    def test_files(self):
        """
        L{StuckFiles} copies the counts by what they grew.
        """
        files = StuckFiles(self.counts)
        self.counts[diskthreads.DISK] = 2
        files.copy()
        self.counts[diskthreads.DISK] = 3
        files.copy()
        values = {lane: child._value.get()
                  for lane, child in files._children.items()}
        self.assertEqual(values, dict(dict.fromkeys(diskthreads.LANES, 0),
                                      disk=3))

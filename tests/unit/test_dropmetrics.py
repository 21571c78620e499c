"""
The metric of the cut uploads the server dropped
(L{ftpkit.ops.dropmetrics}): counted where each drop is logged, so that
C{ftpkit_partial_uploads_dropped_total} and the C{partial-dropped} events
agree, by reason.
"""

from twisted.trial import unittest

try:
    import prometheus_client
except ImportError:
    prometheus_client = None

from ftpkit.ops import events
from ftpkit.ops.dropmetrics import LABELS, DropCollector, DropFiles
from ftpkit.shells import keptregistry
from tests.logevents import captureLogs, dropped


def _values(metrics):
    """
    @param metrics: C{prometheus_client} metrics or collectors.
    @return: a dict of their samples' values by C{reason} label.
    """
    return {sample.labels["reason"]: sample.value
            for metric in metrics for family in metric.collect()
            for sample in family.samples
            if sample.name == "ftpkit_partial_uploads_dropped_total"}


class DropCollectorTests(unittest.TestCase):
    """
    L{DropCollector} reads the counts L{keptregistry.logDropped} keeps.
    """

    if prometheus_client is None:
        skip = "prometheus_client not installed"

    def setUp(self):
        self.patch(keptregistry, "dropCounts",
                   dict.fromkeys(keptregistry.REASONS, 0))

    def test_agreesWithLog(self):
        """
        Each event logged is one more in its reason's series; every
        reason's series is there, at zero before any drop.
        """
        collector = DropCollector(keptregistry.dropCounts)
        self.assertEqual(_values([collector]),
                         dict.fromkeys(LABELS.values(), 0))
        events = captureLogs(self)
        keptregistry.logDropped(("a",), "alice", 5, keptregistry.EXPIRED)
        keptregistry.logDropped(("b",), None, 6, keptregistry.EXPIRED)
        keptregistry.logDropped(("c",), "bob", 7,
                                keptregistry.FILE_CHANGED)
        values = _values([collector])
        self.assertEqual((values["expired"], values["file-changed"],
                          values["for-room"]), (2, 1, 0))
        self.assertEqual(sum(values.values()), len(dropped(events)))


class DropFilesTests(unittest.TestCase):
    """
    L{DropFiles} copies the counts into C{prometheus_client}'s counters,
    by what they grew.
    """

    if prometheus_client is None:
        skip = "prometheus_client not installed"

    def test_copy(self):
        """
        Two copies add what grew between them; a session's end copies.
        """
        counts = dict.fromkeys(keptregistry.REASONS, 0)
        files = DropFiles(counts)
        hub = events.EventHub()
        files.subscribeTo(hub)
        counts[keptregistry.FOR_ROOM] = 2
        files.copy()
        counts[keptregistry.FOR_ROOM] = 3
        counts[keptregistry.REPLACED] = 1
        hub.publish(events.Event(events.SESSION_ENDED, None))
        values = {reason: child._value.get()
                  for reason, child in files._children.items()}
        self.assertEqual(values[keptregistry.FOR_ROOM], 3)
        self.assertEqual(values[keptregistry.REPLACED], 1)
        self.assertEqual(values[keptregistry.EXPIRED], 0)

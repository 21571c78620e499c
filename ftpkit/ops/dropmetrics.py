"""
The metric of the cut uploads kept for a resume that the server dropped
of its own accord, by reason (L{ftpkit.shells.keptregistry.logDropped}:
one C{partial-dropped} log event each, on every realm).

Fed as the listings' cache's metrics are (L{ftpkit.ops.cachemetrics}):
the process counts its drops itself, as plain numbers, where it logs
them (L{ftpkit.shells.keptregistry.dropCounts}), so that metric and log
agree. In one process L{DropCollector} reads them when scraped; under
C{--workers}, whose acceptor sweeps what a dead worker left and whose
workers serve, each process's L{DropFiles} copies them into
C{prometheus_client}'s multiprocess files every
L{ftpkit.ops.cachemetrics.COPY_INTERVAL} seconds and at each session's
end, and the acceptor adds them up. Every reason's series is there from
the start, at zero.
"""

from ftpkit.ops.cachemetrics import SessionCopies
from ftpkit.shells import keptregistry

DROPPED = ("ftpkit_partial_uploads_dropped",
           "Cut uploads kept for a resume that the server dropped, by "
           "reason.")
"""The counter's name and help."""

LABELS = {
    keptregistry.FOR_ROOM: "for-room",
    keptregistry.PAST_LIMIT: "past-user-limit",
    keptregistry.EXPIRED: "expired",
    keptregistry.FILE_CHANGED: "file-changed",
    keptregistry.REPLACED: "newer-kept",
}
"""The C{reason} label's value of each reason the log gives."""


def dropFamilies(counts):
    """
    @param counts: drops by reason (L{keptregistry.dropCounts}).
    @return: the metric families of C{counts}, as they are now.
    """
    from prometheus_client.core import CounterMetricFamily

    family = CounterMetricFamily(DROPPED[0], DROPPED[1], labels=["reason"])
    for reason, label in LABELS.items():
        family.add_metric([label], counts.get(reason, 0))
    return [family]


class DropCollector:
    """
    A C{prometheus_client} collector of this process's drops, read when
    scraped (one process).
    """

    def __init__(self, counts=keptregistry.dropCounts):
        """
        @param counts: drops by reason, updated as they are logged.
        """
        self._counts = counts

    def collect(self):
        """
        @return: the drops' metric families (L{dropFamilies}).
        """
        return iter(dropFamilies(self._counts))


class DropFiles(SessionCopies):
    """
    In a process of C{--workers} (acceptor or worker): copy its drops
    into the multiprocess files, by what they grew (L{SessionCopies}).
    """

    def __init__(self, counts=keptregistry.dropCounts):
        """
        @param counts: drops by reason, updated as they are logged.
        """
        from prometheus_client import Counter

        SessionCopies.__init__(self)
        self._counts = counts
        counter = Counter(DROPPED[0], DROPPED[1], ["reason"], registry=None)
        self._children = {reason: counter.labels(label)
                          for reason, label in LABELS.items()}
        self._copied = {}

    def copy(self):
        """
        Copy the drops counted since the last copy.
        """
        for reason, child in self._children.items():
            value = self._counts.get(reason, 0)
            grown = value - self._copied.get(reason, 0)
            if grown > 0:
                child.inc(grown)
            self._copied[reason] = value

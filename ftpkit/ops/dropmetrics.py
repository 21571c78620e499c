"""
The metric of the cut uploads kept for a resume that the server dropped
of its own accord, by reason (L{ftpkit.shells.keptregistry.logDropped}:
one C{partial-dropped} log event each, on every realm).

Fed as the listings' cache's metrics are (L{ftpkit.ops.cachemetrics}),
through L{ftpkit.ops.countmetrics}: the process counts its drops
itself, as plain numbers, where it logs them
(L{ftpkit.shells.keptregistry.dropCounts}), so that metric and log
agree. In one process L{DropCollector} reads them when scraped; under
C{--workers}, whose acceptor sweeps what a dead worker left and whose
workers serve, each process's L{DropFiles} copies them into
C{prometheus_client}'s multiprocess files every
L{ftpkit.ops.cachemetrics.COPY_INTERVAL} seconds and at each session's
end, and the acceptor adds them up. Every reason's series is there from
the start, at zero.
"""

from ftpkit.ops.countmetrics import CountsCollector, CountsFiles, LabelledCounts
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
    keptregistry.DISK_FULL: "disk-full",
}
"""The C{reason} label's value of each reason the log gives."""

DROPS = LabelledCounts(DROPPED[0], DROPPED[1], "reason", LABELS)
"""The counter (L{ftpkit.ops.countmetrics})."""


class DropCollector(CountsCollector):
    """
    A C{prometheus_client} collector of this process's drops, read when
    scraped (one process).
    """

    def __init__(self, counts=keptregistry.dropCounts):
        """
        @param counts: drops by reason, updated as they are logged.
        """
        CountsCollector.__init__(self, DROPS, counts)


class DropFiles(CountsFiles):
    """
    In a process of C{--workers} (acceptor or worker): copy its drops
    into the multiprocess files, by what they grew.
    """

    def __init__(self, counts=keptregistry.dropCounts):
        """
        @param counts: drops by reason, updated as they are logged.
        """
        CountsFiles.__init__(self, DROPS, counts)

"""
The metric of the disk calls found stuck, by lane
(L{ftpkit.shells.diskthreads}: one C{disk-calls-stuck} warning each time
a lane's calls wait with every thread busy and none ending), counted as
the cut uploads dropped are (L{ftpkit.ops.countmetrics}), so that metric
and log agree: an alert on it learns of a file system that hangs (a dead
NFS server, a hung FUSE mount) without reading the log.
"""

from ftpkit.ops.countmetrics import CountsCollector, CountsFiles, LabelledCounts
from ftpkit.shells import diskthreads

STUCK = LabelledCounts(
    "ftpkit_disk_calls_stuck",
    "Times the calls of a lane of disk threads were found stuck (every "
    "thread busy, none ending; one disk-calls-stuck warning each), by "
    "lane.", "lane", {lane: lane for lane in diskthreads.LANES})
"""The counter."""


class StuckCollector(CountsCollector):
    """
    A C{prometheus_client} collector of this process's stuck calls, read
    when scraped (one process).
    """

    def __init__(self, counts=diskthreads.stuckCounts):
        """
        @param counts: times found stuck by lane, updated as logged.
        """
        CountsCollector.__init__(self, STUCK, counts)


class StuckFiles(CountsFiles):
    """
    In a worker of C{--workers}: copy its stuck calls into the
    multiprocess files, by what they grew.
    """

    def __init__(self, counts=diskthreads.stuckCounts):
        """
        @param counts: times found stuck by lane, updated as logged.
        """
        CountsFiles.__init__(self, STUCK, counts)

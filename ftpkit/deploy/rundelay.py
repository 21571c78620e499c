"""
How long a process waited for a CPU: what the acceptor of C{--workers}
does not count against a worker's answer timeout
(L{ftpkit.deploy.handover.ANSWER_TIMEOUT}).

A worker on a machine whose cores are all busy (other programs, a
C{nice} above theirs, a profiler slowing everything) may be runnable for
seconds without running: it is slow, not hung, and killing it cut every
session it served (its clients read a connection reset). The kernel
counts the time each task spent runnable on a run queue without running
(the second field of C{/proc/PID/schedstat}, in nanoseconds): a stopped
or stuck worker's reactor does not wait there, or not for long, a
starved one does.
"""


def parseRunDelay(text):
    """
    @param text: the content of C{/proc/PID/schedstat}: the time run, the
        time waited on a run queue (both in nanoseconds), and the count
        of time slices.
    @return: the time waited, in seconds, or C{None} when C{text} is not
        that.
    """
    fields = text.split()
    if len(fields) < 2 or not fields[1].isdigit():
        return None
    return int(fields[1]) / 1e9


def runDelay(pid, proc="/proc"):
    """
    @param pid: a process id (its main thread's task is read: a worker's
        reactor runs there).
    @param proc: where the proc file system is.
    @return: the seconds that process waited for a CPU since it started,
        or C{None} where the system does not tell (not Linux, no such
        process, a kernel without scheduler statistics).
    """
    try:
        with open(f"{proc}/{pid}/schedstat") as f:
            return parseRunDelay(f.read())
    except (OSError, ValueError):
        return None

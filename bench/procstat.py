"""
CPU time and memory of a server's process tree, read from C{/proc}.

A server may be one process (ftpkit, pyftpdlib) or fork one or two per
session (vsftpd), so every figure is summed over the process and its
descendants.
"""

import os

_TICK = os.sysconf("SC_CLK_TCK")


def _children():
    """
    Map every live process id to the ids of its children.

    @return: a C{dict} of C{int} to C{list} of C{int}.
    """
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(name))
    return children


def processTree(pid):
    """
    The ids of a process and all its descendants.

    @param pid: the root process id.
    @return: a C{list} of C{int}, C{pid} first.
    """
    children = _children()
    tree = [pid]
    for p in tree:
        tree.extend(children.get(p, ()))
    return tree


def _threadsRunning(pid):
    """
    @param pid: a live process id.
    @return: nanoseconds its live threads have run, summed.
    @raise OSError: when the process has gone.
    """
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat", "rb") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass  # The thread ended meanwhile.
    return total


def cpuSeconds(pids):
    """
    CPU time of processes, including the reaped children they waited for.

    Live processes are read from the C{schedstat} of each of their threads,
    C{/proc/PID/task/TID/schedstat} (nanoseconds; C{/proc/PID/schedstat}
    alone covers only the main thread, and would leave out the worker
    threads of a threaded server), since C{/proc/PID/stat} counts in ticks
    and many short-lived session processes would each round down to
    nothing; reaped children only exist as their parent's C{cutime} and
    C{cstime} ticks.

    @param pids: process ids; those that have gone are skipped.
    @return: seconds, a C{float}.
    """
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
            running = _threadsRunning(pid)
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        # cutime and cstime are fields 16 and 17 of stat(5).
        total += running / 1e9 + (int(fields[13]) + int(fields[14])) / _TICK
    return total


def _statusKiB(pid, key):
    """
    One C{kB} figure of C{/proc/PID/status} or C{/proc/PID/smaps_rollup}.

    @param pid: the process id.
    @param key: C{b"VmRSS:"} (read from C{status}) or C{b"Pss:"} (read from
        C{smaps_rollup}).
    @return: KiB, or 0 if the process has gone.
    """
    name = "status" if key == b"VmRSS:" else "smaps_rollup"
    try:
        with open(f"/proc/{pid}/{name}", "rb") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def memoryKiB(pids, proportional):
    """
    Memory of processes, summed.

    @param pids: process ids.
    @param proportional: sum the proportional set sizes (shared pages divided
        among the sharers), so that forked copies of one image are not
        counted many times; otherwise sum the resident set sizes.
    @return: KiB, an C{int}.
    """
    key = b"Pss:" if proportional else b"VmRSS:"
    return sum(_statusKiB(pid, key) for pid in pids)


class ProcessTree:
    """
    A server's process tree, for before/after measurements.

    @ivar pid: the server's main process id.
    @ivar proportional: whether memory is the proportional set size (for
        servers that fork per session) rather than the resident set size.
    """

    def __init__(self, pid, proportional=False):
        """
        @param pid: the server's main process id.
        @param proportional: see L{memoryKiB}.
        """
        self.pid = pid
        self.proportional = proportional

    def pids(self):
        """
        @return: the main process and its live descendants.
        """
        return processTree(self.pid)

    def cpu(self):
        """
        @return: CPU seconds used so far by the whole tree.
        """
        return cpuSeconds(self.pids())

    def memory(self, pids=None):
        """
        @param pids: the processes to sum, or C{None} for the whole tree.
        @return: KiB of memory (see L{memoryKiB}).
        """
        pids = self.pids() if pids is None else pids
        return memoryKiB(pids, self.proportional)


def timeWaitSockets(path="/proc/net/sockstat"):
    """
    @param path: the kernel's socket statistics.
    @return: how many TCP connections of the whole system wait in
        C{TIME_WAIT}, or C{0} when unknown.
    """
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("TCP:"):
                    fields = line.split()
                    return int(fields[fields.index("tw") + 1])
    except (OSError, ValueError):
        pass
    return 0

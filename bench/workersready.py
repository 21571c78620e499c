"""
Whether every worker of an ftpkit started with C{--workers N} serves.

The acceptor accepts once one worker is ready; clients that connect
before the others are go to that one and stay there. A benchmark that
logs its sessions in at once, right after the start (C{bench.instructions}
does; C{python -m bench}'s fresh scenarios too), would measure one
worker holding every session, or the two sharing them, from run to run
(C{docs/benchmark-investigations.rst}, C{bench-workers-54}). The
benchmark's ftpkit waits for each worker's C{worker PID ready} line in
its log first (L{bench.servers.Ftpkit.start}).
"""

import re
import time

_READY = re.compile(rb"\bworker \d+ ready\b")

POLL = 0.05
"""Seconds between two looks at the log."""


def workerCount(args):
    """
    @param args: a server's command line, a C{list} of C{str}.
    @return: the workers its last C{--workers N} (or C{--workers=N})
        asks for; 1 without one.
    """
    count = 1
    for i, arg in enumerate(args):
        if arg == "--workers" and i + 1 < len(args):
            count = int(args[i + 1])
        elif arg.startswith("--workers="):
            count = int(arg.partition("=")[2])
    return count


def readyWorkers(log):
    """
    @param log: the path of a server's log.
    @return: how many C{worker PID ready} lines it holds.
    """
    with open(log, "rb") as f:
        return len(_READY.findall(f.read()))


def waitForWorkers(instance, timeout, clock=time.monotonic,
                   sleep=time.sleep):
    """
    Wait until a server's log says each of its workers is ready.

    @param instance: the server's L{bench.servers.Instance}: its log, and
        its process's command line (L{workerCount}).
    @param timeout: the most seconds to wait.
    @param clock: gives the time, in seconds.
    @param sleep: waits a number of seconds.
    @return: whether they are all ready (C{True} at once for a server of
        one process).
    """
    count = workerCount(instance.process.args)
    if count <= 1:
        return True
    deadline = clock() + timeout
    while readyWorkers(instance.log) < count:
        if clock() > deadline:
            return False
        sleep(POLL)
    return True

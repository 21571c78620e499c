"""
C{--worker-cpus}: each worker of C{--workers}, every thread of it, runs
on its CPU, as the kernel says (C{/proc/PID/task/*/status}); the acceptor
on every CPU it may use; a worker started after a death on its slot's
CPU.
"""

import io
import os
import re
import signal

from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess, childrenOf

READY = " ready\n"
"""What the acceptor logs when a worker is ready."""

PINNED = re.compile(r"worker (\d+) pinned to CPU (\d+)\n")
"""The acceptor's line for each worker it pins (C{docs/logging.rst})."""


def pinnedLines(log):
    """
    @param log: a server's log.
    @return: a C{dict} from each worker id its pinned lines name to the
        CPU the line gives.
    """
    return {int(pid): int(cpu) for pid, cpu in PINNED.findall(log)}


def cpuList(text):
    """
    @param text: a kernel CPU list, as C{Cpus_allowed_list} gives it
        (C{0-2,5}).
    @return: its CPUs, a C{frozenset} of C{int}.
    """
    cpus = set()
    for part in text.split(","):
        low, _, high = part.partition("-")
        cpus.update(range(int(low), int(high or low) + 1))
    return frozenset(cpus)


def threadCpus(pid):
    """
    @param pid: a process id.
    @return: a C{dict} from each of its threads' ids to the CPUs it may
        run on.
    """
    found = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/status") as f:
            found[int(task)] = cpuList(re.search(
                r"^Cpus_allowed_list:\s*(\S+)$", f.read(), re.M).group(1))
    return found


def busyWorkers(server, prefix, sessions=4):
    """
    Have the workers work on files: upload and download one in each of
    C{sessions} sessions open at once (spread over the workers), so that
    their disk threads run.

    @param server: a L{ServerProcess} allowing anonymous uploads.
    @param prefix: the start of the new files' names.
    """
    clients = [server.login() for _ in range(sessions)]
    for number, ftp in enumerate(clients):
        name = f"{prefix}{number}"
        ftp.storbinary(f"STOR {name}", io.BytesIO(b"x" * 70000))
        ftp.retrbinary(f"RETR {name}", lambda data: None)
        ftp.retrlines("LIST", lambda line: None)
    for ftp in clients:
        ftp.quit()


class PinnedTests(unittest.TestCase):
    """
    Workers pinned to CPUs.
    """

    def setUp(self):
        self.allowed = frozenset(os.sched_getaffinity(0))
        if len(self.allowed) < 2:
            raise unittest.SkipTest("needs two CPUs this process may use")
        self.root = scratchDirectory(self)

    def start(self, cpus):
        """
        Start a C{--workers 2 --worker-cpus CPUS} server whose workers
        worked, and wait for both to be ready.

        @return: the L{ServerProcess}, and its log's worker lines: a
            C{dict} from each worker's id to its CPU.
        """
        server = ServerProcess(self, [
            "--root", self.root, "--auth", "anonymous", "--anonymous-write",
            "--workers", "2", "--worker-cpus", cpus])
        log = server.waitForLog(READY, 2)
        busyWorkers(server, "first")
        return server, pinnedLines(log)

    def assertPinned(self, server, expected):
        """
        Each worker's threads, and only the workers', run on the one CPU
        its line said; the acceptor may run on every CPU.

        @param expected: the CPU of each worker, in slot order.
        """
        workers = sorted(childrenOf(server.process.pid))
        self.assertEqual(len(workers), 2)
        lines = pinnedLines(server.log())
        self.assertEqual(sorted(lines[pid] for pid in workers),
                         sorted(expected))
        threads = 0
        for pid in workers:
            found = threadCpus(pid)
            threads += len(found)
            self.assertEqual(set(found.values()), {frozenset({lines[pid]})},
                             (pid, found))
        # The disk threads ran: not only each worker's first thread.
        self.assertGreater(threads, len(workers))
        self.assertEqual(set(threadCpus(server.process.pid).values()),
                         {self.allowed})

    def test_oneCpu(self):
        """
        C{--worker-cpus 0}: both workers, all their threads, on CPU 0.
        """
        server, _ = self.start("0")
        self.assertPinned(server, [0, 0])

    def test_list(self):
        """
        C{--worker-cpus 0,1}: worker 0 on CPU 0, worker 1 on CPU 1.
        """
        server, lines = self.start("0,1")
        self.assertEqual(sorted(lines.values()), [0, 1])
        self.assertPinned(server, [0, 1])

    def test_auto(self):
        """
        C{--worker-cpus auto}: the CPUs the server may run on, in order.
        """
        server, _ = self.start("auto")
        self.assertPinned(server, sorted(self.allowed)[:2])

    def test_restarted(self):
        """
        The worker started in place of a killed one (the first) runs on
        the dead one's CPU, and says so.
        """
        server, lines = self.start("0,1")
        # The first slot's: a replacement given the next slot along (the
        # second, as a count of the running workers would make it) is
        # caught.
        dead = next(pid for pid, cpu in lines.items() if cpu == 0)
        os.kill(dead, signal.SIGKILL)
        log = server.waitForLog(READY, 3)
        self.assertEqual([cpu for pid, cpu in pinnedLines(log).items()
                          if pid not in lines], [0])
        busyWorkers(server, "again")
        self.assertPinned(server, [0, 1])

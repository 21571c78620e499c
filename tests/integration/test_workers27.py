"""
The operator's side of C{--workers} while its workers start: C{SIGTERM}
to the acceptor stops a worker still starting at once (it was waited for
until it was ready, the rest of its start; the whole shutdown grace for
one stuck starting), and one that comes as the acceptor starts its
workers leaves none running without it.
"""

import os
import signal

from twisted.trial import unittest

from tests.integration.test_hookgroups import alive
from tests.scratch import scratchDirectory
from tests.serverprocess import TIMEOUT, ServerProcess
from tests.sitescripts import sitePath

STUCK_WORKERS = """\
import os, signal, sys, time

if "ftpkit.deploy.worker" in sys.orig_argv:
    time.sleep(3600)
elif os.environ.get("FTPKIT_TEST_TERM_AT_SPAWN"):
    spawned = []

    def spawning(event, args):
        if (event == "os.posix_spawn"
                and "ftpkit.deploy.worker" in list(args[1])):
            spawned.append(args)
            if len(spawned) == 2:
                os.kill(os.getpid(), signal.SIGTERM)

    sys.addaudithook(spawning)
"""
"""
A C{sitecustomize} with which each worker of C{--workers} never gets
ready (a worker slow to start: a loaded machine, its modules on a slow
disk); with C{$FTPKIT_TEST_TERM_AT_SPAWN} set, the acceptor sends itself
C{SIGTERM} as it starts its second worker, the first started.
"""


def workersServing(root):
    """
    @param root: a directory only one server serves.
    @return: the pids of the worker processes serving it that have not
        ended.
    """
    found = []
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if (b"ftpkit.deploy.worker" in argv and root.encode() in argv
                and alive(int(name))):
            found.append(int(name))
    return found


def killWorkers(root):
    """
    Kill the workers serving C{root} left running (by a failed test).

    @param root: see L{workersServing}.
    """
    for pid in workersServing(root):
        os.kill(pid, signal.SIGKILL)


def signalsHandled(pid):
    """
    @param pid: the process id of a server (one process, the acceptor).
    @return: whether it handles its stopping signals: its reactor runs,
        and has unblocked C{SIGQUIT}, which the server holds while it
        starts (L{ftpkit.deploy.stopsignals.holdQuit}).
    """
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":\t", 1) for line in f.read().splitlines()
                      if ":\t" in line)
    return not int(fields["SigBlk"], 16) & (1 << (signal.SIGQUIT - 1))


class StuckStartTests(unittest.TestCase):
    """
    Workers that are not ready when the acceptor gets C{SIGTERM}.
    """

    timeout = 2 * TIMEOUT + 30

    def startStuck(self, *extra, env=None):
        """
        Start a two-worker server whose workers never get ready.

        @param extra: more options.
        @param env: more environment variables.
        @return: the L{ServerProcess}.
        """
        self.root = scratchDirectory(self)
        self.addCleanup(killWorkers, self.root)
        return ServerProcess(
            self, ["--root", self.root, "--auth", "anonymous",
                   "--workers", "2", *extra],
            env={"PYTHONPATH": sitePath(self, STUCK_WORKERS), **(env or {})})

    def assertStopped(self, server):
        """
        The server exited by C{SIGTERM}, handled (Twisted's line), and
        none of its workers runs; its log has no error.

        @param server: the L{ServerProcess}.
        """
        self.assertEqual(server.process.wait(TIMEOUT), -signal.SIGTERM)
        server.waitFor(lambda: not workersServing(self.root),
                       "the workers gone")
        log = server.log()
        self.assertIn("Received SIGTERM", log)
        self.assertNotIn(" ready\n", log)
        for bad in ("Traceback", "#error", "#critical"):
            self.assertNotIn(bad, log)

    def test_termStopsStartingWorkers(self):
        """
        C{SIGTERM} to the acceptor while both workers are still starting
        ends them, and the acceptor exits by the signal with no error.
        The acceptor told them to stop over their sockets, which a
        worker reads only once ready, and waited: here the whole grace
        (300 s) and L{ftpkit.deploy.workers.STOP_MARGIN}, then killed
        them.
        """
        server = self.startStuck("--shutdown-grace", "300")
        server.waitFor(lambda: len(workersServing(self.root)) == 2
                       and signalsHandled(server.process.pid),
                       "two workers started, and the acceptor running")
        server.signal(signal.SIGTERM)
        self.assertStopped(server)

    def test_termAsWorkersStart(self):
        """
        C{SIGTERM} as the acceptor starts its workers, the first started
        already: the acceptor stops as once it runs, and ends them. The
        acceptor started its workers before its reactor ran: the signal
        ended it at once (C{stopped (SIGTERM) while starting}), and the
        worker it had started ran on without it until ready (here, for
        good).
        """
        server = self.startStuck(env={"FTPKIT_TEST_TERM_AT_SPAWN": "1"})
        self.assertStopped(server)

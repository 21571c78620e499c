"""
The operator's side of C{--workers} while its workers start: C{SIGTERM}
to the acceptor stops a worker still starting at once (it was waited for
until it was ready, the rest of its start; the whole shutdown grace for
one stuck starting), and one that comes as the acceptor starts its
workers leaves none running without it; C{SIGHUP} while they start is
one line saying the reload waits until they are ready, then one reload
in each worker; a C{--uid} account that may not run the interpreter
ends the start in one line; a worker that cannot be spawned (no process
left under the limits) is tried again.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile

from twisted.trial import unittest

from ftpkit.deploy.hangup import announcement
from tests.integration.test_hookgroups import alive
from tests.integration.test_signalorders import HANGUP_SAID
from tests.scratch import scratchDirectory
from tests.serverprocess import TIMEOUT, ServerProcess, freePort
from tests.sitescripts import sitePath
from tests.twistdrun import SOURCE, TWISTD

STUCK_WORKERS = """\
import os, signal, sys, time

if "ftpkit.deploy.worker" in sys.orig_argv:
    go = os.environ.get("FTPKIT_TEST_GO")
    for _ in range(36000):
        if go and os.path.exists(go):
            break
        time.sleep(0.1)
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
A C{sitecustomize} with which each worker of C{--workers} does not get
ready (a worker slow to start: a loaded machine, its modules on a slow
disk) until the file C{$FTPKIT_TEST_GO} names exists (for an hour
without it); with C{$FTPKIT_TEST_TERM_AT_SPAWN} set, the acceptor sends itself
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
        (300 s) and L{ftpkit.deploy.workerstop.STOP_MARGIN}, then killed
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


class HangupWhileStartingTests(unittest.TestCase):
    """
    C{SIGHUP} to the acceptor while its workers start.
    """

    timeout = 2 * TIMEOUT + 30

    def test_oneLineThenEachWorker(self):
        """
        The acceptor says in one line that its workers reload once ready,
        and each does, once, when ready; nothing else. It said
        C{reloading 0 of 2 workers; 2 starting will read the files as
        they are now}: a reload of none, while each reloaded later.
        """
        root = scratchDirectory(self)
        go = os.path.abspath(self.mktemp())
        self.addCleanup(killWorkers, root)
        server = ServerProcess(
            self, ["--root", root, "--auth", "anonymous", "--workers", "2"],
            env={"PYTHONPATH": sitePath(self, STUCK_WORKERS),
                 "FTPKIT_TEST_GO": go})
        server.waitFor(lambda: len(workersServing(root)) == 2
                       and signalsHandled(server.process.pid),
                       "two workers started, and the acceptor running")
        server.signal(signal.SIGHUP)
        log = server.waitForLog("] SIGHUP: ")
        self.assertEqual(HANGUP_SAID.findall(log),
                         ["SIGHUP: reloading 2 workers once ready (still "
                          "starting)"])
        with open(go, "w"):
            pass
        server.waitForLog(" ready\n", 2)
        log = server.waitForLog("] SIGHUP: reloading nothing", 2)
        server.login().quit()
        self.assertEqual(server.stop(), -signal.SIGTERM)
        log = server.log()
        self.assertEqual(log.count("SIGHUP"), 3, log)
        for bad in ("Traceback", "#error", "#critical", "#warn"):
            self.assertNotIn(bad, log)


class AnnouncementTests(unittest.TestCase):
    """
    The acceptor's line for a C{SIGHUP}
    (L{ftpkit.deploy.hangup.announcement}), by what became of it in its
    workers.
    """

    def line(self, told, onceReady, workers=3):
        """
        @return: the line for C{told} workers told now, C{onceReady} once
            ready, of C{workers}.
        """
        text, fields = announcement(1, workers, told, onceReady)
        return text.format(**fields)

    def test_shapes(self):
        """
        Every worker serving: how many reload; every one starting: that
        they reload once ready; else how many now, and what becomes of
        the others: those starting reload once ready, the others when
        started again (they read the files as they start).
        """
        self.assertEqual(self.line(3, 0), "SIGHUP: reloading 3 workers")
        self.assertEqual(self.line(0, 3), "SIGHUP: reloading 3 workers "
                         "once ready (still starting)")
        self.assertEqual(self.line(2, 1), "SIGHUP: reloading 2 of 3 workers "
                         "now, 1 once ready (still starting)")
        self.assertEqual(self.line(1, 1), "SIGHUP: reloading 1 of 3 workers "
                         "now, 1 once ready (still starting), 1 when started "
                         "again")
        self.assertEqual(self.line(0, 2), "SIGHUP: reloading 0 of 3 workers "
                         "now, 2 once ready (still starting), 1 when started "
                         "again")
        self.assertEqual(self.line(0, 0), "SIGHUP: reloading 0 of 3 workers "
                         "now, 3 when started again")


class UnrunnableInterpreterTests(unittest.TestCase):
    """
    C{twistd --uid} to an account that may not run the interpreter (it
    sits in a directory of root's only: C{/root/.pyenv}), with
    C{--workers}.
    """

    def test_oneLine(self):
        """
        The start ends with one critical line naming the interpreter, and
        exit status 1. Starting the workers once the reactor ran, the
        server logged the spawn's C{PermissionError} traceback and served
        with no worker (C{421} after 30 s); before that, C{twistd}'s
        traceback ended it.
        """
        if os.getuid() != 0:
            raise unittest.SkipTest("needs root (twistd --uid)")
        private = tempfile.mkdtemp()
        self.addCleanup(os.rmdir, private)
        python = os.path.join(private, "python")
        os.symlink(sys.executable, python)
        self.addCleanup(os.unlink, python)
        served = tempfile.mkdtemp()
        self.addCleanup(os.rmdir, served)
        os.chmod(served, 0o755)
        run = subprocess.run(
            [python, "-c", TWISTD, "-n", "--pidfile=", "--uid=65534",
             "--gid=65534", "ftpkit", "--listen",
             f"tcp:{freePort()}:interface=127.0.0.1", "--root", served,
             "--auth", "anonymous", "--workers", "2"],
            env=dict(os.environ, PYTHONPATH=SOURCE), cwd=served,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, timeout=TIMEOUT)
        output = run.stdout.decode("utf-8", "replace")
        self.assertEqual(run.returncode, 1, output)
        self.assertNotIn("Traceback", output)
        [line] = [line for line in output.splitlines() if "#critical" in line]
        self.assertIn("--workers: cannot start a worker: this account (uid "
                      f"65534) may not run {python} ", line)


SPAWN_FAILS_ONCE = """\
import errno, sys

if "ftpkit.deploy.worker" not in sys.orig_argv:
    spawned = []

    def spawning(event, args):
        if (event == "os.posix_spawn"
                and "ftpkit.deploy.worker" in list(args[1])):
            spawned.append(args)
            if len(spawned) == 3:
                raise BlockingIOError(errno.EAGAIN,
                                      "Resource temporarily unavailable")

    sys.addaudithook(spawning)
"""
"""
A C{sitecustomize} with which the acceptor's third spawn of a worker (the
first replacement) fails as one over the process limit does.
"""


class SpawnFailureTests(unittest.TestCase):
    """
    A worker's replacement that cannot be spawned.
    """

    timeout = 2 * TIMEOUT

    def test_triedAgain(self):
        """
        A worker killed, and its replacement's spawn failing with
        C{EAGAIN}: one error line, and another attempt after the restart
        delay, which serves. The spawn's C{OSError} was a traceback in
        the log, and the server served with one worker from then on.
        """
        server = ServerProcess(
            self, ["--root", scratchDirectory(self), "--auth", "anonymous",
                   "--workers", "2"],
            env={"PYTHONPATH": sitePath(self, SPAWN_FAILS_ONCE)})
        log = server.waitForLog(" ready\n", 2)
        victim = int(re.findall(r"worker (\d+) ready", log)[0])
        os.kill(victim, signal.SIGKILL)
        log = server.waitForLog(" ready\n", 3)
        self.assertEqual(log.count("cannot start a worker ([Errno 11] "
                                   "Resource temporarily unavailable); "
                                   "trying again in 0.5 s"), 1, log)
        server.login().quit()
        self.assertEqual(server.stop(), -signal.SIGTERM)
        self.assertNotIn("Traceback", server.log())

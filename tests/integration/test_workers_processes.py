"""
C{--workers} processes living and dying: a dead worker's sessions are
released, a worker failing at start is retried with back-off while
clients get C{421}, and the workers log where the acceptor logs.
"""

import os
import re
import signal
import socket
import time

from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.serverprocess import TIMEOUT, ServerProcess, childrenOf, freePort
from tests.sitescripts import sitePath
from tests.twistdrun import twistdRun

READY = " ready\n"
"""What the acceptor logs when a worker is ready."""

FAIL_WHILE = """\
import os, sys

CLOSED = os.environ["FTPKIT_TEST_FAIL_WHILE"]
if "ftpkit.deploy.worker" in sys.orig_argv and os.path.exists(CLOSED):
    sys.stderr.write(f"test worker: cannot start while {CLOSED} exists\\n")
    sys.stderr.flush()
    os._exit(1)
"""
"""
A C{sitecustomize} making a worker exit at its first moment while the
file C{$FTPKIT_TEST_FAIL_WHILE} exists.
"""


def killWorkers(server):
    """
    Kill every worker of a server (C{SIGKILL}).

    @return: their process ids.
    """
    workers = childrenOf(server.process.pid)
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    return workers


class WorkerDeathTests(unittest.TestCase):
    """
    A worker that dies.
    """

    def setUp(self):
        self.root = scratchDirectory(self)

    def test_sessionsReleased(self):
        """
        When both workers of a C{--max-connections-per-ip 2} server die
        holding two sessions from one address, that address may log in
        again once new workers are ready (it got C{421} forever). The
        line saying each exited says how many sessions ended with it:
        they end with no line of their own (no C{logout}), and the
        operator could not tell from the log what the death cost.
        """
        server = ServerProcess(self, [
            "--root", self.root, "--auth", "anonymous", "--workers", "2",
            "--max-connections-per-ip", "2"])
        server.waitForLog(READY, 2)
        sessions = [server.login(), server.login()]
        self.addCleanup(lambda: [ftp.close() for ftp in sessions])
        self.assertEqual(len(killWorkers(server)), 2)
        log = server.waitForLog(READY, 4)
        cut = re.findall(r"exited \(.*\); (\d+) session\(s\) cut", log)
        self.assertEqual(sum(map(int, cut)), 2, log)
        server.login().quit()

    def test_failingAtStart(self):
        """
        Workers that cannot start (made to exit at once while a file
        exists) are started again after growing delays, clients
        meanwhile get C{421}, the workers' error reaches the log, and
        once the file is gone a worker starts and serves. (A users file
        or a C{--root} gone is no such failure: the acceptor kept the
        file's content, L{ftpkit.deploy.keptfiles}, and checked the
        directory at its start, L{ftpkit.deploy.workerroots}.)
        """
        closed = os.path.join(self.root, "closed")
        server = ServerProcess(
            self, ["--root", self.root, "--workers", "2", "--auth",
                   "anonymous"],
            env={"PYTHONPATH": sitePath(self, FAIL_WHILE),
                 "FTPKIT_TEST_FAIL_WHILE": closed})
        server.waitForLog(READY, 2)
        open(closed, "w").close()
        killWorkers(server)
        log = server.waitForLog("starting another in 2 s")
        self.assertIn("starting another in 0.5 s", log)
        self.assertIn("starting another in 1 s", log)
        self.assertIn(f"test worker: cannot start while {closed} exists",
                      log)
        self.assertTrue(server.greeting().startswith(b"421"))
        os.unlink(closed)
        server.waitForLog(READY, 3)
        server.login().quit()


class WorkerStartTests(unittest.TestCase):
    """
    Clients that connect while the workers are still starting.
    """

    def test_waitsForFirstWorker(self):
        """
        A client that connects before any worker is ready waits in the
        listen queue and is greeted with C{220} once one is (it got
        C{421} at once).
        """
        root = os.path.abspath(self.mktemp())
        os.makedirs(root)
        slow = sitePath(self, "import sys, time\n"
                        "if 'ftpkit.deploy.worker' in sys.orig_argv:\n"
                        "    time.sleep(5)\n")
        server = ServerProcess(
            self, ["--root", root, "--auth", "anonymous", "--workers", "2"],
            env={"PYTHONPATH": slow})

        def connected():
            try:
                return socket.create_connection(("127.0.0.1", server.port))
            except OSError:
                return None

        probe = server.waitFor(connected, "the listening port")
        self.addCleanup(probe.close)
        self.assertNotIn(READY, server.log())
        probe.settimeout(TIMEOUT)
        self.assertTrue(probe.recv(200).startswith(b"220"))


class WorkerLogTests(unittest.TestCase):
    """
    Workers log where the acceptor logs.
    """

    def test_daemonizedLogFile(self):
        """
        With C{twistd} daemonizing and C{--logfile}, the workers' lines
        (a login) are in that file, naming the worker.
        """
        directory = scratchDirectory(self)
        logPath = os.path.join(directory, "ftpkit.log")
        pidPath = os.path.join(directory, "ftpkit.pid")
        port = freePort()
        twistdRun(
            f"--logfile={logPath}", f"--pidfile={pidPath}", "ftpkit",
            "--workers", "2", "--listen", f"tcp:{port}:interface=127.0.0.1",
            "--root", directory, "--auth", "anonymous", cwd=directory,
            timeout=TIMEOUT).check_returncode()
        server = _Daemon(self, pidPath, logPath, port)
        server.waitForLog(READY, 2)
        server.login().quit()
        log = server.waitForLog("login from 127.0.0.1")
        self.assertRegex(log, r"\[worker \d+ ftpkit#info\] login from 127.0.0.1")


class _Daemon(ServerProcess):
    """
    A server C{twistd} started in the background: found by its pid file.
    """

    def __init__(self, testCase, pidPath, logPath, port):
        self.testCase = testCase
        self.port = port
        self.logPath = logPath
        self.pidPath = pidPath
        self.pid = None
        self.pid = int(self.waitFor(self._readPid, "the pid file"))
        testCase.addCleanup(self.stop)

    def _portTaken(self):
        return False

    def _readPid(self):
        try:
            with open(self.pidPath) as f:
                return f.read().strip()
        except OSError:
            return None

    def running(self):
        """
        @return: whether the daemon's process is still running (it is no
            child of the test's: found by its pid; running while its pid
            file is awaited).
        """
        if self.pid is None:
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def log(self):
        """
        @return: the log file's text so far.
        """
        try:
            return ServerProcess.log(self)
        except FileNotFoundError:
            return ""

    def stop(self):
        """
        Stop it with C{SIGTERM} and wait until it is gone.
        """
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.kill(self.pid, signal.SIGKILL)

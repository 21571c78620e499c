"""
A C{--listen} or C{--metrics} address that cannot be listened on ends the
server with one log line and exit status 1, in one process and with
C{--workers}, daemonized by C{twistd} or not, never a traceback.
"""

import os
import socket
import subprocess
import sys
import time

from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.twistdrun import SOURCE, twistdRun


class AddressInUseTests(unittest.TestCase):
    """
    C{python -m ftpkit} on a port another socket holds.
    """

    launcher = ("-m", "ftpkit")
    """What C{python} runs the server as."""

    def takenPort(self):
        """
        @return: a port on 127.0.0.1 a socket of this test listens on.
        """
        holder = socket.socket()
        self.addCleanup(holder.close)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        return holder.getsockname()[1]

    def runServer(self, *extra, metrics=False):
        """
        @param metrics: whether the taken port is the C{--metrics} one
            (else the C{--listen} one).
        @return: the exit status and output of a server on a taken port.
        """
        listen = self.listenOptions(metrics)
        done = subprocess.run(
            [sys.executable, *self.launcher, *listen, "--root", os.getcwd(),
             "--auth", "anonymous", *extra],
            capture_output=True, text=True, timeout=60,
            env=dict(os.environ, PYTHONPATH=SOURCE))
        return done.returncode, done.stdout + done.stderr

    def listenOptions(self, metrics):
        """
        @param metrics: whether the taken port is the C{--metrics} one
            (else the C{--listen} one).
        @return: the server's C{--listen} and C{--metrics} options, one of
            their ports taken (L{takenPort}).
        """
        taken = f"tcp:{self.takenPort()}:interface=127.0.0.1"
        if metrics:
            return ["--listen", f"tcp:{self.freePort()}:interface=127.0.0.1",
                    "--metrics", taken]
        return ["--listen", taken]

    def freePort(self):
        """
        @return: a port on 127.0.0.1 that was free a moment ago.
        """
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    def check(self, *extra, metrics=False):
        """
        The server exits with status 1 and one line naming the address
        and, last, the option and value it could not listen for
        (C{--listen tcp:...} or C{--metrics tcp:...}: it named only the
        address, which a C{--metrics} endpoint may share with a
        C{--listen} one).
        """
        status, output = self.runServer(*extra, metrics=metrics)
        self.assertEqual(status, 1, output)
        self.assertNotIn("Traceback", output)
        lines = [line for line in output.splitlines() if "cannot listen" in line]
        self.assertEqual(len(lines), 1, output)
        option = "--metrics" if metrics else "--listen"
        self.assertRegex(lines[0], r"cannot listen: Couldn't listen on "
                         r"127\.0\.0\.1:\d+: \[Errno 98\] Address already "
                         r"in use \(" + option
                         + r" tcp:\d+:interface=127\.0\.0\.1\)$")

    def test_oneProcess(self):
        self.check()

    def test_workers(self):
        """
        The acceptor of C{--workers} names the address as one process
        does: it said only C{cannot listen: [Errno 98] Address already in
        use}, not which of its C{--listen} addresses.
        """
        self.check("--workers", "2")

    def test_metricsOneProcess(self):
        """
        A C{--metrics} port in use is said in one line too (it was a
        traceback).
        """
        self.check(metrics=True)

    def test_metricsWorkers(self):
        """
        Under C{--workers} too, and the metrics directory the acceptor made
        for its workers is removed as it exits (it was left in the
        temporary directory at every such start).
        """
        tmp = scratchDirectory(self)
        self.patch(os, "environ", dict(os.environ, TMPDIR=tmp))
        self.check("--workers", "2", metrics=True)
        # A daemon tells the twistd command it failed, then exits: its
        # exit removes the directory a moment after the command ended.
        deadline = time.monotonic() + 10
        while os.listdir(tmp) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(os.listdir(tmp), [])


class TwistAddressInUseTests(AddressInUseTests):
    """
    C{python -m twisted ftpkit} on a port another socket holds: C{twist}
    starts its service without C{privilegedStartService}, and each
    listener listened from its own C{startService}, so the address in use
    was C{twist}'s traceback (two chained ones).
    """

    launcher = ("-m", "twisted", "--log-format", "text", "ftpkit")


class DaemonAddressInUseTests(AddressInUseTests):
    """
    C{twistd ftpkit}, daemonizing, on a port another socket holds: the
    C{twistd} command waits for the daemon to say it started, and the
    daemon exits.
    """

    def runServer(self, *extra, metrics=False):
        """
        @return: the exit status and output of the C{twistd} command
            starting a daemon on a taken port, and the daemon's log; the
            pid file is gone.
        """
        directory = scratchDirectory(self)
        pidPath = os.path.join(directory, "ftpkit.pid")
        logPath = os.path.join(directory, "ftpkit.log")
        listen = self.listenOptions(metrics)
        try:
            done = twistdRun(
                f"--pidfile={pidPath}", f"--logfile={logPath}", "ftpkit",
                *listen, "--root", directory, "--auth", "anonymous", *extra,
                cwd=directory, timeout=30)
        except subprocess.TimeoutExpired:
            self.fail("twistd still waits for the daemon that exited")
        self.assertFalse(os.path.exists(pidPath))
        with open(logPath) as f:
            log = f.read()
        return done.returncode, done.stdout + done.stderr + log

    def check(self, *extra, metrics=False):
        """
        The C{twistd} command exits with status 1 and says why, and so
        does the log: it waited for good (the daemon ended without
        telling it, with C{SystemExit}, and left its pid file).
        """
        status, output = self.runServer(*extra, metrics=metrics)
        self.assertEqual(status, 1, output)
        self.assertNotIn("Traceback", output)
        self.assertEqual(output.count("Address already in use"), 2, output)


class LogFileAddressInUseTests(AddressInUseTests):
    """
    C{twistd -n --logfile PATH ftpkit} on a port another socket holds:
    the line is in the log and on standard error, where it was in the
    log alone (the terminal, or the journal of a unit running it, showed
    exit status 1 and nothing else).
    """

    def runServer(self, *extra, metrics=False):
        """
        @return: the exit status and standard error of C{twistd -n
            --logfile PATH ftpkit} on a taken port, once its log holds
            the line too.
        """
        directory = scratchDirectory(self)
        logPath = os.path.join(directory, "ftpkit.log")
        listen = self.listenOptions(metrics)
        done = twistdRun(
            "-n", "--pidfile=", f"--logfile={logPath}", "ftpkit", *listen,
            "--root", directory, "--auth", "anonymous", *extra, cwd=directory)
        with open(logPath) as f:
            log = f.read()
        self.assertEqual(log.count("Address already in use"), 1, log)
        self.assertEqual(done.stdout, "")
        self.assertTrue(done.stderr.startswith("twistd ftpkit: cannot listen"),
                        done.stderr)
        return done.returncode, done.stderr

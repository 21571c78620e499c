"""
C{--auth file:PATH} in a real server (C{python -m ftpkit}, C{twistd -n
ftpkit}, one process and C{--workers 2}): a line it cannot use stops the
start with one line; a reload finding one keeps the old users.
"""

import ftplib
import os
import signal
import subprocess
import sys

from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.serverprocess import TIMEOUT, ServerProcess
from tests.twistdrun import SOURCE, TWISTD


class PasswordFileTests(unittest.TestCase):
    """
    A password file with a line that names no user.
    """

    timeout = 240

    def setUp(self):
        self.root = scratchDirectory(self)
        self.path = os.path.join(self.root, "passwd")
        self.write(b"alice:secret\n")

    def write(self, data):
        """
        Replace the password file with C{data}.
        """
        with open(self.path + ".new", "wb") as f:
            f.write(data)
        os.replace(self.path + ".new", self.path)

    def test_start(self):
        """
        The server does not start: exit status 1 and one line naming the
        file and the line, no traceback (it started, and the user of that
        line could not log in).
        """
        self.write(b"alice:secret\nbob\n")
        expected = (f"--auth: {self.path}, line 2: no ':' between user name "
                    "and password (see --help)\n")
        for command, program in [(["-m", "ftpkit"], "ftpkit"),
                                 (["-c", TWISTD, "-n", "--pidfile=",
                                   "ftpkit"], "twistd ftpkit")]:
            for extra in [[], ["--workers", "2"]]:
                done = subprocess.run(
                    [sys.executable, *command, "--listen",
                     "tcp:0:interface=127.0.0.1", "--root", self.root,
                     "--auth", "file:" + self.path, *extra],
                    capture_output=True, text=True, timeout=TIMEOUT,
                    env=dict(os.environ, PYTHONPATH=SOURCE))
                self.assertEqual(
                    (done.returncode, done.stderr, done.stdout),
                    (1, f"{program}: {expected}", ""), (command, extra))

    def reloads(self, extra, processes):
        """
        Start a server, make the file bad, send C{SIGHUP}: each process
        that reloads logs it (one line for all: L{ftpkit.ops.workerechoes})
        naming the file and the line, and
        alice still logs in with her password.

        @param extra: more options.
        @param processes: how many processes reload.
        """
        server = ServerProcess(self, ["--root", self.root, "--auth",
                                      "file:" + self.path, *extra])
        if extra:
            server.waitForLog(" ready\n", processes)
        else:
            server.waitForGreeting()
        self.write(b"alice:secret\nbob\n")
        server.signal(signal.SIGHUP)
        error = (f"users file not reloaded, keeping the old users: "
                 f"{self.path}, line 2: no ':' between user name and password")
        # Under --workers one line names both (ftpkit.ops.workerechoes).
        log = server.waitForLog(error)
        for _ in range(processes + 1):
            server.login("alice", "secret").quit()
        self.assertEqual(server.log().count(error), 1, log)
        if processes > 1:
            self.assertRegex(log, r"\[workers \d+,\d+ [^]]*\] users file")
        self.assertRaises(ftplib.error_perm, server.login, "bob", "x")

    def test_reloadOneProcess(self):
        """
        In one process.
        """
        self.reloads([], 1)

    def test_reloadWorkers(self):
        """
        Under C{--workers 2}, in each worker.
        """
        self.reloads(["--workers", "2"], 2)

"""
The tests' throwaway PostgreSQL (L{tests.pgserver}) never outlives what
started it, nor leaves its directory behind: not when it fails to start,
not when the test process is killed (a PostgreSQL was found running
after a run, in a session of its own, as C{pg_ctl} starts it).
"""

import os
import signal
import subprocess
import sys

from twisted.internet import defer
from twisted.trial import unittest

from tests import pgserver
from tests.pgserver import PostgresServer, binaries
from tests.polling import waitFor
from tests.scratch import scratchDirectory

ROOT = os.path.dirname(os.path.dirname(pgserver.__file__))
"""The directory holding the C{tests} package."""


def running(pid):
    """
    @param pid: a process id.
    @return: whether that process runs (a zombie does not).
    """
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def postmasterOf(directory):
    """
    @param directory: a L{PostgresServer}'s directory.
    @return: the pid of its server, from its C{postmaster.pid}.
    """
    with open(os.path.join(directory, "data", "postmaster.pid")) as f:
        return int(f.readline())


class LeftNothingTests(unittest.TestCase):
    """
    What a L{PostgresServer} leaves once what started it is done.
    """

    def setUp(self):
        if binaries() is None:
            raise unittest.SkipTest("PostgreSQL is not installed")

    def leftover(self, directory, pid):
        """
        Whatever the test finds, stop the server C{pid} and remove
        C{directory} at its end (a server found left is not left for the
        next run).
        """
        def remove():
            if running(pid):
                os.kill(pid, signal.SIGQUIT)
            subprocess.run(["rm", "-rf", directory], check=False)
        self.addCleanup(remove)

    def test_failedStart(self):
        """
        A start that fails once the server runs (C{pg_ctl -w} giving up
        while the server goes on starting, on a loaded machine) stops it
        and removes its directory before the error is raised.
        """
        started = []
        start = PostgresServer._start

        def startThenFail(server):
            start(server)
            started.append((server._dir, postmasterOf(server._dir)))
            self.leftover(*started[0])
            raise RuntimeError("pg_ctl: server did not start in time")

        self.patch(PostgresServer, "_start", startThenFail)
        self.assertRaises(RuntimeError, PostgresServer)
        [(directory, pid)] = started
        self.assertFalse(running(pid))
        self.assertFalse(os.path.exists(directory))

    @defer.inlineCallbacks
    def test_ownerKilled(self):
        """
        A test process killed with its server running: the server is
        stopped and its directory removed all the same.
        """
        told = os.path.join(scratchDirectory(self), "dir")
        owner = subprocess.Popen(
            [sys.executable, "-c",
             "import sys, time\n"
             "from tests.pgserver import PostgresServer\n"
             "server = PostgresServer()\n"
             "with open(sys.argv[1] + '.new', 'w') as f:\n"
             "    f.write(server._dir)\n"
             "import os; os.rename(sys.argv[1] + '.new', sys.argv[1])\n"
             "time.sleep(600)\n", told], cwd=ROOT)
        self.addCleanup(lambda: owner.poll() is None and owner.kill())
        self.addCleanup(owner.wait)
        self.assertTrue((yield waitFor(
            lambda: os.path.exists(told) or owner.poll() is not None)))
        with open(told) as f:
            directory = f.read()
        pid = postmasterOf(directory)
        self.leftover(directory, pid)
        owner.kill()
        owner.wait()
        self.assertTrue((yield waitFor(lambda: not running(pid))))
        self.assertTrue((yield waitFor(
            lambda: not os.path.exists(directory))))

    def test_stopTwice(self):
        """
        L{PostgresServer.stop} stops the server and removes its directory;
        a second stop does nothing.
        """
        server = PostgresServer()
        directory, pid = server._dir, postmasterOf(server._dir)
        self.leftover(directory, pid)
        server.stop()
        self.assertFalse(running(pid))
        self.assertFalse(os.path.exists(directory))
        server.stop()

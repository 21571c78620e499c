"""
L{ftpkit.deploy.pidfiles}: a pid file naming no server is removed before
C{twistd} refuses to start for it; one naming a server is one line.
"""

import os
import subprocess
import sys

from twisted.logger import globalLogPublisher
from twisted.trial import unittest

from ftpkit.deploy.pidfiles import (
    checkPidFile,
    commandLine,
    isServer,
    pidFileState,
)


def executed(pid, program):
    """
    @param pid: a process just started.
    @param program: the first argument it runs with once it ran it.
    @return: C{pid}, once its arguments say so (or cannot be read).
    """
    while True:
        arguments = commandLine(pid)
        if arguments is None or arguments[:1] == [program]:
            return pid
        os.sched_yield()


class PidFileStateTests(unittest.TestCase):
    """
    L{pidFileState} and L{isServer}, on made-up processes.
    """

    def setUp(self):
        self.path = self.mktemp()

    def state(self, content, ownPid=100, alive=True, arguments=None):
        """
        @return: L{pidFileState} of a pid file holding C{content}.
        """
        if content is not None:
            with open(self.path, "wb") as f:
                f.write(content)
        return pidFileState(self.path, ownPid, lambda pid: alive,
                            lambda pid: arguments)

    def test_none(self):
        """
        No pid file: nothing to do.
        """
        self.assertEqual(self.state(None)[0], "none")

    def test_empty(self):
        """
        An empty pid file (a crash as it was written) is stale: C{twistd}
        refused it as C{non-numeric}.
        """
        self.assertEqual(self.state(b"\n")[0], "stale")

    def test_notNumber(self):
        """
        Text that is no pid is left to C{twistd}'s own one-line refusal.
        """
        for text in [b"abc", b"-1", b"0", b"1.5"]:
            self.assertEqual(self.state(text)[0], "none", text)

    def test_own(self):
        """
        A pid file naming this very process (a container's pid 1 started
        again) is stale: C{twistd} took it for another server.
        """
        self.assertEqual(self.state(b"1\n", ownPid=1),
                         ("stale", 1, "this process itself"))

    def test_gone(self):
        """
        A process that is gone: C{twistd} removes the file itself.
        """
        self.assertEqual(self.state(b"4242\n", alive=False)[0], "none")

    def test_reused(self):
        """
        A pid another program has now is stale.
        """
        verdict, pid, what = self.state(
            b"4242\n", arguments=["/usr/sbin/sshd", "-D"])
        self.assertEqual((verdict, pid, what),
                         ("stale", 4242, "'/usr/sbin/sshd -D'"))

    def test_server(self):
        """
        A C{twistd} or ftpkit process is a server still running.
        """
        for arguments in [
                ["/usr/bin/python3", "/usr/local/bin/twistd", "-n",
                 "ftpkit"],
                ["python3", "/usr/bin/twistd3", "web"],
                ["python", "-m", "ftpkit.deploy.worker"]]:
            self.assertEqual(
                self.state(b"4242", arguments=arguments)[0], "running",
                arguments)
        self.assertFalse(isServer(["vim", "twistd.log"]))

    def test_unknown(self):
        """
        Where the arguments cannot be read (no C{/proc}), or C{kill}
        cannot tell, C{twistd} decides as before.
        """
        self.assertEqual(self.state(b"4242", arguments=None)[0], "none")
        self.assertEqual(self.state(b"4242", alive=None)[0], "none")


class CheckPidFileTests(unittest.TestCase):
    """
    L{checkPidFile} with real processes.
    """

    def setUp(self):
        self.path = os.path.abspath(self.mktemp())
        self.events = []
        globalLogPublisher.addObserver(self.events.append)
        self.addCleanup(globalLogPublisher.removeObserver,
                        self.events.append)

    def sleeper(self):
        """
        @return: the pid of a process that is no server, running until
            the test ends.
        """
        process = subprocess.Popen(["sleep", "60"])
        self.addCleanup(process.wait)
        self.addCleanup(process.kill)
        return executed(process.pid, "sleep")

    def writePid(self, pid):
        with open(self.path, "w") as f:
            f.write(f"{pid}\n")

    def test_reusedRemoved(self):
        """
        A pid file naming a process that is no server is removed, with a
        warning: C{twistd} refused to start (C{Another twistd server is
        running}).
        """
        pid = self.sleeper()
        if commandLine(pid) is None:
            raise unittest.SkipTest("no /proc to read arguments from")
        self.writePid(pid)
        self.assertIsNone(checkPidFile({"pidfile": self.path}))
        self.assertFalse(os.path.exists(self.path))
        warned = [e for e in self.events
                  if e.get("log_format", "").startswith("removed the stale")]
        self.assertEqual(len(warned), 1)
        self.assertEqual((warned[0]["pid"], warned[0]["what"]),
                         (pid, "'sleep 60'"))

    def test_ownRemoved(self):
        """
        A pid file naming this process is removed.
        """
        self.writePid(os.getpid())
        self.assertIsNone(checkPidFile({"pidfile": self.path}))
        self.assertFalse(os.path.exists(self.path))

    def test_serverRunning(self):
        """
        A pid file naming a running server is one line naming it, and
        stays.
        """
        process = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(60)", "ftpkit"])
        self.addCleanup(process.wait)
        self.addCleanup(process.kill)
        executed(process.pid, sys.executable)
        if commandLine(process.pid) is None:
            raise unittest.SkipTest("no /proc to read arguments from")
        self.writePid(process.pid)
        why = checkPidFile({"pidfile": self.path})
        self.assertTrue(why.startswith(
            f"--pidfile: {self.path} names process {process.pid}, a server "
            f"still running ("), why)
        self.assertTrue(why.endswith(
            "): stop it first, or give another --pidfile"), why)
        self.assertNotIn("\n", why)
        self.assertTrue(os.path.exists(self.path))

    def test_notTwistd(self):
        """
        Outside C{twistd}, without C{--pidfile} or under C{--chroot}
        (where the file is read inside the new root) nothing is checked.
        """
        self.writePid(os.getpid())
        for options in [None, {"pidfile": ""},
                        {"pidfile": self.path, "chroot": "/"}]:
            self.assertIsNone(checkPidFile(options))
        self.assertTrue(os.path.exists(self.path))

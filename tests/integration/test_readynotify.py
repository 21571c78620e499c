"""
A real server started as systemd's C{Type=notify} starts it (with
C{NOTIFY_SOCKET}) says C{READY=1} once it handles C{SIGHUP}: systemd
sends a C{systemctl reload} no earlier, and the reload is done, the
server serving on. Without it, a unit of C{Type=simple} counted as
started at once, and a C{SIGHUP} in the first moment of the start (one
second or two under load) ended the server by its default action,
without a line (L{ftpkit.deploy.readynotify}).
"""

import signal

from twisted.trial import unittest

from tests.integration.test_signalorders import HANGUP_SAID
from tests.scratch import scratchDirectory
from tests.serverprocess import TIMEOUT, ServerProcess, childrenOf
from tests.unit.test_readynotify import notificationSocket


def signalMasks(pid):
    """
    @param pid: a process id.
    @return: C{(blocked, caught)}: the signal masks of its main thread.
    """
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":\t", 1) for line in f.read().splitlines()
                      if ":\t" in line)
    return int(fields["SigBlk"], 16), int(fields["SigCgt"], 16)


def environment(pid):
    """
    @param pid: a process id.
    @return: the names in its environment.
    """
    with open(f"/proc/{pid}/environ", "rb") as f:
        return {entry.split(b"=", 1)[0].decode()
                for entry in f.read().split(b"\0") if entry}


class ReadyTests(unittest.TestCase):
    """
    C{READY=1}, then C{SIGHUP} at once.
    """

    timeout = 2 * TIMEOUT + 30

    def readyThenHangUp(self, *extra, twistd=False):
        """
        Start a server with C{NOTIFY_SOCKET}; once it says C{READY=1}, it
        handles C{SIGHUP} (not blocked, caught); one sent then reloads,
        and the server serves on.

        @param extra: more options.
        @param twistd: run it with C{twistd -n}.
        @return: the L{ServerProcess}.
        """
        path, receiver = notificationSocket(self)
        receiver.settimeout(TIMEOUT)
        server = ServerProcess(
            self, ["--root", scratchDirectory(self), "--auth", "anonymous",
                   *extra], twistd=twistd, env={"NOTIFY_SOCKET": path})
        self.assertEqual(receiver.recv(100), b"READY=1")
        blocked, caught = signalMasks(server.process.pid)
        bit = 1 << (signal.SIGHUP - 1)
        self.assertEqual((blocked & bit, caught & bit), (0, bit))
        server.signal(signal.SIGHUP)
        server.waitFor(lambda: HANGUP_SAID.search(server.log()),
                       "the SIGHUP line")
        server.waitForGreeting()
        self.assertIsNone(server.process.poll())
        self.assertNotIn("Traceback", server.log())
        return server

    def test_oneProcess(self):
        """
        One process (C{python -m ftpkit}).
        """
        self.readyThenHangUp()

    def test_twistd(self):
        """
        One process under C{twistd -n}.
        """
        self.readyThenHangUp(twistd=True)

    def test_workers(self):
        """
        The acceptor of C{--workers} says it, as it runs (its workers
        may still start: a reload then waits until they are ready), and
        its workers do not inherit the variable: the acceptor speaks for
        the server.
        """
        server = self.readyThenHangUp("--workers", "2")
        server.waitFor(lambda: len(childrenOf(server.process.pid)) == 2,
                       "two workers")
        for pid in childrenOf(server.process.pid):
            self.assertNotIn("NOTIFY_SOCKET", environment(pid))
        server.waitForLog(" ready\n", 2)

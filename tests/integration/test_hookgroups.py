"""
C{--on-upload} commands run in a process group of their own
(L{ftpkit.compat.processgroups}), so that what they start ends with
them: a command killed (its time limit, the end of the shutdown grace)
left the processes it had started running, and so did a command that
exited leaving one (C{notify &}), past the server's stop, in one
process and under C{--workers} alike.
"""

import ctypes
import io
import os
import signal
import sys

from twisted.internet import defer, reactor
from twisted.internet.task import Clock, deferLater
from twisted.trial import unittest

from ftpkit.control import uploadhook
from ftpkit.control.uploadhook import UploadCommand
from ftpkit.ops import events
from tests.clockedreactor import ClockedReactor
from tests.logevents import captureLogs
from tests.polling import waitFor
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess


def alive(pid):
    """
    @param pid: a process id.
    @return: whether that process runs (a zombie does not: what reaps
        the orphans may be slow to).
    """
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def pidsIn(path):
    """
    @param path: a file of process ids, one a line.
    @return: them, as C{int}s (none when there is no file).
    """
    try:
        with open(path) as f:
            return [int(line) for line in f.read().split()]
    except FileNotFoundError:
        return []


def killLeft(path):
    """
    Kill the processes named in C{path} that still run (what a test that
    failed left).

    @param path: see L{pidsIn}.
    """
    for pid in pidsIn(path):
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


PR_SET_CHILD_SUBREAPER = 36
"""Linux's C{prctl} making the caller reap the orphans of its
descendants, as a container's first process does."""


def reap(pid):
    """
    Reap C{pid} if it is a child of this process not reaped yet.

    @param pid: a process id.
    """
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def upload(path):
    """
    @return: the event of an upload of C{path} by C{alice}.
    """
    return events.Event(events.TRANSFER, "10.0.0.1", user="alice",
                        command="STOR", code=226, path=path, bytes=1)


def hookLines(logged):
    """
    @param logged: log events.
    @return: the formats of those about C{--on-upload}.
    """
    return [e["log_format"] for e in logged
            if "--on-upload" in e.get("log_format", "")]


class GroupKilledTests(unittest.TestCase):
    """
    L{UploadCommand} kills a command's whole process group.
    """

    timeout = 30

    def setUp(self):
        self.pids = os.path.abspath(self.mktemp())
        self.addCleanup(killLeft, self.pids)

    def shell(self, script, timeout=30.0, reactor=None):
        """
        @param reactor: the command's reactor (the global one when
            C{None}).
        @return: an L{UploadCommand} running C{script} with C{sh}, C{$0}
            being the file of process ids.
        """
        return UploadCommand(["/bin/sh", "-c", script, self.pids], None, 1,
                             timeout, reactor)

    @defer.inlineCallbacks
    def test_timeout(self):
        """
        A command past its time limit is killed with the process it
        started: the background C{sleep} outlived it before. Its time
        runs on a clock advanced once it started that process (a shell
        slower than the limit on a loaded machine was killed before).
        """
        logged = captureLogs(self)
        clocked = ClockedReactor(reactor, Clock())
        hook = self.shell('sleep 60 & echo $! > "$0"; sleep 60',
                          timeout=0.5, reactor=clocked)
        finished = hook.uploadFinished(upload("/slow"))
        self.assertTrue((yield waitFor(lambda: pidsIn(self.pids))))
        clocked.clock.advance(0.5)
        yield finished
        [pid] = pidsIn(self.pids)
        self.assertTrue((yield waitFor(lambda: not alive(pid))))
        self.assertEqual(len(hookLines(logged)), 1, logged)

    @defer.inlineCallbacks
    def test_leftRunningKilledAtStop(self):
        """
        A process a command left running holds the stop for the grace,
        then is killed, in one line: it outlived the server before.
        """
        logged = captureLogs(self)
        hook = self.shell('sleep 60 & echo $! > "$0"')
        yield hook.uploadFinished(upload("/a"))
        [pid] = pidsIn(self.pids)
        self.assertTrue(alive(pid))
        yield hook.finish(0.5)
        self.assertTrue((yield waitFor(lambda: not alive(pid))))
        [line] = hookLines(logged)
        self.assertIn("killed at shutdown the processes that {count} "
                      "command(s) left running", line)

    @defer.inlineCallbacks
    def stoppedWhileOutputRead(self, exit):
        """
        Run a command that leaves C{sleep 60} running, holding its output
        open, and ends with C{exit}; stop, the stop's grace ending once
        the command exited, its output still read (for
        L{uploadhook.OUTPUT_GRACE} seconds, on a clock).

        @param exit: the command's last shell command.
        @return: a Deferred firing with C{(logged, left)}: the log events,
            and the id of the process it left.
        """
        logged = captureLogs(self)
        clocked = ClockedReactor(reactor, Clock())
        hook = self.shell(f'sleep 60 & echo $! > "$0"; echo $$ >> "$0"; {exit}',
                          reactor=clocked)
        ended = hook.uploadFinished(upload("/a"))
        self.assertTrue((yield waitFor(lambda: len(pidsIn(self.pids)) == 2)))
        left, command = pidsIn(self.pids)
        # Gone from /proc once the reactor reaped it: the command exited.
        self.assertTrue((yield waitFor(
            lambda: not os.path.exists(f"/proc/{command}"))))
        settled = hook.finish(0.5)
        clocked.clock.advance(0.5)
        yield settled
        yield ended
        return logged, left

    @defer.inlineCallbacks
    def test_leftRunningKilledWhileOutputRead(self):
        """
        A command that exited, leaving a process that holds its output
        open, is still read for L{uploadhook.OUTPUT_GRACE} seconds; a
        stop whose grace ends within them kills that process in the one
        line of the processes commands left running. It was killed as
        the command still running, and its command's end (status 0)
        logged nothing, so the line was missing (CI: test_oneProcess,
        stopped within a second of its uploads).
        """
        logged, left = yield self.stoppedWhileOutputRead("exit 0")
        self.assertTrue((yield waitFor(lambda: not alive(left))))
        [line] = hookLines(logged)
        self.assertIn("killed at shutdown the processes that {count} "
                      "command(s) left running", line)

    @defer.inlineCallbacks
    def test_failedWhileOutputReadKeepsItsReason(self):
        """
        A command that exited with a failure, its output still read when
        the stop's grace ends, is logged with its own status, not as
        killed at shutdown (which it was not).
        """
        logged, _ = yield self.stoppedWhileOutputRead("exit 3")
        [failed] = [e for e in logged
                    if "command {argv} failed" in e.get("log_format", "")]
        self.assertIn("exit code 3", failed["why"])

    @defer.inlineCallbacks
    def test_leftRunningFinishes(self):
        """
        A process a command left running that ends within the grace is
        waited for, and nothing is logged: the stop came at once before,
        cutting it short.
        """
        logged = captureLogs(self)
        done = os.path.abspath(self.mktemp())
        hook = self.shell(f'(sleep 2; echo done > {done}) & echo $! > "$0"')
        yield hook.uploadFinished(upload("/a"))
        yield hook.finish(20)
        with open(done) as f:
            self.assertEqual(f.read(), "done\n")
        self.assertEqual(hookLines(logged), [])

    @defer.inlineCallbacks
    def test_noProcessWalkWhileServing(self):
        """
        While the server serves, the looks at a group a command left
        running send a signal (none) and walk no C{/proc}: the walk
        that tells zombies apart (L{uploadhook.groupRuns}) ran in the
        reactor's thread at every command's end and every 0.2 s while
        such a process ran, over every process of the machine; it is
        for the stop alone.
        """
        walks = []
        real = uploadhook.groupRuns
        self.patch(uploadhook, "groupRuns",
                   lambda group: walks.append(group) or real(group))
        hook = self.shell('sleep 1 & echo $! > "$0"')
        yield hook.uploadFinished(upload("/a"))
        yield deferLater(reactor, 3 * uploadhook.LEFT_RUNNING_POLL,
                         lambda: None)
        self.assertEqual(walks, [])
        yield hook.finish(20)
        self.assertNotEqual(walks, [])

    @defer.inlineCallbacks
    def test_zombieLeftDoesNotHoldTheStop(self):
        """
        A process a command left that ended, but that what reaps orphans
        has not reaped yet (a container's first process that reaps late
        or never), does not hold the stop: it held it for the whole
        grace, as a zombie is still in its group.
        """
        if not sys.platform.startswith("linux"):
            raise unittest.SkipTest("needs Linux's prctl and /proc")
        libc = ctypes.CDLL(None, use_errno=True)
        self.assertEqual(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0)
        self.addCleanup(libc.prctl, PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
        hook = self.shell('sleep 0.2 & echo $! > "$0"')
        yield hook.uploadFinished(upload("/a"))
        [pid] = pidsIn(self.pids)
        self.addCleanup(reap, pid)
        while alive(pid):
            yield deferLater(reactor, 0.05, lambda: None)
        with open(f"/proc/{pid}/stat") as f:
            self.assertIn(") Z ", f.read())
        settled = hook.finish(20)
        self.assertTrue(settled.called)


HOOK = """#!/bin/sh
sleep 100 &
echo $! >> "$0.pids"
"""
"""An C{--on-upload} command leaving a process of its own running."""


class ServerStopTests(unittest.TestCase):
    """
    A server stopped with C{SIGTERM} leaves nothing its C{--on-upload}
    commands started running, in one process and under C{--workers}.
    """

    timeout = 120

    def stopLeavesNothing(self, *options):
        directory = scratchDirectory(self)
        root = os.path.join(directory, "root")
        os.mkdir(root)
        hook = os.path.join(directory, "hook.sh")
        with open(hook, "w") as f:
            f.write(HOOK)
        os.chmod(hook, 0o755)
        self.addCleanup(killLeft, hook + ".pids")
        server = ServerProcess(self, [
            "--root", root, "--auth", "memory:alice:secret",
            "--on-upload", hook, "--shutdown-grace", "1", *options])
        server.waitForGreeting()
        ftp = server.login("alice", "secret")
        for number in range(3):
            ftp.storbinary(f"STOR {number}.bin", io.BytesIO(b"x"))
        ftp.quit()
        server.waitFor(lambda: len(pidsIn(hook + ".pids")) == 3,
                       "three commands")
        self.assertEqual(server.stop(), -signal.SIGTERM, server.log())
        pids = pidsIn(hook + ".pids")
        server.waitFor(lambda: not any(alive(pid) for pid in pids),
                       "the commands' processes to end")
        log = server.log()
        self.assertEqual(log.count("command(s) left running"), 1, log)
        self.assertNotIn("Traceback", log)

    def test_oneProcess(self):
        self.stopLeavesNothing()

    def test_workers(self):
        self.stopLeavesNothing("--workers", "2")

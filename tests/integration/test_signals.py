"""
Signals reaching a real server (C{twistd ftpkit}, C{python -m ftpkit}):
C{SIGHUP} reloads and never stops it, with or without C{--workers}.
"""

import glob
import os
import re
import signal
import time

from twisted.trial import unittest

from ftpkit.deploy.signalcopies import COPY_WINDOW
from tests.polling import waitUntil
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess, waitInReactors
from tests.sitescripts import AT_WORKER_OR_IMPORT, sitePath

_REALMS = "ftpkit.auth.realms#info"
"""The tag of a worker's reload lines, after its pid."""

_WORKER_RELOADING = rf"\[worker (\d+) {_REALMS}\] SIGHUP: reloading"
"""A worker's reload line; its group is the worker's pid."""

HANGUPS_AT_START = """\
import os, signal, sys, threading, time

STOP = os.environ["FTPKIT_TEST_HANGUPS_UNTIL"]
MODULE = "ftpkit.deploy.tap"


def hangups():
    while not os.path.exists(STOP):
        os.kill(os.getpid(), signal.SIGHUP)
        time.sleep(0.02)


def act():
    os.kill(os.getpid(), signal.SIGHUP)
    threading.Thread(target=hangups, daemon=True).start()
""" + AT_WORKER_OR_IMPORT
"""
A C{sitecustomize} sending its process C{SIGHUP} every 20 ms until the
file C{$FTPKIT_TEST_HANGUPS_UNTIL} exists: a worker from its first
moment, any other process from the moment it loads ftpkit's options
(C{twistd}'s own start-up, before it loads any plugin, is out of ftpkit's
reach).
"""

USER_SIGNALS_AT_START = """\
import os, signal, sys

MODULE = "twisted.scripts.twistd"


def act():
    os.kill(os.getpid(), signal.SIGUSR1)
    os.kill(os.getpid(), signal.SIGUSR2)
""" + AT_WORKER_OR_IMPORT
"""
A C{sitecustomize} sending its process C{SIGUSR1} and C{SIGUSR2}: a
worker at its first moment, C{python -m ftpkit} once its C{__main__} has
begun (when it imports C{twistd}).
"""

ROTATION_AT_START = """\
import os, signal, sys


def loaded(event, args):
    if event == "import" and args[0] == "ftpkit.deploy.service":
        os.kill(os.getpid(), signal.SIGUSR1)


sys.addaudithook(loaded)
"""
"""
A C{sitecustomize} sending C{twistd} C{SIGUSR1} once ftpkit's options
are parsed, while its service is built (C{ftpkit.deploy.service} is
imported then).
"""


def startLoggedIn(case, root, extra):
    """
    Start a server on C{root} with the C{extra} options (its workers
    ready, if any) and log alice (password C{pw}) in.

    @param case: the test, which stops the server at its end.
    @param root: the served directory.
    @param extra: more options; with any, the server has workers.
    @return: the L{ServerProcess} and the logged-in C{ftplib.FTP}.
    """
    server = ServerProcess(case, ["--root", root, "--auth",
                                  "memory:alice:pw", *extra])
    if extra:
        server.waitForLog(" ready\n", 2)
    else:
        server.waitForGreeting()
    return server, server.login("alice", "pw")


def readText(path):
    """
    @return: the text of the file at C{path}.
    """
    with open(path) as f:
        return f.read()


def _sleeps(pid):
    """
    @param pid: a process id.
    @return: how many times its main thread went to sleep of itself
        (C{voluntary_ctxt_switches} in C{/proc/PID/status}).
    """
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])
    return 0


class HangupTests(unittest.TestCase):
    """
    C{SIGHUP} never ends the server.
    """

    def setUp(self):
        self.root = scratchDirectory(self)

    def assertServes(self, server):
        """
        The server still runs and serves a login.
        """
        self.assertIsNone(server.process.poll(), server.log())
        server.login().quit()

    def test_twistdWithoutUsersFile(self):
        """
        C{twistd -n ftpkit} with no users file survives C{SIGHUP} (its
        default action ended it with status 129).
        """
        server = ServerProcess(self, ["--root", self.root,
                                      "--auth", "anonymous"], twistd=True)
        server.waitForGreeting()
        server.signal(signal.SIGHUP)
        server.waitForLog("SIGHUP: reloading")
        self.assertServes(server)

    def test_workers(self):
        """
        Under C{--workers 2}, C{SIGHUP} to the acceptor reaches both
        workers, each reloading, and the server keeps serving.
        """
        server = ServerProcess(self, ["--root", self.root, "--workers", "2",
                                      "--auth", "anonymous"])
        server.waitForLog(" ready\n", 2)
        server.signal(signal.SIGHUP)
        log = server.waitForLog("SIGHUP: reloading", 3)
        workers = set(re.findall(_WORKER_RELOADING, log))
        self.assertEqual(len(workers), 2, log)
        self.assertServes(server)
        server.signal(signal.SIGHUP)
        server.waitForLog("SIGHUP: reloading", 6)
        self.assertServes(server)

    def test_userSignal1(self):
        """
        C{python -m ftpkit} and C{twistd -n ftpkit}, alone and with
        C{--workers 2}, log to standard output, which has nothing to
        rotate: C{SIGUSR1} (the log rotation of C{twistd --logfile}) does
        not end them, as its default action did, without a line in the
        log.
        """
        for twistd in [False, True]:
            for extra in [[], ["--workers", "2"]]:
                server = ServerProcess(self, ["--root", self.root,
                                              "--auth", "anonymous", *extra],
                                       twistd=twistd)
                if extra:
                    server.waitForLog(" ready\n", 2)
                else:
                    server.waitForGreeting()
                server.signal(signal.SIGUSR1)
                server.signal(signal.SIGHUP)
                server.waitForLog("SIGHUP: reloading")
                self.assertServes(server)

    def test_workersIgnoreUserSignal1(self):
        """
        C{SIGUSR1} (C{twistd --logfile}'s log rotation) reaching the
        workers, as C{systemctl kill -s USR1} sends it to every process of
        the server, ends none: a worker's log goes to the acceptor, and
        the signal's default action ended it, cutting its sessions (the
        acceptor started another). A worker's reload line after it proves
        it lived.
        """
        server = ServerProcess(self, ["--root", self.root, "--workers", "2",
                                      "--auth", "anonymous"])
        log = server.waitForLog(" ready\n", 2)
        workers = set(re.findall(r"worker (\d+) ready", log))
        for pid in workers:
            os.kill(int(pid), signal.SIGUSR1)
        server.signal(signal.SIGHUP)
        log = server.waitForLog("SIGHUP: reloading", 3)
        self.assertEqual(
            set(re.findall(_WORKER_RELOADING, log)),
            workers, log)
        self.assertNotRegex(log, r"worker \d+ exited")
        self.assertServes(server)

    def test_userSignal2(self):
        """
        C{SIGUSR2} means nothing to ftpkit and ends no process of it:
        C{python -m ftpkit} and C{twistd -n ftpkit} alone, and the
        acceptor and each worker of C{--workers 2} (C{systemctl kill -s
        USR2} signals every process). Its default action ended each,
        cutting the sessions. A reload line after it proves each lived.
        """
        for twistd, extra in [(False, []), (True, []),
                              (False, ["--workers", "2"])]:
            server = ServerProcess(self, ["--root", self.root,
                                          "--auth", "anonymous", *extra],
                                   twistd=twistd)
            if extra:
                log = server.waitForLog(" ready\n", 2)
            else:
                server.waitForGreeting()
                log = server.log()
            workers = set(re.findall(r"worker (\d+) ready", log))
            for pid in workers:
                os.kill(int(pid), signal.SIGUSR2)
            server.signal(signal.SIGUSR2)
            server.signal(signal.SIGHUP)
            log = server.waitForLog("SIGHUP: reloading", 1 + len(workers))
            self.assertEqual(
                set(re.findall(_WORKER_RELOADING, log)),
                workers, log)
            self.assertNotRegex(log, r"worker \d+ exited")
            self.assertServes(server)

    def test_copyOfTimeout(self):
        """
        C{timeout -s HUP} sends C{SIGHUP} to C{twistd}, then the same
        signal to its process group: under C{--workers 2}, each such
        pair reloads once, one line from the acceptor and one from each
        worker. The acceptor, asleep in its reactor, often woke at the
        first and reloaded before the second came, then reloaded again,
        each worker with it (12 lines, not 10, for 10 pairs): each pair
        here comes so.
        """
        server = ServerProcess(self, ["--root", self.root, "--workers", "2",
                                      "--auth", "anonymous"],
                               twistd=True, preexec=os.setpgrp)
        log = server.waitForLog(" ready\n", 2)
        workers = re.findall(r"worker (\d+) ready", log)
        rounds = 10
        pid = server.process.pid
        for done in range(1, rounds + 1):
            # The race, every round: the acceptor asleep in its reactor
            # wakes at the first signal and sleeps again, its handler run,
            # before the copy comes. The copy must still come within
            # COPY_WINDOW of the first to be one, so the wait for that
            # sleep is bounded by half of it: on a loaded machine a round
            # may send the copy sooner (the race is then not forced, and
            # the round still holds the rule).
            server.waitFor(lambda: waitInReactors(pid),
                           "the server's processes idle")
            slept = _sleeps(pid)
            os.kill(pid, signal.SIGHUP)
            waitUntil(lambda slept=slept: _sleeps(pid) > slept
                      and waitInReactors(pid), timeout=COPY_WINDOW / 2)
            os.killpg(pid, signal.SIGHUP)
            server.waitForLog("SIGHUP: reloading 2 workers", done)
            server.waitForLog("] SIGHUP: reloading", 2 * done)
        # Every line of the last round: a worker's come through its log
        # pipe, paced, and may come after the other's.
        server.waitForLog("] SIGHUP: reloading", 3 * rounds)
        self.assertServes(server)
        log = server.log()
        self.assertEqual(log.count("SIGHUP: reloading 2 workers"), rounds,
                         log)
        for pid in workers:
            self.assertEqual(
                log.count(f"[worker {pid} {_REALMS}] SIGHUP: reloading"),
                rounds, log)

    def test_atStart(self):
        """
        C{twistd -n ftpkit}, alone and with C{--workers 2}, with
        C{SIGHUP} coming again and again from the moment it loads
        ftpkit's options, and to each worker from the moment it starts:
        the server starts, serves, and no worker dies. It died at once
        (status -1) when the signal came before the options were parsed,
        and a worker before its service was built. The signals come until
        the server has reloaded a few times while serving: a burst of a
        fixed length (two seconds) could end while a server slowed by
        load still started, and the reloads the test waited for never
        came.
        """
        path = sitePath(self, HANGUPS_AT_START)
        for extra in ([], ["--workers", "2"]):
            stop = os.path.abspath(self.mktemp())
            server = ServerProcess(self, ["--root", self.root,
                                          "--auth", "anonymous", *extra],
                                   twistd=True,
                                   env={"PYTHONPATH": path,
                                        "FTPKIT_TEST_HANGUPS_UNTIL": stop})
            # Before the server's own cleanup, which stops it.
            self.addCleanup(lambda stop=stop: open(stop, "a").close())
            if extra:
                server.waitForLog(" ready\n", 2)
            else:
                server.waitForGreeting()
            server.waitForLog("SIGHUP: reloading", 5)
            self.assertServes(server)
            self.assertNotRegex(server.log(), r"worker \d+ exited")
            open(stop, "w").close()

    def test_userSignalsAtStart(self):
        """
        C{SIGUSR1} and C{SIGUSR2} while C{python -m ftpkit} starts, alone
        and with C{--workers 2}, and to each worker from its first
        moment, end nothing: C{SIGUSR2} ended C{python -m ftpkit} until
        its options were parsed, and either ended a worker that had not
        yet ignored them (a C{systemctl kill -s USR1} while one started).
        """
        path = sitePath(self, USER_SIGNALS_AT_START)
        for extra in ([], ["--workers", "2"]):
            server = ServerProcess(self, ["--root", self.root,
                                          "--auth", "anonymous", *extra],
                                   env={"PYTHONPATH": path})
            if extra:
                server.waitForLog(" ready\n", 2)
            else:
                server.waitForGreeting()
            self.assertServes(server)
            self.assertNotRegex(server.log(), r"worker \d+ exited")

    def test_rotationWhileStarting(self):
        """
        C{SIGUSR1} while C{twistd -n ftpkit} builds its service ends
        nothing, with its log on standard output (where it is then
        ignored) or in a C{--logfile}, which a later C{SIGUSR1} still
        rotates: its default action ended the server, from the options'
        parsing until the service started (ignoring it there would have
        kept C{twistd} from installing its rotation).
        """
        path = sitePath(self, ROTATION_AT_START)
        logFile = os.path.abspath(self.mktemp())
        for twistdOptions in (["-n", "--pidfile="],
                              ["-n", "--pidfile=", f"--logfile={logFile}"]):
            server = ServerProcess(self, ["--root", self.root,
                                          "--auth", "anonymous"],
                                   twistd=True, twistdOptions=twistdOptions,
                                   env={"PYTHONPATH": path})
            server.waitForGreeting()
            self.assertServes(server)
        rotated = len(glob.glob(logFile + ".*"))
        server.signal(signal.SIGUSR1)
        server.waitFor(lambda: len(glob.glob(logFile + ".*")) > rotated,
                       "the log file rotated")
        self.assertServes(server)

    def test_reopenMovedLog(self):
        """
        C{SIGUSR1} after the C{--logfile} was moved away (C{logrotate}
        without C{copytruncate}, C{mv}) opens a new file at its path, in
        one process and under C{--workers 2} (whose acceptor writes every
        line): the lines went on into the moved file, and nothing was at
        the path.
        """
        for extra in ([], ["--workers", "2"]):
            logFile = os.path.abspath(self.mktemp())
            server = ServerProcess(
                self, ["--root", self.root, "--auth", "anonymous", *extra],
                twistd=True,
                twistdOptions=["-n", "--pidfile=", f"--logfile={logFile}"])
            server.waitForGreeting()
            os.rename(logFile, logFile + ".moved")
            server.signal(signal.SIGUSR1)
            server.waitFor(lambda path=logFile: os.path.exists(path),
                           f"a new {logFile}")
            self.assertServes(server)
            server.waitFor(lambda path=logFile: "login from" in readText(path),
                           "the login's line in the new file")
            self.assertEqual(glob.glob(logFile + ".[0-9]*"), [])
            self.assertNotIn("login from", readText(logFile + ".moved"))
            server.stop()


class TerminateTests(unittest.TestCase):
    """
    C{SIGTERM} drains the server.
    """

    def test_idleSessionsTold(self):
        """
        Idle sessions get C{421} and are closed; the server exits as
        C{twistd} does on C{SIGTERM} (by that signal, which systemd counts
        as a clean stop), with and without workers.
        """
        root = scratchDirectory(self)
        for extra in ([], ["--workers", "2"]):
            server = ServerProcess(self, ["--root", root,
                                          "--auth", "anonymous", *extra])
            if extra:
                server.waitForLog(" ready\n", 2)
            else:
                server.waitForGreeting()
            sessions = [server.login(), server.login()]
            server.signal(signal.SIGTERM)
            for ftp in sessions:
                self.assertEqual(ftp.getline()[:4], "421 ")
                self.assertEqual(ftp.sock.recv(10), b"")
                ftp.close()
            self.assertEqual(server.process.wait(60), -signal.SIGTERM,
                             server.log())

    def test_terminateTwice(self):
        """
        A second C{SIGTERM} while the server drains changes nothing: the
        transfer in flight still completes, the log says the signal came
        again in one line, and no error is logged (Twisted's handler
        stopped the reactor a second time, logging a critical
        C{ReactorNotRunning} traceback), with and without workers.
        """
        root = scratchDirectory(self)
        for extra in ([], ["--workers", "2"]):
            server, up = startLoggedIn(self, root, extra)
            data = up.transfercmd("STOR up" + str(len(extra)))
            self.addCleanup(data.close)
            data.sendall(b"x" * 65536)
            server.signal(signal.SIGTERM)
            server.waitForLog("stopping: closing")
            # An operator's second signal, not a copy of the first: a
            # window by design (signals closer than it are one).
            time.sleep(COPY_WINDOW)
            server.signal(signal.SIGTERM)
            server.waitForLog("SIGTERM again")
            data.sendall(b"y" * 65536)
            data.close()
            self.assertEqual(up.voidresp()[:3], "226")
            self.assertEqual(up.getline()[:4], "421 ")
            self.assertEqual(server.process.wait(60), -signal.SIGTERM,
                             server.log())
            log = server.log()
            self.assertNotIn("Traceback", log)
            self.assertNotIn("#critical", log)
            self.assertEqual(log.count("SIGTERM again"), 1, log)

    def test_hangupWhileDraining(self):
        """
        C{SIGHUP} while the server drains (a C{systemctl reload} during a
        C{systemctl stop}) does not end it: the upload in flight completes
        and the server exits as C{SIGTERM} has it, logging the transfer.
        The drain put back C{SIGHUP}'s default action, which ended the
        process at once, losing the upload (one process) or the acceptor
        with the workers' log (C{--workers}).
        """
        root = scratchDirectory(self)
        for extra in ([], ["--workers", "2"]):
            server, up = startLoggedIn(self, root, extra)
            name = "up" + str(len(extra))
            data = up.transfercmd("STOR " + name)
            self.addCleanup(data.close)
            data.sendall(b"x" * 65536)
            server.signal(signal.SIGTERM)
            server.waitForLog("stopping: closing")
            server.signal(signal.SIGHUP)
            data.sendall(b"y" * 65536)
            data.close()
            self.assertEqual(up.voidresp()[:3], "226")
            self.assertEqual(server.process.wait(60), -signal.SIGTERM,
                             server.log())
            server.waitForLog(f"STOR from 127.0.0.1 user 'alice' path "
                              f"'/{name}': 226")
            with open(os.path.join(root, name), "rb") as f:
                self.assertEqual(f.read(), b"x" * 65536 + b"y" * 65536)


class QuitTests(unittest.TestCase):
    """
    C{SIGQUIT} stops the server now: the transfers running are cut (the
    upload kept as a partial one), the log says so, and the process exits
    with its pid file removed. Its default action ended the process where
    it stood: no log line, the pid file and the upload's temporary file
    left, and under C{--workers} the workers finishing their transfers
    with no acceptor to log them.
    """

    def quitDuringUpload(self, extra, before=None):
        """
        Start a server (its workers, if any, in their own process group
        with the acceptor, as a terminal runs it) with a pid file and a
        long grace, have alice upload, optionally send it C{before} and
        wait for the drain, then send C{SIGQUIT} (to the whole group):
        the upload is cut (what arrived kept as a partial upload, no
        temporary file left), the client told, and the server exits.

        @param extra: more ftpkit options.
        @param before: a signal to send before C{SIGQUIT}, or C{None}.
        @return: the server's exit status and log.
        """
        root = scratchDirectory(self)
        pidFile = os.path.abspath(self.mktemp())
        server = ServerProcess(
            self, ["--root", root, "--auth", "memory:alice:pw",
                   "--shutdown-grace", "600", *extra],
            twistd=True, twistdOptions=["-n", "--pidfile=" + pidFile],
            preexec=os.setpgrp)
        if extra:
            server.waitForLog(" ready\n", 2)
        else:
            server.waitForGreeting()
        up = server.login("alice", "pw")
        data = up.transfercmd("STOR up")
        self.addCleanup(data.close)
        data.sendall(b"x" * 65536)
        if before is not None:
            server.signal(before)
            server.waitForLog("stopping: closing")
        os.killpg(server.process.pid, signal.SIGQUIT)
        replies = []
        while True:
            line = up.file.readline()
            if not line:
                break
            replies.append(line[:4])
        self.assertEqual(replies[-1:], ["421 "], replies)
        status = server.process.wait(60)
        log = server.log()
        self.assertFalse(os.path.exists(pidFile), log)
        self.assertEqual(log.count("SIGQUIT: stopping now"), 1, log)
        self.assertIn("STOR from 127.0.0.1 user 'alice' path '/up': 426",
                      log)
        self.assertNotIn("Traceback", log)
        left = os.listdir(root)
        self.assertEqual([name for name in left
                          if not name.startswith(".ftpkit-partial.up")],
                         [], left)
        return status, log

    def test_quit(self):
        """
        C{SIGQUIT} cuts the upload and stops a server, one process or
        C{--workers 2}; the process exits with status 0 (C{SIGQUIT}'s
        own status would be a crash's).
        """
        for extra in ([], ["--workers", "2"]):
            status, log = self.quitDuringUpload(extra)
            self.assertEqual(status, 0, log)

    def test_quitWhileDraining(self):
        """
        C{SIGQUIT} while the server drains after C{SIGTERM} cuts the
        transfers it waits for now, not once the grace is over; the
        process exits as C{SIGTERM} has it.
        """
        for extra in ([], ["--workers", "2"]):
            status, log = self.quitDuringUpload(extra, signal.SIGTERM)
            self.assertEqual(status, -signal.SIGTERM, log)


class GroupSignalTests(unittest.TestCase):
    """
    Signals sent to every process of a C{--workers 2} server at once (a
    process group's: C{kill -- -PGID}, C{timeout}, a terminal's; every
    process of a systemd unit: C{systemctl kill}) are acted on once: a
    worker leaves them to its acceptor, which passes its own on.
    """

    def setUp(self):
        root = scratchDirectory(self)
        self.server = ServerProcess(
            self, ["--root", root, "--workers", "2",
                   "--auth", "memory:alice:pw"], preexec=os.setpgrp)
        log = self.server.waitForLog(" ready\n", 2)
        self.workers = [int(pid) for pid in
                        re.findall(r"worker (\d+) ready", log)]

    def group(self, number):
        """
        Send the server's process group a signal.
        """
        os.killpg(self.server.process.pid, number)

    def workersReloaded(self, count):
        """
        Wait until each worker has logged C{count} reloads. (A count of
        C{"] SIGHUP: reloading"} took the acceptor's own lines too, so
        the check could run before the last worker's line.)

        @param count: the reloads each worker is to have logged.
        """
        for pid in self.workers:
            self.server.waitForLog(
                f"[worker {pid} {_REALMS}] SIGHUP: reloading", count)

    def test_hangup(self):
        """
        Each C{SIGHUP} to the group reloads each worker once: one line
        from the acceptor, one from each worker. A worker reloaded for
        its own copy too, and again when the acceptor passed its on (two
        lines, or one when the two signals came as one). A C{SIGHUP} to
        a worker alone is ignored: the acceptor's is the one that counts.
        """
        rounds = 5
        for done in range(1, rounds + 1):
            self.group(signal.SIGHUP)
            self.server.waitForLog("SIGHUP: reloading 2 workers", done)
            self.workersReloaded(done)
        for pid in self.workers:
            os.kill(pid, signal.SIGHUP)
        self.server.signal(signal.SIGHUP)
        self.server.waitForLog("SIGHUP: reloading 2 workers", rounds + 1)
        self.workersReloaded(rounds + 1)
        self.server.login("alice", "pw").quit()
        log = self.server.log()
        for pid in self.workers:
            self.assertEqual(
                log.count(f"[worker {pid} {_REALMS}] SIGHUP: reloading"),
                rounds + 1,
                log)

    def stopDuringUpload(self, number):
        """
        Send the group C{number} while alice uploads: the upload
        completes (C{226}, then C{421}) and the server exits by the
        signal.

        @return: the server's log.
        """
        up = self.server.login("alice", "pw")
        data = up.transfercmd("STOR up")
        self.addCleanup(data.close)
        data.sendall(b"x" * 65536)
        self.group(number)
        self.server.waitForLog("stopping: closing")
        data.sendall(b"y" * 65536)
        data.close()
        self.assertEqual(up.voidresp()[:3], "226")
        self.assertEqual(up.getline()[:4], "421 ")
        self.assertEqual(self.server.process.wait(60), -number,
                         self.server.log())
        return self.server.log()

    def test_terminate(self):
        """
        C{SIGTERM} to the group stops the server once, as to the acceptor
        alone: one C{Received SIGTERM} line (the acceptor's), none saying
        it came again, no worker replaced, the upload in flight
        finished. Before, each worker stopped for its own copy
        (Twisted's line in each), then logged the acceptor's as
        C{SIGTERM again}.
        """
        log = self.stopDuringUpload(signal.SIGTERM)
        self.assertEqual(log.count("Received SIGTERM"), 1, log)
        self.assertNotIn("again", log)
        self.assertNotIn("starting another", log)
        self.assertNotIn("Traceback", log)

    def test_interrupt(self):
        """
        C{SIGINT} to the group (a terminal's Ctrl-C) does the same: one
        C{Received SIGINT} line, the acceptor's.
        """
        log = self.stopDuringUpload(signal.SIGINT)
        self.assertEqual(log.count("Received SIGINT"), 1, log)
        self.assertNotIn("again", log)
        self.assertNotIn("starting another", log)
        self.assertNotIn("Traceback", log)

    def test_terminateOneWorker(self):
        """
        C{SIGTERM} to one worker alone stops that worker: the acceptor
        says so, then that it stopped (no error: it was asked to), and
        starts another; the server keeps serving. It logged that the
        worker exited as an error.
        """
        pid = self.workers[0]
        os.kill(pid, signal.SIGTERM)
        self.server.waitForLog(f"worker {pid} stopped (SIGTERM); 0 "
                               f"session(s) cut; starting another")
        log = self.server.waitForLog(" ready\n", 3)
        self.assertEqual(log.count(f"worker {pid}: SIGTERM: stopping it"), 1,
                         log)
        self.assertNotIn("#error", log)
        self.server.login("alice", "pw").quit()

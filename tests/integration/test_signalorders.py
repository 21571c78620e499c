"""
Signals in the orders an operator (or two) sends them to a real server
with an upload running (C{python -m ftpkit}, one process and C{--workers
2}), the orders C{test_signals} leaves out: C{SIGHUP} then C{SIGTERM} at
once (a reload and a stop from two scripts) or after the reload,
C{SIGINT} twice (Ctrl-C pressed again), C{SIGTERM} then C{SIGINT} and
C{SIGINT} then C{SIGTERM}. Each time the upload finishes whole
(C{226}), the process ends by the first stopping signal, and each signal
is one log line in each process it reaches: a reload (or, for one that
came as the stop began, C{SIGHUP: not reloading}), C{twistd}'s
C{Received SIGTERM}, one C{again} line for the second stop. And
C{SIGHUP} then C{SIGTERM} to a server with no session, whose stop ends
within the C{SIGHUP}'s moment (L{QuickStopTests}), and C{SIGHUP} while
the server starts (L{HangupAtStartTests}).
"""

import os
import re
import signal
import time

from twisted.trial import unittest

from ftpkit.deploy.signalcopies import COPY_WINDOW
from tests.integration.test_signals import startLoggedIn
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.sitescripts import AT_WORKER_OR_IMPORT, sitePath

HUP, TERM, INT = signal.SIGHUP, signal.SIGTERM, signal.SIGINT

APART = COPY_WINDOW * 2
"""Seconds between two signals that are not copies of each other."""

ORDERS = [
    # (signals, each with the seconds to wait before it, the status).
    ([(HUP, 0), (TERM, 0)], -TERM),
    ([(HUP, 0), (TERM, APART)], -TERM),
    ([(INT, 0), (INT, APART)], -INT),
    ([(TERM, 0), (INT, APART)], -TERM),
    ([(INT, 0), (TERM, APART)], -INT),
]
"""The orders, and the exit status each ends in."""

HANDLED = {HUP: "SIGHUP: ", TERM: "Received SIGTERM",
           INT: "Received SIGINT"}
"""What the server (one process, the acceptor) logs once it handled each
signal (for C{SIGHUP}, once the reload it asks for begins)."""

RELOAD = re.compile(r"(?:\[worker (\d+) |\[)ftpkit\.auth\.realms#info\] "
                    r"SIGHUP: reloading")
"""A process's line for a reload; its group is a worker's pid, or empty."""

HANGUP_SAID = re.compile(r"^\S+ \[ftpkit\.auth\.realms#info\] "
                         r"(SIGHUP: (?:not )?reloading.*)$", re.M)
"""The line of the server (one process, the acceptor) for a C{SIGHUP}."""


class OrderTests(unittest.TestCase):
    """
    Each order of L{ORDERS}, with an upload running.
    """

    timeout = 900

    def sendOrders(self, extra, workers):
        """
        Run every order against a new server.

        @param extra: more options.
        @param workers: how many worker processes it has.
        """
        root = scratchDirectory(self)
        for number, (order, status) in enumerate(ORDERS):
            server, up = startLoggedIn(self, root, extra)
            name = f"up{number}"
            data = up.transfercmd("STOR " + name)
            self.addCleanup(data.close)
            data.sendall(b"x" * 65536)
            previous = None
            for each, wait in order:
                if wait:
                    # The server's window for copies opens as it handles a
                    # signal, which a loaded machine delays (two pending
                    # at once are even handled in the order of their
                    # numbers, or merged): the next goes APART after the
                    # server said it handled the last.
                    server.waitForLog(HANDLED[previous])
                    time.sleep(wait)
                server.signal(each)
                previous = each
            server.waitForLog("stopping: closing")
            # The upload outlasts the signals' windows: a reload asked
            # for just before the stop is said not done during the drain.
            time.sleep(APART)
            data.sendall(b"y" * 65536)
            data.close()
            self.assertEqual(up.voidresp()[:3], "226")
            what = [signal.Signals(each).name for each, _ in order]
            self.assertEqual(server.process.wait(60), status, what)
            with open(os.path.join(root, name), "rb") as f:
                self.assertEqual(f.read(), b"x" * 65536 + b"y" * 65536)
            log = server.log()
            self.assertNotIn("Traceback", log)
            self.assertNotIn("#critical", log)
            stops = [name for name in what if name != "SIGHUP"]
            self.assertEqual(log.count("Received " + stops[0]), 1, log)
            again = log.count(f"{stops[1]} again") if len(stops) > 1 else 0
            self.assertEqual(again, len(stops) - 1, log)
            hups = what.count("SIGHUP")
            reloads = {}
            for worker in RELOAD.findall(log):
                reloads[worker] = reloads.get(worker, 0) + 1
            # The server (one process, the acceptor) says once for each
            # SIGHUP what became of it: a reload, or none, the stop having
            # begun first (SIGTERM at once); a worker reloads at most
            # once for each.
            reloads.pop("", None)
            self.assertEqual(len(HANGUP_SAID.findall(log)), hups, log)
            self.assertLessEqual(set(reloads.values()), {hups}, log)
            self.assertLessEqual(len(reloads), workers, log)

    def test_oneProcess(self):
        """
        In one process.
        """
        self.sendOrders([], 0)

    def test_workers(self):
        """
        Under C{--workers 2} (the signals sent to the acceptor, which
        passes a reload on to its workers and stops them).
        """
        self.sendOrders(["--workers", "2"], 2)


class QuickStopTests(unittest.TestCase):
    """
    C{SIGHUP} then C{SIGTERM} at once to a server with no session: the
    stop ends before the C{SIGHUP}'s moment is over (its reload waits for
    copies of the signal), and the server says what became of it, once:
    the reload, or that it did not reload because it stops. Neither
    line came: the stopping reactor dropped the reload.
    """

    timeout = 300

    def hangUpAndStop(self, extra):
        """
        Send C{SIGHUP} and C{SIGTERM} to a new server, three times.

        @param extra: more options.
        """
        root = scratchDirectory(self)
        for _ in range(3):
            server = ServerProcess(self, ["--root", root, "--auth",
                                          "anonymous", *extra])
            if extra:
                server.waitForLog(" ready\n", 2)
            else:
                server.waitForGreeting()
            server.signal(HUP)
            server.signal(TERM)
            self.assertEqual(server.process.wait(60), -TERM)
            log = server.log()
            self.assertNotIn("Traceback", log)
            self.assertEqual(len(HANGUP_SAID.findall(log)), 1, log)
            self.assertEqual(log.count("Received SIGTERM"), 1, log)

    def test_oneProcess(self):
        """
        In one process.
        """
        self.hangUpAndStop([])

    def test_workers(self):
        """
        Under C{--workers 2}: the acceptor says it.
        """
        self.hangUpAndStop(["--workers", "2"])


HANGUP_AT_SERVICE = """\
import os, signal, sys

MODULE = "ftpkit.deploy.service"


def act():
    if "ftpkit.deploy.worker" not in sys.orig_argv:
        os.kill(os.getpid(), signal.SIGHUP)
""" + AT_WORKER_OR_IMPORT
"""
A C{sitecustomize} sending the server (one process, the acceptor) one
C{SIGHUP} as it builds its service, before it handles the signal.
"""


class HangupAtStartTests(unittest.TestCase):
    """
    One C{SIGHUP} while the server starts (a C{systemctl reload} right
    after C{systemctl start}) is one reload once it serves: it was
    ignored, without a line.
    """

    timeout = 300

    def hangUpAtStart(self, extra):
        """
        Start a server sent C{SIGHUP} as it builds its service, and wait
        for its one line about it.

        @param extra: more options.
        """
        server = ServerProcess(
            self, ["--root", scratchDirectory(self), "--auth", "anonymous",
                   *extra],
            env={"PYTHONPATH": sitePath(self, HANGUP_AT_SERVICE)})
        log = server.waitForLog("] SIGHUP: reloading", 1 + 2 * bool(extra))
        server.login().quit()
        # Each worker reloads too, at once or once ready.
        self.assertTrue(HANGUP_SAID.findall(log)[0].startswith(
            "SIGHUP: reloading " + ("" if extra else "nothing")), log)
        self.assertEqual(server.stop(), -TERM)
        log = server.log()
        self.assertEqual(len(HANGUP_SAID.findall(log)), 1, log)
        self.assertNotIn("Traceback", log)

    def test_oneProcess(self):
        """
        In one process.
        """
        self.hangUpAtStart([])

    def test_workers(self):
        """
        Under C{--workers 2}: the acceptor's reload reaches each worker
        once it is ready.
        """
        self.hangUpAtStart(["--workers", "2"])

"""
Tests for L{ftpkit.deploy.startinterrupt}: Ctrl-C (C{SIGINT}) while a
real server starts ends it with one line and by the signal, as C{twistd}
ends one a C{SIGINT} stopped, instead of a C{KeyboardInterrupt}
traceback; C{SIGTERM} likewise, instead of no line at all.
"""

import os
import signal
import time

from twisted.trial import unittest

from ftpkit.deploy.startinterrupt import INTERRUPTED, STOPPED
from ftpkit.deploy.stopsignals import QUITTING
from tests.scratch import scratchDirectory
from tests.serverprocess import TIMEOUT, ServerProcess, childrenOf
from tests.sitescripts import sitePath

INTERRUPT_AT = """\
import os, signal, sys, threading

MOMENT = os.environ["FTPKIT_TEST_INTERRUPT_AT"]
SIGNAL = getattr(signal, os.environ.get("FTPKIT_TEST_INTERRUPT_SIGNAL",
                                        "SIGINT"))
seen = []


def interrupt(event, args):
    main = threading.current_thread() is threading.main_thread()
    if MOMENT == "options" and event == "import" and (
            args[0] == "ftpkit.deploy.tap"):
        os.kill(os.getpid(), SIGNAL)
    elif MOMENT == "main" and event == "import" and (
            args[0] == "ftpkit.deploy.stopsignals"):
        os.kill(os.getpid(), SIGNAL)
    elif MOMENT == "listen" and event == "socket.bind" and main:
        os.kill(os.getpid(), SIGNAL)
    elif MOMENT == "spawn" and event in ("os.posix_spawn", "os.fork"):
        seen.append(event)
        if len(seen) == 2:
            os.killpg(os.getpgrp(), SIGNAL)


if "ftpkit.deploy.worker" not in sys.orig_argv:
    sys.addaudithook(interrupt)
"""
"""
A C{sitecustomize} sending its process C{SIGINT} (or the signal
C{$FTPKIT_TEST_INTERRUPT_SIGNAL} names) at the moment
C{$FTPKIT_TEST_INTERRUPT_AT} names: C{main}, as C{python -m ftpkit}
imports its signal guards (L{ftpkit.deploy.stopsignals}, which imports
C{twisted.application} and C{asyncio}); C{options}, as ftpkit's options
are loaded; C{listen}, as the server's service starts listening (before the
reactor runs; the sweep of cut uploads, started next in a thread of its
own, leaves the signal to the main thread); C{spawn}, to the whole
process group (a terminal's Ctrl-C) as the second worker is started.
"""


class StartInterruptTests(unittest.TestCase):
    """
    C{SIGINT} at a given moment of a server's start.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        self.path = sitePath(self, INTERRUPT_AT)

    def interrupted(self, moment, extra=(), number=signal.SIGINT,
                    line=None, **kwargs):
        """
        Start a server interrupted at C{moment}, and check how it ended:
        by the signal, with its line (L{INTERRUPTED}, L{STOPPED}) and no
        traceback.

        @param extra: more ftpkit options.
        @param number: the signal, C{SIGINT} or C{SIGTERM}.
        @param line: the one line the signal must have logged, when not
            L{INTERRUPTED} or L{STOPPED}.
        @param kwargs: for L{ServerProcess}.
        @return: the server.
        """
        server = ServerProcess(
            self, ["--root", self.root, "--auth", "anonymous", *extra],
            env={"PYTHONPATH": self.path,
                 "FTPKIT_TEST_INTERRUPT_AT": moment,
                 "FTPKIT_TEST_INTERRUPT_SIGNAL":
                     signal.Signals(number).name}, **kwargs)
        self.assertEqual(server.process.wait(TIMEOUT), -number,
                         server.log())
        log = server.log()
        if line is None:
            line = INTERRUPTED if number == signal.SIGINT else STOPPED
        self.assertEqual(log.count(line), 1, log)
        self.assertNotIn("Traceback", log)
        self.assertNotIn("KeyboardInterrupt", log)
        return server

    def test_options(self):
        """
        C{python -m ftpkit} interrupted as it loads its options.
        """
        self.interrupted("options")

    def test_main(self):
        """
        C{python -m ftpkit} interrupted in its first moments, as it
        imports L{ftpkit.deploy.stopsignals}: a C{KeyboardInterrupt}
        traceback from C{ftpkit/__main__.py} before session 46's fix,
        whose handler came after that import.
        """
        self.interrupted("main")

    def test_optionsUnderTwistd(self):
        """
        C{twistd -n ftpkit} and C{python -m twisted ftpkit} interrupted
        as they load ftpkit's options, once the C{ftpkit} subcommand is
        chosen (loading them imports the whole server, a second under
        load): a C{KeyboardInterrupt} traceback before.
        """
        self.interrupted("options", twistd=True)
        self.interrupted("options", twistd=True, python=["-m", "twisted"],
                         twistdOptions=["--log-format", "text"])

    def test_listen(self):
        """
        C{python -m ftpkit} and C{twistd -n ftpkit} interrupted as their
        service starts listening.
        """
        self.interrupted("listen")
        self.interrupted("listen", twistd=True)

    def test_stopped(self):
        """
        C{SIGTERM} as the service starts listening ends C{python -m
        ftpkit} and C{twistd -n ftpkit} by the signal with one line too:
        its default action ended them without a word.
        """
        self.interrupted("listen", number=signal.SIGTERM)
        self.interrupted("listen", number=signal.SIGTERM, twistd=True)

    def test_underTwist(self):
        """
        C{python -m twisted ftpkit} (C{twist}, always in the foreground)
        too, C{SIGINT} and C{SIGTERM}: C{SIGINT} was Python's
        C{KeyboardInterrupt}, a traceback, or, caught where it was printed
        as ignored, lost while the server started anyway.
        """
        for number in (signal.SIGINT, signal.SIGTERM):
            self.interrupted("listen", number=number, twistd=True,
                             python=["-m", "twisted"],
                             twistdOptions=["--log-format", "text"])

    def test_stoppedPidFile(self):
        """
        C{SIGTERM} or C{SIGINT} as C{twistd -n --pidfile P ftpkit}'s
        service starts listening (after its C{listening on} line, before
        its reactor runs) removes C{P}, which C{twistd} wrote just before:
        it was left behind, naming a process that is gone.
        """
        for number in (signal.SIGTERM, signal.SIGINT):
            pidfile = os.path.join(scratchDirectory(self), "ftpkit.pid")
            self.interrupted("listen", number=number, twistd=True,
                             twistdOptions=["-n", "--pidfile", pidfile])
            self.assertFalse(os.path.exists(pidfile))

    def test_workers(self):
        """
        Under C{--workers 2}, a Ctrl-C to the whole process group as the
        second worker starts: the acceptor, whose reactor runs by then
        (it starts its workers once it does), logs the reactor's one line
        for the signal and stops, and the worker already started exits
        too. So does C{SIGTERM} to the group (C{systemctl stop}).
        """
        self.interruptedGroup(signal.SIGINT)
        self.interruptedGroup(signal.SIGTERM)

    def interruptedGroup(self, number):
        """
        Interrupt a server of two workers as the second starts, with a
        signal to the whole process group, and wait for every process of
        it to end.

        @param number: the signal.
        """
        server = self.interrupted(
            "spawn", ["--workers", "2"], number,
            line="Received %s, shutting down." % (signal.Signals(number).name,),
            preexec=os.setpgrp)
        group = server.process.pid
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            self.fail("a worker outlived its acceptor")


QUIT_AT_START = """\
import os, signal, sys


def quit(event, args):
    if event == "import" and args[0] == MODULE:
        os.kill(os.getpid(), signal.SIGQUIT)


if "ftpkit.deploy.worker" in sys.orig_argv:
    if os.environ.get("FTPKIT_TEST_QUIT_WORKER"):
        os.kill(os.getpid(), signal.SIGQUIT)
elif not os.environ.get("FTPKIT_TEST_QUIT_WORKER"):
    MODULE = ("twisted.scripts.twistd" if sys.orig_argv[1:3] == ["-m", "ftpkit"]
              else "ftpkit.deploy.service")
    sys.addaudithook(quit)
"""
"""
A C{sitecustomize} sending its process C{SIGQUIT} while it starts:
C{python -m ftpkit} once its C{__main__} has begun (when it imports
C{twistd}), C{twistd ftpkit} once its options are parsed (when the
service is built); with C{$FTPKIT_TEST_QUIT_WORKER} set, each worker of
C{--workers} at its first moment instead.
"""


class QuitAtStartTests(unittest.TestCase):
    """
    C{SIGQUIT} while a server starts is held until the server can act on
    it, then stops it as once it serves (one line, status 0): its default
    action ended the process with a core dump (status -3) and no line, as
    it still ended a worker of C{--workers} still starting.
    """

    timeout = 240

    def setUp(self):
        self.root = scratchDirectory(self)
        self.path = sitePath(self, QUIT_AT_START)

    def test_server(self):
        """
        C{python -m ftpkit} and C{twistd -n ftpkit}, one process or
        C{--workers 2}, stop with the one line and status 0.
        """
        for twistd in (False, True):
            for extra in ([], ["--workers", "2"]):
                server = ServerProcess(
                    self, ["--root", self.root, "--auth", "anonymous",
                           *extra], twistd=twistd,
                    env={"PYTHONPATH": self.path})
                status = server.process.wait(TIMEOUT)
                log = server.log()
                self.assertEqual(status, 0, log)
                self.assertEqual(log.count(QUITTING), 1, log)
                self.assertNotIn("Traceback", log)

    def test_worker(self):
        """
        A C{SIGQUIT} to each worker from its first moment ends none: the
        server serves. So it does to a worker started in place of one
        that was killed, once the acceptor runs (and no longer holds
        C{SIGQUIT} itself for the workers to inherit).
        """
        server = ServerProcess(
            self, ["--root", self.root, "--auth", "anonymous",
                   "--workers", "2"],
            env={"PYTHONPATH": self.path, "FTPKIT_TEST_QUIT_WORKER": "1"})
        server.waitForLog(" ready\n", 2)
        os.kill(childrenOf(server.process.pid)[0], signal.SIGKILL)
        server.waitForLog(" ready\n", 3)
        server.login().quit()
        log = server.log()
        self.assertNotIn("exited before it was ready", log)
        self.assertNotIn(QUITTING, log)

"""
Tests for L{ftpkit.deploy.startinterrupt}: Ctrl-C (C{SIGINT}) while a
real server starts ends it with one line and by the signal, as C{twistd}
ends one a C{SIGINT} stopped, instead of a C{KeyboardInterrupt}
traceback.
"""

import os
import signal
import time

from twisted.trial import unittest

from ftpkit.deploy.startinterrupt import INTERRUPTED
from tests.integration.test_plugin import _SOURCE
from tests.scratch import scratchDirectory
from tests.serverprocess import TIMEOUT, ServerProcess

INTERRUPT_AT = """\
import os, signal, sys, threading

MOMENT = os.environ["FTPKIT_TEST_INTERRUPT_AT"]
seen = []


def interrupt(event, args):
    main = threading.current_thread() is threading.main_thread()
    if MOMENT == "options" and event == "import" and (
            args[0] == "ftpkit.deploy.tap"):
        os.kill(os.getpid(), signal.SIGINT)
    elif MOMENT == "listen" and event == "socket.bind" and main:
        os.kill(os.getpid(), signal.SIGINT)
    elif MOMENT == "spawn" and event in ("os.posix_spawn", "os.fork"):
        seen.append(event)
        if len(seen) == 2:
            os.killpg(os.getpgrp(), signal.SIGINT)


if "ftpkit.deploy.worker" not in sys.orig_argv:
    sys.addaudithook(interrupt)
"""
"""
A C{sitecustomize} sending its process C{SIGINT} at the moment
C{$FTPKIT_TEST_INTERRUPT_AT} names: C{options}, as ftpkit's options are
loaded; C{listen}, as the server's service starts listening (before the
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
        site = self.mktemp()
        os.makedirs(site)
        with open(os.path.join(site, "sitecustomize.py"), "w") as f:
            f.write(INTERRUPT_AT)
        self.path = os.pathsep.join([os.path.abspath(site), _SOURCE])

    def interrupted(self, moment, extra=(), **kwargs):
        """
        Start a server interrupted at C{moment}, and check how it ended:
        by C{SIGINT}, with L{INTERRUPTED} and no traceback.

        @param extra: more ftpkit options.
        @param kwargs: for L{ServerProcess}.
        @return: the server.
        """
        server = ServerProcess(
            self, ["--root", self.root, "--auth", "anonymous", *extra],
            env={"PYTHONPATH": self.path,
                 "FTPKIT_TEST_INTERRUPT_AT": moment}, **kwargs)
        self.assertEqual(server.process.wait(TIMEOUT), -signal.SIGINT,
                         server.log())
        log = server.log()
        self.assertEqual(log.count(INTERRUPTED), 1, log)
        self.assertNotIn("Traceback", log)
        self.assertNotIn("KeyboardInterrupt", log)
        return server

    def test_options(self):
        """
        C{python -m ftpkit} interrupted as it loads its options.
        """
        self.interrupted("options")

    def test_listen(self):
        """
        C{python -m ftpkit} and C{twistd -n ftpkit} interrupted as their
        service starts listening.
        """
        self.interrupted("listen")
        self.interrupted("listen", twistd=True)

    def test_workers(self):
        """
        Under C{--workers 2}, a Ctrl-C to the whole process group as the
        second worker starts: the acceptor writes the one line, and the
        worker already started exits too.
        """
        server = self.interrupted("spawn", ["--workers", "2"],
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

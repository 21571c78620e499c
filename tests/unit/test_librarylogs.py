"""
The records of paramiko and the other libraries a realm works through go
to the server's log, one line each, never a traceback's lines on
standard error (L{ftpkit.ops.librarylogs}).
"""

import logging
import subprocess
import sys
import traceback

from twisted.internet.task import Clock
from twisted.logger import LogLevel, globalLogPublisher
from twisted.trial import unittest

from ftpkit.ops.librarylogs import (
    TwistedLogHandler,
    bridgeLibraryLogs,
    oneLine,
    tracebackStep,
)
from tests.twistdrun import SOURCE


def tracebackLines():
    """
    @return: the lines of a traceback of a chained exception, as
        paramiko's C{util.tb_strings} gives them to its logger.
    """
    try:
        try:
            raise OSError(9, "Bad file descriptor")
        except OSError as e:
            raise EOFError("Error reading SSH protocol banner") from e
    except EOFError:
        return traceback.format_exc().splitlines()


def paramikoGaveUp(logger):
    """
    Log as paramiko's transport does when its connect was abandoned: what
    failed, then its traceback, a record per line.

    @param logger: C{paramiko.transport}'s logger.
    """
    logger.error("Exception (client): Error reading SSH protocol banner"
                 "[Errno 9] Bad file descriptor")
    for line in tracebackLines():
        logger.error(line)


class TracebackStepTests(unittest.TestCase):
    """
    L{tracebackStep} tells a traceback's lines from other records.
    """

    def test_traceback(self):
        lines = tracebackLines()
        logged = []
        inside = False
        for message in ["before", *lines, "after"]:
            inside, log = tracebackStep(inside, message)
            if log:
                logged.append(message)
        self.assertIn("The above exception was the direct cause of the "
                      "following exception:", lines)
        self.assertEqual(logged, ["before", "after"])


class HandlerTests(unittest.TestCase):
    """
    L{TwistedLogHandler} logs each record in the server's log.
    """

    def setUp(self):
        self.events = []
        globalLogPublisher.addObserver(self.events.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.events.append)
        self.logger = logging.getLogger("ftpkit.test.paramiko.transport")
        self.logger.propagate = False
        self.handler = TwistedLogHandler(Clock())
        self.logger.addHandler(self.handler)
        self.addCleanup(self.logger.removeHandler, self.handler)

    def test_oneLine(self):
        """
        paramiko's abandoned connect is one error line.
        """
        paramikoGaveUp(self.logger)
        self.logger.warning("Unknown host key")
        self.assertEqual(
            [(e["log_namespace"], e["log_level"], e["line"])
             for e in self.events],
            [("ftpkit.test.paramiko.transport", LogLevel.error,
              "Exception (client): Error reading SSH protocol banner"
              "[Errno 9] Bad file descriptor"),
             ("ftpkit.test.paramiko.transport", LogLevel.warn,
              "Unknown host key")])

    def test_exception(self):
        """
        An exception a record carries is named, not unrolled.
        """
        try:
            raise OSError("gone")
        except OSError:
            self.logger.exception("failed\nsecond line")
        [event] = self.events
        self.assertEqual(event["line"], "failed (OSError: gone)")

    def test_oneLineFunction(self):
        record = logging.LogRecord("x", logging.ERROR, "f", 1, "", (), None)
        self.assertEqual(oneLine(record), "")


_CHILD = """
import logging, sys
from twisted.logger import globalLogPublisher, formatEvent
from ftpkit.deploy.startupwork import StartupWork
from tests.unit.test_librarylogs import paramikoGaveUp
globalLogPublisher.addObserver(lambda e: print(formatEvent(e)))
StartupWork().privilegedStartService()
paramikoGaveUp(logging.getLogger("paramiko.transport"))
"""


class ServerProcessTests(unittest.TestCase):
    """
    In a server's process (its L{ftpkit.deploy.startupwork.StartupWork}
    started), paramiko's records reach the log, not standard error.
    """

    def test_paramiko(self):
        done = subprocess.run(
            [sys.executable, "-c", _CHILD], capture_output=True, text=True,
            timeout=60, env={"PYTHONPATH": SOURCE, "PATH": "/usr/bin:/bin"})
        self.assertEqual(
            (done.returncode, done.stderr, done.stdout.splitlines()),
            (0, "", ["Exception (client): Error reading SSH protocol banner"
                     "[Errno 9] Bad file descriptor"]))

    def test_once(self):
        """
        Called again, it adds no second handler.
        """
        logger = logging.getLogger("ftpkit.test.once")
        self.addCleanup(setattr, logger, "propagate", True)
        self.addCleanup(logger.handlers.clear)
        bridgeLibraryLogs(["ftpkit.test.once"], Clock())
        bridgeLibraryLogs(["ftpkit.test.once"], Clock())
        self.assertEqual(len(logger.handlers), 1)
        self.assertFalse(logger.propagate)

"""
L{ftpkit.deploy.workerroots}: a served directory gone since the start
stops no worker started again.
"""

import os

from twisted.logger import capturedLogs
from twisted.python import usage
from twisted.trial import unittest

from ftpkit.deploy import keptfiles, workerroots
from ftpkit.deploy.workerroots import GONE_SINCE_START, servedDirectoryAtStart
from tests.tapoptions import parse


class ServedDirectoryAtStartTests(unittest.SynchronousTestCase):
    """
    L{servedDirectoryAtStart} in one process and in a worker.
    """

    def setUp(self):
        self.gone = os.path.abspath(self.mktemp())
        self.addCleanup(keptfiles._received.clear)
        self.addCleanup(workerroots._told.clear)

    def test_served(self):
        """
        A directory the server can serve: its absolute path, anywhere.
        """
        os.mkdir(self.gone)
        self.assertEqual(servedDirectoryAtStart(self.gone), self.gone)
        keptfiles.receive(keptfiles.anonymousFile(b""))
        with capturedLogs() as logged:
            self.assertEqual(servedDirectoryAtStart(self.gone), self.gone)
        self.assertEqual(logged, [])

    def test_oneProcess(self):
        """
        One process (or the acceptor) refuses a missing directory: a
        usage error at start.
        """
        self.assertRaises(ValueError, servedDirectoryAtStart, self.gone)
        self.assertRaises(usage.UsageError, parse, "--root", self.gone)

    def test_worker(self):
        """
        A worker whose acceptor checked the options at start takes a
        missing directory, saying so once however often it is read.
        """
        keptfiles.receive(keptfiles.anonymousFile(b""))
        with capturedLogs() as logged:
            for _ in range(2):
                self.assertEqual(servedDirectoryAtStart(self.gone), self.gone)
            options = parse("--root", self.gone,
                            "--vhost", "a.example=filesystem",
                            "--vhost-root", f"a.example={self.gone}")
        self.assertEqual(options["root"], self.gone)
        self.assertEqual([event["root"] for event in logged
                          if event.get("log_format") == GONE_SINCE_START],
                         [self.gone])


class DefaultRootTests(unittest.SynchronousTestCase):
    """
    The root without C{--root}: the current directory (a worker of
    C{--workers} is told its acceptor's, L{ftpkit.deploy.startdirectory}).
    """

    def test_currentDirectoryGone(self):
        """
        Without C{--root}, a current directory that was removed is a usage
        error naming C{--root} (it was a C{FileNotFoundError} traceback,
        from the options' constructor, also with C{--root} given); with
        C{--root} it does not matter.
        """
        here = os.getcwd()
        self.addCleanup(os.chdir, here)
        gone = os.path.abspath(self.mktemp())
        served = os.path.abspath(self.mktemp())
        os.mkdir(served)
        os.mkdir(gone)
        os.chdir(gone)
        os.rmdir(gone)
        error = self.assertRaises(usage.UsageError, parse)
        self.assertTrue(str(error).startswith("--root: not given"), error)
        self.assertEqual(parse("--root", served)["root"], served)

"""
Tests for L{ftpkit.deploy.restarts}: when the acceptor starts another
worker in place of one that exited.
"""

import json

from twisted.internet.error import ProcessTerminated
from twisted.internet.task import Clock
from twisted.logger import formatEvent, globalLogPublisher
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.deploy.restarts import FIRST_RESTART_DELAY, Restarts
from ftpkit.ops.jsonformat import eventAsJSON


class _Ended:
    """
    A worker that exited, as L{Restarts} sees it.
    """

    pid = 4321
    hung = False
    stopAsked = None

    def __init__(self, ready):
        """
        @param ready: whether it had said it was ready.
        """
        self.ready = ready


class RestartsTests(unittest.SynchronousTestCase):
    """
    L{Restarts} on a L{Clock}.
    """

    def setUp(self):
        self.clock = Clock()
        self.restarts = Restarts(self.clock)
        self.started = []
        self.reason = Failure(Exception("killed"))

    def start(self):
        """
        Stand in for starting a worker.
        """
        self.started.append(self.clock.seconds())

    def test_readyReplacedAtOnce(self):
        """
        A worker that had served is replaced at once.
        """
        self.restarts.workerEnded(_Ended(True), self.reason, self.start)
        self.assertEqual(self.started, [0])

    def test_sessionsCut(self):
        """
        The line saying a worker exited says how many sessions it cut.
        """
        logged = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        self.restarts.workerEnded(_Ended(True), self.reason, self.start, 3)
        self.assertEqual(
            [formatEvent(event) for event in logged],
            ["worker 4321 exited (killed); 3 session(s) cut; starting "
             "another"])

    def test_stoppedAsAsked(self):
        """
        A worker the acceptor told to stop (it was given C{SIGTERM}
        alone) that exited is no error: one information line says it
        stopped, and another starts at once.
        """
        logged = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        stopped = _Ended(True)
        stopped.stopAsked = "SIGTERM"
        self.restarts.workerEnded(stopped, self.reason, self.start)
        self.assertEqual(self.started, [0])
        self.assertEqual(
            [(formatEvent(event), event["log_level"].name)
             for event in logged],
            [("worker 4321 stopped (SIGTERM); 0 session(s) cut; starting "
              "another", "info")])

    def test_stoppedWhileStarting(self):
        """
        A worker still starting that C{SIGTERM} ended (its default action:
        the worker handles it only once its reactor runs), or that the
        acceptor told to stop for it, was stopped at someone's word, not
        a failure to start: one information line, and another starts at
        once. It was 'exited before it was ready', an error, with the
        restart delayed and the delays after later failures doubled.
        One ended by another signal (C{SIGKILL}) still failed.
        """
        logged = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        asked = _Ended(False)
        asked.stopAsked = "SIGTERM"
        for worker, reason in [
                (_Ended(False), Failure(ProcessTerminated(signal=15))),
                (asked, Failure(ProcessTerminated(exitCode=0)))]:
            self.restarts.workerEnded(worker, reason, self.start)
        self.assertEqual(self.started, [0, 0])
        self.assertEqual(
            [(formatEvent(event), event["log_level"].name)
             for event in logged],
            [("worker 4321 stopped (SIGTERM) while starting; starting "
              "another", "info")] * 2)
        self.restarts.workerEnded(
            _Ended(False), Failure(ProcessTerminated(signal=9)), self.start)
        self.clock.advance(FIRST_RESTART_DELAY)
        self.assertEqual(self.started, [0, 0, FIRST_RESTART_DELAY])

    def test_failingDelayed(self):
        """
        Workers dying before they are ready are replaced after a delay
        doubling at each; a ready worker resets it.
        """
        self.restarts.workerEnded(_Ended(False), self.reason, self.start)
        self.assertEqual(self.started, [])
        self.clock.advance(FIRST_RESTART_DELAY)
        self.assertEqual(self.started, [FIRST_RESTART_DELAY])
        self.restarts.workerEnded(_Ended(False), self.reason, self.start)
        self.clock.advance(FIRST_RESTART_DELAY)
        self.assertEqual(len(self.started), 1)
        self.clock.advance(FIRST_RESTART_DELAY)
        self.assertEqual(len(self.started), 2)
        self.restarts.workerReady()
        self.restarts.workerEnded(_Ended(True), self.reason, self.start)
        self.assertEqual(len(self.started), 3)

    def test_cancel(self):
        """
        A restart still waiting when the server stops never happens.
        """
        self.restarts.workerEnded(_Ended(False), self.reason, self.start)
        self.restarts.cancel()
        self.clock.advance(60)
        self.assertEqual(self.started, [])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_reasonAsText(self):
        """
        The error saying a worker exited holds why as text, which
        C{--log-format json} keeps: it held the process's exception,
        written as C{{"unpersistable": true}}, so a log shipper alerting
        on dead workers never saw why one died.
        """
        logged = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        self.restarts.workerEnded(_Ended(True), self.reason, self.start)
        self.restarts.workerEnded(_Ended(False), self.reason, self.start)
        self.restarts.cancel()
        self.assertEqual(
            [json.loads(eventAsJSON(dict(event)))["reason"]
             for event in logged],
            ["killed", "killed"])

"""
Seconds in ftpkit's messages are written as an operator writes them
(L{ftpkit.protocol.numbertext.decimalText}), never with an exponent:
C{format(value, "g")} wrote a year as C{3.1536e+07}, which no option
takes, in the lines of a storage call's deadline (C{?deadline=} up to a
year), an C{--on-upload} command's timeout, the workers' waits and
restarts, and a blocking pool's C{stopWait}. Their event fields are
numbers all the same (an C{int} where whole) in C{--log-format json}:
written as text (C{"grace": "30"}) in session 46, they were no number
for a log shipper.
"""

import json
import os
import re
import threading
from types import SimpleNamespace

from twisted.internet import defer
from twisted.internet.error import ProcessTerminated
from twisted.internet.task import Clock
from twisted.logger import Logger, capturedLogs, formatEvent
from twisted.python.failure import Failure
from twisted.trial import unittest

import ftpkit
from ftpkit.blocking import BlockingPool
from ftpkit.control.uploadhook import UploadCommand, _Run
from ftpkit.deploy.restarts import Restarts
from ftpkit.deploy.tap import Options
from ftpkit.deploy.workers import WorkerPool
from ftpkit.errors import StorageTimedOut
from ftpkit.ops.drain import Drain
from ftpkit.ops.jsonformat import eventAsJSON, eventFromJSON
from tests.unit.test_calldeadline import WAIT, Calls
from tests.unit.test_service import FakeFactory, FakeSession

YEAR = 31536000
"""The longest seconds an option takes."""

_SECONDS = re.compile(r"[0-9]+(\.[0-9]*[1-9])?")
"""Seconds as an operator writes them: digits, a fraction without
trailing zeros."""

_G_FORMAT = re.compile(r"\{[^{}:]*:[^{}]*g\}")
"""A replacement field whose format is C{g}'s, in a log format or an
f-string."""


class SecondsRecords:
    """
    A test case mixin: L{assertSeconds} checks a line of seconds.
    """

    def assertSeconds(self, event, field, value, line):
        """
        Assert that C{event}'s C{field} is the number C{value} in its
        C{--log-format json} record, and that its text is C{line}, as
        this process writes it and as the acceptor of C{--workers} writes
        it from the record a worker sent.

        @param event: a log event.
        @param field: the name of its field of seconds.
        @param value: the number expected, of the type expected.
        @param line: the text expected.
        """
        record = eventAsJSON(dict(event))
        read = json.loads(record)[field]
        self.assertEqual((type(read), read), (type(value), value))
        self.assertEqual(formatEvent(event), line)
        self.assertEqual(formatEvent(eventFromJSON(record)), line)


class NoExponentTests(SecondsRecords, unittest.TestCase):
    """
    No message of ftpkit formats a number with C{g}; the seconds a line
    gives are numbers in its JSON record.
    """

    def test_noGFormat(self):
        """
        No module of C{ftpkit/} holds a C{{...:g}} replacement field.
        """
        top = os.path.dirname(ftpkit.__file__)
        found = []
        for directory, _, names in os.walk(top):
            for name in names:
                if name.endswith(".py"):
                    path = os.path.join(directory, name)
                    with open(path, encoding="utf-8") as f:
                        for number, line in enumerate(f, 1):
                            if _G_FORMAT.search(line):
                                found.append(f"{path}:{number}")
        self.assertEqual(found, [])

    def test_uploadCommandKilled(self):
        """
        An C{--on-upload} command killed at its timeout (a
        L{ftpkit.config.ServerConfig} field) says after how long.
        """
        clock = Clock()
        command = UploadCommand(["true"], "/srv", 1, float(YEAR),
                                reactor=clock)
        killer = clock.callLater(YEAR, lambda: None)
        clock.advance(YEAR)
        upload = SimpleNamespace(path="/f", user="alice", peer="10.0.0.1")
        with capturedLogs() as events:
            command._ended(Failure(ProcessTerminated(signal=9)),
                           _Run(clock), killer, upload)
        self.assertEqual([event["why"] for event in events if "why" in event],
                         [f"killed after {YEAR} s"])

    @defer.inlineCallbacks
    def test_storageDeadline(self):
        """
        A storage call given no answer within a deadline of a year says
        so in whole seconds, the deadline a float as the default
        (C{SFTP_DEADLINE}, C{30.0}) is.
        """
        pool = BlockingPool("test-secondstext", size=1)
        self.addCleanup(pool.stop)
        clock = Clock()
        calls = Calls(pool, float(YEAR), clock)
        dropped = calls.backend.dropped
        self.addCleanup(dropped.set)
        entered = threading.Event()

        def stuck():
            entered.set()
            if not dropped.wait(WAIT):
                return "answered late"
            raise EOFError("connection closed")

        call = calls.call(stuck)
        self.assertTrue(entered.wait(WAIT))
        with capturedLogs() as events:
            clock.advance(YEAR)
        yield self.assertFailure(call, StorageTimedOut)
        [event] = [event for event in events
                   if "got no answer" in formatEvent(event)]
        self.assertSeconds(
            event, "seconds", YEAR,
            f"fake storage call stuck got no answer in {YEAR} s: its"
            " connection is dropped, the next call opens another")

    def test_helpDefaults(self):
        """
        C{--help} shows the defaults of the options of seconds as an
        operator writes them (C{300}, not C{300.0}).
        """
        defaults = {name: default
                    for name, _, default, _ in Options.optParameters
                    if name in ("login-timeout", "idle-timeout",
                                "data-timeout", "shutdown-grace")}
        self.assertEqual(len(defaults), 4)
        for name, default in defaults.items():
            self.assertTrue(_SECONDS.fullmatch(default), (name, default))

    def test_workerRestarts(self):
        """
        The delays before another worker is started are written as
        seconds, the second one's (1.0) as C{1}.
        """
        clock = Clock()
        restarts = Restarts(clock)
        ended = SimpleNamespace(pid=4321, hung=False, stopAsked=None,
                                ready=False)
        with capturedLogs() as events:
            restarts.workerEnded(ended, Failure(Exception("x")), list)
            restarts.spawnFailed(OSError("no memory"), list)
        restarts.cancel()
        self.assertEqual(len(events), 2)
        self.assertSeconds(
            events[0], "delay", 0.5,
            "worker 4321 exited before it was ready (x); starting another"
            " in 0.5 s")
        self.assertSeconds(
            events[1], "delay", 1,
            "cannot start a worker (no memory); trying again in 1 s")

    def test_workerHung(self):
        """
        A hung worker's line gives the seconds it was given as written.
        """
        pool = SimpleNamespace(log=Logger(), _kill=lambda worker: None)
        worker = SimpleNamespace(transport=SimpleNamespace(pid=4321))
        with capturedLogs() as events:
            WorkerPool.workerHung(pool, worker, "take", float(YEAR))
        [event] = events
        self.assertSeconds(
            event, "timeout", YEAR,
            f"worker 4321 did not take within {YEAR} s; killing it and "
            "starting another")

    def test_noWorkerReady(self):
        """
        The line of a server whose workers are not ready in time gives
        the wait as written.
        """
        pool = SimpleNamespace(
            _accepting=False, _stopping=False, _acceptors=[], log=Logger(),
            _acceptLater=SimpleNamespace(active=lambda: False))
        with capturedLogs() as events:
            WorkerPool._startAccepting(pool)
        [event] = events
        self.assertSeconds(
            event, "wait", 30,
            "no worker ready after 30 s; clients get 421 until one is")

    def test_drainGrace(self):
        """
        A drain's lines give its grace as written: a fraction with no
        exponent (C{0.00001}, which C{float} writes C{1e-05}), and a
        number in their JSON records.
        """
        clock = Clock()
        factory = FakeFactory()
        drain = Drain(factory, 0.00001, clock)
        FakeSession(factory, busy=True)
        with capturedLogs() as events:
            drain.stopService()
            clock.advance(0.00001)
        self.assertEqual(len(events), 2)
        self.assertSeconds(
            events[0], "grace", 0.00001,
            "stopping: closing 0 idle sessions, 1 finishing their "
            "transfers and 0 other commands (grace 0.00001 s)")
        self.assertSeconds(
            events[1], "grace", 0.00001,
            "shutdown grace of 0.00001 s over: closing 1 sessions with "
            "transfers running and 0 with other commands")

    def test_drainGraceCut(self):
        """
        The line of a drain whose grace C{SIGQUIT} cut short gives the
        grace it had as written, and a number in its JSON record.
        """
        clock = Clock()
        factory = FakeFactory()
        drain = Drain(factory, 2.5, clock)
        FakeSession(factory, busy=True)
        drain.stopService()
        with capturedLogs() as events:
            drain.hurry()
            clock.advance(0)
        [event] = events
        self.assertSeconds(
            event, "grace", 2.5,
            "shutdown grace of 2.5 s cut short (SIGQUIT): closing 1 "
            "sessions with transfers running and 0 with other commands")

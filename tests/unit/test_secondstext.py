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

    def assertSeconds(self, events, field, expected):
        """
        Assert that each of C{events} has its C{field} the number
        expected in its C{--log-format json} record, and the text
        expected, as this process writes it and as the acceptor of
        C{--workers} writes it from the record a worker sent.

        @param events: log events.
        @param field: the name of their field of seconds.
        @param expected: for each event, C{(value, line)}: the number
            expected, of the type expected, and the text expected.
        """
        self.assertEqual(len(events), len(expected))
        for event, (value, line) in zip(events, expected):
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
        self.assertSeconds(
            [event for event in events
             if "got no answer" in formatEvent(event)], "seconds",
            [(YEAR, f"fake storage call stuck got no answer in {YEAR} s:"
                    " its connection is dropped, the calls waiting fail"
                    " (451), the next call opens another")])

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
        self.assertSeconds(events, "delay", [
            (0.5, "worker 4321 exited before it was ready (x); starting"
                  " another in 0.5 s"),
            (1, "cannot start a worker (no memory); trying again in 1 s")])

    def test_workerHung(self):
        """
        A hung worker's line gives the seconds it was given as written.
        """
        pool = SimpleNamespace(log=Logger(), _kill=lambda worker: None)
        worker = SimpleNamespace(transport=SimpleNamespace(pid=4321))
        with capturedLogs() as events:
            WorkerPool.workerHung(pool, worker, "take", float(YEAR))
        self.assertSeconds(events, "timeout", [
            (YEAR, f"worker 4321 did not take within {YEAR} s; killing it"
                   " and starting another")])

    def test_noWorkerReady(self):
        """
        The line of a server whose workers are not ready in time gives
        the wait as written.
        """
        pool = SimpleNamespace(
            _accepting=False, _stopping=False, _acceptors=[], log=Logger(),
            _acceptLater=SimpleNamespace(active=lambda: False),
            readyWorkers=lambda: [], workers=[])
        pool._startAccepting = lambda: WorkerPool._startAccepting(pool)
        with capturedLogs() as events:
            WorkerPool._waitOver(pool)
        self.assertSeconds(events, "wait", [
            (30, "no worker ready after 30 s; clients get 421 until one"
                 " is")])

    def test_drainGrace(self):
        """
        A drain's lines give its grace as written, and a number in their
        JSON records: a fraction with no exponent (C{0.00001}, which
        C{float} writes C{1e-05}) over, and C{2.5} cut short by
        C{SIGQUIT}.
        """
        busy = "1 finishing their transfers and 0 other commands"
        closing = "closing 1 sessions with transfers running and 0 with"
        for grace, text, hurried, over in [
                (0.00001, "0.00001", False, "over"),
                (2.5, "2.5", True, "cut short (SIGQUIT)")]:
            clock = Clock()
            factory = FakeFactory()
            FakeSession(factory, busy=True)
            drain = Drain(factory, grace, clock)
            with capturedLogs() as events:
                drain.stopService()
                if hurried:
                    drain.hurry()
                clock.advance(0 if hurried else grace)
            self.assertSeconds(events, "grace", [
                (grace, f"stopping: closing 0 idle sessions, {busy} (grace"
                        f" {text} s)"),
                (grace, f"shutdown grace of {text} s {over}: {closing}"
                        " other commands")])

"""
Seconds in ftpkit's messages are written as an operator writes them
(L{ftpkit.protocol.numbertext.decimalText}), never with an exponent:
C{format(value, "g")} wrote a year as C{3.1536e+07}, which no option
takes, in the lines of a storage call's deadline (C{?deadline=} up to a
year), an C{--on-upload} command's timeout, the workers' waits and
restarts, and a blocking pool's C{stopWait}.
"""

import os
import re
import threading
from types import SimpleNamespace

from twisted.internet import defer
from twisted.internet.error import ProcessTerminated
from twisted.internet.task import Clock
from twisted.logger import capturedLogs, formatEvent
from twisted.python.failure import Failure
from twisted.trial import unittest

import ftpkit
from ftpkit.blocking import BlockingPool
from ftpkit.control.uploadhook import UploadCommand, _Run
from ftpkit.errors import StorageTimedOut
from tests.unit.test_calldeadline import WAIT, Calls

YEAR = 31536000
"""The longest seconds an option takes."""

_G_FORMAT = re.compile(r"\{[^{}:]*:[^{}]*g\}")
"""A replacement field whose format is C{g}'s, in a log format or an
f-string."""


class NoExponentTests(unittest.TestCase):
    """
    No message of ftpkit formats a number with C{g}.
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
        so in whole seconds.
        """
        pool = BlockingPool("test-secondstext", size=1)
        self.addCleanup(pool.stop)
        clock = Clock()
        calls = Calls(pool, YEAR, clock)
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
        self.assertEqual(
            [formatEvent(event).split(":")[0] for event in events
             if "got no answer" in formatEvent(event)],
            [f"fake storage call stuck got no answer in {YEAR} s"])

"""
What the tests of L{ftpkit.ops.directlines} and of a worker's line
records (L{ftpkit.ops.workerlog}) log: L{variedEvents}, events of every
logged kind and shape, and L{Logged}, an L{EventLog} writing them to an
observer of a publisher of its own.
"""

import io
import itertools

from twisted.internet.task import Clock
from twisted.logger import LogPublisher

from ftpkit.ops import eventlog, events
from ftpkit.ops.eventlog import FIELD_LENGTH, LOGGED, EventLog
from ftpkit.ops.textformat import textFileLogObserver

_ODD = ["alice", "o'brien", 'say "hi"', "two\nlines", "caf\xe9",
        "\udcff bytes", "u" * (FIELD_LENGTH + 1), None]
"""User names and paths that make quoting and bounding matter."""


def variedEvents():
    """
    @return: events of every logged kind, with and without each field
        that makes a line longer than its kind's format, and with the
        values that make quoting, bounding, levels and line breaks matter.
    """
    made = []
    shapes = itertools.product(
        LOGGED, (226, 425, 451, 550, None), (None, "no descriptor left"),
        (None, "/pub/new name"), (None, "ftp.example.com"),
        (None, "lftp 4.9"))
    for number, (kind, code, reason, target, host, client) in enumerate(
            shapes):
        odd = _ODD[number % len(_ODD)]
        made.append(events.Event.fromFields({
            "kind": kind, "peer": "::1" if number % 3 else "10.0.0.1",
            "time": 5.0, "user": odd, "anonymous": number % 2 == 0,
            "command": "RNTO" if kind == events.CHANGE else "RETR",
            "path": odd if number % 4 else f"/pub/{odd}",
            "target": target, "code": code, "bytes": number,
            "seconds": number / 7, "count": number % 3, "reason": reason,
            "session": number % 5, "host": host, "client": client}))
    made.append(events.Event(events.TRANSFER, "10.0.0.1\nforged",
                             command="RETR", path="/a", code=226))
    made.append(events.Event(events.LOGOUT, "10.0.0.1", seconds=None))
    made.append(events.Event(events.LOGIN, "10.0.0.1", user=42))
    return made


class Logged:
    """
    The lines L{EventLog} writes to a text observer of a publisher of its
    own, at a fixed time.

    @ivar out: the text file.
    @ivar generalLines: how many lines went through the publisher.
    """

    def __init__(self, testCase, *others, observer=None):
        """
        @param testCase: the running test (it patches the log's logger and
            clock).
        @param others: observers of the publisher after the text log.
        @param observer: the text log's observer, made from L{out} when
            C{None}.
        """
        self.out = io.StringIO()
        if observer is None:
            observer = textFileLogObserver(self.out)
        self.publisher = LogPublisher(observer, *others)
        testCase.patch(eventlog._log, "observer", self.publisher)
        testCase.patch(eventlog, "time", lambda: 1700000000.25)
        self.generalLines = 0
        logFields = eventlog.logFields

        def counted(*args):
            self.generalLines += 1
            return logFields(*args)

        testCase.patch(eventlog, "logFields", counted)
        self.log = EventLog(Clock())

    def __call__(self, made):
        """
        @param made: the events to log.
        @return: what the text log holds.
        """
        for event in made:
            try:
                self.log(event)
            except Exception:
                pass
        return self.out.getvalue()

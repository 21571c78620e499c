"""
L{ftpkit.ops.textformat} writes, line for line, what C{twisted.logger}'s own
text observer writes for the same events: ftpkit's event lines (which
fail2ban and log readers parse) and anything else Twisted logs.
"""

import io
import os
import time

from twisted.logger import (
    Logger,
    LogLevel,
    eventAsJSON,
    eventFromJSON,
    formatEventAsClassicLogText,
    formatTime,
)
from twisted.logger import textFileLogObserver as twistedTextObserver
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.ops import events
from ftpkit.ops.eventlog import LOGGED, logFields
from ftpkit.ops.textformat import ClassicTextFormatter, textFileLogObserver
from ftpkit.ops.workerlog import workerEvent


def loggedEvents(emit):
    """
    Log, through a L{Logger} observed by C{emit}, an event of each kind
    ftpkit logs, with the user names and paths that make quoting matter.

    @param emit: an C{ILogObserver}.
    """
    logger = Logger(namespace="ftpkit", observer=emit)
    odd = ["alice", "o'brien", 'say "hi"', "two\nlines", "caf\xe9",
           "\udcff bytes", None]
    for user in odd:
        for kind in LOGGED:
            for code in (226, 451):
                event = events.Event(
                    kind, "127.0.0.1", time=time.time(), user=user,
                    command="RNTO" if kind == events.CHANGE else "RETR",
                    path=f"/pub/{user}", target="/pub/new name",
                    code=code, bytes=16384, seconds=0.0123456, bytesIn=3,
                    bytesOut=4, count=2, reason="Too many connections",
                    session=7, host="ftp.example.com")
                level, text, fields = logFields(event)
                logger.emit(level, text, **fields)


def otherEvents(emit):
    """
    Log events as the rest of Twisted and ftpkit do: a system, a failure,
    a call in the format, fields that are missing, several lines, no time.

    @param emit: an C{ILogObserver}.
    """
    logger = Logger(namespace="twisted.internet.base", observer=emit)
    logger.info("Received SIGTERM, shutting down.")
    logger.warn("{peer} pipelined {count} commands; pausing",
                peer="::1", count=12)
    logger.info("called {thing()}", thing=lambda: "back")
    logger.info("missing {field}")
    logger.info("a {0} positional")
    logger.info("first\nsecond\r\nthird")
    logger.info("{value!a} {value!s} {number:>{width}} {pair[1]}",
                value="caf\xe9", number=3.5, width=8, pair=(1, "two"))
    logger.info("")
    logger.debug("no fields at all")
    logger.failure("error handling {verb}", Failure(ValueError("bad")),
                   verb="RETR")
    emit({"log_format": "(TCP Port 2121 Closed)", "log_system": "-",
          "log_time": time.time()})
    emit({"log_format": "no time", "log_level": LogLevel.info})
    emit({"log_format": "bytes format {x}".encode(), "x": 1,
          "log_time": time.time()})
    emit({"log_format": "system not text", "log_system": 42,
          "log_time": time.time()})
    emit({"log_format": None, "log_time": time.time()})
    emit({"log_text": "no format", "log_time": time.time()})
    flattened = eventFromJSON(eventAsJSON(
        {"log_format": "worker {seconds:.3f} s", "seconds": 1.23456,
         "log_time": time.time(), "log_namespace": "ftpkit",
         "log_level": LogLevel.info}))
    flattened["log_system"] = "worker 1234"
    emit(flattened)


def fromWorker(event):
    """
    @param event: a log event of a worker process.
    @return: the event the acceptor logs for it under C{--workers}, or
        C{None} for one the worker cannot send (Twisted's encoding fails:
        a field missing, a format that is not text).
    """
    try:
        return workerEvent(eventAsJSON(event), 1234, 0.0)
    except Exception:
        return None


def bothLogs(produce, transform=dict):
    """
    @param produce: called with an observer, logs events to it.
    @param transform: makes each event to log from the one logged.
    @return: the lines of Twisted's text observer and of ftpkit's.
    """
    twisted, ours = io.StringIO(), io.StringIO()
    twistedObserver = twistedTextObserver(twisted)
    oursObserver = textFileLogObserver(ours)

    def emit(event):
        if transform(dict(event)) is not None:
            twistedObserver(transform(dict(event)))
            oursObserver(transform(dict(event)))

    produce(emit)
    return twisted.getvalue().splitlines(), ours.getvalue().splitlines()


class SameLinesTests(unittest.TestCase):
    """
    L{textFileLogObserver} writes what C{twisted.logger.textFileLogObserver}
    writes.
    """

    def test_ftpkitEvents(self):
        """
        The lines of every kind of event ftpkit logs.
        """
        twisted, ours = bothLogs(loggedEvents)
        self.assertGreater(len(twisted), 90)
        self.assertEqual(ours, twisted)

    def test_otherEvents(self):
        """
        Other events, including those it hands to Twisted's formatting.
        """
        twisted, ours = bothLogs(otherEvents)
        self.assertGreater(len(twisted), 15)
        self.assertEqual(ours, twisted)

    def test_workerEvents(self):
        """
        The events of worker processes, as the acceptor logs them under
        C{--workers}.
        """
        for produce in (loggedEvents, otherEvents):
            twisted, ours = bothLogs(produce, fromWorker)
            self.assertGreater(len(twisted), 15)
            self.assertRegex(ours[0], r" \[worker 1234 [^ \]]+#info\] ")
            self.assertEqual(ours, twisted)

    def test_format(self):
        """
        An ftpkit event's line is C{TIME [ftpkit#LEVEL] TEXT}.
        """
        lines = []
        loggedEvents(lambda event: lines.append(
            ClassicTextFormatter()(event)))
        self.assertRegex(
            lines[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} "
            r"\[ftpkit#info\] login from 127\.0\.0\.1 user 'alice' on host "
            r"ftp\.example\.com\n$")


class TimeStampTests(unittest.TestCase):
    """
    L{ClassicTextFormatter.timeStamp} keeps one second's text and gives
    what L{formatTime} gives, at any point of a second.
    """

    def setUp(self):
        self.formatter = ClassicTextFormatter()

    def check(self, times):
        for when in times:
            self.assertEqual(self.formatter.timeStamp(when),
                             formatTime(when), repr(when))

    def test_withinSecond(self):
        """
        The start, the middle and the end of a second, and the next.
        """
        base = float(int(time.time()))
        self.check([base, base + 0.5, base + 0.9999, base + 0.9999994,
                    base + 0.9999996, base + 0.99999999, base + 1.0,
                    base + 0.3, base + 1.2])

    def test_other(self):
        """
        No time, a time before 1970, an integer time.
        """
        self.check([None, -1.5, 1700000000])

    def test_daylightSaving(self):
        """
        Across the change to and from daylight saving time the offset
        follows the local time of each second.
        """
        if not os.path.exists("/usr/share/zoneinfo/America/New_York"):
            raise unittest.SkipTest("no time zone data (apt-get install "
                                    "tzdata)")
        old = os.environ.get("TZ")

        def restore():
            if old is None:
                os.environ.pop("TZ", None)
            else:
                os.environ["TZ"] = old
            time.tzset()

        self.addCleanup(restore)
        os.environ["TZ"] = "America/New_York"
        time.tzset()
        # 2026-03-08 07:00:00 UTC and 2026-11-01 06:00:00 UTC.
        for change in (1772953200.0, 1793512800.0):
            self.check([change - 1.5, change - 0.5, change - 0.0000001,
                        change, change + 0.25, change + 1])
        self.assertNotEqual(self.formatter.timeStamp(1772953199.5)[-5:],
                            self.formatter.timeStamp(1772953200.5)[-5:])

    def test_same(self):
        """
        Two times in one second get the same text, without formatting it
        again.
        """
        base = float(int(time.time()))
        first = self.formatter.timeStamp(base + 0.1)
        self.assertIs(self.formatter.timeStamp(base + 0.7), first)


class FallbackTests(unittest.TestCase):
    """
    What L{ClassicTextFormatter} does not format itself is what
    L{formatEventAsClassicLogText} gives.
    """

    def test_unformattable(self):
        """
        A field that is missing gives Twisted's account of the event.
        """
        event = {"log_format": "{nope}", "log_time": 0.0,
                 "log_level": LogLevel.info, "log_namespace": "x"}
        text = ClassicTextFormatter()(event)
        self.assertIn("Unable to format event", text)
        self.assertEqual(text, formatEventAsClassicLogText(event))

    def test_empty(self):
        """
        An event with no text makes no line.
        """
        self.assertIsNone(ClassicTextFormatter()(
            {"log_format": "", "log_time": 0.0}))


class KeptTextTests(unittest.TestCase):
    """
    The texts L{ClassicTextFormatter} keeps from one line to the next (the
    second's time, each namespace's and level's system) give the lines
    Twisted gives.
    """

    def test_timesInLines(self):
        """
        Lines at times through a second and into the next, in one
        formatter, are Twisted's lines.
        """
        formatter = ClassicTextFormatter()
        base = float(int(time.time()))
        for when in [base + 0.1, base + 0.5, base + 0.9999994,
                     base + 0.9999996, base + 1.0, base + 0.2, base + 1.3,
                     None, -2.5]:
            event = {"log_format": "at {when!r}", "when": when,
                     "log_time": when, "log_level": LogLevel.info,
                     "log_namespace": "ftpkit"}
            self.assertEqual(formatter(event),
                             formatEventAsClassicLogText(event), repr(when))

    def test_manySystems(self):
        """
        Many namespaces and levels each get their own system, and the
        formatter keeps a bounded number of them.
        """
        formatter = ClassicTextFormatter()
        for _ in range(2):
            for n in range(150):
                for level in (LogLevel.info, LogLevel.warn, None):
                    event = {"log_format": "x", "log_time": 1.5,
                             "log_namespace": f"name{n}", "log_level": level}
                    self.assertEqual(formatter(event),
                                     formatEventAsClassicLogText(event))
        self.assertLessEqual(len(formatter._systems), 64)

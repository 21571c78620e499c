"""
L{ftpkit.ops.workerlog}'s line records: a worker whose acceptor logs text
alone sends its event lines as text (L{WorkerLines}), which the acceptor
writes as the same bytes its JSON records gave; anything else keeps the
JSON records.
"""

import io
import json

from twisted.logger import LogLevel, LogPublisher, formatEvent
from twisted.trial import unittest

from ftpkit.ops import events
from ftpkit.ops.logformat import fileObserver
from ftpkit.ops.textformat import ClassicTextFormatter
from ftpkit.ops.workerlog import (
    LINES_VARIABLE,
    RECORD_SEPARATOR,
    WorkerLines,
    WorkerLogReader,
    WorkerObserver,
    lineRecord,
    lineRecordText,
    workerEnvironment,
    workerObserver,
)
from tests.eventlines import Logged, variedEvents


def _transfer():
    """
    @return: a download's event.
    """
    return events.Event(events.TRANSFER, "10.0.0.1", user="alice",
                        command="RETR", path="/a.bin", code=226,
                        bytes=16384, seconds=0.0125, session=3)


def _records(testCase, made, lines):
    """
    @param testCase: the running test.
    @param made: events for a worker's L{EventLog} to log.
    @param lines: whether the worker sends line records.
    @return: what the worker wrote for the acceptor, and how many lines
        went through its publisher.
    """
    pipe = io.StringIO()
    logged = Logged(testCase, observer=workerObserver(pipe, lines))
    logged(made)
    return pipe.getvalue(), logged.generalLines


def _acceptorText(written, *others):
    """
    @param written: what a worker wrote for the acceptor.
    @param others: observers of the acceptor's log after its text log.
    @return: what the acceptor's text log holds once it read C{written}.
    """
    out = io.StringIO()
    publisher = LogPublisher(fileObserver(out, "text"), *others)
    reader = WorkerLogReader(1234, publisher, observer=publisher)
    reader.recordsReceived(written.encode("utf-8"))
    reader.flush()
    return out.getvalue()


class LineRecordTests(unittest.TestCase):
    """
    Line records give the acceptor's text log the bytes JSON records gave.
    """

    def test_sameBytes(self):
        """
        Every event of L{variedEvents}: the acceptor's text log holds the
        same whether the worker sent line records (most lines) or only
        JSON records.
        """
        made = variedEvents()
        asLines, general = _records(self, made, True)
        asEvents, allGeneral = _records(self, made, False)
        self.assertEqual(_acceptorText(asLines), _acceptorText(asEvents))
        self.assertGreater(allGeneral - general, 100)
        self.assertGreater(asLines.count(RECORD_SEPARATOR + "["), 100)

    def test_transferLine(self):
        """
        A download's line is one line record, written by the acceptor
        under the worker's system.
        """
        written, general = _records(self, [_transfer()], True)
        self.assertEqual(general, 0)
        self.assertTrue(written.startswith(RECORD_SEPARATOR + "["))
        stamp = ClassicTextFormatter().timeStamp(1700000000.25)
        self.assertEqual(
            _acceptorText(written),
            f"{stamp} [worker 1234 ftpkit#info] RETR from 10.0.0.1 user "
            "'alice' path '/a.bin': 226, 16384 bytes in 0.013 s\n")

    def test_withoutLines(self):
        """
        A worker not told its acceptor logs text alone sends JSON records
        only.
        """
        observer = workerObserver(io.StringIO())
        self.assertIs(type(observer), WorkerObserver)
        written, general = _records(self, [_transfer()], False)
        self.assertEqual(general, 1)
        self.assertTrue(written.startswith(RECORD_SEPARATOR + "{"))

    def test_acceptorObservedByOthers(self):
        """
        An acceptor whose log is not its text log alone logs a line record
        as an event of its text, under the worker's system.
        """
        written, _ = _records(self, [_transfer()], True)
        seen = []
        text = _acceptorText(written, seen.append)
        [event] = seen
        self.assertEqual(
            (formatEvent(event), event["log_system"], event["log_level"],
             event["log_namespace"], event["ftpkit_worker"],
             event["log_time"]),
            ("RETR from 10.0.0.1 user 'alice' path '/a.bin': 226, 16384 "
             "bytes in 0.013 s", "worker 1234 ftpkit#info", LogLevel.info,
             "ftpkit", 1234, 1700000000.25))
        self.assertIn("[worker 1234 ftpkit#info] RETR from", text)

    def test_notLineRecords(self):
        """
        Arrays that are not line records are none.
        """
        for value in ([1, "info", "ftpkit"], [1.0, "info", "ftpkit", "x"],
                      [True, "info", "ftpkit", "x"],
                      [1, "loud", "ftpkit", "x"], [1, "info", None, "x"],
                      {"log_format": "x"}, None):
            self.assertIsNone(lineRecord(value), value)
        self.assertEqual(
            lineRecord(json.loads('[1500000, "warn", "a", "b"]')),
            (1.5, LogLevel.warn, "a", "b"))

    def test_recordText(self):
        """
        A line record's text is what C{json.JSONEncoder().encode} writes
        for the array, its time in whole microseconds, whatever its
        values: text of every kind of character, times of every size and
        sign, and values of other types (which the acceptor then takes
        for no line record).
        """

        class Text(str):
            pass

        texts = ["", "plain", 'quote " and \\ backslash', "tab\tline\n",
                 "\x00\x1f\x7f", "caf\u00e9 \u4e2d \U0001f600",
                 "lone \ud800 surrogate", "\u2028\u2029"]
        encoder = json.JSONEncoder()
        nan, inf = float("nan"), float("inf")
        for when, written in [
                (1700000000.25, 1700000000250000), (0.1, 100000),
                (-0.0, 0), (1e300, round(1e306)), (5e-324, 0), (1.0, 10**6),
                (1764903600.123456, 1764903600123456), (nan, nan),
                (inf, inf), (-inf, -inf), (17, 17000000), (None, None)]:
            for text in texts:
                for name in ["info", text]:
                    for namespace in ["ftpkit", text, Text(text)]:
                        values = [when, name, namespace, text]
                        self.assertEqual(
                            lineRecordText(*values),
                            encoder.encode([written, name, namespace, text]),
                            values)
        self.assertEqual(lineRecordText(1.5, "info", "a", None),
                         '[1500000, "info", "a", null]')

    def test_timeKept(self):
        """
        A line's time reaches the acceptor to the microsecond, the text
        log's second unchanged.
        """
        for when in [1700000000.25, 1764903600.123456, 1764903600.999999]:
            [value] = json.loads("[{}]".format(lineRecordText(
                when, "info", "ftpkit", "x")))
            kept = lineRecord(value)[0]
            self.assertAlmostEqual(kept, when, delta=5e-7)
            formatter = ClassicTextFormatter()
            self.assertEqual(formatter.timeStamp(kept),
                             formatter.timeStamp(when))

    def test_brokenPipe(self):
        """
        A line that cannot be written is given up, as the publisher gives
        up a broken observer.
        """

        class Broken(io.StringIO):
            def write(self, text):
                raise OSError("broken pipe")

        self.assertTrue(WorkerLines(Broken()).writeText(
            "x", "ftpkit", LogLevel.info, 1.0))


class Counted(io.StringIO):
    """
    A text file counting its writes.

    @ivar writes: how many calls of C{write}.
    """

    writes = 0

    def write(self, text):
        self.writes += 1
        return io.StringIO.write(self, text)


class OneWriteTests(unittest.TestCase):
    """
    The acceptor writes the line records of one read of a worker's pipe
    with one write, in their order, lines around a JSON record before and
    after its event.
    """

    def test_oneWrite(self):
        """
        Three downloads' line records (with reports between them, as a
        worker sends them) read at once: one write, the three lines in
        order, the reports passed on.
        """
        written, _ = _records(self, [_transfer()] * 3, True)
        report = f"{RECORD_SEPARATOR}!e 3 16384 o\n"
        data = "".join(report + RECORD_SEPARATOR + record
                       for record in written.split(RECORD_SEPARATOR)[1:])
        out = Counted()
        publisher = LogPublisher(fileObserver(out, "text"))
        reports = []
        reader = WorkerLogReader(1234, publisher, observer=publisher,
                                 reports=reports.append)
        reader.recordsReceived(data.encode("utf-8"))
        self.assertEqual(out.writes, 1)
        self.assertEqual(out.getvalue(), _acceptorText(written))
        self.assertEqual(out.getvalue().count("RETR from 10.0.0.1"), 3)
        self.assertEqual(reports, ["e 3 16384 o\n"] * 3)

    def test_orderAroundEvents(self):
        """
        A JSON record between line records is logged after the lines
        before it and before those after it.
        """
        lines, _ = _records(self, [_transfer()], True)
        other, _ = _records(self, [events.Event(
            events.TRANSFER, "10.0.0.1", user="bob", command="RETR",
            path="/b.bin", code=226, bytes=1, seconds=0.5, session=4)],
            False)
        out = Counted()
        publisher = LogPublisher(fileObserver(out, "text"))
        reader = WorkerLogReader(1234, publisher, observer=publisher)
        reader.recordsReceived((lines + other + lines).encode("utf-8"))
        users = [line.split("user ")[1][:7]
                 for line in out.getvalue().splitlines()]
        self.assertEqual(users, ["'alice'", "'bob' p", "'alice'"])
        self.assertEqual(out.getvalue(),
                         _acceptorText(lines + other + lines))


class EnvironmentTests(unittest.TestCase):
    """
    L{workerEnvironment} tells a worker whether its acceptor logs text
    alone.
    """

    def test_textAlone(self):
        """
        The text log alone: the variable is set.
        """
        publisher = LogPublisher(fileObserver(io.StringIO(), "text"))
        environment = workerEnvironment({"PATH": "/bin"}, publisher)
        self.assertEqual(environment,
                         {"PATH": "/bin", LINES_VARIABLE: "1"})

    def test_otherwise(self):
        """
        JSON, or the text log with another observer: the variable is unset,
        even where the acceptor's own environment had it.
        """
        for publisher in [
                LogPublisher(fileObserver(io.StringIO(), "json")),
                LogPublisher(fileObserver(io.StringIO(), "text"),
                             lambda event: None)]:
            self.assertEqual(
                workerEnvironment({LINES_VARIABLE: "1"}, publisher), {})

"""
L{ftpkit.ops.directlines}: the lines L{EventLog} writes straight to the
text log, when that log is its publisher's only observer, are byte for
byte those it writes through the publisher; anything else observing means
the publisher.
"""

import io

from twisted.logger import (
    FilteringLogObserver,
    LogLevel,
    LogLevelFilterPredicate,
)
from twisted.trial import unittest

from ftpkit.ops import eventlog, events
from ftpkit.ops.directlines import DirectLines, compileLine
from ftpkit.ops.eventlog import EventLog
from ftpkit.ops.textformat import ClassicTextFormatter, textFileLogObserver
from tests.eventlines import Logged, variedEvents


class SameBytesTests(unittest.TestCase):
    """
    The text log holds the same bytes whichever way its lines went.
    """

    def test_same(self):
        """
        Every event of L{variedEvents}: the text log alone (most lines
        straight to it) holds what it holds with another observer beside
        it (every line through the publisher).
        """
        made = variedEvents()
        alone = Logged(self)
        direct = alone(made)
        throughPublisher = alone.generalLines
        seen = []
        beside = Logged(self, seen.append)
        general = beside(made)
        self.assertEqual(direct, general)
        self.assertGreater(len(seen), len(made) / 2)
        # Both ways taken, each for many lines.
        self.assertGreater(throughPublisher, 100)
        self.assertGreater(beside.generalLines - throughPublisher, 100)

    def test_commonLinesDirect(self):
        """
        A download's, a login's and a logout's lines are written straight:
        no log event is made for them.
        """
        logged = Logged(self)
        text = logged([
            events.Event(events.LOGIN, "10.0.0.1", user="alice", session=3),
            events.Event(events.TRANSFER, "10.0.0.1", user="alice",
                         command="RETR", path="/a.bin", code=226,
                         bytes=16384, seconds=0.0125, session=3),
            events.Event(events.TRANSFER, "10.0.0.1", user="alice",
                         command="STOR", path="/b.bin", code=426,
                         bytes=3, seconds=1.5, session=3),
            events.Event(events.LOGOUT, "10.0.0.1", user="alice",
                         seconds=2.0, bytesIn=3, bytesOut=16384,
                         session=3)])
        self.assertEqual(logged.generalLines, 0)
        stamp = ClassicTextFormatter().timeStamp(1700000000.25)
        self.assertEqual(text.splitlines(), [
            f"{stamp} [ftpkit#info] login from 10.0.0.1 user 'alice'",
            f"{stamp} [ftpkit#info] RETR from 10.0.0.1 user 'alice' path "
            "'/a.bin': 226, 16384 bytes in 0.013 s",
            f"{stamp} [ftpkit#warn] STOR from 10.0.0.1 user 'alice' path "
            "'/b.bin': 426, 3 bytes in 1.500 s",
            f"{stamp} [ftpkit#info] logout from 10.0.0.1 user 'alice': "
            "2.000 s, 3 bytes in, 16384 bytes out"])


def _transfer():
    """
    @return: a download's event.
    """
    return events.Event(events.TRANSFER, "10.0.0.1", user="alice",
                        command="RETR", path="/a.bin", code=226)


class OthersObserveTests(unittest.TestCase):
    """
    Whatever else observes, or stands between the log and the file, gets
    every line's log event, as before.
    """

    def test_anotherObserver(self):
        """
        An observer beside the text log gets the log event, with its
        fields and C{log_*} keys.
        """
        seen = []
        logged = Logged(self, seen.append)
        logged([_transfer()])
        [event] = seen
        self.assertEqual(
            (event["path"], event["log_namespace"], event["log_level"],
             event["log_time"]),
            ("/a.bin", "ftpkit", LogLevel.info, 1700000000.25))
        self.assertIn("RETR from 10.0.0.1", logged.out.getvalue())

    def test_observerAddedLater(self):
        """
        An observer added after lines went straight to the file gets the
        next line's event; removed, the lines go straight again.
        """
        seen = []
        logged = Logged(self)
        logged([_transfer()])
        logged.publisher.addObserver(seen.append)
        logged([_transfer()])
        logged.publisher.removeObserver(seen.append)
        logged([_transfer()])
        self.assertEqual((len(seen), logged.generalLines), (1, 1))
        self.assertEqual(len(logged.out.getvalue().splitlines()), 3)

    def test_filtered(self):
        """
        The text log behind a filter (the publisher's only observer, but
        not the text log itself) gets the lines the filter lets through.
        """
        out = io.StringIO()
        predicate = LogLevelFilterPredicate(LogLevel.warn)
        logged = Logged(self, observer=FilteringLogObserver(
            textFileLogObserver(out), [predicate]))
        failed = events.Event(events.TRANSFER, "10.0.0.1", command="STOR",
                              path="/b", code=451)
        logged([_transfer(), failed])
        self.assertEqual(logged.generalLines, 2)
        [line] = out.getvalue().splitlines()
        self.assertIn("[ftpkit#warn] STOR from 10.0.0.1", line)

    def test_formatterReplaced(self):
        """
        A text log whose formatter was replaced formats each event itself.
        """
        observer = textFileLogObserver(io.StringIO())
        observer.formatEvent = lambda event: f"{event['path']}\n"
        logged = Logged(self, observer=observer)
        logged([_transfer()])
        self.assertEqual(logged.generalLines, 1)
        self.assertEqual(observer.outFile.getvalue(), "/a.bin\n")

    def test_notAPublisher(self):
        """
        A logger observed by something other than a publisher (trial's
        own, a test's list) gets each event.
        """
        seen = []
        self.patch(eventlog._log, "observer", seen.append)
        EventLog()(_transfer())
        self.assertEqual(seen[0]["path"], "/a.bin")

    def test_brokenFile(self):
        """
        A text log whose file cannot be written loses the line, as the
        publisher would lose it (it tells the other observers, and there
        are none), and logging goes on.
        """

        class Broken(io.StringIO):
            def write(self, text):
                raise OSError("no space left")

        logged = Logged(self, observer=textFileLogObserver(Broken()))
        logged.log(_transfer())
        self.assertEqual(logged.generalLines, 0)


class CompileLineTests(unittest.TestCase):
    """
    L{compileLine} gives the text C{format_map} gives, or C{None}.
    """

    def compile(self, format, guards=()):
        return compileLine(format, {"user": "user", "path": "path",
                                    "code": "code"}, {"path"}, guards, 4,
                           lambda value: value[:2] + "~")

    def test_fields(self):
        """
        Fields by attribute, conversions and specs kept, bounded fields
        bounded.
        """
        line = self.compile("{user!r} {path} {code:>5} {{x}}")
        event = events.Event(events.TRANSFER, "p", user="a'b",
                             path="/abc", code=7)
        self.assertEqual(line(event), "\"a'b\" /abc     7 {x}")
        event = events.Event(events.TRANSFER, "p", user="a'b",
                             path="/longer", code=7)
        self.assertEqual(line(event), "\"a'b\" /l~     7 {x}")

    def test_guards(self):
        """
        An event with a guard attribute set has no line.
        """
        line = self.compile("{user}", guards=("reason",))
        self.assertEqual(line(events.Event(events.LOGIN, "p", user="a")),
                         "a")
        self.assertIsNone(line(events.Event(events.LOGIN, "p", user="a",
                                            reason="r")))

    def test_notCompiled(self):
        """
        A field not mapped, an index, a nested spec, a bad format or a
        guard that is no name: no function.
        """
        for format in ["{other}", "{user[0]}", "{code:{user}}", "{user",
                       "{user.upper}"]:
            self.assertIsNone(self.compile(format), format)
        self.assertIsNone(self.compile("{user}", guards=("a b",)))

    def test_unknownKind(self):
        """
        An event of a kind without a line goes through the publisher.
        """
        lines = DirectLines(eventlog._log, {}, lambda event: None)
        self.assertFalse(lines(_transfer(), 0.0))

"""
L{EventLog} hands its observers the log event C{Logger.emit} would
have made.
"""

from twisted.internet.task import Clock
from twisted.logger import Logger, formatEvent
from twisted.trial import unittest

from ftpkit.ops import eventlog, events
from ftpkit.ops.eventlog import FIELD_LENGTH, LOGGED, EventLog, clipped, logFields


class SameEventTests(unittest.TestCase):
    """
    The event of each logged kind has the fields and C{log_*} keys of
    C{Logger.emit}'s, with the same values.
    """

    def test_sameAsEmit(self):
        """
        For each logged kind, with a success and a failure code, the event
        L{EventLog} gives its observers equals the one C{Logger.emit} makes
        from L{logFields} (but for its logger and, nearly, its time).
        """
        seen = []
        self.patch(eventlog._log, "observer", seen.append)
        emitted = []
        logger = Logger(namespace="ftpkit", observer=emitted.append)
        for kind in LOGGED:
            for code in (226, 550):
                event = events.Event(
                    kind, "10.0.0.1", time=1.0, user="alice",
                    command="RETR", path="/a", code=code, bytes=3,
                    seconds=0.5, reason="full", session=4, host="h")
                EventLog()(event)
                level, text, fields = logFields(event)
                logger.emit(level, text, **fields)
        self.assertEqual(len(seen), 2 * len(LOGGED))
        for ours, theirs in zip(seen, emitted):
            self.assertEqual(set(ours), set(theirs))
            self.assertIs(ours.pop("log_logger"), eventlog._log)
            theirs.pop("log_logger")
            self.assertLess(abs(ours.pop("log_time") - theirs.pop("log_time")),
                            60)
            self.assertEqual(ours, theirs)


class ClippedFieldTests(unittest.TestCase):
    """
    The fields a client chooses are bounded in the log.
    """

    def test_short(self):
        """
        A field no longer than L{FIELD_LENGTH}, or none, is kept as it is.
        """
        text = "/" + "a" * (FIELD_LENGTH - 1)
        self.assertIs(clipped(text), text)
        self.assertIsNone(clipped(None))

    def test_long(self):
        """
        A longer one keeps its first and last halves of L{FIELD_LENGTH}
        around a marker counting the characters left out.
        """
        half = FIELD_LENGTH // 2
        text = "h" * half + "m" * 1000 + "t" * half
        self.assertEqual(clipped(text),
                         "h" * half + "...[1000 characters]..." + "t" * half)

    def test_changeLine(self):
        """
        A change in a deep directory, and a rename's target, by a long
        user name: the line's user, path and target are clipped, in the
        fields and so in the text and JSON forms.
        """
        deep = "/\udcff" * 2000
        event = events.Event(events.CHANGE, "10.0.0.1", time=1.0,
                             user="u" * 8000, command="RNTO",
                             path=deep + "/x", target=deep + "/y", session=1)
        level, text, fields = logFields(event)
        self.assertEqual(
            (fields["user"], fields["path"], fields["target"]),
            (clipped("u" * 8000), clipped(deep + "/x"), clipped(deep + "/y")))
        self.assertTrue(fields["target"].endswith("/y"))
        self.assertLess(len(text.format(**fields)), 8 * 3 * FIELD_LENGTH)


class DoorRefusalTests(unittest.TestCase):
    """
    C{connection-refused} lines are bounded for each address.
    """

    def setUp(self):
        self.seen = []
        self.patch(eventlog._log, "observer", self.seen.append)
        self.clock = Clock()
        self.log = EventLog(self.clock)

    def refuse(self, peer, times):
        for _ in range(times):
            self.log(events.Event(
                events.CONNECTION_REFUSED, peer, time=self.clock.seconds(),
                reason="Too many connections from your address"))

    def test_bounded(self):
        """
        An address refused again and again gets
        L{eventlog.CONNECTION_REFUSAL_LINES} lines a minute; the first of
        the next minute counts those left out (text and C{count}), and
        another address gets lines of its own meanwhile.
        """
        lines = eventlog.CONNECTION_REFUSAL_LINES
        self.refuse("10.0.0.1", 1000)
        self.refuse("10.0.0.2", 1)
        self.assertEqual([event["peer"] for event in self.seen],
                         ["10.0.0.1"] * lines + ["10.0.0.2"])
        # The next one comes as the minute ends, before its summary.
        self.clock.rightNow += 60
        self.refuse("10.0.0.1", 1)
        last = self.seen[-1]
        self.assertEqual(
            (len(self.seen), formatEvent(last), last["count"]),
            (lines + 2, "refused connection from 10.0.0.1: Too many "
             "connections from your address (and %d more not logged)"
             % (1000 - lines,), 1000 - lines))
        self.assertNotIn("count", self.seen[0])

    def test_manyAddresses(self):
        """
        A client of many addresses, each refused once, gets a line for
        each of the first L{eventlog.CONNECTION_REFUSAL_ADDRESSES}, then
        L{eventlog.CONNECTION_REFUSAL_LINES} for all the others together.
        """
        for number in range(5000):
            self.refuse("2001:db8:%x::1" % (number,), 1)
        self.assertEqual(len(self.seen),
                         eventlog.CONNECTION_REFUSAL_ADDRESSES
                         + eventlog.CONNECTION_REFUSAL_LINES)

    def test_ipv6Network(self):
        """
        The addresses of one IPv6 client's network (a C{/64}, as the
        limits refusing it count it) get L{eventlog.CONNECTION_REFUSAL_LINES}
        lines a minute together: one address each connection got a line
        for each of the first L{eventlog.CONNECTION_REFUSAL_ADDRESSES}
        (1,000 lines for one client), not 10. A network of its own gets
        lines of its own; so does each address with
        C{ipv6PrefixLength=128}.
        """
        lines = eventlog.CONNECTION_REFUSAL_LINES
        for number in range(2000):
            self.refuse("2001:db8::%x" % (number,), 1)
        self.refuse("2001:db8:0:1::1", 1)
        self.assertEqual(len(self.seen), lines + 1)
        self.seen[:] = []
        self.log = EventLog(self.clock, ipv6PrefixLength=128)
        for number in range(2 * lines):
            self.refuse("2001:db8::%x" % (number,), 1)
        self.assertEqual(len(self.seen), 2 * lines)

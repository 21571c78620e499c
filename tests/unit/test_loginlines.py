"""
Tests for the log lines of logins (L{ftpkit.ops.eventlog.EventLog}):
successful logins, their logouts and failed logins each get a line,
always; refused logins (a right password over C{--max-sessions-per-user})
get L{eventlog.LOGIN_REFUSAL_LINES} a minute for each address, then one
line counting those left out, once the minute is over.

A client knowing a password (any client, where anonymous logins are
allowed) whose user had its sessions had each further login refused, as
fast as it connected, and each was a line: 5,000 refused logins were
5,000 lines.
"""

from twisted.internet.task import Clock
from twisted.logger import formatEvent
from twisted.trial import unittest

from ftpkit.ops import eventlog, events
from ftpkit.ops.eventlog import EventLog

REASON = "Too many sessions for this user; closing"


class LoginLinesTests(unittest.TestCase):
    """
    What a flood of logins from one address leaves in the log.
    """

    def setUp(self):
        self.seen = []
        self.patch(eventlog._log, "observer", self.seen.append)
        self.clock = Clock()
        self.log = EventLog(self.clock)

    def publish(self, kind, peer="10.0.0.1", times=1, **fields):
        """
        Log C{times} events of C{kind} from C{peer}.
        """
        for number in range(times):
            self.log(events.Event(kind, peer, time=self.clock.seconds(),
                                  user="anonymous", anonymous=True,
                                  session=number + 1, **fields))

    def texts(self):
        """
        @return: the lines written, as text.
        """
        return [formatEvent(event) for event in self.seen]

    def test_successfulNeverDropped(self):
        """
        Every login and logout is a line, however many; so is every
        failed login (fail2ban counts them).
        """
        self.publish(events.LOGIN, times=1000)
        self.publish(events.LOGOUT, times=1000, seconds=0.01, bytesIn=0,
                     bytesOut=0)
        self.publish(events.LOGIN_FAILED, times=1000, count=1)
        kinds = [event["ftpkit_event"] for event in self.seen]
        self.assertEqual(
            [kinds.count(kind) for kind in (events.LOGIN, events.LOGOUT,
                                            events.LOGIN_FAILED)],
            [1000, 1000, 1000])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_refusedBounded(self):
        """
        An address's refused logins get L{eventlog.LOGIN_REFUSAL_LINES}
        lines a minute; once the minute is over, one line counts the
        others (its C{count} field too), and another address's lines are
        its own meanwhile.
        """
        lines = eventlog.LOGIN_REFUSAL_LINES
        self.publish(events.LOGIN_REFUSED, times=5000, reason=REASON)
        self.publish(events.LOGIN_REFUSED, peer="10.0.0.2", reason=REASON)
        self.assertEqual([event["peer"] for event in self.seen],
                         ["10.0.0.1"] * lines + ["10.0.0.2"])
        self.assertEqual(self.texts()[0], "refused login from 10.0.0.1 user "
                         "'anonymous': Too many sessions for this user; "
                         "closing")
        self.clock.advance(59)
        self.assertEqual(len(self.seen), lines + 1)
        self.clock.advance(1)
        self.assertEqual(self.texts()[lines + 1:], [
            f"{5000 - lines} more refused logins from 10.0.0.1 not logged"])
        self.assertEqual(
            (self.seen[-1]["ftpkit_event"], self.seen[-1]["count"]),
            (eventlog.LOGIN_REFUSALS_NOT_LOGGED, 5000 - lines))
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.publish(events.LOGIN_REFUSED, reason=REASON)
        self.assertEqual(self.texts()[-1], "refused login from 10.0.0.1 "
                         "user 'anonymous': Too many sessions for this "
                         "user; closing")

    def test_abandonedBounded(self):
        """
        An address's logins abandoned with their password unchecked get
        L{eventlog.LOGIN_ABANDON_LINES} lines a minute (a client can hang
        up as fast as it connects); once the minute is over, one line
        counts the others.
        """
        lines = eventlog.LOGIN_ABANDON_LINES
        self.publish(events.LOGIN_ABANDONED, times=300)
        self.assertEqual(len(self.seen), lines)
        self.assertEqual(self.texts()[0], "abandoned login from 10.0.0.1 "
                         "user 'anonymous' (password not checked)")
        self.clock.advance(60)
        self.assertEqual(self.texts()[lines:], [
            f"abandoned logins from 10.0.0.1 not logged: {300 - lines}"])
        self.assertEqual(self.seen[-1]["ftpkit_event"],
                         eventlog.LOGIN_ABANDONS_NOT_LOGGED)

    def test_oneLeftOut(self):
        """
        The line counting one refused login says so in the singular.
        """
        self.publish(events.LOGIN_REFUSED,
                     times=eventlog.LOGIN_REFUSAL_LINES + 1, reason=REASON)
        self.clock.advance(60)
        self.assertEqual(self.texts()[-1],
                         "1 more refused login from 10.0.0.1 not logged")

    def test_nextMinuteFirst(self):
        """
        Where the address's next refused login comes as its minute ends,
        before the summary, that login's line counts those left out, and
        no summary line counts them again.
        """
        lines = eventlog.LOGIN_REFUSAL_LINES
        self.publish(events.LOGIN_REFUSED, times=lines + 3, reason=REASON)
        self.clock.rightNow = 60
        self.publish(events.LOGIN_REFUSED, reason=REASON)
        self.assertTrue(self.texts()[-1].endswith("(and 3 more not logged)"))
        self.clock.advance(0)
        self.assertEqual(len(self.seen), lines + 1)

    def test_ipv6Network(self):
        """
        The addresses of one IPv6 network (a C{/64}) share their lines,
        and the summary names the network.
        """
        lines = eventlog.LOGIN_REFUSAL_LINES
        for number in range(100):
            self.publish(events.LOGIN_REFUSED, peer="2001:db8::%x" % number,
                         reason=REASON)
        self.clock.advance(60)
        self.assertEqual(len(self.seen), lines + 1)
        self.assertEqual(self.texts()[-1], f"{100 - lines} more refused "
                         "logins from 2001:db8::/64 not logged")

"""
The counts of log lines left out told once their window ends
(L{ftpkit.ops.logthrottle.Summaries}), for every throttle of the log: a
peer that floods and stops causes no next line, and the count was told
only at the end of that next line (the session's refusals at its next
refusal or its logout), so an operator (and fail2ban, and a log shipper)
never learnt how many were dropped.
"""

import socket

from twisted.internet.address import IPv4Address
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import Clock
from twisted.logger import Logger, LogLevel, capturedLogs, formatEvent
from twisted.trial import unittest

from ftpkit.configvalues import parseNetworks
from ftpkit.control import peerwarnings
from ftpkit.control.peerwarnings import LINES, PeerWarnings
from ftpkit.control.proxied import ProxiedFactory
from ftpkit.deploy.proxiedaccept import HeaderWaits
from ftpkit.ops import eventlog, events
from ftpkit.ops.eventlog import EventLog
from ftpkit.ops.logthrottle import OTHERS, LogThrottle, Summaries
from ftpkit.shells.contract import heldToContract
from ftpkit.shells.memory import MemoryShell


class SummariesTests(unittest.TestCase):
    """
    L{Summaries} over a L{LogThrottle} of a window of 60 s, one line.
    """

    def setUp(self):
        self.clock = Clock()
        self.told = []
        self.summaries = Summaries(LogThrottle(self.clock, 60, 1),
                                   lambda *told: self.told.append(told))

    def test_toldAtEnd(self):
        """
        The events left out of a window are told once it ends, and no
        timer is left.
        """
        self.assertEqual([self.summaries.admit("a") for _ in range(4)],
                         [0, None, None, None])
        self.clock.advance(59.9)
        self.assertEqual(self.told, [])
        self.clock.advance(0.1)
        self.assertEqual(self.told, [("a", 3)])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_nextLineFirst(self):
        """
        The kind's next line, coming as the window ends, before the
        timer, says the count; the timer tells nothing again.
        """
        for _ in range(3):
            self.summaries.admit("a")
        self.clock.rightNow = 60
        self.assertEqual(self.summaries.admit("a"), 2)
        self.clock.advance(0)
        self.assertEqual(self.told, [])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_noTimerWithoutLeftOut(self):
        """
        A window with nothing left out sets no timer.
        """
        self.summaries.admit("a")
        self.summaries.admit("b")
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_windowsInTurn(self):
        """
        Windows ending apart are each told at their end, with one timer.
        """
        self.summaries.admit("a")
        self.summaries.admit("a")
        self.clock.advance(30)
        for _ in range(3):
            self.summaries.admit("b")
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.clock.advance(30)
        self.assertEqual(self.told, [("a", 1)])
        self.clock.advance(30)
        self.assertEqual(self.told, [("a", 1), ("b", 2)])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_stop(self):
        """
        L{Summaries.stop} tells every count now, windows over or not,
        and leaves no timer; a second tells nothing.
        """
        for kind in ("a", "a", "b", "b", "b"):
            self.summaries.admit(kind)
        self.summaries.stop()
        self.assertEqual(sorted(self.told), [("a", 1), ("b", 2)])
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.summaries.stop()
        self.clock.advance(60)
        self.assertEqual(len(self.told), 2)


class EventLogSummaryTests(unittest.TestCase):
    """
    The L{EventLog}'s C{connection-refused} and session refusal counts,
    told at the end of their minute.
    """

    def setUp(self):
        self.seen = []
        self.patch(eventlog._log, "observer", self.seen.append)
        self.clock = Clock()
        self.log = EventLog(self.clock)

    def test_connectionRefusals(self):
        """
        An address refused 1,000 times, then never again, gets a
        C{connection-refusals-not-logged} line once its minute is over
        (text, C{peer} and C{count}).
        """
        for _ in range(1000):
            self.log(events.Event(events.CONNECTION_REFUSED, "10.0.0.1",
                                  time=0, reason="Too many connections"))
        self.clock.advance(60)
        last = self.seen[-1]
        lines = eventlog.CONNECTION_REFUSAL_LINES
        self.assertEqual(
            (len(self.seen), formatEvent(last), last["ftpkit_event"],
             last["peer"], last["count"], last["log_level"]),
            (lines + 1,
             f"refused connections from 10.0.0.1 not logged: {1000 - lines}",
             "connection-refusals-not-logged", "10.0.0.1", 1000 - lines,
             LogLevel.warn))
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def refuse(self, times, session=7):
        for _ in range(times):
            self.log(events.Event(
                events.REFUSAL, "10.0.0.1", time=0, user="alice",
                anonymous=False, command="CWD", path="/x", code=550,
                session=session))

    def test_sessionRefusalsWithoutLogout(self):
        """
        A session whose refusals were left out, and that stays connected
        without another, has them counted once its minute is over, with
        its fields; its logout does not count them again.
        """
        self.refuse(eventlog.REFUSAL_LINES + 50)
        self.clock.advance(60)
        last = self.seen[-1]
        self.assertEqual(
            (formatEvent(last), last["session"], last["count"]),
            ("50 more refused commands from 10.0.0.1 user 'alice' not "
             "logged", 7, 50))
        self.log(events.Event(events.LOGOUT, "10.0.0.1", time=60,
                              user="alice", anonymous=False, session=7,
                              seconds=60.0, bytesIn=0, bytesOut=0))
        self.assertEqual([event["ftpkit_event"] for event in self.seen[-2:]],
                         ["refusals-not-logged", "logout"])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_finisherWritesPending(self):
        """
        At the server's stop (the hub's finishers, once the sessions are
        gone) the counts pending are written, their minute over or not,
        and no timer is left to fire later.
        """
        hub = events.EventHub()
        self.log.subscribeTo(hub)
        self.refuse(eventlog.REFUSAL_LINES + 2)
        for _ in range(eventlog.LOGIN_REFUSAL_LINES + 3):
            hub.publish(events.Event(events.LOGIN_REFUSED, "10.0.0.2",
                                     time=0, user="bob", reason="busy"))
        written = len(self.seen)
        results = [finish(0) for finish in hub.finishers]
        self.assertEqual([self.successResultOf(each) for each in results],
                         [None])
        self.assertEqual(
            sorted(formatEvent(event) for event in self.seen[written:]),
            ["2 more refused commands from 10.0.0.1 user 'alice' not logged",
             "3 more refused logins from 10.0.0.2 not logged"])
        self.assertEqual(self.clock.getDelayedCalls(), [])


class PeerWarningsSummaryTests(unittest.TestCase):
    """
    L{PeerWarnings}' counts, told at the end of their minute.
    """

    def setUp(self):
        self.clock = Clock()
        self.warnings = PeerWarnings(self.clock)
        self.seen = []
        self.patch(peerwarnings._log, "observer", self.seen.append)
        self.lines = []
        self.log = Logger(observer=self.lines.append)

    def warn(self, peer, kind="http", times=1, level=LogLevel.warn):
        for _ in range(times):
            self.warnings.emit(self.log, level, kind, peer,
                               "{what} from {peer}", what=kind, peer=peer)

    def test_toldAtEnd(self):
        """
        An address's lines of a kind left out are counted by a
        C{warnings-not-logged} line once the minute is over, at the level
        of the kind's lines; another kind is counted apart.
        """
        self.warn("192.0.2.1", times=LINES + 5)
        self.warn("192.0.2.1", "handshake", LINES + 1, LogLevel.info)
        self.clock.advance(60)
        self.assertEqual(
            sorted((formatEvent(event), event["ftpkit_event"],
                    event["warning_kind"], event["peer"], event["count"],
                    event["log_level"]) for event in self.seen),
            [("handshake warnings from 192.0.2.1 not logged: 1",
              "warnings-not-logged", "handshake", "192.0.2.1", 1,
              LogLevel.info),
             ("http warnings from 192.0.2.1 not logged: 5",
              "warnings-not-logged", "http", "192.0.2.1", 5, LogLevel.warn)])
        self.assertEqual(len(self.lines), 2 * LINES)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_others(self):
        """
        The addresses past L{peerwarnings.ADDRESSES}, counted together,
        are counted together in the summary.
        """
        for number in range(peerwarnings.ADDRESSES + LINES + 7):
            self.warn("10.%d.%d.1" % divmod(number, 256))
        self.clock.advance(60)
        self.assertEqual([formatEvent(event) for event in self.seen],
                         ["warnings from other addresses not logged: 7"])
        self.assertNotIn("peer", self.seen[0])
        self.assertEqual(OTHERS, "others")

    def test_stop(self):
        """
        L{PeerWarnings.stop} (the server stopping) writes the count now.
        """
        self.warn("192.0.2.1", times=LINES + 2)
        self.warnings.stop()
        self.assertEqual([formatEvent(event) for event in self.seen],
                         ["http warnings from 192.0.2.1 not logged: 2"])
        self.assertEqual(self.clock.getDelayedCalls(), [])


class ProxyRefusalSummaryTests(unittest.TestCase):
    """
    The refusals of a C{haproxy:} listener, in one process and in the
    acceptor of C{--workers}, told at the end of their minute.
    """

    def test_factory(self):
        """
        Connections refused from outside the trusted networks, then none,
        get a C{proxy-refusals-not-logged} line once the minute is over;
        the listener stopping writes what is pending then.
        """
        clock = Clock()
        factory = ProxiedFactory(Factory.forProtocol(Protocol),
                                 parseNetworks(["10.1.0.0/16"]),
                                 reactor=clock)
        stranger = IPv4Address("TCP", "192.0.2.9", 1)
        with capturedLogs() as logged:
            for _ in range(4):
                factory.buildProtocol(stranger)
            clock.advance(60)
            for _ in range(3):
                factory.buildProtocol(stranger)
            factory.doStart()
            factory.doStop()
        self.assertEqual(
            [(formatEvent(event), event.get("ftpkit_event"),
              event.get("refusal"), event.get("count"))
             for event in logged if "refused" in formatEvent(event)][1:],
            [("refused connections (untrusted) on a PROXY-protocol "
              "listener not logged: 3", "proxy-refusals-not-logged",
              "untrusted", 3),
             ("refused connection from 192.0.2.9: not a --trusted-proxy",
              None, None, None),
             ("refused connections (untrusted) on a PROXY-protocol "
              "listener not logged: 2", "proxy-refusals-not-logged",
              "untrusted", 2)])
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_acceptor(self):
        """
        The acceptor's L{HeaderWaits} does the same, and its C{stop}
        writes what is pending.
        """
        clock = Clock()
        waits = HeaderWaits(clock, parseNetworks(["10.1.0.0/16"]),
                            lambda c, h: None)
        with capturedLogs() as logged:
            for number in range(7):
                if number == 5:
                    clock.advance(60)
                server, client = socket.socketpair()
                self.addCleanup(client.close)
                self.addCleanup(server.close)
                waits.accepted(server, "192.0.2.9")
            waits.stop()
        self.assertEqual([formatEvent(event) for event in logged], [
            "refused connection from 192.0.2.9: not a --trusted-proxy",
            "refused connections (untrusted) on a PROXY-protocol listener "
            "not logged: 4",
            "refused connection from 192.0.2.9: not a --trusted-proxy",
            "refused connections (untrusted) on a PROXY-protocol listener "
            "not logged: 1"])
        self.assertEqual(clock.getDelayedCalls(), [])


class MissingShell(MemoryShell):
    """
    A shell from outside ftpkit whose C{stat} lets the system's error out
    for a missing file.
    """

    def stat(self, path, keys=()):
        """
        @raise FileNotFoundError: always.
        """
        raise FileNotFoundError(2, "No such file or directory")


class ContractBreachSummaryTests(unittest.TestCase):
    """
    The lines of a plugin shell's contract breaches
    (L{ftpkit.shells.contract.ContractShell}), ten a minute for each
    method in a session, counted once the minute ends or the user logs
    out.
    """

    def flood(self, times):
        """
        @return: the session's held shell, its C{stat} called C{times},
            and the log events meanwhile.
        """
        shell = heldToContract(MissingShell())
        shell.clock = self.clock = Clock()
        with capturedLogs() as logged:
            for _ in range(times):
                self.failureResultOf(shell.stat(("missing",)))
        return shell, logged

    def test_toldAtEnd(self):
        """
        15 breaches of C{stat}: 10 lines, then, once the minute is over,
        one counting the 5 others.
        """
        shell, logged = self.flood(15)
        self.assertEqual(len(logged), 10)
        with capturedLogs() as summary:
            self.clock.advance(60)
        self.assertEqual(
            [(formatEvent(event), event["ftpkit_event"], event["method"],
              event["count"], event["log_level"]) for event in summary],
            [("MissingShell.stat contract breaches not logged: 5",
              "contract-breaches-not-logged", "stat", 5, LogLevel.error)])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_stopComplaints(self):
        """
        The user logging out within the minute has the count logged then,
        and no timer left.
        """
        shell, _ = self.flood(12)
        with capturedLogs() as summary:
            shell.stopComplaints()
        self.assertEqual([formatEvent(event) for event in summary],
                         ["MissingShell.stat contract breaches not logged: 2"])
        self.assertEqual(self.clock.getDelayedCalls(), [])

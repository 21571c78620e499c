"""
Tests for L{ftpkit.deploy.inflight}: what a worker of C{--workers} tells
the acceptor of its sessions' logins and file transfers, and the events
the acceptor makes of them when the worker died.
"""

import io
import json
import os
import socket
from types import SimpleNamespace

from twisted.internet.error import ProcessDone, ProcessTerminated
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.control.handlers.reporting import SessionReporting
from ftpkit.deploy.inflight import (
    CUT_CODE,
    InFlight,
    InFlightReports,
    deathReason,
)
from ftpkit.deploy.progress import PROGRESS_PERIOD
from ftpkit.ops import events
from ftpkit.ops.eventlog import logFields
from ftpkit.ops.workerlog import HeldText, WorkerLogReader
from ftpkit.ops.xferlog import formatLine
from tests.workerpools import poolWithWorkers


class CountingOut(io.StringIO):
    """
    A text file counting its flushes, and keeping what each sent.

    @ivar sent: the text each flush sent (that of those that sent any).
    """

    def __init__(self):
        io.StringIO.__init__(self)
        self.sent = []
        self._mark = 0

    def flush(self):
        text = self.getvalue()
        if len(text) > self._mark:
            self.sent.append(text[self._mark:])
            self._mark = len(text)


def nothingMoved():
    """
    @return: the bytes a transfer of the tests moved so far: none.
    """
    return 0


def passOn(out):
    """
    @param out: a L{CountingOut} the worker's reports were written to.
    @return: the L{InFlight} the acceptor keeps of what was sent.
    """
    held = InFlight()
    reader = WorkerLogReader(1234, lambda event: None,
                             reports=held.recordReceived)
    reader.recordsReceived("".join(out.sent).encode("utf-8"))
    return held


class RecordTests(unittest.TestCase):
    """
    L{InFlightReports} to L{InFlight}, through a worker's log records.
    """

    def setUp(self):
        self.out = CountingOut()
        self.reports = InFlightReports(HeldText(self.out),
                                       MemoryReactorClock())

    def test_startSentAtOnce(self):
        """
        A transfer's start is sent as it is written; a login, a logout
        and a transfer's end wait for the flush of the line that follows
        them (L{InFlightReports.flush}).
        """
        self.reports.loggedIn(1, 100.0, "10.0.0.1", "alice", False, None,
                              None)
        self.assertEqual(self.out.sent, [])
        self.reports.flush()
        self.assertEqual(len(self.out.sent), 1)
        self.reports.transferStarted(1, 101.0, "RETR", "/a", True,
                                     nothingMoved)
        self.assertEqual(len(self.out.sent), 2)
        self.reports.flush()
        self.assertEqual(len(self.out.sent), 2)
        self.reports.transferEnded(1, 10, False)
        self.reports.loggedOut(1)
        self.assertEqual(len(self.out.sent), 2)

    def test_cutTransfers(self):
        """
        When the worker dies, each transfer running is a failed transfer
        (L{CUT_CODE}) saying why, and each logged-in session a logout
        counting the bytes its finished transfers moved; sessions and
        transfers that ended are not.
        """
        reports = self.reports
        reports.loggedIn(1, 100.0, "10.0.0.1", "alice", False, "h", "c")
        reports.loggedIn(2, 100.0, "10.0.0.2", "anonymous", True, None,
                         None)
        reports.loggedIn(3, 100.0, "10.0.0.3", "bob", False, None, None)
        reports.transferStarted(1, 101.0, "RETR", "/a b", True,
                                nothingMoved)
        reports.transferEnded(1, 7, False)
        reports.transferStarted(1, 102.0, "STOR", "/up", False,
                                nothingMoved)
        reports.transferEnded(1, 5, True)
        reports.transferStarted(1, 103.0, "STOR", "/up2", True,
                                nothingMoved)
        reports.transferStarted(2, 104.0, "RETR", "/big", True,
                                nothingMoved)
        reports.loggedOut(3)
        reports.flush()
        held = passOn(self.out)
        cut = held.cutEvents(110.0, "worker 1234 killed by SIGKILL")
        self.assertEqual(cut, [
            events.Event(events.TRANSFER, "10.0.0.1", time=110.0,
                         user="alice", command="STOR", path="/up2",
                         code=CUT_CODE, seconds=7.0, binary=True,
                         reason="worker 1234 killed by SIGKILL", session=1,
                         host="h", client="c"),
            events.Event(events.TRANSFER, "10.0.0.2", time=110.0,
                         user="anonymous", anonymous=True, command="RETR",
                         path="/big", code=CUT_CODE, seconds=6.0,
                         reason="worker 1234 killed by SIGKILL",
                         session=2),
            events.Event(events.LOGOUT, "10.0.0.1", time=110.0,
                         user="alice", seconds=10.0, bytesIn=5, bytesOut=7,
                         session=1, host="h", client="c"),
            events.Event(events.LOGOUT, "10.0.0.2", time=110.0,
                         user="anonymous", anonymous=True, seconds=10.0,
                         session=2),
        ])
        self.assertEqual(held.cutEvents(111.0, "again"), [])

    def test_sameLines(self):
        """
        A cut transfer's lines are those of a transfer cut today: the
        transfer log's C{i}, the log's failed transfer with its reason.
        """
        self.reports.loggedIn(1, 100.0, "10.0.0.1", "alice", False, None,
                              None)
        self.reports.transferStarted(1, 101.0, "RETR", "/a", True,
                                     nothingMoved)
        [transfer, _] = passOn(self.out).cutEvents(103.0, "worker 9 died")
        self.assertEqual(formatLine(transfer).split()[5:],
                         ["2", "10.0.0.1", "0", "/a", "b", "_", "o", "r",
                          "alice", "ftp", "0", "alice", "i"])
        level, text, fields = logFields(transfer)
        self.assertEqual(level.name, "warn")
        self.assertTrue(text.endswith(" ({reason})"), text)
        self.assertEqual((fields["code"], fields["reason"]),
                         (426, "worker 9 died"))
        self.assertFalse(transfer.succeeded)

    def test_encoderText(self):
        """
        A transfer's start record, made without an encoder, holds the
        text the encoder makes of its fields, whatever they hold, its
        time in whole microseconds.
        """
        nan = float("nan")
        for fields, written in [
                ((1764903600.123456, "RETR", "/a b\n\udc80\xe9\x1e\"",
                  True), 1764903600123456),
                ((0.0, "STOR", "", False), 0),
                ((1e20, "APPE", "/x", True), round(1e26)),
                ((nan, "STOU", "/x", True), nan),
                ((1.0, "RETR", "/x", 1), 10**6),
                ((1, "RETR", "/x", True), 10**6),
                ((1.0, "LIST", "/x", True), 10**6)]:
            out = io.StringIO()
            InFlightReports(HeldText(out), MemoryReactorClock(
                )).transferStarted(7, *fields, nothingMoved)
            self.assertEqual(out.getvalue(), "\x1e!s 7 {}\n".format(
                json.dumps([written, *fields[1:]], separators=(",", ":"))))

    def test_timesInMicroseconds(self):
        """
        A login's and a start's times go as whole microseconds, and come
        back as seconds: the cut events' durations.
        """
        self.reports.loggedIn(1, 1764903600.25, "10.0.0.1", "alice", False,
                              None, None)
        self.reports.transferStarted(1, 1764903601.5, "RETR", "/a", True,
                                     nothingMoved)
        self.assertIn("!l 1 [1764903600250000,", self.out.getvalue())
        self.assertIn("!s 1 [1764903601500000,", self.out.getvalue())
        cut, logout = passOn(self.out).cutEvents(1764903610.0, "died")
        self.assertEqual((cut.seconds, logout.seconds), (8.5, 9.75))

    def test_loginEncoderText(self):
        """
        A login record, made without an encoder, holds the text the
        encoder makes of its fields, whatever they hold, its time in whole
        microseconds.
        """
        nan = float("nan")
        for fields, written in [
                ((1764903600.123456, "10.0.0.1", "al\u00e9 \"x\"\n\udc80",
                  False, None, None), 1764903600123456),
                ((0.0, "::1", "", True, "h\x1e", "lftp 4.9"), 0),
                ((nan, "10.0.0.1", "u", False, None, None), nan),
                ((1, "10.0.0.1", "u", 0, None, None), 10**6),
                ((1.0, "10.0.0.1", "u", False, 3, None), 10**6),
                ((1.0, "10.0.0.1", "u", False, None, ["x"]), 10**6)]:
            out = io.StringIO()
            reports = InFlightReports(HeldText(out), MemoryReactorClock())
            reports.loggedIn(7, *fields)
            reports.flush()
            self.assertEqual(out.getvalue(), "\x1e!l 7 {}\n".format(
                json.dumps([written, *fields[1:]], separators=(",", ":"))))

    def test_otherRecordsIgnored(self):
        """
        A marked record that is not one of the reports changes nothing,
        and a log reader without L{WorkerLogReader.reports} logs none.
        """
        held = InFlight()
        for text in ["", "nope", "e 1", "e 1 x i", "o", "x 1 []"]:
            held.recordReceived(text)
        self.assertEqual((held.sessions, held.transfers), ({}, {}))
        for text in ["l 1 [", "l 2 [1]", "l 3 [\"x\",1,2,3,4,5]", "s 4 []",
                     "l x [1,\"p\",\"u\",false,null,null]",
                     "l 5 [1,\"p\",\"u\",false,null,null]", "s 5 [1]"]:
            held.recordReceived(text)
        [logout] = held.cutEvents(2.0, "died")
        self.assertEqual((logout.kind, logout.session), (events.LOGOUT, 5))
        published = []
        reader = WorkerLogReader(1, published.append)
        reader.recordsReceived(b'\x1e!["logout",1]\n')
        self.assertEqual(published, [])


class ProgressTests(unittest.TestCase):
    """
    A long transfer's bytes, reported as it runs (L{ftpkit.deploy.progress}),
    are those of its line when its worker dies; a listing cut has its
    event, as in one process.
    """

    def setUp(self):
        self.out = CountingOut()
        self.clock = MemoryReactorClock()
        self.reports = InFlightReports(HeldText(self.out), self.clock)
        self.reports.loggedIn(1, 100.0, "10.0.0.1", "alice", False, None,
                              None)
        self.reports.loggedIn(2, 100.0, "10.0.0.2", "bob", False, None,
                              None)

    def test_cutBytes(self):
        """
        A download and an upload that ran a period have the bytes last
        reported in their cut events, and their sessions' logouts count
        them, as a cut transfer's are counted in one process; bytes moved
        after the last report are not known.
        """
        download, upload = [0], [0]
        self.reports.transferStarted(1, 0.0, "RETR", "/big", True,
                                     lambda: download[0])
        self.reports.transferStarted(2, 0.0, "STOR", "/up", True,
                                     lambda: upload[0])
        download[0], upload[0] = 5000, 700
        self.clock.advance(PROGRESS_PERIOD)
        download[0] = 9000
        retr, stor, first, second = passOn(self.out).cutEvents(
            1.5, "worker 9 died")
        self.assertEqual(
            [(event.kind, event.command, event.bytes, event.code)
             for event in (retr, stor)],
            [(events.TRANSFER, "RETR", 5000, CUT_CODE),
             (events.TRANSFER, "STOR", 700, CUT_CODE)])
        self.assertEqual(formatLine(retr).split()[7], "5000")
        self.assertEqual([(first.bytesIn, first.bytesOut),
                          (second.bytesIn, second.bytesOut)],
                         [(0, 5000), (700, 0)])

    def test_nextTransferFresh(self):
        """
        A session's next transfer is not given the bytes reported of the
        one before: it moved none known until its own report.
        """
        self.reports.transferStarted(1, 0.0, "RETR", "/big", True,
                                     lambda: 5000)
        self.clock.advance(PROGRESS_PERIOD)
        self.reports.transferEnded(1, 6000, False)
        self.reports.transferStarted(1, 1.0, "RETR", "/next", True,
                                     lambda: 10)
        [cut, logout, _] = passOn(self.out).cutEvents(1.2, "died")
        self.assertEqual((cut.path, cut.bytes), ("/next", 0))
        self.assertEqual(logout.bytesOut, 6000)

    def test_cutListing(self):
        """
        A listing running when its worker dies is a failed listing
        (L{events.LISTING}, L{CUT_CODE}), with its bytes, counted in its
        session's bytes out.
        """
        self.reports.transferStarted(2, 0.0, "MLSD", "/pub", True,
                                     lambda: 2048)
        self.clock.advance(PROGRESS_PERIOD)
        [listing, _, logout] = passOn(self.out).cutEvents(3.0, "died")
        self.assertEqual(
            listing, events.Event(
                events.LISTING, "10.0.0.2", time=3.0, user="bob",
                command="MLSD", path="/pub", code=CUT_CODE, bytes=2048,
                seconds=3.0, reason="died", session=2))
        self.assertEqual(logout.bytesOut, 2048)


class WorkerServiceTests(unittest.TestCase):
    """
    A worker's service reports through the log it is given.
    """

    def test_givenLog(self):
        """
        The worker's sessions report to the acceptor through the
        L{HeldText} its logging began with, passed to
        L{ftpkit.deploy.service.makeService}; without one, they report
        nothing.
        """
        from ftpkit.deploy.service import makeService
        from tests.tapoptions import parse

        ours, theirs = socket.socketpair()
        self.addCleanup(ours.close)
        self.addCleanup(theirs.close)
        out = CountingOut()
        for workerLog, reported in [(HeldText(out), True), (None, False)]:
            server = makeService(parse("--auth", "anonymous"),
                                 workerChannel=theirs, workerLog=workerLog)
            factory = list(server)[2].factory
            self.assertEqual(factory.inFlight is not None, reported)
            if reported:
                factory.inFlight.loggedOut(3)
                factory.inFlight.flush()
                self.assertEqual(out.sent, ["\x1e!o 3\n"])


class DeathReasonTests(unittest.TestCase):
    """
    L{deathReason}.
    """

    def test_reasons(self):
        self.assertEqual(
            deathReason(12, Failure(ProcessTerminated(signal=9))),
            "worker 12 killed by SIGKILL")
        self.assertEqual(
            deathReason(12, Failure(ProcessTerminated(exitCode=3))),
            "worker 12 exited with status 3")
        self.assertEqual(deathReason(12, Failure(ProcessDone(0))),
                         "worker 12 exited")


class Reporting(SessionReporting):
    """
    A session's reporting, in a worker whose reports go to C{out}.
    """

    peer = "10.0.0.1"
    clientName = None

    def __init__(self, out, published):
        held = HeldText(out)
        hub = events.EventHub()

        def logged(event):
            # Its line, as the worker's log observer writes it.
            published.append(event.kind)
            held.write(f"LINE {event.kind}\n")
            held.flush()

        hub.subscribe(logged)
        reactor = MemoryReactorClock()
        self.factory = SimpleNamespace(
            events=hub, reactor=reactor,
            inFlight=InFlightReports(held, reactor))
        self.session = SimpleNamespace(username="alice", anonymous=False,
                                       hostName=None, binary=True)


class SessionReportingTests(unittest.TestCase):
    """
    A worker's session tells of its login and file transfers.
    """

    def transfer(self, description, incoming=False):
        return SimpleNamespace(
            description=description, bytesMoved=lambda: 3,
            mover=SimpleNamespace(incoming=incoming), target=None)

    def test_reported(self):
        """
        A login, a transfer's and a listing's start and end, and a logout
        are reported, each written before the event's line (which sends
        it), in the session's number.
        """
        out = CountingOut()
        published = []
        session = Reporting(out, published)
        session.reportLogin()
        download = self.transfer("RETR /a")
        session.reportTransferStarted(download)
        session.reportReplied("RETR", "/a", 226)
        listing = self.transfer("LIST /")
        session.reportTransferStarted(listing)
        session.reportReplied("LIST", "/", 226)
        session.reportLogout()
        # Each record goes in the write of the event's line; a start alone.
        number = str(session.sessionId)
        self.assertEqual(out.sent, [
            f"\x1e!l {number} [0,\"10.0.0.1\",\"alice\",false,null,null]\n"
            "LINE login\n",
            f"\x1e!s {number} [0,\"RETR\",\"/a\",true]\n",
            f"\x1e!e {number} 3 o\nLINE transfer\n",
            f"\x1e!s {number} [0,\"LIST\",\"/\",true]\n",
            f"\x1e!e {number} 3 o\nLINE listing\n",
            f"\x1e!o {number}\nLINE logout\n"])
        held = InFlight()
        for record in "".join(out.sent).split("\n"):
            if record.startswith("\x1e!"):
                held.recordReceived(record[2:])
        self.assertEqual((held.sessions, held.transfers), ({}, {}))

    def test_notInWorker(self):
        """
        One process reports nothing (its factory has no C{inFlight}).
        """
        published = []
        session = Reporting(CountingOut(), published)
        session.factory.inFlight = None
        session.reportLogin()
        session.reportTransferStarted(self.transfer("STOR /a", True))
        session.reportReplied("STOR", "/a", 226)
        session.reportLogout()
        self.assertEqual(published,
                         [events.LOGIN, events.TRANSFER, events.LOGOUT])


class PoolTests(unittest.TestCase):
    """
    The acceptor publishes what a worker that exited cut.
    """

    def test_published(self):
        """
        When a worker exits, the transfers and sessions it told of go to
        the acceptor's event hub, and the transfer log, which the
        acceptor opens only then (its C{--uid} workers write it too).
        """
        xferlog = self.mktemp()
        pool, _ = poolWithWorkers(self, config=ServerConfig(xferlog=xferlog))
        self.assertFalse(os.path.exists(xferlog))
        pool._startWorker = lambda: None
        published = []
        pool.events.subscribe(published.append)
        worker = pool.workers[0]
        worker.pid = 4321
        out = CountingOut()
        reports = InFlightReports(HeldText(out), MemoryReactorClock())
        reports.loggedIn(1, 100.0, "10.0.0.1", "alice", False, None, None)
        reports.transferStarted(1, 101.0, "RETR", "/a", True, nothingMoved)
        for line in out.getvalue().split("\n")[:-1]:
            worker.inFlight.recordReceived(line[2:])
        worker.processEnded(Failure(ProcessTerminated(signal=9)))
        self.assertEqual(
            [(event.kind, event.reason) for event in published],
            [(events.TRANSFER, "worker 4321 killed by SIGKILL"),
             (events.LOGOUT, None)])
        with open(xferlog) as f:
            self.assertTrue(f.read().endswith(" /a b _ o r alice ftp 0 "
                                              "alice i\n"))

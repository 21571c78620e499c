"""
Tests for L{ftpkit.ops.events}, L{ftpkit.ops.eventlog} and what sessions publish
(L{ftpkit.control.handlers.reporting}).
"""

import ftplib
import io
import os

from twisted.internet import defer
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import LogLevel, formatEvent
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.control.handlers.reporting import pathArgument
from ftpkit.deploy.overlimit import RELEASE_WAIT
from ftpkit.errors import InsufficientStorage
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.ops import events
from ftpkit.ops.eventlog import FIELDS, REFUSAL_LINES, EventLog, logFields
from ftpkit.shells.memory import MemoryShell
from tests.ftpclient import ftplibLogin
from tests.logevents import captureLogs
from tests.memorysessions import connect, makeFactory, replyCodes
from tests.scratch import scratchDirectory


def collect(factory):
    """
    @return: a list the events published by C{factory}'s sessions are
        appended to.
    """
    published = []
    factory.events.subscribe(published.append)
    return published


class EventHubTests(unittest.TestCase):
    """
    L{events.EventHub} hands events to the subscribers of their kind.
    """

    def test_subscribeByKind(self):
        """
        A subscriber gets only the kinds it asked for; L{wanted} says
        whether anyone wants a kind.
        """
        hub = events.EventHub()
        logins, everything = [], []
        hub.subscribe(logins.append, [events.LOGIN])
        hub.subscribe(everything.append)
        self.assertIn(events.LOGIN, hub.wanted)
        login = events.Event(events.LOGIN, "10.0.0.1", user="alice")
        logout = events.Event(events.LOGOUT, "10.0.0.1", user="alice")
        hub.publish(login)
        hub.publish(logout)
        self.assertEqual(logins, [login])
        self.assertEqual(everything, [login, logout])
        hub.unsubscribe(logins.append)
        hub.unsubscribe(everything.append)
        self.assertNotIn(events.LOGIN, hub.wanted)

    def test_wanted(self):
        """
        L{events.EventHub.wanted} holds the kinds that have subscribers,
        kept up to date at each subscription change.
        """
        hub = events.EventHub()
        self.assertEqual(hub.wanted, frozenset())
        hub.subscribe(print, [events.REPLY])
        hub.subscribe(repr, [events.REPLY, events.LOGIN])
        self.assertEqual(hub.wanted, {events.REPLY, events.LOGIN})
        hub.unsubscribe(repr)
        self.assertEqual(hub.wanted, {events.REPLY})
        hub.unsubscribe(print)
        self.assertEqual(hub.wanted, frozenset())

    def test_failingSubscriber(self):
        """
        A subscriber that raises is logged; the next one still gets the
        event.
        """
        logged = captureLogs(self)
        hub = events.EventHub()
        got = []

        def broken(event):
            raise RuntimeError("boom")

        hub.subscribe(broken)
        hub.subscribe(got.append)
        hub.publish(events.Event(events.LOGIN, "10.0.0.1"))
        self.assertEqual(len(got), 1)
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)
        self.assertTrue(any("boom" in repr(e.get("log_failure"))
                            for e in logged))


class EventLogTests(unittest.TestCase):
    """
    L{EventLog} turns events into log events with stable fields.
    """

    def test_fieldsAreEventAttributes(self):
        """
        Every documented field names an attribute of L{events.Event}.
        """
        event = events.Event(events.LOGIN, "10.0.0.1")
        for attribute in FIELDS.values():
            getattr(event, attribute)

    def test_failedLoginText(self):
        """
        A failed login's line names the address before the user, and the
        user quoted: a crafted user name cannot put another address where
        the real one goes.
        """
        user = "x' from 10.9.8.7 '\nfailed login from 10.9.8.6"
        level, text, fields = logFields(events.Event(
            events.LOGIN_FAILED, "127.0.0.1", user=user, count=1))
        self.assertEqual(level, LogLevel.warn)
        line = formatEvent(dict(fields, log_format=text))
        self.assertTrue(line.startswith("failed login from 127.0.0.1 user "))
        self.assertNotIn("\n", line)
        self.assertEqual(fields["user"], user)
        self.assertEqual(fields["ftpkit_event"], "login-failed")

    def test_loginHost(self):
        """
        A login (or failed login) in a virtual host names it, at the end
        of the line (fail2ban's pattern is unchanged) and as C{host}; other
        logins do not.
        """
        level, text, fields = logFields(events.Event(
            events.LOGIN_FAILED, "127.0.0.1", user="bob", count=1,
            host="a.example"))
        self.assertEqual(formatEvent(dict(fields, log_format=text)),
                         "failed login from 127.0.0.1 user 'bob' (1) on host "
                         "a.example")
        self.assertEqual(fields["host"], "a.example")
        level, text, fields = logFields(events.Event(
            events.LOGIN, "127.0.0.1", user="bob"))
        self.assertNotIn("host", fields)
        self.assertNotIn("host", text)

    def test_loginClient(self):
        """
        A login of a client that gave its name with C{CLNT} names it,
        quoted, at the end of the line (after the host) and as C{client};
        a transfer's line does not.
        """
        level, text, fields = logFields(events.Event(
            events.LOGIN, "127.0.0.1", user="bob", host="a.example",
            client="lftp/4.9.2 'x'"))
        self.assertEqual(formatEvent(dict(fields, log_format=text)),
                         "login from 127.0.0.1 user 'bob' on host a.example"
                         " client \"lftp/4.9.2 'x'\"")
        self.assertEqual(fields["client"], "lftp/4.9.2 'x'")
        level, text, fields = logFields(events.Event(
            events.TRANSFER, "::1", command="RETR", code=226,
            client="lftp"))
        self.assertNotIn("client", fields)

    def test_transferFields(self):
        """
        A transfer's log event has its command, path, code, bytes and
        seconds; a failed one is a warning.
        """
        event = events.Event(events.TRANSFER, "::1", user="alice",
                             command="STOR", path="/a b", code=226,
                             bytes=12, seconds=0.5)
        level, text, fields = logFields(event)
        self.assertEqual(level, LogLevel.info)
        self.assertEqual(
            formatEvent(dict(fields, log_format=text)),
            "STOR from ::1 user 'alice' path '/a b': 226, 12 bytes in "
            "0.500 s")
        level, _, _ = logFields(events.Event(
            events.TRANSFER, "::1", command="RETR", code=426))
        self.assertEqual(level, LogLevel.warn)

    def test_renameNamesBoth(self):
        """
        A rename's line names the old and the new path.
        """
        _, text, fields = logFields(events.Event(
            events.CHANGE, "10.0.0.1", user="bob", command="RNTO",
            path="/a", target="/b"))
        self.assertEqual(formatEvent(dict(fields, log_format=text)),
                         "RNTO from 10.0.0.1 user 'bob' path '/a' to '/b'")

    def test_onlyLoggedKinds(self):
        """
        L{EventLog} subscribes to the kinds it logs, not to replies.
        """
        hub = events.EventHub()
        EventLog().subscribeTo(hub)
        self.assertIn(events.TRANSFER, hub.wanted)
        self.assertNotIn(events.REPLY, hub.wanted)


class PathArgumentTests(unittest.TestCase):
    """
    L{pathArgument} finds the path in a command's argument.
    """

    def test_paths(self):
        self.assertEqual(pathArgument("RETR", "a b"), "a b")
        self.assertEqual(pathArgument("SITE", "CHMOD 644 x y"), "x y")
        self.assertIsNone(pathArgument("SITE", "HELP"))
        self.assertEqual(pathArgument("MFMT", "20200101000000 f"), "f")
        self.assertEqual(pathArgument("LIST", "-la d"), "d")
        self.assertIsNone(pathArgument("TYPE", "I"))
        self.assertIsNone(pathArgument("NOSUCH", "x"))


class SessionEventTests(unittest.TestCase):
    """
    Sessions publish logins, failed logins, logouts, changes and
    refusals.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()
        self.factory = makeFactory(self.clock, loginFailureDelay=0.0)
        self.published = collect(self.factory)

    def kinds(self):
        return [event.kind for event in self.published]

    def test_loginEachItsOwnEvent(self):
        """
        Each login is one event, published at once, logged as one line.
        """
        logged = captureLogs(self)
        for host in ("10.0.0.1", "10.0.0.2"):
            protocol, _ = connect(self.factory, host)
            protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        logins = [e for e in self.published if e.kind == events.LOGIN]
        self.assertEqual([(e.user, e.peer) for e in logins],
                         [("alice", "10.0.0.1"), ("alice", "10.0.0.2")])
        lines = [formatEvent(e) for e in logged
                 if e.get("ftpkit_event") == "login"]
        self.assertEqual(lines, ["login from 10.0.0.1 user 'alice'",
                                 "login from 10.0.0.2 user 'alice'"])

    def test_failedLogin(self):
        """
        A failed login names the address and counts.
        """
        protocol, _ = connect(self.factory)
        protocol.dataReceived(b"USER alice\r\nPASS wrong\r\n")
        self.clock.advance(0)
        [failed] = [e for e in self.published
                    if e.kind == events.LOGIN_FAILED]
        self.assertEqual((failed.peer, failed.user, failed.count),
                         ("10.0.0.1", "alice", 1))

    def test_logout(self):
        """
        A logout says how long the session lasted; REIN and a closed
        connection log out too, each once.
        """
        protocol, transport = connect(self.factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        self.clock.advance(7)
        protocol.dataReceived(b"REIN\r\n")
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        protocol.connectionLost(None)
        logouts = [e for e in self.published if e.kind == events.LOGOUT]
        self.assertEqual([e.seconds for e in logouts], [7.0, 0.0])

    def test_changes(self):
        """
        MKD, RNFR/RNTO, DELE and RMD each publish a change with the
        paths.
        """
        protocol, transport = connect(self.factory)
        protocol.dataReceived(
            b"USER alice\r\nPASS secret\r\nMKD /n\r\nCWD /d\r\n"
            b"RNFR f.txt\r\nRNTO g.txt\r\nDELE g.txt\r\nRMD /n\r\n")
        self.assertEqual(replyCodes(transport)[-6:],
                         ["257", "250", "350", "250", "250", "250"])
        changes = [(e.command, e.path, e.target, e.user)
                   for e in self.published if e.kind == events.CHANGE]
        self.assertEqual(changes, [
            ("MKD", "/n", None, "alice"),
            ("RNTO", "/d/f.txt", "/d/g.txt", "alice"),
            ("DELE", "/d/g.txt", None, "alice"),
            ("RMD", "/n", None, "alice")])

    def test_timeChanges(self):
        """
        MFMT, SITE UTIME and MFF, which set a file's modification time,
        each publish a change with the path, as the other commands that
        change something do: an operator auditing who changed a file saw
        nothing of them.
        """
        protocol, transport = connect(self.factory)
        protocol.dataReceived(
            b"USER alice\r\nPASS secret\r\nCWD /d\r\n"
            b"MFMT 20200101000000 f.txt\r\n"
            b"SITE UTIME 200402240836 f.txt\r\n"
            b"MFF modify=20210101000000; /d/f.txt\r\n"
            b"MFMT 20200101000000 nope\r\n")
        self.assertEqual(replyCodes(transport)[-4:],
                         ["213", "200", "213", "550"])
        changes = [(e.command, e.path, e.user)
                   for e in self.published if e.kind == events.CHANGE]
        self.assertEqual(changes, [
            ("MFMT", "/d/f.txt", "alice"),
            ("SITE UTIME", "/d/f.txt", "alice"),
            ("MFF", "/d/f.txt", "alice")])

    def test_refusals(self):
        """
        A 550 naming a path is a refusal event with the resolved path;
        a refusal naming no path is not.
        """
        protocol, transport = connect(self.factory)
        protocol.dataReceived(
            b"USER anonymous\r\nPASS x\r\nCWD /d\r\nRETR nope\r\n"
            b"DELE f.txt\r\nSIZE /d\r\n")
        self.assertEqual(replyCodes(transport)[-3:], ["550", "550", "550"])
        refusals = [(e.command, e.path, e.code, e.anonymous)
                    for e in self.published if e.kind == events.REFUSAL]
        self.assertEqual(refusals, [("RETR", "/d/nope", 550, True),
                                    ("DELE", "/d/f.txt", 550, True),
                                    ("SIZE", "/d", 550, True)])

    def test_serverTroubleLogged(self):
        """
        A command naming a path that fails on the server's side (C{452}: a
        full disk) is a refusal event too, logged as a warning: C{MKD}
        on a full disk got C{452} with no line in the log.
        """
        self.patch(MemoryShell, "makeDirectory",
                   lambda shell, path: defer.fail(InsufficientStorage()))
        logged = captureLogs(self)
        protocol, transport = connect(self.factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\nMKD /n\r\n")
        self.assertEqual(replyCodes(transport)[-1], "452")
        lines = [event for event in logged
                 if event.get("ftpkit_event") == "refusal"]
        self.assertEqual([formatEvent(event) for event in lines],
                         ["refused MKD from 10.0.0.1 user 'alice' path "
                          "'/n': 452"])
        self.assertEqual(lines[0]["log_level"], LogLevel.warn)

    def test_transferServerTrouble(self):
        """
        A transfer command failing so (C{452} at the open) stays a failed
        transfer event, for the transfer log and the metrics.
        """
        self.patch(MemoryShell, "openForWriting",
                   lambda shell, path, *a, **k: defer.fail(
                       InsufficientStorage()))
        protocol, transport = connect(self.factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\nPASV\r\n"
                              b"STOR /n.bin\r\n")
        self.assertEqual(replyCodes(transport)[-1], "452")
        self.assertEqual([(event.kind, event.command, event.code)
                          for event in self.published
                          if event.kind in (events.TRANSFER, events.REFUSAL)],
                         [(events.TRANSFER, "STOR", 452)])

    def refusalLines(self, logged):
        """
        @param logged: log events.
        @return: the text of those that are a session's refusals or the
            count of those left out, and of logouts.
        """
        return [formatEvent(event) for event in logged
                if event.get("ftpkit_event") in (
                    "refusal", "refusals-not-logged", "logout")]

    def test_refusalLinesBounded(self):
        """
        A session's refused commands get L{REFUSAL_LINES} lines a minute;
        those past them are counted, in one line before the session's next
        refusal line (once a minute passed) or its logout, each saying
        who. Every refusal is still published, for metrics and observers:
        10,000 pipelined C{CWD x} grew the log by 974 KB, a line each.
        """
        logged = captureLogs(self)
        protocol, transport = connect(self.factory)
        protocol.dataReceived(b"USER anonymous\r\nPASS x\r\n"
                              + b"CWD x\r\n" * (REFUSAL_LINES + 7))
        # The reactor's turns, each running the lines a session may run
        # in one (LINES_PER_TURN).
        self.clock.advance(0)
        self.clock.advance(60)
        protocol.dataReceived(b"RETR y\r\n"
                              + b"CWD x\r\n" * (REFUSAL_LINES + 1))
        self.clock.advance(0)
        self.clock.advance(1)
        protocol.dataReceived(b"QUIT\r\n")
        protocol.connectionLost(None)
        refused = ("refused CWD from 10.0.0.1 user 'anonymous' path '/x': "
                   "550")
        self.assertEqual(self.refusalLines(logged), [refused] * REFUSAL_LINES + [
            "7 more refused commands from 10.0.0.1 user 'anonymous' "
            "not logged",
            "refused RETR from 10.0.0.1 user 'anonymous' path '/y': 550"]
            + [refused] * (REFUSAL_LINES - 1) + [
            "2 more refused commands from 10.0.0.1 user 'anonymous' "
            "not logged",
            "logout from 10.0.0.1 user 'anonymous': 61.000 s, 0 bytes in, "
            "0 bytes out"])
        self.assertEqual(len([event for event in self.published
                              if event.kind == events.REFUSAL]),
                         2 * REFUSAL_LINES + 9)
        [summary] = [event for event in logged
                     if event.get("ftpkit_event") == "refusals-not-logged"
                     and event["count"] == 7]
        self.assertEqual(
            {name: summary[name] for name in FIELDS if name in summary},
            {"ftpkit_event": "refusals-not-logged", "peer": "10.0.0.1",
             "user": "anonymous", "anonymous": True, "count": 7,
             "session": self.published[-1].session})
        self.assertEqual(summary["log_level"], LogLevel.warn)

    def test_oneRefusalNotLogged(self):
        """
        The count of a single refusal left out of the log says "command":
        it said "1 more refused commands".
        """
        logged = captureLogs(self)
        protocol, transport = connect(self.factory)
        protocol.dataReceived(b"USER anonymous\r\nPASS x\r\n"
                              + b"CWD x\r\n" * (REFUSAL_LINES + 1)
                              + b"QUIT\r\n")
        self.clock.advance(0)
        protocol.connectionLost(None)
        self.assertEqual(self.refusalLines(logged)[-2],
                         "1 more refused command from 10.0.0.1 user "
                         "'anonymous' not logged")

    def test_refusalLinesPerSession(self):
        """
        Each session has its own refusal lines: one flooding the log
        leaves another's refusals logged.
        """
        logged = captureLogs(self)
        flooding, _ = connect(self.factory)
        flooding.dataReceived(b"USER anonymous\r\nPASS x\r\n"
                              + b"CWD x\r\n" * (REFUSAL_LINES + 1))
        other, _ = connect(self.factory, "10.0.0.2")
        other.dataReceived(b"USER alice\r\nPASS secret\r\nCWD z\r\n")
        self.assertEqual(self.refusalLines(logged)[-1],
                         "refused CWD from 10.0.0.2 user 'alice' path "
                         "'/z': 550")

    def test_failedLoginsAllLogged(self):
        """
        Failed logins are never left out of the log (fail2ban counts
        them), however many a session's refusals were.
        """
        logged = captureLogs(self)
        for _ in range(REFUSAL_LINES + 5):
            protocol, _ = connect(self.factory)
            protocol.dataReceived(b"USER anonymous\r\nPASS x\r\n"
                                  + b"CWD x\r\n" * 2 + b"REIN\r\n"
                                  b"USER alice\r\nPASS wrong\r\n")
            self.clock.advance(0)
            protocol.connectionLost(None)
        failed = [formatEvent(event) for event in logged
                  if event.get("ftpkit_event") == "login-failed"]
        self.assertEqual(failed, ["failed login from 10.0.0.1 user "
                                  "'alice' (1)"] * (REFUSAL_LINES + 5))

    def refusedConnection(self):
        """
        Connect twice from one address to a factory that takes one
        connection an address.

        @return: C{(factory, published, refused)}: the factory, the
            events it published, and the one C{CONNECTION_REFUSED} among
            them.
        """
        factory = makeFactory(self.clock, maxConnectionsPerIP=1)
        published = collect(factory)
        connect(factory)
        connect(factory)
        self.clock.advance(RELEASE_WAIT)
        [refused] = [event for event in published
                     if event.kind == events.CONNECTION_REFUSED]
        return factory, published, refused

    def test_connectionRefused(self):
        """
        A connection over the limits is a refusal event with the reason.
        """
        _, _, refused = self.refusedConnection()
        self.assertEqual(refused.peer, "10.0.0.1")
        self.assertIn("connections", refused.reason)

    def test_connectionRefusedNamesNoSession(self):
        """
        A connection refused before its greeting never became a session:
        its event names none and its log line has no C{session} field, as
        the acceptor's refusals under C{--workers}; it took a session
        number of its own.
        """
        factory, published, refused = self.refusedConnection()
        self.assertEqual(refused.session, 0)
        self.assertNotIn("session", logFields(refused)[2])
        # As the acceptor of --workers makes its refusals' events.
        acceptors = events.Event(events.CONNECTION_REFUSED, "10.0.0.1",
                                 reason="Too many connections")
        self.assertNotIn("session", logFields(acceptors)[2])
        protocol, _ = connect(factory, "10.0.0.2")
        protocol.dataReceived(b"USER alice\r\n")
        protocol.reportLogin()
        login = published[-1]
        self.assertEqual(login.kind, events.LOGIN)
        self.assertEqual(logFields(login)[2]["session"], login.session)


class TransferEventTests(LoopbackServerMixin, unittest.TestCase):
    """
    Real transfers (ftplib) publish their command, path, bytes, seconds
    and reply; the logout adds up the bytes.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "hello.txt"), "wb") as f:
            f.write(b"hello\nworld\n")
        self.server = self.startServer(FilesystemRealm(self.root))
        self.published = collect(self.server.factory)

    def loggedOut(self):
        """
        @return: a Deferred firing once a logout was published.
        """
        done = defer.Deferred()

        def watch(event):
            if not done.called:
                done.callback(event)

        self.server.factory.events.subscribe(watch, [events.LOGOUT])
        return done

    @defer.inlineCallbacks
    def test_transfers(self):
        loggedOut = self.loggedOut()

        def client():
            ftp = ftplibLogin(self, self.server.port, timeout=10)
            ftp.storbinary("STOR up.bin", io.BytesIO(b"u" * 1000))
            ftp.retrbinary("RETR hello.txt", lambda data: None)
            ftp.nlst()
            try:
                ftp.retrbinary("RETR missing", lambda data: None)
            except ftplib.error_perm:
                pass
            ftp.quit()

        yield self.inThread(client)
        logout = yield loggedOut
        transfers = [(e.command, e.path, e.code, e.bytes, e.user)
                     for e in self.published if e.kind == events.TRANSFER]
        self.assertEqual(transfers, [
            ("STOR", "/up.bin", 226, 1000, "alice"),
            ("RETR", "/hello.txt", 226, 12, "alice")])
        for event in self.published:
            if event.kind == events.TRANSFER:
                self.assertGreaterEqual(event.seconds, 0)
                self.assertTrue(event.binary)
        [listing] = [e for e in self.published if e.kind == events.LISTING]
        self.assertEqual(listing.command, "NLST")
        [refusal] = [e for e in self.published if e.kind == events.REFUSAL]
        self.assertEqual((refusal.command, refusal.path), ("RETR", "/missing"))
        self.assertEqual(logout.bytesIn, 1000)
        self.assertEqual(logout.bytesOut, 12 + listing.bytes)

    @defer.inlineCallbacks
    def test_statDuringTransfer(self):
        """
        C{STAT} answered while a download runs is not taken for the end
        of that download: the download makes one event, when it ends.
        """
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(b"b" * (8 * 1024 * 1024))
        loggedOut = self.loggedOut()

        def client():
            ftp = ftplibLogin(self, self.server.port, timeout=10,
                              binary=True)
            data = ftp.transfercmd("RETR big.bin")
            received = len(data.recv(65536))
            ftp.putcmd("STAT")
            status = ftp.getmultiline()
            while True:
                chunk = data.recv(1024 * 1024)
                if not chunk:
                    break
                received += len(chunk)
            data.close()
            ftp.voidresp()
            ftp.quit()
            return status, received

        status, received = yield self.inThread(client)
        self.assertTrue(status.startswith("21"), status)
        self.assertEqual(received, 8 * 1024 * 1024)
        yield loggedOut
        kinds = [(e.kind, e.command) for e in self.published
                 if e.kind in (events.TRANSFER, events.LISTING)]
        self.assertEqual(kinds, [(events.TRANSFER, "RETR")])
        [transfer] = [e for e in self.published
                      if e.kind == events.TRANSFER]
        self.assertEqual((transfer.code, transfer.bytes),
                         (226, 8 * 1024 * 1024))

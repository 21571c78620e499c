"""
Tests for L{ftpkit.deploy.service} (the one service builder) and
L{ftpkit.ops.drain} (stopping sessions in order).
"""

import os
import resource
import socket

from twisted.internet import defer, task
from twisted.trial import unittest

from ftpkit.auth.realms import ReloadOnHangup
from ftpkit.deploy.cacheoptions import ListingCacheService
from ftpkit.deploy.endpoints import LISTEN_BACKLOG, BareAccepting
from ftpkit.deploy.listening import ControlListening, ListeningAnnouncement
from ftpkit.deploy.readynotify import NotifyReady
from ftpkit.deploy.service import Listeners, SweepUploads, makeService
from ftpkit.deploy.startupwork import StartupWork, raiseDescriptorLimit
from ftpkit.deploy.stopsignals import StopOnce
from ftpkit.ops.drain import (
    ABORT_WAIT,
    QUIT_WAIT,
    REPLY_WAIT,
    SHUTTING_DOWN,
    Drain,
)
from tests.loglines import LoggedLines
from tests.tapoptions import parse


class MakeServiceTests(unittest.TestCase):
    """
    Every process gets the same parts.
    """

    def kinds(self, server):
        """
        @return: the types of C{server}'s children, in order.
        """
        return [type(child) for child in server]

    def test_singleProcess(self):
        """
        One process: start-up work, the sweep of cut uploads under the
        root, a listener per C{--listen} (telling the clients it has
        queued when it stops C{421}), a drain, the lines saying where it
        listens, once every listener listens, a C{SIGHUP} handler, even
        with nothing to reload, the guard against a second
        C{SIGTERM}, and last systemd's C{READY=1}.
        """
        server = makeService(parse("--auth", "anonymous",
                                   "--listen", "tcp:0"))
        self.assertEqual(self.kinds(server),
                         [StartupWork, SweepUploads, ListingCacheService,
                          Listeners, Drain, ListeningAnnouncement,
                          ReloadOnHangup, StopOnce, NotifyReady])
        self.assertEqual(list(server)[2].size, 32 * 1024 * 1024)
        self.assertEqual(self.kinds(list(server)[3]),
                         [ControlListening])
        [hangup] = [child for child in server
                    if isinstance(child, ReloadOnHangup)]
        self.assertEqual(hangup.targets, [])
        self.assertIsNone(hangup.workers)
        drain, stopper = list(server)[4], list(server)[7]
        self.assertEqual(stopper.hurries, [drain.hurry])

    def test_listenQueue(self):
        """
        A listener that names no listen queue, behind C{haproxy:} or not,
        listens with ftpkit's (L{LISTEN_BACKLOG}), as the acceptor of
        C{--workers} does, not with Twisted's 50: fifty clients
        connecting at once to a busy server overflowed that, and those
        the kernel dropped were greeted only after their retries (one
        second, three, seven...). One that names its queue keeps it.
        """
        server = makeService(parse(
            "--auth", "anonymous",
            "--listen", "tcp:0:interface=127.0.0.1",
            "--listen", "haproxy:tcp:0:interface=127.0.0.1",
            "--listen", "tcp:0:interface=127.0.0.1:backlog=7"))
        backlogs = []
        for listener in server.getServiceNamed("listeners"):
            port = self.successResultOf(
                listener.endpoint.listen(listener.factory))
            self.addCleanup(port.stopListening)
            backlogs.append(port.backlog)
        self.assertEqual(backlogs, [LISTEN_BACKLOG, LISTEN_BACKLOG, 7])

    def test_bareAccepting(self):
        """
        Every listener, behind C{haproxy:} or not, accepts its control
        connections as bare sockets
        (L{ftpkit.deploy.endpoints.BareAccepting}).
        """
        import _socket

        server = makeService(parse(
            "--auth", "anonymous",
            "--listen", "tcp:0:interface=127.0.0.1",
            "--listen", "haproxy:tcp:0:interface=127.0.0.1"))
        for listener in server.getServiceNamed("listeners"):
            port = self.successResultOf(
                listener.endpoint.listen(listener.factory))
            self.addCleanup(port.stopListening)
            self.assertIsInstance(listener.endpoint, BareAccepting)
            with socket.create_connection(
                    ("127.0.0.1", port.getHost().port)):
                connection, _ = port.socket.accept()
                self.addCleanup(connection.close)
            self.assertIsInstance(connection, _socket.socket)
            self.assertNotIsInstance(connection, socket.socket)

    def test_acceptor(self):
        """
        With C{--workers}: start-up work, the acceptor (after the
        directory of the quota ledgers it shares with the workers), and a
        C{SIGHUP} handler passing it on to the workers, and warning of the
        files every local user may read or change, once for them all
        (L{ftpkit.deploy.keptfiles.warnExposedAll}); systemd's
        C{READY=1} last. A worker has none: the acceptor speaks for the
        server (L{test_worker}).
        """
        from ftpkit.deploy.keptfiles import warnExposedAll
        from ftpkit.deploy.quotaledgers import LedgerDirectory
        from ftpkit.deploy.workers import WorkerPool

        server = makeService(parse("--auth", "anonymous", "--workers", "2",
                                   "--listen", "tcp:2121"))
        self.assertEqual(self.kinds(server),
                         [StartupWork, SweepUploads, Listeners,
                          ReloadOnHangup, StopOnce, NotifyReady])
        [ledgers, pool] = list(list(server)[2])
        self.assertIsInstance(ledgers, LedgerDirectory)
        self.assertIsInstance(pool, WorkerPool)
        [hangup] = [child for child in server
                    if isinstance(child, ReloadOnHangup)]
        self.assertEqual(hangup.targets, [pool.reloadWorkers, warnExposedAll])
        self.assertEqual(hangup.workers, 2)
        self.assertEqual(list(server)[4].hurries, [pool.hurry])

    def test_virtualHostRootsSwept(self):
        """
        The sweep at start walks each C{--vhost-root} too, in one process
        and in the acceptor of C{--workers} (it walked C{--root} alone, so
        the uploads crashes cut on a virtual host were never resumable nor
        removed), but not a root inside another.
        """
        root, a, b = (os.path.realpath(self.mktemp()) for ignored in "rab")
        inside = os.path.join(root, "inside")
        for directory in (a, b, inside):
            os.makedirs(directory)
        for workers in ("1", "2"):
            server = makeService(parse(
                "--auth", "anonymous", "--root", root, "--workers", workers,
                "--listen", "tcp:0",
                "--vhost", "a.example=filesystem",
                "--vhost", "b.example,c.example=filesystem",
                "--vhost", "d.example=filesystem",
                "--vhost-root", "a.example=" + a,
                "--vhost-root", "c.example=" + b,
                "--vhost-root", "d.example=" + inside))
            [sweeper] = [child for child in server
                         if isinstance(child, SweepUploads)]
            self.assertEqual(sweeper.roots, (root, a, b))


    def test_usersHomesSwept(self):
        """
        The sweep at start walks the homes a users file names outside
        C{--root} (an absolute C{home}) too; those under it are walked
        with it.
        """
        from ftpkit.auth.users import hashPassword

        root, elsewhere = (os.path.realpath(self.mktemp())
                           for ignored in "re")
        os.makedirs(root)
        users = self.mktemp()
        with open(users, "w") as f:
            for name, home in [("alice", "alice"), ("bob", elsewhere)]:
                f.write(f'[users.{name}]\npassword = "{hashPassword("pw")}"'
                        f'\nhome = "{home}"\n')
        server = makeService(parse(
            "--root", root, "--realm", "users:" + users,
            "--auth", "users:" + users, "--listen", "tcp:0"))
        [sweeper] = [child for child in server
                     if isinstance(child, SweepUploads)]
        self.assertEqual(sweeper.roots, (root, elsewhere))


    def test_worker(self):
        """
        A worker: the same parts as one process, receiving connections
        from the acceptor instead of listening, and leaving its signals
        to the acceptor: it handles no C{SIGHUP}, and reloads and stops
        at the acceptor's word.
        """
        import socket

        from ftpkit.deploy.worker import ReceiveConnections, ReportingLimiter
        from ftpkit.deploy.workersignals import (
            QUIT,
            RELOAD,
            STOP,
            LeaveToAcceptor,
        )

        ours, theirs = socket.socketpair()
        self.addCleanup(ours.close)
        self.addCleanup(theirs.close)
        server = makeService(parse("--auth", "anonymous"),
                             workerChannel=theirs)
        self.assertEqual(self.kinds(server),
                         [StartupWork, ListingCacheService,
                          ReceiveConnections, Drain, ReloadOnHangup,
                          LeaveToAcceptor])
        receiving, drain, hangup, leaving = list(server)[2:]
        self.assertIsInstance(receiving.factory.limiter, ReportingLimiter)
        self.assertFalse(hangup.handled)
        self.assertEqual(receiving.words,
                         {RELOAD: hangup.reloadAll, STOP: leaving.stop,
                          QUIT: leaving.quit})
        self.assertEqual(leaving.hurries, [drain.hurry])

    def test_gracePassedOn(self):
        """
        C{--shutdown-grace} reaches the drain.
        """
        server = makeService(parse("--shutdown-grace", "2.5"))
        [drain] = [child for child in server if isinstance(child, Drain)]
        self.assertEqual(drain.grace, 2.5)


class RaiseDescriptorLimitTests(unittest.SynchronousTestCase):
    """
    L{raiseDescriptorLimit} raises the soft limit to the hard one.
    """

    def test_raised(self):
        calls = []
        result = raiseDescriptorLimit(
            lambda which: (1024, 4096),
            lambda which, limits: calls.append((which, limits)))
        self.assertEqual(result, 4096)
        self.assertEqual(calls, [(resource.RLIMIT_NOFILE, (4096, 4096))])

    def test_alreadyThere(self):
        calls = []
        result = raiseDescriptorLimit(lambda which: (4096, 4096),
                                      lambda *a: calls.append(a))
        self.assertEqual((result, calls), (4096, []))

    def test_refused(self):
        """
        A refusal is logged; the soft limit stays.
        """
        def refuse(which, limits):
            raise ValueError("not allowed")

        self.assertEqual(raiseDescriptorLimit(lambda which: (1024, 4096),
                                              refuse), 1024)
        self.assertEqual(len(self.flushLoggedErrors()), 0)


class FakeSession:
    """
    What L{Drain} sees of an L{ftpkit.control.server.FTPProtocol}.
    """

    def __init__(self, factory, busy=False, lingering=False, transfer=True):
        """
        @param busy: whether a command runs.
        @param transfer: whether that command is a transfer.
        @param lingering: whether L{close} leaves replies to send, so
            that the connection ends only at L{lose} (as under TLS);
            otherwise it ends at once.
        """
        self.factory = factory
        self.replies = []
        self.closed = False
        self.lingering = lingering
        self.lost = defer.Deferred()
        self.aborted = False
        self.stopped = False
        self.running = defer.Deferred() if busy else None
        self.transfer = transfer
        self.settled = defer.succeed(None)
        factory.openSessions.add(self)

    def isIdle(self):
        return self.running is None

    def hasClosed(self):
        return self.closed

    def transferState(self):
        return "running" if self.running and self.transfer else None

    def whenIdle(self):
        if self.running is None:
            return defer.succeed(None)
        waiter = defer.Deferred()
        self.running.addBoth(lambda r: waiter.callback(None))
        return waiter

    def stopTaking(self):
        self.stopped = True
        return self.whenIdle()

    def finish(self):
        running, self.running = self.running, None
        running.callback(None)

    def reply(self, code, text):
        self.replies.append((code, text))

    def abortTransfer(self, sentCompletes=False):
        self.aborted = True
        self.sentCompletes = sentCompletes

    def close(self):
        self.closed = True
        self.factory.openSessions.discard(self)
        if not self.lingering:
            self.lose()

    def lose(self):
        if not self.lost.called:
            self.lost.callback(None)

    def whenLost(self):
        waiter = defer.Deferred()
        self.lost.addCallback(lambda r: waiter.callback(None))
        return waiter

    def whenRefusedInStop(self):
        return defer.Deferred()

    def whenSettled(self):
        waiter = defer.Deferred()
        self.settled.addBoth(lambda r: waiter.callback(None))
        return waiter


class FakeFactory:
    def __init__(self):
        self.openSessions = set()


class DrainTests(LoggedLines, unittest.SynchronousTestCase):
    """
    L{Drain} closes idle sessions at once and busy ones once done or once
    the grace is over.
    """

    def setUp(self):
        self.clock = task.Clock()
        self.factory = FakeFactory()
        self.drain = Drain(self.factory, 30, self.clock)
        self.drain.startService()
        self.captureLog()

    def drained(self, stopped):
        """
        Assert that the drain ends on the next turn of the clock (the
        drain's own, L{Drain.stopService}).

        @param stopped: what L{Drain.stopService} returned.
        """
        self.clock.advance(0)
        self.successResultOf(stopped)

    def test_nothing(self):
        self.drained(self.drain.stopService())

    def test_idle(self):
        """
        An idle session gets C{421} and is closed at once.
        """
        session = FakeSession(self.factory)
        self.drained(self.drain.stopService())
        self.assertEqual(session.replies, [(421, SHUTTING_DOWN)])
        self.assertTrue(session.closed)
        self.assertFalse(session.aborted)

    def test_busy(self):
        """
        A busy session takes no more commands, finishes the one running,
        then gets C{421} and is closed; the drain is done then.
        """
        busy = FakeSession(self.factory, busy=True)
        idle = FakeSession(self.factory)
        stopped = self.drain.stopService()
        self.assertTrue(idle.closed)
        self.assertTrue(busy.stopped)
        self.assertFalse(busy.closed)
        self.assertNoResult(stopped)
        self.clock.advance(20)
        busy.finish()
        self.assertEqual(busy.replies, [])
        self.clock.advance(QUIT_WAIT)
        self.assertEqual(busy.replies, [(421, SHUTTING_DOWN)])
        self.assertTrue(busy.closed)
        self.assertFalse(busy.aborted)
        self.drained(stopped)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_quitAfterReply(self):
        """
        A busy session's client that sends C{QUIT} once its command
        replied, within L{QUIT_WAIT}, gets the C{QUIT}'s C{221} alone:
        the drain's C{421}, sent right after the C{226}, was read as the
        C{QUIT}'s reply (ftplib's C{quit} raised), and is not sent after
        it either.
        """
        busy = FakeSession(self.factory, busy=True)
        stopped = self.drain.stopService()
        busy.finish()
        busy.reply(221, "Goodbye")
        busy.close()
        self.drained(stopped)
        self.clock.advance(QUIT_WAIT)
        self.assertEqual(busy.replies, [(221, "Goodbye")])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_graceOver(self):
        """
        A session still busy when the grace is over has its transfer
        aborted (a download whose every byte was sent counting as
        complete); its command not replying within L{REPLY_WAIT}, it is
        closed, told C{421} once (not again when its command ends); the
        drain waits for its command to end.
        """
        busy = FakeSession(self.factory, busy=True)
        stopped = self.drain.stopService()
        self.clock.advance(30)
        self.assertTrue(busy.aborted)
        self.assertTrue(busy.sentCompletes)
        self.assertFalse(busy.closed)
        self.clock.advance(REPLY_WAIT)
        self.assertTrue(busy.closed)
        self.assertNoResult(stopped)
        busy.finish()
        self.drained(stopped)
        self.assertEqual(busy.replies, [(421, SHUTTING_DOWN)])

    def test_graceOverAbortReplies(self):
        """
        A transfer whose abort replies at once (C{426}) gets that reply
        before the C{421}, and one C{421}.
        """
        busy = FakeSession(self.factory, busy=True)

        def abortTransfer(sentCompletes):
            busy.reply(426, "Transfer aborted")
            busy.finish()

        busy.abortTransfer = abortTransfer
        stopped = self.drain.stopService()
        self.clock.advance(30)
        self.drained(stopped)
        self.assertEqual(busy.replies, [(426, "Transfer aborted"),
                                        (421, SHUTTING_DOWN)])

    def test_graceOverAbortRepliesLater(self):
        """
        A transfer whose abort replies (C{426}) on a later turn of the
        reactor (a TLS data connection's) gets that reply before the
        C{421}: it got only the C{421}, told and closed at once.
        """
        busy = FakeSession(self.factory, busy=True)
        stopped = self.drain.stopService()
        self.clock.advance(30)
        self.assertTrue(busy.aborted)
        busy.reply(426, "Transfer aborted")
        busy.finish()
        self.drained(stopped)
        self.assertEqual(busy.replies, [(426, "Transfer aborted"),
                                        (421, SHUTTING_DOWN)])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_repliesSentFirst(self):
        """
        The drain is done only once each session's connection has ended,
        not when it was told to close: its last replies (C{226}, C{421})
        may still wait to be sent (in a TLS layer), and stopping the
        process then would drop them.
        """
        busy = FakeSession(self.factory, busy=True, lingering=True)
        stopped = self.drain.stopService()
        busy.finish()
        self.clock.advance(QUIT_WAIT)
        self.assertTrue(busy.closed)
        self.assertNoResult(stopped)
        busy.lose()
        self.drained(stopped)

    def test_hurry(self):
        """
        L{Drain.hurry} (C{SIGQUIT}) during a drain ends the grace now: the
        busy session's transfer is aborted and it is closed (after
        L{REPLY_WAIT}, its command not replying); the drain then waits
        L{ABORT_WAIT} at most for the command to end.
        """
        busy = FakeSession(self.factory, busy=True)
        stopped = self.drain.stopService()
        self.clock.advance(1)
        self.drain.hurry()
        self.clock.advance(0)
        self.assertTrue(busy.aborted)
        self.clock.advance(REPLY_WAIT)
        self.assertTrue(busy.closed)
        self.assertNoResult(stopped)
        self.clock.advance(ABORT_WAIT - REPLY_WAIT)
        self.drained(stopped)

    def test_hurryBefore(self):
        """
        L{Drain.hurry} before the drain leaves it no grace.
        """
        busy = FakeSession(self.factory, busy=True)
        self.drain.hurry()
        stopped = self.drain.stopService()
        self.clock.advance(0)
        self.assertTrue(busy.aborted)
        busy.finish()
        self.drained(stopped)

    def test_hurryLines(self):
        """
        The lines of a drain say what C{SIGQUIT} did: one begun after it
        cuts the transfers (one line), one it hurried had its grace cut
        short. They said a grace of 0 s was over, and that transfers were
        finishing within it.
        """
        FakeSession(self.factory, busy=True)
        self.drain.stopService()
        self.clock.advance(30)
        self.assertEqual(self.lines(), [
            "stopping: closing 0 idle sessions, 1 finishing their "
            "transfers and 0 other commands (grace 30 s)",
            "shutdown grace of 30 s over: closing 1 sessions with "
            "transfers running and 0 with other commands"])
        for hurryFirst in (False, True):
            del self.logged[:]
            self.factory = FakeFactory()
            self.drain = Drain(self.factory, 30, self.clock)
            FakeSession(self.factory, busy=True)
            if hurryFirst:
                self.drain.hurry()
            self.drain.stopService()
            self.drain.hurry()
            self.clock.advance(0)
            self.assertEqual(self.lines(), [
                "stopping now: closing 0 idle sessions, cutting 1 transfers "
                "and 0 other commands"
            ] if hurryFirst else [
                "stopping: closing 0 idle sessions, 1 finishing their "
                "transfers and 0 other commands (grace 30 s)",
                "shutdown grace of 30 s cut short (SIGQUIT): closing 1 "
                "sessions with transfers running and 0 with other commands"])

    def test_linesLongGrace(self):
        """
        A long grace is written in the digits C{--shutdown-grace} takes:
        a million seconds was C{1e+06}.
        """
        self.drain = Drain(self.factory, 1000000, self.clock)
        FakeSession(self.factory, busy=True)
        self.drain.stopService()
        self.clock.advance(1000000)
        self.assertEqual([event["grace"] for event in self.logged],
                         [1000000, 1000000])
        self.assertIn("(grace 1000000 s)", self.lines()[0])

    def test_linesCountTransfers(self):
        """
        The lines of a drain count as finishing their transfers (and, once
        the grace is over, as closed with transfers running) only the
        sessions running one; a session running another command (a login
        being answered) is counted apart: it was counted among the
        transfers.
        """
        FakeSession(self.factory, busy=True)
        FakeSession(self.factory, busy=True, transfer=False)
        FakeSession(self.factory)
        self.drain.stopService()
        self.clock.advance(30)
        self.assertEqual(self.lines(), [
            "stopping: closing 1 idle sessions, 1 finishing their transfers "
            "and 1 other commands (grace 30 s)",
            "shutdown grace of 30 s over: closing 1 sessions with transfers "
            "running and 1 with other commands"])
        # The JSON fields of before the two counts came apart stay.
        self.assertEqual([(e.get("busy"), e.get("count")) for e in self.logged],
                         [(2, None), (None, 2)])
        del self.logged[:]
        self.factory = FakeFactory()
        self.drain = Drain(self.factory, 30, self.clock)
        FakeSession(self.factory, busy=True, transfer=False)
        self.drain.hurry()
        self.drain.stopService()
        self.assertEqual(self.lines(), [
            "stopping now: closing 0 idle sessions, cutting 0 transfers and "
            "1 other commands"])

    def test_neverEnds(self):
        """
        A command that never ends does not keep the drain waiting more
        than L{ABORT_WAIT} after the grace.
        """
        FakeSession(self.factory, busy=True)
        stopped = self.drain.stopService()
        self.clock.advance(30)
        self.assertNoResult(stopped)
        self.clock.advance(ABORT_WAIT)
        self.drained(stopped)

    def test_unsettled(self):
        """
        A session closed while its shell still commits an upload its
        C{ABOR} cut short (C{426}) keeps the drain waiting until the
        shell answers: the process ended first, the commit neither stored
        the file nor kept it for a resume.
        """
        session = FakeSession(self.factory, busy=True)
        session.settled = defer.Deferred()
        stopped = self.drain.stopService()
        session.finish()
        self.clock.advance(QUIT_WAIT)
        self.assertTrue(session.closed)
        self.assertNoResult(stopped)
        session.settled.callback(None)
        self.drained(stopped)

    def test_unsettledNeverAnswers(self):
        """
        A shell that never answers keeps the drain waiting no more than
        L{ABORT_WAIT} after the grace.
        """
        session = FakeSession(self.factory)
        session.settled = defer.Deferred()
        stopped = self.drain.stopService()
        self.clock.advance(30)
        self.assertNoResult(stopped)
        self.clock.advance(ABORT_WAIT)
        self.drained(stopped)


class PreloadTests(unittest.SynchronousTestCase):
    """
    L{ftpkit.deploy.startupwork.preloadSessionModules} imports what a session needs
    at start.
    """

    def test_imports(self):
        import sys

        from ftpkit.deploy.startupwork import (
            SESSION_MODULES,
            preloadSessionModules,
        )

        preloadSessionModules()
        for name in SESSION_MODULES:
            self.assertIn(name, sys.modules)

    def test_optionalMissing(self):
        """
        A missing optional module is skipped; a missing required one is an
        error (the server does not start).
        """
        from ftpkit.deploy.startupwork import preloadSessionModules

        preloadSessionModules(("os",), ("ftpkit_no_such_module",))
        self.assertRaises(ImportError, preloadSessionModules,
                          ("ftpkit_no_such_module",), ())

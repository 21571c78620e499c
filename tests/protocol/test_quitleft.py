"""
A client that pipelines a transfer, more commands and C{QUIT}, and hangs
up at once, on L{StringTransport} (L{ftpkit.control.quitleft}): the
commands queued before the C{QUIT} run once the transfer ends, each
bounded by the data timeout. The session, lost, ran none of them: the
transfer went on, then the session ended. A real server does the same
in L{tests.integration.test_quitleft}.
"""

from twisted.internet.testing import MemoryReactorClock
from twisted.logger import Logger, formatEvent
from twisted.trial import unittest

from ftpkit.control.hangup import CHECK_INTERVAL
from ftpkit.control.readingcontrol import LINES_PER_TURN
from ftpkit.errors import NoSuchFile
from ftpkit.ops import events
from tests.memorysessions import connect, makeFactory, replyCodes
from tests.protocol import test_abortopening
from tests.protocol.test_abortopening import SlowShell

_leaving = test_abortopening.DisconnectWhileOpeningTests.leaving


def _noSocket(protocol):
    """
    Have C{protocol}'s transport fail to tell its local address, as
    Twisted's TCP transport does once its connection is lost.
    """
    def noSocket():
        raise AttributeError("'Server' object has no attribute 'socket'")

    protocol.transport.getHost = noSocket


class RunToQuitTests(unittest.TestCase):
    """
    C{STOR} (its open slow), commands, C{QUIT}, the client gone.
    """

    leaving = _leaving

    def leave(self, command, slow=("openForWriting",),
              hangUp=lambda protocol: None, **settings):
        """
        Log in, send C{EPSV}, C{command}, and close the connection; the
        session's log lines are kept in C{self.logged}.

        @param command: what is sent after C{EPSV}.
        @param slow: the shell's methods that wait for the test.
        @param hangUp: called with the session before its connection is
            closed.
        @param settings: more of the L{ServerConfig}.
        @return: the realm, the session, what it published, the shell.
        """
        shell = SlowShell({"/f.txt": b"x" * 100, "/old.txt": b"o"}, slow)
        self.logged = []

        def logging(protocol):
            protocol.log = Logger(observer=self.logged.append)
            hangUp(protocol)

        realm, protocol, published = self.leaving(shell, command,
                                                  hangUp=logging, **settings)
        return realm, protocol, published, shell

    def lines(self):
        """
        @return: the session's log lines, formatted.
        """
        return [formatEvent(event) for event in self.logged]

    def assertExists(self, shell, name, exists=True):
        """
        Whether the shell has C{name} at its root.
        """
        stat = shell.stat((name,))
        if exists:
            self.successResultOf(stat)
        else:
            self.failureResultOf(stat, NoSuchFile)

    def test_commandsBeforeQuitRun(self):
        """
        The commands pipelined between the transfer and C{QUIT} run once
        the transfer ended, in order (C{MKD} then C{RNFR} and C{RNTO}),
        then the session ends and its user is logged out; nothing is left
        scheduled.
        """
        realm, protocol, published, shell = self.leave(
            b"STOR f.txt\r\nMKD d\r\nRNFR old.txt\r\nRNTO new.txt\r\nQUIT")
        shell.answer()
        self.assertExists(shell, "d", False)
        self.assertEqual(list(protocol.factory.openSessions), [protocol])
        clock = protocol.factory.reactor
        # No data connection comes: the upload ends (425) at the data
        # timeout.
        clock.advance(protocol.config.dataTimeout)
        self.assertExists(shell, "d")
        self.assertExists(shell, "new.txt")
        self.assertExists(shell, "old.txt", False)
        self.assertTrue(protocol.isIdle())
        self.assertEqual(list(protocol.factory.openSessions), [])
        self.assertEqual([event.kind for event in published],
                         [events.TRANSFER, events.LOGOUT])
        self.assertEqual(realm.logouts, 1)
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_openedTooLateLogged(self):
        """
        An open the shell does not answer within the data timeout is cut,
        and the log says why, once.
        """
        realm, protocol, published, shell = self.leave(b"STOR f.txt\r\nQUIT")
        protocol.factory.reactor.advance(protocol.config.dataTimeout)
        self.assertEqual(self.lines(), [
            "transfer of 10.0.0.1, who sent QUIT and left, still not "
            "started after %ss; cut" % (protocol.config.dataTimeout,)])

    def test_slowCommandLeftToShell(self):
        """
        A command after the transfer that the shell leaves unanswered for
        the data timeout (the upload, no data connection come, was cut
        at its own): the session stops waiting (it no longer counts),
        the commands after it are dropped, and the user is logged out once
        the shell answered.
        """
        realm, protocol, published, shell = self.leave(
            b"STOR f.txt\r\nDELE old.txt\r\nMKD d\r\nQUIT",
            slow=("openForWriting", "removeFile"))
        shell.answer()
        clock = protocol.factory.reactor
        clock.advance(protocol.config.dataTimeout)
        self.assertFalse(protocol.isIdle())
        self.assertEqual(list(protocol.factory.openSessions), [protocol])
        clock.advance(protocol.config.dataTimeout)
        self.assertEqual(list(protocol.factory.openSessions), [])
        timeout = protocol.config.dataTimeout
        self.assertEqual(self.lines(), [
            "transfer of 10.0.0.1, who sent QUIT and left, still not "
            "started after %ss; cut" % (timeout,),
            "command of 10.0.0.1, who sent QUIT and left, still unanswered "
            "after %ss; the commands after it dropped" % (timeout,)])
        self.assertEqual(realm.logouts, 0)
        shell.answer()
        self.assertEqual(realm.logouts, 1)
        self.assertExists(shell, "old.txt", False)
        self.assertExists(shell, "d", False)
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_anyCommandBeforeQuit(self):
        """
        Commands that touch the connection, the login or the data channel
        run too, with no error logged: the session leaves once its C{QUIT}
        ran, its user logged out each time a login ended, nothing left
        scheduled.
        """
        realm, protocol, published, shell = self.leave(
            b"STOR f.txt\r\nAUTH TLS\r\nCCC\r\nPBSZ 0\r\nREIN\r\n"
            b"USER alice\r\nPASS secret\r\nPASV\r\nLIST\r\nHASH old.txt\r\n"
            b"STAT\r\nQUIT")
        shell.answer()
        clock = protocol.factory.reactor
        for _ in range(4):
            clock.advance(protocol.config.dataTimeout)
        self.assertEqual(list(protocol.factory.openSessions), [])
        self.assertTrue(protocol.isIdle())
        self.assertEqual(realm.logouts, 2)
        self.assertEqual(clock.getDelayedCalls(), [])
        self.assertEqual(self.flushLoggedErrors(), [])

    def assertRanWithoutSocket(self, shell, realm, protocol):
        """
        Answer C{shell}'s slow calls and let the session whose client
        left (L{_noSocket}) run to its end: no error was logged, the
        session is gone and logged out once, no timer is left.
        """
        shell.answer()
        clock = protocol.factory.reactor
        for _ in range(3):
            clock.advance(protocol.config.dataTimeout)
        self.assertEqual(self.flushLoggedErrors(), [])
        self.assertEqual(list(protocol.factory.openSessions), [])
        self.assertEqual(realm.logouts, 1)
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_localAddressAfterHangUp(self):
        """
        Commands that need the control connection's local address (a
        transfer without a data connection, whose C{425} names C{PASV}
        only on IPv4; C{PASV}; C{EPRT} to the server's own end) run after
        the client hung up with no error: they asked the transport, which
        has no socket then (Twisted's TCP transport raises
        C{AttributeError}; under C{--workers}, another), and each logged
        a traceback.
        """
        shell = SlowShell({"/f.txt": b"x" * 100}, ("openForWriting",))
        realm, protocol, published = self.leaving(
            shell, b"STOR f.txt\r\nLIST\r\nEPRT |1|127.0.0.1|21|\r\n"
            b"PASV\r\nQUIT", hangUp=_noSocket)
        self.assertRanWithoutSocket(shell, realm, protocol)

    def test_localAddressWithoutDataChannel(self):
        """
        A transfer sent before any data connection was set up, its client
        gone while its file opens: the commands queued after it need the
        control connection's local address (C{EPRT}, C{PASV}), with no
        socket left to ask. They run with no error.
        """
        shell = SlowShell({"/f.txt": b"x" * 100}, ("openForWriting",))
        realm, protocol, published = self.leaving(
            shell, b"STOR f.txt\r\nEPRT |1|10.0.0.1|2048|\r\nPASV\r\nQUIT",
            hangUp=_noSocket, setUp=b"")
        self.assertRanWithoutSocket(shell, realm, protocol)

    def test_localAddressAfterOtherCommand(self):
        """
        Commands that need the local address run after the client hung
        up with no error when what they waited behind was no transfer (a
        slow C{MKD}; its client sent C{PASV}, C{EPRT} and C{QUIT} after
        it): the session asked the transport for the address only when
        first needed, and a session whose commands queue behind any
        command runs them once its client left (tester52c: C{critical:
        error handling PASV}, C{AttributeError}).
        """
        shell = SlowShell({"/f.txt": b"x" * 100}, ("makeDirectory",))
        realm, protocol, published = self.leaving(
            shell, b"MKD d\r\nPASV\r\nEPRT |1|10.0.0.1|2048|\r\n"
            b"HOST example.com\r\nRETR f.txt\r\nQUIT",
            hangUp=_noSocket, setUp=b"")
        self.assertRanWithoutSocket(shell, realm, protocol)

    def test_localAddressAfterTurn(self):
        """
        Lines a session had read but not run (it runs L{LINES_PER_TURN}
        a turn) when its client left with a C{QUIT} among them run after
        the hang-up with no error, those that need the local address too:
        no command waited behind another, so only the pause of reading
        could ask for it while the connection lived.
        """
        clock = MemoryReactorClock()
        factory = makeFactory(clock, loginFailureDelay=0)
        protocol, transport = connect(factory)
        protocol.dataReceived(
            b"USER alice\r\nPASS secret\r\n"
            + b"NOOP\r\n" * LINES_PER_TURN
            + b"PASV\r\nHOST example.com\r\nQUIT\r\n")
        self.assertTrue(protocol.paused)
        _noSocket(protocol)
        transport.clear()
        protocol.connectionLost(None)
        for _ in range(3):
            clock.advance(protocol.config.dataTimeout)
        self.assertEqual(self.flushLoggedErrors(), [])
        self.assertEqual(replyCodes(transport)[-1], "221")
        self.assertEqual(list(factory.openSessions), [])
        self.assertEqual(clock.getDelayedCalls(), [])


class QuitNotRunYetTests(unittest.TestCase):
    """
    C{STOR} (its open slow), a few hundred C{NOOP}s and C{QUIT}, the client
    gone before the session ran them all (64 lines a turn): the C{QUIT},
    still unparsed, lets the transfer go on as one queued does.
    """

    leave = RunToQuitTests.leave
    leaving = _leaving
    lines = RunToQuitTests.lines

    def assertRunsToQuit(self, quit):
        """
        After C{STOR}, 60 C{NOOP}s, C{MKD d}, 300 C{NOOP}s and C{quit},
        the session still counts once its client left, its upload not
        cut; it ends at the data timeout (no data connection came:
        C{426}, as for a transfer not started then), then runs the
        commands before the C{QUIT} (the C{MKD}; the C{NOOP}s, which do
        nothing, passed over), and the C{QUIT}.

        @param quit: the C{QUIT} line, without its end.
        """
        realm, protocol, published, shell = self.leave(
            b"STOR f.txt\r\n" + b"NOOP\r\n" * 60 + b"MKD d\r\n"
            + b"NOOP\r\n" * 300 + quit)
        self.assertEqual(published, [])
        shell.answer()
        self.assertEqual(list(protocol.factory.openSessions), [protocol])
        protocol.factory.reactor.advance(protocol.config.dataTimeout)
        self.assertEqual(list(protocol.factory.openSessions), [])
        self.assertEqual([(event.kind, event.code) for event in published],
                         [(events.TRANSFER, 426), (events.LOGOUT, None)])
        self.successResultOf(shell.stat(("d",)))
        logged = self.lines()
        self.assertIn("left with a QUIT among", logged[0])
        self.assertIn("still not started", logged[1])
        self.assertEqual(len(logged), 2)

    def test_quitUnparsed(self):
        """
        A C{QUIT} the session had received but not parsed when the
        connection was lost lets the transfer finish.
        """
        self.assertRunsToQuit(b"QUIT")

    def test_quitCutByTelnet(self):
        """
        So does one whose letters a Telnet command cuts.
        """
        self.assertRunsToQuit(b"QU\xff\xf1IT")

    def test_noQuitCuts(self):
        """
        Without a C{QUIT} among them, the transfer is cut at once (C{426})
        when the client leaves.
        """
        realm, protocol, published, shell = self.leave(
            b"STOR f.txt\r\n" + b"NOOP\r\n" * 300 + b"NOOP")
        self.assertEqual([(event.kind, event.code) for event in published],
                         [(events.TRANSFER, 426)])

    def test_commandsBeforeQuitRun(self):
        """
        The commands before such a C{QUIT} run after the transfer, in
        order (C{MKD}, C{RNFR}, C{RNTO}), as those of one queued: they
        were dropped.
        """
        realm, protocol, published, shell = self.leave(
            b"STOR f.txt\r\n" + b"NOOP\r\n" * 60 + b"MKD d\r\n"
            + b"RNFR old.txt\r\nRNTO new.txt\r\nQUIT")
        self.assertEqual(len(protocol._queue), 64)
        shell.answer()
        protocol.factory.reactor.advance(protocol.config.dataTimeout)
        self.assertEqual(list(protocol.factory.openSessions), [])
        self.successResultOf(shell.stat(("d",)))
        self.successResultOf(shell.stat(("new.txt",)))
        self.assertEqual(len(self.lines()), 2)

    def test_abortActs(self):
        """
        An C{ABOR} among the commands before such a C{QUIT} ends the
        upload waiting for its open at once, as it would have on arrival
        with the client there (no transfer: the C{ABOR} came before it
        began), the file left as it was, and the commands after it run;
        it was queued, the upload
        going on until the data timeout cut it (C{426}).
        """
        realm, protocol, published, shell = self.leave(
            b"STOR f.txt\r\n" + b"NOOP\r\n" * 300 + b"ABOR\r\nMKD d\r\n"
            b"QUIT")
        shell.answer()
        self.assertEqual(list(protocol.factory.openSessions), [])
        self.assertEqual([event.kind for event in published],
                         [events.LOGOUT])
        self.successResultOf(shell.stat(("d",)))
        self.assertEqual(self.successResultOf(shell.stat(("f.txt",))).size,
                         100)

    def test_commandsBounded(self):
        """
        Of 20,000 C{MKD}s before the C{QUIT}, those the queue holds (its
        limit, 64) run, no more: a client gone buys no more work than one
        connected has waiting. The rest are dropped, in one log line.
        """
        realm, protocol, published, shell = self.leave(
            b"STOR f.txt\r\n"
            + b"".join(b"MKD d%d\r\n" % (i,) for i in range(20000))
            + b"QUIT")
        shell.answer()
        clock = protocol.factory.reactor
        clock.advance(protocol.config.dataTimeout)
        self.assertEqual(list(protocol.factory.openSessions), [])
        made = [
            i for i in range(70)
            if self.successResultOf(shell.stat(("d%d" % (i,),)).addErrback(
                lambda failure: failure.trap(NoSuchFile) and None))]
        self.assertEqual(made, list(range(64)))
        self.assertEqual(
            [line for line in self.lines() if "rest dropped" in line],
            ["10.0.0.1 sent QUIT and left with more commands before it "
             "than the 64 a session queues; running those, the rest "
             "dropped"])
        self.assertEqual(clock.getDelayedCalls(), [])


class UnendedQuitTests(unittest.TestCase):
    """
    A last C{QUIT} without its line end (RFC 959 ends every command with
    CRLF), then the connection lost: no command came, and the transfer is
    cut at once (C{426}) as for a client leaving without C{QUIT}; the
    commands before it are not run. vsftpd and pyftpdlib likewise run
    only whole lines, dropping a line left unfinished at the end.
    """

    leave = RunToQuitTests.leave
    leaving = _leaving
    lines = RunToQuitTests.lines

    def test_lost(self):
        """
        Connection lost with C{QUIT} unended (L{ReadingControl.quitUnrun}).
        """
        realm, protocol, published, shell = self.leave(
            b"STOR f.txt\r\nMKD d",
            hangUp=lambda protocol: protocol.dataReceived(b"QUIT"))
        shell.answer()
        self.assertEqual([(event.kind, event.code) for event in published],
                         [(events.TRANSFER, 426), (events.LOGOUT, None)])
        self.failureResultOf(shell.stat(("d",)), NoSuchFile)
        self.assertEqual(list(protocol.factory.openSessions), [])

    def test_hungUp(self):
        """
        Hang-up seen with C{QUIT} unended among what was not read
        (L{ReadingControl._hungUp}): the connection is cut once the
        hang-up watch's interval is over, the transfer with it.
        """
        def hungUp(protocol):
            protocol._hungUp()
            protocol.dataReceived(b"MKD e\r\nQUIT")
            self.assertFalse(protocol.transport.disconnected)
            protocol.factory.reactor.advance(CHECK_INTERVAL)
            self.assertTrue(protocol.transport.disconnected)

        realm, protocol, published, shell = self.leave(
            b"STOR f.txt\r\nNOOP\r\nNOOP\r\nMKD d", hangUp=hungUp,
            maxPendingCommands=2)
        shell.answer()
        self.assertEqual([(event.kind, event.code) for event in published],
                         [(events.TRANSFER, 426), (events.LOGOUT, None)])
        self.failureResultOf(shell.stat(("d",)), NoSuchFile)
        self.failureResultOf(shell.stat(("e",)), NoSuchFile)


class HungUpRunToQuitTests(unittest.TestCase):
    """
    The client hung up while its replies went unread (reading paused with
    room in the queue), a C{QUIT} and commands before it among what the
    session had not read (L{ftpkit.control.hangup}).
    """

    leave = RunToQuitTests.leave
    leaving = _leaving

    def hangUpAfter(self, unread, seen):
        """
        Send C{STOR} (its open slow), have the client stop reading its
        replies, send C{unread} (which the session holds unread), and
        have the hang-up watch see the client gone.

        @param unread: the bytes the session holds unread.
        @param seen: a list given, once the hang-up was seen, whether the
            session said its client was leaving.
        @return: the session and the shell.
        """
        def hungUp(protocol):
            protocol.pauseProducing()
            protocol.dataReceived(unread)
            protocol._hungUp()
            seen.append(protocol.leaving)

        realm, protocol, published, shell = self.leave(
            b"STOR f.txt\r\nNOOP", hangUp=hungUp)
        return protocol, shell

    def test_commandsBeforeQuitRun(self):
        """
        The commands before the C{QUIT} run once the upload ended: they
        were dropped, only the C{QUIT} kept.
        """
        seen = []
        protocol, shell = self.hangUpAfter(
            b"MKD d\r\nRNFR old.txt\r\nRNTO new.txt\r\nQUIT\r\n", seen)
        shell.answer()
        protocol.factory.reactor.advance(protocol.config.dataTimeout)
        self.assertEqual(list(protocol.factory.openSessions), [])
        self.successResultOf(shell.stat(("d",)))
        self.successResultOf(shell.stat(("new.txt",)))

    def test_heldUntilQuit(self):
        """
        Until the C{QUIT} comes, the commands wait, none run (the client
        may have left without one), though the upload ended meanwhile
        (its data timeout shorter than the time to read what is left);
        the session says its client has gone (C{leaving}, which
        C{/sessions} shows): it said so only once the connection was cut.
        """
        seen = []

        def hungUp(protocol):
            protocol.pauseProducing()
            protocol.dataReceived(b"MKD d\r\n")
            protocol._hungUp()
            seen.append(protocol.leaving)
            shell.answer()
            protocol.factory.reactor.advance(0.5)
            self.assertTrue(protocol.isIdle())
            self.failureResultOf(shell.stat(("d",)), NoSuchFile)
            protocol.dataReceived(b"QUIT\r\n")

        shell = SlowShell({"/f.txt": b"x" * 100}, ("openForWriting",))
        realm, protocol, published = self.leaving(
            shell, b"STOR f.txt\r\nNOOP", hangUp=hungUp, dataTimeout=0.5)
        self.assertEqual(seen, [True])
        self.assertEqual(list(protocol.factory.openSessions), [])
        self.successResultOf(shell.stat(("d",)))

    def test_leavingWhileUnseen(self):
        """
        While reading is paused, C{leaving} says whether the client hung
        up as its socket tells (C{HangupWatch.clientGone}), before the
        watch, which looks once a second, has seen it: C{/sessions} said
        C{false} up to a second.
        """
        seen = []

        class Watch:
            gone = False

            def clientGone(self):
                return self.gone

            def stop(self):
                pass

        def hungUp(protocol):
            protocol.pauseProducing()
            protocol._hangupWatch = watch = Watch()
            seen.append(protocol.leaving)
            watch.gone = True
            seen.append(protocol.leaving)

        self.leave(b"STOR f.txt\r\nNOOP", hangUp=hungUp)
        self.assertEqual(seen, [False, True])

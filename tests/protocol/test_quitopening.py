"""
A client that sends C{STOR} and C{QUIT} and leaves while the shell still
opens the upload's file (a slow C{openForWriting}), on
L{StringTransport}: the command goes on (RFC 959 lets a transfer finish
after C{QUIT}; L{tests.integration.test_quitopening} stores such an
upload on a real server), its session counted as open, but no longer
than the data timeout while it waits for its file or its data
connection. Without C{QUIT} it is cut at once
(L{tests.protocol.test_abortopening.DisconnectWhileOpeningTests}). So
does a C{QUIT} queued while the session had stopped reading, its queue
full, when the client hung up (L{ftpkit.control.hangup}).
"""

from twisted.trial import unittest

from ftpkit.control.hangup import CHECK_INTERVAL
from ftpkit.ops import events
from ftpkit.ops.drain import Drain
from tests.protocol import test_abortopening
from tests.protocol.test_abortopening import SlowShell, openedLate

_leaving = test_abortopening.DisconnectWhileOpeningTests.leaving


class QuitWhileOpeningTests(unittest.TestCase):
    """
    C{STOR} then C{QUIT}, the client gone while the file is opened.
    """

    leaving = _leaving

    def leave(self, command=b"STOR f.txt\r\nQUIT", **settings):
        """
        Log in, send C{EPSV}, C{STOR f.txt} (whose open waits) and
        C{QUIT}, and close the connection.

        @param command: what is sent after C{EPSV}.
        @param settings: see L{_leaving}.
        @return: the realm, the session, what it published, the shell.
        """
        shell = SlowShell({"/f.txt": b"x" * 100}, ["openForWriting"])
        realm, protocol, published = self.leaving(shell, command,
                                                  **settings)
        return realm, protocol, published, shell

    def assertGoesOn(self, protocol, published):
        """
        The command still runs, nothing published, the session open.
        """
        self.assertFalse(protocol.isIdle())
        self.assertEqual(published, [])
        self.assertEqual(list(protocol.factory.openSessions), [protocol])

    def test_waitsForConnection(self):
        """
        Opened, the upload waits for its data connection, the data
        timeout at most; then it ends (C{425} or C{426}), its session is
        closed and its user logged out, and no timer is left.
        """
        realm, protocol, published, shell = self.leave()
        self.assertGoesOn(protocol, published)
        shell.answer()
        self.assertGoesOn(protocol, published)
        clock = protocol.factory.reactor
        clock.advance(protocol.config.dataTimeout)
        self.assertTrue(protocol.isIdle())
        [transfer, logout] = published
        self.assertEqual((transfer.kind, transfer.command, logout.kind),
                         (events.TRANSFER, "STOR", events.LOGOUT))
        self.assertIn(transfer.code, (425, 426))
        self.assertEqual(list(protocol.factory.openSessions), [])
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_openBounded(self):
        """
        An open the shell does not answer within the data timeout is cut
        then (C{426}); the session stops counting, and the user is logged
        out once the shell answered and the file it gave was aborted.
        """
        realm, protocol, published, shell = self.leave()
        clock = protocol.factory.reactor
        clock.advance(protocol.config.dataTimeout - 1)
        self.assertGoesOn(protocol, published)
        clock.advance(1)
        self.assertTrue(protocol.isIdle())
        self.assertEqual([(event.kind, event.command, event.code)
                          for event in published],
                         [(events.TRANSFER, "STOR", 426)])
        self.assertEqual(list(protocol.factory.openSessions), [])
        self.assertEqual(realm.logouts, 0)
        self.assertEqual(openedLate(self, shell), ["abort"])
        self.assertEqual(realm.logouts, 1)

    def test_hungUpWithQuitQueued(self):
        """
        A client whose C{QUIT} waits in a full queue (reading paused), and
        which hangs up, seen by the hang-up watch: the C{QUIT} still lets
        the upload go on. It was forgotten with the queue, the upload cut.
        """
        def hungUp(protocol):
            self.assertTrue(protocol.paused)
            protocol._hungUp()

        realm, protocol, published, shell = self.leave(
            b"STOR f.txt\r\nNOOP\r\nQUIT", hangUp=hungUp,
            maxPendingCommands=2)
        self.assertGoesOn(protocol, published)

    def hungUpAfter(self, command, after=b""):
        """
        Send C{command}, behind C{STOR f.txt} and with the queue's limit at
        two, so that reading pauses and holds the last lines unread, then
        have the hang-up watch see the client gone, hand the session
        C{after}, read once the hang-up was seen, and close.

        @return: the session, what it published, its transport's
            C{disconnected} once the hang-up was seen and C{after} read.
        """
        cut = []

        def hungUp(protocol):
            self.assertTrue(protocol.paused)
            self.assertFalse(protocol._queue.quitWaiting())
            protocol._hungUp()
            protocol.dataReceived(after)
            cut.append(protocol.transport.disconnected)

        realm, protocol, published, shell = self.leave(
            b"STOR f.txt\r\nNOOP\r\nNOOP\r\n" + command, hangUp=hungUp,
            maxPendingCommands=2)
        return protocol, published, cut[0]

    def test_hungUpWithQuitUnread(self):
        """
        A C{QUIT} the session had not read when the hang-up watch saw its
        client gone (reading paused, the queue full) is read then, and
        lets the upload go on; the commands around it do not run. It was
        never read: the upload was cut.
        """
        protocol, published, cut = self.hungUpAfter(b"PWD\r\nQUIT\r\nPWD")
        self.assertTrue(cut)
        self.assertGoesOn(protocol, published)
        self.assertEqual(protocol.transport.value().count(b"257"), 0)

    def test_hungUpQuitReadAfter(self):
        """
        Such a C{QUIT} still in the client's socket, read after the
        hang-up was seen, does as much.
        """
        protocol, published, cut = self.hungUpAfter(b"PWD", b"\r\nQUIT\r\n")
        self.assertTrue(cut)
        self.assertGoesOn(protocol, published)

    def test_hungUpWithoutQuit(self):
        """
        Without a C{QUIT} in what it sent, the session reads it all, then
        is cut once its connection's end has not come within the hang-up
        watch's interval (when it comes, the upload is cut at once).
        """
        protocol, published, cut = self.hungUpAfter(b"PWD", b"\r\nNOOP\r\n")
        self.assertFalse(cut)
        self.assertEqual([event.code for event in published], [426])

    def test_hungUpRestBounded(self):
        """
        A connection whose end does not come after the hang-up was seen,
        no C{QUIT} read, is cut L{CHECK_INTERVAL} later.
        """
        seen = []

        def hungUp(protocol):
            protocol._hungUp()
            clock = protocol.factory.reactor
            clock.advance(CHECK_INTERVAL - 0.1)
            seen.append(protocol.transport.disconnected)
            clock.advance(0.1)
            seen.append(protocol.transport.disconnected)

        self.leave(b"STOR f.txt\r\nNOOP\r\nNOOP\r\nPWD", hangUp=hungUp,
                   maxPendingCommands=2)
        self.assertEqual(seen, [False, True])

    def test_drainCuts(self):
        """
        A drain (C{SIGTERM}) cuts such a command at its grace's end, as it
        cuts a running one (C{426}), without waiting for the data timeout,
        and ends once the shell answered the open.
        """
        realm, protocol, published, shell = self.leave()
        clock = protocol.factory.reactor
        stopped = Drain(protocol.factory, 5).stopService()
        clock.advance(4)
        self.assertGoesOn(protocol, published)
        clock.advance(1)
        self.assertEqual([(event.kind, event.command, event.code)
                          for event in published],
                         [(events.TRANSFER, "STOR", 426)])
        self.assertNoResult(stopped)
        self.assertEqual(openedLate(self, shell), ["abort"])
        clock.advance(0)
        self.successResultOf(stopped)
        self.assertEqual(realm.logouts, 1)

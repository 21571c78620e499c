"""
Commands still running when their session ends: the shell they use stays
theirs until they finish, so none runs without one (no traceback, no
AttributeError on C{None}).
"""

import re
import socket
import struct

from twisted.cred.portal import IRealm
from twisted.internet import defer
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.interfaces import IFTPShell
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.memory import MemoryShell
from tests.polling import waitFor
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess


class GatedShell(MemoryShell):
    """
    A L{MemoryShell} whose C{stat} and C{openListing} wait, while
    L{gated}, until the test opens the gate: a listing command waits on
    whichever it asks first (C{LIST} and C{NLST} open a directory's
    listing before any C{stat}, C{MLSD} stats it first).

    @ivar waiting: the Deferreds of the calls held at the gate.
    @ivar unclosed: how many listings it opened are not closed yet.
    """

    gated = False

    def __init__(self):
        MemoryShell.__init__(self, files={"/file.txt": b"data"})
        self.waiting = []
        self.unclosed = 0

    def _held(self, answer):
        """
        @param answer: gives the call's Deferred.
        @return: C{answer()}, once the gate opens while L{gated}.
        """
        if not self.gated:
            return answer()
        gate = defer.Deferred()
        self.waiting.append(gate)
        return gate.addCallback(lambda _: answer())

    def stat(self, path):
        """
        Like L{MemoryShell.stat}, held at the gate while L{gated}.
        """
        return self._held(lambda: MemoryShell.stat(self, path))

    def openListing(self, path):
        """
        Like L{MemoryShell.openListing}, held at the gate while L{gated}.
        """
        return self._held(lambda: MemoryShell.openListing(self, path)
                          ).addCallback(self._counted)

    def _counted(self, listing):
        """
        Count C{listing} among L{unclosed} until it is closed.

        @return: C{listing}.
        """
        self.unclosed += 1
        close = listing.close

        def closing():
            self.unclosed -= 1
            return close()

        listing.close = closing
        return listing


@implementer(IRealm)
class GatedRealm:
    """
    Gives every user the same L{GatedShell} and counts logouts.
    """

    def __init__(self):
        self.shell = GatedShell()
        self.logouts = 0

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: the shared shell, and a logout that counts.
        """
        def logout():
            self.logouts += 1
        return IFTPShell, self.shell, logout


class CommandOutlivesSessionTests(LoopbackServerMixin, unittest.TestCase):
    """
    A client sends a listing command and goes away while the command waits
    for the shell (Twisted's C{FTPClient} does: it closes the connection
    when PASV fails, after queueing LIST).
    """

    def setUp(self):
        self.realm = GatedRealm()
        self.realm.shell.makeDirectory(("dir",))
        self.server = self.startServer(self.realm,
                                       ServerConfig(loginFailureDelay=0))

    def clientSends(self, command):
        """
        Log in over a raw socket, send C{command}, and return the socket
        (blocking).
        """
        sock = socket.create_connection(("127.0.0.1", self.server.port),
                                        timeout=10)
        reader = sock.makefile("rb")
        reader.readline()
        for line in (b"USER alice\r\n", b"PASS secret\r\n"):
            sock.sendall(line)
            reader.readline()
        reader.close()
        sock.sendall(command + b"\r\n")
        return sock

    @defer.inlineCallbacks
    def endSessionDuring(self, command):
        """
        Send C{command}, close the control connection while the shell's
        answer it waits for is held, then let the answer go on.
        """
        shell = self.realm.shell
        shell.gated = True
        sock = yield self.inThread(self.clientSends, command)
        held = yield waitFor(lambda: shell.waiting)
        self.assertTrue(held)
        sock.close()
        ended = yield waitFor(lambda: self.server.factory.sessions == 0)
        self.assertTrue(ended)
        self.assertEqual(self.realm.logouts, 0)
        shell.gated = False
        shell.waiting.pop().callback(None)
        loggedOut = yield waitFor(lambda: self.realm.logouts == 1)
        self.assertTrue(loggedOut)
        self.assertEqual(shell.unclosed, 0)

    def test_LIST(self):
        """
        LIST outliving its session ends quietly, then the user is logged
        out (an error logged would fail the test), the listing it opened
        once the session was gone closed.
        """
        return self.endSessionDuring(b"LIST dir")

    def test_LISTFile(self):
        """
        LIST of a file likewise (its listing's open, held, then fails: the
        C{stat} that follows finds the file).
        """
        return self.endSessionDuring(b"LIST file.txt")

    def test_NLST(self):
        """
        NLST likewise.
        """
        return self.endSessionDuring(b"NLST dir")

    def test_MLSD(self):
        """
        MLSD likewise.
        """
        return self.endSessionDuring(b"MLSD dir")


class UploadCutByLeavingTests(unittest.TestCase):
    """
    A client that resets its control connection while its upload runs.
    """

    def test_logoutCountsUpload(self):
        """
        The session's C{logout} line comes after the cut upload's
        C{transfer} line and counts its bytes: an upload's abort ends
        after the session does (it waits for the file's writer), and a
        logout published as the connection closed came first, with
        C{0 bytes in}.
        """
        root = scratchDirectory(self)
        server = ServerProcess(
            self, ["--root", root, "--auth", "anonymous", "--anonymous-write",
                   "--max-upload-rate", "1M"], cwd=root)
        server.waitForGreeting()
        ftp = server.login()
        ftp.voidcmd("TYPE I")
        data = ftp.transfercmd("STOR up.bin")
        self.addCleanup(data.close)
        data.sendall(b"x" * (2 * 1024 * 1024))
        ftp.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
        ftp.file.close()
        ftp.sock.close()
        log = server.waitForLog("logout from 127.0.0.1")
        stored = re.search(r"STOR from 127.0.0.1 .*: 426, (\d+) bytes", log)
        loggedOut = re.search(r"logout from 127.0.0.1 .*: [\d.]+ s, (\d+) "
                              r"bytes in", log)
        self.assertIsNotNone(stored, log)
        self.assertLess(stored.start(), loggedOut.start(), log)
        self.assertEqual(loggedOut.group(1), stored.group(1), log)
        self.assertGreater(int(stored.group(1)), 0, log)

"""
Integration tests: an SFTP server stopped with C{SIGSTOP} (its listening
process and its connections' processes), with several sessions' commands
waiting for the realm's one connection: the first call to find it silent
fails at its deadline, and the calls waiting behind it fail at once with
it (L{ftpkit.shells.storeoutage}), instead of each trying to connect
again for a whole deadline in turn (tester53: the Nth of 8 C{SIZE}s was
answered after about N deadlines). After C{SIGCONT}, service is back.

The OpenSSH server is the test's own (L{tests.storageservers.ownSSHServer}):
the process-wide one is shared by other tests.
"""

import ftplib
import signal

from twisted.internet import defer
from twisted.logger import LogLevel
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells import fsspecposix
from tests.fsspecrealms import tenBytesOverSFTP
from tests.ftpclient import ftplibLogin
from tests.logevents import captureLogs
from tests.serverprocess import TIMEOUT
from tests.storageservers import ownSSHServer, signalTree

DEADLINE = 5
"""The realm's deadline, in seconds."""

SESSIONS = 4

TIMED_OUT = "451 Storage did not answer in time; try again later"


def sizeOrReply(client):
    """
    @param client: a logged-in ftplib client.
    @return: the reply to C{SIZE f.bin}, a passing failure's too.
    """
    try:
        return client.sendcmd("SIZE f.bin")
    except ftplib.error_temp as e:
        return str(e)


class StoppedServerTests(LoopbackServerMixin, unittest.TestCase):
    """
    Sessions' commands waiting on an SFTP server stopped with C{SIGSTOP}.
    """

    timeout = 180

    def setUp(self):
        ssh, self.sshd = ownSSHServer(self)
        self.realm = tenBytesOverSFTP(self, ssh, "127.0.0.1", DEADLINE)
        self.server = self.startServer(self.realm,
                                       ServerConfig(loginFailureDelay=0.01))
        self.connects = 0
        reconnect = fsspecposix.reconnect

        def counted(fs):
            self.connects += 1
            return reconnect(fs)

        self.patch(fsspecposix, "reconnect", counted)

    def continueServer(self):
        """
        Let the stopped SSH server run again (also if the test failed
        before it did).
        """
        signalTree(self.sshd.pid, signal.SIGCONT)

    async def test_waitingCallsFailTogether(self):
        """
        With the SSH server stopped, the C{SIZE}s of four sessions all get
        C{451}, and no new connection was tried for them (before, each
        of the three waiting tried one, for a deadline each); after
        C{SIGCONT}, each session's next C{SIZE} works. One line is
        logged for the outage.
        """
        clients = []
        for _ in range(SESSIONS):
            clients.append(await self.inThread(
                ftplibLogin, self, self.server.port, timeout=TIMEOUT,
                binary=True))
        await self.realm.whenSwept()
        self.assertEqual(await self.inThread(sizeOrReply, clients[0]),
                         "213 10")
        signalTree(self.sshd.pid, signal.SIGSTOP)
        self.addCleanup(self.continueServer)
        events = captureLogs(self)
        stopped = await defer.gatherResults(
            [self.inThread(sizeOrReply, client) for client in clients])
        self.assertEqual((stopped, self.connects),
                         ([TIMED_OUT] * SESSIONS, 0))
        storageLines = [
            event for event in events
            if event.get("log_namespace") == "ftpkit.shells.fsspecshell"
            and event.get("log_level", LogLevel.info) >= LogLevel.warn]
        self.assertEqual(len(storageLines), 1)
        self.continueServer()
        after = []
        for client in clients:
            after.append(await self.inThread(sizeOrReply, client))
        self.assertEqual(after, ["213 10"] * SESSIONS)
        self.assertEqual(self.connects, 1)
        for client in clients:
            await self.inThread(client.quit)

"""
Integration tests: the SFTP realm's deadline closes a connection
(C{deadline=} of C{--realm fsspec:sftp://...}: an expired call's, and
one whose opening passed the deadline) off the reactor thread, so that a
close that blocks (paramiko's C{Transport.close} may join its thread)
holds no other session: the server keeps answering C{NOOP} meanwhile.

The realm's transports' C{close} is made to block until the test lets it
go (L{HeldCloses}); the SFTP servers are those of
L{tests.integration.test_sftpdeadline} and
L{tests.integration.test_sftpdeadline_connect}.
"""

import ftplib
import threading

from twisted.trial import unittest

from tests.ftpclient import ftplibLogin
from tests.integration.test_sftpdeadline import ProxiedRealmMixin
from tests.serverprocess import TIMEOUT

try:
    import paramiko
except ImportError:
    paramiko = None

TIMED_OUT = "451 Storage did not answer in time; try again later"


class HeldCloses:
    """
    Make C{paramiko.Transport.close} of the connections to one port (the
    realm's, through the proxy) block, once L{arm}ed, until L{release}d
    (or for twice L{TIMEOUT} seconds, the client's timeout: a close made
    in the reactor thread fails the test, its client timing out and
    releasing it, instead of hanging it).

    @ivar entered: set once such a close started.
    @ivar threads: the threads those closes ran in.
    """

    def __init__(self, testCase, port):
        """
        @param testCase: the running test (the patch is undone, and the
            closes released, after it).
        @param port: the port of 127.0.0.1 whose connections' closes block.
        """
        self.entered = threading.Event()
        self.threads = []
        self._released = threading.Event()
        self._armed = False
        self._port = port
        close = paramiko.Transport.close
        held = self

        def heldClose(transport):
            if held._armed and held._leadsToPort(transport):
                held.threads.append(threading.current_thread())
                held.entered.set()
                held._released.wait(2 * TIMEOUT)
            return close(transport)

        testCase.patch(paramiko.Transport, "close", heldClose)
        testCase.addCleanup(self.release)

    def _leadsToPort(self, transport):
        try:
            return transport.getpeername()[1] == self._port
        except (OSError, IndexError, TypeError):
            return False

    def arm(self):
        """
        Block the closes made from now on.
        """
        self._armed = True

    def release(self):
        """
        Let every blocked close go on, and the later ones through.
        """
        self._armed = False
        self._released.set()


class BlockedCloseTests(ProxiedRealmMixin, unittest.TestCase):
    """
    While the realm's connection is being closed, slowly, for a command
    whose call or connection passed the deadline, another session's
    C{NOOP} is answered; the command then gets C{451}, and the next one
    works.
    """

    def setUp(self):
        if paramiko is None:
            raise unittest.SkipTest("paramiko is not installed")
        result = ProxiedRealmMixin.setUp(self)
        self.closes = HeldCloses(self, self.proxy.port)
        return result

    def beforeServer(self):
        """
        Start the silent SFTP server the proxy is pointed at in
        L{test_cutOpening}.
        """
        from tests.integration.test_sftpdeadline_connect import (
            SilentSFTPServer,
        )

        self.sshd = SilentSFTPServer()
        self.addCleanup(self.sshd.close)

    async def clients(self):
        """
        @return: two logged-in ftplib clients, once the realm's first
            sweep is over (its calls are not the ones stalled).
        """
        first = await self.inThread(
            ftplibLogin, self, self.server.port, timeout=TIMEOUT,
            binary=True)
        second = await self.inThread(
            ftplibLogin, self, self.server.port, timeout=TIMEOUT)
        await self.realm.whenSwept()
        return first, second

    def noopWhileClosing(self, client, other, replies):
        """
        Wait for the held close, send C{NOOP} on C{other}, release the
        close, and read C{client}'s reply to its command under way.
        """
        self.assertTrue(self.closes.entered.wait(TIMEOUT),
                        "no connection was closed")
        try:
            replies["noop"] = other.sendcmd("NOOP")
        except (OSError, EOFError, ftplib.Error) as e:
            replies["noop"] = f"no answer: {e!r}"
        finally:
            self.closes.release()
        try:
            replies["command"] = client.getresp()
        except ftplib.error_temp as e:
            replies["command"] = str(e)

    def expiredCall(self, client, other):
        replies = {"before": client.sendcmd("SIZE f.bin")}
        self.closes.arm()
        self.proxy.stall()
        client.putcmd("MDTM f.bin")
        self.noopWhileClosing(client, other, replies)
        replies["after"] = client.sendcmd("SIZE f.bin")
        return replies

    async def test_expiredCall(self):
        """
        The close of an expired call's connection leaves the reactor free
        (before, it ran in the deadline's timer: the other session's
        C{NOOP} waited for it).
        """
        client, other = await self.clients()
        replies = await self.inThread(self.expiredCall, client, other)
        self.assertEqual(replies, {"before": "213 10", "noop": "200 NOOP ok",
                                   "command": TIMED_OUT, "after": "213 10"})
        self.assertNotIn(threading.main_thread(), self.closes.threads)

    def cutOpening(self, client, other):
        from tests.storageservers import sshServer

        replies = {"before": client.sendcmd("SIZE f.bin")}
        self.proxy.stall()
        self.proxy.retarget(self.sshd.port)
        try:
            replies["stalled"] = client.sendcmd("SIZE f.bin")
        except ftplib.error_temp as e:
            replies["stalled"] = str(e)
        self.closes.arm()
        client.putcmd("SIZE f.bin")
        self.noopWhileClosing(client, other, replies)
        self.proxy.retarget(sshServer().port)
        replies["after"] = client.sendcmd("SIZE f.bin")
        return replies

    async def test_cutOpening(self):
        """
        The close of a connection whose opening passed the deadline leaves
        the reactor free (before, the reactor closed it).
        """
        client, other = await self.clients()
        replies = await self.inThread(self.cutOpening, client, other)
        self.assertEqual(replies, {"before": "213 10", "stalled": TIMED_OUT,
                                   "noop": "200 NOOP ok", "command": TIMED_OUT,
                                   "after": "213 10"})
        self.assertNotIn(threading.main_thread(), self.closes.threads)

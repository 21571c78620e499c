"""
Integration tests: opening the SFTP realm's connection is bounded by its
deadline (C{deadline=} of C{--realm fsspec:sftp://...}): an SSH server
that logs in and then never answers the SFTP session costs a reply, not
a login held for ever and a pool thread.

The silent SSH server is paramiko's, in a thread (L{SilentSFTPServer}):
it accepts the login and the C{sftp} subsystem, then never answers. A
connection opened again is sent there by a
L{tests.stallingproxy.StallingProxy} in front of the tests' OpenSSH
server (L{tests.integration.test_sftpdeadline}).
"""

import ftplib
import os
import socket
import threading

from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.deploy import tap
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.integration.test_sftpdeadline import ProxiedRealmMixin
from tests.serverprocess import TIMEOUT

try:
    import paramiko
except ImportError:
    paramiko = None

WAIT = 60
"""Seconds the server's thread waits for a connection's channel."""


class _SilentInterface(paramiko.ServerInterface if paramiko else object):
    """
    Any key logs in, a session opens, its C{sftp} subsystem is accepted,
    and nothing runs it.
    """

    def get_allowed_auths(self, username):
        return "publickey"

    def check_auth_publickey(self, username, key):
        return paramiko.AUTH_SUCCESSFUL

    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_SUCCEEDED

    def check_channel_subsystem_request(self, channel, name):
        return True


class SilentSFTPServer:
    """
    An SSH server on loopback whose SFTP sessions never answer.

    @ivar port: its port (127.0.0.1).
    @ivar connections: how many SSH connections it accepted.
    """

    def __init__(self):
        self._hostKey = paramiko.RSAKey.generate(2048)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._transports = []
        self._closing = False
        self.connections = 0
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="silent-sftp")
        self._thread.start()

    def _run(self):
        while not self._closing:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            if self._closing:
                sock.close()
                return
            transport = paramiko.Transport(sock)
            transport.add_server_key(self._hostKey)
            self._transports.append(transport)
            self.connections += 1
            transport.start_server(server=_SilentInterface())

    def close(self):
        """
        Close the listener and every connection, and end the thread.
        """
        self._closing = True
        # Wakes the thread's accept, which closing the listener would not.
        socket.create_connection(("127.0.0.1", self.port)).close()
        self._thread.join(WAIT)
        self._listener.close()
        for transport in self._transports:
            transport.close()


class FirstConnectionTests(LoopbackServerMixin, unittest.TestCase):
    """
    A login whose realm's first SFTP connection never gets its SFTP
    session answered is refused once the deadline passed, and the next
    login tries again.
    """

    timeout = 180

    def setUp(self):
        if paramiko is None:
            raise unittest.SkipTest("paramiko is not installed")
        self.sshd = SilentSFTPServer()
        self.addCleanup(self.sshd.close)
        keyFile = os.path.abspath(self.mktemp())
        paramiko.RSAKey.generate(2048).write_private_key_file(keyFile)
        argument = (f"fsspec:sftp://tester@127.0.0.1:{self.sshd.port}/srv"
                    f"?key_filename={keyFile}&look_for_keys=false"
                    f"&allow_agent=false&deadline=1")
        options = tap.Options()
        options.parseOptions(["--realm", argument])
        self.realm = options["realmObject"]
        self.server = self.startServer(self.realm,
                                       ServerConfig(loginFailureDelay=0.01))

    def refusedLogin(self):
        try:
            ftplibLogin(self, self.server.port, timeout=TIMEOUT)
        except ftplib.Error as e:
            return str(e)
        return "logged in"

    async def test_silentSFTPSession(self):
        """
        Each login gets C{421 Storage unavailable} once its connection's
        deadline passed; the second opened a new SSH connection.
        """
        first = await self.inThread(self.refusedLogin)
        second = await self.inThread(self.refusedLogin)
        self.assertEqual(first, "421 Storage unavailable, try again later")
        self.assertEqual(second, "421 Storage unavailable, try again later")
        self.assertEqual(self.sshd.connections, 2)
        self.assertIsNone(self.realm.fs)


class ReconnectionTests(ProxiedRealmMixin, unittest.TestCase):
    """
    A command whose connection, opened again after a call expired, never
    gets its SFTP session answered gets C{451} once the deadline passed;
    the next command opens another.
    """

    def setUp(self):
        if paramiko is None:
            raise unittest.SkipTest("paramiko is not installed")
        return ProxiedRealmMixin.setUp(self)

    def beforeServer(self):
        """
        Start the silent SFTP server the proxy is pointed at later.
        """
        self.sshd = SilentSFTPServer()
        self.addCleanup(self.sshd.close)

    def session(self, client):
        replies = {"before": client.sendcmd("SIZE f.bin")}
        self.proxy.stall()
        self.proxy.retarget(self.sshd.port)
        for name in ("stalled", "reconnecting"):
            try:
                replies[name] = client.sendcmd("SIZE f.bin")
            except ftplib.error_temp as e:
                replies[name] = str(e)
        self.proxy.retarget(self.realSSHPort)
        replies["after"] = client.sendcmd("SIZE f.bin")
        client.quit()
        return replies

    async def test_silentReconnection(self):
        """
        After a call expired, the command whose new connection gets no
        SFTP session gets C{451}; the one after it works on another.
        """
        from tests.storageservers import sshServer

        self.realSSHPort = sshServer().port
        client = await self.inThread(
            ftplibLogin, self, self.server.port, timeout=TIMEOUT,
            binary=True)
        await self.realm.whenSwept()
        replies = await self.inThread(self.session, client)
        timedOut = "451 Storage did not answer in time; try again later"
        self.assertEqual(replies, {"before": "213 10", "stalled": timedOut,
                                   "reconnecting": timedOut,
                                   "after": "213 10"})
        self.assertEqual(self.sshd.connections, 1)

    def cutSession(self, client):
        replies = {"before": client.sendcmd("SIZE f.bin")}
        self.proxy.stall()
        client.putcmd("MDTM f.bin")
        self.assertTrue(self.proxy.waitForHeld(), "the call never reached SFTP")
        self.proxy.retarget(self.sshd.port)
        self.proxy.cut()
        try:
            replies["cut"] = client.getresp()
        except ftplib.error_temp as e:
            replies["cut"] = str(e)
        try:
            replies["reconnecting"] = client.sendcmd("SIZE f.bin")
        except ftplib.error_temp as e:
            replies["reconnecting"] = str(e)
        self.proxy.retarget(self.realSSHPort)
        replies["after"] = client.sendcmd("SIZE f.bin")
        client.quit()
        return replies

    async def test_silentAfterCut(self):
        """
        A call whose connection the network cut fails, and the connection
        its failure opens again, which gets no SFTP session, is given up
        at the deadline: the command gets its reply, C{451} saying the
        storage did not answer in time (before, it waited for ever, and
        the commands after it too; then, until session 51, C{451} local
        error), the next one C{451}, the one after it works on another
        connection.
        """
        from tests.storageservers import sshServer

        self.realSSHPort = sshServer().port
        client = await self.inThread(
            ftplibLogin, self, self.server.port, timeout=TIMEOUT,
            binary=True)
        await self.realm.whenSwept()
        replies = await self.inThread(self.cutSession, client)
        timedOut = "451 Storage did not answer in time; try again later"
        self.assertEqual(replies, {
            "before": "213 10",
            "cut": timedOut, "reconnecting": timedOut, "after": "213 10"})
        self.assertEqual(self.sshd.connections, 2)

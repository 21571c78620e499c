"""
Integration tests: an SFTP server that stops answering costs ftpkit's
sessions a reply within the realm's deadline (C{deadline=} of
C{--realm fsspec:sftp://...}), not a hang, and never keeps the server
from exiting.

The SFTP server is the tests' OpenSSH server (L{tests.storageservers}),
reached through a L{tests.stallingproxy.StallingProxy}, whose stall
stops a connection as C{SIGSTOP} would stop sshd's session process.
"""

import ftplib
import io
import os
import signal
import socket
import subprocess

from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.deploy import tap
from ftpkit.loopback import LoopbackServerMixin
from tests.fsspecrealms import closeAtEnd
from tests.ftpclient import ftplibLogin
from tests.serverprocess import TIMEOUT, ServerProcess
from tests.stallingproxy import StallingProxy
from tests.storageservers import sshServer
from tests.usersfiles import writeText

DEADLINE = 5
"""The tests' deadline, in seconds: their waits (60 s) are far longer."""


def realmArgument(testCase, root, deadline, users=None):
    """
    @param testCase: the running test (the proxy is closed after it).
    @param root: the directory the realm serves, on the SFTP server.
    @param deadline: the realm's C{deadline=}.
    @param users: the text of a users file for the realm, or C{None}.
    @return: C{(argument, proxy)}: the C{--realm} argument, whose SFTP
        server is reached through the L{StallingProxy} C{proxy}.
    """
    ssh = sshServer()
    proxy = StallingProxy(ssh.port)
    testCase.addCleanup(proxy.close)
    argument = (f"fsspec:sftp://{ssh.user}@127.0.0.1:{proxy.port}{root}"
                f"?key_filename={ssh.keyFile}&look_for_keys=false"
                f"&allow_agent=false&deadline={deadline}")
    if users is not None:
        usersFile = os.path.abspath(testCase.mktemp())
        writeText(usersFile, users)
        argument += f"&users={usersFile}"
    return argument, proxy


class ProxiedRealmMixin(LoopbackServerMixin):
    """
    A server whose realm reaches OpenSSH's SFTP server through a
    L{StallingProxy} (C{self.proxy}), serving C{self.root} with a 10-byte
    C{f.bin}, with a deadline of L{DEADLINE} (C{users}: a users file's
    text, or C{None}).
    """

    timeout = 180
    users = None

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        with open(os.path.join(self.root, "f.bin"), "wb") as f:
            f.write(b"0123456789")
        argument, self.proxy = realmArgument(self, self.root, DEADLINE,
                                             self.users)
        self.beforeServer()
        options = tap.Options()
        options.parseOptions(["--realm", argument])
        self.realm = options["realmObject"]
        # Before the server, after the proxy: cleanups run last first.
        closeAtEnd(self, self.realm)
        self.server = self.startServer(self.realm,
                                       ServerConfig(loginFailureDelay=0.01))

    def beforeServer(self):
        """
        Called once the proxy is up, before the server starts: nothing
        here.
        """


class StalledCallTests(ProxiedRealmMixin, unittest.TestCase):
    """
    A command whose SFTP call gets no answer is answered C{451} once the
    deadline passed; the next command reconnects and works.
    """

    def stalledSession(self, client):
        replies = {"before": client.sendcmd("SIZE f.bin")}
        self.proxy.stall()
        try:
            replies["stalled"] = client.sendcmd("MDTM f.bin")
        except ftplib.error_temp as e:
            replies["stalled"] = str(e)
        replies["after"] = client.sendcmd("SIZE f.bin")
        self.proxy.stall()
        try:
            client.retrbinary("RETR f.bin", io.BytesIO().write)
            replies["retrieve"] = "retrieved"
        except ftplib.error_temp as e:
            replies["retrieve"] = str(e)
        got = io.BytesIO()
        client.retrbinary("RETR f.bin", got.write)
        replies["retrieved"] = got.getvalue()
        client.quit()
        return replies

    async def test_stalledCall(self):
        """
        C{MDTM}, then C{RETR}, each on a connection that stopped answering,
        get C{451}; the commands after them work on a new connection.
        """
        client = await self.inThread(
            ftplibLogin, self, self.server.port, timeout=TIMEOUT, binary=True)
        # The first login's sweep of hidden upload files is over: its
        # calls are not the ones stalled.
        await self.realm.whenSwept()
        replies = await self.inThread(self.stalledSession, client)
        self.assertEqual(replies["before"], "213 10")
        self.assertEqual(replies["stalled"],
                         "451 Storage did not answer in time; try again later")
        self.assertEqual(replies["after"], "213 10")
        self.assertEqual(replies["retrieve"],
                         "451 Storage did not answer in time; try again later")
        self.assertEqual(replies["retrieved"], b"0123456789")


class StalledHomeTests(ProxiedRealmMixin, unittest.TestCase):
    """
    A login whose users-file home is made on an SFTP server that stopped
    answering.
    """

    users = ('[users.alice]\nhome = "homes/alice"\npermissions = ["list"]\n'
             '[users.bob]\nhome = "homes/bob"\npermissions = ["list"]\n')

    def stalledLogin(self):
        silent = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(silent.close)
        # Its connection stopped, and the next one too (its SSH banner
        # never comes).
        self.proxy.stall()
        self.proxy.retarget(silent.getsockname()[1])
        try:
            ftplibLogin(self, self.server.port, timeout=TIMEOUT)
        except ftplib.error_temp as e:
            return str(e)
        finally:
            self.proxy.retarget(sshServer().port)
        return "logged in"

    async def test_stalledHome(self):
        """
        Once the store is open (bob's login), alice's login, whose home is
        made on a connection that stopped answering, gets C{421 Storage
        unavailable}, as a login whose store cannot be opened, or whose
        S3 store does not answer, does: the store failed, not her home
        (C{Home directory unavailable}, which a store that answers
        that it cannot make the home gives). Her next login works on a
        new connection.
        """
        bob = await self.inThread(ftplibLogin, self, self.server.port,
                                  "bob", "pw", timeout=TIMEOUT)
        await self.inThread(bob.quit)
        await self.realm.whenSwept()
        refused = await self.inThread(self.stalledLogin)
        self.assertEqual(refused, "421 Storage unavailable, try again later")
        alice = await self.inThread(ftplibLogin, self, self.server.port,
                                    timeout=TIMEOUT)
        self.assertEqual(await self.inThread(alice.sendcmd, "PWD"),
                         '257 "/" is the current directory')
        await self.inThread(alice.quit)
        self.assertTrue(os.path.isdir(os.path.join(self.root, "homes",
                                                   "alice")))


class StalledShutdownTests(unittest.TestCase):
    """
    C{SIGTERM} ends a server whose SFTP call is stuck.
    """

    def test_sigterm(self):
        """
        With a call stuck far short of its deadline, the server exits at
        C{SIGTERM} once its shutdown grace is over, within the waits of
        the tests.
        """
        root = os.path.abspath(self.mktemp())
        os.makedirs(root)
        with open(os.path.join(root, "f.bin"), "wb") as f:
            f.write(b"0123456789")
        argument, proxy = realmArgument(self, root, 3600)
        server = ServerProcess(self, ["--realm", argument, "--auth",
                                      "anonymous", "--shutdown-grace", "1"])
        server.waitForGreeting()
        client = server.login()
        self.assertTrue(client.sendcmd("TYPE I").startswith("200"))
        self.assertEqual(client.sendcmd("SIZE f.bin"), "213 10")
        proxy.stall()
        client.putcmd("MDTM f.bin")
        self.assertTrue(proxy.waitForHeld(), "the call never reached SFTP")
        server.signal(signal.SIGTERM)
        try:
            server.process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail("the server did not exit; log:\n" + server.log())

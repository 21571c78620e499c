"""
A users file's quota counts a partial upload that an upload of another
user dropped to make room on a full disk (L{ftpkit.shells.diskroom}) as
gone (session 55): alice's quota of 400,000 bytes counted her 300 KB
partial upload after bob's upload dropped it, until her home was
measured again, and her 200 KB upload got C{552}. On a 1 MiB C{tmpfs}
(root only), in one process and under C{--workers 2}.
"""

import io
import os

from twisted.internet import threads
from twisted.trial import unittest

from ftpkit.auth.users import UsersDatabase, UsersRealm
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells import roompause
from ftpkit.shells.keptregistry import DISK_FULL
from tests.cutuploads import cut
from tests.ftpclient import ftplibLogin
from tests.fulldisks import PARTIAL, OneProcessServer, WorkersServer
from tests.logevents import captureLogs
from tests.polling import waitFor, waitUntil
from tests.resets import hardClose
from tests.serverprocess import ServerProcess
from tests.usersfiles import ALICE_HASH, startUsersServer, writeText

KB = 1000

PAYLOAD = os.urandom(1 << 20)
"""The bytes the uploads send, from the first."""

PERMISSIONS = ('["list", "read", "write", "append", "delete", "rename",'
               ' "mkdir"]')

USERS = f"""
[users.alice]
password = "{ALICE_HASH}"
home = "alice"
permissions = {PERMISSIONS}
quota = 400000

[users.bob]
password = "{ALICE_HASH}"
home = "bob"
permissions = {PERMISSIONS}
"""
"""alice, held to 400,000 bytes, and bob, without a quota; both with the
password C{secret}."""


class RoomQuotaMixin:
    """
    The scenario, through C{self.login(user, password)} on L{FullDisk}'s
    file system served by a users file of L{USERS}.
    """

    def partial(self):
        """
        @return: the size of alice's partial upload of C{big}, or C{None}.
        """
        path = os.path.join(self.root, "alice", PARTIAL + "big")
        return os.path.getsize(path) if os.path.exists(path) else None

    def cut(self):
        """
        alice's C{STOR big} of 300 KB, its data connection reset once the
        server wrote them (blocking).
        """
        alice = self.login("alice", "secret")
        data = alice.transfercmd("STOR big")
        before = self.used()
        data.sendall(PAYLOAD[:300 * KB])
        waitUntil(lambda: self.used() - before >= 300 * KB, 30)
        hardClose(data)
        alice.close()

    def store(self, user, name, size):
        """
        C{user}'s C{STOR name} of C{size} bytes (blocking).

        @return: the final reply, or the error's text.
        """
        ftp = self.login(user, "secret")
        try:
            return ftp.storbinary("STOR " + name,
                                  io.BytesIO(PAYLOAD[:size]))
        except Exception as e:
            return str(e)
        finally:
            ftp.close()

    async def test_droppedNotCounted(self):
        """
        bob's upload drops alice's partial upload for room; her quota no
        longer counts it, and her 200 KB upload fits.
        """
        await self.inThread(self.cut)
        self.assertTrue(await waitFor(lambda: self.partial() == 300 * KB),
                        self.partial())
        reply = await self.inThread(self.store, "alice", "t", 1)
        self.assertTrue(reply.startswith("226"), reply)
        reply = await self.inThread(self.store, "bob", "fill", 900 * KB)
        self.assertTrue(reply.startswith("226"), reply)
        self.assertIsNone(self.partial())
        self.assertTrue(await waitFor(lambda: [
            (path, reason) for path, _, _, reason in self.drops()] == [
                ("/alice/" + PARTIAL + "big", DISK_FULL)]), self.drops())
        os.remove(os.path.join(self.root, "bob", "fill"))
        reply = await self.inThread(self.store, "alice", "after", 200 * KB)
        self.assertTrue(reply.startswith("226"), reply)


class CapQuotaTests(LoopbackServerMixin, unittest.TestCase):
    """
    A users file's quota counts a partial upload dropped past its user's
    C{--max-partials-per-user} as gone.
    """

    timeout = 120

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        path = os.path.join(self.root, "users.toml")
        writeText(path, USERS)
        self.server = self.startServer(
            UsersRealm(UsersDatabase(path), self.root, partialsPerUser=1),
            users={"alice": "secret"}, anonymous=False)

    async def test_pastCapNotCounted(self):
        """
        alice's second cut upload drops her first, past a cap of one; her
        quota of 400,000 bytes counts only the second, and her 200 KB
        upload fits (it got C{552} before session 55: both counted).
        """
        def steps():
            ftp = ftplibLogin(self, self.server.port, "alice", "secret",
                              binary=True)
            for name in ("a", "b"):
                cut(ftp, name, 150 * KB, untilRead=True)
            ftp.storbinary("STOR t", io.BytesIO(b"t"))
            try:
                return ftp.storbinary("STOR after",
                                      io.BytesIO(PAYLOAD[:200 * KB]))
            except Exception as e:
                return str(e)
        reply = await threads.deferToThread(steps)
        self.assertTrue(reply.startswith("226"), reply)


class OneProcessTests(RoomQuotaMixin, OneProcessServer, unittest.TestCase):
    """
    A server in this process.
    """

    def setUp(self):
        self.patch(roompause, "_pauses", [roompause.Pauses()])
        self.mount()
        self.events = captureLogs(self)
        self.server = startUsersServer(self, self.root, USERS,
                                       {"alice": "secret", "bob": "secret"})


class WorkersTests(RoomQuotaMixin, WorkersServer, unittest.TestCase):
    """
    A server of C{--workers 2} in a child process: the quota is the
    workers' shared ledger.
    """

    def setUp(self):
        self.mount()
        users = os.path.abspath(self.mktemp())
        writeText(users, USERS)
        self.server = ServerProcess(self, [
            "--root", self.root, "--workers", "2", "--log-format", "json",
            "--realm", f"users:{users}", "--auth", f"users:{users}"])
        self.server.waitForLog(" ready", 2)

"""
A full disk is not kept full by the uploads it cut (session 53): on a
1 MiB C{tmpfs} (root only), a C{STOR} of 2 MiB gets C{452} and keeps no
bytes for a resume (an empty partial upload where it replaced a file), so
that the next upload, by another user, finds room; the file it replaced
stays as it was. It kept 745 KB hidden for 24 hours before, and every
upload by anyone got C{452}. A cut connection on a disk with room still
keeps its partial upload. In one process and under C{--workers 2}.
"""

import hashlib
import io
import json
import os
import time

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.keptregistry import DISK_FULL
from tests.ftpclient import ftplibLogin
from tests.integration.test_diskfull import FLOOD, OLD, storeFailing
from tests.logevents import captureLogs, dropped
from tests.polling import waitFor
from tests.resets import hardClose
from tests.serverprocess import ServerProcess
from tests.smallmounts import smallFilesystem

SMALL = os.urandom(200 << 10)
"""What the other user uploads after the C{452}: a fifth of the disk."""

PARTIAL = ".ftpkit-partial."
"""The start of a partial upload's name."""


def digest(path):
    """
    @param path: a local file.
    @return: the SHA-256 of its bytes.
    """
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class FullDiskMixin:
    """
    The scenarios, on a 1 MiB file system at C{self.root} holding C{old},
    through C{self.login(user, password)} giving a logged-in ftplib client
    in C{TYPE I}.
    """

    timeout = 120

    def mount(self):
        """
        Mount the file system and write C{old} on it.
        """
        self.root = smallFilesystem(self, size="1m")
        self.old = os.path.join(self.root, "old")
        with open(self.old, "wb") as f:
            f.write(OLD)
        self.oldDigest = digest(self.old)

    def failThenStore(self, target, active=False):
        """
        Alice's C{STOR} of twice the disk to C{target}, then Bob's of
        L{SMALL} (blocking).

        @param active: Alice's upload in active mode (its bytes through
            Python, not spliced).
        @return: Alice's final reply, her C{SIZE} of C{target} afterwards
            (or the error's text), and Bob's final reply.
        """
        alice = self.login("alice", "secret")
        alice.set_pasv(not active)
        final = storeFailing(alice, "STOR " + target, FLOOD)
        try:
            size = alice.size(target)
        except Exception as e:
            size = str(e)
        bob = self.login("bob", "pw")
        stored = bob.storbinary("STOR small", io.BytesIO(SMALL))
        return final, size, stored

    def hidden(self):
        """
        @return: the partial uploads on the disk, by name, with their
            sizes.
        """
        return {name: os.path.getsize(os.path.join(self.root, name))
                for name in os.listdir(self.root)
                if name.startswith(PARTIAL)}

    def assertRoomMade(self, final, stored):
        """
        Alice's upload got C{452}, Bob's then succeeded and holds its
        bytes, and C{old} is as it was.
        """
        self.assertTrue(final.startswith("452"), final)
        self.assertTrue(stored.startswith("226"), stored)
        self.assertEqual(digest(os.path.join(self.root, "small")),
                         hashlib.sha256(SMALL).hexdigest())
        self.assertEqual(digest(self.old), self.oldDigest)

    async def test_replacingKeepsNoBytes(self):
        """
        A C{STOR} replacing C{old} that fills the disk (spliced in clear)
        keeps an empty partial upload (its uploader's C{SIZE} answers 0),
        and another user's upload then succeeds.
        """
        final, size, stored = await self.inThread(self.failThenStore, "old")
        self.assertRoomMade(final, stored)
        self.assertEqual(size, 0)
        self.assertEqual(self.hidden(), {PARTIAL + "old": 0})
        await self.assertDropped("old")

    async def test_replacingActive(self):
        """
        So does one in active mode, whose failed write the file is told.
        """
        final, size, stored = await self.inThread(
            self.failThenStore, "old", True)
        self.assertRoomMade(final, stored)
        self.assertEqual((size, self.hidden()), (0, {PARTIAL + "old": 0}))

    async def test_newFileLeavesNothing(self):
        """
        A C{STOR} of a new file that fills the disk leaves nothing of it.
        """
        final, size, stored = await self.inThread(self.failThenStore, "big")
        self.assertRoomMade(final, stored)
        self.assertTrue(size.startswith("550"), size)
        self.assertEqual(self.hidden(), {})
        self.assertEqual(sorted(os.listdir(self.root)), ["old", "small"])
        await self.assertDropped("big")

    async def test_cutKeepsPartial(self):
        """
        An upload cut (its data connection reset) on a disk with room
        still keeps what it received for a resume.
        """
        def cut():
            alice = self.login("alice", "secret")
            data = alice.transfercmd("STOR new")
            before = self.used()
            data.sendall(SMALL)
            deadline = time.monotonic() + 30
            while (self.used() - before < len(SMALL)
                   and time.monotonic() < deadline):
                time.sleep(0.02)
            hardClose(data)
            alice.close()
        await self.inThread(cut)
        kept = await waitFor(
            lambda: self.hidden().get(PARTIAL + "new") == len(SMALL))
        self.assertTrue(kept, self.hidden())
        size = await self.inThread(
            lambda: self.login("alice", "secret").size("new"))
        self.assertEqual(size, len(SMALL))
        self.assertEqual(self.drops(), [])

    async def assertDropped(self, name):
        """
        One C{partial-dropped} event says the bytes of Alice's upload to
        C{name} were not kept, the disk full.
        """
        self.assertTrue(await waitFor(self.drops), "no partial-dropped")
        [(path, user, size, reason)] = self.drops()
        self.assertEqual((path, user, reason),
                         ("/" + PARTIAL + name, "alice", DISK_FULL))
        self.assertGreater(size, 0)

    def used(self):
        """
        @return: the bytes the file system holds (the upload's file too,
            nameless or hidden).
        """
        result = os.statvfs(self.root)
        return (result.f_blocks - result.f_bfree) * result.f_frsize


class OneProcessTests(FullDiskMixin, LoopbackServerMixin,
                      unittest.TestCase):
    """
    A server in this process.
    """

    def setUp(self):
        self.mount()
        self.events = captureLogs(self)
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))

    def drops(self):
        """
        @return: the C{partial-dropped} events logged, as
            L{tests.logevents.dropped} gives them.
        """
        return dropped(self.events)

    def login(self, user, password):
        """
        @return: C{user} logged in, in C{TYPE I}.
        """
        return ftplibLogin(self, self.server.port, user, password,
                           binary=True)


class WorkersTests(FullDiskMixin, unittest.TestCase):
    """
    A server of C{--workers 2} in a child process.
    """

    def setUp(self):
        self.mount()
        self.server = ServerProcess(self, [
            "--root", self.root, "--workers", "2", "--log-format", "json",
            "--auth", "memory:alice:secret:bob:pw"])
        self.server.waitForLog(" ready", 2)

    def drops(self):
        """
        @return: the C{partial-dropped} records the server logged, as
            L{tests.logevents.dropped} gives them.
        """
        return dropped(json.loads(line)
                       for line in self.server.log().splitlines()
                       if line.startswith("{"))

    def login(self, user, password):
        """
        @return: C{user} logged in, in C{TYPE I}.
        """
        ftp = self.server.login(user, password)
        ftp.voidcmd("TYPE I")
        return ftp

    def inThread(self, function, *args):
        """
        @return: a Deferred firing with C{function(*args)}, run in a
            thread.
        """
        from twisted.internet import threads
        return threads.deferToThread(function, *args)

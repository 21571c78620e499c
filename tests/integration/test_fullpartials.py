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
import os
import time

from twisted.trial import unittest

from ftpkit.shells.keptregistry import DISK_FULL
from tests.fulldisks import (
    PARTIAL,
    OneProcessServer,
    WorkersServer,
    digest,
)
from tests.integration.test_diskfull import FLOOD, storeFailing
from tests.polling import waitFor
from tests.resets import hardClose

SMALL = os.urandom(200 << 10)
"""What the other user uploads after the C{452}: a fifth of the disk."""


class FullDiskMixin:
    """
    The scenarios, on a 1 MiB file system at C{self.root} holding C{old}
    (L{tests.fulldisks.FullDisk}), through C{self.login(user, password)}
    giving a logged-in ftplib client in C{TYPE I}.
    """

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


class OneProcessTests(FullDiskMixin, OneProcessServer, unittest.TestCase):
    """
    A server in this process.
    """


class WorkersTests(FullDiskMixin, WorkersServer, unittest.TestCase):
    """
    A server of C{--workers 2} in a child process.
    """

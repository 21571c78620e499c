"""
An upload that finds the disk full makes room by dropping the oldest
partial uploads kept there (session 54, L{ftpkit.shells.diskroom}): on a
1 MiB C{tmpfs} (root only), alice's upload cut at 900 KB is kept for her
resume; bob's upload of 200 KB then found the disk full and got C{452}
(before: for the partial upload's 24 hours, whoever uploaded). Now his
write drops alice's partial upload, one C{partial-dropped} line, and
goes on. The files of users are never dropped, and the file an upload
replaces is never touched; a cut on a disk with room is still resumed.
In one process and under C{--workers 2}.
"""

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

PAYLOAD = os.urandom(1 << 20)
"""The bytes the uploads send, from the first."""

KB = 1000


class RoomMadeMixin:
    """
    The scenarios, on the file system of L{tests.fulldisks.FullDisk},
    through C{self.login(user, password)}.
    """

    def cut(self, name, size):
        """
        alice's C{STOR name} of C{size} bytes of L{PAYLOAD}, its data
        connection reset once the server wrote them (blocking).
        """
        alice = self.login("alice", "secret")
        data = alice.transfercmd("STOR " + name)
        before = self.used()
        data.sendall(PAYLOAD[:size])
        deadline = time.monotonic() + 30
        while (self.used() - before < size
               and time.monotonic() < deadline):
            time.sleep(0.02)
        hardClose(data)
        alice.close()

    async def cutKept(self, name, size):
        """
        L{cut}, then wait until its partial upload is kept whole.
        """
        await self.inThread(self.cut, name, size)
        kept = await waitFor(
            lambda: self.hidden().get(PARTIAL + name) == size)
        self.assertTrue(kept, self.hidden())

    def store(self, name, size, active=False, user=("bob", "pw")):
        """
        C{STOR name} of C{size} bytes of L{PAYLOAD} (blocking).

        @return: the final reply.
        """
        ftp = self.login(*user)
        ftp.set_pasv(not active)
        try:
            return ftp.storbinary("STOR " + name, io.BytesIO(PAYLOAD[:size]))
        finally:
            ftp.close()

    def assertStored(self, reply, name, size):
        """
        C{reply} says C{226} and C{name} holds C{size} bytes of
        L{PAYLOAD}; C{old} is as it was.
        """
        self.assertTrue(reply.startswith("226"), reply)
        with open(os.path.join(self.root, name), "rb") as f:
            self.assertEqual(f.read(), PAYLOAD[:size])
        self.assertEqual(digest(self.old), self.oldDigest)

    async def assertDropped(self, *names):
        """
        alice's partial uploads of C{names} were dropped for room: one
        C{partial-dropped} event each, oldest first.
        """
        wanted = [("/" + PARTIAL + name, "alice", DISK_FULL)
                  for name in names]

        def hers():
            return [(path, user, reason)
                    for path, user, _, reason in self.drops()
                    if user == "alice"]
        await waitFor(lambda: len(hers()) >= len(wanted))
        self.assertEqual(hers(), wanted)

    async def test_cutDroppedForRoom(self):
        """
        bob's upload (spliced) drops alice's partial upload, which left
        the disk too little room for it, and succeeds.
        """
        await self.cutKept("big", 900 * KB)
        reply = await self.inThread(self.store, "small", 200 * KB)
        self.assertStored(reply, "small", 200 * KB)
        self.assertEqual(self.hidden(), {})
        await self.assertDropped("big")

    async def test_activeMode(self):
        """
        So does one in active mode, whose bytes go through Python.
        """
        await self.cutKept("big", 900 * KB)
        reply = await self.inThread(self.store, "small", 200 * KB, True)
        self.assertStored(reply, "small", 200 * KB)
        await self.assertDropped("big")

    async def test_smallUpload(self):
        """
        A small upload (moved at once, where the disk realm allows) onto a
        disk a user's file filled since alice's cut drops her partial
        upload too.
        """
        await self.cutKept("big", 500 * KB)
        filler = self.free() - 20 * KB
        reply = await self.inThread(self.store, "filler", filler)
        self.assertStored(reply, "filler", filler)
        reply = await self.inThread(self.store, "small", 50 * KB)
        self.assertStored(reply, "small", 50 * KB)
        await self.assertDropped("big")

    async def test_oldestFirst(self):
        """
        The oldest partial upload goes first, and only as many as make
        room.
        """
        await self.cutKept("first", 350 * KB)
        await self.cutKept("second", 350 * KB)
        reply = await self.inThread(self.store, "small", 400 * KB)
        self.assertStored(reply, "small", 400 * KB)
        self.assertEqual(self.hidden(), {PARTIAL + "second": 350 * KB})
        await self.assertDropped("first")

    async def test_stillFull(self):
        """
        An upload too large for the room made gets C{452} all the same:
        the partial upload is dropped, the file it replaced stays as it
        was, and the users' files are all there.
        """
        await self.cutKept("big", 500 * KB)

        def fail():
            bob = self.login("bob", "pw")
            try:
                return storeFailing(bob, "STOR old", FLOOD)
            finally:
                bob.close()
        final = await self.inThread(fail)
        self.assertTrue(final.startswith("452"), final)
        self.assertEqual(digest(self.old), self.oldDigest)
        self.assertEqual(self.hidden(), {PARTIAL + "old": 0})
        await self.assertDropped("big")

    async def test_pauseEndsWhenKept(self):
        """
        A walk that found nothing to drop (bob's upload filled the disk
        with no partial upload there) pauses room-making only until a
        partial upload is kept: alice's, cut just after (on the other
        worker under C{--workers 2}: bob's session holds one), is dropped
        for bob's next upload, which it left too little room. Before
        session 55 that upload got C{452} for the rest of the minute.
        """
        bob = await self.inThread(self.login, "bob", "pw")
        self.addCleanup(bob.close)

        def fail():
            return storeFailing(bob, "STOR flood", FLOOD)
        final = await self.inThread(fail)
        self.assertTrue(final.startswith("452"), final)
        await self.cutKept("big", 900 * KB)

        def store():
            return bob.storbinary("STOR small", io.BytesIO(
                PAYLOAD[:200 * KB]))
        reply = await self.inThread(store)
        self.assertStored(reply, "small", 200 * KB)
        await self.assertDropped("big")

    async def test_appendAtOnce(self):
        """
        An C{APPE} continuing alice's partial upload, its first write
        made at once (in the reactor thread) on a disk a user's file
        filled, drops her older partial upload as a C{STOR} does, and
        completes. It got C{452}, no room made, before session 55.
        """
        await self.cutKept("first", 500 * KB)
        await self.cutKept("new", 100 * KB)
        filler = self.free() - 20 * KB
        reply = await self.inThread(self.store, "filler", filler)
        self.assertStored(reply, "filler", filler)

        def append():
            alice = self.login("alice", "secret")
            try:
                return alice.storbinary("APPE new", io.BytesIO(
                    PAYLOAD[100 * KB:130 * KB]))
            finally:
                alice.close()
        reply = await self.inThread(append)
        self.assertStored(reply, "new", 130 * KB)
        await self.assertDropped("first")

    async def test_cutResumed(self):
        """
        An upload cut on a disk with room keeps its partial upload, which
        alice's C{REST} and C{STOR} complete; nothing is dropped.
        """
        await self.cutKept("new", 300 * KB)

        def resume():
            alice = self.login("alice", "secret")
            try:
                offset = alice.size("new")
                reply = alice.storbinary(
                    "STOR new", io.BytesIO(PAYLOAD[offset:600 * KB]),
                    rest=offset)
                return offset, reply
            finally:
                alice.close()
        offset, reply = await self.inThread(resume)
        self.assertEqual(offset, 300 * KB)
        self.assertStored(reply, "new", 600 * KB)
        self.assertEqual((self.hidden(), self.drops()), ({}, []))


class OneProcessTests(RoomMadeMixin, OneProcessServer, unittest.TestCase):
    """
    A server in this process.
    """


class WorkersTests(RoomMadeMixin, WorkersServer, unittest.TestCase):
    """
    A server of C{--workers 2} in a child process.
    """

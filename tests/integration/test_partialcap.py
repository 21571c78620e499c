"""
The disk realm keeps at most C{--max-partials-per-user} cut uploads for
one user (session 54, L{ftpkit.shells.diskcap}): alice's third cut
upload, past a cap of 2, drops her oldest, one C{partial-dropped} line;
bob's are his own. Before, the disk realm kept every cut upload for its
24 hours, and one user cutting uploads could fill the disk.
"""

import io
import os

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm, MemoryRealm
from ftpkit.shells.keptregistry import PAST_LIMIT
from tests.cutuploads import HALF, TwoUsersMixin, cut, resumeFromSize, sizeOf
from tests.fulldisks import PARTIAL
from tests.logevents import captureLogs, dropped
from tests.polling import waitFor, waitUntil


class EmptyPartialMixin:
    """
    An empty partial upload is not counted against the cap.
    """

    async def test_emptyNotCounted(self):
        """
        alice's C{STOR} over a file of hers, cut before any byte, keeps
        an empty partial upload (so that her C{SIZE} answers 0), which
        frees nothing and is worth nothing to a resume: it is not counted,
        and her two partial uploads holding bytes stay. Before session 55
        the memory and fsspec realms dropped her oldest for it.
        """
        def steps():
            ftp = self.login()
            ftp.storbinary("STOR old", io.BytesIO(b"old bytes"))
            for name in ("a", "b"):
                cut(ftp, name, untilRead=True)
            cut(ftp, "old", size=0)
            waitUntil(lambda: sizeOf(ftp, "old") == 0, 30)
            sizes = [sizeOf(ftp, name) for name in ("a", "b", "old")]
            ftp.quit()
            return sizes
        self.assertEqual(await self.inThread(steps), [HALF, HALF, 0])
        self.assertEqual(dropped(self.events), [])


class DiskCapTests(EmptyPartialMixin, TwoUsersMixin, unittest.TestCase):
    """
    A disk realm of a cap of 2.
    """

    def setUp(self):
        self.events = captureLogs(self)
        return TwoUsersMixin.setUp(self)

    def makeRealm(self):
        """
        @return: the disk realm on the root, keeping 2 cut uploads a user.
        """
        return FilesystemRealm(self.root, partialsPerUser=2)

    def hidden(self):
        """
        @return: the names of the partial uploads kept, sorted.
        """
        return sorted(name[len(PARTIAL):] for name in os.listdir(self.root)
                      if name.startswith(PARTIAL))

    def cuts(self, user, password, *names):
        """
        C{user} cuts an upload of each of C{names}, in turn (blocking).
        """
        ftp = self.login(user, password)
        for name in names:
            cut(ftp, name, untilRead=True)
        ftp.quit()

    async def test_oldestDropped(self):
        """
        A third cut upload drops alice's first; the other two stay, and
        she resumes one.
        """
        await self.inThread(self.cuts, "alice", "secret", "a", "b", "c")
        self.assertTrue(await waitFor(lambda: self.hidden() == ["b", "c"]),
                        self.hidden())
        self.assertEqual(dropped(self.events),
                         [("/" + PARTIAL + "a", "alice", HALF, PAST_LIMIT)])
        size, done = await self.inThread(
            lambda: resumeFromSize(self.login(), "c"))
        self.assertEqual((size, done), (HALF, "226"))

    async def test_perUser(self):
        """
        bob's cut upload is not counted among alice's.
        """
        await self.inThread(self.cuts, "bob", "pw", "x")
        await self.inThread(self.cuts, "alice", "secret", "a", "b")
        self.assertTrue(await waitFor(
            lambda: self.hidden() == ["a", "b", "x"]), self.hidden())
        self.assertEqual(dropped(self.events), [])


class MemoryCapTests(EmptyPartialMixin, TwoUsersMixin, unittest.TestCase):
    """
    C{--realm memory} of a cap of 2.
    """

    def setUp(self):
        self.events = captureLogs(self)
        return TwoUsersMixin.setUp(self)

    def makeRealm(self):
        """
        @return: a memory realm keeping 2 cut uploads a user.
        """
        return MemoryRealm(maxBytes=None, partialsPerUser=2)

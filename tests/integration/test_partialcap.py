"""
The disk realm keeps at most C{--max-partials-per-user} cut uploads for
one user (session 54, L{ftpkit.shells.diskcap}): alice's third cut
upload, past a cap of 2, drops her oldest, one C{partial-dropped} line;
bob's are his own. Before, the disk realm kept every cut upload for its
24 hours, and one user cutting uploads could fill the disk.
"""

import os

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.shells.keptregistry import PAST_LIMIT
from tests.cutuploads import HALF, TwoUsersMixin, cut, resumeFromSize
from tests.fulldisks import PARTIAL
from tests.logevents import captureLogs, dropped
from tests.polling import waitFor


class DiskCapTests(TwoUsersMixin, unittest.TestCase):
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

"""
A full store keeps none of the bytes of the uploads it cut on the realms
that keep cut uploads through the storage contract (session 54,
L{ftpkit.shells.keptfiles.KeptWriteFile}), as on the disk realm
(C{test_fullpartials}): on C{fsspec:file://} over a 1 MiB C{tmpfs}
(root only), a C{STOR} of 2 MiB got C{452} and its 1 MiB was kept,
hidden, for its resumer's 24 hours, and every later upload, by anyone,
got C{452}. A new file's upload leaves nothing now, one replacing a file
an empty partial upload (its uploader's C{SIZE} answers 0); another
user's upload then succeeds, and the file replaced stays as it was.
"""

import io
import os

from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.keptregistry import DISK_FULL
from tests.ftpclient import ftplibLogin
from tests.fulldisks import FullDisk, digest
from tests.integration.test_diskfull import FLOOD, storeFailing
from tests.logevents import captureLogs, dropped

try:
    from ftpkit.auth.fsspecrealm import makeFsspecRealm
except ImportError:
    makeFsspecRealm = None

SMALL = os.urandom(200 << 10)
"""What bob uploads after the C{452}."""


class FsspecFullTests(FullDisk, LoopbackServerMixin, unittest.TestCase):
    """
    C{fsspec:file://} on the 1 MiB file system, in this process.
    """

    if makeFsspecRealm is None:
        skip = "fsspec is not installed"

    def setUp(self):
        self.mount()
        self.events = captureLogs(self)
        realm = makeFsspecRealm("file://" + self.root, {})
        self.port = self.startServer(
            realm, ServerConfig(loginFailureDelay=0),
            users={"alice": "secret", "bob": "pw"}, anonymous=False).port

    def failThenStore(self, target):
        """
        alice's C{STOR} of twice the disk to C{target}, then bob's of
        L{SMALL} (blocking).

        @return: alice's final reply, her C{SIZE} of C{target} after (or
            the error's text), bob's final reply, and the hidden files.
        """
        alice = ftplibLogin(self, self.port, "alice", "secret", binary=True)
        final = storeFailing(alice, "STOR " + target, FLOOD)
        try:
            size = alice.size(target)
        except Exception as e:
            size = str(e)
        bob = ftplibLogin(self, self.port, "bob", "pw", binary=True)
        stored = bob.storbinary("STOR small", io.BytesIO(SMALL))
        hidden = {name: os.path.getsize(os.path.join(self.root, name))
                  for name in os.listdir(self.root) if name.startswith(".")}
        return final, size, stored, hidden

    def assertDropped(self):
        """
        One C{partial-dropped} event says alice's bytes were not kept.
        """
        [(path, user, size, reason)] = dropped(self.events)
        self.assertEqual((user, reason), ("alice", DISK_FULL))
        self.assertGreater(size, 0)

    async def test_newFileLeavesNothing(self):
        """
        A new file's upload that fills the store leaves nothing.
        """
        final, size, stored, hidden = await self.inThread(
            self.failThenStore, "big")
        self.assertTrue(final.startswith("452"), final)
        self.assertTrue(size.startswith("550"), size)
        self.assertTrue(stored.startswith("226"), stored)
        self.assertEqual(hidden, {})
        self.assertDropped()

    async def test_replacingKeepsEmpty(self):
        """
        One replacing C{old} keeps an empty partial upload, and C{old} is
        as it was.
        """
        final, size, stored, hidden = await self.inThread(
            self.failThenStore, "old")
        self.assertTrue(final.startswith("452"), final)
        self.assertEqual(size, 0)
        self.assertTrue(stored.startswith("226"), stored)
        self.assertEqual(list(hidden.values()), [0])
        self.assertEqual(digest(self.old), self.oldDigest)
        self.assertDropped()

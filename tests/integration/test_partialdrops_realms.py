"""
The C{partial-dropped} event of a kept cut upload whose file another
user's upload replaced (C{reason} C{the file changed}), against a
loopback server on each realm that keeps cut uploads: the disk realm
(found in a disk thread, logged in the reactor's), C{--realm memory} and
fsspec's C{memory://}. Before session 32 the drop was silent.
"""

import io
import os

from twisted.trial import unittest

from ftpkit.shells.keptregistry import FILE_CHANGED
from tests.cutuploads import (
    HALF,
    NEW,
    DiskRealmMixin,
    MemoryRealmMixin,
    TwoUsersMixin,
    cut,
)
from tests.integration.test_attack_fsspecinplace import MemoryMixin
from tests.logevents import captureLogs, dropped


class FileChangedMixin(TwoUsersMixin):
    """
    alice's upload of C{f} cut, then bob's complete one, then alice's
    C{SIZE}.
    """

    def test_fileChanged(self):
        """
        alice's C{SIZE} answers bob's file; her partial upload is dropped,
        one event naming her, its bytes and why.
        """
        events = captureLogs(self)

        def client():
            alice = self.login()
            bob = self.login("bob", "pw")
            try:
                cut(alice, "f")
                bob.storbinary("STOR f", io.BytesIO(b"bob's file"))
                return alice.size("f"), alice.size("f")
            finally:
                alice.quit()
                bob.quit()

        def check(sizes):
            self.assertEqual(sizes, (10, 10))
            drops = dropped(events)
            self.assertEqual(len(drops), 1, drops)
            path, user, size, reason = drops[0]
            self.assertTrue(path.startswith("/.ftpkit-partial."), path)
            self.assertEqual((user, reason), ("alice", FILE_CHANGED))
            self.assertTrue(0 < size <= HALF < len(NEW), size)

        return self.inThread(client).addCallback(check)


class DiskTests(FileChangedMixin, DiskRealmMixin, unittest.TestCase):
    """
    The disk realm (its partial uploads record their user in an extended
    attribute).
    """

    def setUp(self):
        super().setUp()
        try:
            os.setxattr(self.root, b"user.ftpkit.probe", b"-")
        except OSError:
            raise unittest.SkipTest("no user extended attributes here")


class MemoryTests(FileChangedMixin, MemoryRealmMixin, unittest.TestCase):
    """
    C{--realm memory}.
    """


class FsspecTests(MemoryMixin, FileChangedMixin, unittest.TestCase):
    """
    fsspec's C{memory://}.
    """
